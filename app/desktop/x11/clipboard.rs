//! The clipboard and the PRIMARY selection on X11. What the clipboard held before an
//! insertion is read in every target its owner offered and given back the same way, by a
//! selection owner of ours (`selection_reader`, `selection_owner`); the prompt itself, the
//! selection and a capture's text go through arboard.

use arboard::{GetExtLinux, LinuxClipboardKind, SetExtLinux};

use super::selection_owner::SelectionOwner;
use super::selection_reader::SelectionReader;
use crate::desktop::clipboard_formats::{self, refused};
use crate::desktop::{CaptureError, Clipboard, DesktopError, Snapshot};

/// The targets `{{clipboard}}` reads text from, in this order; the last is Latin-1.
const TEXT_TARGETS: [&str; 3] = ["UTF8_STRING", "text/plain;charset=utf-8", "STRING"];

pub struct X11Clipboard {
    inner: arboard::Clipboard,
    reader: SelectionReader,
    owner: SelectionOwner,
}

impl X11Clipboard {
    pub fn new() -> Result<Self, DesktopError> {
        let inner = arboard::Clipboard::new().map_err(refused)?;
        Ok(Self { inner, reader: SelectionReader::connect()?, owner: SelectionOwner::start()? })
    }
}

impl Clipboard for X11Clipboard {
    fn snapshot(&mut self) -> Snapshot {
        let offered = self.reader.read_every_target(self.reader.atoms.CLIPBOARD);
        let text = TEXT_TARGETS.iter().find_map(|name| {
            let found = offered.iter().find(|o| o.mime == *name)?;
            match *name {
                "STRING" => Some(found.bytes.iter().map(|b| char::from(*b)).collect()),
                _ => String::from_utf8(found.bytes.clone()).ok(),
            }
        });
        Snapshot {
            text,
            selection: self.inner.get().clipboard(LinuxClipboardKind::Primary).text().ok(),
            offered,
            ..Snapshot::default()
        }
    }

    /// Puts `text` on the clipboard and in the PRIMARY selection, which xterm pastes.
    fn put(&mut self, text: &str) -> Result<(), DesktopError> {
        self.inner.set_text(text).map_err(refused)?;
        let _ = self.inner.set().clipboard(LinuxClipboardKind::Primary).text(text);
        Ok(())
    }

    fn restore(&mut self, mut snapshot: Snapshot) {
        let selection = snapshot.selection.take();
        let offered = std::mem::take(&mut snapshot.offered);
        if offered.is_empty() {
            clipboard_formats::restore(&mut self.inner, snapshot);
        } else if let Err(e) = self.owner.own(self.reader.atoms.CLIPBOARD, offered) {
            tracing::warn!(error = %e, "could not restore the previous clipboard");
            clipboard_formats::restore(&mut self.inner, snapshot);
        }
        if let Some(selection) = selection {
            let _ = self.inner.set().clipboard(LinuxClipboardKind::Primary).text(selection);
        }
    }

    fn selection(&mut self) -> Result<String, CaptureError> {
        let primary = self.inner.get().clipboard(LinuxClipboardKind::Primary).text();
        if let Ok(text) = &primary
            && !text.trim().is_empty()
        {
            return Ok(text.clone());
        }
        clipboard_formats::text_for_capture(&mut self.inner, Some(&primary))
    }
}

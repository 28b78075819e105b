//! The clipboard and the PRIMARY selection on X11. What the clipboard held before an
//! insertion is read in every target its owner offered and given back the same way, by a
//! selection owner of ours (`selection_reader`, `selection_owner`), which also offers the
//! prompt and so sees the target read it; the selection and a capture's text are read
//! through arboard.

use std::time::{Duration, Instant};

use arboard::{GetExtLinux, LinuxClipboardKind, SetExtLinux};
use x11rb::protocol::xproto::AtomEnum;

use super::selection_owner::SelectionOwner;
use super::selection_reader::SelectionReader;
use crate::desktop::clipboard_formats::{self, refused};
use crate::desktop::{
    CaptureError, Clipboard, DesktopError, Offered, Snapshot, Taken, Target, X11Form,
};

/// The targets `{{clipboard}}` reads text from, in this order; the last is Latin-1.
const TEXT_TARGETS: [&str; 3] = ["UTF8_STRING", "text/plain;charset=utf-8", "STRING"];

/// How long a target that has read the prompt is given to ask for it again (in another
/// target, or the rest of it) before the previous clipboard comes back.
const READ_QUIET: Duration = Duration::from_millis(100);

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
        self.owner.forget_reads();
        self.owner.own(self.reader.atoms.CLIPBOARD, text_targets(text))?;
        if let Err(e) = self.owner.own(AtomEnum::PRIMARY.into(), text_targets(text)) {
            tracing::debug!(error = %e, "the primary selection was left alone");
        }
        Ok(())
    }

    /// The target's reads are told apart by its X client, whenever they came.
    fn wait_until_taken(&mut self, target: Target, _keys_sent: Instant, cap: Duration) -> Taken {
        match u32::try_from(target.0) {
            Ok(window) => self.owner.wait_for_reader(window, READ_QUIET, cap),
            Err(_) => Taken::Unseen,
        }
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

/// `text` in every target text is asked for in, as other X11 applications offer it: UTF-8
/// under its several names, and Latin-1 (`STRING`, `?` for what Latin-1 lacks) for the old.
fn text_targets(text: &str) -> Vec<Offered> {
    let latin1: Vec<u8> = text.chars().map(|c| u8::try_from(c).unwrap_or(b'?')).collect();
    let typed = |mime: &str, type_name: &str, bytes: Vec<u8>| Offered {
        mime: mime.into(),
        bytes,
        x11: Some(X11Form { type_name: type_name.into(), format: 8 }),
    };
    let utf8 = text.as_bytes();
    vec![
        typed("UTF8_STRING", "UTF8_STRING", utf8.to_vec()),
        typed("text/plain;charset=utf-8", "text/plain;charset=utf-8", utf8.to_vec()),
        typed("text/plain;charset=UTF-8", "text/plain;charset=UTF-8", utf8.to_vec()),
        typed("TEXT", "UTF8_STRING", utf8.to_vec()),
        typed("text/plain", "text/plain", utf8.to_vec()),
        typed("STRING", "STRING", latin1),
    ]
}

#[cfg(test)]
mod tests {
    use super::text_targets;

    #[test]
    fn latin_1_gets_what_it_can_hold_and_utf_8_all() {
        let targets = text_targets("café → ok");
        let bytes = |name: &str| targets.iter().find(|t| t.mime == name).map(|t| t.bytes.clone());
        assert_eq!(bytes("STRING"), Some(b"caf\xe9 ? ok".to_vec()));
        assert_eq!(bytes("UTF8_STRING"), Some("café → ok".as_bytes().to_vec()));
        assert_eq!(bytes("TEXT"), Some("café → ok".as_bytes().to_vec()));
    }
}

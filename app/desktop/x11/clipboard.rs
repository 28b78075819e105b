//! The clipboard and the PRIMARY selection on X11, through arboard.

use arboard::{GetExtLinux, LinuxClipboardKind, SetExtLinux};

use crate::desktop::clipboard_formats::{self, refused};
use crate::desktop::{CaptureError, Clipboard, DesktopError, Snapshot};

pub struct X11Clipboard {
    inner: arboard::Clipboard,
}

impl X11Clipboard {
    pub fn new() -> Result<Self, DesktopError> {
        let inner = arboard::Clipboard::new().map_err(refused)?;
        Ok(Self { inner })
    }
}

impl Clipboard for X11Clipboard {
    fn snapshot(&mut self) -> Snapshot {
        Snapshot {
            selection: self.inner.get().clipboard(LinuxClipboardKind::Primary).text().ok(),
            ..clipboard_formats::snapshot(&mut self.inner)
        }
    }

    /// Puts `text` on the clipboard and in the PRIMARY selection, which xterm pastes.
    fn put(&mut self, text: &str) -> Result<(), DesktopError> {
        self.inner.set_text(text).map_err(refused)?;
        let _ = self.inner.set().clipboard(LinuxClipboardKind::Primary).text(text);
        Ok(())
    }

    fn restore(&mut self, snapshot: Snapshot) {
        let selection = snapshot.selection.clone();
        clipboard_formats::restore(&mut self.inner, snapshot);
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

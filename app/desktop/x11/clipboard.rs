//! The clipboard and the PRIMARY selection on X11, through arboard.

use std::borrow::Cow;

use arboard::{GetExtLinux, ImageData, LinuxClipboardKind, SetExtLinux};

use crate::desktop::{CaptureError, Clipboard, DesktopError, Image, Snapshot};

pub struct X11Clipboard {
    inner: arboard::Clipboard,
}

impl X11Clipboard {
    pub fn new() -> Result<Self, DesktopError> {
        let inner =
            arboard::Clipboard::new().map_err(|e| DesktopError::Clipboard(e.to_string()))?;
        Ok(Self { inner })
    }
}

fn refused(e: arboard::Error) -> DesktopError {
    DesktopError::Clipboard(e.to_string())
}

impl Clipboard for X11Clipboard {
    fn snapshot(&mut self) -> Snapshot {
        let image = self.inner.get_image().ok().map(|image| Image {
            width: image.width,
            height: image.height,
            rgba: image.bytes.into_owned(),
        });
        Snapshot {
            text: self.inner.get_text().ok(),
            html: self.inner.get().html().ok(),
            image,
            files: self.inner.get().file_list().unwrap_or_default(),
            selection: self.inner.get().clipboard(LinuxClipboardKind::Primary).text().ok(),
        }
    }

    /// Puts `text` on the clipboard and in the PRIMARY selection, which xterm pastes.
    fn put(&mut self, text: &str) -> Result<(), DesktopError> {
        self.inner.set_text(text).map_err(refused)?;
        let _ = self.inner.set().clipboard(LinuxClipboardKind::Primary).text(text);
        Ok(())
    }

    /// arboard offers one format family at a time, so the richest one wins: image, files,
    /// HTML with its text, text.
    fn restore(&mut self, snapshot: Snapshot) {
        let restored = if let Some(image) = snapshot.image {
            let bytes = Cow::Owned(image.rgba);
            self.inner.set_image(ImageData { width: image.width, height: image.height, bytes })
        } else if !snapshot.files.is_empty() {
            self.inner.set().file_list(&snapshot.files)
        } else if let Some(html) = snapshot.html {
            self.inner.set_html(html, snapshot.text)
        } else if let Some(text) = snapshot.text {
            self.inner.set_text(text)
        } else {
            self.inner.clear()
        };
        if let Err(e) = restored {
            tracing::warn!(error = %e, "could not restore the previous clipboard");
        }
        if let Some(selection) = snapshot.selection {
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
        match self.inner.get_text() {
            Ok(text) if !text.trim().is_empty() => Ok(text),
            Ok(_) | Err(arboard::Error::ContentNotAvailable) => match primary {
                Err(arboard::Error::ConversionFailure) => Err(CaptureError::NotText),
                _ => Err(CaptureError::Empty),
            },
            Err(arboard::Error::ConversionFailure) => Err(CaptureError::NotText),
            Err(e) => Err(CaptureError::Unavailable(e.to_string())),
        }
    }
}

//! The clipboard around an insertion: remember what it held, put the prompt there (and in
//! PRIMARY, which xterm pastes), and put the old content back afterwards.

use std::path::PathBuf;

use arboard::{GetExtLinux, ImageData, LinuxClipboardKind, SetExtLinux};

pub struct Clipboard {
    inner: arboard::Clipboard,
}

/// What the clipboard held before we borrowed it, in its richest form.
pub struct Snapshot {
    text: Option<String>,
    html: Option<String>,
    image: Option<ImageData<'static>>,
    files: Option<Vec<PathBuf>>,
    primary: Option<String>,
}

impl Snapshot {
    /// The clipboard's text, as `{{clipboard}}` fills in.
    pub fn text(&self) -> Option<&str> {
        self.text.as_deref()
    }

    /// The selected text (PRIMARY), as `{{selection}}` fills in.
    pub fn primary(&self) -> Option<&str> {
        self.primary.as_deref()
    }
}

/// Why capture found nothing to save.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error("nothing is selected and the clipboard holds no text")]
    Empty,
    #[error("the selection is not text (or not valid UTF-8); nothing was saved")]
    NotText,
    #[error("the clipboard cannot be read: {0}")]
    Unavailable(String),
}

impl Clipboard {
    pub fn new() -> Result<Self, String> {
        arboard::Clipboard::new().map(|inner| Self { inner }).map_err(|e| e.to_string())
    }

    pub fn snapshot(&mut self) -> Snapshot {
        Snapshot {
            text: self.inner.get_text().ok(),
            html: self.inner.get().html().ok(),
            image: self.inner.get_image().ok(),
            files: self.inner.get().file_list().ok().filter(|f| !f.is_empty()),
            primary: self.inner.get().clipboard(LinuxClipboardKind::Primary).text().ok(),
        }
    }

    /// Puts `text` on the clipboard and in the PRIMARY selection.
    pub fn put(&mut self, text: &str) -> Result<(), String> {
        self.inner.set_text(text).map_err(|e| e.to_string())?;
        let _ = self.inner.set().clipboard(LinuxClipboardKind::Primary).text(text);
        Ok(())
    }

    /// Puts back what `snapshot` saw. The clipboard offers one format family at a time
    /// through arboard, so the richest one wins: image, files, HTML with its text, text.
    pub fn restore(&mut self, snapshot: Snapshot) {
        let restored = if let Some(image) = snapshot.image {
            self.inner.set_image(image)
        } else if let Some(files) = snapshot.files {
            self.inner.set().file_list(&files)
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
        if let Some(primary) = snapshot.primary {
            let _ = self.inner.set().clipboard(LinuxClipboardKind::Primary).text(primary);
        }
    }

    /// The selected text (PRIMARY), or the clipboard's when nothing is selected.
    pub fn selection(&mut self) -> Result<String, CaptureError> {
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

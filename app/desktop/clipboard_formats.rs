//! The clipboard's formats through arboard, as every backend that uses it reads and writes
//! them; a backend adds what its window system has beside (on X11 every target of the
//! previous clipboard, and the PRIMARY selection).

use std::borrow::Cow;

use arboard::ImageData;

use crate::desktop::{CaptureError, DesktopError, Snapshot};

pub fn refused(e: arboard::Error) -> DesktopError {
    DesktopError::Clipboard(e.to_string())
}

/// What the clipboard holds, in each format arboard reads (no selection). X11 reads every
/// target itself (`x11/selection_reader.rs`).
#[cfg(any(windows, target_os = "macos"))]
pub fn snapshot(clipboard: &mut arboard::Clipboard) -> Snapshot {
    let image = clipboard.get_image().ok().map(|image| crate::desktop::Image {
        width: image.width,
        height: image.height,
        rgba: image.bytes.into_owned(),
    });
    Snapshot {
        text: clipboard.get_text().ok(),
        html: clipboard.get().html().ok(),
        image,
        files: clipboard.get().file_list().unwrap_or_default(),
        selection: None,
        offered: Vec::new(),
    }
}

/// arboard offers one format family at a time, so the richest one wins: image, files, HTML
/// with its text, text.
pub fn restore(clipboard: &mut arboard::Clipboard, snapshot: Snapshot) {
    let restored = if let Some(image) = snapshot.image {
        let bytes = Cow::Owned(image.rgba);
        clipboard.set_image(ImageData { width: image.width, height: image.height, bytes })
    } else if !snapshot.files.is_empty() {
        clipboard.set().file_list(&snapshot.files)
    } else if let Some(html) = snapshot.html {
        clipboard.set_html(html, snapshot.text)
    } else if let Some(text) = snapshot.text {
        clipboard.set_text(text)
    } else {
        clipboard.clear()
    };
    if let Err(e) = restored {
        tracing::warn!(error = %e, "could not restore the previous clipboard");
    }
}

/// The clipboard's text for a capture; `other` is what a selection read gave, when the
/// backend has one, so "not text" there is told apart from empty.
pub fn text_for_capture(
    clipboard: &mut arboard::Clipboard,
    other: Option<&Result<String, arboard::Error>>,
) -> Result<String, CaptureError> {
    match clipboard.get_text() {
        Ok(text) if !text.trim().is_empty() => Ok(text),
        Ok(_) | Err(arboard::Error::ContentNotAvailable) => match other {
            Some(Err(arboard::Error::ConversionFailure)) => Err(CaptureError::NotText),
            _ => Err(CaptureError::Empty),
        },
        Err(arboard::Error::ConversionFailure) => Err(CaptureError::NotText),
        Err(e) => Err(CaptureError::Unavailable(e.to_string())),
    }
}

/// The clipboard where arboard is all of it: Windows and macOS, which have no selection
/// apart from the clipboard.
#[cfg(any(windows, target_os = "macos"))]
pub struct ArboardClipboard {
    inner: arboard::Clipboard,
}

#[cfg(any(windows, target_os = "macos"))]
impl ArboardClipboard {
    pub fn new() -> Result<Self, DesktopError> {
        Ok(Self { inner: arboard::Clipboard::new().map_err(refused)? })
    }
}

#[cfg(any(windows, target_os = "macos"))]
impl crate::desktop::Clipboard for ArboardClipboard {
    fn snapshot(&mut self) -> Snapshot {
        snapshot(&mut self.inner)
    }

    fn put(&mut self, text: &str) -> Result<(), DesktopError> {
        self.inner.set_text(text).map_err(refused)
    }

    fn restore(&mut self, snapshot: Snapshot) {
        restore(&mut self.inner, snapshot);
    }

    /// No selection apart from the clipboard: a capture takes the clipboard.
    fn selection(&mut self) -> Result<String, CaptureError> {
        text_for_capture(&mut self.inner, None)
    }
}

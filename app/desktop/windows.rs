//! The Windows backend: global hotkeys (`hotkeys.rs`), focus and paste keys through
//! SendInput (`input.rs`), the clipboard through arboard, windows kept between openings.
//! Not built yet (each says so where it is asked for): the tray, notifications and
//! starting at login.

mod hotkeys;
mod input;

use std::sync::Arc;

use iced::futures::{Stream, stream};

use super::clipboard_formats::{self, refused};
use super::{
    Autostart, Backend, CaptureError, Clipboard, ColorScheme, DesktopError, EventSink, Notifier,
    Snapshot,
};

pub fn backend(events: EventSink) -> Backend {
    tracing::warn!("on Windows this build has no tray, notifications or start at login yet");
    let hotkeys = hotkeys::WindowsHotkeys::start(events)
        .inspect_err(|e| tracing::warn!(error = %e, "global hotkeys are unavailable"))
        .ok()
        .map(|hotkeys| Box::new(hotkeys) as Box<dyn super::Hotkeys>);
    Backend {
        hotkeys,
        focus: Arc::new(input::WindowsInput),
        keys: Ok(Box::new(input::WindowsInput)),
        clipboard: WindowsClipboard::new().map(|c| Box::new(c) as _),
        tray: None,
        notifier: Arc::new(Unannounced),
        autostart: Arc::new(NoAutostart),
    }
}

/// Windows has no colour-scheme signal this build reads yet: the palette's own default.
pub fn color_schemes() -> impl Stream<Item = ColorScheme> {
    stream::iter([ColorScheme::NoPreference])
}

struct WindowsClipboard {
    inner: arboard::Clipboard,
}

impl WindowsClipboard {
    fn new() -> Result<Self, DesktopError> {
        Ok(Self { inner: arboard::Clipboard::new().map_err(refused)? })
    }
}

impl Clipboard for WindowsClipboard {
    fn snapshot(&mut self) -> Snapshot {
        clipboard_formats::snapshot(&mut self.inner)
    }

    fn put(&mut self, text: &str) -> Result<(), DesktopError> {
        self.inner.set_text(text).map_err(refused)
    }

    fn restore(&mut self, snapshot: Snapshot) {
        clipboard_formats::restore(&mut self.inner, snapshot);
    }

    /// Windows has no selection apart from the clipboard: a capture takes the clipboard.
    fn selection(&mut self) -> Result<String, CaptureError> {
        clipboard_formats::text_for_capture(&mut self.inner, None)
    }
}

struct Unannounced;

impl Notifier for Unannounced {
    fn saved(&self, title: &str) {
        tracing::info!(chars = title.chars().count(), "captured; no notification on Windows yet");
    }
}

struct NoAutostart;

impl Autostart for NoAutostart {
    fn enabled(&self) -> bool {
        false
    }

    fn set(&self, _enabled: bool) -> Result<(), DesktopError> {
        Err(DesktopError::NotBuiltHere("starting at login"))
    }
}

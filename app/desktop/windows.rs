//! The Windows backend: global hotkeys (`hotkeys.rs`), focus and paste keys through
//! SendInput (`input.rs`), the clipboard through arboard, starting at login through the Run
//! key (`run_key.rs`), windows kept between openings. Not built yet: the tray and
//! notifications.

mod hotkeys;
mod input;
pub mod run_key;

use std::sync::Arc;

use iced::futures::{Stream, stream};

use super::clipboard_formats::{self, refused};
use super::{
    Backend, CaptureError, Clipboard, ColorScheme, DesktopError, EventSink, Notifier, Snapshot,
};

pub fn backend(events: EventSink) -> Backend {
    tracing::warn!("on Windows this build has no tray or notifications yet");
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
        autostart: Arc::new(run_key::RunKey),
        limits: vec!["no tray icon or notifications yet on Windows".into()],
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

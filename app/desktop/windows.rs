//! The Windows backend: global hotkeys registered with Windows (`hotkey_manager`), focus and
//! paste keys through SendInput (`input.rs`), the clipboard through arboard, the tray in the
//! notification area, starting at login through the Run key (`run_key.rs`), the light or
//! dark app mode (`appearance.rs`), windows kept between openings. Not built yet:
//! notifications.

mod appearance;
mod input;
pub mod run_key;

use std::sync::Arc;

use super::clipboard_formats::ArboardClipboard;
use super::hotkey_manager::ManagedHotkeys;
use super::{Backend, EventSink, Notifier};

pub use appearance::color_schemes;

pub fn backend(events: EventSink) -> Backend {
    tracing::warn!("on Windows this build has no notifications yet");
    let hotkeys = ManagedHotkeys::start("windows", events.clone())
        .inspect_err(|e| tracing::warn!(error = %e, "global hotkeys are unavailable"))
        .ok()
        .map(|hotkeys| Box::new(hotkeys) as Box<dyn super::Hotkeys>);
    Backend {
        hotkeys,
        focus: Arc::new(input::WindowsInput),
        keys: Ok(Box::new(input::WindowsInput)),
        clipboard: ArboardClipboard::new().map(|c| Box::new(c) as _),
        tray: super::tray::start(events).map(|tray| Box::new(tray) as _),
        notifier: Arc::new(Unannounced),
        autostart: Arc::new(run_key::RunKey),
        limits: vec!["no notifications yet on Windows: a capture is said in the log".into()],
    }
}

struct Unannounced;

impl Notifier for Unannounced {
    fn saved(&self, title: &str) {
        tracing::info!(chars = title.chars().count(), "captured; no notification on Windows yet");
    }
}

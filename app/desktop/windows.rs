//! The Windows backend: global hotkeys registered with Windows (`hotkey_manager`), focus and
//! paste keys through SendInput (`input.rs`), the clipboard through arboard with the
//! prompt offered for a paste so its reader is seen (`clipboard.rs`), the tray in the
//! notification area, starting at login through the Run key (`run_key.rs`), the light or
//! dark app mode (`appearance.rs`), notifications as the tray icon's balloons
//! (`balloon.rs`), windows kept between openings.

mod appearance;
mod balloon;
mod clipboard;
mod input;
pub mod run_key;

use std::sync::Arc;

use super::hotkey_manager::ManagedHotkeys;
use super::{Backend, EventSink, Notifier};

pub use appearance::color_schemes;

pub fn backend(events: EventSink) -> Backend {
    let hotkeys = ManagedHotkeys::start("windows", events.clone())
        .inspect_err(|e| tracing::warn!(error = %e, "global hotkeys are unavailable"))
        .ok()
        .map(|hotkeys| Box::new(hotkeys) as Box<dyn super::Hotkeys>);
    let tray = super::tray::start(events);
    let mut limits = Vec::new();
    let notifier: Arc<dyn Notifier> = match &tray {
        Some(tray) => Arc::new(balloon::Balloons::from_tray_window(tray.window())),
        None => {
            limits.push(
                "no notifications without the tray icon: a capture is said in the log".into(),
            );
            Arc::new(Unannounced)
        }
    };
    Backend {
        hotkeys,
        focus: Arc::new(input::WindowsInput),
        keys: Ok(Box::new(input::WindowsInput)),
        clipboard: clipboard::WindowsClipboard::new().map(|c| Box::new(c) as _),
        notifier,
        tray: tray.map(|tray| Box::new(tray) as _),
        autostart: Arc::new(run_key::RunKey),
        palette_surface: None,
        limits,
    }
}

/// Where there is no tray icon to show balloons from.
struct Unannounced;

impl Notifier for Unannounced {
    fn saved(&self, title: &str) {
        tracing::info!(chars = title.chars().count(), "captured; no tray icon to say so");
    }

    fn not_pasted(&self, _notice: &str) {
        tracing::info!("not pasted; no tray icon to say so");
    }
}

//! The macOS backend: global hotkeys registered with macOS (`hotkey_manager`: Carbon's hot
//! keys), the focused application through AppKit and paste keys through Core Graphics
//! events (`input.rs`; posting keys needs the Accessibility permission, asked for at start
//! and named when missing), the clipboard through arboard, the tray in the menu bar,
//! notifications through `osascript`, starting at login through a LaunchAgent
//! (`launch_agent`), the colour scheme from the user's defaults.
//!
//! Checked here (`scripts/check-macos.sh`), never run: there is no Mac to run it on.

mod input;

use std::process::Command;
use std::sync::Arc;

use iced::futures::{Stream, stream};

use super::clipboard_formats::ArboardClipboard;
use super::hotkey_manager::ManagedHotkeys;
use super::launch_agent::LaunchAgent;
use super::{Backend, ColorScheme, EventSink, Notifier};

/// The capabilities on macOS. Call on the main thread: the hotkeys and the tray belong to
/// its run loop.
pub fn backend(events: EventSink) -> Backend {
    let hotkeys = ManagedHotkeys::start("macos", events.clone())
        .inspect_err(|e| tracing::warn!(error = %e, "global hotkeys are unavailable"))
        .ok()
        .map(|hotkeys| Box::new(hotkeys) as Box<dyn super::Hotkeys>);
    let mut limits = Vec::new();
    if !input::may_post_keys(true) {
        limits.push(input::NOT_TRUSTED.to_owned());
    }
    Backend {
        hotkeys,
        focus: Arc::new(input::MacInput),
        keys: Ok(Box::new(input::MacInput)),
        clipboard: ArboardClipboard::new().map(|c| Box::new(c) as _),
        tray: super::tray::start(events).map(|tray| Box::new(tray) as _),
        notifier: Arc::new(AppleScriptNotifier),
        autostart: Arc::new(LaunchAgent),
        palette_surface: None,
        limits,
    }
}

/// The user's choice of appearance at start: `AppleInterfaceStyle` is "Dark" in dark mode
/// and absent in light mode.
pub fn color_schemes() -> impl Stream<Item = ColorScheme> {
    let read = Command::new("defaults").args(["read", "-g", "AppleInterfaceStyle"]).output();
    let scheme = match read {
        Ok(out) if out.status.success() && out.stdout.trim_ascii() == b"Dark" => ColorScheme::Dark,
        Ok(_) => ColorScheme::Light,
        Err(_) => ColorScheme::NoPreference,
    };
    stream::iter([scheme])
}

/// Notifications through AppleScript's `display notification`: Notification Center shows
/// them for a program outside an app bundle too. The title goes in as an argument, never
/// into the script's text.
struct AppleScriptNotifier;

impl Notifier for AppleScriptNotifier {
    fn saved(&self, title: &str) {
        display(&format!("Saved: {title}"));
    }

    fn not_pasted(&self, notice: &str) {
        display(&format!("{}. {notice}", crate::desktop::NOT_PASTED));
    }
}

fn display(text: &str) {
    let shown = Command::new("osascript")
        .args(["-e", "on run argv"])
        .args(["-e", "display notification (item 1 of argv) with title \"Promptdeck\""])
        .args(["-e", "end run"])
        .arg(text)
        .status();
    if let Err(e) = shown {
        tracing::debug!(error = %e, "no notification shown");
    }
}

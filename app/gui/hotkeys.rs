//! The global hotkeys: one opens the palette, one captures the selection. They can be
//! changed while the app runs; a shortcut another application holds is reported, and the
//! rest keeps working.

use std::sync::{Arc, Mutex};

use global_hotkey::hotkey::HotKey;
use global_hotkey::{GlobalHotKeyEvent, GlobalHotKeyManager, HotKeyState};
use tokio::sync::mpsc::UnboundedSender;

use crate::control::UiCommand;

/// The registered hotkeys; unregistered when dropped.
pub struct Hotkeys {
    manager: GlobalHotKeyManager,
    registered: Arc<Mutex<Registered>>,
}

#[derive(Default)]
struct Registered {
    palette: Option<HotKey>,
    capture: Option<HotKey>,
}

impl Hotkeys {
    /// Starts listening; `apply` registers the shortcuts.
    pub fn start(ui: UnboundedSender<UiCommand>) -> Option<Self> {
        let manager = match GlobalHotKeyManager::new() {
            Ok(manager) => manager,
            Err(e) => {
                tracing::warn!(error = %e, "global hotkeys are unavailable here; use the tray or `promptdeck palette`");
                return None;
            }
        };
        let registered = Arc::new(Mutex::new(Registered::default()));
        let seen = registered.clone();
        GlobalHotKeyEvent::set_event_handler(Some(move |event: GlobalHotKeyEvent| {
            if event.state != HotKeyState::Pressed {
                return;
            }
            let Ok(registered) = seen.lock() else { return };
            let command = if registered.palette.is_some_and(|h| h.id() == event.id) {
                UiCommand::OpenPalette
            } else if registered.capture.is_some_and(|h| h.id() == event.id) {
                UiCommand::Capture(None)
            } else {
                return;
            };
            let _ = ui.send(command);
        }));
        Some(Self { manager, registered })
    }

    /// Registers `palette` and `capture` (e.g. "ctrl+shift+space") in place of the ones
    /// registered before. Returns what could not be registered, and why.
    pub fn apply(&mut self, palette: &str, capture: &str) -> Vec<String> {
        let Ok(mut registered) = self.registered.lock() else {
            return vec!["the hotkeys are unavailable".into()];
        };
        for old in [registered.palette.take(), registered.capture.take()].into_iter().flatten() {
            let _ = self.manager.unregister(old);
        }
        let mut problems = Vec::new();
        registered.palette = register(&self.manager, palette, "palette", &mut problems);
        let same = registered.palette.is_some_and(|p| capture.parse::<HotKey>().ok() == Some(p));
        if same {
            let problem = format!(
                "the palette and capture hotkeys are the same shortcut ({capture}); capture has none"
            );
            tracing::error!("{problem}; set another in settings.toml [hotkeys]");
            problems.push(problem);
        } else {
            registered.capture = register(&self.manager, capture, "capture", &mut problems);
        }
        problems
    }
}

fn register(
    manager: &GlobalHotKeyManager,
    keys: &str,
    what: &str,
    problems: &mut Vec<String>,
) -> Option<HotKey> {
    let hotkey: HotKey = match keys.parse() {
        Ok(hotkey) => hotkey,
        Err(e) => {
            let problem = format!("the {what} hotkey {keys:?} is not a shortcut: {e}");
            tracing::error!(
                "{problem}; set another in settings.toml [hotkeys] or with --{what}-hotkey"
            );
            problems.push(problem);
            return None;
        }
    };
    match manager.register(hotkey) {
        Ok(()) => {
            tracing::info!(keys, "{what} hotkey registered");
            Some(hotkey)
        }
        Err(e) => {
            let problem = format!("the {what} hotkey {keys} is taken by another application ({e})");
            tracing::error!(
                "{problem}; set another in settings.toml [hotkeys] or with --{what}-hotkey"
            );
            problems.push(problem);
            None
        }
    }
}

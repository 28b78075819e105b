//! The global hotkeys: one opens the palette, one captures the selection.

use global_hotkey::hotkey::HotKey;
use global_hotkey::{GlobalHotKeyEvent, GlobalHotKeyManager, HotKeyState};
use tokio::sync::mpsc::UnboundedSender;

use crate::control::UiCommand;

/// Keeps the hotkeys registered while alive.
pub struct Hotkeys {
    _manager: GlobalHotKeyManager,
}

/// Registers `palette` and `capture` (e.g. "ctrl+shift+space"). A hotkey another app holds
/// is reported with a line saying how to choose another; the rest still works.
pub fn start(ui: UnboundedSender<UiCommand>, palette: &str, capture: &str) -> Option<Hotkeys> {
    let manager = match GlobalHotKeyManager::new() {
        Ok(manager) => manager,
        Err(e) => {
            tracing::warn!(error = %e, "global hotkeys are unavailable here; use the tray or `promptdeck palette`");
            return None;
        }
    };
    let palette_id = register(&manager, palette, "palette", "--palette-hotkey");
    let capture_id = register(&manager, capture, "capture", "--capture-hotkey");
    GlobalHotKeyEvent::set_event_handler(Some(move |event: GlobalHotKeyEvent| {
        if event.state != HotKeyState::Pressed {
            return;
        }
        let command = if Some(event.id) == palette_id {
            UiCommand::OpenPalette
        } else if Some(event.id) == capture_id {
            UiCommand::Capture(None)
        } else {
            return;
        };
        let _ = ui.send(command);
    }));
    Some(Hotkeys { _manager: manager })
}

fn register(manager: &GlobalHotKeyManager, keys: &str, what: &str, flag: &str) -> Option<u32> {
    let hotkey: HotKey = match keys.parse() {
        Ok(hotkey) => hotkey,
        Err(e) => {
            tracing::error!(keys, error = %e, "the {what} hotkey is not a valid shortcut; set another with {flag}");
            return None;
        }
    };
    match manager.register(hotkey) {
        Ok(()) => {
            tracing::info!(keys, "{what} hotkey registered");
            Some(hotkey.id())
        }
        Err(e) => {
            tracing::error!(keys, error = %e, "the {what} hotkey is taken by another application; set another with {flag}");
            None
        }
    }
}

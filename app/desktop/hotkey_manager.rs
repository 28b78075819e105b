//! Global hotkeys the operating system holds for the app, through global-hotkey: on Windows
//! RegisterHotKey on a hidden window of the UI thread, whose message loop (winit's) delivers
//! WM_HOTKEY; on macOS Carbon's hot keys, heard on the main thread's run loop (winit's).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use global_hotkey::hotkey::HotKey;
use global_hotkey::{GlobalHotKeyEvent, GlobalHotKeyManager, HotKeyState};

use crate::desktop::{Event, EventSink, HotkeyError, Hotkeys, Shortcut};

pub struct ManagedHotkeys {
    /// Which way, for `status --json`: the operating system's name.
    way: &'static str,
    manager: GlobalHotKeyManager,
    /// What each registered hotkey's id does; read by the event handler.
    held: Arc<Mutex<HashMap<u32, (HotKey, Shortcut)>>>,
}

impl ManagedHotkeys {
    /// Must be made on the UI thread, whose event loop hears them.
    pub fn start(way: &'static str, events: EventSink) -> Result<Self, HotkeyError> {
        let manager =
            GlobalHotKeyManager::new().map_err(|e| HotkeyError::Refused(e.to_string()))?;
        let held: Arc<Mutex<HashMap<u32, (HotKey, Shortcut)>>> = Arc::default();
        let heard = held.clone();
        GlobalHotKeyEvent::set_event_handler(Some(move |event: GlobalHotKeyEvent| {
            if event.state != HotKeyState::Pressed {
                return;
            }
            let shortcut = heard
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get(&event.id)
                .map(|(_, shortcut)| *shortcut);
            if let Some(shortcut) = shortcut {
                events(Event::Hotkey(shortcut));
            }
        }));
        Ok(Self { way, manager, held })
    }
}

impl Hotkeys for ManagedHotkeys {
    fn way(&self) -> &'static str {
        self.way
    }

    fn grab(&mut self, shortcut: Shortcut, hotkey: HotKey) -> Result<(), HotkeyError> {
        self.manager.register(hotkey).map_err(|e| match e {
            global_hotkey::Error::AlreadyRegistered(_) => HotkeyError::Taken,
            other => HotkeyError::Refused(other.to_string()),
        })?;
        self.held
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(hotkey.id(), (hotkey, shortcut));
        Ok(())
    }

    fn release_all(&mut self) {
        let held: Vec<_> =
            self.held.lock().unwrap_or_else(PoisonError::into_inner).drain().collect();
        for (_, (hotkey, _)) in held {
            if let Err(e) = self.manager.unregister(hotkey) {
                tracing::warn!(error = %e, "a hotkey was not let go");
            }
        }
    }
}

//! The X11 backend: hotkeys grabbed on the root window, focus and paste keys through XTest,
//! the clipboard kept in every target its owner offered, the prompt offered from a selection
//! owner of ours that sees who reads it; the tray, notifications, the colour scheme and
//! autostart as every Linux desktop has them (`freedesktop`).

mod clipboard;
mod grab;
mod keymap;
mod keys;
mod monitors;
mod selection_owner;
mod selection_reader;

use std::sync::Arc;

use global_hotkey::hotkey::HotKey;

use super::{
    Backend, DesktopError, EventSink, Focus, HotkeyError, Hotkeys, Shortcut, Target, freedesktop,
};
pub use clipboard::X11Clipboard;
use grab::Grabber;
use keys::X11;

/// The capabilities on an X display.
pub fn backend(events: EventSink) -> Backend {
    let hotkeys = hotkeys(events.clone());
    let keys = X11::connect();
    let focus: Arc<dyn Focus> = match keys.is_ok().then(X11::connect) {
        Some(Ok(x11)) => Arc::new(x11),
        _ => Arc::new(NoFocus),
    };
    Backend {
        hotkeys,
        focus,
        keys: keys.map(|x11| Box::new(x11) as _),
        clipboard: X11Clipboard::new().map(|c| Box::new(c) as _),
        tray: freedesktop::tray(events).map(|tray| Box::new(tray) as _),
        notifier: Arc::new(freedesktop::notify::Notifications),
        autostart: Arc::new(freedesktop::entries::XdgAutostart),
        palette_surface: None,
        limits: Vec::new(),
    }
}

/// Hotkeys grabbed on the X display, when there is one (under Wayland, Xwayland's: heard
/// only while one of its windows has the keyboard).
pub fn hotkeys(events: EventSink) -> Option<Box<dyn Hotkeys>> {
    X11Hotkeys::on_display(None, events)
        .inspect_err(|e| tracing::warn!(error = %e, "global hotkeys are unavailable here (they need an X display); use the tray or `promptdeck palette`"))
        .ok()
        .map(|hotkeys| Box::new(hotkeys) as Box<dyn Hotkeys>)
}

/// Where no window's focus can be read or given.
pub struct NoFocus;

impl Focus for NoFocus {
    fn focused(&self) -> Option<Target> {
        None
    }

    fn take_focus(&self, _window: u64) -> Result<(), DesktopError> {
        Ok(())
    }

    fn pointer_monitor(&self) -> Option<super::Monitor> {
        None
    }
}

/// The global hotkeys, grabbed on the X root window by a thread that blocks on the
/// connection (see `grab`).
pub struct X11Hotkeys {
    grabber: Grabber<Shortcut>,
}

impl X11Hotkeys {
    /// Starts listening on the X display `display` (`$DISPLAY` when `None`); presses go to
    /// `events`. Nothing is grabbed until [`super::bind`].
    pub fn on_display(display: Option<&str>, events: EventSink) -> Result<Self, HotkeyError> {
        let grabber = Grabber::connect(display, move |shortcut| {
            events(super::Event::Hotkey(shortcut));
        })?;
        Ok(Self { grabber })
    }
}

impl Hotkeys for X11Hotkeys {
    fn way(&self) -> &'static str {
        "x11"
    }

    fn grab(&mut self, shortcut: Shortcut, hotkey: HotKey) -> Result<(), HotkeyError> {
        self.grabber.grab(shortcut, hotkey)
    }

    fn release_all(&mut self) {
        self.grabber.release_all();
    }
}

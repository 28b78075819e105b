//! The X11 side of insertion: which window had focus, giving it back, and typing the paste
//! shortcut into it through XTest. One connection serves the UI thread's questions about
//! focus, another the insertion worker's keys: neither waits on the other.

use x11rb::connection::Connection;
use x11rb::protocol::xproto::{
    AtomEnum, ClientMessageEvent, ConnectionExt as _, EventMask, InputFocus, Window,
};
use x11rb::protocol::xtest::ConnectionExt as _;
use x11rb::rust_connection::RustConnection;
use x11rb::wrapper::ConnectionExt as _;

use super::keymap;
use crate::desktop::{DesktopError, Focus, Keys, Monitor, PasteKeys, Target};

/// A connection to the X server, when there is one.
pub struct X11 {
    conn: RustConnection,
    root: Window,
}

fn x11_error(e: impl std::fmt::Display) -> DesktopError {
    DesktopError::X11(e.to_string())
}

impl X11 {
    pub fn connect() -> Result<Self, DesktopError> {
        let (conn, screen) =
            x11rb::connect(None).map_err(|e| DesktopError::NoDisplay(e.to_string()))?;
        let root = conn.setup().roots[screen].root;
        Ok(Self { conn, root })
    }

    /// The window that has keyboard focus now, if it is a real window.
    fn focused_window(&self) -> Option<Window> {
        let focus = self.conn.get_input_focus().ok()?.reply().ok()?.focus;
        (focus > 1 && focus != self.root).then_some(focus)
    }

    /// The `WM_CLASS` class of `window` or of its nearest ancestor that has one.
    fn class_of(&self, mut window: Window) -> Option<String> {
        for _ in 0..8 {
            let reply = self
                .conn
                .get_property(false, window, AtomEnum::WM_CLASS, AtomEnum::STRING, 0, 256)
                .ok()?
                .reply()
                .ok()?;
            if !reply.value.is_empty() {
                let mut parts = reply.value.split(|b| *b == 0).filter(|p| !p.is_empty());
                let instance = parts.next();
                let class = parts.next().or(instance)?;
                return Some(String::from_utf8_lossy(class).into_owned());
            }
            let parent = self.conn.query_tree(window).ok()?.reply().ok()?.parent;
            if parent == self.root || parent == 0 {
                return None;
            }
            window = parent;
        }
        None
    }

    /// Gives focus back to `window`: directly, and through the window manager when one
    /// runs (it may otherwise take focus straight back).
    fn give_focus(&self, window: Window) -> Result<(), DesktopError> {
        let active = self.atom(b"_NET_ACTIVE_WINDOW")?;
        let event = ClientMessageEvent::new(32, window, active, [2, 0, 0, 0, 0]);
        let mask = EventMask::SUBSTRUCTURE_REDIRECT | EventMask::SUBSTRUCTURE_NOTIFY;
        self.conn.send_event(false, self.root, mask, event).map_err(x11_error)?;
        self.conn
            .set_input_focus(InputFocus::PARENT, window, x11rb::CURRENT_TIME)
            .map_err(x11_error)?;
        self.conn.sync().map_err(x11_error)?;
        Ok(())
    }

    /// Focuses one of our own windows as soon as the server shows it. Without a window
    /// manager (or with one that prevents focus stealing) a new window does not get the
    /// keyboard by itself, and a palette without focus is useless.
    fn focus_when_shown(&self, window: Window) -> Result<(), DesktopError> {
        use x11rb::protocol::xproto::MapState;
        const WAIT: std::time::Duration = std::time::Duration::from_millis(500);
        let started = std::time::Instant::now();
        loop {
            let attributes = self
                .conn
                .get_window_attributes(window)
                .map_err(x11_error)?
                .reply()
                .map_err(x11_error)?;
            if attributes.map_state == MapState::VIEWABLE {
                break;
            }
            if started.elapsed() > WAIT {
                return Err(DesktopError::X11("the palette window was never shown".into()));
            }
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        self.give_focus(window)
    }

    /// Presses and releases the paste shortcut, as if typed.
    fn send_paste(&self, keys: PasteKeys) -> Result<(), DesktopError> {
        let codes: Vec<u8> =
            keysyms(keys).iter().map(|k| self.keycode(*k)).collect::<Result<_, _>>()?;
        const KEY_PRESS: u8 = 2;
        const KEY_RELEASE: u8 = 3;
        for code in &codes {
            self.conn
                .xtest_fake_input(KEY_PRESS, *code, x11rb::CURRENT_TIME, self.root, 0, 0, 0)
                .map_err(x11_error)?;
        }
        for code in codes.iter().rev() {
            self.conn
                .xtest_fake_input(KEY_RELEASE, *code, x11rb::CURRENT_TIME, self.root, 0, 0, 0)
                .map_err(x11_error)?;
        }
        self.conn.sync().map_err(x11_error)?;
        Ok(())
    }

    /// Presses Left `times` times: the caret walks back to a prompt's `{{cursor}}`.
    fn send_left(&self, times: usize) -> Result<(), DesktopError> {
        const LEFT: u32 = 0xff51;
        const KEY_PRESS: u8 = 2;
        const KEY_RELEASE: u8 = 3;
        let code = self.keycode(LEFT)?;
        for _ in 0..times {
            for kind in [KEY_PRESS, KEY_RELEASE] {
                self.conn
                    .xtest_fake_input(kind, code, x11rb::CURRENT_TIME, self.root, 0, 0, 0)
                    .map_err(x11_error)?;
            }
        }
        self.conn.sync().map_err(x11_error)?;
        Ok(())
    }

    fn atom(&self, name: &[u8]) -> Result<u32, DesktopError> {
        Ok(self.conn.intern_atom(false, name).map_err(x11_error)?.reply().map_err(x11_error)?.atom)
    }

    fn keycode(&self, keysym: u32) -> Result<u8, DesktopError> {
        let keycodes = keymap::keycodes(&self.conn).map_err(x11_error)?;
        keycodes
            .get(&xkeysym::Keysym::new(keysym))
            .copied()
            .ok_or_else(|| DesktopError::X11(format!("no key produces keysym {keysym:#x}")))
    }
}

/// The keysyms of a paste shortcut, modifiers first.
fn keysyms(keys: PasteKeys) -> &'static [u32] {
    const CONTROL_L: u32 = 0xffe3;
    const SHIFT_L: u32 = 0xffe1;
    const INSERT: u32 = 0xff63;
    const V: u32 = 0x0076;
    match keys {
        PasteKeys::CtrlV => &[CONTROL_L, V],
        PasteKeys::CtrlShiftV => &[CONTROL_L, SHIFT_L, V],
        PasteKeys::ShiftInsert => &[SHIFT_L, INSERT],
    }
}

impl Focus for X11 {
    fn focused(&self) -> Option<Target> {
        self.focused_window().map(|window| Target(window.into()))
    }

    fn take_focus(&self, window: u64) -> Result<(), DesktopError> {
        let window = Window::try_from(window).map_err(x11_error)?;
        self.focus_when_shown(window)
    }

    fn pointer_monitor(&self) -> Option<Monitor> {
        super::monitors::under_pointer(&self.conn, self.root)
    }
}

impl Keys for X11 {
    fn paste_keys_for(&self, target: Target) -> PasteKeys {
        let class = Window::try_from(target.0).ok().and_then(|window| self.class_of(window));
        class.map_or(PasteKeys::CtrlV, |class| PasteKeys::for_class(&class))
    }

    fn focus(&self, target: Target) -> Result<(), DesktopError> {
        let window = Window::try_from(target.0).map_err(x11_error)?;
        self.give_focus(window)?;
        // The application may put the keyboard in another of its windows (a child, a
        // proxy): any window of the target's client will do.
        let client_bits = !self.conn.setup().resource_id_mask;
        crate::desktop::wait_for_focus(|| {
            self.focused_window().is_some_and(|f| f & client_bits == window & client_bits)
        });
        Ok(())
    }

    fn press_paste(&self, keys: PasteKeys) -> Result<(), DesktopError> {
        self.send_paste(keys)
    }

    fn press_left(&self, times: usize) -> Result<(), DesktopError> {
        self.send_left(times)
    }
}

//! Shortcuts grabbed on the X server's root window, reported the moment they are pressed.
//!
//! A thread of its own blocks on the X connection, so a press reaches the app as soon as the
//! server sends it and nothing wakes up while no key is pressed (global-hotkey's listener
//! looks every 50 ms: 25 ms of every palette opening on average, and twenty wake-ups a
//! second for the life of the process). Grabs are made from the caller's thread on the same
//! connection, which x11rb lets several threads share.

use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use global_hotkey::hotkey::{HotKey, Modifiers};
use x11rb::connection::Connection;
use x11rb::errors::{ReplyError, ReplyOrIdError};
use x11rb::protocol::Event;
use x11rb::protocol::xkb::{self, ConnectionExt as _};
use x11rb::protocol::xproto::{
    ClientMessageEvent, ConnectionExt as _, CreateWindowAux, EventMask, GrabMode, KeyButMask,
    Keycode, ModMask, Window, WindowClass,
};
use x11rb::rust_connection::RustConnection;
use xkeysym::Keysym;

use super::keymap;
use crate::desktop::HotkeyError;
use crate::desktop::keysym;

/// A grabbed shortcut: what it is for, and the key and modifiers that press it.
struct Grab<T> {
    purpose: T,
    keysym: Keysym,
    mods: ModMask,
    keycode: Keycode,
    /// Held down: a key's auto-repeat must not fire it again.
    pressed: bool,
}

/// The shortcuts grabbed on one X connection; released when dropped.
pub struct Grabber<T> {
    conn: Arc<RustConnection>,
    root: Window,
    /// A window only this connection knows: a message to it ends the listening thread.
    wake: Window,
    grabs: Arc<Mutex<Vec<Grab<T>>>>,
    listener: Option<JoinHandle<()>>,
}

/// Lock keys (NumLock, CapsLock) are modifiers to X: each grab is made with and without them.
fn locks() -> [ModMask; 4] {
    [ModMask::from(0u16), ModMask::M2, ModMask::LOCK, ModMask::M2 | ModMask::LOCK]
}

impl<T: Copy + Send + 'static> Grabber<T> {
    /// Connects to `display` (`$DISPLAY` when `None`) and starts listening; `on_press` runs
    /// on the listening thread with the purpose of each shortcut pressed.
    pub fn connect(
        display: Option<&str>,
        on_press: impl Fn(T) + Send + 'static,
    ) -> Result<Self, HotkeyError> {
        let refused = |e: &dyn std::fmt::Display| HotkeyError::Refused(e.to_string());
        let (conn, screen) = x11rb::connect(display).map_err(|e| refused(&e))?;
        let conn = Arc::new(conn);
        let root = conn.setup().roots[screen].root;
        let wake = prepare(&conn, root).map_err(|e| refused(&e))?;
        let grabs = Arc::new(Mutex::new(Vec::new()));
        let listener = std::thread::Builder::new()
            .name("hotkeys".into())
            .spawn({
                let (conn, grabs) = (conn.clone(), grabs.clone());
                move || listen(&conn, root, wake, &grabs, on_press)
            })
            .map_err(|e| refused(&e))?;
        Ok(Self { conn, root, wake, grabs, listener: Some(listener) })
    }

    /// Grabs `hotkey` for `purpose`, alongside what is grabbed already.
    pub fn grab(&self, purpose: T, hotkey: HotKey) -> Result<(), HotkeyError> {
        let keysym =
            keysym::of(hotkey.key).ok_or_else(|| HotkeyError::NoSuchKey(hotkey.key.to_string()))?;
        let mods = modifiers(hotkey.mods);
        let keycodes =
            keymap::keycodes(&self.conn).map_err(|e| HotkeyError::Refused(e.to_string()))?;
        let keycode =
            *keycodes.get(&keysym).ok_or_else(|| HotkeyError::NoSuchKey(hotkey.key.to_string()))?;
        grab_key(&self.conn, self.root, keycode, mods)?;
        let grab = Grab { purpose, keysym, mods, keycode, pressed: false };
        self.grabs.lock().unwrap_or_else(PoisonError::into_inner).push(grab);
        Ok(())
    }
}

impl<T> Grabber<T> {
    /// Releases every shortcut this grabber holds.
    pub fn release_all(&self) {
        let mut grabs = self.grabs.lock().unwrap_or_else(PoisonError::into_inner);
        for grab in grabs.drain(..) {
            ungrab_key(&self.conn, self.root, grab.keycode, grab.mods);
        }
        let _ = self.conn.flush();
    }
}

impl<T> Drop for Grabber<T> {
    fn drop(&mut self) {
        self.release_all();
        // An empty event mask sends the message to the window's creator: our listener.
        let stop = ClientMessageEvent::new(32, self.wake, 0u32, [0u32; 5]);
        let _ = self.conn.send_event(false, self.wake, EventMask::NO_EVENT, stop);
        let _ = self.conn.flush();
        if let Some(listener) = self.listener.take() {
            let _ = listener.join();
        }
    }
}

/// Asks the server to report held keys' repeats as presses alone, not press-release pairs,
/// so that a held shortcut is told apart from one pressed again, and to say when the layout
/// changes; returns the window that wakes the listener.
fn prepare(conn: &RustConnection, root: Window) -> Result<Window, ReplyOrIdError> {
    let repeat = xkb::PerClientFlag::DETECTABLE_AUTO_REPEAT;
    conn.xkb_use_extension(1, 0)?.reply()?;
    let none = Default::default();
    conn.xkb_per_client_flags(xkb::ID::USE_CORE_KBD.into(), repeat, repeat, none, none, none)?
        .reply()?;
    // A client of XKB hears of a new layout through XKB's own event, not the core one.
    let keys = xkb::MapPart::KEY_SYMS;
    let layouts = xkb::EventType::MAP_NOTIFY;
    let details = xkb::SelectEventsAux::new();
    let device = xkb::ID::USE_CORE_KBD.into();
    conn.xkb_select_events(device, 0u16.into(), layouts, keys, keys, &details)?.check()?;
    let wake = conn.generate_id()?;
    let aux = CreateWindowAux::new();
    conn.create_window(0, wake, root, 0, 0, 1, 1, 0, WindowClass::INPUT_ONLY, 0, &aux)?.check()?;
    Ok(wake)
}

/// Blocks on the connection until the grabber is dropped or the X server goes away.
fn listen<T: Copy>(
    conn: &RustConnection,
    root: Window,
    wake: Window,
    grabs: &Mutex<Vec<Grab<T>>>,
    on_press: impl Fn(T),
) {
    let chord = KeyButMask::CONTROL | KeyButMask::SHIFT | KeyButMask::MOD1 | KeyButMask::MOD4;
    loop {
        let event = match conn.wait_for_event() {
            Ok(event) => event,
            Err(e) => {
                tracing::warn!(error = %e, "the X connection for the global hotkeys closed; they no longer work");
                return;
            }
        };
        let mut grabs = grabs.lock().unwrap_or_else(PoisonError::into_inner);
        match event {
            Event::KeyPress(press) => {
                let mods = ModMask::from((press.state & chord).bits());
                let hit = grabs.iter_mut().find(|g| g.keycode == press.detail && g.mods == mods);
                if let Some(grab) = hit.filter(|g| !g.pressed) {
                    grab.pressed = true;
                    on_press(grab.purpose);
                }
            }
            Event::KeyRelease(release) => {
                grabs
                    .iter_mut()
                    .filter(|g| g.keycode == release.detail)
                    .for_each(|g| g.pressed = false);
            }
            Event::XkbMapNotify(_) => regrab(conn, root, &mut grabs),
            Event::ClientMessage(message) if message.window == wake => return,
            _ => {}
        }
    }
}

/// The keyboard's layout changed: each shortcut moves to the key that now types its keysym.
fn regrab<T>(conn: &RustConnection, root: Window, grabs: &mut [Grab<T>]) {
    let Ok(keycodes) = keymap::keycodes(conn) else { return };
    for grab in grabs.iter_mut() {
        let Some(&keycode) = keycodes.get(&grab.keysym) else { continue };
        if keycode == grab.keycode {
            continue;
        }
        ungrab_key(conn, root, grab.keycode, grab.mods);
        match grab_key(conn, root, keycode, grab.mods) {
            Ok(()) => grab.keycode = keycode,
            Err(e) => {
                tracing::warn!(error = %e, "a global hotkey was lost with the keyboard layout")
            }
        }
    }
}

/// Grabs `keycode` with `mods`, under every combination of lock keys, or none of them.
fn grab_key(
    conn: &RustConnection,
    root: Window,
    keycode: Keycode,
    mods: ModMask,
) -> Result<(), HotkeyError> {
    for lock in locks() {
        let refused = match conn.grab_key(
            false,
            root,
            mods | lock,
            keycode,
            GrabMode::ASYNC,
            GrabMode::ASYNC,
        ) {
            Ok(cookie) => cookie.check().err(),
            Err(e) => return Err(HotkeyError::Refused(e.to_string())),
        };
        if let Some(refused) = refused {
            ungrab_key(conn, root, keycode, mods);
            return Err(match refused {
                ReplyError::X11Error(e) if e.error_kind == x11rb::protocol::ErrorKind::Access => {
                    HotkeyError::Taken
                }
                other => HotkeyError::Refused(other.to_string()),
            });
        }
    }
    Ok(())
}

fn ungrab_key(conn: &RustConnection, root: Window, keycode: Keycode, mods: ModMask) {
    for lock in locks() {
        if let Ok(cookie) = conn.ungrab_key(keycode, root, mods | lock) {
            cookie.ignore_error();
        }
    }
}

fn modifiers(mods: Modifiers) -> ModMask {
    let mut mask = ModMask::from(0u16);
    for (modifier, bit) in [
        (Modifiers::SHIFT, ModMask::SHIFT),
        (Modifiers::CONTROL, ModMask::CONTROL),
        (Modifiers::ALT, ModMask::M1),
        (Modifiers::META, ModMask::M4),
    ] {
        if mods.contains(modifier) {
            mask |= bit;
        }
    }
    mask
}

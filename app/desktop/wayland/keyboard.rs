//! Keys typed into the window with the keyboard, through the virtual-keyboard protocol
//! (wlroots compositors). The keyboard brings its own small keymap, holding only the keys
//! a paste needs, so what it types does not depend on the user's layout.

use std::io::Write;
use std::os::fd::AsFd;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use wayland_client::EventQueue;
use wayland_client::protocol::{wl_keyboard::KeymapFormat, wl_seat::WlSeat};
use wayland_protocols_misc::zwp_virtual_keyboard_v1::client::{
    zwp_virtual_keyboard_manager_v1::ZwpVirtualKeyboardManagerV1,
    zwp_virtual_keyboard_v1::ZwpVirtualKeyboardV1,
};

use super::client;
use super::toplevels::Toplevels;
use crate::desktop::{DesktopError, Keys, PasteKeys, Target};

/// Evdev key codes (the XKB ones less 8), as the protocol's key events carry them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    LeftCtrl = 29,
    LeftShift = 42,
    V = 47,
    Left = 105,
    Insert = 110,
}

/// Modifier masks in the keymap below: XKB's real modifiers, Shift first and Control third.
const SHIFT: u32 = 1;
const CONTROL: u32 = 1 << 2;

/// The keymap the compositor hands the target while we type: the five keys above, at their
/// XKB codes (evdev + 8).
pub(super) const KEYMAP: &str = r#"xkb_keymap {
xkb_keycodes "promptdeck" {
    minimum = 8;
    maximum = 255;
    <LCTL> = 37;
    <LFSH> = 50;
    <AB04> = 55;
    <LEFT> = 113;
    <INS> = 118;
};
xkb_types "promptdeck" {
    type "ONE_LEVEL" { modifiers = none; level_name[Level1] = "Any"; };
    type "ALPHABETIC" {
        modifiers = Shift;
        map[Shift] = Level2;
        level_name[Level1] = "Base";
        level_name[Level2] = "Caps";
    };
};
xkb_compat "promptdeck" {
    interpret Any + AnyOf(all) { action = SetMods(modifiers = modMapMods, clearLocks); };
};
xkb_symbols "promptdeck" {
    key <LCTL> { type = "ONE_LEVEL", [ Control_L ] };
    key <LFSH> { type = "ONE_LEVEL", [ Shift_L ] };
    key <AB04> { type = "ALPHABETIC", [ v, V ] };
    key <LEFT> { type = "ONE_LEVEL", [ Left ] };
    key <INS> { type = "ONE_LEVEL", [ Insert ] };
    modifier_map Control { <LCTL> };
    modifier_map Shift { <LFSH> };
};
};
"#;

/// A virtual keyboard on the compositor's seat, with the window list that says where keys
/// go and which paste shortcut that window wants.
pub struct VirtualKeyboard {
    keyboard: ZwpVirtualKeyboardV1,
    queue: Mutex<EventQueue<Silent>>,
    toplevels: Arc<Toplevels>,
    started: Instant,
}

impl VirtualKeyboard {
    /// A virtual keyboard on a connection of its own, read by no other thread: a round
    /// trip on a connection another thread reads can wait for ever (seen: the window list's
    /// thread took the answer, and a paste hung).
    pub fn create(toplevels: Arc<Toplevels>) -> Result<Self, DesktopError> {
        let connection = client::connect()?;
        let (globals, mut queue) = client::registry::<Silent>(&connection)?;
        let qh = queue.handle();
        let manager: ZwpVirtualKeyboardManagerV1 = globals.bind(&qh, 1..=1, ()).map_err(|_| {
            DesktopError::Wayland(
                "offers no virtual keyboard (zwp_virtual_keyboard_v1), so keys cannot be typed \
                 into other apps"
                    .into(),
            )
        })?;
        let seat = client::seat(&globals, &qh)?;
        let keyboard = manager.create_virtual_keyboard(&seat, &qh, ());
        let keymap = keymap_file()?;
        let size = u32::try_from(KEYMAP.len() + 1).unwrap_or(u32::MAX);
        keyboard.keymap(KeymapFormat::XkbV1.into(), keymap.as_fd(), size);
        // A compositor that refuses the keyboard (a client it does not trust) ends the
        // connection here, not at the first paste.
        queue
            .roundtrip(&mut Silent)
            .map_err(|e| DesktopError::Wayland(format!("refused the virtual keyboard: {e}")))?;
        Ok(Self { keyboard, queue: Mutex::new(queue), toplevels, started: Instant::now() })
    }

    /// Presses `keys` together (the last is the one that types), then lets them go in turn.
    fn chord(&self, keys: &[Key]) -> Result<(), DesktopError> {
        let mut mods = 0;
        for &key in keys {
            self.key(key, true);
            mods |= modifier(key);
            self.keyboard.modifiers(mods, 0, 0, 0);
        }
        for &key in keys.iter().rev() {
            self.key(key, false);
            mods &= !modifier(key);
            self.keyboard.modifiers(mods, 0, 0, 0);
        }
        // A round trip, not a flush: the keys have reached the compositor when it returns.
        let mut queue = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
        queue
            .roundtrip(&mut Silent)
            .map(|_| ())
            .map_err(|e| DesktopError::Wayland(format!("stopped answering: {e}")))
    }

    fn key(&self, key: Key, pressed: bool) {
        let time = u32::try_from(self.started.elapsed().as_millis()).unwrap_or(u32::MAX);
        self.keyboard.key(time, key as u32, u32::from(pressed));
    }
}

fn modifier(key: Key) -> u32 {
    match key {
        Key::LeftCtrl => CONTROL,
        Key::LeftShift => SHIFT,
        Key::V | Key::Left | Key::Insert => 0,
    }
}

/// The keymap in an anonymous file the compositor maps, NUL-terminated as XKB text is sent.
fn keymap_file() -> Result<std::fs::File, DesktopError> {
    let failed = |e: std::io::Error| DesktopError::Wayland(format!("keymap not shared: {e}"));
    let fd = rustix::fs::memfd_create("promptdeck-keymap", rustix::fs::MemfdFlags::CLOEXEC)
        .map_err(|e| failed(e.into()))?;
    let mut file = std::fs::File::from(fd);
    file.write_all(KEYMAP.as_bytes()).and_then(|()| file.write_all(&[0])).map_err(failed)?;
    Ok(file)
}

impl Keys for VirtualKeyboard {
    fn paste_keys_for(&self, target: Target) -> PasteKeys {
        self.toplevels.app_id(target).map_or(PasteKeys::CtrlV, |id| PasteKeys::for_class(&id))
    }

    fn focus(&self, target: Target) -> Result<(), DesktopError> {
        self.toplevels.activate(target)?;
        crate::desktop::wait_for_focus(|| self.toplevels.is_activated(target));
        Ok(())
    }

    fn press_paste(&self, keys: PasteKeys) -> Result<(), DesktopError> {
        match keys {
            PasteKeys::CtrlV => self.chord(&[Key::LeftCtrl, Key::V]),
            PasteKeys::CtrlShiftV => self.chord(&[Key::LeftCtrl, Key::LeftShift, Key::V]),
            PasteKeys::ShiftInsert => self.chord(&[Key::LeftShift, Key::Insert]),
        }
    }

    fn press_left(&self, times: usize) -> Result<(), DesktopError> {
        for _ in 0..times {
            self.chord(&[Key::Left])?;
        }
        Ok(())
    }
}

/// The keyboard's queue hears nothing worth keeping.
struct Silent;

ignore_registry_events!(Silent);

wayland_client::delegate_noop!(Silent: ignore WlSeat);
wayland_client::delegate_noop!(Silent: ZwpVirtualKeyboardManagerV1);
wayland_client::delegate_noop!(Silent: ZwpVirtualKeyboardV1);

//! Paste keys through the XDG desktop portal's RemoteDesktop, as on GNOME and KDE Plasma,
//! whose compositors lend no virtual keyboard to clients: the real `xdg-desktop-portal`
//! frontend (Debian's 1.16) on a private bus relays between the app and a backend.
//! Stand-in, said plainly: the backend is this test's (a desktop's own would show its
//! dialog and type the keys into the focused window); it records what the app asks for and
//! each key it is sent.

#![cfg(all(unix, not(target_os = "macos")))]

mod support;

use std::collections::HashMap;
use std::os::unix::fs::PermissionsExt;
use std::sync::mpsc::{Receiver, channel};
use std::sync::{Arc, Mutex};

use promptdeck::desktop::freedesktop::portal::PortalError;
use promptdeck::desktop::freedesktop::remote_desktop::PortalKeyboard;
use promptdeck::desktop::{Event, Keys, PasteKeys};
use support::WAIT;
use support::bus::{SessionBus, StandInPortal};
use zbus::zvariant::{OwnedObjectPath, OwnedValue, Value};

const KEYBOARD: u32 = 1;
const POINTER: u32 = 2;
const CONTROL_L: i32 = 0xffe3;
const V: i32 = 0x76;
const LEFT: i32 = 0xff51;

#[derive(Default)]
struct Seen {
    /// SelectDevices' `types`, each time.
    selected: Vec<u32>,
    /// Each key sent: its keysym, and 1 pressed or 0 released.
    keys: Vec<(i32, u32)>,
}

struct Backend {
    seen: Arc<Mutex<Seen>>,
    /// The device types the desktop can lend.
    available: u32,
    /// Start's response: 0 lent, 1 cancelled by the user.
    response: u32,
}

type Answer = (u32, HashMap<String, OwnedValue>);

#[zbus::interface(name = "org.freedesktop.impl.portal.RemoteDesktop")]
impl Backend {
    fn create_session(
        &self,
        _handle: OwnedObjectPath,
        _session_handle: OwnedObjectPath,
        _app_id: String,
        _options: HashMap<String, OwnedValue>,
    ) -> Answer {
        (0, HashMap::new())
    }

    fn select_devices(
        &self,
        _handle: OwnedObjectPath,
        _session_handle: OwnedObjectPath,
        _app_id: String,
        options: HashMap<String, OwnedValue>,
    ) -> Answer {
        let types = options.get("types").and_then(|v| u32::try_from(v).ok()).unwrap_or(0);
        self.seen.lock().expect("lock").selected.push(types);
        (0, HashMap::new())
    }

    fn start(
        &self,
        _handle: OwnedObjectPath,
        _session_handle: OwnedObjectPath,
        _app_id: String,
        _parent_window: String,
        _options: HashMap<String, OwnedValue>,
    ) -> Answer {
        let mut results = HashMap::new();
        results.insert("devices".to_owned(), OwnedValue::from(KEYBOARD));
        let token = Value::from("grant-7f3a").try_to_owned().expect("a string");
        results.insert("restore_token".to_owned(), token);
        (self.response, results)
    }

    fn notify_keyboard_keysym(
        &self,
        _session_handle: OwnedObjectPath,
        _options: HashMap<String, OwnedValue>,
        keysym: i32,
        state: u32,
    ) {
        self.seen.lock().expect("lock").keys.push((keysym, state));
    }

    #[zbus(property)]
    fn available_device_types(&self) -> u32 {
        self.available
    }

    #[zbus(property)]
    fn version(&self) -> u32 {
        1
    }
}

struct Desktop {
    portal: StandInPortal,
    seen: Arc<Mutex<Seen>>,
    dir: tempfile::TempDir,
}

impl Desktop {
    fn start(available: u32, response: u32) -> Self {
        let seen = Arc::new(Mutex::new(Seen::default()));
        let served = Backend { seen: seen.clone(), available, response };
        let portal = StandInPortal::start("RemoteDesktop", served);
        Self { portal, seen, dir: tempfile::tempdir().expect("tempdir") }
    }

    fn grant_file(&self) -> std::path::PathBuf {
        self.dir.path().join("desktop-grant")
    }

    fn keyboard(&self) -> Result<(PortalKeyboard, Receiver<Event>), PortalError> {
        let (tx, rx) = channel();
        let events = Arc::new(move |event| {
            let _ = tx.send(event);
        });
        Ok((PortalKeyboard::on_bus(&self.portal.bus.address, events, self.grant_file())?, rx))
    }

    /// The keys the backend was sent, once there are `count`.
    fn keys(&self, count: usize) -> Vec<(i32, u32)> {
        support::eventually(&format!("{count} keys typed"), WAIT, || {
            let keys = self.seen.lock().expect("lock").keys.clone();
            (keys.len() >= count).then_some(keys)
        })
    }
}

#[test]
fn once_the_desktop_lends_its_keyboard_the_paste_and_the_caret_keys_reach_it() {
    let desktop = Desktop::start(KEYBOARD | POINTER, 0);
    let (keyboard, _events) = desktop.keyboard().expect("the portal lends a keyboard");
    // Until the desktop answers, a paste is refused (and left on the clipboard), not queued.
    support::eventually("the session started", WAIT, || {
        keyboard.press_paste(PasteKeys::CtrlV).ok()
    });
    assert_eq!(desktop.seen.lock().expect("lock").selected, [KEYBOARD], "the keyboard only");
    assert_eq!(desktop.keys(4), [(CONTROL_L, 1), (V, 1), (V, 0), (CONTROL_L, 0)]);
    keyboard.press_left(2).expect("typed");
    assert_eq!(desktop.keys(8)[4..], [(LEFT, 1), (LEFT, 0), (LEFT, 1), (LEFT, 0)]);

    let grant = desktop.grant_file();
    assert_eq!(std::fs::read_to_string(&grant).expect("the grant kept"), "grant-7f3a");
    let mode = std::fs::metadata(&grant).expect("there").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the desktop's grant is the user's only");
}

/// The user cancels the desktop's dialog: the app is told (it says so in `status` and the
/// settings window), and each paste says why it left the prompt on the clipboard.
#[test]
fn a_cancelled_dialog_is_told_to_the_app_and_paste_says_why_it_did_not_type() {
    let desktop = Desktop::start(KEYBOARD, 1);
    let (keyboard, events) = desktop.keyboard().expect("the portal lends a keyboard");
    assert_eq!(events.recv_timeout(WAIT), Ok(Event::PasteRefused { cancelled: true }));
    let refused = keyboard.press_paste(PasteKeys::CtrlV).expect_err("nothing typed");
    assert!(refused.to_string().contains("cancelled"), "{refused}");
    assert!(desktop.seen.lock().expect("lock").keys.is_empty());
    assert!(!desktop.grant_file().exists(), "no grant kept");
}

#[test]
fn a_desktop_that_lends_no_keyboard_or_has_no_portal_is_told_apart() {
    let desktop = Desktop::start(POINTER, 0);
    let none = desktop.keyboard().err().expect("a pointer only");
    assert!(matches!(none, PortalError::Unavailable { .. }), "{none}");

    let bus = SessionBus::without_activation();
    let grant = desktop.grant_file();
    let none = PortalKeyboard::on_bus(&bus.address, Arc::new(|_| {}), grant).err();
    assert!(matches!(none, Some(PortalError::Unavailable { .. })), "{none:?}");
}

//! Global hotkeys through the XDG desktop portal's GlobalShortcuts, as on KDE Plasma, GNOME
//! 48+ and Hyprland: the real `xdg-desktop-portal` frontend (Debian's 1.16) on a private bus
//! relays between the app and a backend. Stand-in, said plainly: the backend is this test's
//! (a desktop's own would show its dialog and listen to the keyboard); it records what the
//! app asks for and says when a shortcut is pressed.

#![cfg(all(unix, not(target_os = "macos")))]

mod support;

use std::collections::HashMap;
use std::sync::mpsc::{Receiver, channel};
use std::sync::{Arc, Mutex};

use promptdeck::desktop::freedesktop::global_shortcuts::{PortalError, PortalHotkeys};
use promptdeck::desktop::{Event, Shortcut, bind};
use support::WAIT;
use support::bus::{SessionBus, StandInPortal};
use zbus::object_server::SignalEmitter;
use zbus::zvariant::{ObjectPath, OwnedObjectPath, OwnedValue, Value};

/// What the backend was asked to bind, each time: (id, preferred trigger) pairs.
type Binds = Arc<Mutex<Vec<Vec<(String, String)>>>>;

struct Backend {
    binds: Binds,
    sessions: Arc<Mutex<Vec<OwnedObjectPath>>>,
    /// The response BindShortcuts gives: 0 bound, 1 cancelled by the user.
    response: u32,
}

#[zbus::interface(name = "org.freedesktop.impl.portal.GlobalShortcuts")]
impl Backend {
    fn create_session(
        &self,
        _handle: OwnedObjectPath,
        session_handle: OwnedObjectPath,
        _app_id: String,
        _options: HashMap<String, OwnedValue>,
    ) -> (u32, HashMap<String, OwnedValue>) {
        self.sessions.lock().expect("lock").push(session_handle);
        (0, HashMap::new())
    }

    fn bind_shortcuts(
        &self,
        _handle: OwnedObjectPath,
        _session_handle: OwnedObjectPath,
        shortcuts: Vec<(String, HashMap<String, OwnedValue>)>,
        _parent_window: String,
        _options: HashMap<String, OwnedValue>,
    ) -> (u32, HashMap<String, OwnedValue>) {
        let asked: Vec<(String, String)> = shortcuts
            .iter()
            .map(|(id, properties)| {
                let trigger = properties
                    .get("preferred_trigger")
                    .and_then(|v| String::try_from(v.clone()).ok())
                    .unwrap_or_default();
                (id.clone(), trigger)
            })
            .collect();
        self.binds.lock().expect("lock").push(asked);
        (self.response, HashMap::new())
    }

    fn list_shortcuts(
        &self,
        _handle: OwnedObjectPath,
        _session_handle: OwnedObjectPath,
    ) -> (u32, HashMap<String, OwnedValue>) {
        (0, HashMap::new())
    }

    #[zbus(property)]
    fn version(&self) -> u32 {
        1
    }

    #[zbus(signal)]
    async fn activated(
        emitter: &SignalEmitter<'_>,
        session_handle: ObjectPath<'_>,
        shortcut_id: &str,
        timestamp: u64,
        options: HashMap<&str, Value<'_>>,
    ) -> zbus::Result<()>;
}

struct Desktop {
    portal: StandInPortal,
    binds: Binds,
    sessions: Arc<Mutex<Vec<OwnedObjectPath>>>,
}

impl Desktop {
    fn start(response: u32) -> Self {
        let (binds, sessions) = (Binds::default(), Arc::new(Mutex::new(Vec::new())));
        let served = Backend { binds: binds.clone(), sessions: sessions.clone(), response };
        let portal = StandInPortal::start("GlobalShortcuts", served);
        Self { portal, binds, sessions }
    }

    fn hotkeys(&self) -> Result<(PortalHotkeys, Receiver<Event>), PortalError> {
        let (tx, rx) = channel();
        let events = Arc::new(move |event| {
            let _ = tx.send(event);
        });
        Ok((PortalHotkeys::on_bus(&self.portal.bus.address, events)?, rx))
    }

    /// The desktop says `id` was pressed in the app's session.
    fn press(&self, id: &str) {
        let session = self.sessions.lock().expect("lock").last().cloned().expect("a session");
        let server = self.portal.backend.object_server();
        let iface = server.interface::<_, Backend>(StandInPortal::PATH).expect("served");
        zbus::block_on(Backend::activated(
            iface.signal_emitter(),
            session.as_ref(),
            id,
            0,
            HashMap::new(),
        ))
        .expect("emitted");
    }
}

#[test]
fn the_portal_binds_both_hotkeys_and_each_press_reaches_the_app() {
    let desktop = Desktop::start(0);
    let (mut hotkeys, rx) = desktop.hotkeys().expect("the portal offers global shortcuts");
    let problems = bind(&mut hotkeys, "ctrl+shift+space", "super+alt+c");
    assert!(problems.is_empty(), "{problems:?}");
    let wanted = [
        ("palette".to_owned(), "CTRL+SHIFT+space".to_owned()),
        ("capture".to_owned(), "ALT+LOGO+c".to_owned()),
    ];
    let binds = support::eventually("both shortcuts asked for", WAIT, || {
        let binds = desktop.binds.lock().expect("lock").clone();
        (binds.last() == Some(&wanted.to_vec())).then_some(binds)
    });
    assert!(binds.len() <= 2, "asked at most once per shortcut: {binds:?}");

    desktop.press("capture");
    assert_eq!(rx.recv_timeout(WAIT), Ok(Event::Hotkey(Shortcut::Capture)));
    desktop.press("palette");
    assert_eq!(rx.recv_timeout(WAIT), Ok(Event::Hotkey(Shortcut::Palette)));
    desktop.press("something-else");
    desktop.press("palette");
    assert_eq!(rx.recv_timeout(WAIT), Ok(Event::Hotkey(Shortcut::Palette)), "unknown ids ignored");
}

/// The user cancels the desktop's dialog: the app is told, and says so (in `status` and the
/// settings window), instead of waiting for presses that will never come.
#[test]
fn a_cancelled_binding_is_told_to_the_app() {
    let desktop = Desktop::start(1);
    let (mut hotkeys, rx) = desktop.hotkeys().expect("the portal offers global shortcuts");
    assert!(bind(&mut hotkeys, "ctrl+shift+space", "ctrl+shift+c").is_empty());
    assert_eq!(rx.recv_timeout(WAIT), Ok(Event::HotkeysRefused { cancelled: true }));
}

#[test]
fn a_desktop_without_the_portal_is_told_apart_from_one_that_refuses() {
    let bus = SessionBus::without_activation();
    let events = Arc::new(|_| {});
    let none = PortalHotkeys::on_bus(&bus.address, events).err().expect("no portal here");
    assert!(matches!(none, PortalError::Unavailable { .. }), "{none}");
}

//! Global hotkeys through the XDG desktop portal's GlobalShortcuts (KDE Plasma 5.27+,
//! GNOME 48+, Hyprland): the app asks for its two shortcuts with the triggers it prefers,
//! the desktop binds them (asking the user, as it sees fit) and tells the app each time one
//! is pressed. Everything talks to the portal on a thread of its own: binding may wait on a
//! dialog the user has open, and the UI thread must never wait for that.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, mpsc};

use global_hotkey::hotkey::{HotKey, Modifiers};
use zbus::blocking::{Connection, Proxy};
use zbus::zvariant::{ObjectPath, OwnedObjectPath, OwnedValue, Value};

pub use super::portal::PortalError;
use super::portal::{self, PORTAL, PORTAL_PATH};
use crate::desktop::{Event, EventSink, HotkeyError, Hotkeys, Shortcut, keysym};

const GLOBAL_SHORTCUTS: &str = "org.freedesktop.portal.GlobalShortcuts";
const SERVICE: &str = "global shortcuts";

/// The portal's shortcuts: a session the thread opened, and the shortcuts asked for.
pub struct PortalHotkeys {
    wanted: Vec<(Shortcut, HotKey)>,
    asks: mpsc::Sender<Vec<(Shortcut, HotKey)>>,
}

impl PortalHotkeys {
    /// Opens a session with the portal on the session bus.
    pub fn start(events: EventSink) -> Result<Self, PortalError> {
        let (bus, _) = portal::connect(None, GLOBAL_SHORTCUTS, SERVICE)?;
        Self::on(bus, events)
    }

    /// The same on the bus at `address` (tests run a bus of their own).
    pub fn on_bus(address: &str, events: EventSink) -> Result<Self, PortalError> {
        let (bus, _) = portal::connect(Some(address), GLOBAL_SHORTCUTS, SERVICE)?;
        Self::on(bus, events)
    }

    fn on(bus: Connection, events: EventSink) -> Result<Self, PortalError> {
        let portal = Proxy::new(&bus, PORTAL, PORTAL_PATH, GLOBAL_SHORTCUTS)?;
        let session = Arc::new(OnceLock::new());
        let activated = portal.receive_signal("Activated")?;
        let ours = session.clone();
        let tell = events.clone();
        std::thread::Builder::new()
            .name("promptdeck-shortcuts".into())
            .spawn(move || {
                for signal in activated {
                    let Ok((from, id, _, _)) = signal.body().deserialize::<Activated>() else {
                        continue;
                    };
                    if ours.get() != Some(&from) {
                        continue;
                    }
                    match id.as_str() {
                        "palette" => events(Event::Hotkey(Shortcut::Palette)),
                        "capture" => events(Event::Hotkey(Shortcut::Capture)),
                        _ => {}
                    }
                }
            })
            .map_err(|e| PortalError::Refused(e.to_string()))?;
        let (asks, asked) = mpsc::channel::<Vec<(Shortcut, HotKey)>>();
        // The session and every binding wait on the portal's answers, which may wait on the
        // user: here, never on the UI thread.
        std::thread::Builder::new()
            .name("promptdeck-shortcuts-bind".into())
            .spawn(move || {
                let opened = portal::create_session(&bus, GLOBAL_SHORTCUTS).and_then(|path| {
                    session.set(path).map_err(|_| PortalError::Refused("a second session".into()))
                });
                if let Err(e) = opened {
                    tracing::warn!(error = %e, "the portal gave no session; no global hotkeys");
                    return;
                }
                let Some(session) = session.get() else { return };
                while let Ok(mut wanted) = asked.recv() {
                    // Only the latest wish matters: bind() asks once per shortcut in a row.
                    while let Ok(later) = asked.try_recv() {
                        wanted = later;
                    }
                    match bind_shortcuts(&bus, &portal, session, &wanted) {
                        Ok(bound) => tracing::info!(?bound, "the portal bound the hotkeys"),
                        Err(e) => {
                            tracing::warn!(error = %e, "the portal did not bind the hotkeys");
                            let cancelled = matches!(e, PortalError::Cancelled);
                            tell(Event::HotkeysRefused { cancelled });
                        }
                    }
                }
            })
            .map_err(|e| PortalError::Refused(e.to_string()))?;
        Ok(Self { wanted: Vec::new(), asks })
    }
}

/// The portal's Activated signal: the session, the shortcut's id, a timestamp, options.
type Activated = (OwnedObjectPath, String, u64, HashMap<String, OwnedValue>);

impl Hotkeys for PortalHotkeys {
    fn way(&self) -> &'static str {
        "portal"
    }

    /// Asks the portal for every shortcut wanted so far; the desktop answers later.
    fn grab(&mut self, shortcut: Shortcut, hotkey: HotKey) -> Result<(), HotkeyError> {
        trigger(hotkey).map_err(HotkeyError::NoSuchKey)?;
        self.wanted.retain(|(s, _)| *s != shortcut);
        self.wanted.push((shortcut, hotkey));
        self.asks
            .send(self.wanted.clone())
            .map_err(|_| HotkeyError::Refused("the portal's thread has stopped".into()))
    }

    fn release_all(&mut self) {
        self.wanted.clear();
    }
}

/// The XDG shortcuts specification's trigger for `hotkey`: "CTRL+SHIFT+space".
pub fn trigger(hotkey: HotKey) -> Result<String, String> {
    let key =
        keysym::of(hotkey.key).and_then(keysym::name).ok_or_else(|| hotkey.key.to_string())?;
    let mods = [
        (Modifiers::CONTROL, "CTRL"),
        (Modifiers::ALT, "ALT"),
        (Modifiers::SHIFT, "SHIFT"),
        (Modifiers::META, "LOGO"),
    ];
    let mut parts: Vec<&str> =
        mods.iter().filter(|(m, _)| hotkey.mods.intersects(*m)).map(|(_, n)| *n).collect();
    parts.push(key);
    Ok(parts.join("+"))
}

/// Binds `wanted`; returns the triggers the desktop chose, by shortcut id.
fn bind_shortcuts(
    bus: &Connection,
    portal: &Proxy<'_>,
    session: &OwnedObjectPath,
    wanted: &[(Shortcut, HotKey)],
) -> Result<Vec<(String, String)>, PortalError> {
    let shortcuts: Vec<(&str, HashMap<&str, Value<'_>>)> = wanted
        .iter()
        .filter_map(|(shortcut, hotkey)| {
            let (id, description) = match shortcut {
                Shortcut::Palette => ("palette", "Open the Promptdeck palette"),
                Shortcut::Capture => ("capture", "Save the selection as a prompt"),
            };
            let trigger = trigger(*hotkey).ok()?;
            let mut properties = HashMap::new();
            properties.insert("description", Value::from(description));
            properties.insert("preferred_trigger", Value::from(trigger));
            Some((id, properties))
        })
        .collect();
    let session = ObjectPath::from(session);
    let results = portal::request(bus, "BindShortcuts", |options| {
        portal.call_method("BindShortcuts", &(&session, shortcuts, "", options))
    })?;
    let bound = results
        .get("shortcuts")
        .and_then(|v| {
            <Vec<(String, HashMap<String, OwnedValue>)>>::try_from(v.try_clone().ok()?).ok()
        })
        .unwrap_or_default();
    Ok(bound
        .into_iter()
        .map(|(id, properties)| {
            let described = properties
                .get("trigger_description")
                .and_then(|v| String::try_from(v.clone()).ok())
                .unwrap_or_default();
            (id, described)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::trigger;

    #[test]
    fn triggers_are_written_as_the_shortcuts_specification_says() {
        let keys = |s: &str| s.parse().expect("a shortcut");
        assert_eq!(trigger(keys("ctrl+shift+space")), Ok("CTRL+SHIFT+space".into()));
        assert_eq!(trigger(keys("super+alt+p")), Ok("ALT+LOGO+p".into()));
    }
}

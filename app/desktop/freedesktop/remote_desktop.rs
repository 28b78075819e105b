//! Keys typed into the window with the keyboard through the XDG desktop portal's
//! RemoteDesktop, on desktops whose compositor lets no client type (GNOME, KDE Plasma). The
//! desktop asks the user once per session whether Promptdeck may control the keyboard; a
//! portal that keeps grants (RemoteDesktop version 2) hands back a restore token, kept
//! user-only in the profile, so the next start asks no more. The session opens on a thread
//! of its own: its dialog may stay open for as long as the user likes, and until it is
//! answered a paste is left on the clipboard, saying why.
//!
//! Keys go as keysyms, so the desktop types them on whatever layout is in force. Which
//! application has the keyboard these desktops do not tell a client: the paste shortcut is
//! Ctrl+V, the one most applications take.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use xkeysym::key;
use zbus::blocking::{Connection, Proxy};
use zbus::zvariant::{ObjectPath, OwnedObjectPath, Value};

use super::portal::{self, PORTAL, PORTAL_PATH, PortalError};
use crate::desktop::{DesktopError, Event, EventSink, Keys, PasteKeys, Target};

const REMOTE_DESKTOP: &str = "org.freedesktop.portal.RemoteDesktop";
const SERVICE: &str = "remote keyboard control";
/// The device types' bit for a keyboard.
const KEYBOARD: u32 = 1;
/// Asks the portal to keep the grant until the user revokes it.
const PERSIST_UNTIL_REVOKED: u32 = 2;
/// The longest restore token file read back: a portal's tokens are UUIDs.
const TOKEN_CAP: u64 = 4096;

/// Where the session is.
enum Session {
    /// The desktop's dialog is open, or the session is being made.
    Asking,
    Started(OwnedObjectPath),
    /// Refused, cancelled or closed: why, in words.
    Ended(String),
}

/// A keyboard lent by the desktop through its RemoteDesktop portal.
pub struct PortalKeyboard {
    portal: Proxy<'static>,
    session: Arc<Mutex<Session>>,
}

impl PortalKeyboard {
    /// Asks the session bus's portal for the keyboard; the grant (or its refusal, told
    /// through `events`) comes later. `token_file` keeps the portal's restore token.
    pub fn start(events: EventSink, token_file: PathBuf) -> Result<Self, PortalError> {
        Self::on(portal::connect(None, REMOTE_DESKTOP, SERVICE)?, events, token_file)
    }

    /// The same on the bus at `address` (tests run a bus of their own).
    pub fn on_bus(
        address: &str,
        events: EventSink,
        token_file: PathBuf,
    ) -> Result<Self, PortalError> {
        Self::on(portal::connect(Some(address), REMOTE_DESKTOP, SERVICE)?, events, token_file)
    }

    fn on(
        (bus, version): (Connection, u32),
        events: EventSink,
        token_file: PathBuf,
    ) -> Result<Self, PortalError> {
        let portal = Proxy::new(&bus, PORTAL, PORTAL_PATH, REMOTE_DESKTOP)?;
        let devices: u32 = portal.get_property("AvailableDeviceTypes")?;
        if devices & KEYBOARD == 0 {
            return Err(PortalError::Unavailable {
                service: SERVICE,
                why: "its remote desktop lends no keyboard".into(),
            });
        }
        let session = Arc::new(Mutex::new(Session::Asking));
        let ours = session.clone();
        std::thread::Builder::new()
            .name("promptdeck-remote-desktop".into())
            .spawn(move || {
                let started = open_session(&bus, version, &token_file);
                let mut session = ours.lock().unwrap_or_else(PoisonError::into_inner);
                *session = match started {
                    Ok(path) => {
                        tracing::info!("the desktop lent its keyboard through the portal");
                        Session::Started(path)
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "the desktop did not lend its keyboard");
                        let cancelled = matches!(e, PortalError::Cancelled);
                        events(Event::PasteRefused { cancelled });
                        Session::Ended(e.to_string())
                    }
                };
            })
            .map_err(|e| PortalError::Refused(e.to_string()))?;
        Ok(Self { portal, session })
    }

    /// Presses `keysyms` together (the last is the one that types), then lets them go in
    /// turn.
    fn chord(&self, keysyms: &[u32]) -> Result<(), DesktopError> {
        let session = match &*self.session.lock().unwrap_or_else(PoisonError::into_inner) {
            Session::Started(path) => path.clone(),
            Session::Asking => {
                return Err(DesktopError::Portal(
                    "the desktop has not yet answered whether Promptdeck may type (its dialog \
                     may be open)"
                        .into(),
                ));
            }
            Session::Ended(why) => {
                return Err(DesktopError::Portal(format!("the desktop lent no keyboard: {why}")));
            }
        };
        let presses = keysyms.iter().map(|k| (*k, true));
        let releases = keysyms.iter().rev().map(|k| (*k, false));
        for (keysym, pressed) in presses.chain(releases) {
            self.keysym(&session, keysym, pressed)?;
        }
        Ok(())
    }

    fn keysym(
        &self,
        session: &OwnedObjectPath,
        keysym: u32,
        pressed: bool,
    ) -> Result<(), DesktopError> {
        let keysym = i32::try_from(keysym).unwrap_or_default();
        let options: HashMap<&str, Value<'_>> = HashMap::new();
        self.portal
            .call_method(
                "NotifyKeyboardKeysym",
                &(ObjectPath::from(session), options, keysym, u32::from(pressed)),
            )
            .map(|_| ())
            .map_err(|e| {
                if matches!(e, zbus::Error::MethodError(..)) {
                    // The session was closed under us (the user stopped it from the desktop's
                    // own indicator): every later paste is left on the clipboard.
                    let why = format!("the session ended: {e}");
                    *self.session.lock().unwrap_or_else(PoisonError::into_inner) =
                        Session::Ended(why);
                }
                DesktopError::Portal(format!("a key was not typed: {e}"))
            })
    }
}

/// CreateSession, SelectDevices (the keyboard only, the grant kept, the last restore token
/// offered), Start: the session's path once the desktop lends the keyboard.
fn open_session(
    bus: &Connection,
    version: u32,
    token_file: &std::path::Path,
) -> Result<OwnedObjectPath, PortalError> {
    let session = portal::create_session(bus, REMOTE_DESKTOP)?;
    let portal = Proxy::new(bus, PORTAL, PORTAL_PATH, REMOTE_DESKTOP)?;
    let kept = read_token(token_file);
    portal::request(bus, "SelectDevices", |options| {
        let options = select_devices_options(options, version, kept);
        portal.call_method("SelectDevices", &(ObjectPath::from(&session), options))
    })?;
    let results = portal::request(bus, "Start", |options| {
        portal.call_method("Start", &(ObjectPath::from(&session), "", options))
    })?;
    let lent = results.get("devices").and_then(|v| u32::try_from(v).ok()).unwrap_or(0);
    if lent & KEYBOARD == 0 {
        return Err(PortalError::Refused("the desktop lent no keyboard".into()));
    }
    let token = results.get("restore_token").and_then(|v| String::try_from(v.clone()).ok());
    if let Some(token) = token
        && let Err(e) = crate::files::replace(token_file, token.as_bytes(), None)
    {
        tracing::warn!(error = %e, "the desktop's grant was not kept; it asks again next start");
    }
    Ok(session)
}

/// SelectDevices' options: the keyboard, and from version 2 the grant kept until revoked
/// and the token of the last one.
fn select_devices_options(
    mut options: HashMap<&'static str, Value<'static>>,
    version: u32,
    kept: Option<String>,
) -> HashMap<&'static str, Value<'static>> {
    options.insert("types", Value::from(KEYBOARD));
    if version >= 2 {
        options.insert("persist_mode", Value::from(PERSIST_UNTIL_REVOKED));
        if let Some(token) = kept {
            options.insert("restore_token", Value::from(token));
        }
    }
    options
}

/// The restore token kept last time, if its file holds one (a token is one line of text; a
/// file that is not is ignored, and the desktop asks again).
fn read_token(path: &std::path::Path) -> Option<String> {
    use std::io::Read;
    let mut text = String::new();
    std::fs::File::open(path).ok()?.take(TOKEN_CAP + 1).read_to_string(&mut text).ok()?;
    let token = text.trim();
    let one_word = !token.is_empty() && !token.contains(char::is_whitespace);
    (one_word && text.len() as u64 <= TOKEN_CAP).then(|| token.to_owned())
}

/// How long the compositor is given to hand the keyboard back after the palette closed.
const REFOCUS_SETTLE: std::time::Duration = std::time::Duration::from_millis(60);

impl Keys for PortalKeyboard {
    fn paste_keys_for(&self, _target: Target) -> PasteKeys {
        PasteKeys::CtrlV
    }

    /// The compositor gives the keyboard back to the window that had it when the palette
    /// closes; a client cannot name another's window here, nor learn when it has it: the
    /// keys wait a moment for the compositor.
    fn focus(&self, _target: Target) -> Result<(), DesktopError> {
        std::thread::sleep(REFOCUS_SETTLE);
        Ok(())
    }

    fn press_paste(&self, keys: PasteKeys) -> Result<(), DesktopError> {
        match keys {
            PasteKeys::CtrlV => self.chord(&[key::Control_L, key::v]),
            PasteKeys::CtrlShiftV => self.chord(&[key::Control_L, key::Shift_L, key::v]),
            PasteKeys::ShiftInsert => self.chord(&[key::Shift_L, key::Insert]),
        }
    }

    fn press_left(&self, times: usize) -> Result<(), DesktopError> {
        for _ in 0..times {
            self.chord(&[key::Left])?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::{read_token, select_devices_options};
    use zbus::zvariant::Value;

    #[test]
    fn a_grant_is_asked_to_be_kept_only_where_the_portal_keeps_grants() {
        let first = select_devices_options(HashMap::new(), 1, Some("t".into()));
        assert_eq!(first.get("types"), Some(&Value::from(1u32)));
        assert!(!first.contains_key("persist_mode") && !first.contains_key("restore_token"));
        let second = select_devices_options(HashMap::new(), 2, Some("t".into()));
        assert_eq!(second.get("persist_mode"), Some(&Value::from(2u32)));
        assert_eq!(second.get("restore_token"), Some(&Value::from("t")));
        assert!(!select_devices_options(HashMap::new(), 2, None).contains_key("restore_token"));
    }

    #[test]
    fn only_a_token_s_line_is_read_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("token");
        assert_eq!(read_token(&path), None, "none kept");
        std::fs::write(&path, "3b1c-9f\n").expect("written");
        assert_eq!(read_token(&path).as_deref(), Some("3b1c-9f"));
        std::fs::write(&path, "two words").expect("written");
        assert_eq!(read_token(&path), None);
        std::fs::write(&path, "x".repeat(10_000)).expect("written");
        assert_eq!(read_token(&path), None, "a file longer than any token is refused");
    }
}

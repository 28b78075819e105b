//! What every XDG desktop portal conversation shares: the portal on the session bus, the
//! request whose `Response` signal carries a call's results (which may wait on a dialog the
//! user has open), and the session a portal hands out. Used from threads of their own,
//! never from the UI thread, except for [`connect`]'s few quick calls.

use std::collections::HashMap;
use std::time::Duration;

use zbus::blocking::{Connection, Proxy};
use zbus::zvariant::{OwnedObjectPath, OwnedValue, Value};

pub const PORTAL: &str = "org.freedesktop.portal.Desktop";
pub const PORTAL_PATH: &str = "/org/freedesktop/portal/desktop";
const REQUEST: &str = "org.freedesktop.portal.Request";
/// The longest a portal call may take to answer (not its dialog: its reply comes later).
const CALL_TIMEOUT: Duration = Duration::from_secs(5);

/// Why a portal's service cannot be had.
#[derive(Debug, thiserror::Error)]
pub enum PortalError {
    #[error("no desktop portal offers {service}: {why}")]
    Unavailable { service: &'static str, why: String },
    #[error("the portal refused: {0}")]
    Refused(String),
    #[error("the request was cancelled")]
    Cancelled,
}

impl From<zbus::Error> for PortalError {
    fn from(e: zbus::Error) -> Self {
        PortalError::Refused(e.to_string())
    }
}

/// A connection to the session bus, or to the bus at `address` (tests run one of their
/// own), on which `interface` is offered: it is there only when a backend of this desktop
/// implements it, and says its version. `service` names it for the user.
pub fn connect(
    address: Option<&str>,
    interface: &'static str,
    service: &'static str,
) -> Result<(Connection, u32), PortalError> {
    let unavailable = |why: String| PortalError::Unavailable { service, why };
    let builder = match address {
        Some(address) => zbus::blocking::connection::Builder::address(address),
        None => zbus::blocking::connection::Builder::session(),
    };
    let bus = builder
        .and_then(|b| b.method_timeout(CALL_TIMEOUT).build())
        .map_err(|e| unavailable(e.to_string()))?;
    let version = Proxy::new(&bus, PORTAL, PORTAL_PATH, interface)
        .and_then(|portal| portal.get_property::<u32>("version"))
        .map_err(|e| unavailable(e.to_string()))?;
    Ok((bus, version))
}

/// A token for a request's or a session's path, new each time.
fn token() -> String {
    format!("promptdeck{}", ulid::Ulid::new().to_string().to_lowercase())
}

/// Calls `method` through `call` with `options` (a `handle_token` added), and waits for the
/// request's response: the portal's results, or why there are none.
pub fn request(
    bus: &Connection,
    method: &str,
    call: impl FnOnce(HashMap<&'static str, Value<'static>>) -> zbus::Result<zbus::message::Message>,
) -> Result<HashMap<String, OwnedValue>, PortalError> {
    let token = token();
    // The request's path is known before the call, so its response cannot be missed.
    let sender = bus.unique_name().map(|n| n.trim_start_matches(':').replace('.', "_"));
    let path = format!("{PORTAL_PATH}/request/{}/{token}", sender.unwrap_or_default());
    let request = Proxy::new(bus, PORTAL, path.as_str(), REQUEST)?;
    let mut responses = request.receive_signal("Response")?;
    let mut options = HashMap::new();
    options.insert("handle_token", Value::from(token.clone()));
    call(options).map_err(|e| PortalError::Refused(format!("{method}: {e}")))?;
    let response =
        responses.next().ok_or_else(|| PortalError::Refused(format!("{method}: no response")))?;
    let (code, results) = response
        .body()
        .deserialize::<(u32, HashMap<String, OwnedValue>)>()
        .map_err(|e| PortalError::Refused(format!("{method}: {e}")))?;
    match code {
        0 => Ok(results),
        1 => Err(PortalError::Cancelled),
        _ => Err(PortalError::Refused(format!("{method} failed"))),
    }
}

/// Opens a session with `interface`'s portal.
pub fn create_session(bus: &Connection, interface: &str) -> Result<OwnedObjectPath, PortalError> {
    let portal = Proxy::new(bus, PORTAL, PORTAL_PATH, interface)?;
    let session_token = token();
    let results = request(bus, "CreateSession", |mut options| {
        options.insert("session_handle_token", Value::from(session_token));
        portal.call_method("CreateSession", &(options,))
    })?;
    let handle = results
        .get("session_handle")
        .and_then(|v| String::try_from(v.clone()).ok())
        .ok_or_else(|| PortalError::Refused("CreateSession gave no session".into()))?;
    OwnedObjectPath::try_from(handle).map_err(|e| PortalError::Refused(e.to_string()))
}

//! What every Linux desktop shares, whatever its window system: the tray as a
//! StatusNotifierItem and notifications on the session bus, the colour scheme from the XDG
//! desktop portal, and autostart as an XDG autostart entry.

pub mod appearance;
pub mod entries;
pub mod global_shortcuts;
pub mod notify;
pub mod portal;
pub mod remote_desktop;

use super::EventSink;
use super::tray::{self, TrayIconTray};

const WATCHER: &str = "org.kde.StatusNotifierWatcher";

/// The tray icon, where a StatusNotifier host is there to show it; else one log line says
/// why there is none.
pub fn tray(events: EventSink) -> Option<TrayIconTray> {
    match tray_host_present() {
        Ok(()) => tray::start(events),
        Err(reason) => {
            tracing::warn!(%reason, "no system tray on this desktop; running without a tray icon");
            None
        }
    }
}

/// Whether a StatusNotifier host is there to show the icon.
fn tray_host_present() -> Result<(), String> {
    let connection =
        zbus::blocking::Connection::session().map_err(|e| format!("no D-Bus session: {e}"))?;
    let dbus = zbus::blocking::fdo::DBusProxy::new(&connection).map_err(|e| e.to_string())?;
    let name = zbus::names::BusName::try_from(WATCHER).map_err(|e| e.to_string())?;
    match dbus.name_has_owner(name) {
        Ok(true) => Ok(()),
        Ok(false) => Err(format!("no {WATCHER} on the session bus")),
        Err(e) => Err(e.to_string()),
    }
}

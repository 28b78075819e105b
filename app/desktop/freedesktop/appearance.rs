//! The desktop's light or dark preference, from the XDG desktop portal's Settings
//! (`org.freedesktop.appearance` `color-scheme`), followed as it changes. Without a portal
//! (no session bus, a desktop without one) there is no preference and the dark theme is used.

use iced::futures::Stream;
use tokio::sync::mpsc;
use zbus::zvariant::{OwnedValue, Value};

use crate::desktop::ColorScheme;

const PORTAL: &str = "org.freedesktop.portal.Desktop";
const PORTAL_PATH: &str = "/org/freedesktop/portal/desktop";
const SETTINGS: &str = "org.freedesktop.portal.Settings";
const NAMESPACE: &str = "org.freedesktop.appearance";
const KEY: &str = "color-scheme";

/// The portal's number (1 prefers dark, 2 light, anything else none), however many
/// variants deep it comes.
fn from_portal(value: &Value<'_>) -> ColorScheme {
    match value {
        Value::Value(inner) => from_portal(inner),
        Value::U32(1) => ColorScheme::Dark,
        Value::U32(2) => ColorScheme::Light,
        _ => ColorScheme::NoPreference,
    }
}

/// The preference now, then each change, for as long as the portal is there.
pub fn color_schemes() -> impl Stream<Item = ColorScheme> {
    // zbus's blocking API on a thread of its own: the signal iterator blocks.
    crate::desktop::followed_on_a_thread("promptdeck-appearance", |tx| {
        if let Err(e) = follow(&tx) {
            tracing::info!(error = %e, "no desktop portal tells the color scheme; \"system\" is dark");
        }
    })
}

fn follow(tx: &mpsc::UnboundedSender<ColorScheme>) -> zbus::Result<()> {
    let bus = zbus::blocking::Connection::session()?;
    let settings = zbus::blocking::Proxy::new(&bus, PORTAL, PORTAL_PATH, SETTINGS)?;
    // Subscribe before reading, so a change between the two is not missed.
    let changes = settings.receive_signal("SettingChanged")?;
    if tx.send(read(&settings)?).is_err() {
        return Ok(());
    }
    for signal in changes {
        let (namespace, key, value): (String, String, OwnedValue) = signal.body().deserialize()?;
        if namespace != NAMESPACE || key != KEY {
            continue;
        }
        if tx.send(from_portal(&value)).is_err() {
            break;
        }
    }
    Ok(())
}

/// `ReadOne` (portal version 2), else the older `Read`, whose answer is wrapped once more.
fn read(settings: &zbus::blocking::Proxy<'_>) -> zbus::Result<ColorScheme> {
    let value: OwnedValue = match settings.call("ReadOne", &(NAMESPACE, KEY)) {
        Ok(value) => value,
        Err(_) => settings.call("Read", &(NAMESPACE, KEY))?,
    };
    Ok(from_portal(&value))
}

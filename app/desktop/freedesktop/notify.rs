//! Desktop notifications (org.freedesktop.Notifications on the session bus). Where the
//! desktop has no notification service, nothing is shown and nothing fails.

use std::collections::HashMap;

use zbus::zvariant::Value;

use crate::desktop::{NOT_PASTED, Notifier};

/// How long a notification stays, in milliseconds.
const SHOWN_FOR_MS: i32 = 4000;

/// The desktop's notification service.
pub struct Notifications;

impl Notifier for Notifications {
    fn saved(&self, title: &str) {
        if let Err(e) = show(&format!("Saved: {title}"), "") {
            tracing::debug!(error = %e, "no notification shown");
        }
    }

    fn not_pasted(&self, notice: &str) {
        if let Err(e) = show(NOT_PASTED, notice) {
            tracing::debug!(error = %e, "no notification shown");
        }
    }
}

fn show(summary: &str, body: &str) -> zbus::Result<()> {
    let bus = zbus::blocking::Connection::session()?;
    let service = zbus::blocking::Proxy::new(
        &bus,
        "org.freedesktop.Notifications",
        "/org/freedesktop/Notifications",
        "org.freedesktop.Notifications",
    )?;
    let hints: HashMap<&str, Value<'_>> = HashMap::new();
    let actions: Vec<&str> = Vec::new();
    let _id: u32 = service.call(
        "Notify",
        &("Promptdeck", 0u32, "promptdeck", summary, body, actions, hints, SHOWN_FOR_MS),
    )?;
    Ok(())
}

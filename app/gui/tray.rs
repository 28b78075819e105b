//! The tray icon: a dot coloured by the runtime's state, a tooltip with counts, and the
//! menu. On a desktop without a StatusNotifier host the app runs on without it.

use promptdeck_actors::RuntimeStatus;
use promptdeck_views::Account;
use tokio::sync::mpsc::UnboundedSender;
use tray_icon::menu::{Menu, MenuEvent, MenuId, MenuItem, PredefinedMenuItem};
use tray_icon::{Icon, TrayIcon, TrayIconBuilder};

use super::status;
use crate::control::UiCommand;

const WATCHER: &str = "org.kde.StatusNotifierWatcher";
const ICON_SIZE: u32 = 32;

pub struct Tray {
    icon: TrayIcon,
    shown: Option<[u8; 3]>,
    /// Sign in, cancel, or sign out, labelled for the account's state.
    account: MenuItem,
}

/// Creates the tray icon, or says in one log line why there is none.
pub fn start(ui: UnboundedSender<UiCommand>, syncing: bool) -> Option<Tray> {
    if let Err(reason) = tray_host_present() {
        tracing::warn!(%reason, "no system tray on this desktop; running without a tray icon");
        return None;
    }
    let menu = Menu::new();
    let items = [
        ("open-palette", "Open palette", true),
        ("open-library", "Open library", true),
        ("capture", "Capture clipboard", true),
        if syncing {
            ("sync", "Sync now", true)
        } else {
            ("sync", "Sync now (no server configured)", false)
        },
    ];
    for (id, label, enabled) in items {
        let _ = menu.append(&MenuItem::with_id(id, label, enabled, None));
    }
    let account = MenuItem::with_id("account", "Sign in…", false, None);
    if syncing {
        let _ = menu.append(&account);
    }
    let _ = menu.append(&MenuItem::with_id("settings", "Settings…", true, None));
    let _ = menu.append(&PredefinedMenuItem::separator());
    let _ = menu.append(&MenuItem::with_id("quit", "Quit Promptdeck", true, None));
    MenuEvent::set_event_handler(Some(move |event: MenuEvent| {
        if let Some(command) = command_for(&event.id) {
            let _ = ui.send(command);
        }
    }));
    let built = TrayIconBuilder::new()
        .with_id("promptdeck")
        .with_title("Promptdeck")
        .with_tooltip("Promptdeck")
        .with_menu(Box::new(menu))
        .with_icon(dot_icon([128, 128, 128]))
        .build();
    match built {
        Ok(icon) => Some(Tray { icon, shown: None, account }),
        Err(e) => {
            tracing::warn!(error = %e, "the tray icon could not be created; running without one");
            None
        }
    }
}

fn command_for(id: &MenuId) -> Option<UiCommand> {
    Some(match id.as_ref() {
        "open-palette" => UiCommand::OpenPalette,
        "open-library" => UiCommand::OpenLibrary,
        "capture" => UiCommand::Capture(None),
        "sync" => UiCommand::SyncNow,
        "account" => UiCommand::Account,
        "settings" => UiCommand::OpenSettings,
        "quit" => UiCommand::Quit,
        _ => return None,
    })
}

impl Tray {
    pub fn show(&mut self, status: &RuntimeStatus) {
        let colour = status::colour(status);
        if self.shown != Some(colour) {
            let _ = self.icon.set_icon(Some(dot_icon(colour)));
            self.shown = Some(colour);
        }
        let tooltip = format!(
            "Promptdeck · {} · {}",
            status::indicator(status).label(),
            status::counts(status)
        );
        let _ = self.icon.set_tooltip(Some(tooltip));
        let (label, enabled) = match status::account(status) {
            Account::NotNeeded => ("No sign-in needed", false),
            Account::SignedOut => ("Sign in…", true),
            Account::SigningIn => ("Cancel signing in", true),
            Account::SignedIn => ("Sign out", true),
        };
        if self.account.text() != label {
            self.account.set_text(label);
            self.account.set_enabled(enabled);
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

/// A filled circle, anti-aliased at the edge.
fn dot_icon([r, g, b]: [u8; 3]) -> Icon {
    let size = ICON_SIZE as f32;
    let (centre, radius) = (size / 2.0, size / 2.0 - 2.0);
    let mut rgba = Vec::with_capacity((ICON_SIZE * ICON_SIZE * 4) as usize);
    for y in 0..ICON_SIZE {
        for x in 0..ICON_SIZE {
            let d = ((x as f32 + 0.5 - centre).powi(2) + (y as f32 + 0.5 - centre).powi(2)).sqrt();
            let alpha = ((radius - d + 0.5).clamp(0.0, 1.0) * 255.0) as u8;
            rgba.extend_from_slice(&[r, g, b, alpha]);
        }
    }
    Icon::from_rgba(rgba, ICON_SIZE, ICON_SIZE).expect("a square RGBA buffer of the stated size")
}

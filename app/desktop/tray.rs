//! The tray icon: a dot coloured by the runtime's state, a tooltip with counts, and the
//! menu. The same code on every system (tray-icon: a StatusNotifierItem on Linux, the
//! notification area on Windows, the menu bar on macOS); each backend says first whether
//! its desktop has a place to show it.

use tray_icon::menu::{Menu, MenuEvent, MenuId, MenuItem, PredefinedMenuItem};
use tray_icon::{Icon, TrayIcon, TrayIconBuilder};

use crate::desktop::{Event, EventSink, Tray, TrayItem, TrayState};

const ICON_SIZE: u32 = 32;

pub struct TrayIconTray {
    icon: TrayIcon,
    shown: Option<[u8; 3]>,
    /// "Sync now", enabled while a server is configured.
    sync: MenuItem,
    /// Sign in, cancel, or sign out, labelled for the account's state.
    account: MenuItem,
}

/// Creates the tray icon, or says in one log line why there is none. On Windows and macOS
/// call it on the UI thread: the icon's messages arrive through that thread's event loop.
pub fn start(events: EventSink) -> Option<TrayIconTray> {
    let menu = Menu::new();
    for (id, label) in [
        ("open-palette", "Open palette"),
        ("open-library", "Open library"),
        ("capture", "Capture clipboard"),
    ] {
        let _ = menu.append(&MenuItem::with_id(id, label, true, None));
    }
    // Labelled by the first `show`: sync and sign-in can come and go with the settings.
    let sync = MenuItem::with_id("sync", NO_SYNC, false, None);
    let account = MenuItem::with_id("account", "No sign-in needed", false, None);
    let _ = menu.append(&sync);
    let _ = menu.append(&account);
    let _ = menu.append(&MenuItem::with_id("settings", "Settings…", true, None));
    let _ = menu.append(&PredefinedMenuItem::separator());
    let _ = menu.append(&MenuItem::with_id("quit", "Quit Promptdeck", true, None));
    MenuEvent::set_event_handler(Some(move |event: MenuEvent| {
        if let Some(item) = item_for(&event.id) {
            events(Event::Tray(item));
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
        Ok(icon) => Some(TrayIconTray { icon, shown: None, sync, account }),
        Err(e) => {
            tracing::warn!(error = %e, "the tray icon could not be created; running without one");
            None
        }
    }
}

/// The sync item's label where there is no server.
const NO_SYNC: &str = "Sync now (no server configured)";

fn item_for(id: &MenuId) -> Option<TrayItem> {
    Some(match id.as_ref() {
        "open-palette" => TrayItem::OpenPalette,
        "open-library" => TrayItem::OpenLibrary,
        "capture" => TrayItem::Capture,
        "sync" => TrayItem::SyncNow,
        "account" => TrayItem::Account,
        "settings" => TrayItem::Settings,
        "quit" => TrayItem::Quit,
        _ => return None,
    })
}

impl TrayIconTray {
    /// The icon's window (an HWND), which its balloons are shown from.
    #[cfg(windows)]
    pub fn window(&self) -> isize {
        self.icon.window_handle() as isize
    }
}

impl Tray for TrayIconTray {
    fn show(&mut self, state: &TrayState) {
        if self.shown != Some(state.colour) {
            let _ = self.icon.set_icon(Some(dot_icon(state.colour)));
            self.shown = Some(state.colour);
        }
        let _ = self.icon.set_tooltip(Some(state.tooltip.clone()));
        let sync_label = if state.syncing { "Sync now" } else { NO_SYNC };
        if self.sync.text() != sync_label {
            self.sync.set_text(sync_label);
            self.sync.set_enabled(state.syncing);
        }
        if self.account.text() != state.account_label {
            self.account.set_text(state.account_label);
            self.account.set_enabled(state.account_enabled);
        }
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

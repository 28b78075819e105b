//! What the control socket, the tray and the hotkeys ask of the windows.

use promptdeck_actors::RequestError;
use tokio::sync::oneshot;

use crate::desktop::{CaptureError, Event, Shortcut, TrayItem};
use crate::settings::{DesktopSettings, SettingsError};

#[derive(Debug)]
pub enum UiCommand {
    /// Open the palette, or focus the one open.
    OpenPalette,
    /// Open the library window, or focus the one open.
    OpenLibrary,
    /// Capture the selection; the reply is the saved prompt's title or why nothing was saved.
    Capture(Option<oneshot::Sender<Result<String, CaptureFailed>>>),
    /// Run a sync round now (the tray's "Sync now").
    SyncNow,
    /// settings.toml changed: new hotkeys, paste method or theme.
    ApplySettings(DesktopSettings),
    /// The desktop did not bind the hotkeys: the problem, in words.
    HotkeysRefused(String),
    /// The desktop did not let the app type: why, in words.
    PasteRefused(String),
    /// Why the last edit of settings.toml was not applied (`None` once one is).
    SettingsProblem(Option<SettingsError>),
    /// Open the settings window, or focus the one open.
    OpenSettings,
    /// The tray's account item: sign in, cancel the sign-in, or sign out, as the state is.
    Account,
    Quit,
}

/// Why a capture saved nothing.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CaptureFailed {
    #[error(transparent)]
    Nothing(#[from] CaptureError),
    #[error("the capture was not saved: {0}")]
    NotSaved(#[from] RequestError),
}

impl From<Event> for UiCommand {
    fn from(event: Event) -> Self {
        match event {
            Event::Hotkey(Shortcut::Palette) | Event::Tray(TrayItem::OpenPalette) => {
                UiCommand::OpenPalette
            }
            Event::Hotkey(Shortcut::Capture) | Event::Tray(TrayItem::Capture) => {
                UiCommand::Capture(None)
            }
            Event::Tray(TrayItem::OpenLibrary) => UiCommand::OpenLibrary,
            Event::Tray(TrayItem::SyncNow) => UiCommand::SyncNow,
            Event::Tray(TrayItem::Account) => UiCommand::Account,
            Event::Tray(TrayItem::Settings) => UiCommand::OpenSettings,
            Event::Tray(TrayItem::Quit) => UiCommand::Quit,
            Event::HotkeysRefused { cancelled } => UiCommand::HotkeysRefused(format!(
                "the desktop did not bind the hotkeys ({}); `promptdeck palette` still opens \
                 the palette, and they are asked for again when the settings change",
                if cancelled { "cancelled" } else { "refused" }
            )),
            Event::PasteRefused { cancelled } => UiCommand::PasteRefused(format!(
                "the desktop did not let Promptdeck type into other apps ({}); it asks again \
                 at the next start",
                if cancelled { "cancelled" } else { "refused" }
            )),
        }
    }
}

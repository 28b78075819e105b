//! The settings window's side of the app: what its form starts with, and saving it
//! (checked first, then written to settings.toml, from where the watcher applies it).

use std::path::Path;

use global_hotkey::hotkey::HotKey;
use promptdeck_views::settings::Form;

use crate::cli::PasteMode;
use crate::desktop::{Autostart, DesktopError};
use crate::settings::{DesktopSettings, SettingsError};

/// Why the settings window's form was not saved.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SavingFailed {
    #[error("the {what} hotkey {keys:?} is not a shortcut ({reason}); nothing was saved")]
    NotAShortcut { what: &'static str, keys: String, reason: String },
    #[error("the two hotkeys are the same shortcut; nothing was saved")]
    SameShortcut,
    #[error("the server {0:?} must start with http:// or https://; nothing was saved")]
    NotAServer(String),
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error(transparent)]
    Autostart(#[from] DesktopError),
    #[error("the save was interrupted: {0}")]
    Interrupted(String),
}

/// The form as the app runs now; the server and space as the file has them.
pub fn form(running: &DesktopSettings, file: &Path, autostart: &dyn Autostart) -> Form {
    let saved = crate::settings::Settings::load(file).unwrap_or_default();
    Form {
        palette_hotkey: running.palette_hotkey.clone(),
        capture_hotkey: running.capture_hotkey.clone(),
        copy_only: running.paste == PasteMode::CopyOnly,
        theme: running.theme,
        launch_at_login: autostart.enabled(),
        server: saved.sync.server.unwrap_or_default(),
        space: saved.sync.space.unwrap_or_default(),
    }
}

/// Checks the form and writes it; says what happened, or why nothing was written.
pub fn save(file: &Path, form: &Form, autostart: &dyn Autostart) -> Result<String, SavingFailed> {
    for (what, keys) in [("palette", &form.palette_hotkey), ("capture", &form.capture_hotkey)] {
        keys.parse::<HotKey>().map_err(|e| SavingFailed::NotAShortcut {
            what,
            keys: keys.clone(),
            reason: e.to_string(),
        })?;
    }
    if form.palette_hotkey.trim() == form.capture_hotkey.trim() {
        return Err(SavingFailed::SameShortcut);
    }
    let server = form.server.trim();
    let web = server.starts_with("http://") || server.starts_with("https://");
    if !server.is_empty() && !web {
        return Err(SavingFailed::NotAServer(server.to_owned()));
    }
    crate::settings::save(file, form)?;
    if form.launch_at_login != autostart.enabled() {
        autostart.set(form.launch_at_login)?;
    }
    Ok(format!("Saved to {}; applied.", file.display()))
}

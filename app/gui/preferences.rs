//! The settings window's side of the app: what its form starts with, and saving it
//! (checked first, then written to settings.toml, from where the watcher applies it).

use std::path::Path;

use global_hotkey::hotkey::HotKey;
use promptdeck_views::settings::Form;

use super::Settings;
use crate::cli::PasteMode;

/// The form as the app runs now; the server and space as the file has them.
pub fn form(running: &Settings, file: &Path) -> Form {
    let saved = crate::settings::Settings::load(file).unwrap_or_default();
    Form {
        palette_hotkey: running.palette_hotkey.clone(),
        capture_hotkey: running.capture_hotkey.clone(),
        copy_only: running.paste == PasteMode::CopyOnly,
        theme: running.theme,
        launch_at_login: crate::install::starts_at_login(),
        server: saved.sync.server.unwrap_or_default(),
        space: saved.sync.space.unwrap_or_default(),
    }
}

/// Checks the form and writes it; says what happened, or why nothing was written.
pub fn save(file: &Path, form: &Form) -> Result<String, String> {
    for (what, keys) in [("palette", &form.palette_hotkey), ("capture", &form.capture_hotkey)] {
        keys.parse::<HotKey>().map_err(|e| {
            format!("the {what} hotkey {keys:?} is not a shortcut ({e}); nothing was saved")
        })?;
    }
    if form.palette_hotkey.trim() == form.capture_hotkey.trim() {
        return Err("the two hotkeys are the same shortcut; nothing was saved".into());
    }
    let server = form.server.trim();
    let web = server.starts_with("http://") || server.starts_with("https://");
    if !server.is_empty() && !web {
        return Err(format!(
            "the server {server:?} must start with http:// or https://; nothing was saved"
        ));
    }
    crate::settings::save(file, form)?;
    if form.launch_at_login != crate::install::starts_at_login() {
        crate::install::set_start_at_login(form.launch_at_login)?;
    }
    Ok(format!("Saved to {}; applied.", file.display()))
}

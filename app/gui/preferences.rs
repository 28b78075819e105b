//! The settings window's side of the app: what its form starts with, and saving it
//! (checked first, then written to settings.toml, from where the watcher applies it).

use std::path::Path;

use global_hotkey::hotkey::HotKey;
use promptdeck_views::settings::Form;

use crate::desktop::{Autostart, DesktopError};
use crate::settings::{DesktopSettings, SettingsError};
use promptdeck_client::cli::PasteMode;

/// Why the settings window's form was not saved.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SavingFailed {
    #[error("the {what} hotkey {keys:?} is not a shortcut ({reason}); nothing was saved")]
    NotAShortcut { what: &'static str, keys: String, reason: String },
    #[error("the two hotkeys are the same shortcut; nothing was saved")]
    SameShortcut,
    #[error("the server {0:?} must start with http:// or https://; nothing was saved")]
    NotAServer(String),
    #[error("{0}; nothing was saved")]
    Unencrypted(#[from] promptdeck_actors::Unencrypted),
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
        learn: running.learn,
        remember_search: running.remember_search.as_secs(),
        launch_at_login: autostart.enabled(),
        server: saved.sync.server.unwrap_or_default(),
        space: saved.sync.space.unwrap_or_default(),
        allow_unencrypted_http: saved.sync.allow_unencrypted_http.unwrap_or(false),
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
    // Plain HTTP to another machine only where the user chose to accept it, as the app
    // would refuse it on applying.
    if !server.is_empty() {
        promptdeck_actors::check_encrypted(server, form.allow_unencrypted_http)?;
    }
    crate::settings::save(file, form)?;
    if form.launch_at_login != autostart.enabled() {
        autostart.set(form.launch_at_login)?;
    }
    Ok(format!("Saved to {}; applied.", file.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct NoAutostart;

    impl Autostart for NoAutostart {
        fn enabled(&self) -> bool {
            false
        }
        fn set(&self, _: bool) -> Result<(), DesktopError> {
            Ok(())
        }
    }

    fn form(server: &str) -> Form {
        Form {
            palette_hotkey: "ctrl+shift+space".into(),
            capture_hotkey: "ctrl+shift+c".into(),
            server: server.into(),
            ..Form::default()
        }
    }

    #[test]
    fn a_server_in_plain_http_elsewhere_is_not_saved_unless_the_form_accepts_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("settings.toml");
        let refused = save(&file, &form("http://sync.example.com"), &NoAutostart);
        assert!(matches!(refused, Err(SavingFailed::Unencrypted(_))), "{refused:?}");
        assert!(!file.exists(), "nothing was written");
        for fine in ["https://sync.example.com", "http://127.0.0.1:8787"] {
            save(&file, &form(fine), &NoAutostart).expect(fine);
        }
        let accepting = Form { allow_unencrypted_http: true, ..form("http://sync.example.com") };
        save(&file, &accepting, &NoAutostart).expect("accepted");
        let saved = crate::settings::Settings::load(&file).expect("readable");
        assert_eq!(saved.sync.server.as_deref(), Some("http://sync.example.com"));
        assert_eq!(saved.sync.allow_unencrypted_http, Some(true), "kept, so it applies");
        save(&file, &form("https://sync.example.com"), &NoAutostart).expect("saved");
        let saved = crate::settings::Settings::load(&file).expect("readable");
        assert_eq!(saved.sync.allow_unencrypted_http, None, "taken back");
    }
}

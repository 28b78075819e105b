//! The two global shortcuts, as the user writes them ("ctrl+shift+space"): parsed, checked
//! against each other, and handed to the backend's [`Hotkeys`]. A shortcut another
//! application holds is reported, and the rest keeps working.

use global_hotkey::hotkey::HotKey;

use super::Hotkeys;

/// What a global shortcut does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shortcut {
    Palette,
    Capture,
}

impl Shortcut {
    fn name(self) -> &'static str {
        match self {
            Shortcut::Palette => "palette",
            Shortcut::Capture => "capture",
        }
    }
}

/// Why a backend could not hold a shortcut.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HotkeyError {
    #[error("another application holds it")]
    Taken,
    #[error("no key on this keyboard types {0}")]
    NoSuchKey(String),
    #[error("the window system refused it: {0}")]
    Refused(String),
}

/// Registers `palette` and `capture` in place of what `hotkeys` held. Returns what could
/// not be registered, and why, in words for the settings window and `status`.
pub fn bind(hotkeys: &mut dyn Hotkeys, palette: &str, capture: &str) -> Vec<String> {
    hotkeys.release_all();
    let mut problems = Vec::new();
    let palette_key = register(hotkeys, Shortcut::Palette, palette, &mut problems);
    if palette_key.is_some() && capture.parse::<HotKey>().ok() == palette_key {
        let problem = format!(
            "the palette and capture hotkeys are the same shortcut ({capture}); capture has none"
        );
        tracing::error!("{problem}; set another in settings.toml [hotkeys]");
        problems.push(problem);
    } else {
        register(hotkeys, Shortcut::Capture, capture, &mut problems);
    }
    problems
}

fn register(
    hotkeys: &mut dyn Hotkeys,
    shortcut: Shortcut,
    keys: &str,
    problems: &mut Vec<String>,
) -> Option<HotKey> {
    let what = shortcut.name();
    let hotkey: HotKey = match keys.parse() {
        Ok(hotkey) => hotkey,
        Err(e) => {
            let problem = format!("the {what} hotkey {keys:?} is not a shortcut: {e}");
            tracing::error!(
                "{problem}; set another in settings.toml [hotkeys] or with --{what}-hotkey"
            );
            problems.push(problem);
            return None;
        }
    };
    let problem = match hotkeys.grab(shortcut, hotkey) {
        Ok(()) => {
            tracing::info!(keys, "{what} hotkey registered");
            return Some(hotkey);
        }
        Err(HotkeyError::Taken) => {
            format!("the {what} hotkey {keys} is taken by another application")
        }
        Err(e) => format!("the {what} hotkey {keys} cannot be registered: {e}"),
    };
    tracing::error!("{problem}; set another in settings.toml [hotkeys] or with --{what}-hotkey");
    problems.push(problem);
    None
}

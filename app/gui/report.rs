//! What the windows show, for `status --json` and for end-to-end tests that cannot read
//! pixels.

use promptdeck_views::palette;

use super::windows::{Window, Windows};
use crate::settings::DesktopSettings;
use promptdeck_client::cli::PasteMode;

/// Which windows are open and what the palette lists.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UiReport {
    pub windows: Vec<&'static str>,
    pub palette_rows: Option<usize>,
    /// What the palette's search box holds.
    pub palette_query: Option<String>,
    /// The line the palette shows under its results (why it did not paste, say).
    pub palette_notice: Option<String>,
    /// The id of the prompt whose full body the palette's preview shows.
    pub palette_preview: Option<String>,
    /// The id of the prompt open in the library's editor.
    pub editing: Option<String>,
    /// The id of the prompt whose history the library shows, and the version selected.
    pub history_of: Option<String>,
    pub history_selected: Option<u64>,
    /// True while the palette asks for a prompt's fields.
    pub palette_filling: bool,
    /// The hotkeys in force, as "palette=ctrl+shift+space".
    pub hotkeys: Vec<String>,
    /// Hotkeys that could not be registered, and why.
    pub hotkey_problems: Vec<String>,
    /// Which way global hotkeys work here: "x11", "portal", "windows", "macos", or "none".
    pub hotkeys_by: &'static str,
    pub paste_method: String,
    /// The palette learns which prompt is picked for what is typed.
    pub learning: bool,
    /// Seconds within which a palette opened again takes up its last search (0: never).
    pub remember_search: u64,
    /// Whether the tray icon is shown.
    pub tray: bool,
    /// "x11", "wayland", "windows", "macos", or "none".
    pub window_system: &'static str,
    /// Where the palette draws: "surface" (the desktop's own, kept between openings, as
    /// layer-shell's overlay) or "window".
    pub palette_on: &'static str,
    /// Whether the palette's surface has the keyboard (`None` for a window).
    pub palette_keyboard: Option<bool>,
    /// What this desktop lacks, each with what the app does instead.
    pub desktop_limits: Vec<String>,
    /// The theme the windows draw with: "dark" or "light".
    pub theme: &'static str,
}

/// What goes into the report beside the windows.
pub struct Beside<'a> {
    pub settings: &'a DesktopSettings,
    pub hotkey_problems: &'a [String],
    pub hotkeys_by: &'static str,
    pub tray: bool,
    pub window_system: &'static str,
    pub palette_on: &'static str,
    pub palette_keyboard: Option<bool>,
    pub desktop_limits: &'a [String],
    pub light: bool,
}

impl UiReport {
    pub fn of(windows: &Windows, beside: Beside<'_>) -> Self {
        let palette = windows.palette().map(|(_, p)| &p.state);
        let library = windows.shown().find_map(|(_, window)| match window {
            Window::Library(state) => Some(state),
            Window::Palette(_) | Window::Settings(_) => None,
        });
        let editing = library.and_then(|l| l.editing()).map(|id| id.as_str().to_owned());
        let history = library.and_then(|l| l.history());
        let Beside {
            settings,
            hotkey_problems,
            hotkeys_by,
            tray,
            window_system,
            palette_on,
            palette_keyboard,
            desktop_limits,
            light,
        } = beside;
        Self {
            windows: windows.shown().map(|(_, window)| window.kind()).collect(),
            palette_rows: palette.map(palette::State::row_count),
            palette_query: palette.map(|p| p.query().to_owned()),
            palette_notice: palette.and_then(|p| p.notice().map(str::to_owned)),
            palette_preview: palette
                .and_then(|p| p.previewed().map(|key| key.id.as_str().to_owned())),
            editing,
            history_of: history.map(|h| h.prompt().as_str().to_owned()),
            history_selected: history.and_then(|h| h.selected().map(|v| v.number)),
            palette_filling: palette.is_some_and(palette::State::is_filling),
            hotkeys: vec![
                format!("palette={}", settings.palette_hotkey),
                format!("capture={}", settings.capture_hotkey),
            ],
            hotkey_problems: hotkey_problems.to_vec(),
            hotkeys_by,
            paste_method: match settings.paste {
                PasteMode::Auto => "auto".into(),
                PasteMode::CopyOnly => "copy-only".into(),
            },
            learning: settings.learn,
            remember_search: settings.remember_search.as_secs(),
            tray,
            window_system,
            palette_on,
            palette_keyboard,
            desktop_limits: desktop_limits.to_vec(),
            theme: if light { "light" } else { "dark" },
        }
    }
}

//! How each kind of window opens: its size, place and decorations.

use iced::window::{Level, Position, Settings};
use iced::{Size, window};

pub const PALETTE_TITLE: &str = "Promptdeck palette";
pub const LIBRARY_TITLE: &str = "Promptdeck";
pub const SETTINGS_TITLE: &str = "Promptdeck settings";

/// Centred, on top, undecorated: it appears over whatever the user is doing.
pub fn palette() -> Settings {
    Settings {
        size: promptdeck_views::palette::WINDOW_SIZE,
        position: Position::Centered,
        decorations: false,
        resizable: false,
        level: Level::AlwaysOnTop,
        platform_specific: platform("promptdeck-palette"),
        ..Settings::default()
    }
}

/// `settings`, made without being shown.
pub fn hidden(settings: Settings) -> Settings {
    Settings { visible: false, ..settings }
}

pub fn library() -> Settings {
    Settings {
        size: Size::new(980.0, 640.0),
        min_size: Some(Size::new(640.0, 400.0)),
        position: Position::Centered,
        platform_specific: platform("promptdeck"),
        ..Settings::default()
    }
}

pub fn settings() -> Settings {
    Settings {
        size: Size::new(620.0, 560.0),
        min_size: Some(Size::new(520.0, 480.0)),
        position: Position::Centered,
        platform_specific: platform("promptdeck-settings"),
        ..Settings::default()
    }
}

/// The application id a Wayland compositor and an X11 window manager group windows by.
#[cfg(all(unix, not(target_os = "macos")))]
fn platform(application_id: &str) -> window::settings::PlatformSpecific {
    window::settings::PlatformSpecific {
        application_id: application_id.into(),
        ..Default::default()
    }
}

#[cfg(not(all(unix, not(target_os = "macos"))))]
fn platform(_application_id: &str) -> window::settings::PlatformSpecific {
    window::settings::PlatformSpecific::default()
}

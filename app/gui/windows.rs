//! The one map of windows: each window's id to what it is and what it shows. A window
//! leaves the map the moment it starts closing, so a request that comes meanwhile (the
//! hotkey pressed right after Esc) opens a new one instead of reaching the one going away.

use std::collections::BTreeMap;

use iced::window;
use promptdeck_views::{library, palette, settings};

use crate::desktop::{Monitor, Target};

/// What a window is, with its screen's state.
pub enum Window {
    Palette(PaletteWindow),
    Library(library::State),
    Settings(settings::State),
}

/// The palette's window. Where windows can hide, it is kept between openings: hidden, it
/// draws what its next opening shows.
pub struct PaletteWindow {
    pub state: palette::State,
    /// The window that had focus before it opened: where its prompt goes.
    pub target: Option<Target>,
    pub visibility: Visibility,
    /// The monitor it was last centred on: it moves only when it opens on another.
    pub placed_on: Option<Monitor>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    Shown,
    /// Kept for the next opening; `made` is false until the window exists (an opening
    /// before then gets a window of its own).
    Hidden {
        made: bool,
    },
}

impl PaletteWindow {
    pub fn shown(state: palette::State, target: Option<Target>) -> Self {
        Self { state, target, visibility: Visibility::Shown, placed_on: None }
    }

    /// Kept hidden for the next opening; `placed_on` is where it last showed.
    pub fn hidden(state: palette::State, made: bool, placed_on: Option<Monitor>) -> Self {
        Self { state, target: None, visibility: Visibility::Hidden { made }, placed_on }
    }

    pub fn is_shown(&self) -> bool {
        self.visibility == Visibility::Shown
    }
}

/// What kind of window, for `status --json`.
impl Window {
    pub fn kind(&self) -> &'static str {
        match self {
            Window::Palette(_) => "palette",
            Window::Library(_) => "library",
            Window::Settings(_) => "settings",
        }
    }
}

#[derive(Default)]
pub struct Windows {
    map: BTreeMap<window::Id, Window>,
}

impl Windows {
    pub fn insert(&mut self, id: window::Id, window: Window) {
        self.map.insert(id, window);
    }

    pub fn remove(&mut self, id: window::Id) -> Option<Window> {
        self.map.remove(&id)
    }

    pub fn get(&self, id: window::Id) -> Option<&Window> {
        self.map.get(&id)
    }

    /// Every window on screen (a hidden palette is not).
    pub fn shown(&self) -> impl Iterator<Item = (window::Id, &Window)> {
        self.map.iter().map(|(id, w)| (*id, w)).filter(|(_, w)| match w {
            Window::Palette(palette) => palette.is_shown(),
            Window::Library(_) | Window::Settings(_) => true,
        })
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = (window::Id, &mut Window)> {
        self.map.iter_mut().map(|(id, w)| (*id, w))
    }

    /// The palette on screen.
    pub fn palette(&self) -> Option<(window::Id, &PaletteWindow)> {
        self.palettes().find(|(_, p)| p.is_shown())
    }

    /// The palette kept hidden for the next opening.
    pub fn hidden_palette(&self) -> Option<(window::Id, &PaletteWindow)> {
        self.palettes().find(|(_, p)| !p.is_shown())
    }

    pub fn hidden_palette_mut(&mut self) -> Option<(window::Id, &mut PaletteWindow)> {
        self.map.iter_mut().find_map(|(id, window)| match window {
            Window::Palette(palette) if !palette.is_shown() => Some((*id, palette)),
            _ => None,
        })
    }

    /// The palette in `id`, shown or hidden.
    pub fn palette_mut(&mut self, id: window::Id) -> Option<&mut PaletteWindow> {
        match self.map.get_mut(&id) {
            Some(Window::Palette(palette)) => Some(palette),
            _ => None,
        }
    }

    pub fn library(&self) -> Option<window::Id> {
        self.map.iter().find_map(|(id, w)| matches!(w, Window::Library(_)).then_some(*id))
    }

    pub fn library_mut(&mut self, id: window::Id) -> Option<&mut library::State> {
        match self.map.get_mut(&id) {
            Some(Window::Library(state)) => Some(state),
            _ => None,
        }
    }

    pub fn settings(&self) -> Option<window::Id> {
        self.map.iter().find_map(|(id, w)| matches!(w, Window::Settings(_)).then_some(*id))
    }

    pub fn settings_mut(&mut self, id: window::Id) -> Option<&mut settings::State> {
        match self.map.get_mut(&id) {
            Some(Window::Settings(state)) => Some(state),
            _ => None,
        }
    }

    fn palettes(&self) -> impl Iterator<Item = (window::Id, &PaletteWindow)> {
        self.map.iter().filter_map(|(id, window)| match window {
            Window::Palette(palette) => Some((*id, palette)),
            Window::Library(_) | Window::Settings(_) => None,
        })
    }
}

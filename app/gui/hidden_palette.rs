//! The palette's window between openings: kept hidden, drawing what its next opening
//! shows. iced keeps rasterised glyphs per window, so a new window for every opening drew
//! each of its some 1,000 glyphs again; showing this one maps what is already drawn.
//! X11 only: winit cannot hide a window on Wayland, where each opening makes a window.

use iced::Task;
use iced::window::{self, Mode};
use promptdeck_views::palette;

pub struct HiddenPalette {
    pub id: window::Id,
    /// What the next opening shows: kept fresh while hidden.
    pub state: palette::State,
    /// False until the window exists: a request before then gets a window of its own.
    made: bool,
}

impl HiddenPalette {
    /// Makes a palette window, hidden, with `state`; the task ends once it exists.
    pub fn make(state: palette::State) -> Option<(Self, Task<window::Id>)> {
        if !super::window::can_hide() {
            return None;
        }
        let (id, open) = window::open(super::window::hidden(super::window::palette()));
        Some((Self { id, state, made: false }, open))
    }

    /// Hides the palette window `id` to be shown again later.
    pub fn keep<T>(id: window::Id, state: palette::State) -> Option<(Self, Task<T>)> {
        if !super::window::can_hide() {
            return None;
        }
        Some((Self { id, state, made: true }, window::set_mode(id, Mode::Hidden)))
    }

    /// Shows the window again: its state, and the task that maps it.
    pub fn show<T>(self) -> (window::Id, palette::State, Task<T>) {
        (self.id, self.state, window::set_mode(self.id, Mode::Windowed))
    }

    pub fn is(&self, id: window::Id) -> bool {
        self.id == id
    }

    pub fn is_made(&self) -> bool {
        self.made
    }

    /// The window now exists.
    pub fn made(&mut self) {
        self.made = true;
    }
}

//! Every style the screens use, by name. Screens never pick colours themselves.

use iced::widget::{button, container, text};
use iced::{Border, Color, Theme};

use crate::Indicator;

/// Where the palette shows the selected prompt in full: a quieter panel beside the list.
pub fn preview_pane(theme: &Theme) -> container::Style {
    let palette = theme.extended_palette();
    container::Style {
        background: Some(palette.background.weak.color.into()),
        text_color: Some(palette.background.weak.text),
        border: Border { radius: 6.0.into(), ..Border::default() },
        ..container::Style::default()
    }
}

/// A result row; the selected one stands out.
pub fn result_row(selected: bool) -> impl Fn(&Theme, button::Status) -> button::Style {
    move |theme, status| {
        let palette = theme.extended_palette();
        // None, not transparent: a transparent fill still costs every pixel it covers.
        let background = match (selected, status) {
            (true, _) => Some(palette.primary.weak.color),
            (false, button::Status::Hovered) => Some(palette.background.weak.color),
            _ => None,
        };
        button::Style {
            background: background.map(Into::into),
            text_color: palette.background.base.text,
            border: Border { radius: 6.0.into(), ..Border::default() },
            ..button::Style::default()
        }
    }
}

/// Characters a search matched: amber reads on the dark background and on a selected row.
pub fn matched(_theme: &Theme) -> text::Style {
    text::Style { color: Some(Color::from_rgb(1.0, 0.71, 0.33)) }
}

pub fn muted(theme: &Theme) -> text::Style {
    text::Style { color: Some(theme.extended_palette().background.strong.color) }
}

/// Secondary text of a result row: muted, and still readable on the selected row's colour.
pub fn row_detail(selected: bool) -> impl Fn(&Theme) -> text::Style {
    move |theme| match selected {
        true => text::Style {
            color: Some(theme.extended_palette().primary.weak.text.scale_alpha(0.75)),
        },
        false => muted(theme),
    }
}

pub fn error(theme: &Theme) -> text::Style {
    text::Style { color: Some(theme.extended_palette().danger.base.color) }
}

pub fn status_dot(indicator: &Indicator) -> impl Fn(&Theme) -> container::Style + use<> {
    let indicator = indicator.clone();
    move |theme| {
        let palette = theme.extended_palette();
        let color = match indicator {
            Indicator::Synced | Indicator::LocalOnly => palette.success.base.color,
            Indicator::Syncing => palette.primary.base.color,
            Indicator::Offline { .. } => palette.warning.base.color,
            Indicator::Attention(_) | Indicator::Unavailable => palette.danger.base.color,
        };
        container::Style {
            background: Some(color.into()),
            border: Border { radius: 4.0.into(), ..Border::default() },
            ..container::Style::default()
        }
    }
}

/// A workspace chip; the one searched is lit.
pub fn chip(lit: bool) -> impl Fn(&Theme, button::Status) -> button::Style {
    move |theme, status| {
        let palette = theme.extended_palette();
        let (background, text_color) = match (lit, status) {
            (true, _) => (palette.primary.base.color, palette.primary.base.text),
            (false, button::Status::Hovered) => {
                (palette.background.strong.color, palette.background.base.text)
            }
            (false, _) => (palette.background.weak.color, palette.background.weak.text),
        };
        button::Style {
            background: Some(background.into()),
            text_color,
            border: Border { radius: 10.0.into(), ..Border::default() },
            ..button::Style::default()
        }
    }
}

/// Where a result lives, in a list that spans workspaces.
pub fn accent(theme: &Theme) -> text::Style {
    text::Style { color: Some(theme.extended_palette().primary.strong.color) }
}

/// Words a version added, in a word diff: a green that reads on dark and light alike
/// (a span takes a colour, not a theme).
pub const ADDED: Color = Color::from_rgb(0.22, 0.66, 0.36);
/// Words a version took away, in a word diff.
pub const REMOVED: Color = Color::from_rgb(0.86, 0.33, 0.33);

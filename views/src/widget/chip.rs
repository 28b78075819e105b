//! A small rounded button for one choice among a few (a workspace); the chosen one is lit.

use iced::Element;
use iced::widget::{button, text};

use crate::theme;

pub fn chip<'a, Message: Clone + 'a>(
    label: impl text::IntoFragment<'a>,
    lit: bool,
    on_press: Message,
) -> Element<'a, Message> {
    button(text(label).size(12)).on_press(on_press).padding([2, 10]).style(theme::chip(lit)).into()
}

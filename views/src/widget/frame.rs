//! The edge of an undecorated window: a one-pixel line on each side of its content.
//!
//! Four thin lines, not a bordered container: the software renderer fills a bordered
//! container's whole area whenever any part of it is redrawn (a text cursor blinking), and
//! a window-sized fill is most of what a redraw would cost.

use iced::widget::{column, row, rule};
use iced::{Element, Length};

/// `content` inside the frame, filling the window.
pub fn frame<'a, Message: 'a>(content: impl Into<Element<'a, Message>>) -> Element<'a, Message> {
    let sides = row![rule::vertical(1), content.into(), rule::vertical(1)].height(Length::Fill);
    column![rule::horizontal(1), sides, rule::horizontal(1)].into()
}

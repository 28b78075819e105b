//! The small dot that shows the runtime's state, with its meaning as a tooltip.

use iced::widget::{container, space, tooltip};
use iced::{Element, Length};

use crate::{Indicator, theme};

pub fn status_dot<'a, Message: 'a>(indicator: &Indicator) -> Element<'a, Message> {
    let dot = container(space().width(8).height(8))
        .width(Length::Fixed(8.0))
        .height(Length::Fixed(8.0))
        .style(theme::status_dot(indicator));
    tooltip(
        dot,
        container(iced::widget::text(indicator.label()).size(12)).padding(4),
        tooltip::Position::Left,
    )
    .into()
}

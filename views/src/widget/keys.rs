//! Catches key presses before the content sees them, for screen-wide shortcuts (arrows,
//! Escape) that a focused text field would otherwise swallow. Being a widget rather than a
//! subscription, it belongs to its window and works in iced_test's simulator.

use iced::keyboard::{self, Key, Modifiers};
use iced::{Element, Event};

use super::wrapped::{Hooks, wrapped};

/// Wraps `content`; `on_key` turns a press into a message, or lets it through with `None`.
pub fn on_keys<'a, Message: 'a>(
    content: impl Into<Element<'a, Message>>,
    on_key: impl Fn(&Key, Modifiers) -> Option<Message> + 'a,
) -> Element<'a, Message> {
    wrapped(content, Keys(on_key))
}

/// Turns a key press into a message, or lets it through.
struct Keys<F>(F);

impl<Message, F: Fn(&Key, Modifiers) -> Option<Message>> Hooks<Message> for Keys<F> {
    fn intercept(&self, event: &Event) -> Option<Message> {
        match event {
            Event::Keyboard(keyboard::Event::KeyPressed { key, modifiers, .. }) => {
                (self.0)(key, *modifiers)
            }
            _ => None,
        }
    }
}

//! Draws its content on a layer of its own.
//!
//! The software renderer redraws what changed between two frames by comparing each layer's
//! quads in order, position by position: one quad that comes or goes (a text cursor
//! blinking, a row's hover highlight) marks every later quad of that layer as changed, and
//! with them the rules at the window's edges and the preview pane beside them. A part that
//! gains and loses quads on its own, kept on its own layer, leaves the others' positions
//! alone, so showing the kept palette redraws its cursor, not half the window.

use iced::advanced::renderer::Renderer as _;
use iced::{Element, Rectangle};

use super::wrapped::{Hooks, wrapped};

/// `content`, drawn on a layer of its own, clipped to its bounds.
pub fn own_layer<'a, Message: 'a>(
    content: impl Into<Element<'a, Message>>,
) -> Element<'a, Message> {
    wrapped(content, OwnLayer)
}

struct OwnLayer;

impl<Message> Hooks<Message> for OwnLayer {
    fn draw(
        &self,
        renderer: &mut iced::Renderer,
        bounds: Rectangle,
        draw_content: impl FnOnce(&mut iced::Renderer),
    ) {
        // Even when the content is out of view: a layer that comes and goes would move the
        // later layers' positions as a quad moves a layer's.
        renderer.with_layer(bounds, draw_content);
    }
}

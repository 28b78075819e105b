//! What the software renderer redraws when the kept palette is shown again: it compares
//! the new frame's layers with the last frame's, and redraws what differs. The palette was
//! last drawn hidden (search box not focused, no pointer over it); shown, it gains a text
//! cursor and, under the pointer, a row's hover highlight. Those two places, not the
//! preview pane and the window's edges beside them, are what must be redrawn.

use iced::advanced::mouse;
use iced::advanced::renderer::Style;
use iced::advanced::widget::operation::focusable;
use iced::{Color, Font, Pixels, Point, Rectangle, Theme};
use iced_test::runtime::{UserInterface, user_interface};
use iced_tiny_skia::Layer;
use promptdeck_protocol::{PromptId, PromptKey, PromptSummary};
use promptdeck_views::Indicator;
use promptdeck_views::palette::{INPUT_ID, State, WINDOW_SIZE};

fn summary(n: usize) -> PromptSummary {
    let title = format!("Prompt number {n} about summaries");
    PromptSummary {
        id: PromptId::parse(format!("p{n}")).expect("id"),
        title,
        preview: "Summarise the following meeting notes into five bullet points, each one line."
            .into(),
        tags: vec!["work".into(), "notes".into()],
        body_bytes: 400,
        use_count: 0,
        last_used_at: None,
        updated_at: 0,
        space: String::new(),
    }
}

/// A palette as it is kept between openings: rows listed, the first one's body previewed.
fn kept_palette() -> State {
    let rows: Vec<PromptSummary> = (1..=12).map(summary).collect();
    let mut state = State::new(Some(rows), Indicator::LocalOnly);
    let first = PromptKey { space: String::new(), id: PromptId::parse("p1").expect("id") };
    let body = "Summarise the following meeting notes into five bullet points. ".repeat(30);
    state.show_preview(first, &body);
    state
}

/// Lays out and draws one frame of `state`'s view, returning its layers and, for the next
/// frame, what was laid out (as the app's window keeps it from frame to frame).
fn frame(
    state: &State,
    renderer: &mut iced::Renderer,
    cache: user_interface::Cache,
    focused: bool,
    pointer: mouse::Cursor,
) -> (Vec<Layer>, user_interface::Cache) {
    let mut ui = UserInterface::build(state.view(), WINDOW_SIZE, cache, renderer);
    if focused {
        ui.operate(renderer, &mut focusable::focus::<()>(INPUT_ID.into()));
    }
    let style = Style { text_color: Color::BLACK };
    ui.draw(renderer, &Theme::Dark, &style, pointer);
    (renderer.layers().to_vec(), ui.into_cache())
}

#[test]
fn showing_the_kept_palette_redraws_its_cursor_and_hovered_row_only() {
    let mut renderer = iced::Renderer::new(Font::DEFAULT, Pixels(16.0));
    let state = kept_palette();
    let (hidden, cache) = frame(
        &state,
        &mut renderer,
        user_interface::Cache::default(),
        false,
        mouse::Cursor::Unavailable,
    );
    // The pointer rests over the fourth row, where the window opened around it.
    let over_a_row = mouse::Cursor::Available(Point::new(200.0, 250.0));
    // The layers refer to the laid-out text weakly: what was laid out must outlive the diff.
    let (shown, _laid_out) = frame(&state, &mut renderer, cache, true, over_a_row);

    let damage = iced_tiny_skia::graphics::damage::diff(
        &hidden,
        &shown,
        |layer| vec![layer.bounds],
        Layer::damage,
    );
    assert!(!damage.is_empty(), "the cursor appeared: something must be redrawn");
    // The rows take the left three fifths; the preview pane and the right edge lie beyond.
    let pane =
        Rectangle { x: WINDOW_SIZE.width * 0.6, y: 0.0, ..Rectangle::with_size(WINDOW_SIZE) };
    let beyond: Vec<&Rectangle> = damage.iter().filter(|r| r.intersects(&pane)).collect();
    assert!(beyond.is_empty(), "redrawn beyond the search box and the rows: {beyond:?}");
    let area: f32 = damage.iter().map(|r| r.width * r.height).sum();
    let window = WINDOW_SIZE.width * WINDOW_SIZE.height;
    assert!(area < window * 0.1, "redrew {area} of {window} px²: {damage:?}");
}

//! What the software renderer redraws when the kept palette is shown again: it compares
//! the new frame's layers with the last frame's, and redraws what differs. The palette was
//! last drawn hidden (its window without the keyboard, no pointer over it); shown, it gains
//! a text cursor. A row under a pointer that rested where the palette opened is not lit (it was
//! pointing at nothing), so the cursor is all that must be redrawn; once the pointer moves,
//! the row under it lights.

use std::time::Instant;

use iced::advanced::renderer::Style;
use iced::advanced::widget::operation::focusable;
use iced::advanced::{clipboard, mouse};
use iced::{Color, Event, Font, Pixels, Point, Rectangle, Theme, window};
use iced_test::runtime::{UserInterface, user_interface};
use iced_tiny_skia::Layer;
use promptdeck_protocol::{PromptId, PromptKey, PromptSummary};
use promptdeck_views::Indicator;
use promptdeck_views::palette::{INPUT_ID, Message, State, WINDOW_SIZE};

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

/// Lays out and draws one frame of `state`'s view, returning its layers, what was laid out
/// (kept for the next frame, as the app's window keeps it) and the messages the view sent.
fn frame(
    state: &State,
    renderer: &mut iced::Renderer,
    cache: user_interface::Cache,
    shown: bool,
    pointer: mouse::Cursor,
) -> (Vec<Layer>, user_interface::Cache, Vec<Message>) {
    let mut ui = UserInterface::build(state.view(), WINDOW_SIZE, cache, renderer);
    // The search box keeps the focus the app gave it; hidden, its window has no keyboard.
    ui.operate(renderer, &mut focusable::focus::<()>(INPUT_ID.into()));
    let keyboard = match shown {
        true => window::Event::Focused,
        false => window::Event::Unfocused,
    };
    // Then, as the window's loop does before each frame: widgets take their look (a row's
    // hover) from it, and the pointer's place is heard.
    let redraw = window::Event::RedrawRequested(Instant::now());
    let events = [Event::Window(keyboard), Event::Window(redraw)];
    let mut heard = Vec::new();
    let _ = ui.update(&events, pointer, renderer, &mut clipboard::Null, &mut heard);
    let style = Style { text_color: Color::BLACK };
    ui.draw(renderer, &Theme::Dark, &style, pointer);
    (renderer.layers().to_vec(), ui.into_cache(), heard)
}

/// Hands the view's messages to the palette, as the app does.
fn heard(state: &mut State, messages: Vec<Message>) {
    for message in messages {
        let _ = state.update(message);
    }
}

/// What differs between two frames, as the renderer would redraw it.
fn damage(before: &[Layer], after: &[Layer]) -> Vec<Rectangle> {
    iced_tiny_skia::graphics::damage::diff(before, after, |layer| vec![layer.bounds], Layer::damage)
}

/// The pointer rests over the fourth row, where the window opened around it.
const OVER_A_ROW: Point = Point::new(200.0, 250.0);

#[test]
fn showing_the_kept_palette_under_a_resting_pointer_redraws_its_cursor_only() {
    let mut renderer = iced::Renderer::new(Font::DEFAULT, Pixels(16.0));
    let mut state = kept_palette();
    let none = mouse::Cursor::Unavailable;
    let (hidden, cache, _) =
        frame(&state, &mut renderer, user_interface::Cache::default(), false, none);
    let over_a_row = mouse::Cursor::Available(OVER_A_ROW);
    // The layers refer to the laid-out text weakly: what was laid out must outlive the diff.
    let (shown, cache, messages) = frame(&state, &mut renderer, cache, true, over_a_row);
    assert!(!messages.is_empty(), "the pointer's place was not heard");
    heard(&mut state, messages);

    let redrawn = damage(&hidden, &shown);
    assert!(!redrawn.is_empty(), "the cursor appeared: something must be redrawn");
    // The search box is the first 60 px; the rows and the preview pane lie below.
    let below = Rectangle { y: 60.0, ..Rectangle::with_size(WINDOW_SIZE) };
    let beyond: Vec<&Rectangle> = redrawn.iter().filter(|r| r.intersects(&below)).collect();
    assert!(beyond.is_empty(), "redrawn beyond the search box: {beyond:?}");
    let area: f32 = redrawn.iter().map(|r| r.width * r.height).sum();
    assert!(area < 1_000.0, "redrew {area} px² for a text cursor: {redrawn:?}");
    // Heard where it rests, the palette still lights no row there.
    let (resting, _laid_out, _) = frame(&state, &mut renderer, cache, true, over_a_row);
    assert_eq!(damage(&shown, &resting), Vec::<Rectangle>::new(), "lit while resting");
}

#[test]
fn once_the_pointer_moves_the_row_under_it_lights() {
    let mut renderer = iced::Renderer::new(Font::DEFAULT, Pixels(16.0));
    let mut state = kept_palette();
    let over_a_row = mouse::Cursor::Available(OVER_A_ROW);
    let (_, cache, messages) =
        frame(&state, &mut renderer, user_interface::Cache::default(), true, over_a_row);
    heard(&mut state, messages);
    let (resting, cache, _) = frame(&state, &mut renderer, cache, true, over_a_row);

    let moved = Point::new(OVER_A_ROW.x + 3.0, OVER_A_ROW.y);
    let now_over = mouse::Cursor::Available(moved);
    let (_, cache, messages) = frame(&state, &mut renderer, cache, true, now_over);
    heard(&mut state, messages);
    let (lit, _laid_out, _) = frame(&state, &mut renderer, cache, true, now_over);
    let redrawn = damage(&resting, &lit);
    let at_the_pointer = Rectangle { x: moved.x, y: moved.y, width: 1.0, height: 1.0 };
    assert!(
        redrawn.iter().any(|r| r.intersects(&at_the_pointer)),
        "the row under the moved pointer was not lit: {redrawn:?}"
    );
    // The rows take the left three fifths; the preview pane and the right edge lie beyond.
    let pane =
        Rectangle { x: WINDOW_SIZE.width * 0.6, y: 0.0, ..Rectangle::with_size(WINDOW_SIZE) };
    let beyond: Vec<&Rectangle> = redrawn.iter().filter(|r| r.intersects(&pane)).collect();
    assert!(beyond.is_empty(), "redrawn beyond the row: {beyond:?}");
}

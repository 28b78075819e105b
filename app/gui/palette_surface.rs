//! A screen on a surface of the desktop's own (`desktop::PaletteSurface`: layer-shell on
//! wlroots compositors), where a window could not be kept between openings: the palette,
//! and the benches' floor made the same way. iced lays out and draws here the same screen a
//! window shows elsewhere, into pixels of its own, and the surface gets the rows that
//! changed. Kept between openings: the renderer (whose glyph cache holds the screen's text),
//! the widgets' state and the last frame.

use std::ops::Range;

use iced::advanced::clipboard::{self, Kind};
use iced::advanced::mouse;
use iced::advanced::renderer::Style;
use iced::advanced::widget::{self, operation::focusable};
use iced::theme::Base;
use iced::{Element, Event, Font, Pixels, Rectangle, Size, Theme, keyboard, window};
use iced_runtime::user_interface::{self, UserInterface};
use iced_tiny_skia::Layer;
use iced_tiny_skia::graphics::{Viewport, damage};
use promptdeck_views::palette;
use tokio::sync::oneshot;

use crate::desktop::{DesktopError, Frame, PaletteSurface, Presented};

/// The palette on its surface.
pub struct SurfacePalette {
    /// The id the palette has in the map of windows, though iced has no window of it.
    pub id: window::Id,
    pub host: SurfaceHost,
}

impl SurfacePalette {
    pub fn new(surface: Box<dyn PaletteSurface>) -> Self {
        Self { id: window::Id::unique(), host: SurfaceHost::new(surface, palette::WINDOW_SIZE) }
    }

    /// Shows the surface with `state` drawn, its search box focused.
    pub fn show(&mut self, state: &palette::State, theme: &Theme) -> Result<(), DesktopError> {
        self.host.show()?;
        self.host.focus(state.view(), widget::Id::new(palette::INPUT_ID));
        self.host.redraw(state.view(), theme);
        Ok(())
    }
}

/// A surface and what is kept to draw a screen on it.
pub struct SurfaceHost {
    surface: Box<dyn PaletteSurface>,
    /// The screen's size, in logical pixels.
    size: Size,
    renderer: iced::Renderer,
    widgets: user_interface::Cache,
    cursor: mouse::Cursor,
    /// The surface has the keyboard.
    has_keyboard: bool,
    scale: u32,
    canvas: Canvas,
    /// A frame is owed to the surface though nothing changed: it was just shown, with no
    /// buffer, or the last frame found none free.
    owed: bool,
    /// A paste key waiting for the clipboard's text, and the input that came after it,
    /// held so that keys typed after a paste land after the pasted text.
    held: Vec<Event>,
}

/// What the screen's widgets made of some input.
pub struct Heard<M> {
    pub messages: Vec<M>,
    /// A paste key waits for the clipboard's text: read it (off this thread: its owner
    /// may be slow) and hand it to [`SurfaceHost::paste`].
    pub wants_clipboard: bool,
    /// Text the widgets copied, for the clipboard.
    pub copied: Option<String>,
}

impl<M> Default for Heard<M> {
    fn default() -> Self {
        Self { messages: Vec::new(), wants_clipboard: false, copied: None }
    }
}

/// The clipboard the widgets see: the text read for a paste, and what they copy. The
/// surface has none of its own, and reading the desktop's here would block the UI thread
/// on the clipboard's owner.
#[derive(Default)]
struct Handed {
    text: Option<String>,
    copied: Option<String>,
}

impl clipboard::Clipboard for Handed {
    fn read(&self, kind: Kind) -> Option<String> {
        (kind == Kind::Standard).then(|| self.text.clone()).flatten()
    }

    fn write(&mut self, kind: Kind, contents: String) {
        if kind == Kind::Standard {
            self.copied = Some(contents);
        }
    }
}

/// The palette's pixels as last drawn, and what they show.
struct Canvas {
    pixels: Vec<u8>,
    clip: Option<tiny_skia::Mask>,
    size: Size<u32>,
    /// The layers drawn into `pixels`, and on what background.
    drawn: Option<(Vec<Layer>, iced::Color)>,
}

impl SurfaceHost {
    /// A host for a screen `size` logical pixels large on `surface`.
    pub fn new(surface: Box<dyn PaletteSurface>, size: Size) -> Self {
        Self {
            surface,
            size,
            renderer: iced::Renderer::new(Font::DEFAULT, Pixels(16.0)),
            widgets: user_interface::Cache::default(),
            cursor: mouse::Cursor::Unavailable,
            has_keyboard: false,
            scale: 1,
            canvas: Canvas { pixels: Vec::new(), clip: None, size: Size::new(0, 0), drawn: None },
            owed: false,
            held: Vec::new(),
        }
    }

    /// Shows the surface; the next [`SurfaceHost::redraw`] draws it whole.
    pub fn show(&mut self) -> Result<(), DesktopError> {
        self.surface.show()?;
        self.owed = true;
        Ok(())
    }

    /// Hides the surface; the answer comes once the keyboard is back where it was.
    pub fn hide(&mut self) -> oneshot::Receiver<()> {
        self.cursor = mouse::Cursor::Unavailable;
        self.held.clear();
        self.surface.hide()
    }

    /// Follows where the pointer is and whether the surface has the keyboard, shown or not.
    pub fn observe(&mut self, event: &Event) {
        match event {
            Event::Mouse(mouse::Event::CursorMoved { position }) => {
                self.cursor = mouse::Cursor::Available(*position);
            }
            Event::Mouse(mouse::Event::CursorLeft) => self.cursor = mouse::Cursor::Unavailable,
            Event::Window(window::Event::Focused) => self.has_keyboard = true,
            Event::Window(window::Event::Unfocused) => self.has_keyboard = false,
            _ => {}
        }
    }

    /// A key or the pointer as the shown screen's widgets take it: the messages they make.
    /// A paste key is held until the clipboard's text comes, and what follows it with it.
    pub fn input<'a, M>(&mut self, view: Element<'a, M>, event: Event) -> Heard<M> {
        if !self.held.is_empty() {
            self.held.push(event);
            return Heard::default();
        }
        if is_paste(&event) {
            self.held.push(event);
            return Heard { wants_clipboard: true, ..Heard::default() };
        }
        self.update(view, &[event], None)
    }

    /// The clipboard's `text` came for the paste key held: the widgets take the paste,
    /// then the input held after it, up to the next paste key (which waits for its own
    /// read).
    pub fn paste<'a, M>(&mut self, view: Element<'a, M>, text: Option<String>) -> Heard<M> {
        let mut held = std::mem::take(&mut self.held).into_iter();
        let Some(paste) = held.next() else { return Heard::default() };
        // Released at once: a widget keeps what it pasted until a key is released and
        // would paste that again rather than read the clipboard anew.
        let mut events = vec![paste.clone()];
        events.extend(released(&paste));
        for event in held {
            if self.held.is_empty() && !is_paste(&event) {
                events.push(event);
            } else {
                self.held.push(event);
            }
        }
        let mut heard = self.update(view, &events, Some(text.unwrap_or_default()));
        heard.wants_clipboard = !self.held.is_empty();
        heard
    }

    fn update<'a, M>(
        &mut self,
        view: Element<'a, M>,
        events: &[Event],
        text: Option<String>,
    ) -> Heard<M> {
        let mut clipboard = Handed { text, copied: None };
        let mut messages = Vec::new();
        let mut ui = self.build(view);
        ui.update(events, self.cursor, &mut self.renderer, &mut clipboard, &mut messages);
        self.widgets = ui.into_cache();
        Heard { messages, wants_clipboard: false, copied: clipboard.copied }
    }

    /// Puts the keyboard in the widget `id`.
    pub fn focus<M>(&mut self, view: Element<'_, M>, id: widget::Id) {
        let mut ui = self.build(view);
        ui.operate(&self.renderer, &mut focusable::focus::<()>(id));
        self.widgets = ui.into_cache();
    }

    /// Whether the surface has the keyboard: keys typed reach the screen.
    pub fn has_keyboard(&self) -> bool {
        self.has_keyboard
    }

    /// The output's scale changed: the next frame is drawn at it, whole.
    pub fn set_scale(&mut self, scale: u32) {
        self.scale = scale.max(1);
    }

    /// Draws `view` and presents what changed since the frame before.
    pub fn redraw<M>(&mut self, view: Element<'_, M>, theme: &Theme) {
        let base = theme.base();
        let style = Style { text_color: base.text_color };
        let mut ui = self.build(view);
        ui.draw(&mut self.renderer, theme, &style, self.cursor);
        self.widgets = ui.into_cache();
        let size = self.size;
        let physical = Size::new(size.width as u32 * self.scale, size.height as u32 * self.scale);
        let viewport = Viewport::with_physical_size(physical, self.scale as f32);
        let Some(rows) = self.canvas.draw(&mut self.renderer, &viewport, base.background_color)
        else {
            return;
        };
        if rows.is_empty() && !self.owed {
            return;
        }
        let frame = Frame {
            pixels: &self.canvas.pixels,
            width: physical.width,
            height: physical.height,
            scale: self.scale,
            rows: &rows,
        };
        match self.surface.present(&frame) {
            Ok(presented) => self.owed = presented == Presented::NoBufferFree,
            Err(error) => tracing::warn!(%error, "the palette could not be drawn"),
        }
    }

    fn build<'a, M>(
        &mut self,
        view: Element<'a, M>,
    ) -> UserInterface<'a, M, Theme, iced::Renderer> {
        let widgets = std::mem::take(&mut self.widgets);
        UserInterface::build(view, self.size, widgets, &mut self.renderer)
    }
}

/// Whether `event` is the key a text box pastes on, as iced's own text input tells it.
fn is_paste(event: &Event) -> bool {
    matches!(
        event,
        Event::Keyboard(keyboard::Event::KeyPressed { key, physical_key, modifiers, .. })
            if key.to_latin(*physical_key) == Some('v') && modifiers.command() && !modifiers.alt()
    )
}

/// The release of the key pressed in `event`.
fn released(event: &Event) -> Option<Event> {
    let Event::Keyboard(keyboard::Event::KeyPressed {
        key,
        modified_key,
        physical_key,
        location,
        modifiers,
        ..
    }) = event
    else {
        return None;
    };
    Some(Event::Keyboard(keyboard::Event::KeyReleased {
        key: key.clone(),
        modified_key: modified_key.clone(),
        physical_key: *physical_key,
        location: *location,
        modifiers: *modifiers,
    }))
}

impl Canvas {
    /// Draws the renderer's layers where they differ from those drawn before; the rows
    /// that changed, or `None` when the pixels cannot be made.
    fn draw(
        &mut self,
        renderer: &mut iced::Renderer,
        viewport: &Viewport,
        background: iced::Color,
    ) -> Option<Vec<Range<u32>>> {
        let size = viewport.physical_size();
        if size != self.size {
            self.pixels = vec![0; size.width as usize * size.height as usize * 4];
            self.clip = tiny_skia::Mask::new(size.width, size.height);
            self.size = size;
            self.drawn = None;
        }
        let layers = renderer.layers().to_vec();
        let whole = Rectangle::with_size(viewport.logical_size());
        let changed = match &self.drawn {
            Some((drawn, colour)) if *colour == background => {
                damage::diff(drawn, &layers, |layer| vec![layer.bounds], Layer::damage)
            }
            _ => vec![whole],
        };
        if changed.is_empty() {
            return Some(Vec::new());
        }
        let changed = damage::group(changed, whole);
        let mut pixels =
            tiny_skia::PixmapMut::from_bytes(&mut self.pixels, size.width, size.height)?;
        let clip = self.clip.as_mut()?;
        renderer.draw(&mut pixels, clip, viewport, &changed, background);
        self.drawn = Some((layers, background));
        let scale = viewport.scale_factor();
        Some(
            changed
                .iter()
                .map(|r| {
                    let top = (r.y * scale).floor().max(0.0) as u32;
                    let bottom = ((r.y + r.height) * scale).ceil() as u32;
                    top.min(size.height)..bottom.min(size.height)
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use iced::keyboard::{Key, Location, Modifiers, key};
    use iced::widget::text_input;

    use super::*;

    /// Stands in for the compositor's surface: these tests are about the widgets' input.
    struct Offscreen;

    impl PaletteSurface for Offscreen {
        fn show(&mut self) -> Result<(), DesktopError> {
            Ok(())
        }
        fn hide(&mut self) -> oneshot::Receiver<()> {
            oneshot::channel().1
        }
        fn present(&mut self, _: &Frame<'_>) -> Result<Presented, DesktopError> {
            Ok(Presented::Shown)
        }
    }

    const BOX: &str = "search";

    fn search_box(value: &str) -> Element<'_, String> {
        text_input("", value).id(BOX).on_input(|typed| typed).into()
    }

    fn pressed(c: &str, modifiers: Modifiers) -> Event {
        Event::Keyboard(keyboard::Event::KeyPressed {
            key: Key::Character(c.into()),
            modified_key: Key::Character(c.into()),
            physical_key: key::Physical::Unidentified(key::NativeCode::Unidentified),
            location: Location::Standard,
            modifiers,
            text: (!modifiers.control()).then(|| c.into()),
            repeat: false,
        })
    }

    /// A host with its search box focused and holding `value`.
    fn host_with(value: &str) -> SurfaceHost {
        let mut host = SurfaceHost::new(Box::new(Offscreen), Size::new(300.0, 40.0));
        host.focus(search_box(value), widget::Id::new(BOX));
        host
    }

    /// A host whose search box holds `value`, with Control held down.
    fn control_held(value: &mut String) -> SurfaceHost {
        let mut host = host_with(value);
        let ctrl = Event::Keyboard(keyboard::Event::ModifiersChanged(Modifiers::CTRL));
        type_in(&mut host, value, ctrl);
        host
    }

    /// Feeds `event` to the host the way the palette does, keeping the box's value.
    fn type_in(host: &mut SurfaceHost, value: &mut String, event: Event) -> Heard<String> {
        let heard = host.input(search_box(value), event);
        if let Some(last) = heard.messages.last() {
            *value = last.clone();
        }
        heard
    }

    #[test]
    fn a_paste_waits_for_the_clipboard_and_keys_typed_after_it_land_after_it() {
        let mut value = String::from("ab");
        let mut host = control_held(&mut value);
        let paste = type_in(&mut host, &mut value, pressed("v", Modifiers::CTRL));
        assert!(paste.wants_clipboard, "the paste key asks for the clipboard");
        assert!(paste.messages.is_empty(), "nothing is pasted before the text comes");
        let none = Event::Keyboard(keyboard::Event::ModifiersChanged(Modifiers::empty()));
        type_in(&mut host, &mut value, none);
        let typed = type_in(&mut host, &mut value, pressed("x", Modifiers::empty()));
        assert!(typed.messages.is_empty() && !typed.wants_clipboard, "held behind the paste");
        let pasted = host.paste(search_box(&value), Some("cd\nef".into()));
        assert_eq!(pasted.messages, ["abcdef", "abcdefx"], "the paste, then the key after it");
        assert!(!pasted.wants_clipboard);
        value = pasted.messages.last().cloned().unwrap_or_default();
        let later = type_in(&mut host, &mut value, pressed("y", Modifiers::empty()));
        assert_eq!(later.messages, ["abcdefxy"], "nothing is held once the paste is in");
    }

    #[test]
    fn a_second_paste_key_held_behind_the_first_asks_for_its_own_read() {
        let mut value = String::new();
        let mut host = control_held(&mut value);
        assert!(type_in(&mut host, &mut value, pressed("v", Modifiers::CTRL)).wants_clipboard);
        assert!(!type_in(&mut host, &mut value, pressed("v", Modifiers::CTRL)).wants_clipboard);
        let first = host.paste(search_box(&value), Some("one".into()));
        assert_eq!(first.messages, ["one"]);
        assert!(first.wants_clipboard, "the second paste reads the clipboard again");
        let second = host.paste(search_box("one"), Some("two".into()));
        assert_eq!(second.messages, ["onetwo"], "read anew, not the first paste again");
    }

    #[test]
    fn text_selected_and_copied_is_handed_out_for_the_clipboard() {
        let mut value = String::from("charlie");
        let mut host = control_held(&mut value);
        type_in(&mut host, &mut value, pressed("a", Modifiers::CTRL));
        let copied = type_in(&mut host, &mut value, pressed("c", Modifiers::CTRL));
        assert_eq!(copied.copied.as_deref(), Some("charlie"));
    }

    #[test]
    fn hiding_drops_a_paste_still_waiting() {
        let mut value = String::new();
        let mut host = control_held(&mut value);
        assert!(type_in(&mut host, &mut value, pressed("v", Modifiers::CTRL)).wants_clipboard);
        drop(host.hide());
        assert!(host.paste(search_box(&value), Some("late".into())).messages.is_empty());
    }
}

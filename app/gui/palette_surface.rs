//! A screen on a surface of the desktop's own (`desktop::PaletteSurface`: layer-shell on
//! wlroots compositors), where a window could not be kept between openings: the palette,
//! and the benches' floor made the same way. iced lays out and draws here the same screen a
//! window shows elsewhere, into pixels of its own, and the surface gets the rows that
//! changed. Kept between openings: the renderer (whose glyph cache holds the screen's text),
//! the widgets' state and the last frame.

use std::ops::Range;

use iced::advanced::clipboard;
use iced::advanced::mouse;
use iced::advanced::renderer::Style;
use iced::advanced::widget::{self, operation::focusable};
use iced::theme::Base;
use iced::{Element, Event, Font, Pixels, Rectangle, Size, Theme, window};
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

    /// Keys and the pointer as the shown screen's widgets take them: the messages they
    /// make.
    pub fn input<'a, M>(&mut self, view: Element<'a, M>, events: &[Event]) -> Vec<M> {
        let mut messages = Vec::new();
        let mut ui = self.build(view);
        ui.update(events, self.cursor, &mut self.renderer, &mut clipboard::Null, &mut messages);
        self.widgets = ui.into_cache();
        messages
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

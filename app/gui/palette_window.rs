//! The palette's window: opening it (showing the kept one where windows can hide), what
//! its actions ask for, and insertion.

use std::collections::HashMap;
use std::time::Instant;

use iced::widget::operation;
use iced::window::{self, Mode};
use iced::{Point, Task};
use promptdeck_actors::{FieldValues, RequestError};
use promptdeck_protocol::{Prompt, PromptKey, PromptSummary};
use promptdeck_views::{library, palette};

use super::palette_surface::Heard;
use super::windows::{PaletteWindow, Visibility, Window};
use super::{Message, Promptdeck, focus, requests, status, window_settings};
use crate::desktop::{Delivery, Inserted, Monitor, SurfaceEvent, Target};
use promptdeck_client::cli::PasteMode;
use requests::InsertFailed;

/// A palette window that exists, hidden, ready to be shown.
const KEPT: Visibility = Visibility::Hidden { made: true };

impl Promptdeck {
    /// Shows the palette, focused, its search empty: the kept window where there is one,
    /// else a new one. The window that had the keyboard is where its prompt goes.
    pub(super) fn open_palette(&mut self) -> Task<Message> {
        if let Some((id, _)) = self.windows.palette() {
            if self.is_surface(id) {
                return Task::none();
            }
            // iced hands the app a hotkey's message before the key events its windows got in
            // the same moment: an Escape pressed just before the hotkey is not handled yet.
            // A round trip through the window system's event loop lets it come first.
            return window::mode(id).map(move |_| Message::PaletteAskedAgain(id));
        }
        let target = self.desktop.focused();
        let monitor = self.desktop.pointer_monitor();
        let kept = self.windows.hidden_palette().filter(|(_, p)| p.visibility == KEPT);
        if let Some((id, _)) = kept
            && self.is_surface(id)
        {
            return self.open_surface_palette(id, target);
        }
        let (id, made) = match kept.map(|(id, _)| id) {
            Some(id) => (id, None),
            None => {
                let (id, open) = window::open(window_settings::palette());
                let palette = PaletteWindow::shown(self.new_palette(), target);
                self.windows.insert(id, Window::Palette(palette));
                (id, Some(open.discard()))
            }
        };
        let Some(palette) = self.windows.palette_mut(id) else { return Task::none() };
        let moved = match monitor.filter(|monitor| palette.placed_on != Some(*monitor)) {
            Some(monitor) => {
                palette.placed_on = Some(monitor);
                centre_on(id, monitor)
            }
            None => Task::none(),
        };
        let open = match made {
            Some(made) => made.chain(moved),
            // Moved while hidden, so it never shows where it was last.
            None => moved.chain(window::set_mode(id, Mode::Windowed)),
        };
        let search = self.shown_palette(id, target);
        let focus_taker = self.desktop.focus_taker();
        let take_focus = window::raw_id::<Message>(id)
            .then(move |raw| Task::future(focus_taker.take(raw)).discard());
        let refresh = self.palette_action(id, search);
        open.chain(focus(id, palette::INPUT_ID)).chain(take_focus).chain(refresh)
    }

    /// The palette `id`, kept or new, shown for `target`: what it searches first. It starts
    /// from the first page, searched again only where that may be out of date, or takes up
    /// the last search.
    fn shown_palette(&mut self, id: window::Id, target: Option<Target>) -> palette::Action {
        let within = self.settings.remember_search;
        let resumed = self.last_search.take().filter(|(_, closed)| closed.elapsed() < within);
        let current = self.first_page.is_current(Instant::now());
        let Some(palette) = self.windows.palette_mut(id) else { return palette::Action::None };
        palette.visibility = Visibility::Shown;
        palette.target = target;
        match resumed {
            Some((last, _)) => palette.state.resume(last),
            None if current => palette::Action::None,
            None => palette.state.data_changed(),
        }
    }

    /// Shows the palette on the desktop's surface kept for it.
    fn open_surface_palette(&mut self, id: window::Id, target: Option<Target>) -> Task<Message> {
        let search = self.shown_palette(id, target);
        let theme = self.theme();
        if let (Some(surface), Some(palette)) =
            (self.surface_palette.as_mut(), self.windows.palette_mut(id))
            && let Err(error) = surface.show(&palette.state, &theme)
        {
            // A surface that cannot show is given up: the palette opens as a window.
            tracing::warn!(%error, "the palette's surface could not be shown");
            let given_up = self.surface_event(SurfaceEvent::Closed);
            return given_up.chain(self.open_palette());
        }
        self.palette_action(id, search)
    }

    /// What the palette's surface heard: keys and the pointer go to its widgets, whose
    /// messages are the palette's. A surface taken away leaves the palette to windows.
    pub(super) fn surface_event(&mut self, event: SurfaceEvent) -> Task<Message> {
        let Some(surface) = self.surface_palette.as_mut() else { return Task::none() };
        let id = surface.id;
        match event {
            SurfaceEvent::Input(event) => {
                surface.host.observe(&event);
                let Some(palette) = self.windows.palette_mut(id).filter(|p| p.is_shown()) else {
                    return Task::none();
                };
                let heard = surface.host.input(palette.state.view(), event);
                self.surface_heard(id, heard)
            }
            SurfaceEvent::Scale(scale) => {
                surface.host.set_scale(scale);
                Task::none()
            }
            // Drawn after this message, as after every one.
            SurfaceEvent::Released => Task::none(),
            SurfaceEvent::Closed => {
                tracing::warn!("the palette's surface was taken away: it is a window from now on");
                self.surface_palette = None;
                self.windows.remove(id);
                self.desktop.palette_surface_closed();
                self.prepare_palette()
            }
        }
    }

    /// The clipboard's text came for a paste into the palette on its surface.
    pub(super) fn surface_pasted(&mut self, text: Option<String>) -> Task<Message> {
        let Some(surface) = self.surface_palette.as_mut() else { return Task::none() };
        let id = surface.id;
        let Some(palette) = self.windows.palette_mut(id).filter(|p| p.is_shown()) else {
            return Task::none();
        };
        let heard = surface.host.paste(palette.state.view(), text);
        self.surface_heard(id, heard)
    }

    /// What the palette's widgets on its surface made of input: its messages, a read of
    /// the clipboard for a paste, text copied.
    fn surface_heard(&mut self, id: window::Id, heard: Heard<palette::Message>) -> Task<Message> {
        if let Some(text) = heard.copied {
            self.desktop.copy(text);
        }
        let read = match heard.wants_clipboard {
            true => Task::future(self.desktop.clipboard_text()).map(Message::SurfacePasted),
            false => Task::none(),
        };
        let mut tasks: Vec<_> =
            heard.messages.into_iter().map(|m| self.palette_message(id, m)).collect();
        tasks.push(read);
        Task::batch(tasks)
    }

    /// Draws the palette on its surface, where it is shown, as it is after a message.
    pub(super) fn redraw_surface_palette(&mut self) {
        let theme = self.theme();
        let Some(surface) = self.surface_palette.as_mut() else { return };
        if let Some(palette) = self.windows.palette_mut(surface.id).filter(|p| p.is_shown()) {
            surface.host.redraw(palette.state.view(), &theme);
        }
    }

    /// Whether `id` is the palette on the desktop's own surface, not a window.
    pub(super) fn is_surface(&self, id: window::Id) -> bool {
        self.surface_palette.as_ref().is_some_and(|surface| surface.id == id)
    }

    /// The palette asked for while `id` was on screen: focused if it still is, else (an
    /// Escape closed it just before) opened afresh.
    pub(super) fn palette_asked_again(&mut self, id: window::Id) -> Task<Message> {
        match self.windows.palette() {
            Some((shown, _)) if shown == id => focus(id, palette::INPUT_ID),
            _ => self.open_palette(),
        }
    }

    /// A palette as it opens: the best prompts for an empty query, the sync state, the
    /// workspaces, and the first prompt's body when it is at hand.
    pub(super) fn new_palette(&self) -> palette::State {
        let mut state =
            palette::State::new(self.first_page.rows(), status::indicator(&self.status));
        state.set_workspaces(status::workspaces(&self.status), &self.status.active_space);
        state
    }

    /// Makes the palette's window, hidden, before it is first asked for, where windows can
    /// hide: iced keeps rasterised glyphs per window, so a new window for every opening drew
    /// each of its some 1,000 glyphs again.
    pub(super) fn prepare_palette(&mut self) -> Task<Message> {
        if let Some(surface) = &self.surface_palette {
            let palette = PaletteWindow::hidden(self.new_palette(), true, None);
            self.windows.insert(surface.id, Window::Palette(palette));
            return Task::none();
        }
        if !self.desktop.window_system().can_hide_windows() {
            return Task::none();
        }
        let (id, made) = window::open(window_settings::hidden(window_settings::palette()));
        let palette = PaletteWindow::hidden(self.new_palette(), false, None);
        self.windows.insert(id, Window::Palette(palette));
        made.map(Message::PaletteMade)
    }

    pub(super) fn palette_made(&mut self, id: window::Id) -> Task<Message> {
        if let Some(palette) = self.windows.palette_mut(id)
            && palette.visibility == (Visibility::Hidden { made: false })
        {
            palette.visibility = KEPT;
        }
        Task::none()
    }

    /// The palette's window, closed by the user, is hidden for the next opening with its
    /// state reset, where windows can hide and none is kept already; else it closes. Its
    /// search is kept aside, for an opening soon after to take up.
    pub(super) fn keep_palette(&mut self, id: window::Id, closed: &PaletteWindow) -> Task<Message> {
        self.last_search = Some((closed.state.last_search(), Instant::now()));
        let placed_on = closed.placed_on;
        if let Some(surface) = self.surface_palette.as_mut().filter(|s| s.id == id) {
            let hidden = surface.host.hide();
            let mut fresh = self.new_palette();
            fresh.keep_preview_of(&closed.state);
            self.windows.insert(id, Window::Palette(PaletteWindow::hidden(fresh, true, None)));
            let hidden = Task::future(hidden).discard();
            return hidden.chain(self.kept_palette_preview());
        }
        let can_keep = self.desktop.window_system().can_hide_windows()
            && self.windows.hidden_palette().is_none();
        if !can_keep {
            return window::close(id);
        }
        let mut fresh = self.new_palette();
        fresh.keep_preview_of(&closed.state);
        let kept = PaletteWindow::hidden(fresh, true, placed_on);
        self.windows.insert(id, Window::Palette(kept));
        window::set_mode(id, Mode::Hidden).chain(self.kept_palette_preview())
    }

    /// Asks for the palette's first page again.
    pub(super) fn ask_first_page(&mut self) -> Task<Message> {
        self.first_page.asked();
        requests::first_page(&self.runtime)
    }

    /// The palette's first page came: the kept palette starts again from it.
    pub(super) fn first_page_listed(
        &mut self,
        result: Result<Vec<PromptSummary>, RequestError>,
    ) -> Task<Message> {
        let listed = result.is_ok();
        self.first_page.answered(result, Instant::now());
        if !listed {
            return Task::none();
        }
        let mut fresh = self.new_palette();
        let Some((_, kept)) = self.windows.hidden_palette_mut() else { return Task::none() };
        fresh.keep_preview_of(&kept.state);
        kept.state = fresh;
        self.kept_palette_preview()
    }

    /// The kept palette draws its first prompt's body before it is shown.
    fn kept_palette_preview(&self) -> Task<Message> {
        let Some((id, kept)) = self.windows.hidden_palette() else { return Task::none() };
        match kept.state.wanted_preview() {
            Some(key) => requests::preview(&self.runtime, id, key),
            None => Task::none(),
        }
    }

    pub(super) fn palette_message(
        &mut self,
        id: window::Id,
        message: palette::Message,
    ) -> Task<Message> {
        let Some(palette) = self.windows.palette_mut(id) else { return Task::none() };
        if !palette.is_shown() {
            return Task::none();
        }
        let action = palette.state.update(message);
        self.palette_action(id, action)
    }

    /// Does what the palette in `id` asked for.
    pub(super) fn palette_action(
        &mut self,
        id: window::Id,
        action: palette::Action,
    ) -> Task<Message> {
        match action {
            palette::Action::None => Task::none(),
            palette::Action::Search { query, scope } => {
                requests::palette_search(&self.runtime, id, query, scope)
            }
            palette::Action::Rescope { query, scope } => self.rescope(id, query, scope),
            palette::Action::Preview(key) => requests::preview(&self.runtime, id, key),
            palette::Action::Choose { prompt, copy } => {
                requests::choose(&self.runtime, id, prompt, copy)
            }
            palette::Action::Deliver { prompt, values, copy } => {
                self.insert(id, prompt, values.into_iter().collect(), copy)
            }
            palette::Action::Edit(prompt) => self.edit(id, prompt),
            palette::Action::TogglePin(prompt) => requests::toggle_pin(&self.runtime, prompt),
            palette::Action::Focus(widget) => match self.surface_palette.as_mut() {
                Some(surface) if surface.id == id => {
                    if let Some(palette) = self.windows.palette_mut(id) {
                        surface.host.focus(palette.state.view(), widget.into());
                    }
                    Task::none()
                }
                _ => operation::focus(widget),
            },
            palette::Action::Close => self.close(id),
        }
    }

    /// Searches in a new scope; a workspace becomes the active one.
    fn rescope(&mut self, id: window::Id, query: String, scope: palette::Scope) -> Task<Message> {
        if let palette::Scope::Workspace(space) = &scope
            && let Err(e) = self.runtime.switch_to(space)
            && let Some(palette) = self.windows.palette_mut(id)
        {
            palette.state.set_notice(Some(e.to_string()));
        }
        requests::palette_search(&self.runtime, id, query, scope)
    }

    pub(super) fn previewed(
        &mut self,
        id: window::Id,
        key: PromptKey,
        prompt: &Prompt,
    ) -> Task<Message> {
        if let Some(palette) = self.windows.palette_mut(id) {
            palette.state.show_preview(key, &prompt.body);
        }
        Task::none()
    }

    /// The chosen prompt, fetched: the palette asks for its fields, or it is delivered.
    pub(super) fn chosen(
        &mut self,
        id: window::Id,
        key: PromptKey,
        found: Result<Option<std::sync::Arc<Prompt>>, RequestError>,
        recent: &FieldValues,
        copy: bool,
    ) -> Task<Message> {
        let Some(palette) = self.windows.palette_mut(id) else { return Task::none() };
        let action = match found {
            Ok(Some(prompt)) => palette.state.chosen(key, &prompt, recent, copy),
            Ok(None) => {
                palette.state.set_notice(Some("That prompt was deleted meanwhile.".into()));
                palette::Action::None
            }
            Err(error) => {
                palette.state.set_notice(Some(error.to_string()));
                palette::Action::None
            }
        };
        self.palette_action(id, action)
    }

    /// Where paste works (or only a copy was asked for), the palette closes first so focus
    /// can go back; where it cannot, the palette stays open to say the prompt is on the
    /// clipboard.
    fn insert(
        &mut self,
        id: window::Id,
        prompt: PromptKey,
        fields: HashMap<String, String>,
        copy: bool,
    ) -> Task<Message> {
        let unavailable = match self.settings.paste {
            PasteMode::CopyOnly => Some("paste is set to copy only".to_owned()),
            PasteMode::Auto => self.desktop.paste_unavailable().map(str::to_owned),
        };
        let delivery = match copy {
            true => Delivery::Copy,
            false => {
                let target = self.windows.palette().and_then(|(_, p)| p.target);
                Delivery::Paste { target, unavailable: unavailable.clone() }
            }
        };
        let runtime = self.runtime.in_space(&prompt.space);
        let picked_for = self.settings.learn.then(|| self.windows.palette_mut(id)).flatten();
        let picked_for = picked_for.map(|palette| palette.state.query().to_owned());
        let insertion =
            requests::insert(&runtime, &self.desktop, prompt.id, fields, delivery, picked_for);
        if unavailable.is_none() || copy { self.close(id).chain(insertion) } else { insertion }
    }

    /// An insertion that did not paste says why in the palette if it is still open, else
    /// in a desktop notification.
    pub(super) fn inserted(&mut self, result: Result<Inserted, InsertFailed>) -> Task<Message> {
        let notice = match result {
            Ok(Inserted::Pasted | Inserted::Copied) => return Task::none(),
            Ok(Inserted::OnClipboard { reason }) => {
                format!("Copied to the clipboard; paste it with Ctrl+V ({reason}).")
            }
            Err(error) => format!("Could not insert: {error}"),
        };
        tracing::warn!(%notice, "insertion did not paste");
        if let Some((id, _)) = self.windows.palette()
            && let Some(palette) = self.windows.palette_mut(id)
        {
            palette.state.set_notice(Some(notice));
            return Task::none();
        }
        let notifier = self.desktop.notifier();
        // The notification blocks on the bus: not on the UI thread.
        Task::future(async move {
            let _ = tokio::task::spawn_blocking(move || notifier.not_pasted(&notice)).await;
        })
        .discard()
    }

    /// Closes the palette and opens the prompt in the library's editor, in its workspace.
    fn edit(&mut self, palette: window::Id, prompt: PromptKey) -> Task<Message> {
        if !prompt.space.is_empty()
            && let Err(e) = self.runtime.switch_to(&prompt.space)
        {
            tracing::warn!(error = %e, "the prompt's workspace is gone");
            return Task::none();
        }
        let open = self.open_library();
        let Some(library) = self.windows.library() else { return open };
        // As if the prompt were clicked in the list: the library selects it and loads it.
        let select = self.library_message(library, library::Message::Select(prompt.id));
        self.close(palette).chain(open).chain(select)
    }
}

/// Moves the palette `id` to the centre of `monitor`.
fn centre_on(id: window::Id, monitor: Monitor) -> Task<Message> {
    // The monitor is in the window system's pixels, the window's size and place in iced's,
    // which are those times the window's scale factor.
    window::scale_factor(id).then(move |scale| {
        let size = palette::WINDOW_SIZE * scale;
        let (x, y) = monitor.centre_for((size.width.round() as u32, size.height.round() as u32));
        window::move_to(id, Point::new(x as f32 / scale, y as f32 / scale))
    })
}

//! The palette: a search box over the library. Type to filter (`#tag` keeps one tag), arrows
//! to move, Enter to insert, Ctrl+Enter to copy instead, Ctrl+1..9 to insert a row at once,
//! Ctrl+E to edit, Escape to close. It opens with the library already in hand, so its first frame lists
//! prompts. A prompt with named fields asks for them in a small form first (see [`fill`]).
//! With several workspaces, chips above the list show which one is searched; Ctrl+Tab moves
//! to the next workspace, then to all of them at once.

use std::cell::Cell;
use std::collections::HashMap;

use iced::keyboard::{Key, Modifiers, key::Named};
use iced::widget::{
    button, column, container, mouse_area, responsive, row, space, text, text_input,
};
use iced::{Element, Length, Point, Size};
use promptdeck_protocol::template::Template;
use promptdeck_protocol::{Prompt, PromptKey, PromptSummary};

use crate::excerpt;
use crate::widget::chip::chip;
use crate::widget::frame::frame;
use crate::widget::highlight;
use crate::widget::keys::on_keys;
use crate::widget::layer::own_layer;
use crate::widget::status_dot::status_dot;
use crate::{Indicator, Loadable, fill, theme};

/// The search box's id, for focusing it when the window opens.
pub const INPUT_ID: &str = "palette-input";
/// The palette window's size: wide enough for the list and, beside it, the selected prompt
/// in full; high enough for [`VISIBLE_ROWS`] whole rows under the search box.
pub const WINDOW_SIZE: Size = Size::new(900.0, 504.0);
/// Rows shown at most; fewer when fewer whole rows fit. The list slides by rows to keep the
/// selection in view.
pub const VISIBLE_ROWS: usize = 8;
/// The height of a result's one line of body, in pixels.
const PREVIEW_LINE: f32 = 16.0;
/// A result row's height, the same for every row so that the list shows whole rows only:
/// its title line and its body line, with padding.
const ROW_HEIGHT: f32 = 52.0;
const ROW_SPACING: f32 = 2.0;
/// Characters of the selected prompt shown beside the list.
pub const PREVIEW_CHARS: usize = 2000;

pub struct State {
    query: String,
    results: Loadable<Vec<PromptSummary>>,
    selected: usize,
    indicator: Indicator,
    notice: Option<String>,
    /// The selected prompt's body, once the app has fetched it.
    preview: Option<Preview>,
    /// The fill-in form of the prompt being inserted, while it asks for its fields.
    filling: Option<Filling>,
    /// Every workspace's space, in order; chips show when there are several.
    workspaces: Vec<String>,
    active: String,
    /// Searching every workspace rather than the active one.
    all: bool,
    /// How many rows the list showed when last laid out, which only layout knows (it
    /// depends on the height left under the search box): Ctrl+digit picks by place on
    /// screen.
    shown_rows: Cell<usize>,
    /// The prompt to select once the next results come, if they hold it (a search taken up
    /// again). Boxed: rarely there, and the state is moved with every window.
    reselect: Option<Box<PromptKey>>,
    /// Where the pointer has been over the palette since it opened.
    pointer: Pointer,
}

/// The pointer over an open palette. A row under it is lit only once it has moved there: a
/// pointer that rested where the palette opened was not pointing at anything, and beside
/// the keyboard's selection a second lit row would mislead.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Pointer {
    /// Not over the palette since it opened.
    Unseen,
    /// Over it, where it was when first seen.
    Resting(Point),
    Moved,
}

impl Pointer {
    fn seen_at(self, at: Point) -> Self {
        match self {
            Pointer::Unseen => Pointer::Resting(at),
            Pointer::Resting(first) if first == at => self,
            Pointer::Resting(_) | Pointer::Moved => Pointer::Moved,
        }
    }
}

/// Where a palette was when it closed: its query and the prompt selected, for an opening
/// soon after to take up again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastSearch {
    pub query: String,
    pub selected: Option<PromptKey>,
}

/// What the palette searches: one workspace, or every one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    Workspace(String),
    All,
}

/// The selected prompt's body, and what of it the preview pane shows for the query.
struct Preview {
    key: PromptKey,
    /// The row's `updated_at` when the body came: a row listed later with another is a
    /// prompt edited since (here or on another device), whose body is fetched again.
    updated_at: i64,
    body: String,
    shown: String,
}

impl Preview {
    fn new(key: PromptKey, updated_at: i64, body: &str, query: &str) -> Self {
        Self {
            key,
            updated_at,
            body: body.to_owned(),
            shown: excerpt::around_match(body, query, PREVIEW_CHARS),
        }
    }

    /// Whether this is the body of `row` as listed.
    fn is_of(&self, row: &PromptSummary) -> bool {
        self.key == row.key() && self.updated_at == row.updated_at
    }

    /// Shows the part of the body that `query` matches.
    fn follow(&mut self, query: &str) {
        self.shown = excerpt::around_match(&self.body, query, PREVIEW_CHARS);
    }
}

struct Filling {
    prompt: PromptKey,
    copy: bool,
    form: fill::State,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// The search text changed.
    QueryChanged(String),
    /// Move the selection up one row.
    Up,
    /// Move the selection down one row.
    Down,
    /// Insert the selected prompt.
    Submit,
    /// Copy the selected prompt to the clipboard without pasting it (Ctrl+Enter).
    Copy,
    /// Insert the n-th row on screen, from 1 (Ctrl+1..9).
    QuickPick(usize),
    /// Open the selected prompt in the editor (Ctrl+E).
    EditSelected,
    /// Pin the selected prompt to the top, or unpin it (Ctrl+Shift+P).
    TogglePin,
    /// A row was clicked: insert it.
    Picked(usize),
    /// Close without inserting.
    Close,
    /// Something happened in the fill-in form.
    Fill(fill::Message),
    /// Search the next workspace (1) or the previous one (-1); after the last, all of them.
    CycleScope(i32),
    /// A workspace chip was clicked.
    ScopeChosen(Scope),
    /// The pointer is over the palette at this point, until it has moved.
    PointerAt(Point),
}

/// What the palette wants the app to do; each carries what the app needs for it.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    None,
    /// Search for `query` in `scope`; answer with [`State::show_results`].
    Search {
        query: String,
        scope: Scope,
    },
    /// Search in `scope` from now on (a workspace becomes the active one), and search
    /// `query` again there.
    Rescope {
        query: String,
        scope: Scope,
    },
    /// Fetch this prompt's body for the preview; answer with [`State::show_preview`].
    Preview(PromptKey),
    /// The user chose this prompt, to insert it or (`copy`) put it on the clipboard: fetch
    /// it and answer with [`State::chosen`].
    Choose {
        prompt: PromptKey,
        copy: bool,
    },
    /// Close, and open the prompt in the library's editor.
    Edit(PromptKey),
    /// Pin or unpin the prompt (its `pinned` tag).
    TogglePin(PromptKey),
    Close,
    /// Insert (or copy) the prompt, filled with these field values.
    Deliver {
        prompt: PromptKey,
        values: Vec<(String, String)>,
        copy: bool,
    },
    /// Put the keyboard in the widget with this id.
    Focus(String),
}

impl State {
    /// A palette showing `library` (the last known list) until a search answers; with no
    /// list yet, it shows that it is loading.
    pub fn new(library: Option<Vec<PromptSummary>>, indicator: Indicator) -> Self {
        let results = library.map_or(Loadable::Loading, Loadable::Loaded);
        Self {
            query: String::new(),
            results,
            selected: 0,
            indicator,
            notice: None,
            preview: None,
            filling: None,
            workspaces: Vec::new(),
            active: String::new(),
            all: false,
            shown_rows: Cell::new(VISIBLE_ROWS),
            reselect: None,
            pointer: Pointer::Unseen,
        }
    }

    /// The query and the selected prompt, as they are now.
    pub fn last_search(&self) -> LastSearch {
        LastSearch { query: self.query.clone(), selected: self.selected().map(|p| p.key()) }
    }

    /// Takes `last` up again: its query searched, its prompt selected when it is among the
    /// results.
    pub fn resume(&mut self, last: LastSearch) -> Action {
        self.query = last.query;
        self.reselect = last.selected.map(Box::new);
        self.data_changed()
    }

    /// The workspaces there are and the active one, as the runtime says.
    pub fn set_workspaces(&mut self, workspaces: Vec<String>, active: &str) {
        self.workspaces = workspaces;
        active.clone_into(&mut self.active);
        if self.workspaces.len() < 2 {
            self.all = false;
        }
    }

    /// What the palette searches now.
    pub fn scope(&self) -> Scope {
        match self.all {
            true => Scope::All,
            false => Scope::Workspace(self.active.clone()),
        }
    }

    fn rescope(&mut self, scope: Scope) -> Action {
        if scope == self.scope() {
            return Action::None;
        }
        match &scope {
            Scope::All => self.all = true,
            Scope::Workspace(space) => {
                self.all = false;
                space.clone_into(&mut self.active);
            }
        }
        Action::Rescope { query: self.query.clone(), scope }
    }

    /// The scope `step` places along workspaces-then-all from the current one.
    fn cycled(&self, step: i32) -> Option<Scope> {
        let count = self.workspaces.len();
        if count < 2 {
            return None;
        }
        let at = match self.all {
            true => count,
            false => self.workspaces.iter().position(|w| *w == self.active).unwrap_or(0),
        };
        let next = (at as i64 + i64::from(step)).rem_euclid(count as i64 + 1) as usize;
        Some(self.workspaces.get(next).map_or(Scope::All, |w| Scope::Workspace(w.clone())))
    }

    pub fn query(&self) -> &str {
        &self.query
    }

    pub fn selected(&self) -> Option<&PromptSummary> {
        match &self.results {
            Loadable::Loaded(rows) => rows.get(self.selected),
            _ => None,
        }
    }

    pub fn update(&mut self, message: Message) -> Action {
        match message {
            Message::QueryChanged(query) => {
                self.query = query.clone();
                Action::Search { query, scope: self.scope() }
            }
            Message::Up => {
                self.selected = self.selected.saturating_sub(1);
                self.preview_action()
            }
            Message::Down => {
                let last = self.row_count().saturating_sub(1);
                self.selected = (self.selected + 1).min(last);
                self.preview_action()
            }
            Message::Submit => self.choose(false),
            Message::Copy => self.choose(true),
            Message::EditSelected => {
                self.selected().map_or(Action::None, |p| Action::Edit(p.key()))
            }
            Message::TogglePin => {
                self.selected().map_or(Action::None, |p| Action::TogglePin(p.key()))
            }
            Message::CycleScope(step) => match self.cycled(step) {
                Some(scope) => self.rescope(scope),
                None => Action::None,
            },
            Message::ScopeChosen(scope) => self.rescope(scope),
            Message::QuickPick(n) => {
                let index = self.first_visible(self.shown_rows.get()) + n.saturating_sub(1);
                if index >= self.row_count() {
                    return Action::None;
                }
                self.update(Message::Picked(index))
            }
            Message::Picked(index) => {
                self.selected = index;
                self.update(Message::Submit)
            }
            Message::Close => Action::Close,
            Message::Fill(message) => self.update_fill(message),
            Message::PointerAt(at) => {
                self.pointer = self.pointer.seen_at(at);
                Action::None
            }
        }
    }

    fn choose(&self, copy: bool) -> Action {
        self.selected().map_or(Action::None, |p| Action::Choose { prompt: p.key(), copy })
    }

    /// The library changed: search the query again where the palette searches.
    pub fn data_changed(&self) -> Action {
        Action::Search { query: self.query.clone(), scope: self.scope() }
    }

    /// The prompt the user chose, fetched: a prompt with named fields asks for them in the
    /// form first, offering the values last typed into each (`recent`: per field, the most
    /// recent first); any other is delivered at once.
    pub fn chosen(
        &mut self,
        key: PromptKey,
        prompt: &Prompt,
        recent: &HashMap<String, Vec<String>>,
        copy: bool,
    ) -> Action {
        let template = match Template::parse(&prompt.body) {
            Ok(template) if !template.fields().is_empty() => template,
            _ => return Action::Deliver { prompt: key, values: Vec::new(), copy },
        };
        let form = fill::State::new(&prompt.title, template, recent);
        self.filling = Some(Filling { prompt: key, copy, form });
        Action::Focus(fill::input_id(0))
    }

    fn update_fill(&mut self, message: fill::Message) -> Action {
        let Some(filling) = &mut self.filling else { return Action::None };
        match filling.form.update(message) {
            fill::Action::None => Action::None,
            fill::Action::Focus(id) => Action::Focus(id),
            fill::Action::Submit(values) => {
                let Filling { prompt, copy, .. } = self.filling.take().expect("filling");
                Action::Deliver { prompt, values, copy }
            }
            fill::Action::Back => {
                self.filling = None;
                Action::Focus(INPUT_ID.into())
            }
        }
    }

    /// Whether the fill-in form is showing.
    pub fn is_filling(&self) -> bool {
        self.filling.is_some()
    }

    /// The answer to a search. An answer for an older query than the one in the box is
    /// dropped: a newer one is on its way. Asks for the first prompt's body when the
    /// preview does not show it yet.
    pub fn show_results(
        &mut self,
        query: &str,
        results: Result<Vec<PromptSummary>, String>,
    ) -> Action {
        if query != self.query {
            return Action::None;
        }
        self.results = match results {
            Ok(rows) => Loadable::Loaded(rows),
            Err(error) => Loadable::Failed(error),
        };
        let reselected = self.reselect.take().and_then(|key| match &self.results {
            Loadable::Loaded(rows) => rows.iter().position(|row| row.key() == *key),
            _ => None,
        });
        self.selected = reselected.unwrap_or(0);
        if let Some(preview) = &mut self.preview {
            preview.follow(query);
        }
        self.preview_action()
    }

    /// The selected prompt, when its body (as it was last listed) is not shown yet: for the
    /// app to fetch it.
    pub fn wanted_preview(&self) -> Option<PromptKey> {
        let selected = self.selected()?;
        match &self.preview {
            Some(preview) if preview.is_of(selected) => None,
            _ => Some(selected.key()),
        }
    }

    /// Starts with the body `earlier` previewed, where it is that of the prompt selected
    /// here as listed here: the kept palette, reset on closing, has its body at hand and
    /// neither fetches nor draws it again.
    pub fn keep_preview_of(&mut self, earlier: &State) {
        let (Some(preview), Some(selected)) = (&earlier.preview, self.selected()) else { return };
        if preview.is_of(selected) {
            let key = preview.key.clone();
            self.preview = Some(Preview::new(key, preview.updated_at, &preview.body, &self.query));
        }
    }

    fn preview_action(&self) -> Action {
        self.wanted_preview().map_or(Action::None, Action::Preview)
    }

    /// The prompt whose full body the preview shows.
    pub fn previewed(&self) -> Option<&PromptKey> {
        self.preview.as_ref().map(|preview| &preview.key)
    }

    /// The body of `key` for the preview, from where the query matches it; dropped if the
    /// selection moved on meanwhile.
    pub fn show_preview(&mut self, key: PromptKey, body: &str) {
        let Some(selected) = self.selected().filter(|p| p.key() == key) else { return };
        let updated_at = selected.updated_at;
        self.preview = Some(Preview::new(key, updated_at, body, &self.query));
    }

    pub fn set_indicator(&mut self, indicator: Indicator) {
        self.indicator = indicator;
    }

    pub fn notice(&self) -> Option<&str> {
        self.notice.as_deref()
    }

    /// A line under the results: why paste did not happen, say.
    pub fn set_notice(&mut self, notice: Option<String>) {
        self.notice = notice;
    }

    /// How many prompts the palette lists now.
    pub fn row_count(&self) -> usize {
        match &self.results {
            Loadable::Loaded(rows) => rows.len(),
            _ => 0,
        }
    }

    pub fn view(&self) -> Element<'_, Message> {
        let input = text_input("Search prompts…", &self.query)
            .id(INPUT_ID)
            .on_input(Message::QueryChanged)
            .on_submit(Message::Submit)
            .padding(10)
            .size(18);
        // Its text cursor comes and goes (blinking, and on showing the kept window).
        let mut header = row![own_layer(input)].spacing(10).align_y(iced::Center);
        if self.indicator.needs_words() {
            header = header.push(text(self.indicator.label()).size(12).style(theme::muted));
        }
        let header = header.push(status_dot(&self.indicator));
        let body = match &self.filling {
            Some(filling) => filling.form.view().map(Message::Fill),
            None => self.body(),
        };
        let mut content = column![header].spacing(8);
        if self.workspaces.len() > 1 && self.filling.is_none() {
            content = content.push(self.scope_chips());
        }
        content = content.push(body);
        if let Some(notice) = &self.notice {
            content = content.push(text(notice).size(13).style(theme::error));
        }
        let framed = frame(container(content).padding(9).width(Length::Fill).height(Length::Fill));
        // Heard until the pointer has moved: after that every move would rebuild the view.
        // The area stays when it stops listening, so the widget tree keeps its shape.
        let mut framed = mouse_area(framed);
        if self.pointer != Pointer::Moved {
            framed = framed.on_move(Message::PointerAt);
        }
        if self.filling.is_some() {
            on_keys(framed, fill_keys)
        } else {
            on_keys(framed, palette_keys)
        }
    }

    /// One chip per workspace, then "All"; the one searched is lit.
    fn scope_chips<'a>(&'a self) -> Element<'a, Message> {
        let current = self.scope();
        let scope_chip = |label: &'a str, scope: Scope| {
            chip(label, scope == current, Message::ScopeChosen(scope))
        };
        let spaces = self.workspaces.iter().map(|w| scope_chip(w, Scope::Workspace(w.clone())));
        let all = scope_chip("All workspaces", Scope::All);
        let hint = text("Ctrl+Tab").size(11).style(theme::muted);
        let chips = row(spaces.chain(std::iter::once(all))).spacing(6);
        row![chips, space::horizontal(), hint].align_y(iced::Center).into()
    }

    fn body(&self) -> Element<'_, Message> {
        match &self.results {
            Loadable::Loading => message_line("Loading your library…"),
            Loadable::Failed(error) => {
                text(format!("Promptdeck is unavailable: {error}")).style(theme::error).into()
            }
            Loadable::Loaded(rows) if rows.is_empty() && self.query.is_empty() => message_line(
                "Your library is empty. Capture a selection with Ctrl+Shift+C, or add prompts in the library.",
            ),
            Loadable::Loaded(rows) if rows.is_empty() => {
                message_line(&format!("No prompt matches “{}”.", self.query))
            }
            Loadable::Loaded(rows) => self.rows(rows),
        }
    }

    /// The first row on screen when `shown` rows fit: the list slides so the selection
    /// stays in view.
    fn first_visible(&self, shown: usize) -> usize {
        self.selected.saturating_sub(shown - 1)
    }

    fn rows<'a>(&'a self, rows: &'a [PromptSummary]) -> Element<'a, Message> {
        // Laid out at the height left under the search box (and chips, and a notice), so
        // no row is cut through at the bottom edge.
        let hoverable = self.pointer == Pointer::Moved;
        let list = responsive(move |size| {
            let shown = rows_that_fit(size.height);
            self.shown_rows.set(shown);
            let first = self.first_visible(shown);
            let visible = rows.iter().enumerate().skip(first).take(shown);
            column(visible.map(|(index, prompt)| {
                let place = self.all.then_some(prompt.space.as_str());
                let position = index - first + 1;
                let selected = index == self.selected;
                result_row(prompt, place, &self.query, index, position, selected, hoverable)
            }))
            .spacing(ROW_SPACING)
            .into()
        });
        // A row's hover highlight comes and goes with the pointer.
        let list = own_layer(container(list).width(Length::FillPortion(3)));
        row![list, self.preview_pane()].spacing(10).into()
    }

    /// The selected prompt as it will be inserted; its one-line preview until the body
    /// arrives.
    fn preview_pane(&self) -> Element<'_, Message> {
        let shown = match (&self.preview, self.selected()) {
            (Some(preview), Some(selected)) if preview.key == selected.key() => {
                preview.shown.as_str()
            }
            (_, Some(selected)) => selected.preview.as_str(),
            (_, None) => "",
        };
        container(text(shown).size(13))
            .padding(10)
            .width(Length::FillPortion(2))
            .height(Length::Fill)
            .clip(true)
            .style(theme::preview_pane)
            .into()
    }
}

fn palette_keys(key: &Key, modifiers: Modifiers) -> Option<Message> {
    match key {
        Key::Named(Named::ArrowUp) => Some(Message::Up),
        Key::Named(Named::ArrowDown) => Some(Message::Down),
        Key::Named(Named::Escape) => Some(Message::Close),
        Key::Named(Named::Enter) if modifiers.control() => Some(Message::Copy),
        Key::Named(Named::Tab) if modifiers.control() && modifiers.shift() => {
            Some(Message::CycleScope(-1))
        }
        Key::Named(Named::Tab) if modifiers.control() => Some(Message::CycleScope(1)),
        // Shift may or may not upper-case the key, depending on the platform.
        Key::Character(c)
            if modifiers.control() && modifiers.shift() && c.eq_ignore_ascii_case("p") =>
        {
            Some(Message::TogglePin)
        }
        Key::Character(c) if modifiers.control() => quick_pick(c.as_str()),
        _ => None,
    }
}

fn fill_keys(key: &Key, modifiers: Modifiers) -> Option<Message> {
    let message = match key {
        Key::Named(Named::Tab) if modifiers.shift() => fill::Message::Previous,
        Key::Named(Named::Tab) => fill::Message::Next,
        Key::Named(Named::ArrowUp) => fill::Message::Cycle(-1),
        Key::Named(Named::ArrowDown) => fill::Message::Cycle(1),
        Key::Named(Named::Escape) => fill::Message::Back,
        _ => return None,
    };
    Some(Message::Fill(message))
}

/// Ctrl+P / Ctrl+N move, Ctrl+E edits, Ctrl+Shift+P pins, Ctrl+1..9 pick a row.
fn quick_pick(key: &str) -> Option<Message> {
    match key {
        "p" => Some(Message::Up),
        "n" => Some(Message::Down),
        "e" => Some(Message::EditSelected),
        digit => match digit.parse::<usize>() {
            Ok(n @ 1..=9) => Some(Message::QuickPick(n)),
            _ => None,
        },
    }
}

/// A result; `position` is its place on screen, the digit that picks it with Ctrl; `place`
/// its workspace, when the list spans several.
fn result_row<'a>(
    prompt: &'a PromptSummary,
    place: Option<&'a str>,
    query: &str,
    index: usize,
    position: usize,
    selected: bool,
    hoverable: bool,
) -> Element<'a, Message> {
    // Tags and the digit that picks the row, as one text: every text is laid out and drawn
    // on its own, and a new palette window draws each from scratch.
    let mut hints: Vec<String> = prompt.tags.iter().map(|t| format!("#{t}")).collect();
    hints.extend((position <= 9).then(|| format!("Ctrl+{position}")));
    let matched = highlight::matched_chars(query, &prompt.title);
    let place = place.map(|p| text(p).size(11).style(theme::accent));
    let title = row![highlight::highlighted(&prompt.title, &matched, 15.0), space::horizontal(),]
        .push(place)
        .push(text(hints.join("  ")).size(12).style(theme::row_detail(selected)))
        .spacing(8);
    // The body's start, wrapped at the row's width and cut after its first line: all of it
    // lies within the row, so nothing past the row is rasterised or drawn through a mask.
    let preview = text(&prompt.preview)
        .size(12)
        .line_height(text::LineHeight::Absolute(PREVIEW_LINE.into()))
        .height(PREVIEW_LINE)
        .wrapping(text::Wrapping::WordOrGlyph)
        .style(theme::row_detail(selected));
    button(column![title, preview].spacing(2))
        .on_press(Message::Picked(index))
        .width(Length::Fill)
        .height(ROW_HEIGHT)
        .padding([6, 10])
        .clip(true)
        .style(move |theme, status| {
            let status = match status {
                button::Status::Hovered if !hoverable => button::Status::Active,
                status => status,
            };
            theme::result_row(selected)(theme, status)
        })
        .into()
}

/// How many whole rows fit in `height`, from one to [`VISIBLE_ROWS`].
fn rows_that_fit(height: f32) -> usize {
    let whole = ((height + ROW_SPACING) / (ROW_HEIGHT + ROW_SPACING)).floor();
    (whole as usize).clamp(1, VISIBLE_ROWS)
}

fn message_line<'a>(message: &str) -> Element<'a, Message> {
    container(text(message.to_owned()).size(14).style(theme::muted)).padding(12).into()
}

//! The library window: every prompt of the active workspace, a search over them, and the
//! editor beside the list. With several workspaces, a list at the top switches between them.

use iced::keyboard::{Key, Modifiers, key::Named};
use iced::widget::{button, column, container, row, scrollable, space, text, text_input};
use iced::{Element, Length};
use promptdeck_protocol::{Prompt, PromptId, PromptSummary};

use crate::widget::chip::chip;
use crate::widget::keys::on_keys;
use crate::widget::status_dot::status_dot;
use crate::{Account, Indicator, Loadable, account, editor, history, theme};

pub const SEARCH_ID: &str = "library-search";
/// Rows listed at once; past this the list asks for a narrower search.
pub const LIST_LIMIT: usize = 500;

pub struct State {
    query: String,
    results: Loadable<Vec<PromptSummary>>,
    selected: Option<PromptId>,
    editor: Option<editor::State>,
    indicator: Indicator,
    counts: String,
    account: Account,
    /// Why the last sign-in or sign-out failed, until the next attempt.
    account_error: Option<String>,
    /// Every workspace's space; the switcher shows when there are several.
    workspaces: Vec<String>,
    active: String,
    /// The workspace of the prompt in the editor: a save goes there even after a switch.
    editor_space: String,
    /// The versions of the prompt in the editor, shown in its place.
    history: Option<history::State>,
    /// The prompts deleted lately, listed in the list's place.
    deleted: Option<Loadable<Vec<DeletedPrompt>>>,
    /// Why the last bringing back of a deleted prompt did not happen.
    deleted_error: Option<String>,
}

/// A prompt deleted lately, as "Recently deleted" lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletedPrompt {
    pub id: PromptId,
    pub title: String,
    /// When, for people.
    pub deleted: String,
}

#[derive(Debug, Clone)]
pub enum Message {
    /// The search text changed.
    QueryChanged(String),
    /// A prompt in the list was chosen: open it in the editor.
    Select(PromptId),
    /// Start a new prompt.
    New,
    /// Something happened in the editor.
    Editor(editor::Message),
    /// Close the window (Ctrl+W, or Escape outside the editor).
    Close,
    /// The account button: sign in, cancel the sign-in, or sign out.
    Account(account::Request),
    /// A workspace was picked in the switcher.
    SwitchWorkspace(String),
    /// Something happened in the prompt's history.
    History(history::Message),
    /// List the prompts deleted lately in the list's place, or (false) the library again.
    ShowDeleted(bool),
    /// Bring a deleted prompt back.
    BringBack(PromptId),
}

/// What the library wants the app to do; each carries what the app needs for it.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    None,
    /// List the prompts matching the query; answer with [`State::show_results`].
    Search(String),
    /// Load the full prompt from `space`'s workspace; answer with [`State::open`].
    Open {
        id: PromptId,
        space: String,
    },
    /// Save the draft into `space`'s workspace (where the prompt was opened); answer with
    /// [`State::finished_edit`].
    Save {
        draft: editor::Draft,
        space: String,
    },
    /// Delete the prompt from `space`'s workspace; answer with [`State::finished_edit`].
    Delete {
        id: PromptId,
        space: String,
    },
    Close,
    /// Sign in, cancel the sign-in under way, or sign out; answer with
    /// [`State::account_request_failed`] if it fails.
    Account(account::Request),
    /// Make this workspace the active one; the list follows.
    SwitchWorkspace(String),
    /// Fetch the versions of the prompt from `space`'s workspace; answer with
    /// [`State::show_history`].
    History {
        id: PromptId,
        space: String,
    },
    /// Make a version of the prompt current again (`None`: its last before the current, or
    /// a deleted prompt's last); answer with [`State::restored`].
    Restore {
        id: PromptId,
        version: Option<u64>,
        space: String,
    },
    /// Fetch the prompts deleted lately in `space`'s workspace; answer with
    /// [`State::show_deleted`].
    ListDeleted {
        space: String,
    },
}

impl State {
    pub fn new(library: Option<Vec<PromptSummary>>, indicator: Indicator) -> Self {
        Self {
            query: String::new(),
            results: library.map_or(Loadable::Loading, Loadable::Loaded),
            selected: None,
            editor: None,
            indicator,
            counts: String::new(),
            account: Account::NotNeeded,
            account_error: None,
            workspaces: Vec::new(),
            active: String::new(),
            editor_space: String::new(),
            history: None,
            deleted: None,
            deleted_error: None,
        }
    }

    /// The workspaces there are and the active one, as the runtime says.
    pub fn set_workspaces(&mut self, workspaces: Vec<String>, active: &str) {
        self.workspaces = workspaces;
        active.clone_into(&mut self.active);
    }

    /// The library changed: list the query's prompts again.
    pub fn data_changed(&self) -> Action {
        Action::Search(self.query.clone())
    }

    /// The prompt open in the editor, if one is (not a new one being written).
    /// The history shown, if one is.
    pub fn history(&self) -> Option<&history::State> {
        self.history.as_ref()
    }

    pub fn editing(&self) -> Option<&PromptId> {
        self.editor.as_ref().and_then(editor::State::id)
    }

    pub fn update(&mut self, message: Message) -> Action {
        match message {
            Message::QueryChanged(query) => {
                self.query = query.clone();
                Action::Search(query)
            }
            Message::Select(id) => {
                self.selected = Some(id.clone());
                self.history = None;
                self.editor_space.clone_from(&self.active);
                Action::Open { id, space: self.editor_space.clone() }
            }
            Message::New => {
                self.selected = None;
                self.editor_space.clone_from(&self.active);
                self.editor = Some(editor::State::new_prompt());
                Action::None
            }
            Message::Editor(message) => self.update_editor(message),
            Message::Close => Action::Close,
            Message::Account(request) => {
                self.account_error = None;
                Action::Account(request)
            }
            Message::SwitchWorkspace(space) if space == self.active => Action::None,
            Message::SwitchWorkspace(space) => {
                self.active.clone_from(&space);
                self.deleted = None;
                Action::SwitchWorkspace(space)
            }
            Message::History(message) => self.update_history(message),
            Message::ShowDeleted(true) => {
                self.deleted = Some(Loadable::Loading);
                self.deleted_error = None;
                Action::ListDeleted { space: self.active.clone() }
            }
            Message::ShowDeleted(false) => {
                self.deleted = None;
                Action::None
            }
            Message::BringBack(id) => {
                self.deleted_error = None;
                Action::Restore { id, version: None, space: self.active.clone() }
            }
        }
    }

    fn update_history(&mut self, message: history::Message) -> Action {
        let Some(history) = &mut self.history else { return Action::None };
        match history.update(message) {
            history::Action::None => Action::None,
            history::Action::Restore { prompt, version } => Action::Restore {
                id: prompt,
                version: Some(version),
                space: self.editor_space.clone(),
            },
            history::Action::Back => {
                self.history = None;
                Action::None
            }
        }
    }

    /// The versions of `id`, oldest first, shown in the editor's place if it is still the
    /// prompt there.
    pub fn show_history(&mut self, id: &PromptId, versions: Result<Vec<history::Version>, String>) {
        if self.editing() != Some(id) {
            return;
        }
        match versions {
            Ok(versions) => self.history = Some(history::State::new(id.clone(), versions)),
            Err(error) => {
                if let Some(editor) = &mut self.editor {
                    editor.set_error(Some(error));
                }
            }
        }
    }

    /// The prompts deleted lately, the latest first.
    pub fn show_deleted(&mut self, deleted: Result<Vec<DeletedPrompt>, String>) {
        if self.deleted.is_some() {
            self.deleted = Some(match deleted {
                Ok(rows) => Loadable::Loaded(rows),
                Err(error) => Loadable::Failed(error),
            });
        }
    }

    /// A version of `id` was made current, or `id` brought back: the library lists it and
    /// its editor opens on it. A failure stays where it was asked, saying why.
    pub fn restored(&mut self, id: PromptId, result: Result<(), String>) -> Action {
        match result {
            Ok(()) => {
                self.deleted = None;
                self.history = None;
                self.update(Message::Select(id))
            }
            Err(error) => {
                match &mut self.history {
                    Some(history) => history.restore_failed(error),
                    None => self.deleted_error = Some(error),
                }
                Action::None
            }
        }
    }

    fn update_editor(&mut self, message: editor::Message) -> Action {
        let Some(editor) = &mut self.editor else { return Action::None };
        match editor.update(message) {
            editor::Action::None => Action::None,
            editor::Action::Save(draft) => Action::Save { draft, space: self.editor_space.clone() },
            editor::Action::Delete(id) => Action::Delete { id, space: self.editor_space.clone() },
            editor::Action::History(id) => Action::History { id, space: self.editor_space.clone() },
            editor::Action::Cancel => {
                self.editor = None;
                Action::None
            }
        }
    }

    /// The full prompt the user selected, for the editor.
    pub fn open(&mut self, prompt: &Prompt) {
        if self.selected.as_ref() == Some(&prompt.id) {
            self.editor = Some(editor::State::edit(prompt));
        }
    }

    /// The outcome of saving or deleting: success closes the editor, an error stays in it
    /// with the text as typed.
    pub fn finished_edit(&mut self, result: Result<(), String>) {
        match result {
            Ok(()) => self.editor = None,
            Err(error) => {
                if let Some(editor) = &mut self.editor {
                    editor.set_error(Some(error));
                }
            }
        }
    }

    pub fn show_results(&mut self, query: &str, results: Result<Vec<PromptSummary>, String>) {
        if query == self.query {
            self.results = match results {
                Ok(rows) => Loadable::Loaded(rows),
                Err(error) => Loadable::Failed(error),
            };
        }
    }

    /// The status bar: the dot, and counts such as "12 prompts · 3 changes not yet synced".
    pub fn set_status(&mut self, indicator: Indicator, counts: String) {
        self.indicator = indicator;
        self.counts = counts;
    }

    pub fn set_account(&mut self, account: Account) {
        self.account = account;
    }

    /// Why a sign-in or sign-out did not happen (not for a cancelled sign-in: the user knows).
    pub fn account_request_failed(&mut self, error: String) {
        self.account_error = Some(error);
    }

    pub fn view(&self) -> Element<'_, Message> {
        let search = text_input("Search the library…", &self.query)
            .id(SEARCH_ID)
            .on_input(Message::QueryChanged)
            .padding(8);
        let new = button("New prompt").on_press(Message::New).style(button::primary);
        let mut top = column![row![search, new].spacing(8)].spacing(6);
        if self.workspaces.len() > 1 {
            let chips = self.workspaces.iter().map(|space| {
                chip(space, *space == self.active, Message::SwitchWorkspace(space.clone()))
            });
            top = top.push(row(chips).spacing(6));
        }
        let listed = match &self.deleted {
            Some(deleted) => self.deleted_list(deleted),
            None => self.list(),
        };
        let list = column![top, listed].spacing(8).width(Length::FillPortion(2));
        let detail = match (&self.history, &self.editor) {
            (Some(history), _) => history.view().map(Message::History),
            (None, Some(editor)) => editor.view().map(Message::Editor),
            (None, None) => container(
                text("Select a prompt to edit it, or create a new one.").style(theme::muted),
            )
            .center(Length::Fill)
            .into(),
        };
        let main = row![list, container(detail).width(Length::FillPortion(3))]
            .spacing(16)
            .height(Length::Fill);
        let status = row![
            status_dot(&self.indicator),
            text(self.indicator.label()).size(12),
            space::horizontal(),
            text(&self.counts).size(12).style(theme::muted),
            self.deleted_switch(),
            account::view(self.account, self.account_error.as_deref()).map(Message::Account)
        ]
        .spacing(8)
        .align_y(iced::Center);
        let pane = match (&self.history, &self.editor) {
            (Some(_), _) => Pane::History,
            (None, Some(_)) => Pane::Editor,
            (None, None) => Pane::Nothing,
        };
        on_keys(container(column![main, status].spacing(8)).padding(12), move |key, modifiers| {
            library_keys(key, modifiers, pane)
        })
    }

    fn list(&self) -> Element<'_, Message> {
        let rows = match &self.results {
            Loadable::Loading => return text("Loading your library…").style(theme::muted).into(),
            Loadable::Failed(error) => {
                return text(format!("Promptdeck is unavailable: {error}"))
                    .style(theme::error)
                    .into();
            }
            Loadable::Loaded(rows) => rows,
        };
        if rows.is_empty() {
            let message = if self.query.is_empty() {
                "No prompts yet. Create one with “New prompt”.".to_owned()
            } else {
                format!("No prompt matches “{}”.", self.query)
            };
            return text(message).style(theme::muted).into();
        }
        let mut list = column(rows.iter().map(|p| self.row(p))).spacing(2);
        if rows.len() >= LIST_LIMIT {
            list = list.push(
                text(format!("Showing the first {LIST_LIMIT}; search to narrow the list."))
                    .size(12)
                    .style(theme::muted),
            );
        }
        scrollable(list).height(Length::Fill).into()
    }

    /// The status bar's way into "Recently deleted", and back out.
    fn deleted_switch(&self) -> Element<'_, Message> {
        let (label, show) = match self.deleted {
            Some(_) => ("Back to the library", false),
            None => ("Recently deleted", true),
        };
        button(text(label).size(12))
            .padding([2, 8])
            .on_press(Message::ShowDeleted(show))
            .style(button::text)
            .into()
    }

    /// "Recently deleted": each prompt with when it went, and a button to bring it back.
    fn deleted_list<'a>(
        &'a self,
        deleted: &'a Loadable<Vec<DeletedPrompt>>,
    ) -> Element<'a, Message> {
        let rows = match deleted {
            Loadable::Loading => {
                return text("Loading the deleted prompts…").style(theme::muted).into();
            }
            Loadable::Failed(error) => return text(error).style(theme::error).into(),
            Loadable::Loaded(rows) if rows.is_empty() => {
                return text("Nothing deleted in the last thirty days.").style(theme::muted).into();
            }
            Loadable::Loaded(rows) => rows,
        };
        let rows = rows.iter().map(|prompt| {
            let when = text(format!("deleted {}", prompt.deleted)).size(11).style(theme::muted);
            let back = button("Restore")
                .on_press(Message::BringBack(prompt.id.clone()))
                .style(button::secondary);
            row![column![text(&prompt.title).size(14), when].width(Length::Fill), back]
                .spacing(8)
                .align_y(iced::Center)
                .into()
        });
        let mut list = column(rows).spacing(6);
        if let Some(error) = &self.deleted_error {
            list = list.push(text(error).style(theme::error));
        }
        scrollable(list).height(Length::Fill).into()
    }

    fn row<'a>(&self, prompt: &'a PromptSummary) -> Element<'a, Message> {
        let selected = self.selected.as_ref() == Some(&prompt.id);
        let tags: String = prompt.tags.iter().map(|t| format!("#{t} ")).collect();
        button(column![text(&prompt.title).size(14), text(tags).size(11).style(theme::muted)])
            .on_press(Message::Select(prompt.id.clone()))
            .width(Length::Fill)
            .style(theme::result_row(selected))
            .into()
    }
}

/// What the detail pane beside the list shows, which the keyboard reaches.
#[derive(Debug, Clone, Copy)]
enum Pane {
    History,
    Editor,
    Nothing,
}

/// Ctrl+W closes; Escape steps back (out of the history, out of the editor, or closing the
/// window). In the editor Ctrl+H opens the prompt's history; there Up and Down move through
/// the versions and Enter restores the one selected.
fn library_keys(key: &Key, modifiers: Modifiers, pane: Pane) -> Option<Message> {
    let control =
        |c: &str| matches!(key, Key::Character(k) if modifiers.control() && k.as_str() == c);
    if control("w") {
        return Some(Message::Close);
    }
    match (pane, key) {
        (Pane::Editor, _) if control("h") => Some(Message::Editor(editor::Message::History)),
        (Pane::History, Key::Named(Named::ArrowDown)) => {
            Some(Message::History(history::Message::Older))
        }
        (Pane::History, Key::Named(Named::ArrowUp)) => {
            Some(Message::History(history::Message::Newer))
        }
        (Pane::History, Key::Named(Named::Enter)) => {
            Some(Message::History(history::Message::Restore))
        }
        (Pane::History, Key::Named(Named::Escape)) => {
            Some(Message::History(history::Message::Back))
        }
        (Pane::Editor, Key::Named(Named::Escape)) => Some(Message::Editor(editor::Message::Cancel)),
        (Pane::Nothing, Key::Named(Named::Escape)) => Some(Message::Close),
        _ => None,
    }
}

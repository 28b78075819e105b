//! A prompt's versions, in the library window: each with when it was saved, where the
//! change came from and what it changed; the one selected shown word by word against the
//! one before it, and made current again with Restore.

use iced::widget::{button, column, container, rich_text, row, scrollable, space, span, text};
use iced::{Element, Length};
use promptdeck_protocol::PromptId;
use promptdeck_protocol::diff::{Content, Run, what_changed, word_diff};

use crate::theme;

/// One version as the app hands it over, its times already in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub number: u64,
    /// When it was saved, for people ("2026-12-03 16:39").
    pub saved: String,
    /// "this device", "synced", or empty where not known.
    pub made_by: String,
    pub title: String,
    pub body: String,
    pub tags: Vec<String>,
    pub current: bool,
    /// When the prompt was deleted after this version, for people.
    pub deleted: Option<String>,
}

impl Version {
    fn content(&self) -> Content<'_> {
        let then_deleted = self.deleted.is_some();
        Content { title: &self.title, body: &self.body, tags: &self.tags, then_deleted }
    }
}

pub struct State {
    prompt: PromptId,
    /// Oldest first.
    versions: Vec<Version>,
    selected: usize,
    /// Why the last restore did not happen.
    error: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// A version in the list was clicked.
    Select(usize),
    /// The keyboard moves the selection to the next older version (Down: the list shows the
    /// newest first).
    Older,
    /// ...or the next newer one (Up).
    Newer,
    /// Make the selected version current again.
    Restore,
    /// Back to the prompt in the editor.
    Back,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    None,
    /// Make version `version` of `prompt` current again; answer with
    /// [`State::restore_failed`] if it fails.
    Restore {
        prompt: PromptId,
        version: u64,
    },
    Back,
}

impl State {
    /// The versions of `prompt`, oldest first; the newest is selected.
    pub fn new(prompt: PromptId, versions: Vec<Version>) -> Self {
        let selected = versions.len().saturating_sub(1);
        Self { prompt, versions, selected, error: None }
    }

    pub fn prompt(&self) -> &PromptId {
        &self.prompt
    }

    pub fn selected(&self) -> Option<&Version> {
        self.versions.get(self.selected)
    }

    pub fn update(&mut self, message: Message) -> Action {
        match message {
            Message::Select(at) if at < self.versions.len() => {
                self.selected = at;
                self.error = None;
                Action::None
            }
            Message::Select(_) => Action::None,
            Message::Older => self.update(Message::Select(self.selected.saturating_sub(1))),
            Message::Newer => self.update(Message::Select(self.selected + 1)),
            Message::Restore => match self.selected() {
                Some(version) if !version.current => {
                    Action::Restore { prompt: self.prompt.clone(), version: version.number }
                }
                _ => Action::None,
            },
            Message::Back => Action::Back,
        }
    }

    pub fn restore_failed(&mut self, error: String) {
        self.error = Some(error);
    }

    pub fn view(&self) -> Element<'_, Message> {
        let heading = self.versions.last().map_or("History".to_owned(), |v| {
            let noun = if self.versions.len() == 1 { "version" } else { "versions" };
            format!("History of “{}” · {} {noun}", v.title, self.versions.len())
        });
        let rows =
            self.versions.iter().enumerate().rev().map(|(at, version)| self.row(at, version));
        let list = scrollable(column(rows).spacing(2)).height(Length::Fill);
        let mut actions =
            row![button("Back to the editor").on_press(Message::Back).style(button::secondary)]
                .spacing(8);
        actions = actions.push(space::horizontal());
        if let Some(version) = self.selected().filter(|v| !v.current) {
            let label = format!("Restore version {}", version.number);
            actions =
                actions.push(button(text(label)).on_press(Message::Restore).style(button::primary));
        }
        let mut content = column![
            text(heading).size(20),
            row![
                container(list).width(Length::FillPortion(2)),
                container(self.shown()).width(Length::FillPortion(3))
            ]
            .spacing(12)
            .height(Length::Fill),
        ]
        .spacing(10);
        if let Some(error) = &self.error {
            content = content.push(text(error).style(theme::error));
        }
        content.push(actions).into()
    }

    fn before(&self, at: usize) -> Option<&Version> {
        at.checked_sub(1).and_then(|before| self.versions.get(before))
    }

    fn row<'a>(&'a self, at: usize, version: &'a Version) -> Element<'a, Message> {
        let changed = what_changed(self.before(at).map(Version::content), version.content());
        let mut heading = format!("v{} · {}", version.number, version.saved);
        if !version.made_by.is_empty() {
            heading = format!("{heading} · {}", version.made_by);
        }
        if version.current {
            heading.push_str(" · current");
        }
        let mut detail = changed;
        if let Some(deleted) = &version.deleted {
            detail = format!("{detail}; then deleted {deleted}");
        }
        let selected = at == self.selected;
        button(column![
            text(heading).size(13),
            text(detail).size(11).style(theme::row_detail(selected))
        ])
        .on_press(Message::Select(at))
        .width(Length::Fill)
        .style(theme::result_row(selected))
        .into()
    }

    /// The selected version: its title and tags, and its body word by word against the
    /// version before (added words underlined in the accent colour, removed ones struck
    /// through).
    fn shown(&self) -> Element<'_, Message> {
        let Some(version) = self.selected() else {
            return text("No version kept.").style(theme::muted).into();
        };
        let tags: String = version.tags.iter().map(|t| format!("#{t} ")).collect();
        let runs = match self.before(self.selected) {
            Some(before) => word_diff(&before.body, &version.body),
            None => vec![Run::Same(version.body.clone())],
        };
        let spans: Vec<iced::widget::text::Span<'_, ()>> = runs
            .into_iter()
            .map(|run| match run {
                Run::Same(words) => span(words),
                Run::Added(words) => span(words).color(theme::ADDED).underline(true),
                Run::Removed(words) => span(words).color(theme::REMOVED).strikethrough(true),
            })
            .collect();
        let body = scrollable(rich_text(spans).size(13).width(Length::Fill)).height(Length::Fill);
        column![text(&version.title).size(16), text(tags).size(12).style(theme::muted), body]
            .spacing(6)
            .into()
    }
}

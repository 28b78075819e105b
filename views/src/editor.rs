//! Editing one prompt: title, body, tags.

use iced::widget::{button, column, row, space, text, text_editor, text_input};
use iced::{Element, Length};
use promptdeck_protocol::template::Template;
use promptdeck_protocol::{Prompt, PromptId};

use crate::theme;

pub const TITLE_ID: &str = "editor-title";
pub const TAGS_ID: &str = "editor-tags";
pub const BODY_ID: &str = "editor-body";

pub struct State {
    id: Option<PromptId>,
    title: String,
    body: text_editor::Content,
    tags: String,
    error: Option<String>,
    /// Why the body's placeholders do not parse; the prompt still inserts as written.
    template_problem: Option<String>,
}

#[derive(Debug, Clone)]
pub enum Message {
    /// The title field changed.
    TitleChanged(String),
    /// An edit in the body.
    BodyEdited(text_editor::Action),
    /// The tags field changed (comma or space separated, `#` optional).
    TagsChanged(String),
    /// Save the prompt.
    Save,
    /// Leave without saving.
    Cancel,
    /// Delete the prompt being edited.
    Delete,
    /// Show the prompt's versions.
    History,
}

/// A prompt as the editor hands it over for saving.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    /// `None` for a new prompt.
    pub id: Option<PromptId>,
    pub title: String,
    pub body: String,
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    None,
    Save(Draft),
    Cancel,
    Delete(PromptId),
    History(PromptId),
}

impl State {
    pub fn new_prompt() -> Self {
        Self {
            id: None,
            title: String::new(),
            body: text_editor::Content::new(),
            tags: String::new(),
            error: None,
            template_problem: None,
        }
    }

    pub fn edit(prompt: &Prompt) -> Self {
        Self {
            id: Some(prompt.id.clone()),
            title: prompt.title.clone(),
            body: text_editor::Content::with_text(&prompt.body),
            tags: prompt.tags.join(", "),
            error: None,
            template_problem: template_problem(&prompt.body),
        }
    }

    /// Why the body's placeholders do not parse, if they do not.
    pub fn template_problem(&self) -> Option<&str> {
        self.template_problem.as_deref()
    }

    pub fn id(&self) -> Option<&PromptId> {
        self.id.as_ref()
    }

    /// Shows why the last save failed; the text stays as typed, nothing is lost.
    pub fn set_error(&mut self, error: Option<String>) {
        self.error = error;
    }

    pub fn update(&mut self, message: Message) -> Action {
        match message {
            Message::TitleChanged(title) => self.title = title,
            Message::BodyEdited(action) => {
                let edits = action.is_edit();
                self.body.perform(action);
                if edits {
                    self.template_problem = template_problem(&self.body.text());
                }
            }
            Message::TagsChanged(tags) => self.tags = tags,
            Message::Save => return self.save(),
            Message::Cancel => return Action::Cancel,
            Message::Delete => return self.id.clone().map_or(Action::None, Action::Delete),
            Message::History => return self.id.clone().map_or(Action::None, Action::History),
        }
        Action::None
    }

    fn save(&mut self) -> Action {
        let body = self.body.text();
        // The editor keeps a trailing newline of its own; the prompt does not want it.
        let body = body.strip_suffix('\n').unwrap_or(&body).to_owned();
        if self.title.trim().is_empty() && body.trim().is_empty() {
            self.error = Some("Give the prompt a title or a body before saving.".into());
            return Action::None;
        }
        self.error = None;
        Action::Save(Draft {
            id: self.id.clone(),
            title: self.title.trim().to_owned(),
            body,
            tags: parse_tags(&self.tags),
        })
    }

    pub fn view(&self) -> Element<'_, Message> {
        let heading = if self.id.is_some() { "Edit prompt" } else { "New prompt" };
        let title = text_input("Title", &self.title)
            .id(TITLE_ID)
            .on_input(Message::TitleChanged)
            .padding(8);
        let body = text_editor(&self.body)
            .id(BODY_ID)
            .placeholder("The prompt itself…")
            .on_action(Message::BodyEdited)
            .height(Length::Fill)
            .padding(8);
        let tags = text_input("Tags, e.g. writing, code", &self.tags)
            .id(TAGS_ID)
            .on_input(Message::TagsChanged)
            .padding(8);
        let mut actions =
            row![button("Save").on_press(Message::Save).style(button::primary)].spacing(8);
        actions = actions.push(button("Cancel").on_press(Message::Cancel).style(button::secondary));
        actions = actions.push(space::horizontal());
        if self.id.is_some() {
            actions =
                actions.push(button("History").on_press(Message::History).style(button::secondary));
            actions =
                actions.push(button("Delete").on_press(Message::Delete).style(button::danger));
        }
        let mut content = column![text(heading).size(20), title, body].spacing(10);
        if let Some(problem) = &self.template_problem {
            let note = format!("Placeholders: {problem}. Until fixed, it inserts as written.");
            content = content.push(text(note).size(13).style(theme::error));
        }
        content = content.push(tags);
        if let Some(error) = &self.error {
            content = content.push(text(error).style(theme::error));
        }
        content.push(actions).into()
    }
}

fn template_problem(body: &str) -> Option<String> {
    Template::parse(body).err().map(|e| e.to_string())
}

/// Tags as people type them: separated by commas or spaces, with or without `#`,
/// each kept once.
pub fn parse_tags(input: &str) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    for tag in input.split(|c: char| c == ',' || c.is_whitespace()) {
        let tag = tag.trim().trim_start_matches('#');
        if !tag.is_empty() && !tags.iter().any(|t| t == tag) {
            tags.push(tag.to_owned());
        }
    }
    tags
}

#[cfg(test)]
mod tests {
    use super::parse_tags;

    #[test]
    fn tags_split_on_commas_and_spaces_and_drop_hashes_and_repeats() {
        assert_eq!(parse_tags(" #code, review  code,,writing "), ["code", "review", "writing"]);
        assert!(parse_tags(" , # ").is_empty());
    }
}

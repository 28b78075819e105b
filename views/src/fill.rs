//! The fill-in form: a prompt's named fields, asked for in the palette before the prompt is
//! inserted. Tab and Shift+Tab move between fields, Up and Down cycle a field's choices,
//! Enter inserts from any field (an untouched field takes its default), Escape goes back to
//! the list. A field offers the values last typed into it first (the most recent is its
//! default), then its choices. Below the fields, the prompt as it will be inserted, filled
//! as they are typed.

use std::collections::HashMap;

use iced::widget::{button, column, container, row, text, text_input};
use iced::{Element, Length};
use promptdeck_protocol::template::{Field, Fill, Template};

use crate::theme;

/// Characters of the filled prompt shown below the fields.
const SHOWN_CHARS: usize = 2000;

pub struct State {
    title: String,
    template: Template,
    fields: Vec<Field>,
    /// For each field, what it offers: the values last typed into it, then its choices.
    offered: Vec<Vec<String>>,
    values: Vec<String>,
    focused: usize,
    /// The prompt filled with the values so far, as far as it is shown.
    filled: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// A field's text changed.
    Changed(usize, String),
    /// One of a field's choices was clicked.
    Chose(usize, String),
    /// Tab: the next field, round to the first.
    Next,
    /// Shift+Tab: the previous field.
    Previous,
    /// Up or Down on a field with choices: the previous or next choice.
    Cycle(isize),
    /// Enter: insert with these values.
    Submit,
    /// Escape: back to the list, nothing inserted.
    Back,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    None,
    /// Put the keyboard in this field (by its widget id).
    Focus(String),
    /// Every field's name and value, in the order they appear.
    Submit(Vec<(String, String)>),
    Back,
}

/// The widget id of the n-th field's input.
pub fn input_id(index: usize) -> String {
    format!("fill-field-{index}")
}

impl State {
    /// A form for the fields of `template`, the body of the prompt titled `title`, each
    /// starting at its default: the value last typed into it (`recent`: per field, the
    /// most recent first), else its first choice.
    pub fn new(title: &str, template: Template, recent: &HashMap<String, Vec<String>>) -> Self {
        let fields = template.fields().to_vec();
        let offered: Vec<Vec<String>> = fields
            .iter()
            .map(|field| {
                let mut offered = recent.get(&field.name).cloned().unwrap_or_default();
                let choices = field.choices.iter().filter(|c| !offered.contains(c)).cloned();
                offered.extend(choices.collect::<Vec<_>>());
                offered
            })
            .collect();
        let values = offered.iter().map(|o| o.first().cloned().unwrap_or_default()).collect();
        let mut state = Self {
            title: title.to_owned(),
            template,
            fields,
            offered,
            values,
            focused: 0,
            filled: String::new(),
        };
        state.refill();
        state
    }

    /// The prompt as it will be inserted with the values so far.
    fn refill(&mut self) {
        let typed = Typed { fields: &self.fields, values: &self.values };
        self.filled = self.template.fill(&typed).text.chars().take(SHOWN_CHARS).collect();
    }

    pub fn filled(&self) -> &str {
        &self.filled
    }

    pub fn values(&self) -> &[String] {
        &self.values
    }

    pub fn focused(&self) -> usize {
        self.focused
    }

    pub fn update(&mut self, message: Message) -> Action {
        match message {
            Message::Changed(index, value) | Message::Chose(index, value) => {
                if let Some(slot) = self.values.get_mut(index) {
                    *slot = value;
                }
                self.focused = index.min(self.fields.len().saturating_sub(1));
                self.refill();
                Action::None
            }
            Message::Next => self.focus((self.focused + 1) % self.fields.len().max(1)),
            Message::Previous => {
                let count = self.fields.len().max(1);
                self.focus((self.focused + count - 1) % count)
            }
            Message::Cycle(step) => {
                self.cycle(step);
                self.refill();
                Action::None
            }
            Message::Submit => Action::Submit(
                self.fields.iter().map(|f| f.name.clone()).zip(self.values.clone()).collect(),
            ),
            Message::Back => Action::Back,
        }
    }

    fn focus(&mut self, index: usize) -> Action {
        self.focused = index;
        Action::Focus(input_id(index))
    }

    /// Moves the focused field to the next (or previous) value it offers; a typed value
    /// that is not one of them starts from the first.
    fn cycle(&mut self, step: isize) {
        let Some(offered) = self.offered.get(self.focused) else { return };
        let count = offered.len() as isize;
        if count == 0 {
            return;
        }
        let current = offered.iter().position(|c| *c == self.values[self.focused]);
        let next = match current {
            Some(at) => (at as isize + step).rem_euclid(count),
            None => 0,
        };
        self.values[self.focused] = offered[next as usize].clone();
    }

    pub fn view(&self) -> Element<'_, Message> {
        let heading = text(format!("Fill in “{}”", self.title)).size(14);
        let fields = self.fields.iter().enumerate().map(|(index, field)| self.field(index, field));
        let hint = text("Tab next field · ↑↓ choices · Enter insert · Esc back")
            .size(11)
            .style(theme::muted);
        let filled = container(text(&self.filled).size(13))
            .padding(10)
            .width(Length::Fill)
            .height(Length::Fill)
            .clip(true)
            .style(theme::preview_pane);
        column![heading, column(fields).spacing(8), hint, filled].spacing(10).into()
    }

    fn field<'a>(&'a self, index: usize, field: &'a Field) -> Element<'a, Message> {
        let input = text_input(&field.name, &self.values[index])
            .id(input_id(index))
            .on_input(move |value| Message::Changed(index, value))
            .on_submit(Message::Submit)
            .padding(6)
            .size(14);
        let label = text(&field.name).size(13).width(Length::Fixed(120.0));
        let mut line = column![row![label, input].spacing(8).align_y(iced::Center)].spacing(4);
        let offered = &self.offered[index];
        if !offered.is_empty() {
            let chips = offered.iter().map(|choice| {
                let chosen = *choice == self.values[index];
                button(text(choice).size(12))
                    .padding([2, 8])
                    .style(theme::result_row(chosen))
                    .on_press(Message::Chose(index, choice.clone()))
                    .into()
            });
            line = line.push(row![text("").width(Length::Fixed(120.0))].extend(chips).spacing(6));
        }
        line.into()
    }
}

/// The form's values as the template asks for them; what only the moment of insertion
/// knows (the clipboard, the selection, the date and time) shows as its placeholder.
struct Typed<'a> {
    fields: &'a [Field],
    values: &'a [String],
}

impl Fill for Typed<'_> {
    fn clipboard(&self) -> String {
        "{{clipboard}}".into()
    }

    fn selection(&self) -> String {
        "{{selection}}".into()
    }

    fn date(&self, format: Option<&str>) -> String {
        format.map_or_else(|| "{{date}}".into(), |format| format!("{{{{date:{format}}}}}"))
    }

    fn time(&self, format: Option<&str>) -> String {
        format.map_or_else(|| "{{time}}".into(), |format| format!("{{{{time:{format}}}}}"))
    }

    fn field(&self, name: &str) -> Option<String> {
        let at = self.fields.iter().position(|field| field.name == name)?;
        self.values.get(at).cloned()
    }
}

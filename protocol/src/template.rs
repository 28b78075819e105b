//! Fill-in prompts: placeholders in a prompt's body, filled at the moment it is inserted.
//!
//! - `{{clipboard}}` and `{{selection}}`: what the clipboard or the selection holds then;
//! - `{{date}}` and `{{time}}`, optionally with a strftime-style format: `{{date:%d %B %Y}}`;
//! - `{{cursor}}`: where the caret lands after insertion (once at most);
//! - `{{topic}}`: a field the palette asks for; `{{tone:formal|casual}}` offers choices, the
//!   first being the default. The same field named twice is asked for once.
//! - `\{{` writes a literal `{{`; every other character, backslashes included, is itself.
//!
//! A body whose placeholders do not parse is still insertable as it is: [`Template::parse`]
//! says what is wrong and where, and the caller inserts the body unchanged.

/// One piece of a parsed body.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Text(String),
    Clipboard,
    Selection,
    Date(Option<String>),
    Time(Option<String>),
    Cursor,
    Field(String),
}

/// A value the user gives when inserting the prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    /// The offered values, the first being the default; empty for free text.
    pub choices: Vec<String>,
}

/// Why a body's placeholders do not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (at character {at})")]
pub struct TemplateError {
    /// Characters from the start of the body to the placeholder at fault.
    pub at: usize,
    pub message: String,
}

/// What the moment of insertion provides.
pub trait Fill {
    fn clipboard(&self) -> String;
    fn selection(&self) -> String;
    fn date(&self, format: Option<&str>) -> String;
    fn time(&self, format: Option<&str>) -> String;
    /// The user's value for a field; `None` takes the field's default.
    fn field(&self, name: &str) -> Option<String>;
}

/// A filled-in body and where the caret goes in it (a byte offset), if it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filled {
    pub text: String,
    pub cursor: Option<usize>,
}

/// A parsed body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    segments: Vec<Segment>,
    fields: Vec<Field>,
}

const OPEN: &str = "{{";
const CLOSE: &str = "}}";
const ESCAPED_OPEN: &str = "\\{{";

impl Template {
    pub fn parse(body: &str) -> Result<Self, TemplateError> {
        let mut parser = Parser::default();
        let mut rest = body;
        let mut consumed = 0;
        while let Some(start) = rest.find(OPEN) {
            let escaped = rest[..start].ends_with('\\');
            if escaped {
                parser.text(&rest[..start - 1]);
                parser.text(OPEN);
                consumed += start + OPEN.len();
                rest = &rest[start + OPEN.len()..];
                continue;
            }
            parser.text(&rest[..start]);
            let at = char_offset(body, consumed + start);
            let inner = &rest[start + OPEN.len()..];
            let end = inner.find(CLOSE).ok_or_else(|| TemplateError {
                at,
                message: "this {{ is never closed with }}".into(),
            })?;
            parser.placeholder(&inner[..end], at)?;
            let used = start + OPEN.len() + end + CLOSE.len();
            consumed += used;
            rest = &rest[used..];
        }
        parser.text(rest);
        Ok(Template { segments: parser.segments, fields: parser.fields })
    }

    /// The fields to ask for, in the order they first appear.
    pub fn fields(&self) -> &[Field] {
        &self.fields
    }

    /// Whether anything is filled in at all: a plain body inserts as it is.
    pub fn has_placeholders(&self) -> bool {
        self.segments.iter().any(|s| !matches!(s, Segment::Text(_)))
    }

    pub fn fill(&self, with: &impl Fill) -> Filled {
        let mut text = String::new();
        let mut cursor = None;
        for segment in &self.segments {
            match segment {
                Segment::Text(t) => text.push_str(t),
                Segment::Clipboard => text.push_str(&with.clipboard()),
                Segment::Selection => text.push_str(&with.selection()),
                Segment::Date(format) => text.push_str(&with.date(format.as_deref())),
                Segment::Time(format) => text.push_str(&with.time(format.as_deref())),
                Segment::Cursor => cursor = Some(text.len()),
                Segment::Field(name) => text.push_str(&self.value(with, name)),
            }
        }
        Filled { text, cursor }
    }

    fn value(&self, with: &impl Fill, name: &str) -> String {
        with.field(name).unwrap_or_else(|| {
            let field = self.fields.iter().find(|f| f.name == name);
            field.and_then(|f| f.choices.first().cloned()).unwrap_or_default()
        })
    }
}

/// `text` written so that it parses back to itself.
pub fn escape(text: &str) -> String {
    text.replace(OPEN, ESCAPED_OPEN)
}

#[derive(Default)]
struct Parser {
    segments: Vec<Segment>,
    fields: Vec<Field>,
}

impl Parser {
    fn text(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        match self.segments.last_mut() {
            Some(Segment::Text(last)) => last.push_str(text),
            _ => self.segments.push(Segment::Text(text.to_owned())),
        }
    }

    fn placeholder(&mut self, inner: &str, at: usize) -> Result<(), TemplateError> {
        let error = |message: String| TemplateError { at, message };
        if inner.contains(OPEN) {
            return Err(error("a placeholder cannot hold another {{".into()));
        }
        let (name, argument) = match inner.split_once(':') {
            Some((name, argument)) => (name.trim(), Some(argument.trim())),
            None => (inner.trim(), None),
        };
        if name.is_empty() {
            return Err(error("this placeholder has no name".into()));
        }
        if !name.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-') {
            return Err(error(format!(
                "{name:?} is not a placeholder name (letters, digits, _ and -)"
            )));
        }
        let format = || argument.filter(|a| !a.is_empty()).map(str::to_owned);
        let segment = match name {
            "clipboard" | "selection" | "cursor" if argument.is_some() => {
                return Err(error(format!("{{{{{name}}}}} takes nothing after a colon")));
            }
            "clipboard" => Segment::Clipboard,
            "selection" => Segment::Selection,
            "cursor" if self.segments.contains(&Segment::Cursor) => {
                return Err(error("{{cursor}} can appear only once".into()));
            }
            "cursor" => Segment::Cursor,
            "date" => Segment::Date(format()),
            "time" => Segment::Time(format()),
            _ => {
                self.field(name, argument).map_err(error)?;
                Segment::Field(name.to_owned())
            }
        };
        self.segments.push(segment);
        Ok(())
    }

    fn field(&mut self, name: &str, argument: Option<&str>) -> Result<(), String> {
        let choices: Vec<String> = match argument {
            Some(list) => list.split('|').map(|c| c.trim().to_owned()).collect(),
            None => Vec::new(),
        };
        if choices.iter().any(String::is_empty) {
            return Err(format!("the field {name:?} offers an empty choice"));
        }
        match self.fields.iter().find(|f| f.name == name) {
            // A repeated field may leave its choices out; if it names them, they must agree.
            Some(known) if !choices.is_empty() && known.choices != choices => {
                Err(format!("the field {name:?} offers different choices in two places"))
            }
            Some(_) => Ok(()),
            None => {
                self.fields.push(Field { name: name.to_owned(), choices });
                Ok(())
            }
        }
    }
}

fn char_offset(text: &str, byte: usize) -> usize {
    text[..byte].chars().count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    /// Fills from fixed values, so a test can read the result.
    #[derive(Default)]
    struct Values(HashMap<String, String>);

    impl Fill for Values {
        fn clipboard(&self) -> String {
            "CLIP".into()
        }
        fn selection(&self) -> String {
            "SEL".into()
        }
        fn date(&self, format: Option<&str>) -> String {
            format!("DATE[{}]", format.unwrap_or("default"))
        }
        fn time(&self, format: Option<&str>) -> String {
            format!("TIME[{}]", format.unwrap_or("default"))
        }
        fn field(&self, name: &str) -> Option<String> {
            self.0.get(name).cloned()
        }
    }

    fn values(pairs: &[(&str, &str)]) -> Values {
        Values(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    fn fill(body: &str, with: &Values) -> Filled {
        Template::parse(body).expect("parses").fill(with)
    }

    #[test]
    fn every_placeholder_kind_is_filled() {
        let body = "Re {{selection}} ({{clipboard}}) on {{date}} at {{time:%H:%M}}: {{cursor}}";
        let filled = fill(body, &Values::default());
        assert_eq!(filled.text, "Re SEL (CLIP) on DATE[default] at TIME[%H:%M]: ");
        assert_eq!(filled.cursor, Some(filled.text.len()));
    }

    #[test]
    fn fields_are_asked_once_in_order_with_their_choices_and_defaults() {
        let template =
            Template::parse("Write about {{topic}} in a {{tone:formal | casual}} tone; {{topic}}.")
                .expect("parses");
        let names: Vec<&str> = template.fields().iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["topic", "tone"]);
        assert_eq!(template.fields()[1].choices, ["formal", "casual"]);
        let filled = template.fill(&values(&[("topic", "otters")]));
        assert_eq!(filled.text, "Write about otters in a formal tone; otters.");
        assert_eq!(
            template.fill(&values(&[("tone", "casual")])).text,
            "Write about  in a casual tone; ."
        );
    }

    #[test]
    fn an_escaped_opening_is_literal_and_other_backslashes_stay() {
        let filled =
            fill(r"Use \{{name}} in Handlebars, C:\temp and \n as is.", &Values::default());
        assert_eq!(filled.text, r"Use {{name}} in Handlebars, C:\temp and \n as is.");
        assert!(!Template::parse(r"\{{x}}").expect("parses").has_placeholders());
    }

    #[test]
    fn syntax_errors_say_what_and_where() {
        let cases = [
            ("ab {{topic", 3, "never closed"),
            ("{{}}", 0, "no name"),
            ("é {{two words}}", 2, "not a placeholder name"),
            ("{{cursor}} and {{cursor}}", 15, "only once"),
            ("{{clipboard:x}}", 0, "takes nothing"),
            ("{{tone:a||b}}", 0, "empty choice"),
            ("{{tone:a|b}} {{tone:c}}", 13, "different choices"),
            ("{{a {{b}}", 0, "cannot hold another"),
        ];
        for (body, at, words) in cases {
            let error = Template::parse(body).expect_err(body);
            assert_eq!(error.at, at, "{body}: {error}");
            assert!(error.message.contains(words), "{body}: {error}");
        }
    }

    #[test]
    fn a_repeated_field_may_leave_out_its_choices() {
        let template = Template::parse("{{tone:a|b}} then {{tone}}").expect("parses");
        assert_eq!(template.fill(&Values::default()).text, "a then a");
    }

    proptest! {
        #[test]
        fn escaped_text_fills_back_to_itself(text in "[a-z{}\\\\ |:]{0,40}") {
            let filled = fill(&escape(&text), &Values::default());
            prop_assert_eq!(filled.text, text);
            prop_assert_eq!(filled.cursor, None);
        }

        #[test]
        fn any_body_parses_or_names_a_place_inside_it(body in "\\PC{0,60}|[a-z{}:|\\\\ ]{0,60}") {
            match Template::parse(&body) {
                Ok(template) => {
                    template.fill(&Values::default());
                }
                Err(error) => prop_assert!(error.at <= body.chars().count(), "{}", error),
            }
        }

        #[test]
        fn a_body_without_openings_is_plain_and_unchanged(body in "[^{]{0,80}") {
            let template = Template::parse(&body).expect("no placeholder, no error");
            prop_assert!(!template.has_placeholders());
            prop_assert_eq!(template.fill(&Values::default()).text, body);
        }
    }
}

//! Filling a prompt's placeholders at the moment it is inserted: the clipboard and the
//! selection as they are then (before the prompt replaces them), the local date and time,
//! and the values the palette's form asked for.

use std::collections::HashMap;

use chrono::format::StrftimeItems;
use promptdeck_protocol::template::{Fill, Filled, Template};

const DATE: &str = "%Y-%m-%d";
const TIME: &str = "%H:%M";

/// What the moment of insertion provides.
pub struct Moment<'a> {
    pub clipboard: Option<&'a str>,
    pub selection: Option<&'a str>,
    pub fields: &'a HashMap<String, String>,
    pub now: chrono::DateTime<chrono::Local>,
}

/// `body` with its placeholders filled; a body whose placeholders do not parse is inserted
/// as it is (the editor shows what is wrong with it).
pub fn fill(body: &str, moment: &Moment<'_>) -> Filled {
    match Template::parse(body) {
        Ok(template) if template.has_placeholders() => template.fill(moment),
        _ => Filled { text: body.to_owned(), cursor: None },
    }
}

impl Moment<'_> {
    /// The time in `format` (strftime); a format chrono cannot read falls back to `default`
    /// rather than failing the insertion.
    fn formatted(&self, format: Option<&str>, default: &str) -> String {
        let format = format.unwrap_or(default);
        match StrftimeItems::new(format).parse() {
            Ok(items) => self.now.format_with_items(items.into_iter()).to_string(),
            Err(_) => {
                tracing::warn!(format, "not a date format; using {default}");
                self.now.format(default).to_string()
            }
        }
    }
}

impl Fill for Moment<'_> {
    fn clipboard(&self) -> String {
        self.clipboard.unwrap_or_default().to_owned()
    }

    fn selection(&self) -> String {
        self.selection.unwrap_or_default().to_owned()
    }

    fn date(&self, format: Option<&str>) -> String {
        self.formatted(format, DATE)
    }

    fn time(&self, format: Option<&str>) -> String {
        self.formatted(format, TIME)
    }

    fn field(&self, name: &str) -> Option<String> {
        self.fields.get(name).cloned()
    }
}

/// Key presses of Left that bring the caret from the end of `filled` to its cursor.
pub fn moves_back(filled: &Filled) -> usize {
    filled.cursor.map_or(0, |at| filled.text[at..].chars().count())
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn moment(fields: &HashMap<String, String>) -> Moment<'_> {
        Moment {
            clipboard: Some("copied text"),
            selection: None,
            fields,
            now: chrono::Local.with_ymd_and_hms(2026, 11, 25, 9, 5, 0).single().expect("a time"),
        }
    }

    #[test]
    fn placeholders_take_the_moment_and_the_form() {
        let fields = HashMap::from([("tone".to_owned(), "casual".to_owned())]);
        let body = "On {{date}} at {{time:%Hh%M}} ({{date:%d %B %Y}}), {{tone:formal|casual}}: \
                    {{clipboard}}[{{selection}}] {{topic}}{{cursor}}!";
        let filled = fill(body, &moment(&fields));
        assert_eq!(
            filled.text,
            "On 2026-11-25 at 09h05 (25 November 2026), casual: copied text[] !"
        );
        assert_eq!(moves_back(&filled), 1);
    }

    #[test]
    fn a_bad_format_or_a_broken_body_still_inserts() {
        let fields = HashMap::new();
        assert_eq!(fill("{{date:%Q}}", &moment(&fields)).text, "2026-11-25");
        let broken = "Fix {{this";
        let filled = fill(broken, &moment(&fields));
        assert_eq!((filled.text.as_str(), filled.cursor), (broken, None));
        assert_eq!(fill("a {{cursor}}ü and é", &moment(&fields)).text, "a ü and é");
        assert_eq!(moves_back(&fill("a {{cursor}}ü and é", &moment(&fields))), 7);
    }
}

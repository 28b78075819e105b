//! What a list row needs of a prompt, without its whole body.

use serde::{Deserialize, Serialize};

use crate::{Prompt, PromptId};

/// Characters of the body a list row shows at most: a palette row is one line some 500
/// pixels wide at 12 pixels, under 100 characters of prose. Every prompt's preview is held
/// in memory; 240 characters cost 0.8 MB more at 10k prompts than this, never shown.
pub const PREVIEW_CHARS: usize = 160;

/// A prompt as lists and search results show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PromptSummary {
    pub id: PromptId,
    pub title: String,
    /// The start of the body on one line, whitespace folded.
    pub preview: String,
    pub tags: Vec<String>,
    pub body_bytes: usize,
    pub use_count: u64,
    pub last_used_at: Option<i64>,
    pub updated_at: i64,
    /// The workspace (space) it lives in, when a list spans several; empty means the
    /// active one.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub space: String,
}

/// Which prompt, in which workspace: ids are unique within a space, but an import can put
/// the same prompt in two.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PromptKey {
    /// Empty means the active workspace.
    pub space: String,
    pub id: PromptId,
}

impl PromptSummary {
    pub fn key(&self) -> PromptKey {
        PromptKey { space: self.space.clone(), id: self.id.clone() }
    }
}

impl From<&Prompt> for PromptSummary {
    fn from(prompt: &Prompt) -> Self {
        Self {
            id: prompt.id.clone(),
            title: prompt.display_title().to_owned(),
            preview: preview(&prompt.body),
            tags: prompt.tags.clone(),
            body_bytes: prompt.body.len(),
            use_count: prompt.use_count,
            last_used_at: prompt.last_used_at,
            updated_at: prompt.updated_at,
            space: String::new(),
        }
    }
}

/// The body's words, one space between each, up to [`PREVIEW_CHARS`] characters.
fn preview(body: &str) -> String {
    let mut out = String::with_capacity(PREVIEW_CHARS);
    push_preview(body, &mut out);
    out
}

/// Appends the preview of `body` to `out` (the search index keeps it beside a prompt's
/// other texts); counted as it is written (counting the whole preview after each word made
/// a library's start-up spend milliseconds here).
pub fn push_preview(body: &str, out: &mut String) {
    let mut room = PREVIEW_CHARS;
    for (n, word) in body.split_whitespace().enumerate() {
        if room == 0 {
            break;
        }
        if n > 0 {
            out.push(' ');
            room -= 1;
        }
        for c in word.chars().take(room) {
            out.push(c);
            room -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preview_folds_whitespace_and_stops_at_the_limit() {
        assert_eq!(preview("  one\n\ttwo   three "), "one two three");
        let long = "word ".repeat(500);
        assert_eq!(preview(&long).chars().count(), PREVIEW_CHARS);
        let exact = format!("{} b", "a".repeat(PREVIEW_CHARS - 2));
        let folded = |body: &str| {
            let words: Vec<&str> = body.split_whitespace().collect();
            words.join(" ").chars().take(PREVIEW_CHARS).collect::<String>()
        };
        for body in [long.as_str(), &exact, &format!("{exact} more"), &format!("x {exact}"), ""] {
            assert_eq!(preview(body), folded(body), "{body:?}");
        }
        // Appended after other text, the preview is the same.
        let mut after = String::from("id");
        push_preview(" one\ttwo", &mut after);
        assert_eq!(after, "idone two");
        let unbroken = "é".repeat(10_000);
        assert_eq!(preview(&unbroken).chars().count(), PREVIEW_CHARS);
    }
}

//! Capture: the selection (or the clipboard) saved as a new prompt.

use promptdeck_actors::PromptDraft;

/// Titles made from a selection's first line stop here.
const CAPTURED_TITLE_CHARS: usize = 80;

/// Why capture found nothing to save.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaptureError {
    #[error("nothing is selected and the clipboard holds no text")]
    Empty,
    #[error("the selection is not text (or not valid UTF-8); nothing was saved")]
    NotText,
    #[error("the clipboard cannot be read: {0}")]
    Unavailable(String),
}

/// A new prompt from selected text, titled by its first non-empty line.
pub fn draft_from_selection(text: &str) -> PromptDraft {
    let first = text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("Captured prompt");
    let mut title: String = first.chars().take(CAPTURED_TITLE_CHARS).collect();
    if first.chars().count() > CAPTURED_TITLE_CHARS {
        title.push('…');
    }
    PromptDraft { title, body: text.to_owned(), tags: vec![] }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_capture_is_titled_by_its_first_nonblank_line() {
        let draft = draft_from_selection("\n   Explain this code\nfn main() {}\n");
        assert_eq!(draft.title, "Explain this code");
        assert_eq!(draft.body, "\n   Explain this code\nfn main() {}\n");
        let long = draft_from_selection(&"ä".repeat(200));
        assert_eq!(long.title.chars().count(), CAPTURED_TITLE_CHARS + 1);
        assert!(long.title.ends_with('…'));
    }
}

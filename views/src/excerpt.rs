//! The part of a body a preview shows: its start, or, when the query's words are found
//! only further on, the lines where the first of them is, so the user sees why a long
//! prompt matched.

use promptdeck_protocol::query::Query;

/// Characters shown before the match when its line is long, so the match has context; at
/// most a quarter of what is shown.
const LEAD_CHARS: usize = 120;

/// At most `limit` characters of `body`: its start when that shows a word of `query` (or
/// none is found), else from the line of the first word found, after "… " to mark the cut.
pub fn around_match(body: &str, query: &str, limit: usize) -> String {
    let start: String = body.chars().take(limit).collect();
    let Some(at) = first_word_at(body, query).filter(|_| limit > 0) else {
        return start;
    };
    let lead = LEAD_CHARS.min(limit / 4);
    if body[..at].chars().count() < limit - lead {
        return start;
    }
    let line = body[..at].rfind('\n').map_or(0, |newline| newline + 1);
    let from = match body[line..at].chars().count() > lead {
        true => word_start_before(body, at, lead),
        false => line,
    };
    let mut shown = String::from("… ");
    shown.extend(body[from..].chars().take(limit));
    shown
}

/// Where the first of the query's words (case aside) begins in `body`, in bytes.
fn first_word_at(body: &str, query: &str) -> Option<usize> {
    let text = Query::parse(query).text.replace("\\ ", " ");
    let words: Vec<Vec<char>> = text
        .split_whitespace()
        .map(|word| word.chars().flat_map(char::to_lowercase).collect())
        .collect();
    body.char_indices()
        .map(|(at, _)| at)
        .find(|&at| words.iter().any(|word| starts_with_folded(&body[at..], word)))
}

fn starts_with_folded(text: &str, word: &[char]) -> bool {
    let mut folded = text.chars().flat_map(char::to_lowercase);
    word.iter().all(|wanted| folded.next() == Some(*wanted))
}

/// The start of a word some `chars` characters before byte `at`.
fn word_start_before(body: &str, at: usize, chars: usize) -> usize {
    if chars == 0 {
        return at;
    }
    let back = body[..at].char_indices().rev().nth(chars - 1).map_or(0, |(i, _)| i);
    body[back..at].find(char::is_whitespace).map_or(back, |space| back + space + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_match_in_the_shown_start_keeps_the_start() {
        let body = "Summarise this article.\nKeep it short.";
        assert_eq!(around_match(body, "short", 2000), body);
        assert_eq!(around_match(body, "nothing here", 2000), body);
        assert_eq!(around_match(body, "", 10), "Summarise ");
        assert_eq!(around_match(body, "short", 0), "", "nothing asked, nothing shown");
        assert_eq!(around_match(&format!("{} short", "x".repeat(50)), "short", 3), "… sho");
    }

    #[test]
    fn a_match_past_the_start_shows_its_line() {
        let body = format!(
            "{}\nThe secret word is Zanzibarquux, said twice.\nEnd.",
            "filler\n".repeat(400)
        );
        let shown = around_match(&body, "#tag zanzibar", 2000);
        assert!(shown.starts_with("… The secret word is Zanzibarquux"), "{shown:?}");
        assert!(shown.ends_with("End."));
        assert_eq!(around_match(&body, "secret", 30), "… The secret word is Zanzibarquu");
    }

    #[test]
    fn a_match_deep_in_one_long_line_shows_some_words_before_it() {
        let body = format!("{}zanzibarquux end", "word ".repeat(1_000));
        let shown = around_match(&body, "ZANZIBAR", 2000);
        assert!(shown.starts_with("… word word"), "{shown:?}");
        let before = shown.find("zanzibarquux").expect("shown");
        assert!((100..=130).contains(&before), "{before} characters of context");
        let accented = format!("{}Éclair café", "é ".repeat(2_000));
        assert!(around_match(&accented, "éclair", 100).contains("Éclair café"));
    }
}

//! A title with the characters the search matched drawn in the accent colour, so the user
//! sees why a row is there.

use iced::widget::{row, text};
use iced::{Element, Font, font};
use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};
use promptdeck_protocol::query::Query;

use crate::theme;

/// The indices of the characters of `title` that `query` matches, as the search matches
/// them (fuzzy, smart case); `#tag` words filter, they do not match titles.
pub fn matched_chars(query: &str, title: &str) -> Vec<usize> {
    let text = Query::parse(query).text;
    if text.is_empty() {
        return Vec::new();
    }
    let pattern = Pattern::parse(&text, CaseMatching::Smart, Normalization::Smart);
    let mut matcher = Matcher::new(Config::DEFAULT);
    let mut buffer = Vec::new();
    let mut indices = Vec::new();
    pattern.indices(Utf32Str::new(title, &mut buffer), &mut matcher, &mut indices);
    indices.sort_unstable();
    indices.dedup();
    indices.into_iter().map(|i| i as usize).collect()
}

/// `title` at `size`, its matched characters bold in the accent colour. Runs are separate
/// text widgets in a row (not rich text), so that each is findable as text.
pub fn highlighted<'a, Message: 'a>(
    title: &'a str,
    matched: &[usize],
    size: f32,
) -> Element<'a, Message> {
    if matched.is_empty() {
        return text(title).size(size).into();
    }
    let mut runs: Vec<(String, bool)> = Vec::new();
    for (index, character) in title.chars().enumerate() {
        let is_matched = matched.binary_search(&index).is_ok();
        match runs.last_mut() {
            Some((run, kind)) if *kind == is_matched => run.push(character),
            _ => runs.push((character.to_string(), is_matched)),
        }
    }
    row(runs.into_iter().map(|(run, is_matched)| piece(run, is_matched, size))).into()
}

fn piece<'a, Message: 'a>(run: String, matched: bool, size: f32) -> Element<'a, Message> {
    let piece = text(run).size(size).wrapping(text::Wrapping::None);
    if !matched {
        return piece.into();
    }
    let bold = Font { weight: font::Weight::Bold, ..Font::default() };
    piece.font(bold).style(theme::matched).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fuzzy_matches_mark_the_characters_tags_do_not() {
        assert_eq!(matched_chars("crv", "Code review"), vec![0, 5, 7]);
        assert_eq!(matched_chars("#work", "Code review"), Vec::<usize>::new());
        assert_eq!(matched_chars("#work rev", "Code review"), vec![5, 6, 7]);
        assert_eq!(matched_chars("é", "Café"), vec![3], "indices count characters");
        assert!(matched_chars("zzz", "Code review").is_empty());
    }
}

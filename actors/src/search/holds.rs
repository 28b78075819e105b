//! What a text holds, as bits, to pass over most texts that cannot match a query without
//! asking the matcher: its letters and digits, and its pairs of adjacent letters.
//!
//! Each is taken of the text as nucleo matches it (`Utf32String`: a grapheme's first
//! character) and of each character as nucleo may fold it ('É' matches "e"), so a text that
//! matches a query always holds what the query asks for.

use nucleo_matcher::Utf32Str;
use nucleo_matcher::chars::{normalize, to_lower_case};

/// The ASCII letter or digit that `c` may match, case aside; `None` for any other.
fn folded(c: char) -> Option<u8> {
    let c = match c.is_ascii() {
        true => c,
        false => to_lower_case(normalize(c)),
    };
    let c = c.to_ascii_lowercase();
    c.is_ascii_alphanumeric().then_some(c as u8)
}

/// The bit of an ASCII letter or digit (lowercase).
fn char_bit(c: u8) -> u64 {
    match c {
        b'a'..=b'z' => 1 << (c - b'a'),
        _ => 1 << (26 + c - b'0'),
    }
}

/// The ASCII letters and digits of a text, case aside.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) struct CharSet(u64);

impl CharSet {
    pub fn of(text: Utf32Str<'_>) -> Self {
        Self(text.chars().filter_map(folded).fold(0, |set, c| set | char_bit(c)))
    }

    /// The letters and digits that begin a word of a text (or may: after any character
    /// other than a letter or digit).
    pub fn word_starts(text: Utf32Str<'_>) -> Self {
        let mut previous = None;
        Self(text.chars().fold(0, |set, c| {
            let c = folded(c);
            let starts = previous.is_none();
            previous = c;
            match (starts, c) {
                (true, Some(c)) => set | char_bit(c),
                _ => set,
            }
        }))
    }

    /// The ASCII letters and digits that begin the words of a query.
    pub fn wanted_word_starts(query: &str) -> Self {
        let starts = query.split_whitespace().filter_map(|w| w.bytes().next());
        let ascii = starts.filter(u8::is_ascii_alphanumeric);
        Self(ascii.map(|c| char_bit(c.to_ascii_lowercase())).fold(0, |set, bit| set | bit))
    }

    /// What a query asks for: its ASCII letters and digits.
    pub fn wanted(query: &str) -> Self {
        let ascii = query.bytes().filter(u8::is_ascii_alphanumeric);
        Self(ascii.map(|c| char_bit(c.to_ascii_lowercase())).fold(0, |set, bit| set | bit))
    }

    pub fn may_hold(self, wanted: CharSet) -> bool {
        self.0 & wanted.0 == wanted.0
    }
}

const LETTERS: usize = 26;

/// The pairs of adjacent ASCII letters of a text, case aside, one bit each: a text holds a
/// word as a substring only if it holds each of the word's letter pairs. Letters alone
/// say little of a paragraph, which holds most of them; their pairs say much more.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct LetterPairs([u64; (LETTERS * LETTERS).div_ceil(64)]);

impl LetterPairs {
    pub fn of(text: Utf32Str<'_>) -> Self {
        Self::from_letters(text.chars().map(|c| folded(c).filter(u8::is_ascii_lowercase)))
    }

    /// What a query matched word by word as substrings asks for: the letter pairs within
    /// each word.
    pub fn wanted(query: &str) -> Self {
        let mut pairs = Self([0; 11]);
        for word in query.split_whitespace() {
            let word = nucleo_matcher::Utf32String::from(word);
            let letters = word
                .slice(..)
                .chars()
                .map(|c| c.is_ascii_alphabetic().then_some(c.to_ascii_lowercase() as u8));
            pairs.add(Self::from_letters(letters));
        }
        pairs
    }

    /// The pairs of consecutive `Some` letters.
    fn from_letters(letters: impl Iterator<Item = Option<u8>>) -> Self {
        let mut pairs = Self([0; 11]);
        let mut previous = None;
        for letter in letters {
            if let (Some(a), Some(b)) = (previous, letter) {
                let bit = usize::from(a - b'a') * LETTERS + usize::from(b - b'a');
                pairs.0[bit / 64] |= 1 << (bit % 64);
            }
            previous = letter;
        }
        pairs
    }

    fn add(&mut self, other: Self) {
        self.0.iter_mut().zip(other.0).for_each(|(bits, more)| *bits |= more);
    }

    pub fn may_hold(&self, wanted: &LetterPairs) -> bool {
        self.0.iter().zip(&wanted.0).all(|(have, want)| have & want == *want)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nucleo_matcher::Utf32String;

    fn pairs(text: &str) -> LetterPairs {
        LetterPairs::of(Utf32String::from(text).slice(..))
    }

    fn chars(text: &str) -> CharSet {
        CharSet::of(Utf32String::from(text).slice(..))
    }

    #[test]
    fn a_text_holds_the_pairs_of_each_word_it_contains() {
        let body = pairs("Summarize the Meeting, then reply");
        assert!(body.may_hold(&LetterPairs::wanted("summ meet")));
        assert!(body.may_hold(&LetterPairs::wanted("SUMMARIZE")), "case aside");
        assert!(
            !body.may_hold(&LetterPairs::wanted("mee x-ray")),
            "\"ra\" and \"ay\" are not there"
        );
        assert!(!body.may_hold(&LetterPairs::wanted("ez")), "\"e z\" across words is no pair");
        assert!(body.may_hold(&LetterPairs::wanted("e z")), "one letter asks for no pair");
    }

    #[test]
    fn accented_and_decomposed_letters_count_as_the_letters_they_match() {
        assert!(pairs("Café résumé").may_hold(&LetterPairs::wanted("cafe resume")));
        // "e" and a combining acute are one grapheme: nucleo sees "re", not "r", "e", "´".
        assert!(pairs("re\u{301}sume\u{301}").may_hold(&LetterPairs::wanted("resume")));
        assert!(chars("ÉCOLE").may_hold(CharSet::wanted("ecole")));
        assert!(chars("don’t — ok").may_hold(CharSet::wanted("dont ok")), "punctuation aside");
        assert!(!chars("don’t — ok").may_hold(CharSet::wanted("x")));
    }

    #[test]
    fn word_starts_follow_anything_but_a_letter_or_digit() {
        let starts =
            CharSet::word_starts(Utf32String::from("Summarize x-ray é2 (draft)").slice(..));
        for query in ["s", "sum x", "ray", "d", "Draft"] {
            assert!(starts.may_hold(CharSet::wanted_word_starts(query)), "{query}");
        }
        for query in ["u", "sum m", "2", "a"] {
            assert!(!starts.may_hold(CharSet::wanted_word_starts(query)), "{query}");
        }
    }

    #[test]
    fn digits_are_chars_but_never_pairs() {
        assert!(chars("Q3 plan").may_hold(CharSet::wanted("q3")));
        assert!(!chars("Q4 plan").may_hold(CharSet::wanted("q3")));
        assert!(pairs("Q3 plan").may_hold(&LetterPairs::wanted("q3")));
    }
}

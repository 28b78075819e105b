//! What a text holds, as bits, to pass over most texts that cannot match a query without
//! asking the matcher: its letters and digits, those that begin its words, and its pairs of
//! adjacent letters.
//!
//! Each is taken of the text as nucleo matches it (`Utf32String`: a grapheme's first
//! character) and of each character as nucleo may fold it ('É' matches "e"), so a text that
//! matches a query always holds what the query asks for.

use nucleo_matcher::chars::{normalize, to_lower_case};
use nucleo_matcher::{Utf32Str, Utf32String};

/// A letter or digit as a number: letters 0-25, digits 26-35.
type Code = u8;

const LETTERS: usize = 26;

/// The letter or digit an ASCII byte is, case aside.
fn ascii_code(b: u8) -> Option<Code> {
    match b.to_ascii_lowercase() {
        c @ b'a'..=b'z' => Some(c - b'a'),
        c @ b'0'..=b'9' => Some(LETTERS as u8 + c - b'0'),
        _ => None,
    }
}

/// The ASCII letter or digit that `c` may match, case aside.
fn code(c: char) -> Option<Code> {
    match c.is_ascii() {
        true => ascii_code(c as u8),
        false => {
            let folded = to_lower_case(normalize(c));
            folded.is_ascii().then(|| ascii_code(folded as u8)).flatten()
        }
    }
}

/// What one text holds.
pub(super) struct Holds {
    pub chars: CharSet,
    pub word_starts: CharSet,
    pub pairs: LetterPairs,
}

impl Holds {
    pub fn of(text: Utf32Str<'_>) -> Self {
        match text {
            Utf32Str::Ascii(bytes) => Self::of_codes(bytes.iter().map(|&b| ascii_code(b))),
            Utf32Str::Unicode(chars) => Self::of_codes(chars.iter().map(|&c| code(c))),
        }
    }

    /// Of a text's characters as codes (`None` for any other character), in one pass.
    fn of_codes(codes: impl Iterator<Item = Option<Code>>) -> Self {
        let mut holds =
            Self { chars: CharSet(0), word_starts: CharSet(0), pairs: LetterPairs::default() };
        let mut previous = None;
        for code in codes {
            if let Some(code) = code {
                holds.chars.add(code);
                match previous {
                    None => holds.word_starts.add(code),
                    Some(before) => holds.pairs.add(before, code),
                }
            }
            previous = code;
        }
        holds
    }
}

/// Letters and digits, as bits.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) struct CharSet(u64);

impl CharSet {
    fn add(&mut self, code: Code) {
        self.0 |= 1 << code;
    }

    /// What a query asks for: its ASCII letters and digits.
    pub fn wanted(query: &str) -> Self {
        Self::of_ascii(query.bytes())
    }

    /// The ASCII letters and digits that begin the words of a query.
    pub fn wanted_word_starts(query: &str) -> Self {
        Self::of_ascii(query.split_whitespace().filter_map(|word| word.bytes().next()))
    }

    fn of_ascii(bytes: impl Iterator<Item = u8>) -> Self {
        let mut set = Self(0);
        bytes.filter_map(ascii_code).for_each(|code| set.add(code));
        set
    }

    pub fn may_hold(self, wanted: CharSet) -> bool {
        self.0 & wanted.0 == wanted.0
    }
}

/// Pairs of adjacent ASCII letters, case aside, one bit each: a text holds a word as a
/// substring only if it holds each of the word's letter pairs. Letters alone say little of
/// a paragraph, which holds most of them; their pairs say much more.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) struct LetterPairs([u64; (LETTERS * LETTERS).div_ceil(64)]);

impl LetterPairs {
    /// Adds the pair `first`, `second` when both are letters.
    fn add(&mut self, first: Code, second: Code) {
        if usize::from(first.max(second)) < LETTERS {
            let bit = usize::from(first) * LETTERS + usize::from(second);
            self.0[bit / 64] |= 1 << (bit % 64);
        }
    }

    /// What a query matched word by word as substrings asks for: the letter pairs within
    /// each word, as nucleo sees the word.
    pub fn wanted(query: &str) -> Self {
        let mut pairs = Self::default();
        for word in query.split_whitespace() {
            let word = Utf32String::from(word);
            let codes = word.slice(..).chars().map(|c| c.is_ascii().then(|| ascii_code(c as u8)));
            codes.map(Option::flatten).fold(None, |previous, code| {
                if let (Some(first), Some(second)) = (previous, code) {
                    pairs.add(first, second);
                }
                code
            });
        }
        pairs
    }

    pub fn may_hold(&self, wanted: &LetterPairs) -> bool {
        self.0.iter().zip(&wanted.0).all(|(have, want)| have & want == *want)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn holds(text: &str) -> Holds {
        Holds::of(Utf32String::from(text).slice(..))
    }

    #[test]
    fn a_text_holds_the_pairs_of_each_word_it_contains() {
        let body = holds("Summarize the Meeting, then reply").pairs;
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
        assert!(holds("Café résumé").pairs.may_hold(&LetterPairs::wanted("cafe resume")));
        // "e" and a combining acute are one grapheme: nucleo sees "re", not "r", "e", "´".
        assert!(holds("re\u{301}sume\u{301}").pairs.may_hold(&LetterPairs::wanted("resume")));
        assert!(holds("ÉCOLE").chars.may_hold(CharSet::wanted("ecole")));
        assert!(
            holds("don’t — ok").chars.may_hold(CharSet::wanted("dont ok")),
            "punctuation aside"
        );
        assert!(!holds("don’t — ok").chars.may_hold(CharSet::wanted("x")));
    }

    #[test]
    fn word_starts_follow_anything_but_a_letter_or_digit() {
        let starts = holds("Summarize x-ray é2 (draft)").word_starts;
        for query in ["s", "sum x", "ray", "d", "Draft"] {
            assert!(starts.may_hold(CharSet::wanted_word_starts(query)), "{query}");
        }
        for query in ["u", "sum m", "2", "a"] {
            assert!(!starts.may_hold(CharSet::wanted_word_starts(query)), "{query}");
        }
    }

    #[test]
    fn digits_are_chars_but_never_pairs() {
        assert!(holds("Q3 plan").chars.may_hold(CharSet::wanted("q3")));
        assert!(!holds("Q4 plan").chars.may_hold(CharSet::wanted("q3")));
        assert!(holds("Q3 plan").pairs.may_hold(&LetterPairs::wanted("q3")));
    }
}

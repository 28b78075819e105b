//! Every distinct word of every body, held once, with the bodies that hold it.
//!
//! A query word matches a body when it is a substring of one of the body's words (it never
//! holds a space), and scores the best it scores in any of them. So each query word is
//! matched against the vocabulary, not against every body, and the bodies that hold the
//! words it matched are found through their lists: a long system prompt costs what its
//! distinct words cost, once, and a keystroke over 100k bodies touches only the bodies
//! that hold what it asks for.

use std::collections::HashMap;

use foldhash::fast::RandomState;

use nucleo_matcher::pattern::{Atom, AtomKind, CaseMatching, Normalization};
use nucleo_matcher::{Matcher, Utf32String};

use super::holders::Holders;
use super::holds::{CharSet, Holds};

/// A position in the index: the bodies' lists name the entries holding each word by it.
pub(super) type Position = u32;

/// One word of the query, as bodies match it: a substring of a body's word, case aside
/// unless it holds a capital, accents aside unless it holds one.
pub(super) struct BodyAtom {
    pub text: String,
    atom: Atom,
    chars: CharSet,
}

impl BodyAtom {
    /// The atoms of `text`, one for each word.
    pub fn of(text: &str) -> Vec<Self> {
        text.split_whitespace()
            .map(|word| Self {
                text: word.to_owned(),
                atom: Atom::new(
                    word,
                    CaseMatching::Smart,
                    Normalization::Smart,
                    AtomKind::Substring,
                    false,
                ),
                chars: CharSet::wanted(word),
            })
            .collect()
    }

    /// Whether every word this atom matches is also matched by `other`, whose matches can
    /// then be the only ones checked: a word holding this atom holds any part of it.
    fn within(&self, other: &str) -> bool {
        self.text.contains(other)
    }
}

struct Word {
    /// The word followed by a space: nucleo-matcher 0.3.1 never finds a substring that
    /// ends a text holding any non-ASCII character (helix-editor/nucleo#104), and a space
    /// after a word changes no score.
    text: Utf32String,
    chars: CharSet,
    /// The positions of the entries whose body holds the word, in the order they were
    /// added; may name entries since removed, which the index no longer asks about.
    holders: Holders,
}

/// The vocabulary of every body in the index, and which entries hold each word.
#[derive(Default)]
pub(super) struct BodyWords {
    words: Vec<Word>,
    /// Each word's id; hashed quickly (a long library has millions of words to look up),
    /// seeded anew in every process.
    ids: HashMap<Box<str>, u32, RandomState>,
    /// The last query's atoms and the words each matched, while the vocabulary is the
    /// same: a keystroke that extends an atom checks only the words it matched.
    last: Vec<(String, Vec<u32>)>,
}

impl BodyWords {
    /// Adds the words of the body at `at`, a position after every one added before: the
    /// body itself, or its words each once as [`super::distinct_words`] gives them.
    pub fn add(&mut self, at: Position, words: &str) {
        self.last.clear();
        for word in words.split_whitespace() {
            let id = match self.ids.get(word) {
                Some(&id) => id,
                None => self.intern(word),
            };
            self.words[id as usize].holders.push(at);
        }
    }

    /// Adds the words of `other`, whose positions start at `offset` here.
    pub fn append(&mut self, other: BodyWords, offset: Position) {
        self.last.clear();
        let mut names: Vec<Option<Box<str>>> = vec![None; other.words.len()];
        for (name, id) in other.ids {
            names[id as usize] = Some(name);
        }
        for (mut word, name) in other.words.into_iter().zip(names) {
            let name = name.expect("every word has its name");
            match self.ids.get(&name) {
                Some(&id) => self.words[id as usize].holders.append(&word.holders, offset),
                None => {
                    let id = u32::try_from(self.words.len()).expect("fewer than 4 billion words");
                    let mut moved = Holders::default();
                    moved.append(&word.holders, offset);
                    word.holders = moved;
                    self.words.push(word);
                    self.ids.insert(name, id);
                }
            }
        }
    }

    /// Gives back the room the word lists grew into and do not use.
    pub fn shrink(&mut self) {
        self.words.iter_mut().for_each(|word| word.holders.shrink_to_fit());
        self.words.shrink_to_fit();
    }

    fn intern(&mut self, word: &str) -> u32 {
        let id = u32::try_from(self.words.len()).expect("fewer than 4 billion distinct words");
        let text = Utf32String::from(format!("{word} ").as_str());
        let chars = Holds::of(text.slice(..)).chars;
        self.words.push(Word { text, chars, holders: Holders::default() });
        self.ids.insert(word.into(), id);
        id
    }

    /// The body score of every position below `positions` for `atoms`: for each atom, the
    /// best it scores in a word of the body, summed; 0 where an atom matches no word of it.
    pub fn scores(
        &mut self,
        atoms: &[BodyAtom],
        positions: usize,
        matcher: &mut Matcher,
    ) -> Vec<u32> {
        let mut total = vec![0_u32; positions];
        let mut matched = Vec::with_capacity(atoms.len());
        for (n, atom) in atoms.iter().enumerate() {
            let words = self.matching(atom, matcher);
            let mut best = vec![0_u16; positions];
            for &(id, score) in &words {
                for at in self.words[id as usize].holders.iter() {
                    if let Some(slot) = best.get_mut(at as usize) {
                        *slot = (*slot).max(score);
                    }
                }
            }
            for (sum, best) in total.iter_mut().zip(best) {
                // Once an atom misses a body, the body is out: no later atom brings it back.
                *sum = match (n, best) {
                    (_, 0) => 0,
                    (0, best) => u32::from(best),
                    (_, best) if *sum > 0 => *sum + u32::from(best),
                    _ => 0,
                };
            }
            matched.push((atom.text.clone(), words.into_iter().map(|(id, _)| id).collect()));
        }
        self.last = matched;
        total
    }

    /// The words `atom` matches, with its score in each: of the words a part of it matched
    /// at the last query, when it has one, else of the whole vocabulary.
    fn matching(&self, atom: &BodyAtom, matcher: &mut Matcher) -> Vec<(u32, u16)> {
        let mut check = |id: u32| {
            let word = &self.words[id as usize];
            if !word.chars.may_hold(atom.chars) {
                return None;
            }
            atom.atom.score(word.text.slice(..), matcher).map(|score| (id, score))
        };
        let narrowed = self.last.iter().find(|(part, _)| atom.within(part));
        match narrowed {
            Some((_, ids)) => ids.iter().filter_map(|&id| check(id)).collect(),
            None => (0..self.words.len() as u32).filter_map(check).collect(),
        }
    }

    /// Follows the index as it drops removed entries: `moved[at]` is where the entry at
    /// `at` now lies, or `None` if it is gone. Words no body holds any more go too.
    pub fn compact(&mut self, moved: &[Option<Position>]) {
        self.last.clear();
        let old = std::mem::take(&mut self.words);
        self.ids.clear();
        for mut word in old {
            word.holders.retain_moved(moved);
            if word.holders.is_empty() {
                continue;
            }
            let id = self.words.len() as u32;
            let text = word.text.to_string();
            self.ids.insert(text.trim_end_matches(' ').into(), id);
            self.words.push(word);
        }
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.words.len()
    }
}

#[cfg(test)]
mod tests {
    use nucleo_matcher::Config;

    use super::*;

    fn scores(words: &mut BodyWords, query: &str, positions: usize) -> Vec<u32> {
        let mut matcher = Matcher::new(Config::DEFAULT);
        words.scores(&BodyAtom::of(query), positions, &mut matcher)
    }

    #[test]
    fn a_body_matches_when_every_query_word_is_in_one_of_its_words() {
        let mut words = BodyWords::default();
        words.add(0, "summarize the meeting ");
        words.add(1, "meeting notes ");
        words.add(2, "résumé Review ");
        let found = |s: &[u32]| s.iter().map(|&score| score > 0).collect::<Vec<_>>();
        assert_eq!(found(&scores(&mut words, "meet", 3)), [true, true, false]);
        assert_eq!(found(&scores(&mut words, "meet sum", 3)), [true, false, false]);
        assert_eq!(found(&scores(&mut words, "sum meet", 3)), [true, false, false], "any order");
        assert_eq!(found(&scores(&mut words, "view resume", 3)), [false, false, true]);
        assert_eq!(found(&scores(&mut words, "View", 3)), [false, false, false], "smart case");
        assert_eq!(found(&scores(&mut words, "zz meet", 3)), [false, false, false]);
    }

    #[test]
    fn an_extended_word_checks_only_what_its_start_matched_and_finds_the_same() {
        let mut words = BodyWords::default();
        words.add(0, "notes nothing ");
        words.add(1, "know ");
        let first = scores(&mut words, "no", 2);
        assert!(first.iter().all(|&s| s > 0));
        assert_eq!(words.last[0].1.len(), 3, "every word holds \"no\"");
        let narrowed = scores(&mut words, "not", 2);
        let mut fresh = BodyWords::default();
        fresh.add(0, "notes nothing ");
        fresh.add(1, "know ");
        assert_eq!(narrowed, scores(&mut fresh, "not", 2));
        assert_eq!(narrowed[1], 0);
        words.add(2, "notary ");
        assert!(words.last.is_empty(), "a new word is not among the last matches");
        assert!(scores(&mut words, "nota", 3)[2] > 0);
    }

    #[test]
    fn vocabularies_made_apart_join_as_one() {
        let mut joined = BodyWords::default();
        joined.add(0, "alpha shared ");
        let mut part = BodyWords::default();
        part.add(0, "beta shared ");
        part.add(1, "alpha ");
        joined.append(part, 1);
        assert_eq!(joined.len(), 3, "shared words are held once");
        let found = |s: Vec<u32>| s.iter().map(|&score| score > 0).collect::<Vec<_>>();
        assert_eq!(found(scores(&mut joined, "shared", 3)), [true, true, false]);
        assert_eq!(found(scores(&mut joined, "alpha", 3)), [true, false, true]);
        assert_eq!(found(scores(&mut joined, "beta", 3)), [false, true, false]);
    }

    #[test]
    fn compacting_moves_holders_and_drops_words_no_body_holds() {
        let mut words = BodyWords::default();
        words.add(0, "alpha shared ");
        words.add(1, "beta shared ");
        words.add(2, "gamma shared ");
        words.compact(&[None, Some(0), Some(1)]);
        assert_eq!(words.len(), 3, "alpha is gone");
        let found = scores(&mut words, "shared", 2);
        assert!(found.iter().all(|&s| s > 0));
        assert_eq!(scores(&mut words, "alpha", 2), [0, 0]);
        assert!(scores(&mut words, "gamma", 2)[1] > 0, "gamma moved to 1");
        words.add(2, "alpha ");
        assert!(scores(&mut words, "alpha", 3)[2] > 0, "a word comes back");
    }
}

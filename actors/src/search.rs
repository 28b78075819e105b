//! The whole-library search index, ranked by match quality, then frecency, then recency;
//! led by a prompt whose title is the query, then by those the palette learned were picked
//! for it (`learned`).
//!
//! Titles and tags match fuzzily (what people half-remember); every word of the body
//! matches word by word as substrings, because fuzzy matches scattered through a paragraph
//! are noise and cost quadratically more (benches/search.rs measured 18 ms against 0.6 ms at
//! 10k prompts). Bodies are held as one vocabulary, each word with the entries holding it
//! (`words`): a query word is matched against the words, not against every body. A keystroke that extends the previous query searches only the previous
//! matches, as fzf does. A `#word` in the query keeps only prompts with a tag starting
//! with that word.

mod arena;
mod holders;
mod holds;
mod kept;
mod learned;
mod words;

use std::cmp::Ordering;
use std::collections::HashSet;
use std::hash::{BuildHasher, Hasher};

use hashbrown::hash_table::{Entry, HashTable};
use nucleo_matcher::pattern::{AtomKind, CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32String};
use promptdeck_protocol::query::Query;
use promptdeck_protocol::{PINNED_TAG, Prompt, PromptId, PromptSummary};
use serde::Serialize;

use crate::parallel::{fold_while_producing, in_parts};
use arena::{TextArena, TextSpan};
use holds::{CharSet, Holds, LetterPairs};
use kept::KeptSummary;
pub use learned::Learned;
use words::{BodyAtom, BodyWords, Position};

/// Queries longer than this are cut: nobody types more, and matching cost grows with it.
pub const MAX_QUERY_CHARS: usize = 256;

/// One ranked result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchHit {
    pub prompt: PromptSummary,
    /// Match quality; 0 for an empty query.
    pub score: u32,
}

/// One prompt made ready for the index off the actor: its name, and its body's words.
pub(crate) struct IndexEntry {
    named: NamedEntry,
    /// The body's distinct words, for the vocabulary.
    words: String,
}

impl IndexEntry {
    pub fn new(prompt: &Prompt) -> Self {
        Self { named: NamedEntry::new(prompt), words: distinct_words(&prompt.body) }
    }
}

/// A prompt as the index shows and ranks it, with its title and tags ready to match.
struct NamedEntry {
    prompt: IndexedPrompt,
    /// Title and tags, matched fuzzily.
    named: Utf32String,
    named_chars: CharSet,
    named_starts: CharSet,
    named_pairs: LetterPairs,
}

impl NamedEntry {
    fn new(prompt: &Prompt) -> Self {
        let title = prompt.display_title();
        let named = Utf32String::from(format!("{title} {}", prompt.tags.join(" ")));
        let holds = Holds::of(named.slice(..));
        Self {
            named_chars: holds.chars,
            named_starts: holds.word_starts,
            named_pairs: holds.pairs,
            named,
            prompt: IndexedPrompt {
                pinned: prompt.tags.iter().any(|t| t == PINNED_TAG),
                title_key: folded_key(title.trim()),
                summary: KeptSummary::of(prompt),
            },
        }
    }

    /// The prompt, and its name with the name's characters moved to `arena`.
    fn into_arena(self, arena: &mut TextArena) -> (IndexedPrompt, MatchText) {
        let text = MatchText {
            named: arena.push(&self.named),
            named_chars: self.named_chars,
            named_starts: self.named_starts,
            named_pairs: self.named_pairs,
        };
        (self.prompt, text)
    }
}

/// The words of `body`, each once, in the order they first appear, each followed by a
/// space. A query word never holds whitespace (escaped spaces aside, which bodies do not
/// honour), so it is a substring of the body exactly when it is one of these words.
fn distinct_words(body: &str) -> String {
    let mut seen = HashSet::with_hasher(foldhash::fast::RandomState::default());
    let mut words = String::new();
    for word in body.split_whitespace().filter(|word| seen.insert(*word)) {
        words.push_str(word);
        words.push(' ');
    }
    words
}

/// Part of a library made ready for the index on one thread.
#[derive(Default)]
struct IndexPart {
    prompts: Vec<IndexedPrompt>,
    texts: Vec<MatchText>,
    /// The part's bodies, by their positions in the part.
    bodies: BodyWords,
    arena: TextArena,
}

impl IndexPart {
    fn of(prompts: &[&Prompt]) -> Self {
        let mut part = Self::default();
        part.add(prompts.iter().copied());
        part
    }

    /// Adds `prompts` after those the part holds.
    fn add<'a>(&mut self, prompts: impl ExactSizeIterator<Item = &'a Prompt>) {
        self.prompts.reserve(prompts.len());
        self.texts.reserve(prompts.len());
        for prompt in prompts {
            let at = Position::try_from(self.prompts.len()).expect("fewer than 4 billion prompts");
            // The body whole: its word lists hold each entry once however often a word
            // repeats, so no set of its distinct words is made.
            self.bodies.add(at, &prompt.body);
            let (prompt, text) = NamedEntry::new(prompt).into_arena(&mut self.arena);
            self.prompts.push(prompt);
            self.texts.push(text);
        }
    }
}

/// One prompt as the index ranks and shows it.
struct IndexedPrompt {
    summary: KeptSummary,
    /// Tagged `pinned`; worked out once here, not in every comparison of a sort.
    pinned: bool,
    /// The trimmed title's [`folded_key`]: ranking asks of every match whether its title is
    /// the query, and most are told no without reading the title.
    title_key: u64,
}

/// What a keystroke reads of one prompt, apart from what it shows, so that a pass over the
/// library reads little memory, in order.
struct MatchText {
    named: TextSpan,
    /// What `named` holds, to pass over most names that cannot match without asking the
    /// matcher.
    named_chars: CharSet,
    named_starts: CharSet,
    named_pairs: LetterPairs,
}

impl MatchText {
    /// A first look at how this text may match `text`, asking the matcher only of a name
    /// that may score the most a name can (or of every name when that is not known).
    fn first_look(&self, text: &TextQuery, arena: &TextArena, matcher: &mut Matcher) -> NameMatch {
        match self.named_chars.may_hold(text.named_chars) {
            false => NameMatch::No,
            true if text.named_max.is_some() && !self.may_score_the_most(text) => {
                NameMatch::Unscored
            }
            true => NameMatch::scored(text.named.score(arena.get(self.named), matcher)),
        }
    }

    /// Whether the name holds each of the query's words whole, each at a word's start, as
    /// a name that scores the most must.
    fn may_score_the_most(&self, text: &TextQuery) -> bool {
        self.named_starts.may_hold(text.word_starts)
            && self.named_pairs.may_hold(&text.letter_pairs)
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum NameMatch {
    No,
    /// Twice the matcher's score: a name outranks a body.
    Scored(u32),
    /// Not asked: the name may match, but scores less than the most a name can.
    Unscored,
}

impl NameMatch {
    fn scored(score: Option<u32>) -> Self {
        score.map_or(Self::No, |s| Self::Scored(s * 2))
    }

    fn score(self) -> Option<u32> {
        match self {
            Self::Scored(score) => Some(score),
            Self::No | Self::Unscored => None,
        }
    }
}

/// Whether the position a table of positions holds is that of the prompt `id`.
fn holds<'a>(entries: &'a [IndexedPrompt], id: &'a str) -> impl Fn(&usize) -> bool + 'a {
    move |&at| entries[at].summary.id() == id
}

/// Prompts from which building the index is split over threads.
const PARALLEL_BUILD_FROM: usize = 2_000;

/// Every prompt of the library, ready to match.
#[derive(Default)]
pub struct SearchIndex {
    /// The prompts, and at the same positions their names; a removed or replaced prompt's
    /// position stays, marked gone, until half of them are (the bodies' word lists name
    /// entries by position, and rewriting them for every removal would cost more).
    entries: Vec<IndexedPrompt>,
    texts: Vec<MatchText>,
    gone: Vec<bool>,
    gone_count: usize,
    arena: TextArena,
    bodies: BodyWords,
    /// Each held prompt's position, found by its id's hash and told apart by the id of the
    /// entry there: the ids are not held a second time.
    positions: HashTable<usize>,
    hasher: foldhash::fast::RandomState,
    /// The last query and every entry it matched, while the entries are unchanged.
    last: Option<(String, Vec<usize>)>,
    learned: Learned,
}

impl SearchIndex {
    /// The index of `prompts`, made in parts on every core (each part's texts made and
    /// dropped on its own thread), then joined.
    pub fn new<'a>(prompts: impl IntoIterator<Item = &'a Prompt>) -> Self {
        let prompts: Vec<&Prompt> = prompts.into_iter().collect();
        Self::joined(in_parts(&prompts, PARALLEL_BUILD_FROM, |part| vec![IndexPart::of(part)]))
    }

    /// The index of the prompts `read` hands over a batch at a time, each batch made into
    /// prompts by `prompts_of` and indexed on every core while `read` reads the next (a
    /// start reads a library from disk). Gives `read`'s error, if it fails.
    pub fn from_batches<B: Send, E>(
        read: impl FnOnce(&mut dyn FnMut(B)) -> Result<(), E>,
        prompts_of: impl Fn(B) -> Vec<Prompt> + Sync,
    ) -> Result<Self, E> {
        let parts = fold_while_producing(read, IndexPart::default, |part, batch| {
            part.add(prompts_of(batch).iter());
        })?;
        Ok(Self::joined(parts))
    }

    /// The index holding every part's prompts, in the parts' order.
    fn joined(mut parts: Vec<IndexPart>) -> Self {
        let count = parts.iter().map(|part| part.prompts.len()).sum();
        // Taken out of the parts so they are freed once joined, before the prompts are
        // inserted: a 100k library's names are some 5 MB.
        let arenas: Vec<TextArena> =
            parts.iter_mut().map(|p| std::mem::take(&mut p.arena)).collect();
        let (arena, moves) = TextArena::join(&arenas);
        drop(arenas);
        let positions = HashTable::with_capacity(count);
        let mut index = Self { arena, positions, ..Self::default() };
        index.entries.reserve(count);
        index.texts.reserve(count);
        index.gone.reserve(count);
        for (part, moved) in parts.into_iter().zip(moves) {
            let offset = Position::try_from(index.entries.len()).expect("fewer than 4 billion");
            index.bodies.append(part.bodies, offset);
            for (prompt, mut text) in part.prompts.into_iter().zip(part.texts) {
                text.named = moved(text.named);
                index.push(prompt, text);
            }
        }
        index.bodies.shrink();
        index
    }

    pub fn len(&self) -> usize {
        self.positions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.positions.is_empty()
    }

    #[cfg(test)]
    pub fn upsert(&mut self, prompt: &Prompt) {
        self.put(IndexEntry::new(prompt));
    }

    /// Adds the entry, or replaces the one of the same prompt.
    pub(crate) fn put(&mut self, entry: IndexEntry) {
        self.last = None;
        let (prompt, text) = entry.named.into_arena(&mut self.arena);
        let at = self.push(prompt, text);
        self.bodies.add(at, &entry.words);
        self.compact_when_wasteful();
    }

    /// Adds the prompt with its name (already in the arena) at a new position, for its
    /// body's words to name; the one of the same id, if any, is gone.
    fn push(&mut self, prompt: IndexedPrompt, text: MatchText) -> Position {
        let at = self.entries.len();
        self.entries.push(prompt);
        self.texts.push(text);
        self.gone.push(false);
        if let Some(old) = self.place(at) {
            self.mark_gone(old);
        }
        Position::try_from(at).expect("fewer than 4 billion prompts")
    }

    /// Records `at` as the position of its entry's id; gives the position it replaces.
    fn place(&mut self, at: usize) -> Option<usize> {
        let (entries, hasher) = (&self.entries, &self.hasher);
        let id = entries[at].summary.id();
        let rehash = |&held: &usize| hasher.hash_one(entries[held].summary.id());
        match self.positions.entry(hasher.hash_one(id), holds(entries, id), rehash) {
            Entry::Occupied(mut held) => Some(std::mem::replace(held.get_mut(), at)),
            Entry::Vacant(vacant) => {
                vacant.insert(at);
                None
            }
        }
    }

    /// The position of the prompt `id`, if held.
    fn position(&self, id: &str) -> Option<usize> {
        self.positions.find(self.hasher.hash_one(id), holds(&self.entries, id)).copied()
    }

    pub fn remove(&mut self, id: &PromptId) {
        self.last = None;
        let (id, held) = (id.as_str(), holds(&self.entries, id.as_str()));
        if let Ok(found) = self.positions.find_entry(self.hasher.hash_one(id), held) {
            let (at, _) = found.remove();
            self.mark_gone(at);
            self.compact_when_wasteful();
        }
    }

    fn mark_gone(&mut self, at: usize) {
        self.gone[at] = true;
        self.gone_count += 1;
        self.arena.release(self.texts[at].named);
    }

    /// The positions of the prompts held.
    fn held(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.entries.len()).filter(|&at| !self.gone[at])
    }

    /// Drops the positions of prompts no longer held once they are half of all, and the
    /// arena's texts no longer held once they are.
    fn compact_when_wasteful(&mut self) {
        if self.gone_count > 1_024 && self.gone_count * 2 > self.entries.len() {
            let mut moved = Vec::with_capacity(self.gone.len());
            let mut next: Position = 0;
            for &gone in &self.gone {
                moved.push((!gone).then(|| {
                    next += 1;
                    next - 1
                }));
            }
            let mut kept = self.gone.iter().map(|gone| !gone);
            self.entries.retain(|_| kept.next().unwrap_or(false));
            let mut kept = self.gone.iter().map(|gone| !gone);
            self.texts.retain(|_| kept.next().unwrap_or(false));
            self.gone = vec![false; self.entries.len()];
            self.gone_count = 0;
            for at in self.positions.iter_mut() {
                *at = moved[*at].map_or(*at, |to| to as usize);
            }
            self.bodies.compact(&moved);
        }
        if self.arena.is_wasteful() {
            let live = self.texts.iter_mut().zip(&self.gone).filter(|(_, gone)| !**gone);
            self.arena.compact(live.map(|(text, _)| &mut text.named));
        }
    }

    /// The best `limit` prompts for `query` at time `now` (ms), best first.
    pub fn search(&mut self, query: &str, limit: usize, now: i64) -> Vec<SearchHit> {
        if limit == 0 {
            return Vec::new();
        }
        let query: String = query.chars().take(MAX_QUERY_CHARS).collect();
        let (tags, text) = TagFilter::split(&query);
        if text.is_empty() {
            let all = self.held().filter(|&at| tags.keeps(&self.entries[at])).map(|at| (at, 0));
            return self.best(all.collect(), &Leads::default(), limit, now);
        }
        let scored = self.matches(&query, &TextQuery::new(&text), &tags, limit);
        let learned = self.learned.leaders(&query).into_iter();
        let learned = learned.filter_map(|id| self.position(id.as_str()));
        let leads =
            Leads::new(text.trim(), learned.filter(|&at| tags.keeps(&self.entries[at])).collect());
        self.best(scored, &leads, limit, now)
    }

    /// The best `limit` of `scored`, ranked: a title that is the query, then what was
    /// learned for it, then score, pinned, frecency and recency. Only entries scoring at
    /// least the `limit`th best score can be among them (a title that is the query scores
    /// the most a name can), and only those are ranked further, with the learned ones.
    fn best(
        &self,
        mut scored: Vec<(usize, u32)>,
        leads: &Leads,
        limit: usize,
        now: i64,
    ) -> Vec<SearchHit> {
        if scored.len() > limit {
            scored.select_nth_unstable_by(limit - 1, |a, b| b.1.cmp(&a.1));
            let least = scored[limit - 1].1;
            scored.retain(|&(_, score)| score >= least);
        }
        for &at in &leads.learned {
            if !scored.iter().any(|&(scored_at, _)| scored_at == at) {
                scored.push((at, 0));
            }
        }
        let mut ranked: Vec<Ranked> = scored
            .into_iter()
            .map(|(at, score)| {
                let entry = &self.entries[at];
                Ranked { lead: leads.of(at, entry), score, frecency: frecency(entry, now), entry }
            })
            .collect();
        // Lazily: most comparisons are settled before the ids, whose text is elsewhere.
        let by_rank = |a: &Ranked, b: &Ranked| {
            b.lead
                .cmp(&a.lead)
                .then(b.score.cmp(&a.score))
                .then(b.entry.pinned.cmp(&a.entry.pinned))
                .then(b.frecency.partial_cmp(&a.frecency).unwrap_or(Ordering::Equal))
                .then(b.entry.summary.updated_at.cmp(&a.entry.summary.updated_at))
                .then_with(|| a.entry.summary.id().cmp(b.entry.summary.id()))
        };
        if ranked.len() > limit {
            ranked.select_nth_unstable_by(limit - 1, by_rank);
            ranked.truncate(limit);
        }
        ranked.sort_unstable_by(by_rank);
        ranked
            .into_iter()
            .map(|r| SearchHit { prompt: r.entry.summary.whole(), score: r.score })
            .collect()
    }

    /// Starts from what the store learned (the cache's start).
    pub fn set_learned(&mut self, learned: Learned) {
        self.learned = learned;
    }

    /// `prompt` was picked for `query`: it leads the list for that query from now on.
    pub fn learn(&mut self, query: &str, prompt: PromptId, at: i64) {
        self.learned.learn(query, prompt, at);
    }

    pub fn forget_learned(&mut self) {
        self.learned.forget();
    }

    /// What was learned, to follow the space's picks and the device's setting.
    pub fn learned_mut(&mut self) -> &mut Learned {
        &mut self.learned
    }

    /// The entries that match `text` and `tags`, with their scores; an entry that cannot be
    /// among the best `limit` may score less than in full, or be left out. Remembers every
    /// entry that may match, for the next keystroke to narrow from.
    fn matches(
        &mut self,
        query: &str,
        text: &TextQuery,
        tags: &TagFilter,
        limit: usize,
    ) -> Vec<(usize, u32)> {
        let candidates: Vec<usize> = match self.last.take() {
            Some((last, matched)) if narrows(&last, query) => matched,
            _ => self.held().collect(),
        };
        let tagged: Vec<usize> = match tags.is_empty() {
            true => candidates,
            false => candidates.into_iter().filter(|&at| tags.keeps(&self.entries[at])).collect(),
        };
        let mut names =
            self.scores(&tagged, |entry, matcher| entry.first_look(text, &self.arena, matcher));
        if !text.best_names_suffice(&names, limit) {
            self.score_unscored_names(&tagged, &mut names, text);
        }
        // Bodies are scored only when one could be among the best; else any may match,
        // for the next keystroke to look at again.
        let bodies = match text.bodies_may_lead(&names, limit) {
            true => {
                let mut matcher = Matcher::new(Config::DEFAULT);
                Some(self.bodies.scores(&text.body_atoms, self.entries.len(), &mut matcher))
            }
            false => None,
        };
        let (mut scored, mut matched) = (Vec::new(), Vec::new());
        for (&at, name) in tagged.iter().zip(names) {
            let body = bodies.as_ref().map(|bodies| Some(bodies[at]).filter(|&score| score > 0));
            match (name.score().max(body.flatten()), body) {
                (Some(score), _) => scored.push((at, score)),
                (None, None) => {}
                (None, Some(_)) if name == NameMatch::Unscored => {}
                (None, Some(_)) => continue,
            }
            matched.push(at);
        }
        self.last = Some((query.to_owned(), matched));
        scored
    }

    /// Asks the matcher of every name the first look left unscored.
    fn score_unscored_names(&self, tagged: &[usize], names: &mut [NameMatch], text: &TextQuery) {
        let unscored: Vec<usize> =
            (0..names.len()).filter(|&i| names[i] == NameMatch::Unscored).collect();
        let entries: Vec<usize> = unscored.iter().map(|&i| tagged[i]).collect();
        let scored = self.scores(&entries, |entry, matcher| {
            NameMatch::scored(text.named.score(self.arena.get(entry.named), matcher))
        });
        for (i, name) in unscored.into_iter().zip(scored) {
            names[i] = name;
        }
    }

    /// `score` of the text of every entry at `at`, in order, each part of many with its own
    /// matcher.
    fn scores<R: Send>(
        &self,
        at: &[usize],
        score: impl Fn(&MatchText, &mut Matcher) -> R + Sync,
    ) -> Vec<R> {
        in_parts(at, PARALLEL_SCORING_FROM, |part| {
            let mut matcher = Matcher::new(Config::DEFAULT);
            part.iter().map(|&at| score(&self.texts[at], &mut matcher)).collect()
        })
    }
}

/// A query's text, ready to match: fuzzily against names, word by word as substrings
/// against bodies.
struct TextQuery {
    named: Pattern,
    body_atoms: Vec<BodyAtom>,
    /// No body can score more: the query's own words, each at a word's start, as a body.
    body_bound: Option<u32>,
    /// No name can score more (the query as a name, twice its score), when the query is
    /// plain words. Only a name holding each word whole scores it.
    named_max: Option<u32>,
    /// What a name must hold to match.
    named_chars: CharSet,
    /// The letter pairs of the query's words, which a name must hold to score the most;
    /// and their first characters, which must begin a name's words.
    letter_pairs: LetterPairs,
    word_starts: CharSet,
}

impl TextQuery {
    fn new(text: &str) -> Self {
        let named = Pattern::parse(text, CaseMatching::Smart, Normalization::Smart);
        // Bodies are held as their words, so an escaped space (a phrase, to a name)
        // separates words in them as a plain one does.
        let words = text.replace("\\ ", " ");
        let itself = Utf32String::from(text);
        let mut matcher = Matcher::new(Config::DEFAULT);
        let body_bound = body_pattern(&words)
            .score(Utf32String::from(format!("{words} ").as_str()).slice(..), &mut matcher);
        // The name pattern's syntax (negation, anchors, escapes) asks for no characters.
        let plain = !text.contains(['!', '^', '$', '\'', '\\']);
        let named_max = plain.then(|| named.score(itself.slice(..), &mut matcher)).flatten();
        Self {
            named,
            body_atoms: BodyAtom::of(&words),
            body_bound,
            named_max: named_max.map(|s| s * 2),
            named_chars: if plain { CharSet::wanted(text) } else { CharSet::default() },
            letter_pairs: LetterPairs::wanted(text),
            word_starts: CharSet::wanted_word_starts(text),
        }
    }

    /// Whether the names scored at the first look are enough to know the best `limit`:
    /// at least that many score the most a name can, which neither an unscored name nor a
    /// body can reach.
    fn best_names_suffice(&self, names: &[NameMatch], limit: usize) -> bool {
        let Some(max) = self.named_max else {
            return false;
        };
        let at_max = names.iter().filter(|name| name.score() >= Some(max)).count();
        at_max >= limit && self.body_bound.is_some_and(|body| body < max)
    }

    /// Whether a body could be among the best `limit`: whether the most a body can score
    /// reaches the `limit`th best name. A short query matches most names of a large
    /// library, and bodies are then left alone.
    fn bodies_may_lead(&self, names: &[NameMatch], limit: usize) -> bool {
        let Some(bound) = self.body_bound else {
            return true;
        };
        let mut scores: Vec<u32> = names.iter().filter_map(|name| name.score()).collect();
        if scores.len() < limit {
            return true;
        }
        let least = *scores.select_nth_unstable_by(limit - 1, |a, b| b.cmp(a)).1;
        bound >= least
    }
}

/// What bodies are matched with, word by word as substrings: each word of the query is an
/// atom of it, as [`BodyAtom::of`] makes them.
fn body_pattern(words: &str) -> Pattern {
    Pattern::new(words, CaseMatching::Smart, Normalization::Smart, AtomKind::Substring)
}

/// What puts a prompt ahead of its score: a title that is the query, or a pick learned for
/// it.
#[derive(Default)]
struct Leads<'a> {
    /// The query's text, less its `#tags`, and its [`folded_key`].
    title: &'a str,
    title_key: u64,
    /// Positions of the prompts learned for the query, best first.
    learned: Vec<usize>,
}

impl<'a> Leads<'a> {
    fn new(title: &'a str, learned: Vec<usize>) -> Self {
        Self { title, title_key: folded_key(title), learned }
    }

    /// Higher leads: a title that is the query the highest, then learned prompts in their
    /// order; 0 for none.
    fn of(&self, at: usize, entry: &IndexedPrompt) -> usize {
        if !self.title.is_empty()
            && entry.title_key == self.title_key
            && same_ignoring_case(entry.summary.title().trim(), self.title)
        {
            return learned::MOST_LEARNED + 1;
        }
        self.learned
            .iter()
            .position(|&learned| learned == at)
            .map_or(0, |i| learned::MOST_LEARNED - i)
    }
}

/// One prompt as the list ranks it.
struct Ranked<'a> {
    lead: usize,
    score: u32,
    frecency: f64,
    entry: &'a IndexedPrompt,
}

/// `text` with case set aside, as a title and a query are compared.
fn folded(text: &str) -> impl Iterator<Item = char> + '_ {
    text.chars().flat_map(char::to_lowercase)
}

/// Whether `a` and `b` are the same text, case aside. Asked only where their
/// [`folded_key`]s agree.
fn same_ignoring_case(a: &str, b: &str) -> bool {
    folded(a).eq(folded(b))
}

/// A hash of [`folded`] `text`: texts that are the same case aside have the same key.
fn folded_key(text: &str) -> u64 {
    let mut hasher = foldhash::fast::FixedState::default().build_hasher();
    for c in folded(text) {
        hasher.write_u32(u32::from(c));
    }
    hasher.finish()
}

/// Candidates from which scoring is split over threads.
const PARALLEL_SCORING_FROM: usize = 20_000;

/// The `#tag` words of a query: a prompt stays when, for each, one of its tags starts with
/// it (case aside).
struct TagFilter(Vec<String>);

impl TagFilter {
    /// The tag words, and the rest of the query to match as text.
    fn split(query: &str) -> (Self, String) {
        let Query { tags, text } = Query::parse(query);
        (Self(tags), text)
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn keeps(&self, entry: &IndexedPrompt) -> bool {
        self.0.iter().all(|wanted| entry.summary.tags().any(|tag| starts_with(tag, wanted)))
    }
}

/// Whether `text`, lowercased, starts with `prefix` (already lowercase), without
/// allocating: this runs for every prompt on every keystroke.
fn starts_with(text: &str, prefix: &str) -> bool {
    let mut text = text.chars().flat_map(char::to_lowercase);
    prefix.chars().all(|wanted| text.next() == Some(wanted))
}

/// Whether every prompt matching `next` also matched `last`, so only those need checking.
/// Extending a query only narrows it, except under negation (`!`) or an escape.
fn narrows(last: &str, next: &str) -> bool {
    !last.is_empty() && next.starts_with(last) && !next.contains(['!', '\\'])
}

/// `hits` marked as found in the workspace syncing as `space`.
pub(crate) fn in_space(mut hits: Vec<SearchHit>, space: &str) -> Vec<SearchHit> {
    hits.iter_mut().for_each(|hit| hit.prompt.space = space.to_owned());
    hits
}

/// The best `limit` of several workspaces' hits (each list ranked), ranked as one index
/// would rank them.
pub(crate) fn merge_ranked(lists: Vec<Vec<SearchHit>>, limit: usize, now: i64) -> Vec<SearchHit> {
    let mut hits: Vec<SearchHit> = lists.into_iter().flatten().collect();
    let key = |hit: &SearchHit| {
        let p = &hit.prompt;
        let pinned = p.tags.iter().any(|t| t == PINNED_TAG);
        (hit.score, pinned, promptdeck_protocol::frecency(p.use_count, p.last_used_at, now))
    };
    hits.sort_by(|a, b| {
        let (score_a, pinned_a, frecency_a) = key(a);
        let (score_b, pinned_b, frecency_b) = key(b);
        score_b
            .cmp(&score_a)
            .then(pinned_b.cmp(&pinned_a))
            .then(frecency_b.partial_cmp(&frecency_a).unwrap_or(Ordering::Equal))
            .then(b.prompt.updated_at.cmp(&a.prompt.updated_at))
            .then(a.prompt.id.cmp(&b.prompt.id))
            .then(a.prompt.space.cmp(&b.prompt.space))
    });
    hits.truncate(limit);
    hits
}

fn frecency(entry: &IndexedPrompt, now: i64) -> f64 {
    promptdeck_protocol::frecency(entry.summary.use_count, entry.summary.last_used_at, now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use nucleo_matcher::pattern::Atom;
    use serde_json::json;

    fn prompt(id: &str, title: &str, body: &str, uses: u64, updated: i64) -> Prompt {
        serde_json::from_value(json!({
            "id": id, "title": title, "body": body, "tags": ["work"], "createdAt": 0,
            "updatedAt": updated, "useCount": uses,
            "lastUsedAt": if uses > 0 { json!(updated) } else { json!(null) }
        }))
        .expect("valid prompt")
    }

    fn ids(hits: &[SearchHit]) -> Vec<&str> {
        hits.iter().map(|h| h.prompt.id.as_str()).collect()
    }

    #[test]
    fn a_large_library_is_scored_in_parts_and_nothing_in_any_part_is_missed() {
        let count = PARALLEL_SCORING_FROM + 10_000;
        let prompts: Vec<Prompt> = (0..count)
            .map(|n| {
                let title = match n {
                    0 | 15_000 => "Zebra crossing".to_owned(),
                    n if n == count - 1 => "Zebra stripes".to_owned(),
                    n => format!("Item {n}"),
                };
                prompt(&format!("p{n}"), &title, "", 0, n as i64)
            })
            .collect();
        let mut index = SearchIndex::new(&prompts);
        let found =
            ids(&index.search("zebra", 10, 1)).into_iter().map(str::to_owned).collect::<Vec<_>>();
        let mut found = found;
        found.sort();
        assert_eq!(found, ["p0", "p15000", &format!("p{}", count - 1)]);
        assert_eq!(index.search("item", 5, 1).len(), 5, "and the ranking still takes the best");
    }

    #[test]
    fn an_index_built_from_batches_answers_as_one_built_whole() {
        let prompts: Vec<Prompt> = (0..700)
            .map(|n| {
                let body = format!("step {n} of the plan; word{} and zanzibar{}", n % 13, n % 7);
                prompt(&format!("p{n:03}"), &format!("Item {n} plan"), &body, n % 5, n as i64)
            })
            .collect();
        let mut whole = SearchIndex::new(&prompts);
        let batches: Vec<Vec<Prompt>> = prompts.chunks(9).map(<[Prompt]>::to_vec).collect();
        let mut batched = SearchIndex::from_batches(
            |send| {
                batches.into_iter().for_each(send);
                Ok::<_, ()>(())
            },
            |batch| batch,
        )
        .expect("built");
        assert_eq!(batched.len(), prompts.len());
        for query in ["", "plan", "item 12", "zanzibar3", "word1 zanz", "step 69"] {
            assert_eq!(
                ids(&batched.search(query, 50, 1)),
                ids(&whole.search(query, 50, 1)),
                "{query:?}"
            );
        }
        assert!(!batched.search("zanzibar3", 500, 1).is_empty());
    }

    /// A prompt picked for a query leads the list the next time that query, or its start,
    /// is typed: above better matches, pins and frecency, below only a title that is the
    /// query; listed even where it does not match the query, but not past a `#tag` filter.
    #[test]
    fn what_was_picked_for_a_query_leads_below_only_a_title_that_is_the_query() {
        let mut index = SearchIndex::new(&[
            prompt("standup", "Standup", "", 0, 1),
            prompt("notes", "Standup notes", "", 50, 2),
            prompt("status", "Weekly status", "", 0, 3),
            prompt("other", "Retro", "", 0, 4),
        ]);
        assert_eq!(ids(&index.search("stand", 10, 10)), ["notes", "standup"], "frecency first");
        index.learn("stand", PromptId::parse("standup").expect("id"), 5);
        assert_eq!(ids(&index.search("stand", 10, 10)), ["standup", "notes"], "learned first");
        assert_eq!(ids(&index.search("sta", 10, 10))[0], "standup", "for the query's start too");
        index.learn("standup", PromptId::parse("status").expect("id"), 6);
        assert_eq!(
            ids(&index.search("standup", 10, 10)),
            ["standup", "status", "notes"],
            "the title that is the query first, then the learned one though it does not match"
        );
        assert_eq!(ids(&index.search("standup #nope", 10, 10)), Vec::<&str>::new(), "tags hold");
        assert_eq!(ids(&index.search("", 10, 10))[0], "notes", "an empty query learns nothing");
        index.forget_learned();
        assert_eq!(ids(&index.search("stand", 10, 10)), ["notes", "standup"]);
    }

    #[test]
    fn a_title_that_is_the_query_leads_whatever_its_case_and_surrounding_spaces() {
        let index_of = |title: &str| {
            SearchIndex::new(&[
                prompt("same", title, "", 0, 1),
                prompt("longer", &format!("{} notes", title.trim()), "", 50, 2),
            ])
        };
        for (title, query) in
            [("  STANDUP ", "standup"), ("Éclair", "éclair"), (" ÉCLAIR\t", "éclair")]
        {
            let hits = index_of(title).search(query, 10, 10);
            assert_eq!(ids(&hits), ["same", "longer"], "{title:?} for {query:?}");
        }
        let hits = index_of("Standups").search("standup", 10, 10);
        assert_eq!(ids(&hits), ["longer", "same"], "a title that is not the query leads by use");
    }

    #[test]
    fn hash_words_keep_only_prompts_with_such_a_tag() {
        let tagged = |id: &str, title: &str, tags: &[&str]| {
            let mut p = prompt(id, title, "", 0, 1);
            p.tags = tags.iter().map(|t| t.to_string()).collect();
            p
        };
        let mut index = SearchIndex::new(&[
            tagged("review", "Review a diff", &["Code", "work"]),
            tagged("essay", "Review an essay", &["writing"]),
            tagged("bug", "Explain a bug", &["code"]),
        ]);
        let mut found =
            ids(&index.search("#code", 10, 1)).into_iter().map(str::to_owned).collect::<Vec<_>>();
        found.sort();
        assert_eq!(found, ["bug", "review"], "tags match by prefix, case aside");
        assert_eq!(ids(&index.search("#co review", 10, 1)), ["review"], "tag and text together");
        assert_eq!(ids(&index.search("review #wri", 10, 1)), ["essay"]);
        assert!(index.search("#code #writing", 10, 1).is_empty(), "every tag word must hold");
        assert_eq!(index.search("# review", 10, 1).len(), 2, "a lone # filters nothing");
        assert_eq!(ids(&index.search("C#", 10, 1)), Vec::<&str>::new(), "only a leading # filters");
    }

    #[test]
    fn empty_query_lists_by_frecency_then_recency() {
        let mut index = SearchIndex::new(&[
            prompt("old", "Old", "", 0, 1),
            prompt("new", "New", "", 0, 5),
            prompt("used", "Used", "", 3, 2),
        ]);
        assert_eq!(ids(&index.search("", 10, 10)), ["used", "new", "old"]);
    }

    #[test]
    fn pinned_prompts_lead_the_empty_list_and_win_ties_but_not_over_a_better_match() {
        let mut pinned = prompt("pinned", "Review a diff", "", 0, 1);
        pinned.tags.push(PINNED_TAG.into());
        let mut index = SearchIndex::new(&[
            prompt("used", "Review an essay", "", 9, 5),
            pinned,
            prompt("exact", "Radar notes", "", 0, 1),
        ]);
        assert_eq!(ids(&index.search("", 10, 10)), ["pinned", "used", "exact"]);
        assert_eq!(ids(&index.search("review a", 10, 10))[0], "pinned");
        // "rad" is scattered over the pinned title but whole at the start of the other.
        assert_eq!(ids(&index.search("rad", 10, 10)), ["exact", "pinned"], "match quality first");
    }

    #[test]
    fn titles_match_fuzzily_and_outrank_body_words() {
        let mut index = SearchIndex::new(&[
            prompt("body", "Translate", "summarize the text", 0, 1),
            prompt("title", "Summarize article", "text", 0, 1),
            prompt("none", "Code review", "look at this diff", 0, 1),
        ]);
        assert_eq!(ids(&index.search("sumrz", 10, 1)), ["title"], "fuzzy on titles only");
        assert_eq!(ids(&index.search("summarize", 10, 1)), ["title", "body"]);
        assert_eq!(ids(&index.search("this diff", 10, 1)), ["none"], "body words in any order");
        assert_eq!(ids(&index.search("work", 10, 1)).len(), 3, "tags match too");
    }

    #[test]
    fn every_word_of_a_long_body_is_found_below_titles_that_match() {
        let deep =
            format!("{} zanzibarquux and more {}", "filler ".repeat(48), "words ".repeat(3_000));
        assert!(deep.find("zanzibarquux").is_some_and(|at| at > 300));
        let mut index = SearchIndex::new(&[
            prompt("deep", "System prompt", &deep, 9, 1),
            prompt("title", "Zanzibar trip", "pack light", 0, 1),
            prompt("none", "Other", &"filler ".repeat(2_000), 0, 1),
        ]);
        assert_eq!(ids(&index.search("zanzibar", 10, 1)), ["title", "deep"]);
        assert_eq!(ids(&index.search("zanzibarqu", 10, 1)), ["deep"], "typed on, narrowed");
        assert_eq!(ids(&index.search("quux more", 10, 1)), ["deep"], "inner words, any order");
        assert_eq!(ids(&index.search("zanzibar\\ more", 10, 1)), ["deep"], "escaped space too");
        index.upsert(&prompt("accented", "Café", "résumé then Review", 0, 1));
        assert_eq!(ids(&index.search("view", 10, 1)), ["accented"], "a last word, not ASCII");
    }

    #[test]
    fn a_body_word_scores_the_best_any_word_of_the_body_gives_it() {
        let mut index = SearchIndex::new(&[
            prompt("inner", "A", "prereview", 0, 1),
            prompt("start", "B", "Review", 0, 1),
            prompt("both", "C", "prereview then Review", 0, 1),
        ]);
        let hits = index.search("review", 10, 1);
        let score = |id: &str| hits.iter().find(|h| h.prompt.id.as_str() == id).map(|h| h.score);
        assert!(score("start") > score("inner"), "a word's start scores more than its inside");
        assert_eq!(score("both"), score("start"), "the best of a body's words counts");
    }

    #[test]
    fn narrowing_gives_the_same_results_as_a_fresh_search() {
        let prompts: Vec<Prompt> = (0..200)
            .map(|i| {
                prompt(
                    &format!("p{i}"),
                    &format!("note {i} about meetings"),
                    "agenda and notes",
                    i % 7,
                    i as i64,
                )
            })
            .collect();
        let mut typed = SearchIndex::new(&prompts);
        for query in ["m", "me", "mee", "meet", "meet 1", "meet 12", "meet 12!", "meet 12!x"] {
            let narrowed = typed.search(query, 500, 1);
            let fresh = SearchIndex::new(&prompts).search(query, 500, 1);
            assert_eq!(ids(&narrowed), ids(&fresh), "query {query:?}");
        }
    }

    #[test]
    fn a_change_to_the_library_invalidates_narrowing() {
        let mut index = SearchIndex::new(&[prompt("a", "Alpha", "", 0, 1)]);
        assert_eq!(ids(&index.search("al", 10, 1)), ["a"]);
        index.upsert(&prompt("b", "Alps", "", 0, 1));
        let hits = index.search("alp", 10, 1);
        let mut found = ids(&hits);
        found.sort_unstable();
        assert_eq!(
            found,
            ["a", "b"],
            "the new prompt is found although it was not in the last matches"
        );
    }

    #[test]
    fn equal_matches_are_ordered_by_frecency() {
        let mut index = SearchIndex::new(&[
            prompt("rare", "Email reply", "", 1, 1),
            prompt("often", "Email reply", "", 9, 1),
        ]);
        assert_eq!(ids(&index.search("email", 10, 1)), ["often", "rare"]);
    }

    #[test]
    fn upsert_replaces_and_remove_forgets() {
        let mut index = SearchIndex::new(&[prompt("a", "Alpha", "", 0, 1)]);
        index.upsert(&prompt("b", "Beta", "", 0, 1));
        index.upsert(&prompt("a", "Gamma", "", 0, 1));
        assert_eq!(index.len(), 2);
        assert_eq!(ids(&index.search("gamma", 10, 1)), ["a"]);
        index.remove(&PromptId::parse("a").expect("id"));
        assert_eq!(ids(&index.search("", 10, 1)), ["b"]);
        index.remove(&PromptId::parse("b").expect("id"));
        assert!(index.is_empty());
    }

    #[test]
    fn texts_stay_right_when_removals_and_replacements_compact_the_arena() {
        let prompts: Vec<Prompt> = (0..3_000)
            .map(|n| prompt(&format!("p{n}"), &format!("title {n} café"), "body words", 0, 1))
            .collect();
        let mut index = SearchIndex::new(&prompts);
        for n in (0..3_000).filter(|n| n % 10 != 0) {
            index.remove(&PromptId::parse(format!("p{n}")).expect("id"));
        }
        index.upsert(&prompt("p10", "Renamed résumé", "other text", 0, 1));
        assert_eq!(index.len(), 300);
        assert_eq!(ids(&index.search("title 2990 cafe", 5, 1))[0], "p2990");
        assert_eq!(ids(&index.search("resume", 5, 1)), ["p10"]);
        assert_eq!(ids(&index.search("other text", 5, 1)), ["p10"]);
        assert!(index.search("title 11 ", 5, 1).iter().all(|h| h.prompt.id.as_str() != "p11"));
    }

    #[test]
    fn limit_keeps_the_best() {
        let prompts: Vec<Prompt> =
            (0..50).map(|i| prompt(&format!("p{i:02}"), "Same", "", i, 1)).collect();
        let mut index = SearchIndex::new(&prompts);
        assert_eq!(ids(&index.search("same", 3, 1)), ["p49", "p48", "p47"]);
    }

    /// Every prompt scored in full from scratch and ranked, with nothing left out: what the
    /// index's shortcuts (names left unscored, bodies looked up through their words, the
    /// words and entries narrowed from the last keystroke) must always agree with. A body
    /// scores, for each query word, the best that word scores in one of its words.
    fn every_entry_ranked(
        index: &SearchIndex,
        prompts: &[Prompt],
        query: &str,
        limit: usize,
    ) -> Vec<String> {
        let text = TextQuery::new(query);
        let atoms = text
            .body_atoms
            .iter()
            .map(|atom| {
                Atom::new(
                    &atom.text,
                    CaseMatching::Smart,
                    Normalization::Smart,
                    AtomKind::Substring,
                    false,
                )
            })
            .collect::<Vec<_>>();
        let mut matcher = Matcher::new(Config::DEFAULT);
        let scored = prompts
            .iter()
            .filter_map(|prompt| {
                let at = index.position(prompt.id.as_str()).expect("held");
                let name = text.named.score(index.arena.get(index.texts[at].named), &mut matcher);
                let words: Vec<Utf32String> = prompt
                    .body
                    .split_whitespace()
                    .map(|word| Utf32String::from(format!("{word} ").as_str()))
                    .collect();
                let body: Option<u32> = atoms
                    .iter()
                    .map(|atom| {
                        let best = words
                            .iter()
                            .filter_map(|w| atom.score(w.slice(..), &mut matcher))
                            .max();
                        best.map(u32::from)
                    })
                    .sum();
                Some((at, name.map(|s| s * 2).max(body)?))
            })
            .collect();
        index
            .best(scored, &Leads::new(query.trim(), Vec::new()), limit, 1)
            .into_iter()
            .map(|h| h.prompt.id.to_string())
            .collect()
    }

    #[test]
    fn names_and_bodies_left_unscored_never_change_the_best() {
        const WORDS: &[&str] = &[
            "summary",
            "meeting",
            "notes",
            "Review",
            "code-diff",
            "e-mail",
            "reply",
            "SQL",
            "query",
            "plan",
            "x",
            "ab",
            "ba",
            "release_notes",
            "sumo",
            "amigo",
            // Near misses of a whole word at a word's start, which score less than one.
            "sumMary",
            "x_sum",
            "s.u.m",
            "Sum-up",
            "(summary)",
            "ssum",
            "résumé",
            "re\u{301}sume\u{301}",
            "ÉCOLE",
        ];
        let mut seed = 7_u64;
        let mut next = move |n: usize| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) as usize % n
        };
        let mut words = |count: usize| -> String {
            (0..count).map(|_| WORDS[next(WORDS.len())]).collect::<Vec<_>>().join(" ")
        };
        // Most titles say nothing a query asks for, so bodies compete with the few that do.
        let prompts: Vec<Prompt> = (0..3_000)
            .map(|n| {
                let title = if n % 5 == 0 { words(1 + n % 3) } else { format!("zz {n}") };
                prompt(&format!("p{n}"), &title, &words(n % 40), 0, 1)
            })
            .collect();
        let queries = [
            "s",
            "m",
            "x",
            "q",
            "su",
            "sum",
            "summ",
            "summa",
            "me",
            "not",
            "notes",
            "e-m",
            "-",
            "ab",
            "ba",
            "rel",
            "S",
            "Re",
            "SQ",
            "meeting notes",
            "m n",
            "plan code",
            "zzz",
            "Sum",
            "sum m",
            "s u",
            "ma",
            "sumo",
            "resume",
            "rés",
            "ecole",
            "up",
        ];
        for limit in [1, 3, 50, 300, 5_000] {
            let mut typed = SearchIndex::new(&prompts);
            for query in queries {
                let fresh = SearchIndex::new(&prompts).search(query, limit, 1);
                let expected = every_entry_ranked(&typed, &prompts, query, limit);
                assert_eq!(ids(&fresh), expected, "query {query:?}, limit {limit}");
                assert_eq!(ids(&typed.search(query, limit, 1)), expected, "narrowed {query:?}");
            }
        }
    }

    #[test]
    fn a_body_passed_over_for_one_letter_is_still_found_by_the_next() {
        let mut prompts: Vec<Prompt> =
            (0..3).map(|n| prompt(&format!("s{n}"), "Summary", "", 0, 1)).collect();
        prompts.extend((0..20).map(|n| prompt(&format!("z{n}"), "zz", "sugar", 0, 1)));
        let mut index = SearchIndex::new(&prompts);
        // Three titles beat any body for "s": the bodies only say whether they match.
        assert_eq!(index.search("s", 1, 1).len(), 1);
        assert_eq!(index.search("su", 50, 1).len(), 23, "the bodies with \"su\" are there");
    }

    #[test]
    fn a_million_character_query_is_cut_not_choked_on() {
        let mut index = SearchIndex::new(&[prompt("a", "Alpha", "", 0, 1)]);
        let hits = index.search(&"a".repeat(1_000_000), 10, 1);
        assert!(hits.is_empty());
    }
}

//! The whole-library search index, ranked by match quality, then frecency, then recency.
//!
//! Titles and tags match fuzzily (what people half-remember); the body's start matches
//! word by word as substrings, because fuzzy matches scattered through a paragraph are
//! noise and cost quadratically more (benches/search.rs measured 18 ms against 0.6 ms at
//! 10k prompts). A keystroke that extends the previous query searches only the previous
//! matches, as fzf does. A `#word` in the query keeps only prompts with a tag starting
//! with that word.

use std::cmp::Ordering;
use std::collections::HashMap;

use nucleo_matcher::pattern::{AtomKind, CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32String};
use promptdeck_protocol::{PINNED_TAG, Prompt, PromptId, PromptSummary};
use serde::Serialize;

use crate::parallel::in_parts;

/// Queries longer than this are cut: nobody types more, and matching cost grows with it.
pub const MAX_QUERY_CHARS: usize = 256;

/// One ranked result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchHit {
    pub prompt: PromptSummary,
    /// Match quality; 0 for an empty query.
    pub score: u32,
}

/// One prompt as the index matches it.
pub(crate) struct IndexEntry {
    summary: PromptSummary,
    /// Title and tags, matched fuzzily.
    named: Utf32String,
    /// The body's start (the preview), matched word by word.
    body: Utf32String,
    /// Tagged `pinned`; worked out once here, not in every comparison of a sort.
    pinned: bool,
    /// The characters of `named` and `body`, to pass over most that cannot match without
    /// asking the matcher.
    named_chars: CharSet,
    body_chars: CharSet,
}

impl IndexEntry {
    pub fn new(prompt: &Prompt) -> Self {
        let summary = PromptSummary::from(prompt);
        let named = format!("{} {}", summary.title, summary.tags.join(" "));
        Self {
            named_chars: CharSet::of(&named),
            body_chars: CharSet::of(&summary.preview),
            named: Utf32String::from(named),
            body: Utf32String::from(summary.preview.as_str()),
            pinned: summary.tags.iter().any(|t| t == PINNED_TAG),
            summary,
        }
    }

    /// The entries of `prompts`, in order, made on every core.
    pub(crate) fn many(prompts: &[&Prompt]) -> Vec<Self> {
        in_parts(prompts, PARALLEL_ENTRIES_FROM, |part| part.iter().map(|p| Self::new(p)).collect())
    }
}

/// Prompts from which making entries is split over threads.
const PARALLEL_ENTRIES_FROM: usize = 2_000;

/// Every prompt of the library, ready to match.
#[derive(Default)]
pub struct SearchIndex {
    entries: Vec<IndexEntry>,
    positions: HashMap<PromptId, usize>,
    /// The last query and every entry it matched, while the entries are unchanged.
    last: Option<(String, Vec<usize>)>,
}

impl SearchIndex {
    pub fn new<'a>(prompts: impl IntoIterator<Item = &'a Prompt>) -> Self {
        let mut index = Self::default();
        let prompts: Vec<&Prompt> = prompts.into_iter().collect();
        for entry in IndexEntry::many(&prompts) {
            index.put(entry);
        }
        index
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn upsert(&mut self, prompt: &Prompt) {
        self.put(IndexEntry::new(prompt));
    }

    /// Adds the entry, or replaces the one of the same prompt.
    pub(crate) fn put(&mut self, entry: IndexEntry) {
        self.last = None;
        match self.positions.get(&entry.summary.id) {
            Some(&at) => self.entries[at] = entry,
            None => {
                self.positions.insert(entry.summary.id.clone(), self.entries.len());
                self.entries.push(entry);
            }
        }
    }

    pub fn remove(&mut self, id: &PromptId) {
        self.last = None;
        let Some(at) = self.positions.remove(id) else {
            return;
        };
        self.entries.swap_remove(at);
        if let Some(moved) = self.entries.get(at) {
            self.positions.insert(moved.summary.id.clone(), at);
        }
    }

    pub fn clear(&mut self) {
        self.last = None;
        self.entries.clear();
        self.positions.clear();
    }

    /// The best `limit` prompts for `query` at time `now` (ms), best first.
    pub fn search(&mut self, query: &str, limit: usize, now: i64) -> Vec<SearchHit> {
        if limit == 0 {
            return Vec::new();
        }
        let query: String = query.chars().take(MAX_QUERY_CHARS).collect();
        let (tags, text) = TagFilter::split(&query);
        let scored: Vec<(usize, u32)> = if text.is_empty() {
            let kept = self.entries.iter().enumerate().filter(|(_, e)| tags.keeps(e));
            kept.map(|(at, _)| (at, 0)).collect()
        } else {
            self.matches(&query, &TextQuery::new(&text), &tags, limit)
        };
        self.best(scored, limit, now)
    }

    /// The best `limit` of `scored`, ranked: score, then pinned, frecency and recency. Only
    /// entries scoring at least the `limit`th best score can be among them, and only those
    /// are ranked further.
    fn best(&self, mut scored: Vec<(usize, u32)>, limit: usize, now: i64) -> Vec<SearchHit> {
        if scored.len() > limit {
            scored.select_nth_unstable_by(limit - 1, |a, b| b.1.cmp(&a.1));
            let least = scored[limit - 1].1;
            scored.retain(|&(_, score)| score >= least);
        }
        let mut ranked: Vec<(u32, f64, &IndexEntry)> = scored
            .into_iter()
            .map(|(at, score)| (score, frecency(&self.entries[at], now), &self.entries[at]))
            .collect();
        let by_rank = |a: &(u32, f64, &IndexEntry), b: &(u32, f64, &IndexEntry)| {
            b.0.cmp(&a.0)
                .then(b.2.pinned.cmp(&a.2.pinned))
                .then(b.1.partial_cmp(&a.1).unwrap_or(Ordering::Equal))
                .then(b.2.summary.updated_at.cmp(&a.2.summary.updated_at))
                .then(a.2.summary.id.cmp(&b.2.summary.id))
        };
        if ranked.len() > limit {
            ranked.select_nth_unstable_by(limit - 1, by_rank);
            ranked.truncate(limit);
        }
        ranked.sort_unstable_by(by_rank);
        ranked
            .into_iter()
            .map(|(score, _, e)| SearchHit { prompt: e.summary.clone(), score })
            .collect()
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
            _ => (0..self.entries.len()).collect(),
        };
        let tagged: Vec<usize> = match tags.is_empty() {
            true => candidates,
            false => candidates.into_iter().filter(|&at| tags.keeps(&self.entries[at])).collect(),
        };
        let mut found = self.scores(&tagged, |entry, matcher| {
            let possible = entry.named_chars.may_hold(text.named_chars);
            possible
                .then(|| text.named.score(entry.named.slice(..), matcher))
                .flatten()
                .map(|s| s * 2)
        });
        let (to_score, to_check) = text.bodies_to_score(&found, limit);
        let bodies: Vec<usize> = to_score.iter().map(|&i| tagged[i]).collect();
        let body_scores = self.scores(&bodies, |entry, matcher| {
            let possible = entry.body_chars.may_hold(text.body_chars);
            possible.then(|| text.body.score(entry.body.slice(..), matcher)).flatten()
        });
        for (i, body) in to_score.into_iter().zip(body_scores) {
            found[i] = found[i].max(body);
        }
        let mut matched: Vec<usize> = to_check
            .into_iter()
            .map(|i| tagged[i])
            .filter(|&at| self.entries[at].body_chars.may_hold(text.body_chars))
            .collect();
        let scored: Vec<(usize, u32)> =
            tagged.iter().zip(found).filter_map(|(&at, score)| Some((at, score?))).collect();
        matched.extend(scored.iter().map(|&(at, _)| at));
        self.last = Some((query.to_owned(), matched));
        scored
    }

    /// `score` of every entry at `at`, in order, each part of many with its own matcher.
    fn scores(
        &self,
        at: &[usize],
        score: impl Fn(&IndexEntry, &mut Matcher) -> Option<u32> + Sync,
    ) -> Vec<Option<u32>> {
        in_parts(at, PARALLEL_SCORING_FROM, |part| {
            let mut matcher = Matcher::new(Config::DEFAULT);
            part.iter().map(|&at| score(&self.entries[at], &mut matcher)).collect()
        })
    }
}

/// A query's text, ready to match: fuzzily against names, word by word as substrings
/// against bodies.
struct TextQuery {
    named: Pattern,
    body: Pattern,
    /// No body can score more: the query's own words, each at a word's start, as a body.
    body_bound: Option<u32>,
    /// Characters a name or body must hold to match.
    named_chars: CharSet,
    body_chars: CharSet,
    /// The query is one ASCII letter or digit: a text holding it matches.
    one_char: bool,
}

impl TextQuery {
    fn new(text: &str) -> Self {
        let named = Pattern::parse(text, CaseMatching::Smart, Normalization::Smart);
        let body =
            Pattern::new(text, CaseMatching::Smart, Normalization::Smart, AtomKind::Substring);
        let itself = Utf32String::from(text);
        let body_bound = body.score(itself.slice(..), &mut Matcher::new(Config::DEFAULT));
        // The name pattern's syntax (negation, anchors, escapes) asks for no characters.
        let plain = !text.contains(['!', '^', '$', '\'', '\\']);
        let body_chars = CharSet::wanted(text);
        Self {
            named,
            body,
            body_bound,
            named_chars: if plain { body_chars } else { CharSet::default() },
            body_chars,
            one_char: text.len() == 1 && text.as_bytes()[0].is_ascii_alphanumeric(),
        }
    }

    /// Of entries with the name scores `named`, those (by position) whose body must be
    /// scored, and those whose body need only say whether it matches. A body matters where
    /// it could score more than its name and at least the `limit`th best name; an entry
    /// whose name did not match needs at least that answer (the next keystroke narrows from
    /// the matches), which for a one-character query the body's character set gives (or
    /// says it may, which the next keystroke checks). A short query matches most names of a
    /// large library, and their bodies are then left alone.
    fn bodies_to_score(&self, named: &[Option<u32>], limit: usize) -> (Vec<usize>, Vec<usize>) {
        let Some(bound) = self.body_bound else {
            return ((0..named.len()).collect(), Vec::new());
        };
        let mut names: Vec<u32> = named.iter().flatten().copied().collect();
        let least = match names.len() >= limit {
            true => *names.select_nth_unstable_by(limit - 1, |a, b| b.cmp(a)).1,
            false => 0,
        };
        let (mut to_score, mut to_check) = (Vec::new(), Vec::new());
        for (i, name) in named.iter().enumerate() {
            match name {
                _ if bound >= least && name.is_none_or(|n| n < bound) => to_score.push(i),
                None if self.one_char => to_check.push(i),
                None => to_score.push(i),
                Some(_) => {}
            }
        }
        (to_score, to_check)
    }
}

/// The ASCII letters and digits of a text, case aside, as bits. A text with other
/// characters may hold any (they may fold to ASCII ones), so it is never passed over.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct CharSet(u64);

impl CharSet {
    const ANY: u64 = 1 << 63;

    fn bit(c: char) -> Option<u64> {
        match c.to_ascii_lowercase() {
            c @ 'a'..='z' => Some(1 << (c as u32 - 'a' as u32)),
            c @ '0'..='9' => Some(1 << (26 + c as u32 - '0' as u32)),
            _ => None,
        }
    }

    fn of(text: &str) -> Self {
        Self(text.chars().fold(0, |set, c| match c.is_ascii() {
            true => set | Self::bit(c).unwrap_or(0),
            false => set | Self::ANY,
        }))
    }

    /// What a query asks for: its ASCII letters and digits.
    fn wanted(query: &str) -> Self {
        Self(query.chars().filter_map(Self::bit).fold(0, |set, bit| set | bit))
    }

    fn may_hold(self, wanted: CharSet) -> bool {
        self.0 & Self::ANY != 0 || self.0 & wanted.0 == wanted.0
    }
}

/// Candidates from which scoring is split over threads.
const PARALLEL_SCORING_FROM: usize = 20_000;

/// The `#tag` words of a query: a prompt stays when, for each, one of its tags starts with
/// it (case aside).
struct TagFilter(Vec<String>);

impl TagFilter {
    /// The tag words, and the rest of the query to match as text. A `#` alone is a tag
    /// word still being typed: it filters nothing and matches nothing.
    fn split(query: &str) -> (Self, String) {
        let (tags, words): (Vec<&str>, Vec<&str>) =
            query.split_whitespace().filter(|w| *w != "#").partition(|w| w.starts_with('#'));
        let tags = tags.iter().map(|t| t[1..].to_lowercase()).collect();
        (Self(tags), words.join(" "))
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn keeps(&self, entry: &IndexEntry) -> bool {
        self.0.iter().all(|wanted| entry.summary.tags.iter().any(|tag| starts_with(tag, wanted)))
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

fn frecency(entry: &IndexEntry, now: i64) -> f64 {
    promptdeck_protocol::frecency(entry.summary.use_count, entry.summary.last_used_at, now)
}

#[cfg(test)]
mod tests {
    use super::*;
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
    fn limit_keeps_the_best() {
        let prompts: Vec<Prompt> =
            (0..50).map(|i| prompt(&format!("p{i:02}"), "Same", "", i, 1)).collect();
        let mut index = SearchIndex::new(&prompts);
        assert_eq!(ids(&index.search("same", 3, 1)), ["p49", "p48", "p47"]);
    }

    /// Every entry scored in full and ranked, with nothing left out: what the index's
    /// shortcuts must always agree with.
    fn every_entry_ranked(index: &SearchIndex, query: &str, limit: usize) -> Vec<String> {
        let text = TextQuery::new(query);
        let mut matcher = Matcher::new(Config::DEFAULT);
        let scored = (0..index.entries.len())
            .filter_map(|at| {
                let entry = &index.entries[at];
                let name = text.named.score(entry.named.slice(..), &mut matcher).map(|s| s * 2);
                let body = text.body.score(entry.body.slice(..), &mut matcher);
                Some((at, name.max(body)?))
            })
            .collect();
        index.best(scored, limit, 1).into_iter().map(|h| h.prompt.id.to_string()).collect()
    }

    #[test]
    fn bodies_left_unscored_never_change_the_best() {
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
        ];
        for limit in [1, 3, 50, 300, 5_000] {
            let mut typed = SearchIndex::new(&prompts);
            for query in queries {
                let fresh = SearchIndex::new(&prompts).search(query, limit, 1);
                let expected = every_entry_ranked(&typed, query, limit);
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

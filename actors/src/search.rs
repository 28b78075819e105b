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

/// Queries longer than this are cut: nobody types more, and matching cost grows with it.
pub const MAX_QUERY_CHARS: usize = 256;

/// One ranked result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchHit {
    pub prompt: PromptSummary,
    /// Match quality; 0 for an empty query.
    pub score: u32,
}

struct Entry {
    summary: PromptSummary,
    /// Title and tags, matched fuzzily.
    named: Utf32String,
    /// The body's start (the preview), matched word by word.
    body: Utf32String,
    /// Tagged `pinned`; worked out once here, not in every comparison of a sort.
    pinned: bool,
}

/// Every prompt of the library, ready to match.
#[derive(Default)]
pub struct SearchIndex {
    entries: Vec<Entry>,
    positions: HashMap<PromptId, usize>,
    /// The last query and every entry it matched, while the entries are unchanged.
    last: Option<(String, Vec<usize>)>,
}

impl SearchIndex {
    pub fn new<'a>(prompts: impl IntoIterator<Item = &'a Prompt>) -> Self {
        let mut index = Self::default();
        for prompt in prompts {
            index.upsert(prompt);
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
        self.last = None;
        let summary = PromptSummary::from(prompt);
        let entry = Entry {
            named: Utf32String::from(format!("{} {}", summary.title, summary.tags.join(" "))),
            body: Utf32String::from(summary.preview.as_str()),
            pinned: summary.tags.iter().any(|t| t == PINNED_TAG),
            summary,
        };
        match self.positions.get(&prompt.id) {
            Some(&at) => self.entries[at] = entry,
            None => {
                self.positions.insert(prompt.id.clone(), self.entries.len());
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
        let query: String = query.chars().take(MAX_QUERY_CHARS).collect();
        let (tags, text) = TagFilter::split(&query);
        let mut ranked: Vec<(u32, f64, &Entry)> = if text.is_empty() {
            let kept = self.entries.iter().filter(|e| tags.keeps(e));
            kept.map(|e| (0, frecency(e, now), e)).collect()
        } else {
            let mut matched = self.matches(&text, now);
            matched.retain(|(_, _, e)| tags.keeps(e));
            matched
        };
        let by_rank = |a: &(u32, f64, &Entry), b: &(u32, f64, &Entry)| {
            b.0.cmp(&a.0)
                .then(b.2.pinned.cmp(&a.2.pinned))
                .then(b.1.partial_cmp(&a.1).unwrap_or(Ordering::Equal))
                .then(b.2.summary.updated_at.cmp(&a.2.summary.updated_at))
                .then(a.2.summary.id.cmp(&b.2.summary.id))
        };
        // Only the best `limit` need sorting: partition them to the front first.
        if ranked.len() > limit && limit > 0 {
            ranked.select_nth_unstable_by(limit - 1, by_rank);
        }
        ranked.truncate(limit);
        ranked.sort_unstable_by(by_rank);
        ranked
            .into_iter()
            .map(|(score, _, e)| SearchHit { prompt: e.summary.clone(), score })
            .collect()
    }

    fn matches(&mut self, query: &str, now: i64) -> Vec<(u32, f64, &Entry)> {
        let named = Pattern::parse(query, CaseMatching::Smart, Normalization::Smart);
        let body =
            Pattern::new(query, CaseMatching::Smart, Normalization::Smart, AtomKind::Substring);
        let candidates: Vec<usize> = match self.last.take() {
            Some((last, matched)) if narrows(&last, query) => matched,
            _ => (0..self.entries.len()).collect(),
        };
        let scored = self.score(&candidates, &named, &body);
        self.last = Some((query.to_owned(), scored.iter().map(|(at, _)| *at).collect()));
        scored
            .into_iter()
            .map(|(at, score)| {
                let entry = &self.entries[at];
                (score, frecency(entry, now), entry)
            })
            .collect()
    }
}

impl SearchIndex {
    /// The match score of every candidate that matches. Many candidates (the first
    /// keystrokes in a library of 100k) are split over the cores, each with its own matcher.
    fn score(&self, candidates: &[usize], named: &Pattern, body: &Pattern) -> Vec<(usize, u32)> {
        let score_chunk = |chunk: &[usize]| {
            let mut matcher = Matcher::new(Config::DEFAULT);
            let scored = chunk.iter().filter_map(|&at| {
                let entry = &self.entries[at];
                // A name match counts double: titles are what people remember.
                let name = named.score(entry.named.slice(..), &mut matcher).map(|s| s * 2);
                let body = body.score(entry.body.slice(..), &mut matcher);
                name.max(body).map(|score| (at, score))
            });
            scored.collect::<Vec<_>>()
        };
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(MAX_THREADS);
        if candidates.len() < PARALLEL_FROM || threads < 2 {
            return score_chunk(candidates);
        }
        let chunk = candidates.len().div_ceil(threads);
        std::thread::scope(|scope| {
            let mut parts = candidates.chunks(chunk);
            let first = parts.next().unwrap_or_default();
            let others: Vec<_> = parts.map(|part| scope.spawn(move || score_chunk(part))).collect();
            let mut scored = score_chunk(first);
            for other in others {
                // A scoring thread cannot panic short of a bug in the matcher; its part is
                // then simply missing from the results.
                scored.extend(other.join().unwrap_or_default());
            }
            scored
        })
    }
}

/// Candidates from which scoring is split over threads: below it a thread costs more than
/// it saves.
const PARALLEL_FROM: usize = 20_000;
const MAX_THREADS: usize = 4;

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

    fn keeps(&self, entry: &Entry) -> bool {
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

fn frecency(entry: &Entry, now: i64) -> f64 {
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
        let count = PARALLEL_FROM + 10_000;
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

    #[test]
    fn a_million_character_query_is_cut_not_choked_on() {
        let mut index = SearchIndex::new(&[prompt("a", "Alpha", "", 0, 1)]);
        let hits = index.search(&"a".repeat(1_000_000), 10, 1);
        assert!(hits.is_empty());
    }
}

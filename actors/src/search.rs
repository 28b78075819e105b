//! The whole-library search index: fuzzy match on title, tags and the start of the body,
//! ranked by match quality, then frecency, then recency.

use std::cmp::Ordering;
use std::collections::HashMap;

use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32String};
use promptdeck_protocol::{Prompt, PromptId, PromptSummary};
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
    frecency_count: u64,
    title: Utf32String,
    /// Tags and the body's preview, matched with less weight than the title.
    rest: Utf32String,
}

/// Every prompt of the library, ready to match.
#[derive(Default)]
pub struct SearchIndex {
    entries: Vec<Entry>,
    positions: HashMap<PromptId, usize>,
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
        let summary = PromptSummary::from(prompt);
        let entry = Entry {
            title: Utf32String::from(summary.title.as_str()),
            rest: Utf32String::from(format!("{} {}", summary.tags.join(" "), summary.preview)),
            frecency_count: prompt.use_count,
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
        let Some(at) = self.positions.remove(id) else {
            return;
        };
        self.entries.swap_remove(at);
        if let Some(moved) = self.entries.get(at) {
            self.positions.insert(moved.summary.id.clone(), at);
        }
    }

    pub fn clear(&mut self) {
        self.entries.clear();
        self.positions.clear();
    }

    /// The best `limit` prompts for `query` at time `now` (ms), best first.
    pub fn search(&self, query: &str, limit: usize, now: i64) -> Vec<SearchHit> {
        let query: String = query.chars().take(MAX_QUERY_CHARS).collect();
        let mut ranked: Vec<(u32, f64, &Entry)> = if query.trim().is_empty() {
            self.entries.iter().map(|e| (0, frecency(e, now), e)).collect()
        } else {
            self.matches(&query, now)
        };
        let by_rank = |a: &(u32, f64, &Entry), b: &(u32, f64, &Entry)| {
            b.0.cmp(&a.0)
                .then(b.1.partial_cmp(&a.1).unwrap_or(Ordering::Equal))
                .then(b.2.summary.updated_at.cmp(&a.2.summary.updated_at))
                .then(a.2.summary.id.cmp(&b.2.summary.id))
        };
        if ranked.len() > limit && limit > 0 {
            ranked.select_nth_unstable_by(limit - 1, by_rank);
            ranked.truncate(limit);
        }
        ranked.truncate(limit);
        ranked.sort_unstable_by(by_rank);
        ranked
            .into_iter()
            .map(|(score, _, e)| SearchHit { prompt: e.summary.clone(), score })
            .collect()
    }

    fn matches<'a>(&'a self, query: &str, now: i64) -> Vec<(u32, f64, &'a Entry)> {
        let pattern = Pattern::parse(query, CaseMatching::Smart, Normalization::Smart);
        let mut matcher = Matcher::new(Config::DEFAULT);
        self.entries
            .iter()
            .filter_map(|entry| {
                // A title match counts double: titles are what people remember.
                let title = pattern.score(entry.title.slice(..), &mut matcher).map(|s| s * 2);
                let rest = pattern.score(entry.rest.slice(..), &mut matcher);
                let score = title.max(rest)?;
                Some((score, frecency(entry, now), entry))
            })
            .collect()
    }
}

fn frecency(entry: &Entry, now: i64) -> f64 {
    const HALF_LIFE_MS: f64 = 14.0 * 24.0 * 3600.0 * 1000.0;
    let Some(last) = entry.summary.last_used_at else {
        return 0.0;
    };
    let age = (now - last).max(0) as f64;
    entry.frecency_count as f64 * 0.5f64.powf(age / HALF_LIFE_MS)
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
    fn empty_query_lists_by_frecency_then_recency() {
        let index = SearchIndex::new(&[
            prompt("old", "Old", "", 0, 1),
            prompt("new", "New", "", 0, 5),
            prompt("used", "Used", "", 3, 2),
        ]);
        assert_eq!(ids(&index.search("", 10, 10)), ["used", "new", "old"]);
    }

    #[test]
    fn fuzzy_title_match_beats_body_match() {
        let index = SearchIndex::new(&[
            prompt("body", "Translate", "summarize the text", 0, 1),
            prompt("title", "Summarize article", "text", 0, 1),
            prompt("none", "Code review", "look at this diff", 0, 1),
        ]);
        assert_eq!(ids(&index.search("sumrz", 10, 1)), ["title", "body"]);
    }

    #[test]
    fn equal_matches_are_ordered_by_frecency() {
        let index = SearchIndex::new(&[
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
        let index = SearchIndex::new(&prompts);
        assert_eq!(ids(&index.search("same", 3, 1)), ["p49", "p48", "p47"]);
    }

    #[test]
    fn a_million_character_query_is_cut_not_choked_on() {
        let index = SearchIndex::new(&[prompt("a", "Alpha", "", 0, 1)]);
        let hits = index.search(&"a".repeat(1_000_000), 10, 1);
        assert!(hits.is_empty());
    }
}

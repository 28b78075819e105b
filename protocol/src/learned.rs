//! What the palette learns, in the one form every side shares: a query as it is learned,
//! the prompts picked for it (the latest first, a few at most), and where a synced query
//! lives among a space's keys (`learned/<query>`, written by the `learnPick` mutator).

use serde::{Deserialize, Serialize};

use crate::prompt::PromptId;

/// Prompts kept per query, the latest pick first.
pub const PICKS_PER_QUERY: usize = 3;
/// Queries kept, on a device and in a space; past this the one picked for longest ago is
/// forgotten.
pub const KEPT_QUERIES: usize = 1_000;
/// A longer query is not learned: nobody types it the same way twice.
pub const MAX_QUERY_CHARS: usize = 64;
/// Where a space keeps what was learned: one key per query.
pub const LEARNED_PREFIX: &str = "learned/";
/// Keys from `learned/` up to (not including) `learned0`: '0' follows '/' in ASCII.
pub const LEARNED_END: &str = "learned0";

/// A prompt picked for a query, and when it last was (ms since the epoch).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pick {
    pub prompt: PromptId,
    pub at: i64,
}

/// The value under a synced query's key.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct LearnedPicks {
    pub picks: Vec<Pick>,
}

impl LearnedPicks {
    /// The picks a stored value holds, at most [`PICKS_PER_QUERY`] and each prompt once;
    /// `None` for a value that is not one (another client's, or damaged).
    pub fn from_value(value: &serde_json::Value) -> Option<Self> {
        let mut picks = Self::deserialize(value).ok()?.picks;
        let mut seen = Vec::with_capacity(PICKS_PER_QUERY);
        picks.retain(|pick| match seen.contains(&pick.prompt) {
            true => false,
            false => {
                seen.push(pick.prompt.clone());
                true
            }
        });
        picks.truncate(PICKS_PER_QUERY);
        Some(Self { picks })
    }
}

/// A query as it is learned and looked up: lowercase, its words separated by one space.
/// `None` for a query too short or too long to learn from.
pub fn normalize(query: &str) -> Option<String> {
    let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
    let normal = words.join(" ");
    (!normal.is_empty() && normal.chars().count() <= MAX_QUERY_CHARS).then_some(normal)
}

/// Puts `prompt` first among `picks`, once, keeping at most [`PICKS_PER_QUERY`]: the one
/// rule for the mutator, the device's store and the index that mirrors them.
pub fn put_first(picks: &mut Vec<Pick>, prompt: PromptId, at: i64) {
    picks.retain(|pick| pick.prompt != prompt);
    picks.insert(0, Pick { prompt, at });
    picks.truncate(PICKS_PER_QUERY);
}

/// The key a normalized query is synced under.
pub fn key(query: &str) -> String {
    format!("{LEARNED_PREFIX}{query}")
}

/// The query a key holds the picks of, if it is a learned query's key.
pub fn query_of(key: &str) -> Option<&str> {
    key.strip_prefix(LEARNED_PREFIX).filter(|query| normalize(query).as_deref() == Some(*query))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_learned_lowercase_with_single_spaces() {
        assert_eq!(normalize("  Meeting   NOTES "), Some("meeting notes".into()));
        assert_eq!(normalize("   "), None);
        assert_eq!(normalize(&"x".repeat(65)), None);
    }

    #[test]
    fn only_a_normalized_query_is_a_learned_key() {
        assert_eq!(query_of(&key("meeting notes")), Some("meeting notes"));
        assert_eq!(query_of("learned/Meeting"), None);
        assert_eq!(query_of("prompt/abc"), None);
    }

    #[test]
    fn a_stored_value_gives_each_prompt_once_and_a_few_at_most() {
        let pick = |id: &str, at| serde_json::json!({"prompt": id, "at": at});
        let value = serde_json::json!({"picks": [pick("a", 5), pick("a", 4), pick("b", 3),
            pick("c", 2), pick("d", 1)]});
        let picks = LearnedPicks::from_value(&value).expect("picks");
        let ids: Vec<&str> = picks.picks.iter().map(|p| p.prompt.as_str()).collect();
        assert_eq!(ids, ["a", "b", "c"]);
        assert_eq!(LearnedPicks::from_value(&serde_json::json!({"picks": 7})), None);
    }
}

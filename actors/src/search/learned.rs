//! The picks the palette learned, as the index ranks them: for a query typed, the prompts
//! picked for that query first, then those picked for queries it starts, the latest pick
//! first in each.

use std::collections::BTreeMap;

use promptdeck_protocol::PromptId;
use promptdeck_protocol::learned::{Pick, normalize, put_first};

/// Prompts ranked from what was learned, at most: learning leads the list, it does not
/// fill it.
pub const MOST_LEARNED: usize = 3;

/// What this device learned, and what the space holds from every device that syncs it
/// (its `learned/` keys): ranked together, each pick once, the latest first.
pub struct Learned {
    /// Ordered, so the queries a typed one starts are one range.
    local: BTreeMap<String, Vec<Pick>>,
    synced: BTreeMap<String, Vec<Pick>>,
    /// Off: nothing learned leads (learning was turned off on this device); what syncs is
    /// still followed, so turning it on again needs no reload.
    enabled: bool,
}

impl Default for Learned {
    fn default() -> Self {
        Self { local: BTreeMap::new(), synced: BTreeMap::new(), enabled: true }
    }
}

impl Learned {
    pub fn new(local: Vec<(String, Vec<Pick>)>, synced: Vec<(String, Vec<Pick>)>) -> Self {
        let (local, synced) = (local.into_iter().collect(), synced.into_iter().collect());
        Self { local, synced, ..Self::default() }
    }

    /// As the store learns it (`promptdeck_storage::learned::learn`), without the store.
    pub fn learn(&mut self, query: &str, prompt: PromptId, at: i64) {
        let Some(query) = normalize(query) else { return };
        put_first(self.local.entry(query).or_default(), prompt, at);
    }

    /// The space's picks for `query` are now `picks` (none: forgotten there).
    pub fn set_synced(&mut self, query: &str, picks: Vec<Pick>) {
        match picks.is_empty() {
            true => drop(self.synced.remove(query)),
            false => drop(self.synced.insert(query.to_owned(), picks)),
        }
    }

    /// Forgets what this device learned.
    pub fn forget(&mut self) {
        self.local.clear();
    }

    pub fn set_enabled(&mut self, enabled: bool) {
        self.enabled = enabled;
    }

    /// The prompts to lead the list for `query`, best first: those picked for it exactly,
    /// then those picked for longer queries it starts, the latest pick first.
    pub fn leaders(&self, query: &str) -> Vec<PromptId> {
        let Some(query) = normalize(query) else { return Vec::new() };
        if !self.enabled {
            return Vec::new();
        }
        let both = [&self.local, &self.synced];
        let exact = latest_first(both.iter().filter_map(|m| m.get(&query)).flatten().collect());
        let longer = latest_first(
            both.iter()
                .flat_map(|m| {
                    m.range(query.clone()..)
                        .take_while(|(learned, _)| learned.starts_with(&query))
                        .filter(|(learned, _)| **learned != query)
                })
                .flat_map(|(_, picks)| picks)
                .collect(),
        );
        let mut leaders: Vec<PromptId> = Vec::with_capacity(MOST_LEARNED);
        for pick in exact.into_iter().chain(longer) {
            if leaders.len() == MOST_LEARNED {
                break;
            }
            if !leaders.contains(&pick.prompt) {
                leaders.push(pick.prompt.clone());
            }
        }
        leaders
    }
}

/// Picks of several queries, the latest first.
fn latest_first(mut picks: Vec<&Pick>) -> Vec<&Pick> {
    picks.sort_by_key(|pick| std::cmp::Reverse(pick.at));
    picks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> PromptId {
        PromptId::parse(s).expect("valid id")
    }

    #[test]
    fn the_exact_query_leads_then_longer_ones_the_latest_first() {
        let mut learned = Learned::default();
        learned.learn("meeting notes", id("old"), 1);
        learned.learn("meet", id("meet"), 2);
        learned.learn("meeting", id("newer"), 3);
        learned.learn("mail", id("mail"), 4);
        assert_eq!(learned.leaders("Meet"), [id("meet"), id("newer"), id("old")]);
        assert_eq!(learned.leaders("meeting "), [id("newer"), id("old")]);
        assert_eq!(learned.leaders("meeting notes and more"), Vec::<PromptId>::new());
        assert_eq!(learned.leaders("m").len(), MOST_LEARNED, "at most {MOST_LEARNED}");
        learned.forget();
        assert!(learned.leaders("m").is_empty());
    }

    #[test]
    fn what_the_space_holds_ranks_with_what_this_device_learned_the_latest_first() {
        let mut learned = Learned::default();
        learned.learn("standup", id("mine"), 5);
        learned.set_synced("standup", vec![Pick { prompt: id("theirs"), at: 9 }]);
        learned.set_synced("stand", vec![Pick { prompt: id("mine"), at: 1 }]);
        assert_eq!(learned.leaders("standup"), [id("theirs"), id("mine")]);
        assert_eq!(learned.leaders("stand"), [id("mine"), id("theirs")], "each prompt once");
        learned.set_enabled(false);
        assert!(learned.leaders("standup").is_empty(), "off leads with nothing");
        learned.set_enabled(true);
        learned.set_synced("standup", Vec::new());
        assert_eq!(learned.leaders("standup"), [id("mine")], "forgotten in the space");
    }
}

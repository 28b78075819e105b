//! The picks the palette learned, as the index ranks them: for a query typed, the prompts
//! picked for that query first, then those picked for queries it starts, the latest pick
//! first in each.

use std::collections::BTreeMap;

use promptdeck_protocol::PromptId;
use promptdeck_storage::learned::{Pick, normalize, put_first};

/// Prompts ranked from what was learned, at most: learning leads the list, it does not
/// fill it.
pub const MOST_LEARNED: usize = 3;

#[derive(Default)]
pub struct Learned {
    /// Ordered, so the queries a typed one starts are one range.
    picks: BTreeMap<String, Vec<Pick>>,
}

impl Learned {
    pub fn new(learned: Vec<(String, Vec<Pick>)>) -> Self {
        Self { picks: learned.into_iter().collect() }
    }

    /// As the store learns it (`promptdeck_storage::learned::learn`), without the store.
    pub fn learn(&mut self, query: &str, prompt: PromptId, at: i64) {
        let Some(query) = normalize(query) else { return };
        put_first(self.picks.entry(query).or_default(), prompt, at);
    }

    pub fn forget(&mut self) {
        self.picks.clear();
    }

    /// The prompts to lead the list for `query`, best first: those picked for it exactly,
    /// then those picked for longer queries it starts, the latest pick first.
    pub fn leaders(&self, query: &str) -> Vec<PromptId> {
        let Some(query) = normalize(query) else { return Vec::new() };
        let exact = self.picks.get(&query).into_iter().flatten();
        let mut longer: Vec<&Pick> = self
            .picks
            .range(query.clone()..)
            .take_while(|(learned, _)| learned.starts_with(&query))
            .filter(|(learned, _)| **learned != query)
            .flat_map(|(_, picks)| picks)
            .collect();
        longer.sort_by_key(|pick| std::cmp::Reverse(pick.at));
        let mut leaders: Vec<PromptId> = Vec::with_capacity(MOST_LEARNED);
        for pick in exact.chain(longer) {
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
}

//! The palette's first page: the best prompts for an empty query in the active workspace,
//! asked again on every data change, and whether the copy at hand is current. A palette
//! opened on a current first page lists it without searching again: the search would give
//! the same rows, and at 100k prompts it costs milliseconds of CPU just as the window is
//! drawn.

use std::time::{Duration, Instant};

use promptdeck_protocol::PromptSummary;

/// How long an answer stays current with no data change: the ranking also weighs how
/// recently each prompt was used (a half-life of two weeks), which moves with the clock.
const CURRENT_FOR: Duration = Duration::from_secs(10 * 60);

#[derive(Debug, Default)]
pub struct FirstPage {
    rows: Option<Vec<PromptSummary>>,
    /// Asked for and not answered yet: an answer on its way may differ from the rows here.
    in_flight: usize,
    /// When the last answer came, if it listed the rows here (a failed one leaves them as
    /// they were, and no longer current).
    answered: Option<Instant>,
}

impl FirstPage {
    pub fn rows(&self) -> Option<Vec<PromptSummary>> {
        self.rows.clone()
    }

    /// It was asked for again (the data changed, or the app started).
    pub fn asked(&mut self) {
        self.in_flight += 1;
    }

    /// An answer came, at `now`: its rows, or why there are none.
    pub fn answered<E>(&mut self, result: Result<Vec<PromptSummary>, E>, now: Instant) {
        self.in_flight = self.in_flight.saturating_sub(1);
        match result {
            Ok(rows) => {
                self.rows = Some(rows);
                self.answered = Some(now);
            }
            Err(_) => self.answered = None,
        }
    }

    /// Whether the rows here are what a search for an empty query would give at `now`.
    pub fn is_current(&self, now: Instant) -> bool {
        self.in_flight == 0
            && self.answered.is_some_and(|at| now.saturating_duration_since(at) < CURRENT_FOR)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn current_only_with_every_answer_in_and_young() {
        let start = Instant::now();
        let mut page = FirstPage::default();
        assert!(!page.is_current(start), "nothing listed yet");

        page.asked();
        assert!(!page.is_current(start));
        page.answered::<()>(Ok(Vec::new()), start);
        assert!(page.is_current(start));

        // Two data changes in a row: the first answer may predate the second change.
        page.asked();
        page.asked();
        page.answered::<()>(Ok(Vec::new()), start);
        assert!(!page.is_current(start), "an answer is still on its way");
        page.answered::<()>(Ok(Vec::new()), start);
        assert!(page.is_current(start));

        assert!(!page.is_current(start + CURRENT_FOR), "the ranking moves with the clock");

        page.asked();
        page.answered(Err("the runtime is busy"), start);
        assert!(!page.is_current(start), "a failed answer leaves rows that may be old");
        assert!(page.rows().is_some(), "and keeps them to show meanwhile");
    }
}

//! What keeping every version costs: a library of the corpus's prompts (bodies of realistic
//! lengths, one in thirty a 5-20k character system prompt), each edited ten times as people
//! edit (a few words of the body changed, the title now and then), through the store's own
//! write path. Measured: the history's bytes on disk (its tables, their indexing and
//! fragmentation, as redb counts them) beside the library's whole file, and the time to
//! list one prompt's versions with every body rebuilt. The history is read only when asked:
//! nothing of it is held in memory. `cargo bench --bench history`; its record is
//! `target/bench-results/history.json`.

#[path = "support/corpus.rs"]
mod corpus;
#[path = "support/stats.rs"]
mod stats;

use std::time::Instant;

use promptdeck_figures::{Figure, Kind, Section, report};
use promptdeck_protocol::{Mutation, UpdatePrompt};
use promptdeck_storage::Replica;

/// Edits of every prompt.
const ROUNDS: usize = 10;

#[allow(clippy::print_stdout)]
fn main() {
    let mut report = report!(Kind::Bench, "history", "cargo bench --bench history");
    let scale = report.scale();
    for size in scale.pick(vec![10_000], vec![500]) {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("library.redb");
        let (replica, _) = Replica::open(&path).expect("opens");
        let creates = corpus::creates(size, 7);
        let mut prompts: Vec<(String, String)> = Vec::with_capacity(size);
        for chunk in creates.chunks(10_000) {
            replica.mutate_all(chunk, 0.0).expect("seeds");
        }
        for create in &creates {
            let Mutation::CreatePrompt(c) = create else { unreachable!("creates only") };
            prompts.push((c.title.clone(), c.body.clone()));
        }
        let library_bytes = std::fs::metadata(&path).expect("file").len();
        let mut rng = fastrand::Rng::with_seed(11);
        for round in 0..ROUNDS {
            let edits: Vec<Mutation> = creates
                .iter()
                .zip(prompts.iter_mut())
                .map(|(create, (title, body))| {
                    *body = edited(&mut rng, body, round);
                    let retitled = round % 4 == 3;
                    if retitled {
                        title.push_str(" (revised)");
                    }
                    Mutation::UpdatePrompt(UpdatePrompt {
                        id: create.prompt_id().expect("a creation").clone(),
                        title: retitled.then(|| title.clone()),
                        body: Some(body.clone()),
                        tags: None,
                        updated_at: round as i64 + 1,
                    })
                })
                .collect();
            for chunk in edits.chunks(10_000) {
                replica.mutate_all(chunk, round as f64 + 1.0).expect("edits");
            }
        }
        let history = replica.history_bytes().expect("counts");
        let file = std::fs::metadata(&path).expect("file").len();
        let longest = creates
            .iter()
            .max_by_key(|c| match c {
                Mutation::CreatePrompt(c) => c.body.len(),
                _ => 0,
            })
            .and_then(Mutation::prompt_id)
            .expect("prompts")
            .clone();
        let mut listing = Vec::new();
        for _ in 0..scale.pick(15, 3) {
            let start = Instant::now();
            let versions = replica.history(&longest).expect("history");
            listing.push(start.elapsed());
            assert_eq!(versions.len(), ROUNDS + 1, "every version kept and rebuilt");
        }
        let listing = stats::median(&mut listing);
        let versions = size * ROUNDS;
        println!(
            "history {size}: {versions} versions in {:.1} MB (the file {:.1} MB, {:.1} MB before the edits); the longest prompt's history listed in {}",
            history as f64 / 1e6,
            file as f64 / 1e6,
            library_bytes as f64 / 1e6,
            stats::ms(listing),
        );
        let detail = format!(
            "{versions} versions ({ROUNDS} a prompt); the whole file {:.1} MB, {:.1} MB before the edits (the file also holds the edits still to sync)",
            file as f64 / 1e6,
            library_bytes as f64 / 1e6
        );
        report.add(
            Figure::mb(
                Section::Memory,
                "version history on disk: ten edits of every prompt (a few words of the body, the title now and then), every earlier version kept",
                history,
            )
            .prompts(size)
            .detail(detail),
        );
        report.add(
            Figure::ms(
                Section::Memory,
                "listing one prompt's eleven versions, every body rebuilt (its longest, a system prompt)",
                listing,
            )
            .prompts(size)
            .detail(format!("median of {}", scale.pick(15, 3))),
        );
    }
    println!("history: record {}", report.write().expect("writes its record").display());
}

/// `body` with a few of its words changed, as an edit does.
fn edited(rng: &mut fastrand::Rng, body: &str, round: usize) -> String {
    let mut words: Vec<String> = body.split(' ').map(str::to_owned).collect();
    for _ in 0..3 {
        let at = rng.usize(..words.len());
        words[at] = format!("edit{round}");
    }
    words.join(" ")
}

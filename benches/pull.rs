//! The client's own part of an initial pull, piece by piece, with no network: reading the
//! server's answer, committing it to a new replica, and reading every prompt out of the
//! change set as the cache does. `cargo bench --bench pull`

#[path = "support/corpus.rs"]
mod corpus;
#[path = "support/stats.rs"]
mod stats;

use std::time::{Duration, Instant};

use promptdeck_protocol::Prompt;
use promptdeck_protocol::wire::{Cookie, PullReply};
use promptdeck_storage::{Change, Replica};

const SIZES: [usize; 2] = [10_000, 100_000];
const RUNS: usize = 5;

/// The answer a server gives a new client: clear, then every prompt.
fn answer(size: usize) -> Vec<u8> {
    let patch: Vec<serde_json::Value> = std::iter::once(serde_json::json!({"op": "clear"}))
        .chain(
            corpus::prompts(size, 11)
                .into_iter()
                .map(|p| serde_json::json!({"op": "put", "key": p.id.key(), "value": p})),
        )
        .collect();
    serde_json::to_vec(&serde_json::json!({
        "cookie": 1, "lastMutationIDChanges": {}, "patch": patch
    }))
    .expect("serialises")
}

fn time<T>(work: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let out = work();
    (out, start.elapsed())
}

#[allow(clippy::print_stdout)]
fn main() {
    for size in SIZES {
        let bytes = answer(size);
        let (mut parse, mut commit, mut read) = (vec![], vec![], vec![]);
        for _ in 0..RUNS {
            let (reply, took) = time(|| PullReply::from_slice(&bytes).expect("parses"));
            parse.push(took);
            let PullReply::Patch(response) = reply else { panic!("an error answer") };
            let dir = tempfile::tempdir().expect("temp dir");
            let (replica, _) = Replica::open(dir.path().join("library.redb")).expect("opens");
            let (applied, took) =
                time(|| replica.apply_pull(&Cookie::null(), &response).expect("applies"));
            commit.push(took);
            let (prompts, took) = time(|| read_prompts(&applied.changes.0));
            read.push(took);
            assert_eq!(prompts, size);
        }
        println!(
            "pull {size}: {} MB answer; parse {}, commit {}, read prompts {} (medians of {RUNS})",
            bytes.len() / 1_000_000,
            stats::ms(stats::median(&mut parse)),
            stats::ms(stats::median(&mut commit)),
            stats::ms(stats::median(&mut read)),
        );
    }
}

fn read_prompts(changes: &[Change]) -> usize {
    changes
        .iter()
        .filter(|c| match c {
            Change::Put { value, .. } => value.parse::<Prompt>().is_ok(),
            Change::Del { .. } => false,
        })
        .count()
}

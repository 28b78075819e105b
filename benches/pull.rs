//! The client's own part of an initial pull, piece by piece, with no network: reading the
//! server's answer, committing it to a new replica, and reading every prompt out of the
//! change set as the cache does. `cargo bench --bench pull`; its record is
//! `target/bench-results/pull.json`.

#[path = "support/corpus.rs"]
mod corpus;
#[path = "support/stats.rs"]
mod stats;

use std::time::{Duration, Instant};

use promptdeck_figures::{Figure, Kind, Section, report};
use promptdeck_protocol::Prompt;
use promptdeck_protocol::wire::{Cookie, PullReply};
use promptdeck_storage::{Change, Replica};

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
    let mut report = report!(Kind::Bench, "pull", "cargo bench --bench pull");
    let scale = report.scale();
    let runs = scale.pick(5, 2);
    for size in scale.pick(vec![10_000, 100_000], vec![1_000]) {
        let bytes = answer(size);
        let (mut parse, mut commit, mut read) = (vec![], vec![], vec![]);
        for _ in 0..runs {
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
        let (parse, commit, read) =
            (stats::median(&mut parse), stats::median(&mut commit), stats::median(&mut read));
        let answer_mb = bytes.len() as f64 / 1e6;
        println!(
            "pull {size}: {answer_mb:.1} MB answer; parse {}, commit {}, read prompts {} (medians of {runs})",
            stats::ms(parse),
            stats::ms(commit),
            stats::ms(read),
        );
        let detail = format!("a {answer_mb:.1} MB answer; median of {runs}");
        for (name, took) in [
            ("initial pull, the client's part, no network: reading the server's answer", parse),
            (
                "initial pull, the client's part: checking every prompt and committing it to a new redb file in one transaction",
                commit,
            ),
            (
                "initial pull, the client's part: reading every prompt out of the changes, as the cache does",
                read,
            ),
        ] {
            report.add(Figure::ms(Section::Sync, name, took).prompts(size).detail(detail.clone()));
        }
    }
    println!("pull: record {}", report.write().expect("writes its record").display());
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

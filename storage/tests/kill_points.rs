//! A write transaction interrupted by `kill -9` leaves either the old or the new state.
//!
//! The test runs itself as a child process that commits mutations and prints the id of
//! each one as soon as `mutate` returns; the parent kills it at varying moments, reopens
//! the file, and checks that every acknowledged mutation is there and that the view is
//! exactly the replay of the pending queue.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use promptdeck_protocol::{CreatePrompt, MemoryKv, Mutation, PromptId};
use promptdeck_storage::Replica;

const CHILD_ENV: &str = "PROMPTDECK_KILL_POINT_CHILD";

fn create(n: u64) -> Mutation {
    Mutation::CreatePrompt(CreatePrompt {
        id: PromptId::parse(format!("p{n}")).expect("valid id"),
        title: format!("prompt {n}"),
        body: "x".repeat((n as usize * 37) % 4000),
        tags: vec![],
        created_at: n as i64,
    })
}

/// The child: append mutations forever, acknowledging each on stdout.
#[allow(clippy::print_stdout)]
#[test]
fn child_writer() {
    let Ok(path) = std::env::var(CHILD_ENV) else {
        return;
    };
    let (replica, _) = Replica::open(&path).expect("child opens");
    let start = replica.sync_state().expect("reads").next_mutation_id;
    for n in start.. {
        replica.mutate(&create(n), 0.0).expect("child commits");
        println!("ack {n}");
    }
}

#[test]
fn kill_during_writes_loses_no_acknowledged_mutation() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("library.redb");
    let mut acknowledged = 0u64;
    for round in 0..12u64 {
        let mut child = Command::new(std::env::current_exe().expect("test binary"))
            .args(["--exact", "child_writer", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, &path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawns child");
        let stdout = child.stdout.take().expect("piped");
        // Kill after a varying number of acknowledgements, so the kill lands at varying
        // points of the write path.
        let wait_for = 3 + (round * 7) % 23;
        let mut seen = 0;
        for line in BufReader::new(stdout).lines() {
            let line = line.expect("reads");
            if let Some(n) = line.strip_prefix("ack ") {
                acknowledged = acknowledged.max(n.parse().expect("number"));
                seen += 1;
                if seen == wait_for {
                    break;
                }
            }
        }
        child.kill().expect("kill -9");
        child.wait().expect("reaped");

        let (replica, report) = Replica::open(&path).expect("opens after kill");
        assert_eq!(report.moved_aside, None, "a kill never damages the file");
        let pending = replica.pending().expect("reads");
        let ids: Vec<u64> = pending.iter().map(|p| p.id).collect();
        assert!(ids.len() as u64 >= acknowledged, "round {round}: lost acknowledged mutations");
        assert_eq!(ids, (1..=ids.len() as u64).collect::<Vec<_>>(), "no gaps, no repeats");

        let mut replay = MemoryKv::default();
        for p in &pending {
            p.mutation.apply(&mut replay).expect("replays");
        }
        let view = replica.prompts().expect("reads");
        assert_eq!(view.len(), replay.0.len(), "view is exactly the replay of pending");
        assert_eq!(replica.sync_state().expect("reads").next_mutation_id, ids.len() as u64 + 1);
    }
}

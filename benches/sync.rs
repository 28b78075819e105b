//! Sync figures against the real server on loopback (SQLite): initial sync of a 10k- and a
//! 100k-prompt space into a new profile, beside the official client pulling the same space
//! from the same server, and a single edit reaching another running instance (push, poke,
//! pull, store, cache). `cargo bench --bench sync`

#[path = "support/corpus.rs"]
mod corpus;
#[path = "support/stats.rs"]
mod stats;

use std::time::{Duration, Instant};

use promptdeck_actors::{Runtime, RuntimeConfig, RuntimeHandle, SyncConfig};
use promptdeck_protocol::wire::{MutationRecord, PushRequest};
use promptdeck_server::{Auth, Server, ServerConfig};

const SIZES: [usize; 2] = [10_000, 100_000];
/// The size the edit latency is measured at.
const SIZE: usize = 10_000;
const RUNS: usize = 5;
const EDITS: usize = 30;

fn space(size: usize) -> String {
    format!("bench-{size}")
}

fn config(dir: &std::path::Path, url: &str, size: usize) -> RuntimeConfig {
    let mut config = RuntimeConfig::new(dir.join("library.redb"));
    config.sync = Some(SyncConfig::new(url, space(size)));
    config
}

async fn wait(handle: &RuntimeHandle, check: impl Fn(&promptdeck_actors::RuntimeStatus) -> bool) {
    let mut status = handle.subscribe();
    tokio::time::timeout(Duration::from_secs(300), status.wait_for(|s| check(s)))
        .await
        .expect("in time")
        .expect("alive");
}

/// Fills the space through the push endpoint, as a client with a long offline queue would.
async fn seed(url: &str, size: usize) {
    let http = reqwest::Client::new();
    for (n, chunk) in corpus::creates(size, 11).chunks(500).enumerate() {
        let mutations = chunk
            .iter()
            .zip(n * 500 + 1..)
            .map(|(m, id)| MutationRecord {
                id: id as u64,
                name: m.name().into(),
                args: m.args(),
                timestamp: 0.0,
                client_id: format!("seeder-{size}"),
            })
            .collect();
        let push = PushRequest {
            profile_id: "p".into(),
            // A client group belongs to one space.
            client_group_id: format!("seeders-{size}"),
            mutations,
            push_version: 1,
            schema_version: "1".into(),
        };
        let sent = http
            .post(format!("{url}/api/replicache/push?space={}", space(size)))
            .json(&push)
            .send()
            .await
            .expect("seeds");
        assert!(sent.status().is_success(), "seeding: {}", sent.text().await.unwrap_or_default());
    }
}

/// The official client's initial sync of the same space, timed inside Node.
#[allow(clippy::print_stdout)]
fn official_client_initial_sync(url: &str, size: usize) -> Option<Duration> {
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/initial-pull.mjs");
    if !script.with_file_name("node_modules").exists() {
        println!("sync: official client skipped (npm ci --prefix tests/interop)");
        return None;
    }
    let mut runs: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let out = std::process::Command::new("node")
                .arg(&script)
                .args([url, &space(size), &size.to_string()])
                .output()
                .expect("node runs");
            let ms: f64 =
                String::from_utf8_lossy(&out.stdout).trim().parse().expect("milliseconds");
            Duration::from_secs_f64(ms / 1e3)
        })
        .collect();
    Some(stats::median(&mut runs))
}

#[allow(clippy::print_stdout)]
#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let root = tempfile::tempdir().expect("tempdir");
    let server_config = ServerConfig::new(
        "127.0.0.1:0".parse().expect("addr"),
        format!("sqlite://{}", root.path().join("server.db").display()),
        Auth::InsecureLocal,
    );
    let server = Server::start(server_config).await.expect("server");
    let url = format!("http://{}", server.local_addr());
    tokio::spawn(server.serve_until(std::future::pending()));
    for size in SIZES {
        seed(&url, size).await;
        initial_sync(&url, root.path(), size).await;
    }

    let a = Runtime::start(config(&root.path().join("a"), &url, SIZE)).await.expect("a");
    let b = Runtime::start(config(&root.path().join("b"), &url, SIZE)).await.expect("b");
    let (a, b) = (a.handle(), b.handle());
    wait(&a, |s| s.prompt_count == SIZE && s.live_updates).await;
    wait(&b, |s| s.prompt_count == SIZE && s.live_updates).await;
    let mut edits = Vec::new();
    for n in 0..EDITS {
        let before = b.status().data_version;
        let started = Instant::now();
        a.create(promptdeck_actors::PromptDraft {
            title: format!("edit {n}"),
            body: "x".into(),
            tags: vec![],
        })
        .await
        .expect("edit");
        wait(&b, |s| s.data_version > before && s.prompt_count == SIZE + n + 1).await;
        edits.push(started.elapsed());
    }
    println!(
        "sync: one edit from A to B's store (push, poke, pull, apply) median {} p95 {} ({EDITS} edits, {SIZE} prompts)",
        stats::ms(stats::median(&mut edits)),
        stats::ms(stats::percentile(&mut edits, 0.95))
    );
}

/// Promptdeck's initial sync of a `size`-prompt space into new profiles, then the official
/// client's of the same space.
#[allow(clippy::print_stdout)]
async fn initial_sync(url: &str, root: &std::path::Path, size: usize) {
    let mut initial = Vec::new();
    for run in 0..RUNS {
        let started = Instant::now();
        let dir = root.join(format!("new-{size}-{run}"));
        let runtime = Runtime::start(config(&dir, url, size)).await.expect("starts");
        let handle = runtime.handle();
        wait(&handle, |s| s.prompt_count == size && s.last_synced_at.is_some()).await;
        initial.push(started.elapsed());
        runtime.shutdown().await;
    }
    let ours = stats::median(&mut initial);
    println!(
        "sync: initial sync of {size} prompts into a new profile median {} ({RUNS} runs)",
        stats::ms(ours)
    );
    let url = url.to_owned();
    let theirs = tokio::task::spawn_blocking(move || official_client_initial_sync(&url, size));
    if let Some(theirs) = theirs.await.expect("joins") {
        println!(
            "sync: the official replicache client, same space, same server: median {} ({RUNS} runs); Promptdeck is {:.2}x faster",
            stats::ms(theirs),
            theirs.as_secs_f64() / ours.as_secs_f64()
        );
    }
}

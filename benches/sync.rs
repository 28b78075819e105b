//! Sync figures against the real server on loopback (SQLite): initial sync of a 10k- and a
//! 100k-prompt space into a new profile, beside the official client pulling the same space
//! from the same server, and a single edit reaching another running instance (push, poke,
//! pull, store, cache). `cargo bench --bench sync`; its record is
//! `target/bench-results/sync.json`. Needs Node and `npm ci --prefix tests/interop`.

#[path = "support/corpus.rs"]
mod corpus;
#[path = "support/stats.rs"]
mod stats;
#[path = "support/tools.rs"]
mod tools;

use std::time::{Duration, Instant};

use promptdeck_actors::{Runtime, RuntimeConfig, RuntimeHandle, SyncConfig};
use promptdeck_figures::{Figure, Goal, Kind, Report, Section, Unit, report};
use promptdeck_protocol::wire::{MutationRecord, PushRequest};
use promptdeck_server::{Auth, Server, ServerConfig};

/// The targets the README has held these figures to.
const INITIAL_SYNC_GOAL_MS: f64 = 2_000.0;
const EDIT_GOAL_MS: f64 = 200.0;

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

fn official_client_script() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/initial-pull.mjs")
}

/// The official client's initial sync of the same space, timed inside Node: from creating
/// the client to its subscription holding every prompt.
fn official_client_initial_sync(url: &str, size: usize, runs: usize) -> Duration {
    let script = official_client_script();
    let mut runs: Vec<Duration> = (0..runs)
        .map(|_| {
            let out = std::process::Command::new("node")
                .arg(&script)
                .args([url, &space(size), &size.to_string()])
                .output()
                .expect("node runs");
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            let ms: f64 =
                String::from_utf8_lossy(&out.stdout).trim().parse().expect("milliseconds");
            Duration::from_secs_f64(ms / 1e3)
        })
        .collect();
    stats::median(&mut runs)
}

#[allow(clippy::print_stdout)]
#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    tools::require("node");
    assert!(
        official_client_script().with_file_name("node_modules").exists(),
        "this bench needs the official client: npm ci --prefix tests/interop"
    );
    let mut report = report!(Kind::Bench, "sync", "cargo bench --bench sync");
    let scale = report.scale();
    let (runs, edits, edit_size) = (scale.pick(5, 2), scale.pick(30, 5), scale.pick(10_000, 1_000));
    let root = tempfile::tempdir().expect("tempdir");
    let server_config = ServerConfig::new(
        "127.0.0.1:0".parse().expect("addr"),
        format!("sqlite://{}", root.path().join("server.db").display()),
        Auth::InsecureLocal,
    );
    let server = Server::start(server_config).await.expect("server");
    let url = format!("http://{}", server.local_addr());
    tokio::spawn(server.serve_until(std::future::pending()));
    for size in scale.pick(vec![10_000, 100_000], vec![1_000]) {
        seed(&url, size).await;
        initial_sync(&url, root.path(), size, runs, &mut report).await;
    }

    let a = Runtime::start(config(&root.path().join("a"), &url, edit_size)).await.expect("a");
    let b = Runtime::start(config(&root.path().join("b"), &url, edit_size)).await.expect("b");
    let (a, b) = (a.handle(), b.handle());
    wait(&a, |s| s.prompt_count == edit_size && s.live_updates).await;
    wait(&b, |s| s.prompt_count == edit_size && s.live_updates).await;
    let mut latencies = Vec::new();
    for n in 0..edits {
        let before = b.status().data_version;
        let started = Instant::now();
        a.create(promptdeck_actors::PromptDraft {
            title: format!("edit {n}"),
            body: "x".into(),
            tags: vec![],
        })
        .await
        .expect("edit");
        wait(&b, |s| s.data_version > before && s.prompt_count == edit_size + n + 1).await;
        latencies.push(started.elapsed());
    }
    let (median, p95) = (stats::median(&mut latencies), stats::percentile(&mut latencies, 0.95));
    println!(
        "sync: one edit from A to B's store (push, poke, pull, apply) median {} p95 {} ({edits} edits, {edit_size} prompts)",
        stats::ms(median),
        stats::ms(p95)
    );
    report.add(
        Figure::ms(
            Section::Sync,
            "one edit from one running instance to another's store (push, poke, pull, apply), promptdeck-server on loopback",
            median,
        )
        .prompts(edit_size)
        .detail(format!("p95 {}, {edits} edits", stats::ms(p95)))
        .goal(Goal::AtMost(EDIT_GOAL_MS))
        .headline(),
    );
    println!("sync: record {}", report.write().expect("writes its record").display());
}

/// Promptdeck's initial sync of a `size`-prompt space into new profiles, then the official
/// client's of the same space.
#[allow(clippy::print_stdout)]
async fn initial_sync(
    url: &str,
    root: &std::path::Path,
    size: usize,
    runs: usize,
    report: &mut Report,
) {
    let mut initial = Vec::new();
    for run in 0..runs {
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
        "sync: initial sync of {size} prompts into a new profile median {} ({runs} runs)",
        stats::ms(ours)
    );
    let url = url.to_owned();
    let theirs =
        tokio::task::spawn_blocking(move || official_client_initial_sync(&url, size, runs))
            .await
            .expect("joins");
    let ratio = ours.as_secs_f64() / theirs.as_secs_f64();
    println!(
        "sync: the official replicache client, same space, same server: median {} ({runs} runs); Promptdeck takes {ratio:.2}x its time",
        stats::ms(theirs),
    );
    let ours_figure = Figure::ms(
        Section::Sync,
        "initial sync into a new profile, promptdeck-server on loopback (SQLite): from starting the runtime to every prompt stored on disk and indexed",
        ours,
    )
    .prompts(size)
    .detail(format!("median of {runs}"));
    report.add(match size {
        10_000 => ours_figure.goal(Goal::AtMost(INITIAL_SYNC_GOAL_MS)).headline(),
        _ => ours_figure,
    });
    report.add(
        Figure::ms(
            Section::Sync,
            "the official `replicache` client's initial sync, same run, server and space: from creating the client to its subscription holding every prompt (in memory, nothing on disk)",
            theirs,
        )
        .prompts(size)
        .detail(format!("median of {runs}")),
    );
    report.add(
        Figure::new(
            Section::Sync,
            "Promptdeck's initial sync over the official client's, same run (below 1: Promptdeck is faster)",
            ratio,
            Unit::Ratio,
        )
        .prompts(size)
        .goal(Goal::AtMost(1.0))
        .headline(),
    );
}

//! The sync server under load: many clients in many spaces pushing at once, each push one
//! mutation, as a poke-driven client pushes after every edit. Once on SQLite and, when a
//! test cluster is given (`scripts/with-postgres.sh cargo bench --bench server_load`), on
//! PostgreSQL, in the same run. The load generator shares the two cores with the server.
//! Its record is `target/bench-results/server_load.json`.

#[path = "support/stats.rs"]
mod stats;

use std::time::{Duration, Instant};

use promptdeck_figures::{Figure, Goal, Kind, Report, Section, Unit, report};
use promptdeck_protocol::wire::{MutationRecord, PushRequest};
use promptdeck_server::{Auth, Limits, ScratchBackend, Server, ServerConfig, TEST_POSTGRES_ENV};
use serde_json::json;

/// Clients pushing at once in each space.
const CLIENTS_PER_SPACE: usize = 2;
/// The README's target for SQLite on this machine.
const SQLITE_GOAL_PER_SECOND: f64 = 200.0;

/// How much load: spaces, and the pushes each client makes one after another.
#[derive(Clone, Copy)]
struct Shape {
    spaces: usize,
    pushes_per_client: usize,
}

struct Load {
    pushes: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

fn push(client: &str, id: u64) -> PushRequest {
    let args = json!({"id": format!("{client}-{id}"), "title": format!("prompt {id}"),
                      "body": "a body of a few words, as prompts have", "tags": ["load"],
                      "createdAt": 1_764_000_000_000i64 + id as i64});
    PushRequest {
        profile_id: "bench".into(),
        client_group_id: format!("group-{client}"),
        mutations: vec![MutationRecord {
            id,
            name: "createPrompt".into(),
            args,
            timestamp: id as f64,
            client_id: client.into(),
        }],
        push_version: 1,
        schema_version: "1".into(),
    }
}

/// One client: its pushes one after another, each waiting for the last.
async fn client(
    http: reqwest::Client,
    url: String,
    space: usize,
    n: usize,
    pushes: usize,
) -> Vec<Duration> {
    let name = format!("s{space}c{n}");
    let mut latencies = Vec::with_capacity(pushes);
    for id in 1..=pushes as u64 {
        let started = Instant::now();
        let sent = http
            .post(format!("{url}/api/replicache/push?space=space{space}"))
            .json(&push(&name, id))
            .send()
            .await
            .expect("the server answers");
        let status = sent.status();
        assert!(
            status.is_success(),
            "push refused: {status} {}",
            sent.text().await.unwrap_or_default()
        );
        latencies.push(started.elapsed());
    }
    latencies
}

async fn load(backend: &ScratchBackend, shape: Shape) -> Load {
    let dir = tempfile::tempdir().expect("tempdir");
    let database = backend.fresh_database(dir.path()).await.expect("a database");
    let config = ServerConfig {
        // The one local user stands for every client here, all pushing at once.
        limits: Limits { requests_per_user: shape.spaces * CLIENTS_PER_SPACE, ..Limits::default() },
        ..ServerConfig::new("127.0.0.1:0".parse().expect("addr"), database, Auth::InsecureLocal)
    };
    let server = Server::start(config).await.expect("server");
    let url = format!("http://{}", server.local_addr());
    tokio::spawn(server.serve_until(std::future::pending()));
    let http = reqwest::Client::new();
    let started = Instant::now();
    let clients: Vec<_> = (0..shape.spaces)
        .flat_map(|space| (0..CLIENTS_PER_SPACE).map(move |n| (space, n)))
        .map(|(space, n)| {
            tokio::spawn(client(http.clone(), url.clone(), space, n, shape.pushes_per_client))
        })
        .collect();
    let mut latencies = Vec::new();
    for c in clients {
        latencies.extend(c.await.expect("client ran"));
    }
    Load { pushes: latencies.len(), elapsed: started.elapsed(), latencies }
}

#[allow(clippy::print_stdout)]
fn account(name: &str, mut load: Load, shape: Shape, report: &mut Report) -> f64 {
    let rate = load.pushes as f64 / load.elapsed.as_secs_f64();
    let (median, p95) =
        (stats::median(&mut load.latencies), stats::percentile(&mut load.latencies, 0.95));
    let clients = shape.spaces * CLIENTS_PER_SPACE;
    println!(
        "server_load: {name}: {rate:.0} pushes/s ({} pushes from {clients} clients in {} spaces in {:.2} s); push latency median {} p95 {}",
        load.pushes,
        shape.spaces,
        load.elapsed.as_secs_f64(),
        stats::ms(median),
        stats::ms(p95),
    );
    let throughput = Figure::new(
        Section::Server,
        format!("pushes a second on {name}: {clients} clients in {} spaces, one mutation a push, load generator, server and database on the same cores", shape.spaces),
        rate,
        Unit::PerSecond("pushes".into()),
    )
    .detail(format!("{} pushes in {:.2} s", load.pushes, load.elapsed.as_secs_f64()));
    report.add(match name {
        "SQLite" => throughput.goal(Goal::AtLeast(SQLITE_GOAL_PER_SECOND)).headline(),
        _ => throughput,
    });
    report.add(
        Figure::ms(Section::Server, format!("push latency on {name}, same load"), median)
            .detail(format!("p95 {}", stats::ms(p95))),
    );
    rate
}

#[allow(clippy::print_stdout)]
#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let admin = std::env::var(TEST_POSTGRES_ENV).unwrap_or_else(|_| {
        panic!("this bench needs PostgreSQL: run it under scripts/with-postgres.sh")
    });
    // The server's own account of anything that fails under load.
    tracing_subscriber::fmt().with_env_filter("warn").with_writer(std::io::stderr).init();
    let mut report = report!(
        Kind::Bench,
        "server_load",
        "scripts/with-postgres.sh cargo bench --bench server_load"
    );
    let shape = report.scale().pick(
        Shape { spaces: 50, pushes_per_client: 30 },
        Shape { spaces: 5, pushes_per_client: 5 },
    );
    let sqlite = load(&ScratchBackend::Sqlite, shape).await;
    let sqlite = account("SQLite", sqlite, shape, &mut report);
    let postgres = load(&ScratchBackend::Postgres(admin), shape).await;
    let postgres = account("PostgreSQL", postgres, shape, &mut report);
    println!("server_load: PostgreSQL / SQLite = {:.2}x", postgres / sqlite);
    report.add(Figure::new(
        Section::Server,
        "PostgreSQL's pushes a second over SQLite's, same run",
        postgres / sqlite,
        Unit::Ratio,
    ));
    println!("server_load: record {}", report.write().expect("writes its record").display());
}

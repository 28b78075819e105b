//! The sync server under load: many clients in many spaces pushing at once, each push one
//! mutation, as a poke-driven client pushes after every edit. Once on SQLite and, when a
//! test cluster is given (`scripts/with-postgres.sh cargo bench --bench server_load`), on
//! PostgreSQL, in the same run. The load generator shares the two cores with the server.

#[path = "support/stats.rs"]
mod stats;

use std::time::{Duration, Instant};

use promptdeck_protocol::wire::{MutationRecord, PushRequest};
use promptdeck_server::{Auth, Limits, ScratchBackend, Server, ServerConfig, TEST_POSTGRES_ENV};
use serde_json::json;

const SPACES: usize = 50;
/// Clients pushing at once in each space.
const CLIENTS_PER_SPACE: usize = 2;
const PUSHES_PER_CLIENT: usize = 30;

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
async fn client(http: reqwest::Client, url: String, space: usize, n: usize) -> Vec<Duration> {
    let name = format!("s{space}c{n}");
    let mut latencies = Vec::with_capacity(PUSHES_PER_CLIENT);
    for id in 1..=PUSHES_PER_CLIENT as u64 {
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

async fn load(backend: &ScratchBackend) -> Load {
    let dir = tempfile::tempdir().expect("tempdir");
    let database = backend.fresh_database(dir.path()).await.expect("a database");
    let config = ServerConfig {
        // The one local user stands for every client here, all pushing at once.
        limits: Limits { requests_per_user: SPACES * CLIENTS_PER_SPACE, ..Limits::default() },
        ..ServerConfig::new("127.0.0.1:0".parse().expect("addr"), database, Auth::InsecureLocal)
    };
    let server = Server::start(config).await.expect("server");
    let url = format!("http://{}", server.local_addr());
    tokio::spawn(server.serve_until(std::future::pending()));
    let http = reqwest::Client::new();
    let started = Instant::now();
    let clients: Vec<_> = (0..SPACES)
        .flat_map(|space| (0..CLIENTS_PER_SPACE).map(move |n| (space, n)))
        .map(|(space, n)| tokio::spawn(client(http.clone(), url.clone(), space, n)))
        .collect();
    let mut latencies = Vec::new();
    for c in clients {
        latencies.extend(c.await.expect("client ran"));
    }
    Load { pushes: latencies.len(), elapsed: started.elapsed(), latencies }
}

#[allow(clippy::print_stdout)]
fn report(name: &str, mut load: Load) -> f64 {
    let rate = load.pushes as f64 / load.elapsed.as_secs_f64();
    println!(
        "server_load: {name}: {rate:.0} pushes/s ({} pushes from {} clients in {SPACES} spaces in {:.2} s); push latency median {} p95 {}",
        load.pushes,
        SPACES * CLIENTS_PER_SPACE,
        load.elapsed.as_secs_f64(),
        stats::ms(stats::median(&mut load.latencies)),
        stats::ms(stats::percentile(&mut load.latencies, 0.95)),
    );
    rate
}

#[allow(clippy::print_stdout)]
#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    // The server's own account of anything that fails under load.
    tracing_subscriber::fmt().with_env_filter("warn").with_writer(std::io::stderr).init();
    let sqlite = report("SQLite", load(&ScratchBackend::Sqlite).await);
    match std::env::var(TEST_POSTGRES_ENV) {
        Ok(admin) => {
            let postgres = report("PostgreSQL", load(&ScratchBackend::Postgres(admin)).await);
            println!("server_load: PostgreSQL / SQLite = {:.2}x", postgres / sqlite);
        }
        Err(_) => println!(
            "server_load: PostgreSQL skipped (run under scripts/with-postgres.sh to include it)"
        ),
    }
}

//! Cold start (process start to socket answering with the index built) and idle memory
//! with no window, at 10k and 100k prompts; and memory before and after 10,000 sync rounds
//! with a server on loopback. `cargo bench --bench runtime`

#[path = "support/corpus.rs"]
mod corpus;
#[path = "support/stats.rs"]
mod stats;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use promptdeck::control::{self, ControlRequest, ControlResponse};

const RUNS: usize = 7;
const SYNC_ROUNDS: usize = 10_000;
/// Rounds run before the first reading, so caches and pools are at their working size.
const WARM_UP_ROUNDS: usize = 500;

#[allow(clippy::print_stdout)]
fn main() {
    let tokio = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio");
    for size in [10_000, 100_000] {
        let dir = tempfile::tempdir().expect("tempdir");
        corpus::seed_profile(dir.path(), size);
        let socket = dir.path().join("run/control.sock");
        let (mut starts, mut rss): (Vec<Duration>, Vec<u64>) = (Vec::new(), Vec::new());
        for _ in 0..RUNS {
            let started = Instant::now();
            let mut child = Command::new(env!("CARGO_BIN_EXE_promptdeck"))
                .args(["--headless", "--data-dir"])
                .arg(dir.path())
                .env("PROMPTDECK_LOG", "info")
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawns");
            let stderr = BufReader::new(child.stderr.take().expect("piped"));
            let mut lines = stderr.lines();
            lines.by_ref().map_while(Result::ok).find(|l| l.contains("ready")).expect("ready line");
            starts.push(started.elapsed());
            let answer =
                tokio.block_on(control::request(&socket, &ControlRequest::Status)).expect("status");
            let ControlResponse::Status { health } = answer else {
                panic!("unexpected {answer:?}")
            };
            rss.push(health["rssBytes"].as_u64().expect("rss"));
            tokio.block_on(control::request(&socket, &ControlRequest::Quit)).expect("quit");
            std::thread::spawn(move || lines.for_each(drop));
            child.wait().expect("exits");
        }
        rss.sort_unstable();
        println!(
            "runtime {size:>6} prompts: cold start median {} (spawn to socket answering, index built); idle RSS median {:.1} MB ({RUNS} runs)",
            stats::ms(stats::median(&mut starts)),
            rss[rss.len() / 2] as f64 / 1e6
        );
    }
    memory_over_sync_rounds(&tokio);
}

/// RSS after a warm-up and after 10,000 more sync rounds (push and pull, a new prompt every
/// hundredth), the library at 10k prompts, syncing with promptdeck-server on loopback.
#[allow(clippy::print_stdout)]
fn memory_over_sync_rounds(tokio: &tokio::runtime::Runtime) {
    let dir = tempfile::tempdir().expect("tempdir");
    corpus::seed_profile(dir.path(), 10_000);
    // The server on a thread of its own, as it would be on another machine.
    let server_tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("tokio");
    let address = server_tokio.block_on(async {
        let config = promptdeck_server::ServerConfig::new(
            "127.0.0.1:0".parse().expect("addr"),
            format!("sqlite://{}", dir.path().join("server.db").display()),
            promptdeck_server::Auth::InsecureLocal,
        );
        let server = promptdeck_server::Server::start(config).await.expect("server");
        let address = server.local_addr();
        tokio::spawn(server.serve_until(std::future::pending()));
        address
    });
    let mut child = Command::new(env!("CARGO_BIN_EXE_promptdeck"))
        .args(["--headless", "--server", &format!("http://{address}"), "--data-dir"])
        .arg(dir.path())
        .env("PROMPTDECK_LOG", "warn")
        .stderr(Stdio::null())
        .spawn()
        .expect("spawns");
    let socket = dir.path().join("run/control.sock");
    let ask = |request: &ControlRequest| {
        let started = Instant::now();
        loop {
            match tokio.block_on(control::request(&socket, request)) {
                Ok(ControlResponse::Failed { error }) => panic!("{error}"),
                Ok(answer) => return answer,
                Err(_) if started.elapsed() < Duration::from_secs(30) => {
                    std::thread::sleep(Duration::from_millis(20))
                }
                Err(e) => panic!("{e}"),
            }
        }
    };
    let rss = |ask: &dyn Fn(&ControlRequest) -> ControlResponse| {
        let ControlResponse::Status { health } = ask(&ControlRequest::Status) else {
            panic!("a status")
        };
        health["rssBytes"].as_u64().expect("rss")
    };
    let round = |n: usize| {
        if n.is_multiple_of(100) {
            let add = ControlRequest::Add {
                title: format!("Round {n}"),
                body: "a prompt written between sync rounds".into(),
                tags: vec![],
                space: None,
            };
            ask(&add);
        }
        ask(&ControlRequest::Sync);
    };
    (0..WARM_UP_ROUNDS).for_each(round);
    let before = rss(&ask);
    let started = Instant::now();
    (0..SYNC_ROUNDS).for_each(round);
    let elapsed = started.elapsed();
    let after = rss(&ask);
    println!(
        "runtime: RSS {:.1} MB after {WARM_UP_ROUNDS} sync rounds, {:.1} MB after {SYNC_ROUNDS} more ({:+.2} MB; {:.2} ms per round)",
        before as f64 / 1e6,
        after as f64 / 1e6,
        (after as f64 - before as f64) / 1e6,
        elapsed.as_secs_f64() * 1e3 / SYNC_ROUNDS as f64
    );
    ask(&ControlRequest::Quit);
    let _ = child.wait();
}

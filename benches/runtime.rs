//! Cold start (process start to the first answer on the control socket) and idle memory of
//! the headless runtime (no window, tray or hotkeys) at 10k and 100k prompts; and memory
//! before and after 10,000 sync rounds with a server on loopback. `cargo bench --bench
//! runtime`; its record is `target/bench-results/runtime.json`.

#[path = "support/corpus.rs"]
mod corpus;
#[path = "support/stats.rs"]
mod stats;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use promptdeck_client::control::{self, ControlRequest, ControlResponse};
use promptdeck_figures::{Figure, Goal, Kind, Report, Section, report};

/// The targets the README has held these figures to (cold start) and issue 20 set (memory).
const COLD_START_GOAL_MS: f64 = 150.0;
const IDLE_RSS_GOAL_MB: f64 = 30.0;
const GROWTH_GOAL_MB: f64 = 2.0;

#[allow(clippy::print_stdout)]
fn main() {
    let mut report = report!(Kind::Bench, "runtime", "cargo bench --bench runtime");
    let scale = report.scale();
    let runs = scale.pick(7, 2);
    for size in scale.pick(vec![10_000, 100_000], vec![1_000]) {
        // On disk, not in a tmpfs, so that dropping the library from the page cache is real.
        let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("tempdir");
        corpus::seed_profile(dir.path(), size);
        let socket = dir.path().join("run/control.sock");
        let (mut starts, mut rss): (Vec<Duration>, Vec<u64>) = (Vec::new(), Vec::new());
        for _ in 0..runs {
            drop_from_page_cache(&dir.path().join("library.redb"));
            let started = Instant::now();
            let mut child = Command::new(env!("CARGO_BIN_EXE_promptdeck"))
                .args(["--headless", "--data-dir"])
                .arg(dir.path())
                .env("PROMPTDECK_LOG", "warn")
                .stderr(Stdio::null())
                .spawn()
                .expect("spawns");
            let health = first_answer(&socket, started);
            starts.push(started.elapsed());
            rss.push(health["rssBytes"].as_u64().expect("rss"));
            control::request(&socket, &ControlRequest::Quit).expect("quit");
            child.wait().expect("exits");
        }
        let start = stats::median(&mut starts);
        rss.sort_unstable();
        let idle = rss[rss.len() / 2];
        println!(
            "runtime {size:>6} prompts: cold start median {} (spawn to the first answer on the socket); idle RSS median {:.1} MB ({runs} runs)",
            stats::ms(start),
            idle as f64 / 1e6
        );
        let cold = Figure::ms(
            Section::Start,
            "cold start, headless runtime: spawn to the first answer on the control socket (the library file dropped from the page cache first, the binary warm)",
            start,
        )
        .prompts(size)
        .detail(format!("p95 {}, {runs} runs", stats::ms(stats::percentile(&mut starts, 0.95))));
        let memory = Figure::mb(
            Section::Memory,
            "idle RSS, headless runtime (no window, tray or hotkeys), after its first answer",
            idle,
        )
        .prompts(size)
        .detail(format!("median of {runs} runs"));
        match size {
            10_000 => {
                report.add(cold.goal(Goal::AtMost(COLD_START_GOAL_MS)).headline());
                report.add(memory.goal(Goal::AtMost(IDLE_RSS_GOAL_MB)).headline());
            }
            _ => {
                report.add(cold);
                report.add(memory);
            }
        }
    }
    program_starts(&mut report);
    memory_over_sync_rounds(&mut report);
    println!("runtime: record {}", report.write().expect("writes its record").display());
}

/// What a new process costs before it can ask anything, side by side in one run: the command
/// line (`promptdeck`, which links no window system) and the app (`promptdeck-app`, whose
/// renderer loads Xlib before `main`), each spawned to print its version and exit.
#[allow(clippy::print_stdout)]
fn program_starts(report: &mut Report) {
    let runs = report.scale().pick(300, 30);
    let programs = [
        (
            "`promptdeck --version`: the command line, which links no window system",
            env!("CARGO_BIN_EXE_promptdeck"),
        ),
        (
            "`promptdeck-app --version`: the app's program, which loads Xlib before `main`",
            env!("CARGO_BIN_EXE_promptdeck-app"),
        ),
    ];
    for (what, program) in programs {
        let size = std::fs::metadata(program).expect("the program").len();
        let mut times: Vec<Duration> = (0..runs)
            .map(|_| {
                let started = Instant::now();
                let status = Command::new(program)
                    .arg("--version")
                    .stdout(Stdio::null())
                    .status()
                    .expect("runs");
                assert!(status.success(), "{program} --version failed");
                started.elapsed()
            })
            .collect();
        let median = stats::median(&mut times);
        println!("{what}: median {} ({runs} runs)", stats::ms(median));
        report.add(
            Figure::ms(Section::Start, format!("a new process, spawn to exit: {what}"), median)
                .detail(format!("{:.1} MB program, median of {runs} runs", size as f64 / 1e6)),
        );
    }
}

/// The health the instance at `socket` reports first, asked every 0.2 ms from `started` on:
/// the socket exists only once the library is open and its index built.
fn first_answer(socket: &Path, started: Instant) -> serde_json::Value {
    loop {
        match control::request(socket, &ControlRequest::Status) {
            Ok(ControlResponse::Status { health }) => return health,
            Ok(other) => panic!("unexpected {other:?}"),
            Err(_) => {
                assert!(started.elapsed() < Duration::from_secs(60), "the runtime never answered");
                std::thread::sleep(Duration::from_micros(200));
            }
        }
    }
}

/// Asks the kernel to forget the file's cached pages, so the next start reads it from disk.
#[cfg(target_os = "linux")]
fn drop_from_page_cache(path: &Path) {
    let file = std::fs::File::open(path).expect("the library");
    rustix::fs::fadvise(&file, 0, None, rustix::fs::Advice::DontNeed).expect("fadvise");
}

/// Elsewhere no call forgets one file's cached pages: rather than call warm starts cold,
/// the bench stops.
#[cfg(not(target_os = "linux"))]
fn drop_from_page_cache(path: &Path) {
    panic!(
        "cannot drop {} from the page cache here: the cold start is measured on Linux",
        path.display()
    );
}

/// RSS after a warm-up and after 10,000 more sync rounds (push and pull, a new prompt every
/// hundredth), the library at 10k prompts, syncing with promptdeck-server on loopback.
#[allow(clippy::print_stdout)]
fn memory_over_sync_rounds(report: &mut Report) {
    let scale = report.scale();
    let (warm_up, rounds) = (scale.pick(500, 50), scale.pick(10_000, 200));
    let size = scale.pick(10_000, 1_000);
    let dir = tempfile::tempdir().expect("tempdir");
    corpus::seed_profile(dir.path(), size);
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
            match control::request(&socket, request) {
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
    (0..warm_up).for_each(round);
    let before = rss(&ask);
    let started = Instant::now();
    (0..rounds).for_each(round);
    let elapsed = started.elapsed();
    let after = rss(&ask);
    let per_round = elapsed.as_secs_f64() * 1e3 / rounds as f64;
    let growth = (after as f64 - before as f64) / 1e6;
    println!(
        "runtime: RSS {:.1} MB after {warm_up} sync rounds, {:.1} MB after {rounds} more ({growth:+.2} MB; {per_round:.2} ms per round)",
        before as f64 / 1e6,
        after as f64 / 1e6,
    );
    report.add(
        Figure::new(
            Section::Memory,
            format!("headless runtime's RSS growth over {rounds} sync rounds with promptdeck-server on loopback (after {warm_up}; a new prompt every 100th)"),
            growth,
            promptdeck_figures::Unit::Mb,
        )
        .prompts(size)
        .detail(format!("{:.1} -> {:.1} MB; {per_round:.2} ms a round", before as f64 / 1e6, after as f64 / 1e6))
        .goal(Goal::AtMost(GROWTH_GOAL_MB))
        .headline(),
    );
    ask(&ControlRequest::Quit);
    let _ = child.wait();
}

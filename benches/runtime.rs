//! Cold start (process start to socket answering with the index built) and idle memory
//! with no window, at 10k and 100k prompts. `cargo bench --bench runtime`

#[path = "support/corpus.rs"]
mod corpus;
#[path = "support/stats.rs"]
mod stats;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use promptdeck::control::{self, ControlRequest, ControlResponse};

const RUNS: usize = 7;

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
}

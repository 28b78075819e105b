//! Per-keystroke search over 10k and 100k prompts, and the cost of building the index;
//! beside it, in the same run, `fzf --filter` on the same corpus and keystrokes (when fzf is
//! installed; `scripts/install-deps.sh --test` installs it). `cargo bench --bench search`

#[path = "support/corpus.rs"]
mod corpus;
#[path = "support/stats.rs"]
mod stats;

use std::hint::black_box;
use std::time::{Duration, Instant};

use promptdeck_actors::{SearchIndex, process_rss_bytes};

/// What a person types, one keystroke at a time.
const TYPED: &str = "summarize meeting notes";
const REPEATS: usize = 15;

#[allow(clippy::print_stdout)]
fn main() {
    let mut keystroke_medians = Vec::new();
    for size in [10_000, 100_000] {
        let prompts = corpus::prompts(size, 42);
        // Before any other index is built, so that what it takes is not memory another left.
        let before = process_rss_bytes().expect("rss");
        let mut index = SearchIndex::new(&prompts);
        let index_mb = (process_rss_bytes().expect("rss") - before) as f64 / 1e6;
        let mut builds: Vec<Duration> = (0..5)
            .map(|_| {
                let start = Instant::now();
                black_box(SearchIndex::new(&prompts));
                start.elapsed()
            })
            .collect();
        // Each keystroke's times; the first searches everything, later ones narrow.
        let mut keystrokes = vec![Vec::new(); TYPED.len()];
        for _ in 0..REPEATS {
            for (end, times) in (1..=TYPED.len()).zip(&mut keystrokes) {
                let start = Instant::now();
                black_box(index.search(&TYPED[..end], 50, 0));
                times.push(start.elapsed());
            }
        }
        let mut samples: Vec<Duration> = keystrokes.iter().flatten().copied().collect();
        let median = stats::median(&mut samples);
        let (slowest, slowest_median) = keystrokes
            .iter_mut()
            .enumerate()
            .map(|(at, times)| (&TYPED[..=at], stats::median(times)))
            .max_by_key(|&(_, median)| median)
            .expect("keystrokes");
        keystroke_medians.push(median);
        if let Some(mut fzf) = fzf_keystrokes(&prompts) {
            let fzf_median = stats::median(&mut fzf);
            println!(
                "fzf    {size:>6} prompts: keystroke median {} p95 {} ({} samples); Promptdeck {:.1}x faster",
                stats::ms(fzf_median),
                stats::ms(stats::percentile(&mut fzf, 0.95)),
                fzf.len(),
                fzf_median.as_secs_f64() / median.as_secs_f64(),
            );
        }
        println!(
            "search {size:>6} prompts: keystroke median {} p95 {} ({} samples), first keystroke median {}, slowest keystroke {slowest:?} median {}; index build median {}, memory {index_mb:.1} MB",
            stats::ms(median),
            stats::ms(stats::percentile(&mut samples, 0.95)),
            samples.len(),
            stats::ms(stats::median(&mut keystrokes[0])),
            stats::ms(slowest_median),
            stats::ms(stats::median(&mut builds)),
        );
    }
    println!(
        "search cost growth 10k -> 100k: {:.1}x",
        keystroke_medians[1].as_secs_f64() / keystroke_medians[0].as_secs_f64()
    );
}

/// `fzf --filter` over the same prompts (title, tags and body on one line each), for every
/// keystroke of the same typing, three times; `None` without fzf.
fn fzf_keystrokes(prompts: &[promptdeck_protocol::Prompt]) -> Option<Vec<Duration>> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let lines: String = prompts
        .iter()
        .map(|p| format!("{} {} {}\n", p.title, p.tags.join(" "), p.body.replace('\n', " ")))
        .collect();
    let mut samples = Vec::new();
    for _ in 0..3 {
        for end in 1..=TYPED.len() {
            let start = Instant::now();
            let mut fzf = Command::new("fzf")
                .args(["--filter", &TYPED[..end]])
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .spawn()
                .ok()?;
            fzf.stdin.take()?.write_all(lines.as_bytes()).ok()?;
            fzf.wait().ok()?;
            samples.push(start.elapsed());
        }
    }
    Some(samples)
}

//! Per-keystroke search over 10k and 100k prompts, and the cost of building the index;
//! beside it, in the same run, `fzf --filter` on the same corpus and keystrokes
//! (`scripts/install-deps.sh --test` installs fzf). `cargo bench --bench search`; its record
//! is `target/bench-results/search.json`.

#[path = "support/corpus.rs"]
mod corpus;
#[path = "support/stats.rs"]
mod stats;
#[path = "support/tools.rs"]
mod tools;

use std::hint::black_box;
use std::time::{Duration, Instant};

use promptdeck_actors::{SearchIndex, process_rss_bytes};
use promptdeck_figures::{Figure, Goal, Kind, Section, Unit, report};

/// What a person types, one keystroke at a time.
const TYPED: &str = "summarize meeting notes";
/// Every keystroke of the typing, at 100k prompts (issue 20).
const KEYSTROKE_GOAL_MS: f64 = 8.0;

#[allow(clippy::print_stdout)]
fn main() {
    tools::require("fzf");
    let mut report = report!(Kind::Bench, "search", "cargo bench --bench search");
    let scale = report.scale();
    let repeats = scale.pick(15, 2);
    let mut keystroke_medians = Vec::new();
    for size in scale.pick(vec![10_000, 100_000], vec![1_000, 2_000]) {
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
        for _ in 0..repeats {
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
        let mut fzf = fzf_keystrokes(&prompts, scale.pick(3, 1));
        let fzf_median = stats::median(&mut fzf);
        let fzf_p95 = stats::percentile(&mut fzf, 0.95);
        println!(
            "fzf    {size:>6} prompts: keystroke median {} p95 {} ({} samples); Promptdeck {:.1}x faster",
            stats::ms(fzf_median),
            stats::ms(fzf_p95),
            fzf.len(),
            fzf_median.as_secs_f64() / median.as_secs_f64(),
        );
        let p95 = stats::percentile(&mut samples, 0.95);
        let first = stats::median(&mut keystrokes[0]);
        let build = stats::median(&mut builds);
        report.add(
            Figure::ms(Section::Search, format!("search: per keystroke, typing {TYPED:?} (every keystroke's time, in memory, top 50)"), median)
                .prompts(size)
                .detail(format!("p95 {}, {} samples", stats::ms(p95), samples.len()))
                .headline(),
        );
        let slowest_figure = Figure::ms(
            Section::Search,
            "search: the slowest keystroke of the typing (its median)",
            slowest_median,
        )
        .prompts(size)
        .detail(format!("{slowest:?}; the first keystroke's median {}", stats::ms(first)));
        report.add(match size {
            100_000 => slowest_figure.goal(Goal::AtMost(KEYSTROKE_GOAL_MS)).headline(),
            _ => slowest_figure,
        });
        report.add(
            Figure::ms(
                Section::Search,
                "`fzf --filter` per keystroke, same corpus and typing: a new process each keystroke, piped the whole corpus (process start and I/O included)",
                fzf_median,
            )
            .prompts(size)
            .detail(format!(
                "p95 {}, {} samples; Promptdeck's keystroke {:.0}x faster",
                stats::ms(fzf_p95),
                fzf.len(),
                fzf_median.as_secs_f64() / median.as_secs_f64()
            )),
        );
        report.add(
            Figure::ms(Section::Search, "search index build (every core)", build).prompts(size),
        );
        report.add(
            Figure::new(
                Section::Memory,
                "search index memory (RSS growth while it is built)",
                index_mb,
                Unit::Mb,
            )
            .prompts(size),
        );
        println!(
            "search {size:>6} prompts: keystroke median {} p95 {} ({} samples), first keystroke median {}, slowest keystroke {slowest:?} median {}; index build median {}, memory {index_mb:.1} MB",
            stats::ms(median),
            stats::ms(p95),
            samples.len(),
            stats::ms(first),
            stats::ms(slowest_median),
            stats::ms(build),
        );
    }
    let growth = keystroke_medians[1].as_secs_f64() / keystroke_medians[0].as_secs_f64();
    println!("search cost growth over the two sizes: {growth:.1}x");
    report.add(Figure::new(
        Section::Search,
        "search: median keystroke at the larger size over the smaller (10x the prompts)",
        growth,
        Unit::Ratio,
    ));
    println!("search: record {}", report.write().expect("writes its record").display());
}

/// `fzf --filter` over the same prompts (title, tags and body on one line each), for every
/// keystroke of the same typing, `rounds` times.
fn fzf_keystrokes(prompts: &[promptdeck_protocol::Prompt], rounds: usize) -> Vec<Duration> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let lines: String = prompts
        .iter()
        .map(|p| format!("{} {} {}\n", p.title, p.tags.join(" "), p.body.replace('\n', " ")))
        .collect();
    let mut samples = Vec::new();
    for _ in 0..rounds {
        for end in 1..=TYPED.len() {
            let start = Instant::now();
            let mut fzf = Command::new("fzf")
                .args(["--filter", &TYPED[..end]])
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .spawn()
                .expect("fzf starts");
            let mut stdin = fzf.stdin.take().expect("piped");
            stdin.write_all(lines.as_bytes()).expect("fzf reads the corpus");
            drop(stdin);
            fzf.wait().expect("fzf ends");
            samples.push(start.elapsed());
        }
    }
    samples
}

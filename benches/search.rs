//! Per-keystroke search over 10k and 100k prompts, and the cost of building the index;
//! beside it, in the same run and on the same corpus, typing and fresh queries: nucleo's own
//! high-level matcher (`nucleo::Nucleo`, the engine of Helix's picker) with the corpus
//! already loaded, and `fzf --filter` as it is used, a process per keystroke
//! (`scripts/install-deps.sh --test` installs fzf). `cargo bench --bench search`; its record
//! is `target/bench-results/search.json`.

#[path = "support/corpus.rs"]
mod corpus;
#[path = "support/stats.rs"]
mod stats;
#[path = "support/tools.rs"]
mod tools;

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use nucleo::pattern::{CaseMatching, Normalization};

use promptdeck_actors::{SearchIndex, process_rss_bytes};
use promptdeck_figures::{Figure, Goal, Kind, Section, Unit, report};

/// What a person types, one keystroke at a time.
const TYPED: &str = "summarize meeting notes";
/// Every keystroke of the typing, at 100k prompts (issue 20).
const KEYSTROKE_GOAL_MS: f64 = 8.0;
/// Queries typed at once, each after another that it does not extend: nothing to narrow
/// from.
const FRESH: [&str; 6] = [
    "meeting notes",
    "review code diff",
    "translate french",
    "polite decline",
    "sql query optimize",
    "customer support answer",
];
/// A word of the corpus's rarer vocabulary, which most prompts holding it hold deep in a
/// long body: what someone looks for in a system prompt.
const DEEP_WORD_RANK: usize = 3_000;
/// The results a palette shows and both engines are asked for.
const TOP: usize = 50;

#[allow(clippy::print_stdout)]
fn main() {
    tools::require("fzf");
    let mut report = report!(Kind::Bench, "search", "cargo bench --bench search");
    let scale = report.scale();
    let repeats = scale.pick(15, 2);
    // nucleo takes a second a query at 100k: fewer rounds of it give a steady median.
    let baseline_repeats = scale.pick(3, 1);
    let mut keystroke_medians = Vec::new();
    let fresh_queries: Vec<String> = FRESH
        .iter()
        .map(|query| query.to_string())
        .chain([corpus::rare_word(DEEP_WORD_RANK)])
        .collect();
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
                black_box(index.search(&TYPED[..end], TOP, 0));
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
        let mut fresh = Vec::new();
        for _ in 0..repeats {
            for query in &fresh_queries {
                let start = Instant::now();
                black_box(index.search(query, TOP, 0));
                fresh.push(start.elapsed());
            }
        }
        let fresh_median = stats::median(&mut fresh);
        let mut baseline = NucleoBaseline::new(&prompts);
        let (mut nucleo_typed, mut nucleo_fresh) = (Vec::new(), Vec::new());
        for _ in 0..baseline_repeats {
            for end in 1..=TYPED.len() {
                nucleo_typed.push(baseline.time(&TYPED[..end], end > 1));
            }
            for query in &fresh_queries {
                nucleo_fresh.push(baseline.time(query, false));
            }
        }
        drop(baseline);
        let (nucleo_typed, nucleo_fresh) =
            (stats::median(&mut nucleo_typed), stats::median(&mut nucleo_fresh));
        println!(
            "nucleo {size:>6} prompts: keystroke median {} (Promptdeck {:.2}x its time), fresh query median {} (Promptdeck {} , {:.2}x)",
            stats::ms(nucleo_typed),
            median.as_secs_f64() / nucleo_typed.as_secs_f64(),
            stats::ms(nucleo_fresh),
            stats::ms(fresh_median),
            fresh_median.as_secs_f64() / nucleo_fresh.as_secs_f64(),
        );
        let nucleo_name = "nucleo (`nucleo::Nucleo`, Helix's picker engine) with the corpus loaded in-process, title, tags and whole body as one text, top 50";
        report.add(
            Figure::ms(
                Section::Search,
                format!("{nucleo_name}: per keystroke of the typing, narrowing as it types"),
                nucleo_typed,
            )
            .prompts(size),
        );
        report.add(
            Figure::ms(
                Section::Search,
                "search: fresh queries typed at once (nothing to narrow from)",
                fresh_median,
            )
            .prompts(size)
            .detail(format!(
                "{} queries ({}), {} samples",
                fresh_queries.len(),
                fresh_queries.join(", "),
                fresh.len()
            )),
        );
        report.add(
            Figure::ms(Section::Search, format!("{nucleo_name}: fresh queries"), nucleo_fresh)
                .prompts(size),
        );
        let against = |ours: Duration, theirs: Duration, what: &str| {
            Figure::new(
                Section::Search,
                format!("Promptdeck's {what} over nucleo's, same run (below 1: Promptdeck is faster; both match every word of every body)"),
                ours.as_secs_f64() / theirs.as_secs_f64(),
                Unit::Ratio,
            )
            .prompts(size)
            .goal(Goal::AtMost(1.0))
            .headline()
        };
        report.add(against(median, nucleo_typed, "keystroke"));
        report.add(against(fresh_median, nucleo_fresh, "fresh query"));
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

/// nucleo's high-level matcher holding the same prompts, matched on its own thread pool.
struct NucleoBaseline {
    nucleo: nucleo::Nucleo<()>,
}

impl NucleoBaseline {
    /// Loads every prompt (title, tags and body as one text) and waits until it holds them.
    fn new(prompts: &[promptdeck_protocol::Prompt]) -> Self {
        let nucleo = nucleo::Nucleo::new(nucleo::Config::DEFAULT, Arc::new(|| {}), None, 1);
        let injector = nucleo.injector();
        for p in prompts {
            let text = format!("{} {} {}", p.title, p.tags.join(" "), p.body);
            injector.push((), |_, columns| columns[0] = text.as_str().into());
        }
        let mut baseline = Self { nucleo };
        baseline.settle();
        baseline
    }

    /// Until the matcher has matched and sorted everything it was given.
    fn settle(&mut self) {
        while self.nucleo.tick(10).running {}
    }

    /// The time to match `query` and read the best `TOP`; `extends` when it extends the
    /// last query, so that nucleo narrows from its matches.
    fn time(&mut self, query: &str, extends: bool) -> Duration {
        let start = Instant::now();
        self.nucleo.pattern.reparse(0, query, CaseMatching::Smart, Normalization::Smart, extends);
        self.settle();
        let snapshot = self.nucleo.snapshot();
        let shown = snapshot.matched_item_count().min(TOP as u32);
        black_box(snapshot.matched_items(..shown).count());
        start.elapsed()
    }
}

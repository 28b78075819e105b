//! A compressed day: the real binary signed in to a real server through a real OpenID
//! provider whose access tokens live three seconds, adding a prompt twice a second and
//! syncing every two (each push pokes it back into a pull), while its resident memory, open
//! files, threads and async tasks are sampled. After a warm-up none of them may grow past a
//! bound (the library itself grows by a few thousand small prompts in 30 minutes).
//! `PROMPTDECK_SOAK_SECS` sets the length (40 s in every `cargo test`; `scripts/proof.sh`
//! runs it longer, 30 minutes with `long`).

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use promptdeck_figures::{Figure, Kind, Section, report};
use support::oidc::Provider;
use support::signin::{curl_browser, headless_instance, start_server};
use support::{WAIT, eventually, status, stderr};

/// Growth allowed between the warm-up's highest sample and the last quarter's highest.
const RSS_GROWTH_BYTES: u64 = 10 << 20;
/// A day's pace: an edit, and now and then a sync round on top of the pokes.
const PACE: Duration = Duration::from_millis(500);
const FD_GROWTH: u64 = 4;
/// The blocking pool starts and retires threads as store work comes and goes.
const THREAD_GROWTH: u64 = 8;
const TASK_GROWTH: u64 = 8;

#[derive(Debug, Clone, Copy, Default)]
struct Sample {
    rss: u64,
    fds: u64,
    threads: u64,
    tasks: u64,
}

impl Sample {
    fn take(pid: u32, data_dir: &Path) -> Option<Sample> {
        let proc_status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        let field = |name: &str| -> Option<u64> {
            let line = proc_status.lines().find(|l| l.starts_with(name))?;
            line.split_whitespace().nth(1)?.parse().ok()
        };
        let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count() as u64;
        let tasks = status(data_dir)?["tasks"].as_u64()?;
        Some(Sample { rss: field("VmRSS:")? * 1024, fds, threads: field("Threads:")?, tasks })
    }

    fn max(self, other: Sample) -> Sample {
        Sample {
            rss: self.rss.max(other.rss),
            fds: self.fds.max(other.fds),
            threads: self.threads.max(other.threads),
            tasks: self.tasks.max(other.tasks),
        }
    }
}

fn soak_secs() -> u64 {
    std::env::var("PROMPTDECK_SOAK_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(40)
}

#[test]
fn a_compressed_day_of_sync_pokes_and_token_refresh_grows_nothing() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt");
    let provider = Provider::start();
    rt.block_on(provider.lifetime(3, 3));
    let dirs = [(); 3].map(|_| tempfile::tempdir().expect("tempdir"));
    let server = start_server(dirs[0].path(), &provider.issuer);
    let browser = curl_browser(dirs[1].path());
    let profile = dirs[2].path();
    let instance = headless_instance(profile, &server, &browser, "info");
    let login = instance.cli(&["login"]);
    assert!(login.status.success(), "{}", stderr(&login));
    let pid = instance.child.id();

    let length = Duration::from_secs(soak_secs());
    let started = Instant::now();
    let mut samples: Vec<(Duration, Sample)> = Vec::new();
    let mut added = 0u64;
    while started.elapsed() < length {
        let title = format!("Soak {added}");
        let add = instance.cli(&["add", "--title", &title, "--body", "a day's work"]);
        assert!(add.status.success(), "add failed: {}", stderr(&add));
        added += 1;
        if added.is_multiple_of(4) {
            let sync = instance.cli(&["sync"]);
            assert!(sync.status.success(), "a sync round failed: {}", stderr(&sync));
        }
        samples.push((started.elapsed(), Sample::take(pid, profile).expect("sampled")));
        // Pacing the load, not waiting for anything.
        std::thread::sleep(PACE);
    }
    eventually("everything to be pushed", WAIT, || {
        let health = status(profile)?;
        (health["status"]["pending"] == 0 && health["status"]["account"] == "signedIn")
            .then_some(())
    });

    let warm_up = length / 4;
    let (early, late): (Vec<_>, Vec<_>) = samples.iter().partition(|(at, _)| *at < warm_up);
    let last_quarter = late.iter().filter(|(at, _)| *at >= length * 3 / 4);
    let baseline = early.iter().fold(Sample::default(), |m, (_, s)| m.max(*s));
    let end = last_quarter.fold(Sample::default(), |m, (_, s)| m.max(*s));
    eprintln!(
        "soak: {added} prompts in {length:?}; warm-up peak {baseline:?}, last-quarter peak {end:?}"
    );
    assert!(early.len() >= 2 && end.rss > 0, "too few samples: {samples:?}");
    assert!(end.rss <= baseline.rss + RSS_GROWTH_BYTES, "memory grew: {baseline:?} -> {end:?}");
    assert!(end.fds <= baseline.fds + FD_GROWTH, "open files grew: {baseline:?} -> {end:?}");
    assert!(
        end.threads <= baseline.threads + THREAD_GROWTH,
        "threads grew: {baseline:?} -> {end:?}"
    );
    assert!(end.tasks <= baseline.tasks + TASK_GROWTH, "tasks grew: {baseline:?} -> {end:?}");

    let stats = rt.block_on(provider.stats());
    let expected_refreshes = length.as_secs() / 3;
    assert!(
        stats.refreshes >= expected_refreshes,
        "{stats:?}: the token was refreshed along the way"
    );
    assert_eq!(stats.sign_ins, 1, "never asked to sign in again: {stats:?}");

    let command = format!("PROMPTDECK_SOAK_SECS={} cargo test --test soak", length.as_secs());
    let mut report = report!(Kind::Test, "soak", &command);
    report.add(
        Figure::count(
            Section::Reliability,
            "a compressed day, signed in with three-second tokens: edits, each followed by sync rounds and pokes",
            added,
            "edits",
        )
        .detail(format!(
            "{length:?}; peak after the warm-up {:.1} MB RSS, {} files, {} threads, {} tasks; in the last quarter {:.1} MB, {}, {}, {}",
            baseline.rss as f64 / 1e6, baseline.fds, baseline.threads, baseline.tasks,
            end.rss as f64 / 1e6, end.fds, end.threads, end.tasks
        )),
    );
    report.add(
        Figure::count(
            Section::Reliability,
            "a compressed day: token refreshes, counted by the OpenID provider (and one sign-in)",
            stats.refreshes,
            "refreshes",
        )
        .headline(),
    );
    report.write().expect("writes its record");
}

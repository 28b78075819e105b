//! Crash torture: cycles (`PROMPTDECK_TORTURE_CYCLES`, 12 by default; the proof script runs
//! hundreds) of adds and sync rounds against the real binary, killed with SIGKILL at a random
//! moment, then restarted and checked. Nothing the user was told was saved is ever lost,
//! nothing appears that was never asked for, the store always opens, and in the end the
//! server holds each prompt exactly once.

mod support;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use promptdeck_figures::{Figure, Goal, Kind, Section, report};
use support::server::{processed_on_server, start_server};
use support::{Instance, cli, stderr, titles};

/// Adds (and now and then syncs) until the instance dies, recording every add it was told
/// succeeded, and the one that was under way when it died.
fn write_until_killed(
    profile: &Path,
    cycle: usize,
    acked: Arc<Mutex<BTreeSet<String>>>,
) -> Option<String> {
    for n in 0.. {
        if n % 7 == 6 {
            let _ = cli(profile, &["sync"], None);
        }
        let title = format!("c{cycle:03}-{n:04}");
        let out = cli(profile, &["add", "--title", &title, "--body", "typed under fire"], None);
        if !out.status.success() {
            return Some(title);
        }
        acked.lock().expect("lock").insert(title);
    }
    None
}

#[test]
fn killed_at_random_moments_nothing_acknowledged_is_lost_and_nothing_is_applied_twice() {
    let cycles: usize =
        std::env::var("PROMPTDECK_TORTURE_CYCLES").ok().and_then(|s| s.parse().ok()).unwrap_or(12);
    let root = tempfile::tempdir().expect("tempdir");
    let rt = tokio::runtime::Runtime::new().expect("rt");
    let server = start_server(root.path());
    let url = format!("http://{server}");
    let profile = root.path().join("profile");
    let acked = Arc::new(Mutex::new(BTreeSet::new()));
    let mut in_flight = BTreeSet::new();

    for cycle in 0..cycles {
        let instance = Instance::start(&profile, &["--server", &url]);
        let local: BTreeSet<String> = titles(&instance).into_iter().collect();
        let known = acked.lock().expect("lock").clone();
        let missing: Vec<_> = known.difference(&local).collect();
        assert!(missing.is_empty(), "cycle {cycle}: acknowledged but lost: {missing:?}");
        let stray: Vec<_> =
            local.iter().filter(|t| !known.contains(*t) && !in_flight.contains(*t)).collect();
        assert!(stray.is_empty(), "cycle {cycle}: never asked for: {stray:?}");

        let writer = {
            let (profile, acked) = (profile.clone(), acked.clone());
            std::thread::spawn(move || write_until_killed(&profile, cycle, acked))
        };
        // The random moment of the crash is the point of the test, not a wait for something.
        std::thread::sleep(Duration::from_millis(fastrand::u64(30..700)));
        instance.kill_9();
        if let Some(title) = writer.join().expect("the writer ran") {
            in_flight.insert(title);
        }
    }

    let instance = Instance::start(&profile, &["--server", &url]);
    let synced = instance.cli(&["sync"]);
    assert!(synced.status.success(), "{}", stderr(&synced));
    let local = titles(&instance);
    let unique: BTreeSet<&String> = local.iter().collect();
    assert_eq!(unique.len(), local.len(), "no prompt twice");
    let acked = acked.lock().expect("lock").clone();
    assert!(acked.iter().all(|t| unique.contains(t)), "every acknowledged prompt is there");
    assert!(acked.len() >= cycles, "the writers got work done: {} adds", acked.len());
    assert_eq!(
        processed_on_server(&rt, server),
        local.len() as i64,
        "each add processed on the server exactly once, across {cycles} crashes"
    );
    let other = Instance::start(&root.path().join("other"), &["--server", &url]);
    assert!(other.cli(&["sync"]).status.success());
    let mut theirs = titles(&other);
    theirs.sort();
    let mut ours = local;
    ours.sort();
    assert_eq!(theirs, ours, "another device sees the same library");

    let command =
        format!("PROMPTDECK_TORTURE_CYCLES={cycles} cargo test --workspace --test torture");
    let mut report = report!(Kind::Test, "torture", &command);
    report.add(Figure::count(
        Section::Reliability,
        "crash torture: the app killed with SIGKILL at random moments during adds and sync rounds, and restarted",
        cycles as u64,
        "kills",
    ));
    report.add(
        Figure::count(
            Section::Reliability,
            "crash torture: prompts acknowledged before a kill and lost after it (each checked at every restart)",
            0,
            "lost",
        )
        .detail(format!(
            "{} acknowledged; none twice, none unasked, each processed once on the server, another device saw the same library",
            acked.len()
        ))
        .goal(Goal::AtMost(0.0))
        .headline(),
    );
    report.write().expect("writes its record");
}

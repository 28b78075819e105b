//! Waiting for the window pasted into to read the prompt, where a backend serves the
//! clipboard itself and so sees each read (X11's selection owner, wlroots' data-control
//! source). The backend's serving thread notes reads under a lock and wakes the waiter;
//! what counts as the target's read is the backend's to say.

use std::sync::{Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::Taken;

/// What the reads noted so far say.
pub enum Seen {
    /// The target read the prompt, last at this instant.
    Target(Instant),
    /// Others read it; the target has not yet.
    Others,
    /// No one has read it yet.
    Nobody,
    /// Another client holds the clipboard now: reads of ours tell nothing more.
    Unknowable,
}

/// Waits until the target has read and then asked for nothing more for `quiet` (an
/// application may read in more than one type, or in pieces), but no longer than `cap`;
/// `seen` reads the state, `changed` is notified at each read.
pub fn wait_for_target<S>(
    state: &Mutex<S>,
    changed: &Condvar,
    quiet: Duration,
    cap: Duration,
    seen: impl Fn(&S) -> Seen,
) -> Taken {
    let deadline = Instant::now() + cap;
    let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
    loop {
        let now = Instant::now();
        let (until, taken) = match seen(&state) {
            Seen::Unknowable => return Taken::Unseen,
            Seen::Target(at) => ((at + quiet).min(deadline), Taken::ByTarget),
            Seen::Others => (deadline, Taken::ByOthersOnly),
            Seen::Nobody => (deadline, Taken::ByNobody),
        };
        if now >= until {
            return taken;
        }
        state = changed.wait_timeout(state, until - now).unwrap_or_else(PoisonError::into_inner).0;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Condvar, Mutex};
    use std::time::{Duration, Instant};

    use super::{Seen, wait_for_target};
    use crate::desktop::Taken;

    const LONG: Duration = Duration::from_secs(30);

    /// Reads as a list of (by the target, when).
    type Reads = Vec<(bool, Instant)>;

    fn seen(reads: &[(bool, Instant)]) -> Seen {
        match reads.iter().filter(|(target, _)| *target).map(|(_, at)| *at).max() {
            Some(at) => Seen::Target(at),
            None if reads.is_empty() => Seen::Nobody,
            None => Seen::Others,
        }
    }

    #[test]
    fn a_read_by_the_target_ends_the_wait_once_quiet_not_at_the_cap() {
        let shared = Arc::new((Mutex::new(Reads::new()), Condvar::new()));
        let reader = shared.clone();
        let started = Instant::now();
        let reads = std::thread::spawn(move || {
            let (reads, changed) = &*reader;
            for target in [false, true] {
                reads.lock().expect("lock").push((target, Instant::now()));
                changed.notify_all();
            }
        });
        let (reads_lock, changed) = &*shared;
        let quiet = Duration::from_millis(10);
        let taken = wait_for_target(reads_lock, changed, quiet, LONG, |r: &Reads| seen(r));
        reads.join().expect("the reader ends");
        assert_eq!(taken, Taken::ByTarget);
        assert!(started.elapsed() < LONG, "waited out the cap");
    }

    #[test]
    fn reads_by_others_only_or_none_are_told_apart_at_the_cap() {
        let changed = Condvar::new();
        let cap = Duration::from_millis(20);
        let others = Mutex::new(vec![(false, Instant::now())]);
        let taken = wait_for_target(&others, &changed, cap, cap, |r: &Reads| seen(r));
        assert_eq!(taken, Taken::ByOthersOnly);
        let none: Mutex<Reads> = Mutex::new(Vec::new());
        let taken = wait_for_target(&none, &changed, cap, cap, |r: &Reads| seen(r));
        assert_eq!(taken, Taken::ByNobody);
    }
}

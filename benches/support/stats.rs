// Shared by several benches; each uses part of it.
#![allow(dead_code)]

//! Medians and the one-line reports every bench prints.

use std::time::Duration;

pub fn median(samples: &mut [Duration]) -> Duration {
    samples.sort_unstable();
    samples[samples.len() / 2]
}

pub fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort_unstable();
    samples[((samples.len() - 1) as f64 * p).round() as usize]
}

pub fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

/// The medians of a window's openings: until it was on screen, and until its first row was
/// drawn.
pub struct Timings {
    pub mapped: Duration,
    pub drawn: Duration,
    pub drawn_p95: Duration,
    pub runs: usize,
}

impl Timings {
    pub fn of(mapped: &mut [Duration], drawn: &mut [Duration]) -> Self {
        Timings {
            mapped: median(mapped),
            drawn: median(drawn),
            drawn_p95: percentile(drawn, 0.95),
            runs: drawn.len(),
        }
    }

    /// What a figure of the first row drawn says beside it.
    pub fn detail(&self) -> String {
        format!("mapped {}, p95 {}, {} runs", ms(self.mapped), ms(self.drawn_p95), self.runs)
    }
}

impl std::fmt::Display for Timings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "mapped median {}, first row drawn median {} p95 {} ({} runs)",
            ms(self.mapped),
            ms(self.drawn),
            ms(self.drawn_p95),
            self.runs
        )
    }
}

//! Tracing to a daily-rolling file in the profile, and to stderr.

use std::io::IsTerminal;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::Layer;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::profile::Profile;

/// Lines waiting for the log file's writer thread.
const QUEUED_LINES: usize = 1024;

/// Starts logging; keep the guard alive until exit so the last lines are flushed.
pub fn init(profile: &Profile) -> anyhow::Result<WorkerGuard> {
    std::fs::create_dir_all(profile.log_dir())?;
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("promptdeck")
        .filename_suffix("log")
        .max_log_files(7)
        .build(profile.log_dir())?;
    let (file, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        // The default queue (128,000 lines) is allocated whole at start: 4 MB of an idle
        // app's heap for bursts a writer thread drains in microseconds. Past this many
        // lines, logging waits for the file rather than dropping lines.
        .buffered_lines_limit(QUEUED_LINES)
        .lossy(false)
        .finish(appender);
    let filter =
        || EnvFilter::try_from_env("PROMPTDECK_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(file)
                .with_ansi(false)
                .with_filter(filter()),
        )
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(std::io::stderr().is_terminal())
                .with_filter(filter()),
        )
        .try_init()?;
    Ok(guard)
}

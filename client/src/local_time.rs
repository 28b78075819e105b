//! Times as people read them: this machine's local time, to the minute.

use chrono::TimeZone;

/// `ms` since the epoch as "2026-12-03 16:39" in local time.
pub fn to_the_minute(ms: i64) -> String {
    match chrono::Local.timestamp_millis_opt(ms) {
        chrono::LocalResult::Single(at) => at.format("%Y-%m-%d %H:%M").to_string(),
        _ => format!("{ms} ms"),
    }
}

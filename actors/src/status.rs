//! What the runtime broadcasts to windows and the tray, and what `status --json` reports.

use std::sync::Arc;

use serde::Serialize;
use tokio::sync::watch;

/// Where the library stands with the server.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "camelCase")]
pub enum SyncStatus {
    /// No server is configured: the library lives on this machine only.
    LocalOnly,
    Idle,
    Syncing,
    Offline {
        since: i64,
        retry_at: i64,
    },
    NeedsSignIn,
    UpdateNeeded,
    Error {
        message: String,
    },
}

/// Whether this device is signed in to sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Account {
    /// Sync needs no sign-in (no server, a fixed token, or a server that asks for none).
    NotNeeded,
    SignedOut,
    /// A browser sign-in is under way.
    SigningIn,
    SignedIn,
}

/// The runtime's state as every view sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RuntimeStatus {
    pub sync: SyncStatus,
    /// Local mutations the server has not acknowledged.
    pub pending: u64,
    pub prompt_count: usize,
    /// Bumped on every change the cache applies; a view refreshes when it moves.
    pub data_version: u64,
    /// False until the cache has loaded the library once.
    pub loaded: bool,
    /// When a sync round last succeeded (ms since the epoch).
    pub last_synced_at: Option<i64>,
    /// True while the server's poke stream is connected: changes elsewhere arrive at once.
    pub live_updates: bool,
    pub account: Account,
}

impl Default for RuntimeStatus {
    fn default() -> Self {
        Self {
            sync: SyncStatus::LocalOnly,
            pending: 0,
            prompt_count: 0,
            data_version: 0,
            loaded: false,
            last_synced_at: None,
            live_updates: false,
            account: Account::NotNeeded,
        }
    }
}

/// The one place status is published; actors write, views subscribe.
#[derive(Clone)]
pub struct StatusBoard(Arc<watch::Sender<RuntimeStatus>>);

impl StatusBoard {
    pub fn new(initial: RuntimeStatus) -> Self {
        Self(Arc::new(watch::Sender::new(initial)))
    }

    pub fn update(&self, change: impl FnOnce(&mut RuntimeStatus)) {
        self.0.send_modify(change);
    }

    pub fn current(&self) -> RuntimeStatus {
        self.0.borrow().clone()
    }

    pub fn subscribe(&self) -> watch::Receiver<RuntimeStatus> {
        self.0.subscribe()
    }
}

/// How one supervised actor is doing.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChildHealth {
    pub name: String,
    pub state: ChildState,
    pub restarts: u32,
    pub last_error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ChildState {
    Running,
    Restarting,
    /// Failed too often in a short time; left stopped and reported.
    GaveUp,
}

/// Cache counters since start.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CacheStats {
    pub hits: u64,
    pub misses: u64,
    pub indexed: usize,
    pub cached_bodies: usize,
}

/// The full health report behind `promptdeck status --json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    pub status: RuntimeStatus,
    pub actors: Vec<ChildHealth>,
    pub cache: Option<CacheStats>,
    pub queue_depth: usize,
    pub queue_capacity: usize,
    pub rss_bytes: Option<u64>,
}

/// The resident set size of this process, from `/proc/self/statm`.
pub fn process_rss_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

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

/// Where one workspace's library stands.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LibraryStatus {
    pub sync: SyncStatus,
    /// Local mutations the server has not acknowledged.
    pub pending: u64,
    pub prompt_count: usize,
    /// False until the cache has loaded the library once.
    pub loaded: bool,
    /// When a sync round last succeeded (ms since the epoch).
    pub last_synced_at: Option<i64>,
    /// True while the server's poke stream is connected: changes elsewhere arrive at once.
    pub live_updates: bool,
    /// True where the backend runs `learnPick`: what the palette learns here syncs.
    pub learning_syncs: bool,
    /// Versions of prompts' history forgotten since start to make room on a full disk.
    pub history_forgotten: u64,
}

impl Default for LibraryStatus {
    fn default() -> Self {
        Self {
            sync: SyncStatus::LocalOnly,
            pending: 0,
            prompt_count: 0,
            loaded: false,
            last_synced_at: None,
            live_updates: false,
            learning_syncs: false,
            history_forgotten: 0,
        }
    }
}

/// One workspace (a space with its own library) and where it stands.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceStatus {
    pub space: String,
    #[serde(flatten)]
    pub library: LibraryStatus,
}

/// The runtime's state as every view sees it: the active workspace's library at the top
/// (what the palette, the tray and the library window show), every workspace in `workspaces`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RuntimeStatus {
    #[serde(flatten)]
    pub library: LibraryStatus,
    /// The workspace that searches, new prompts and the library window use.
    pub active_space: String,
    pub workspaces: Vec<WorkspaceStatus>,
    /// Bumped on every change the caches apply and on a switch of workspace; a view
    /// refreshes when it moves.
    pub data_version: u64,
    pub account: Account,
    /// Actors that are not running now (restarting after a failure, or given up on), as
    /// "SyncActor (team)": the windows say the runtime is unavailable meanwhile.
    pub unavailable: Vec<String>,
    /// A sign-out whose sign-in the desktop keyring has not removed yet, in words.
    pub sign_out_unfinished: Option<String>,
    /// Whether the palette learns what is picked for what is typed, on this device.
    pub learning: bool,
}

impl Default for RuntimeStatus {
    fn default() -> Self {
        Self {
            library: LibraryStatus::default(),
            active_space: String::new(),
            workspaces: Vec::new(),
            data_version: 0,
            account: Account::NotNeeded,
            unavailable: Vec::new(),
            sign_out_unfinished: None,
            learning: true,
        }
    }
}

/// Reading `status.pending` means the active workspace's.
impl std::ops::Deref for RuntimeStatus {
    type Target = LibraryStatus;

    fn deref(&self) -> &LibraryStatus {
        &self.library
    }
}

impl RuntimeStatus {
    /// Whether every workspace has its library loaded.
    pub fn all_loaded(&self) -> bool {
        self.workspaces.iter().all(|w| w.library.loaded)
    }

    /// Makes `space` the active workspace; false if there is none by that name.
    pub(crate) fn activate(&mut self, space: &str) -> bool {
        let Some(workspace) = self.workspaces.iter().find(|w| w.space == space) else {
            return false;
        };
        self.library = workspace.library.clone();
        self.active_space = space.to_owned();
        self.data_version += 1;
        true
    }

    /// Lists exactly `spaces`, in that order, keeping what is known of those already listed.
    pub(crate) fn set_workspaces(&mut self, spaces: &[String]) {
        let mut known = std::mem::take(&mut self.workspaces);
        self.workspaces = spaces
            .iter()
            .map(|space| match known.iter().position(|w| &w.space == space) {
                Some(at) => known.swap_remove(at),
                None => WorkspaceStatus { space: space.clone(), library: LibraryStatus::default() },
            })
            .collect();
        let active = self.active_space.clone();
        if !self.activate(&active)
            && let Some(first) = spaces.first()
        {
            self.activate(first);
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

    /// The active workspace's space, without copying the whole status.
    pub fn active_space(&self) -> String {
        self.0.borrow().active_space.clone()
    }

    pub fn subscribe(&self) -> watch::Receiver<RuntimeStatus> {
        self.0.subscribe()
    }

    /// The part of the board that one workspace's actors write.
    pub fn workspace(&self, space: &str) -> WorkspaceBoard {
        WorkspaceBoard { board: self.clone(), space: space.into() }
    }
}

/// One workspace's library status on the board; what its cache, queue and sync write.
#[derive(Clone)]
pub struct WorkspaceBoard {
    board: StatusBoard,
    space: Arc<str>,
}

impl WorkspaceBoard {
    /// Whether the palette learns on this device.
    pub fn learning(&self) -> bool {
        self.board.0.borrow().learning
    }

    /// Whether what the palette learns in this workspace syncs.
    pub fn learning_syncs(&self) -> bool {
        let status = self.board.0.borrow();
        status.workspaces.iter().any(|w| *w.space == *self.space && w.library.learning_syncs)
    }

    pub fn update(&self, change: impl FnOnce(&mut LibraryStatus)) {
        self.update_data(|library, _| change(library));
    }

    /// As [`update`](Self::update), for a change views must redraw for: the data version
    /// moves in the same notification.
    pub fn update_data(&self, change: impl FnOnce(&mut LibraryStatus, &mut u64)) {
        let space = &*self.space;
        self.board.update(|status| {
            let active = status.active_space == space;
            let mut version = status.data_version;
            // A workspace removed meanwhile has nowhere to write; its actors are stopping.
            let listed = status.workspaces.iter_mut().find(|w| &*w.space == space);
            if let Some(workspace) = listed {
                change(&mut workspace.library, &mut version);
                if active {
                    status.library = workspace.library.clone();
                }
            }
            status.data_version = version;
        });
    }
}

/// How one supervised actor is doing.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChildHealth {
    pub name: String,
    /// The workspace of a per-workspace actor.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub space: Option<String>,
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

impl CacheStats {
    /// Two workspaces' counters together.
    pub fn plus(self, other: CacheStats) -> CacheStats {
        CacheStats {
            hits: self.hits + other.hits,
            misses: self.misses + other.misses,
            indexed: self.indexed + other.indexed,
            cached_bodies: self.cached_bodies + other.cached_bodies,
        }
    }
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
    /// Tasks alive on the async runtime: a number that must not creep up over a day.
    pub tasks: Option<usize>,
}

/// The resident set size of this process, from `/proc/self/statm`.
pub fn process_rss_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

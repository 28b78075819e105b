//! Starting the tree, and the cheap cloneable handle every window, CLI call and hotkey uses.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use promptdeck_protocol::{
    CreatePrompt, DeletePrompt, MarkPromptUsed, Mutation, Prompt, PromptId, UpdatePrompt,
    now_millis,
};
use promptdeck_storage::{OpenReport, Replica, StoreError, history};
use ractor::rpc::CallResult;
use ractor::{Actor, ActorRef, RpcReplyPort};
use tokio::sync::{Semaphore, watch};

use crate::auth::{AuthConfig, AuthError, AuthMsg};
use crate::cache::CacheMsg;
use crate::error::RequestError;
use crate::names::Names;
use crate::queue::{FieldValues, MutationReceipt, Origin, QueueMsg, Ticket};
use crate::search::SearchHit;
use crate::status::{CacheStats, Health, RuntimeStatus, StatusBoard, process_rss_bytes};
use crate::supervisor::{Supervisor, SupervisorArgs, SupervisorMsg, SyncSetup};
use crate::sync::{SyncConfig, SyncMsg};
use crate::workspace::{
    DEFAULT_SPACE, Scope, Workspace, WorkspaceConfig, WorkspaceError, check_workspaces,
};

/// Longest a caller waits for an answer; a write includes an fsync.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// More time a batch gets per mutation (an import of 100k prompts: 20 s more).
const PER_MUTATION: Duration = Duration::from_micros(200);
/// Longest `sync_now` waits: a round may pull a large library.
const SYNC_TIMEOUT: Duration = Duration::from_secs(120);
/// Longest `wait_for_sign_in` waits: a little more than a sign-in may take.
const SIGN_IN_TIMEOUT: Duration =
    AuthConfig::DEFAULT_SIGN_IN_TIMEOUT.saturating_add(Duration::from_secs(30));

pub struct RuntimeConfig {
    /// The first workspace's library; it syncs as `sync`'s space (or [`DEFAULT_SPACE`]).
    pub library_path: PathBuf,
    /// More workspaces beside the first, each a space of the same server and account.
    pub more_workspaces: Vec<WorkspaceConfig>,
    /// The workspace active at start; the first when `None` or not listed.
    pub active_space: Option<String>,
    /// Requests admitted at once; one more gets [`RequestError::Busy`].
    pub queue_capacity: usize,
    /// The server to sync with; `None` keeps the library on this device.
    pub sync: Option<SyncConfig>,
    /// How sync signs in, when it signs in through a provider rather than a fixed token.
    pub auth: Option<AuthConfig>,
    /// The wait before a failed actor's first restart; it doubles with each failure.
    pub restart_backoff: Duration,
    /// How much of each prompt's history every workspace keeps.
    pub keep_history: history::Keep,
    /// Whether the palette learns what is picked for what is typed (off: what this device
    /// learned is forgotten at start).
    pub learning: bool,
}

impl RuntimeConfig {
    pub const DEFAULT_QUEUE_CAPACITY: usize = 1024;

    pub fn new(library_path: impl Into<PathBuf>) -> Self {
        Self {
            library_path: library_path.into(),
            more_workspaces: Vec::new(),
            active_space: None,
            queue_capacity: Self::DEFAULT_QUEUE_CAPACITY,
            sync: None,
            auth: None,
            restart_backoff: SupervisorArgs::FIRST_BACKOFF,
            keep_history: history::Keep::default(),
            learning: true,
        }
    }

    /// Every workspace, the first one first.
    pub fn workspaces(&self) -> Vec<WorkspaceConfig> {
        let space = self.sync.as_ref().map_or(DEFAULT_SPACE, |s| s.space.as_str());
        let first =
            WorkspaceConfig { space: space.to_owned(), library_path: self.library_path.clone() };
        std::iter::once(first).chain(self.more_workspaces.iter().cloned()).collect()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Workspaces(#[from] WorkspaceError),
    #[error("the runtime could not start: {0}")]
    Spawn(String),
}

/// The running tree. Dropping it leaves the actors running; call [`Runtime::shutdown`].
pub struct Runtime {
    handle: RuntimeHandle,
    supervisor: ActorRef<SupervisorMsg>,
    open_report: OpenReport,
    /// Every workspace's store as opened at start, to wait for them to close.
    replicas: Vec<Weak<Replica>>,
}

impl Runtime {
    /// Opens the library and starts the tree; returns once the library is in memory.
    pub async fn start(config: RuntimeConfig) -> Result<Self, StartError> {
        let configs = config.workspaces();
        check_workspaces(&configs, config.sync.as_ref())?;
        let path = config.library_path.clone();
        let (replica, open_report) = tokio::task::spawn_blocking(move || Replica::open(path))
            .await
            .map_err(|e| StartError::Spawn(e.to_string()))??;
        replica.keep_history(config.keep_history);
        let replica = Arc::new(replica);
        let mut workspaces = vec![Workspace { space: configs[0].space.clone(), replica }];
        for more in &configs[1..] {
            let path = more.library_path.clone();
            let replica = Workspace::open_store(path, config.keep_history).await?;
            workspaces.push(Workspace { space: more.space.clone(), replica: Arc::new(replica) });
        }
        let replicas = workspaces.iter().map(|w| Arc::downgrade(&w.replica)).collect();
        let names = Names::new();
        let status = StatusBoard::new(RuntimeStatus {
            learning: config.learning,
            ..RuntimeStatus::default()
        });
        let spaces: Vec<String> = configs.iter().map(|c| c.space.clone()).collect();
        status.update(|s| {
            s.set_workspaces(&spaces);
            if let Some(active) = &config.active_space {
                s.activate(active);
            }
        });
        let args = SupervisorArgs {
            workspaces,
            status: status.clone(),
            names: names.clone(),
            sync: config.sync,
            auth: config.auth,
            first_backoff: config.restart_backoff,
            keep_history: config.keep_history,
        };
        let (supervisor, _) = Actor::spawn(Some(names.supervisor()), Supervisor, args)
            .await
            .map_err(|e| StartError::Spawn(e.to_string()))?;
        let shared = Arc::new(Shared {
            names,
            status,
            permits: Arc::new(Semaphore::new(config.queue_capacity)),
            capacity: config.queue_capacity,
            next_request: AtomicU64::new(1),
        });
        let handle = RuntimeHandle { shared, space: None };
        Ok(Self { handle, supervisor, open_report, replicas })
    }

    pub fn handle(&self) -> RuntimeHandle {
        self.handle.clone()
    }

    /// What opening the first workspace's library had to do (a damaged file moved aside, say).
    pub fn open_report(&self) -> &OpenReport {
        &self.open_report
    }

    /// Stops every actor and waits until the library file is closed, so the same profile
    /// can be opened again as soon as this returns.
    pub async fn shutdown(self) {
        let timeout = Some(Duration::from_secs(5));
        let _ = self.supervisor.call(SupervisorMsg::StopChildren, timeout).await;
        let _ = self.supervisor.stop_and_wait(None, timeout).await;
        drop(self.handle);
        // A store task already running on the blocking pool may hold the last reference
        // for a moment; it finishes on its own.
        let closed = tokio::time::timeout(Duration::from_secs(5), async {
            while self.replicas.iter().any(|r| r.strong_count() > 0) {
                tokio::task::yield_now().await;
            }
        });
        if closed.await.is_err() {
            tracing::warn!("the library file is still held after shutdown");
        }
    }
}

struct Shared {
    names: Names,
    status: StatusBoard,
    permits: Arc<Semaphore>,
    capacity: usize,
    next_request: AtomicU64,
}

/// What a new prompt starts with.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PromptDraft {
    pub title: String,
    pub body: String,
    pub tags: Vec<String>,
}

/// A cheap, cloneable door to the runtime with plain async methods. It works on the active
/// workspace, or on the one [`in_space`](Self::in_space) named.
#[derive(Clone)]
pub struct RuntimeHandle {
    shared: Arc<Shared>,
    /// The workspace this handle works on; `None` follows the active one.
    space: Option<Arc<str>>,
}

impl RuntimeHandle {
    /// A handle that works on the workspace syncing as `space`; an empty `space` means
    /// the active one (as a [`PromptSummary`](promptdeck_protocol::PromptSummary) from a
    /// one-workspace list says).
    pub fn in_space(&self, space: &str) -> RuntimeHandle {
        let space = (!space.is_empty()).then(|| Arc::from(space));
        RuntimeHandle { shared: self.shared.clone(), space }
    }

    /// Makes `space` the active workspace. Its library is already in memory: the next
    /// search answers from it at once.
    pub fn switch_to(&self, space: &str) -> Result<(), RequestError> {
        let mut switched = false;
        self.shared.status.update(|s| switched = s.active_space == space || s.activate(space));
        if !switched {
            return Err(RequestError::NoSuchWorkspace(space.to_owned()));
        }
        tracing::info!(space, "switched workspace");
        Ok(())
    }

    /// The best `limit` prompts for `query` in this handle's workspace. A newer search
    /// from the same `origin` makes this one return [`RequestError::Superseded`] if it had
    /// not run yet.
    pub async fn search(
        &self,
        origin: &Origin,
        query: &str,
        limit: usize,
    ) -> Result<Vec<SearchHit>, RequestError> {
        let scope = match &self.space {
            Some(space) => Scope::Space(space.to_string()),
            None => Scope::Active,
        };
        self.search_in(origin, query, limit, scope).await
    }

    /// As [`search`](Self::search), in the workspaces `scope` names. Every hit says its
    /// workspace.
    pub async fn search_in(
        &self,
        origin: &Origin,
        query: &str,
        limit: usize,
        scope: Scope,
    ) -> Result<Vec<SearchHit>, RequestError> {
        let (origin, query) = (origin.clone(), query.to_owned());
        self.ask(|ticket, reply| QueueMsg::Search { ticket, origin, query, limit, scope, reply })
            .await
    }

    pub async fn get(&self, id: &PromptId) -> Result<Option<Arc<Prompt>>, RequestError> {
        let (id, space) = (id.clone(), self.space());
        self.ask(|ticket, reply| QueueMsg::Get { ticket, space, id, reply }).await
    }

    /// Applies a mutation locally; it is durable when this returns `Ok`.
    pub async fn mutate(&self, mutation: Mutation) -> Result<MutationReceipt, RequestError> {
        let space = self.space();
        self.ask(|ticket, reply| QueueMsg::Mutate { ticket, space, mutation, reply }).await
    }

    pub async fn create(&self, draft: PromptDraft) -> Result<MutationReceipt, RequestError> {
        let id = PromptId::parse(ulid::Ulid::new().to_string())
            .map_err(|e| RequestError::Rejected(e.to_string()))?;
        let PromptDraft { title, body, tags } = draft;
        let created_at = now_millis();
        self.mutate(Mutation::CreatePrompt(CreatePrompt { id, title, body, tags, created_at }))
            .await
    }

    pub async fn update(
        &self,
        id: &PromptId,
        draft: PromptDraft,
    ) -> Result<MutationReceipt, RequestError> {
        self.mutate(Mutation::UpdatePrompt(UpdatePrompt {
            id: id.clone(),
            title: Some(draft.title),
            body: Some(draft.body),
            tags: Some(draft.tags),
            updated_at: now_millis(),
        }))
        .await
    }

    /// Applies every mutation or none (an import): one transaction, one sync.
    pub async fn mutate_all(&self, mutations: Vec<Mutation>) -> Result<usize, RequestError> {
        let space = self.space();
        let timeout = REQUEST_TIMEOUT + PER_MUTATION * mutations.len() as u32;
        let build = |ticket, reply| QueueMsg::MutateAll { ticket, space, mutations, reply };
        self.ask_within(timeout, build).await
    }

    /// The values typed into `id`'s fields before, per field, the most recent first (kept
    /// on this device only): the fill-in form offers them first.
    pub async fn field_values(&self, id: &PromptId) -> Result<FieldValues, RequestError> {
        let (id, space) = (id.clone(), self.space());
        self.ask(|ticket, reply| QueueMsg::FieldValues { ticket, space, id, reply }).await
    }

    /// Keeps what was typed into `id`'s fields, (field, value) each.
    pub async fn remember_fields(
        &self,
        id: &PromptId,
        values: Vec<(String, String)>,
    ) -> Result<(), RequestError> {
        let (id, space) = (id.clone(), self.space());
        self.ask(|ticket, reply| QueueMsg::RememberFields { ticket, space, id, values, reply })
            .await
    }

    /// `id` was picked in the palette for `query`: it leads that query's hits, and those of
    /// its start, from now on: on this device, and where the workspace's backend runs
    /// `learnPick` (`status().learning_syncs`), on every device that syncs it.
    pub async fn learn(&self, query: &str, id: &PromptId) -> Result<(), RequestError> {
        let (query, id, space) = (query.to_owned(), id.clone(), self.space());
        self.ask(|ticket, reply| QueueMsg::Learn { ticket, space, query, id, reply }).await
    }

    /// Turns learning on or off on this device. Off forgets every pick the palette learned,
    /// in every workspace, and where they synced, in the space (`forgetLearned`), so no
    /// device ranks by them any more.
    pub async fn set_learning(&self, on: bool) -> Result<(), RequestError> {
        self.ask(|ticket, reply| QueueMsg::SetLearning { ticket, on, reply }).await
    }

    /// Every version of `id` kept, oldest first, the current one last.
    pub async fn history(&self, id: &PromptId) -> Result<Vec<history::Entry>, RequestError> {
        let (id, space) = (id.clone(), self.space());
        self.ask(|ticket, reply| QueueMsg::History { ticket, space, id, reply }).await
    }

    /// The prompts deleted in the last thirty days, the latest first.
    pub async fn recently_deleted(&self) -> Result<Vec<history::Deleted>, RequestError> {
        let space = self.space();
        self.ask(|ticket, reply| QueueMsg::RecentlyDeleted { ticket, space, reply }).await
    }

    /// Makes `version` of `id` current again (by default its last before the current one),
    /// or brings a deleted prompt back, through an ordinary edit that syncs like any.
    pub async fn restore(
        &self,
        id: &PromptId,
        version: Option<u64>,
    ) -> Result<MutationReceipt, RequestError> {
        let (id, space) = (id.clone(), self.space());
        self.ask(|ticket, reply| QueueMsg::Restore { ticket, space, id, version, reply }).await
    }

    /// Every prompt in full (an export).
    pub async fn all_prompts(&self) -> Result<Vec<Prompt>, RequestError> {
        let space = self.space();
        self.ask(|ticket, reply| QueueMsg::All { ticket, space, reply }).await
    }

    fn space(&self) -> Option<String> {
        self.space.as_deref().map(str::to_owned)
    }

    pub async fn delete(&self, id: &PromptId) -> Result<MutationReceipt, RequestError> {
        self.mutate(Mutation::DeletePrompt(DeletePrompt { id: id.clone() })).await
    }

    /// Pins the prompt to the top of the palette, or unpins it: its `pinned` tag comes or
    /// goes, and nothing else of it changes.
    pub async fn toggle_pin(&self, id: &PromptId) -> Result<MutationReceipt, RequestError> {
        let (id, space) = (id.clone(), self.space());
        self.ask(|ticket, reply| QueueMsg::TogglePin { ticket, space, id, reply }).await
    }

    pub async fn mark_used(&self, id: &PromptId) -> Result<MutationReceipt, RequestError> {
        self.mutate(Mutation::MarkPromptUsed(MarkPromptUsed { id: id.clone(), at: now_millis() }))
            .await
    }

    /// Runs a sync round now in this handle's workspace, or in every workspace for a
    /// handle that follows the active one, and waits for the outcome.
    pub async fn sync_now(&self) -> Result<(), RequestError> {
        let spaces = match &self.space {
            Some(space) => vec![space.to_string()],
            None => self.status().workspaces.into_iter().map(|w| w.space).collect(),
        };
        let rounds = spaces.iter().map(|space| self.sync_space(space));
        let failed = futures_util::future::join_all(rounds).await.into_iter().find(Result::is_err);
        failed.unwrap_or(Ok(()))
    }

    async fn sync_space(&self, space: &str) -> Result<(), RequestError> {
        let sync: ActorRef<SyncMsg> = ActorRef::where_is(self.shared.names.sync(space))
            .ok_or_else(|| {
                RequestError::Unavailable(format!("the SyncActor of {space} is restarting"))
            })?;
        let several = self.shared.status.current().workspaces.len() > 1;
        let outcome = match sync.call(SyncMsg::SyncNow, Some(SYNC_TIMEOUT)).await? {
            CallResult::Success(outcome) => outcome,
            CallResult::Timeout => {
                Err(RequestError::Unavailable("the sync round did not finish in time".into()))
            }
            CallResult::SenderError => {
                Err(RequestError::Unavailable("the sync round was dropped by a restart".into()))
            }
        };
        outcome.map_err(|e| match e {
            RequestError::Sync { error, .. } if several => {
                RequestError::Sync { space: Some(space.to_owned()), error }
            }
            other => other,
        })
    }

    /// Starts a sign-in in the browser, or joins the one under way; returns the URL it
    /// opened, for the user to open by hand if no browser came up.
    pub async fn sign_in(&self) -> Result<String, RequestError> {
        self.ask_auth(AuthMsg::SignIn, REQUEST_TIMEOUT).await
    }

    /// Waits for the sign-in under way to end (at most the sign-in timeout).
    /// Says where the sign-in is kept (the keyring, or a private file).
    pub async fn wait_for_sign_in(&self) -> Result<String, RequestError> {
        self.ask_auth(AuthMsg::AwaitSignIn, SIGN_IN_TIMEOUT).await
    }

    pub async fn cancel_sign_in(&self) -> Result<(), RequestError> {
        self.auth()?.cast(AuthMsg::CancelSignIn).map_err(RequestError::from)
    }

    /// Forgets the tokens and stops sync; the library stays on this device.
    pub async fn sign_out(&self) -> Result<crate::SignedOut, RequestError> {
        self.ask_auth(AuthMsg::SignOut, REQUEST_TIMEOUT).await
    }

    fn auth(&self) -> Result<ActorRef<AuthMsg>, RequestError> {
        ActorRef::where_is(self.shared.names.auth())
            .ok_or_else(|| RequestError::Unavailable("the AuthActor is restarting".into()))
    }

    async fn ask_auth<T: Send + 'static>(
        &self,
        message: impl FnOnce(RpcReplyPort<Result<T, AuthError>>) -> AuthMsg,
        timeout: Duration,
    ) -> Result<T, RequestError> {
        match self.auth()?.call(message, Some(timeout)).await? {
            CallResult::Success(outcome) => outcome.map_err(RequestError::from),
            CallResult::Timeout => Err(RequestError::Unavailable("no answer in time".into())),
            CallResult::SenderError => {
                Err(RequestError::Unavailable("the sign-in was dropped by a restart".into()))
            }
        }
    }

    /// Syncs from now on with `sync` (signing in as `auth` says), or not at all, keeping
    /// the workspaces as they are: the settings changed. Every library and waiting change
    /// stays.
    pub async fn reconfigure_sync(
        &self,
        sync: Option<SyncConfig>,
        auth: Option<AuthConfig>,
    ) -> Result<(), RequestError> {
        self.reconfigure_tree(SyncSetup { workspaces: None, sync, auth }).await
    }

    /// Runs from now on with `workspaces` (the first one first), syncing with `sync`
    /// (signing in as `auth` says) or not at all. Workspaces still listed keep their
    /// library in memory; new ones are opened; the active one stays active if still listed.
    pub async fn reconfigure(
        &self,
        workspaces: Vec<WorkspaceConfig>,
        sync: Option<SyncConfig>,
        auth: Option<AuthConfig>,
    ) -> Result<(), RequestError> {
        self.reconfigure_tree(SyncSetup { workspaces: Some(workspaces), sync, auth }).await
    }

    async fn reconfigure_tree(&self, setup: SyncSetup) -> Result<(), RequestError> {
        let supervisor: ActorRef<SupervisorMsg> =
            ActorRef::where_is(self.shared.names.supervisor())
                .ok_or_else(|| RequestError::Unavailable("the runtime is stopping".into()))?;
        let setup = Box::new(setup);
        let asked = supervisor
            .call(|reply| SupervisorMsg::Reconfigure(setup, reply), Some(REQUEST_TIMEOUT))
            .await?;
        match asked {
            CallResult::Success(outcome) => outcome,
            _ => Err(RequestError::Unavailable("sync was not reconfigured in time".into())),
        }
    }

    pub fn status(&self) -> RuntimeStatus {
        self.shared.status.current()
    }

    /// Every status change, for a window's or the tray's subscription.
    pub fn subscribe(&self) -> watch::Receiver<RuntimeStatus> {
        self.shared.status.subscribe()
    }

    /// Requests admitted and not yet answered.
    pub fn queue_depth(&self) -> usize {
        self.shared.capacity - self.shared.permits.available_permits()
    }

    pub async fn health(&self) -> Health {
        let supervisor: Option<ActorRef<SupervisorMsg>> =
            ActorRef::where_is(self.shared.names.supervisor());
        let actors = match supervisor {
            Some(s) => match s.call(SupervisorMsg::Health, Some(REQUEST_TIMEOUT)).await {
                Ok(CallResult::Success(actors)) => actors,
                _ => Vec::new(),
            },
            None => Vec::new(),
        };
        let status = self.status();
        let mut cache: Option<CacheStats> = None;
        for workspace in &status.workspaces {
            let found: Option<ActorRef<CacheMsg>> =
                ActorRef::where_is(self.shared.names.cache(&workspace.space));
            let Some(found) = found else { continue };
            if let Ok(CallResult::Success(stats)) =
                found.call(CacheMsg::Stats, Some(REQUEST_TIMEOUT)).await
            {
                cache = Some(cache.unwrap_or_default().plus(stats));
            }
        }
        Health {
            status,
            actors,
            cache,
            queue_depth: self.queue_depth(),
            queue_capacity: self.shared.capacity,
            rss_bytes: process_rss_bytes(),
            tasks: tokio::runtime::Handle::try_current()
                .ok()
                .map(|tokio| tokio.metrics().num_alive_tasks()),
        }
    }

    #[cfg(test)]
    pub(crate) fn names(&self) -> &Names {
        &self.shared.names
    }

    fn ticket(&self) -> Result<Ticket, RequestError> {
        let permit = self
            .shared
            .permits
            .clone()
            .try_acquire_owned()
            .map_err(|_| RequestError::Busy { capacity: self.shared.capacity })?;
        Ok(Ticket { id: self.shared.next_request.fetch_add(1, Ordering::Relaxed), _permit: permit })
    }

    async fn ask<T: Send + 'static>(
        &self,
        build: impl FnOnce(Ticket, RpcReplyPort<Result<T, RequestError>>) -> QueueMsg,
    ) -> Result<T, RequestError> {
        self.ask_within(REQUEST_TIMEOUT, build).await
    }

    async fn ask_within<T: Send + 'static>(
        &self,
        timeout: Duration,
        build: impl FnOnce(Ticket, RpcReplyPort<Result<T, RequestError>>) -> QueueMsg,
    ) -> Result<T, RequestError> {
        let ticket = self.ticket()?;
        let queue: ActorRef<QueueMsg> = ActorRef::where_is(self.shared.names.queue())
            .ok_or_else(|| RequestError::Unavailable("the request queue is restarting".into()))?;
        match queue.call(|reply| build(ticket, reply), Some(timeout)).await? {
            CallResult::Success(answer) => answer,
            CallResult::Timeout => Err(RequestError::Unavailable("no answer in time".into())),
            CallResult::SenderError => {
                Err(RequestError::Unavailable("the request was dropped by a restart".into()))
            }
        }
    }
}

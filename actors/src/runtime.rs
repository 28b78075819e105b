//! Starting the tree, and the cheap cloneable handle every window, CLI call and hotkey uses.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use promptdeck_protocol::{
    CreatePrompt, DeletePrompt, MarkPromptUsed, Mutation, Prompt, PromptId, UpdatePrompt,
    now_millis,
};
use promptdeck_storage::{OpenReport, Replica, StoreError};
use ractor::rpc::CallResult;
use ractor::{Actor, ActorRef, RpcReplyPort};
use tokio::sync::{Semaphore, watch};

use crate::auth::{AuthConfig, AuthError, AuthMsg};
use crate::error::RequestError;
use crate::names::Names;
use crate::queue::{MutationReceipt, Origin, QueueMsg, Ticket};
use crate::search::SearchHit;
use crate::status::{Health, RuntimeStatus, StatusBoard, process_rss_bytes};
use crate::supervisor::{Supervisor, SupervisorArgs, SupervisorMsg, SyncSetup};
use crate::sync::{SyncConfig, SyncMsg};

/// Longest a caller waits for an answer; a write includes an fsync.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest `sync_now` waits: a round may pull a large library.
const SYNC_TIMEOUT: Duration = Duration::from_secs(120);
/// Longest `wait_for_sign_in` waits: a little more than a sign-in may take.
const SIGN_IN_TIMEOUT: Duration =
    AuthConfig::DEFAULT_SIGN_IN_TIMEOUT.saturating_add(Duration::from_secs(30));

pub struct RuntimeConfig {
    pub library_path: PathBuf,
    /// Requests admitted at once; one more gets [`RequestError::Busy`].
    pub queue_capacity: usize,
    /// The server to sync with; `None` keeps the library on this device.
    pub sync: Option<SyncConfig>,
    /// How sync signs in, when it signs in through a provider rather than a fixed token.
    pub auth: Option<AuthConfig>,
}

impl RuntimeConfig {
    pub const DEFAULT_QUEUE_CAPACITY: usize = 1024;

    pub fn new(library_path: impl Into<PathBuf>) -> Self {
        Self {
            library_path: library_path.into(),
            queue_capacity: Self::DEFAULT_QUEUE_CAPACITY,
            sync: None,
            auth: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the runtime could not start: {0}")]
    Spawn(String),
}

/// The running tree. Dropping it leaves the actors running; call [`Runtime::shutdown`].
pub struct Runtime {
    handle: RuntimeHandle,
    supervisor: ActorRef<SupervisorMsg>,
    open_report: OpenReport,
    replica: Weak<Replica>,
}

impl Runtime {
    /// Opens the library and starts the tree; returns once the library is in memory.
    pub async fn start(config: RuntimeConfig) -> Result<Self, StartError> {
        let path = config.library_path.clone();
        let (replica, open_report) = tokio::task::spawn_blocking(move || Replica::open(path))
            .await
            .map_err(|e| StartError::Spawn(e.to_string()))??;
        let names = Names::new();
        let status = StatusBoard::new(RuntimeStatus::default());
        let replica = Arc::new(replica);
        let weak_replica = Arc::downgrade(&replica);
        let args = SupervisorArgs {
            replica,
            status: status.clone(),
            names: names.clone(),
            sync: config.sync,
            auth: config.auth,
        };
        let (supervisor, _) = Actor::spawn(Some(names.supervisor()), Supervisor, args)
            .await
            .map_err(|e| StartError::Spawn(e.to_string()))?;
        let handle = RuntimeHandle(Arc::new(Shared {
            names,
            status,
            permits: Arc::new(Semaphore::new(config.queue_capacity)),
            capacity: config.queue_capacity,
            next_request: AtomicU64::new(1),
        }));
        Ok(Self { handle, supervisor, open_report, replica: weak_replica })
    }

    pub fn handle(&self) -> RuntimeHandle {
        self.handle.clone()
    }

    /// What opening the library had to do (a damaged file moved aside, say).
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
            while self.replica.strong_count() > 0 {
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

/// A cheap, cloneable door to the runtime with plain async methods.
#[derive(Clone)]
pub struct RuntimeHandle(Arc<Shared>);

impl RuntimeHandle {
    /// The best `limit` prompts for `query`. A newer search from the same `origin` makes
    /// this one return [`RequestError::Superseded`] if it had not run yet.
    pub async fn search(
        &self,
        origin: &Origin,
        query: &str,
        limit: usize,
    ) -> Result<Vec<SearchHit>, RequestError> {
        let (origin, query) = (origin.clone(), query.to_owned());
        self.ask(|ticket, reply| QueueMsg::Search { ticket, origin, query, limit, reply }).await
    }

    pub async fn get(&self, id: &PromptId) -> Result<Option<Arc<Prompt>>, RequestError> {
        let id = id.clone();
        self.ask(|ticket, reply| QueueMsg::Get { ticket, id, reply }).await
    }

    /// Applies a mutation locally; it is durable when this returns `Ok`.
    pub async fn mutate(&self, mutation: Mutation) -> Result<MutationReceipt, RequestError> {
        self.ask(|ticket, reply| QueueMsg::Mutate { ticket, mutation, reply }).await
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
        self.ask(|ticket, reply| QueueMsg::MutateAll { ticket, mutations, reply }).await
    }

    /// Every prompt in full (an export).
    pub async fn all_prompts(&self) -> Result<Vec<Prompt>, RequestError> {
        self.ask(|ticket, reply| QueueMsg::All { ticket, reply }).await
    }

    pub async fn delete(&self, id: &PromptId) -> Result<MutationReceipt, RequestError> {
        self.mutate(Mutation::DeletePrompt(DeletePrompt { id: id.clone() })).await
    }

    pub async fn mark_used(&self, id: &PromptId) -> Result<MutationReceipt, RequestError> {
        self.mutate(Mutation::MarkPromptUsed(MarkPromptUsed { id: id.clone(), at: now_millis() }))
            .await
    }

    /// Runs a sync round now and waits for its outcome.
    pub async fn sync_now(&self) -> Result<(), RequestError> {
        let sync: ActorRef<SyncMsg> = ActorRef::where_is(self.0.names.sync()).ok_or_else(|| {
            RequestError::Rejected("no sync server is configured; start with --server URL, or with --push-url and --pull-url for your own Replicache backend".into())
        })?;
        match sync.call(SyncMsg::SyncNow, Some(SYNC_TIMEOUT)).await? {
            CallResult::Success(outcome) => outcome.map_err(RequestError::Unavailable),
            _ => Err(RequestError::Unavailable("the sync round did not finish in time".into())),
        }
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
    pub async fn sign_out(&self) -> Result<(), RequestError> {
        self.ask_auth(AuthMsg::SignOut, REQUEST_TIMEOUT).await
    }

    fn auth(&self) -> Result<ActorRef<AuthMsg>, RequestError> {
        ActorRef::where_is(self.0.names.auth()).ok_or_else(|| {
            RequestError::Rejected(
                "this profile does not sign in: it syncs with a fixed token, with a server that needs none, or not at all".into(),
            )
        })
    }

    async fn ask_auth<T: Send + 'static>(
        &self,
        message: impl FnOnce(RpcReplyPort<Result<T, AuthError>>) -> AuthMsg,
        timeout: Duration,
    ) -> Result<T, RequestError> {
        match self.auth()?.call(message, Some(timeout)).await? {
            CallResult::Success(outcome) => {
                outcome.map_err(|e| RequestError::Rejected(e.to_string()))
            }
            CallResult::Timeout => Err(RequestError::Unavailable("no answer in time".into())),
            CallResult::SenderError => {
                Err(RequestError::Unavailable("the sign-in was dropped by a restart".into()))
            }
        }
    }

    /// Syncs from now on with `sync` (signing in as `auth` says), or not at all: the
    /// settings changed. The library and every waiting change stay.
    pub async fn reconfigure_sync(
        &self,
        sync: Option<SyncConfig>,
        auth: Option<AuthConfig>,
    ) -> Result<(), RequestError> {
        let supervisor: ActorRef<SupervisorMsg> = ActorRef::where_is(self.0.names.supervisor())
            .ok_or_else(|| RequestError::Unavailable("the runtime is stopping".into()))?;
        let asked = supervisor
            .call(
                |reply| SupervisorMsg::Reconfigure(Box::new(SyncSetup { sync, auth }), reply),
                Some(REQUEST_TIMEOUT),
            )
            .await?;
        match asked {
            CallResult::Success(outcome) => outcome.map_err(RequestError::Unavailable),
            _ => Err(RequestError::Unavailable("sync was not reconfigured in time".into())),
        }
    }

    pub fn status(&self) -> RuntimeStatus {
        self.0.status.current()
    }

    /// Every status change, for a window's or the tray's subscription.
    pub fn subscribe(&self) -> watch::Receiver<RuntimeStatus> {
        self.0.status.subscribe()
    }

    /// Requests admitted and not yet answered.
    pub fn queue_depth(&self) -> usize {
        self.0.capacity - self.0.permits.available_permits()
    }

    pub async fn health(&self) -> Health {
        let supervisor: Option<ActorRef<SupervisorMsg>> =
            ActorRef::where_is(self.0.names.supervisor());
        let actors = match supervisor {
            Some(s) => match s.call(SupervisorMsg::Health, Some(REQUEST_TIMEOUT)).await {
                Ok(CallResult::Success(actors)) => actors,
                _ => Vec::new(),
            },
            None => Vec::new(),
        };
        let cache: Option<ActorRef<crate::cache::CacheMsg>> =
            ActorRef::where_is(self.0.names.cache());
        let cache = match cache {
            Some(c) => match c.call(crate::cache::CacheMsg::Stats, Some(REQUEST_TIMEOUT)).await {
                Ok(CallResult::Success(stats)) => Some(stats),
                _ => None,
            },
            None => None,
        };
        Health {
            status: self.status(),
            actors,
            cache,
            queue_depth: self.queue_depth(),
            queue_capacity: self.0.capacity,
            rss_bytes: process_rss_bytes(),
        }
    }

    #[cfg(test)]
    pub(crate) fn names(&self) -> &Names {
        &self.0.names
    }

    fn ticket(&self) -> Result<Ticket, RequestError> {
        let permit = self
            .0
            .permits
            .clone()
            .try_acquire_owned()
            .map_err(|_| RequestError::Busy { capacity: self.0.capacity })?;
        Ok(Ticket { id: self.0.next_request.fetch_add(1, Ordering::Relaxed), _permit: permit })
    }

    async fn ask<T: Send + 'static>(
        &self,
        build: impl FnOnce(Ticket, RpcReplyPort<Result<T, RequestError>>) -> QueueMsg,
    ) -> Result<T, RequestError> {
        let ticket = self.ticket()?;
        let queue: ActorRef<QueueMsg> = ActorRef::where_is(self.0.names.queue())
            .ok_or_else(|| RequestError::Unavailable("the request queue is restarting".into()))?;
        match queue.call(|reply| build(ticket, reply), Some(REQUEST_TIMEOUT)).await? {
            CallResult::Success(answer) => answer,
            CallResult::Timeout => Err(RequestError::Unavailable("no answer in time".into())),
            CallResult::SenderError => {
                Err(RequestError::Unavailable("the request was dropped by a restart".into()))
            }
        }
    }
}

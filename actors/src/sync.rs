//! SyncActor: keeps the replica in step with the server. A round pushes what is pending,
//! then pulls and applies the answer (patch, acknowledgements, rebase) in one store
//! transaction. Rounds run on a local write, a poke, a reconnect, `promptdeck sync`, and a
//! slow timer; triggers that arrive during a round coalesce into one more round. Failures
//! back off exponentially with jitter and reset on success.

pub(crate) mod client;
mod config;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use promptdeck_protocol::now_millis;
use promptdeck_storage::{Replica, StoreError};
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use tokio::task::JoinHandle;

pub use client::RoundError;
pub use config::{Endpoints, SyncConfig, SyncConfigError};

use crate::cache::{APPLY_TIME_PER_CHANGE, CacheMsg};
use crate::error::RequestError;
use crate::names::Names;
use crate::status::{SyncStatus, WorkspaceBoard};
use client::SyncClient;

const FIRST_RETRY: Duration = Duration::from_millis(500);
/// After an outage, nobody should wait longer than this for sync to try again.
const MAX_RETRY: Duration = Duration::from_secs(30);
/// How long a round waits for the cache to show what it pulled, before the per-change time.
const CACHE_WAIT: Duration = Duration::from_secs(10);
/// Bytes of one poke-stream line kept; a poke is a short `data:` line.
const MAX_POKE_LINE: usize = 256;

pub enum SyncMsg {
    /// Something may need syncing (a write, a poke, a timer). Coalesced. No reply.
    Nudge,
    /// Runs a round now; sent by the actor to itself. No reply.
    Round,
    /// Reply: the outcome of the next complete round; [`RequestError::NoSync`] at once
    /// where no server is configured.
    SyncNow(RpcReplyPort<Result<(), RequestError>>),
    /// Syncs from now on with `config` (tokens from the AuthActor when `signs_in`), or not
    /// at all. Reply: once the new backend is in use, or why it cannot be.
    Configure { link: Option<Box<LinkConfig>>, reply: RpcReplyPort<Result<(), RequestError>> },
    /// Fails the actor, as a bug would, so tests can watch the supervisor restart it.
    #[cfg(test)]
    Fail,
}

/// The backend a workspace syncs with, and how it gets its tokens.
#[derive(Clone)]
pub struct LinkConfig {
    pub config: SyncConfig,
    /// Tokens come from the AuthActor rather than the config.
    pub signs_in: bool,
}

pub struct SyncActor;

pub struct SyncArgs {
    pub replica: Arc<Replica>,
    pub status: WorkspaceBoard,
    pub names: Names,
    /// The workspace's space, whose cache hears of pulled changes.
    pub space: String,
    /// `None` keeps the library on this device: the actor idles.
    pub link: Option<LinkConfig>,
}

/// A live connection to a backend: its client, its poke listener and its poll timer.
struct Link {
    client: Arc<SyncClient>,
    /// The poke stream's listener, when the backend has one.
    pokes: Option<JoinHandle<()>>,
    timer: JoinHandle<()>,
    /// Asking the backend whether it runs the learning mutators.
    learning: Option<JoinHandle<()>>,
    /// Whether it answered.
    learning_known: Arc<AtomicBool>,
}

impl Link {
    /// Adopts the backend's target (a new one starts a new client group, keeping every
    /// waiting change), then listens for pokes and pulls on a timer.
    async fn open(
        myself: &ActorRef<SyncMsg>,
        replica: &Arc<Replica>,
        names: &Names,
        status: &WorkspaceBoard,
        link: LinkConfig,
    ) -> Result<Self, RequestError> {
        let LinkConfig { config, signs_in } = link;
        let replica = replica.clone();
        let target = config.target();
        let started_over =
            tokio::task::spawn_blocking(move || replica.adopt_target(&target)).await??;
        if started_over {
            tracing::info!(
                space = %config.space,
                "syncing with another server or space: its library replaces this one; waiting changes go there"
            );
        }
        // Pulls on a timer even beside a poke stream, in case a poke was lost.
        let timer = myself.send_interval(config.poll_interval, || SyncMsg::Nudge);
        let has_pokes = config.endpoints.poke.is_some();
        let auth = signs_in.then(|| names.auth());
        let client = SyncClient::new(config, auth)
            .map_err(|e| RequestError::Unavailable(format!("cannot make an HTTP client: {e}")))?;
        let client = Arc::new(client);
        let pokes = has_pokes.then(|| {
            tokio::spawn(listen_for_pokes(client.clone(), myself.clone(), status.clone()))
        });
        Ok(Self { client, pokes, timer, learning: None, learning_known: Arc::default() })
    }

    /// Asks the backend, once a link, whether it runs the learning mutators, after a pull
    /// went through and beside the rounds (an answer slow to come holds no sync up). A
    /// backend that cannot say does not run them; one unreachable now is asked next round.
    fn ask_about_learning(&mut self, status: &WorkspaceBoard) {
        let asking = self.learning.as_ref().is_some_and(|task| !task.is_finished());
        if asking || self.learning_known.load(Ordering::Acquire) {
            return;
        }
        let (client, status, known) =
            (self.client.clone(), status.clone(), self.learning_known.clone());
        self.learning = Some(tokio::spawn(async move {
            let runs = match client.runs_learning().await {
                Err(RoundError::Offline(_)) => return,
                Err(e) => {
                    tracing::warn!(error = %e, "the backend did not say whether it runs learnPick; learning stays on this device");
                    false
                }
                Ok(runs) => runs,
            };
            known.store(true, Ordering::Release);
            status.update(|s| s.learning_syncs = runs);
        }));
    }

    fn close(self) {
        self.pokes.iter().for_each(JoinHandle::abort);
        self.learning.iter().for_each(JoinHandle::abort);
        self.timer.abort();
    }
}

pub struct SyncState {
    replica: Arc<Replica>,
    status: WorkspaceBoard,
    names: Names,
    /// The workspace's space, whose cache hears of pulled changes.
    space: String,
    /// `None` while the library stays on this device.
    link: Option<Link>,
    round_scheduled: bool,
    waiting: Vec<RpcReplyPort<Result<(), RequestError>>>,
    failures: u32,
    offline_since: Option<i64>,
    /// Set when the server needs a newer app: retrying cannot help.
    stopped: bool,
}

impl Actor for SyncActor {
    type Msg = SyncMsg;
    type State = SyncState;
    type Arguments = SyncArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<SyncMsg>,
        args: SyncArgs,
    ) -> Result<SyncState, ActorProcessingErr> {
        let mut state = SyncState {
            replica: args.replica,
            status: args.status,
            names: args.names,
            space: args.space,
            link: None,
            round_scheduled: false,
            waiting: Vec::new(),
            failures: 0,
            offline_since: None,
            stopped: false,
        };
        state.configure(&myself, args.link).await?;
        Ok(state)
    }

    async fn post_stop(
        &self,
        _myself: ActorRef<SyncMsg>,
        state: &mut SyncState,
    ) -> Result<(), ActorProcessingErr> {
        state.link.take().into_iter().for_each(Link::close);
        Ok(())
    }

    async fn handle(
        &self,
        myself: ActorRef<SyncMsg>,
        message: SyncMsg,
        state: &mut SyncState,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            SyncMsg::Nudge => state.schedule(&myself),
            SyncMsg::SyncNow(reply) => {
                state.waiting.push(reply);
                state.schedule(&myself);
            }
            SyncMsg::Round => {
                state.round_scheduled = false;
                let Some(link) = &state.link else { return Ok(()) };
                let client = link.client.clone();
                let span = tracing::info_span!("sync_round");
                let outcome = tracing::Instrument::instrument(state.round(&client), span).await;
                state.settle(&myself, outcome).await;
            }
            SyncMsg::Configure { link, reply } => {
                let _ = reply.send(state.configure(&myself, link.map(|link| *link)).await);
            }
            #[cfg(test)]
            SyncMsg::Fail => return Err("a test failed this SyncActor".into()),
        }
        Ok(())
    }
}

impl SyncState {
    /// Leaves the backend in use, if any, and syncs with `link` from now on, or keeps the
    /// library on this device.
    async fn configure(
        &mut self,
        myself: &ActorRef<SyncMsg>,
        link: Option<LinkConfig>,
    ) -> Result<(), RequestError> {
        self.link.take().into_iter().for_each(Link::close);
        self.failures = 0;
        self.offline_since = None;
        self.stopped = false;
        self.status.update(|s| s.learning_syncs = false);
        let Some(link) = link else {
            self.status.update(|s| {
                s.sync = SyncStatus::LocalOnly;
                s.live_updates = false;
            });
            self.schedule(myself);
            return Ok(());
        };
        let opened = Link::open(myself, &self.replica, &self.names, &self.status, link).await;
        let link = opened.inspect_err(|error| {
            let message = error.to_string();
            self.status.update(|s| s.sync = SyncStatus::Error { message });
        })?;
        self.link = Some(link);
        self.status.update(|s| s.sync = SyncStatus::Idle);
        self.schedule(myself);
        Ok(())
    }

    fn schedule(&mut self, myself: &ActorRef<SyncMsg>) {
        if self.link.is_none() {
            self.waiting.drain(..).for_each(|w| drop(w.send(Err(RequestError::NoSync))));
            return;
        }
        if self.stopped {
            let error = RequestError::Sync { space: None, error: RoundError::UpdateNeeded(None) };
            self.waiting.drain(..).for_each(|w| drop(w.send(Err(error.clone()))));
            return;
        }
        if !self.round_scheduled {
            self.round_scheduled = true;
            let _ = myself.send_message(SyncMsg::Round);
        }
    }

    /// Push, then pull and apply.
    async fn round(&mut self, client: &SyncClient) -> Result<(), RoundError> {
        self.status.update(|s| s.sync = SyncStatus::Syncing);
        let replica = self.replica.clone();
        let (sync, pending) =
            blocking(move || Ok((replica.sync_state()?, replica.pending()?))).await?;
        // A refused push still lets the pull run: its answer may explain (a forgotten client
        // group) and acknowledge what the server did take.
        let pushed = if pending.is_empty() { Ok(()) } else { client.push(&sync, &pending).await };
        if let Err(RoundError::Offline(_) | RoundError::NeedsSignIn | RoundError::UpdateNeeded(_)) =
            &pushed
        {
            return pushed;
        }
        let answer = client.pull(&sync).await?;
        if let Some(link) = &mut self.link {
            link.ask_about_learning(&self.status);
        }
        let replica = self.replica.clone();
        let asked = sync.cookie.clone();
        let (applied, pending) = blocking(move || {
            let applied = replica.apply_pull(&asked, &answer)?;
            Ok((applied, replica.pending_count()?))
        })
        .await?;
        tracing::info!(
            acknowledged = applied.acknowledged,
            changed = applied.changes.0.len(),
            pending,
            "pulled"
        );
        let forgotten = applied.history_forgotten as u64;
        self.status.update(|s| {
            s.pending = pending;
            s.history_forgotten += forgotten;
        });
        if !applied.changes.is_empty()
            && let Some(cache) = ActorRef::<CacheMsg>::where_is(self.names.cache(&self.space))
        {
            // A first pull of a large library is as big a batch as an import.
            let budget = CACHE_WAIT + APPLY_TIME_PER_CHANGE * applied.changes.0.len() as u32;
            let _ = cache
                .call(|reply| CacheMsg::Apply(applied.changes, Some(reply)), Some(budget))
                .await;
        }
        pushed
    }

    /// Turns a round's outcome into status, retries and replies.
    async fn settle(&mut self, myself: &ActorRef<SyncMsg>, outcome: Result<(), RoundError>) {
        let reply = outcome.clone().map_err(|error| RequestError::Sync { space: None, error });
        self.waiting.drain(..).for_each(|w| drop(w.send(reply.clone())));
        match outcome {
            Ok(()) => {
                self.failures = 0;
                self.offline_since = None;
                let now = now_millis();
                self.status.update(|s| {
                    s.sync = SyncStatus::Idle;
                    s.last_synced_at = Some(now);
                });
            }
            Err(RoundError::ClientStateNotFound) => {
                tracing::warn!(
                    "the server forgot this client group; starting a new one, keeping every pending change"
                );
                let replica = self.replica.clone();
                match blocking(move || replica.restart_client_group()).await {
                    Ok(_) => self.schedule(myself),
                    Err(e) => {
                        let message = e.to_string();
                        self.retry_later(myself, |_| SyncStatus::Error { message });
                    }
                }
            }
            Err(RoundError::NeedsSignIn) => {
                self.status.update(|s| s.sync = SyncStatus::NeedsSignIn)
            }
            Err(RoundError::UpdateNeeded(kind)) => {
                tracing::error!(?kind, "the server needs a newer Promptdeck; sync stopped");
                self.stopped = true;
                self.status.update(|s| s.sync = SyncStatus::UpdateNeeded);
            }
            Err(RoundError::Offline(reason)) => {
                tracing::info!(%reason, "offline");
                let since = *self.offline_since.get_or_insert_with(now_millis);
                self.retry_later(myself, |delay| SyncStatus::Offline {
                    since,
                    retry_at: now_millis() + delay.as_millis() as i64,
                });
            }
            Err(RoundError::Server(message)) => {
                tracing::warn!(%message, "sync round failed");
                self.retry_later(myself, |_| SyncStatus::Error { message });
            }
        }
    }

    /// Schedules the next attempt after an exponential, jittered delay, and shows `status`
    /// (made from that same delay).
    fn retry_later(
        &mut self,
        myself: &ActorRef<SyncMsg>,
        status: impl FnOnce(Duration) -> SyncStatus,
    ) {
        let exponent = self.failures.min(16);
        let base = FIRST_RETRY.saturating_mul(1 << exponent).min(MAX_RETRY);
        // Jitter spreads the retries of many clients after an outage.
        let delay = base.mul_f64(0.75 + fastrand::f64() * 0.5);
        self.failures += 1;
        let status = status(delay);
        self.status.update(|s| s.sync = status);
        myself.send_after(delay, || SyncMsg::Nudge);
    }
}

/// Store work off the actor's thread.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, RoundError> {
    match tokio::task::spawn_blocking(work).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(RoundError::Server(e.to_string())),
        Err(e) => Err(RoundError::Server(format!("a store task failed: {e}"))),
    }
}

/// Holds the server's poke stream open, nudging the actor on each poke and on every
/// (re)connect, and reconnecting with backoff. Ends when the actor is gone.
async fn listen_for_pokes(
    client: Arc<SyncClient>,
    actor: ActorRef<SyncMsg>,
    status: WorkspaceBoard,
) {
    let mut failures = 0u32;
    loop {
        if let Ok(response) = client.pokes().await {
            failures = 0;
            status.update(|s| s.live_updates = true);
            if actor.cast(SyncMsg::Nudge).is_err() {
                return;
            }
            let mut stream = response.bytes_stream();
            let mut line = Vec::new();
            let idle = client.poke_idle_timeout();
            // A stream silent for longer than the server's keep-alives is dead, however
            // open its connection looks: it is opened again.
            while let Ok(Some(Ok(chunk))) = tokio::time::timeout(idle, stream.next()).await {
                for byte in chunk {
                    if byte != b'\n' {
                        // Only a line's start matters; an endless line must not grow forever.
                        if line.len() < MAX_POKE_LINE {
                            line.push(byte);
                        }
                        continue;
                    }
                    if line.starts_with(b"data:") && actor.cast(SyncMsg::Nudge).is_err() {
                        return;
                    }
                    line.clear();
                }
            }
            status.update(|s| s.live_updates = false);
        }
        failures = (failures + 1).min(7);
        tokio::time::sleep(FIRST_RETRY * (1 << failures)).await;
        if actor.get_status() == ractor::ActorStatus::Stopped {
            return;
        }
    }
}

//! RequestQueueActor: the one door through which windows, the CLI and hotkeys reach the
//! data. Reads come from the cache (the store when the cache is down); a newer search from
//! the same origin supersedes an older one still queued; writes apply in arrival order.
//! Admission is bounded by the handle's permits, so a flood gets `Busy`, never a hang.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use promptdeck_protocol::{Mutation, Prompt, PromptId, now_millis};
use promptdeck_storage::{Replica, StoreError};
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use tokio::sync::OwnedSemaphorePermit;
use tracing::Instrument;

use crate::cache::CacheMsg;
use crate::error::RequestError;
use crate::names::Names;
use crate::search::{SearchHit, SearchIndex};
use crate::status::StatusBoard;
use crate::sync::SyncMsg;

/// How long the queue waits for the cache before answering from the store.
const CACHE_TIMEOUT: Duration = Duration::from_secs(2);

/// Who asked: a window, the CLI, a hotkey. Searches supersede per origin.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Origin(pub String);

/// A request's id and its place in the bounded queue, released when it is answered.
pub struct Ticket {
    pub id: u64,
    pub(crate) _permit: OwnedSemaphorePermit,
}

/// A committed local mutation.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MutationReceipt {
    pub prompt_id: PromptId,
    pub mutation_id: u64,
}

pub enum QueueMsg {
    /// Reply: the best `limit` hits, or `Superseded` if a newer search from the same
    /// origin arrived before this one ran.
    Search {
        ticket: Ticket,
        origin: Origin,
        query: String,
        limit: usize,
        reply: RpcReplyPort<Result<Vec<SearchHit>, RequestError>>,
    },
    /// Reply: the full prompt, or `None` if there is no prompt with that id.
    Get {
        ticket: Ticket,
        id: PromptId,
        reply: RpcReplyPort<Result<Option<Arc<Prompt>>, RequestError>>,
    },
    /// Reply: the receipt once the mutation is durable in the store.
    Mutate {
        ticket: Ticket,
        mutation: Mutation,
        reply: RpcReplyPort<Result<MutationReceipt, RequestError>>,
    },
    /// Applies every mutation or none, in one store transaction (an import). Reply: how
    /// many were applied.
    MutateAll {
        ticket: Ticket,
        mutations: Vec<Mutation>,
        reply: RpcReplyPort<Result<usize, RequestError>>,
    },
    /// Reply: every prompt in full, from the store (an export).
    All { ticket: Ticket, reply: RpcReplyPort<Result<Vec<Prompt>, RequestError>> },
    /// Runs the newest queued search of every origin. No reply.
    RunSearches,
    /// Parks the mailbox until the sender fires, so tests can queue requests up behind it.
    #[cfg(test)]
    Hold(tokio::sync::oneshot::Receiver<()>),
}

pub struct RequestQueueActor;

pub struct QueueArgs {
    pub replica: Arc<Replica>,
    pub status: StatusBoard,
    pub names: Names,
}

struct QueuedSearch {
    ticket: Ticket,
    query: String,
    limit: usize,
    reply: RpcReplyPort<Result<Vec<SearchHit>, RequestError>>,
}

pub struct QueueState {
    replica: Arc<Replica>,
    status: StatusBoard,
    names: Names,
    searches: BTreeMap<Origin, QueuedSearch>,
}

impl Actor for RequestQueueActor {
    type Msg = QueueMsg;
    type State = QueueState;
    type Arguments = QueueArgs;

    async fn pre_start(
        &self,
        _myself: ActorRef<QueueMsg>,
        args: QueueArgs,
    ) -> Result<QueueState, ActorProcessingErr> {
        let replica = args.replica.clone();
        let pending = tokio::task::spawn_blocking(move || replica.pending_count()).await??;
        args.status.update(|s| s.pending = pending);
        Ok(QueueState {
            replica: args.replica,
            status: args.status,
            names: args.names,
            searches: BTreeMap::new(),
        })
    }

    async fn handle(
        &self,
        myself: ActorRef<QueueMsg>,
        message: QueueMsg,
        state: &mut QueueState,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            QueueMsg::Search { ticket, origin, query, limit, reply } => {
                let queued = QueuedSearch { ticket, query, limit, reply };
                if let Some(older) = state.searches.insert(origin, queued) {
                    let _ = older.reply.send(Err(RequestError::Superseded));
                }
                // Runs after every message already in the mailbox, so a burst of
                // keystrokes costs one search.
                myself.send_message(QueueMsg::RunSearches)?;
            }
            QueueMsg::RunSearches => state.run_searches().await,
            #[cfg(test)]
            QueueMsg::Hold(release) => {
                let _ = release.await;
            }
            QueueMsg::Get { ticket, id, reply } => {
                let span = tracing::debug_span!("get", request = ticket.id);
                let _ = reply.send(state.get(id).instrument(span).await);
            }
            QueueMsg::Mutate { ticket, mutation, reply } => {
                let span =
                    tracing::info_span!("mutate", request = ticket.id, name = mutation.name());
                let _ = reply.send(state.mutate(mutation).instrument(span).await);
            }
            QueueMsg::MutateAll { ticket, mutations, reply } => {
                let span = tracing::info_span!("mutate_all", request = ticket.id);
                let _ = reply.send(state.mutate_all(mutations).instrument(span).await);
            }
            QueueMsg::All { ticket, reply } => {
                let span = tracing::info_span!("all", request = ticket.id);
                let replica = state.replica.clone();
                let all = tokio::task::spawn_blocking(move || replica.prompts()).instrument(span);
                let _ = reply.send(all.await.map_err(RequestError::from).and_then(|r| Ok(r?)));
            }
        }
        Ok(())
    }
}

impl QueueState {
    fn cache(&self) -> Option<ActorRef<CacheMsg>> {
        ActorRef::where_is(self.names.cache())
    }

    async fn run_searches(&mut self) {
        for (_, search) in std::mem::take(&mut self.searches) {
            let span = tracing::debug_span!("search", request = search.ticket.id);
            let hits = self.search(search.query, search.limit).instrument(span).await;
            let _ = search.reply.send(hits);
        }
    }

    async fn search(&self, query: String, limit: usize) -> Result<Vec<SearchHit>, RequestError> {
        if let Some(cache) = self.cache() {
            let asked = cache
                .call(
                    |reply| CacheMsg::Search { query: query.clone(), limit, reply },
                    Some(CACHE_TIMEOUT),
                )
                .await;
            if let Ok(ractor::rpc::CallResult::Success(hits)) = asked {
                return Ok(hits);
            }
        }
        tracing::warn!("cache unavailable; searching the store directly");
        let replica = self.replica.clone();
        let prompts = tokio::task::spawn_blocking(move || replica.prompts()).await??;
        Ok(SearchIndex::new(&prompts).search(&query, limit, now_millis()))
    }

    async fn get(&self, id: PromptId) -> Result<Option<Arc<Prompt>>, RequestError> {
        if let Some(cache) = self.cache() {
            let asked = cache
                .call(|reply| CacheMsg::Get { id: id.clone(), reply }, Some(CACHE_TIMEOUT))
                .await;
            if let Ok(ractor::rpc::CallResult::Success(Ok(found))) = asked {
                return Ok(found);
            }
        }
        let replica = self.replica.clone();
        Ok(tokio::task::spawn_blocking(move || replica.prompt(&id)).await??.map(Arc::new))
    }

    async fn mutate(&self, mutation: Mutation) -> Result<MutationReceipt, RequestError> {
        let replica = self.replica.clone();
        let prompt_id = mutation.prompt_id().clone();
        let (commit, pending) = tokio::task::spawn_blocking(move || {
            let commit = replica.mutate(&mutation, now_millis() as f64)?;
            Ok::<_, StoreError>((commit, replica.pending_count()?))
        })
        .await??;
        self.status.update(|s| s.pending = pending);
        // Waiting for the cache means a write's reply is a promise that every view and the
        // status already show it. A cache that is down reloads from the store on restart.
        if let Some(cache) = self.cache() {
            let applied = cache
                .call(|reply| CacheMsg::Apply(commit.changes, Some(reply)), Some(CACHE_TIMEOUT))
                .await;
            if !matches!(applied, Ok(ractor::rpc::CallResult::Success(()))) {
                tracing::warn!("cache did not confirm the write; it reloads on restart");
            }
        }
        tracing::info!(mutation_id = commit.pending.id, "committed");
        if let Some(sync) = ActorRef::<SyncMsg>::where_is(self.names.sync()) {
            let _ = sync.cast(SyncMsg::Nudge);
        }
        Ok(MutationReceipt { prompt_id, mutation_id: commit.pending.id })
    }

    async fn mutate_all(&self, mutations: Vec<Mutation>) -> Result<usize, RequestError> {
        let count = mutations.len();
        let replica = self.replica.clone();
        let (changes, pending) = tokio::task::spawn_blocking(move || {
            let changes = replica.mutate_all(&mutations, now_millis() as f64)?;
            Ok::<_, StoreError>((changes, replica.pending_count()?))
        })
        .await??;
        self.status.update(|s| s.pending = pending);
        if let Some(cache) = self.cache() {
            let applied = cache
                .call(|reply| CacheMsg::Apply(changes, Some(reply)), Some(CACHE_TIMEOUT))
                .await;
            if !matches!(applied, Ok(ractor::rpc::CallResult::Success(()))) {
                tracing::warn!("cache did not confirm the batch; it reloads on restart");
            }
        }
        tracing::info!(count, "committed a batch");
        if let Some(sync) = ActorRef::<SyncMsg>::where_is(self.names.sync()) {
            let _ = sync.cast(SyncMsg::Nudge);
        }
        Ok(count)
    }
}

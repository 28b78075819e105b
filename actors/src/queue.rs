//! RequestQueueActor: the one door through which windows, the CLI and hotkeys reach the
//! data of every workspace. Reads come from the workspace's cache (its store when the cache
//! is down); a newer search from the same origin supersedes an older one still queued;
//! writes apply in arrival order. A request names its workspace or means the active one.
//! Admission is bounded by the handle's permits, so a flood gets `Busy`, never a hang.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use promptdeck_protocol::{
    ForgetLearned, LearnPick, Mutation, PINNED_TAG, Prompt, PromptId, UpdatePrompt, now_millis,
};
use promptdeck_storage::{ChangeSet, LocalCommit, StoreError, history};
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use tokio::sync::OwnedSemaphorePermit;
use tracing::Instrument;

use crate::cache::{APPLY_TIME_PER_CHANGE, CacheMsg};
use crate::error::RequestError;
use crate::names::Names;
use crate::search::{SearchHit, SearchIndex, in_space, merge_ranked};
use crate::status::StatusBoard;
use crate::sync::SyncMsg;
use crate::workspace::{Scope, Workspace};

/// The edit that makes `version` of `id` current again (its last kept version by default):
/// an update of the prompt there is, or, for a deleted one, its creation under its id.
fn restoring(
    id: &PromptId,
    history: &[history::Entry],
    version: Option<u64>,
) -> Result<Mutation, RequestError> {
    let current = history.iter().find(|e| e.current);
    let wanted = match version {
        Some(n) => history.iter().find(|e| e.number == n),
        None => history.iter().rev().find(|e| !e.current),
    };
    let Some(wanted) = wanted else {
        return Err(RequestError::Rejected(match (version, history.is_empty()) {
            (_, true) => format!("prompt {id} has no history here"),
            (Some(n), false) => format!("prompt {id} has no version {n}; its history lists them"),
            (None, false) => format!("prompt {id} has no earlier version"),
        }));
    };
    if wanted.current {
        return Err(RequestError::Rejected(format!(
            "version {} is prompt {id}'s current one",
            wanted.number
        )));
    }
    Ok(match current {
        Some(_) => Mutation::UpdatePrompt(UpdatePrompt {
            id: id.clone(),
            title: Some(wanted.title.clone()),
            body: Some(wanted.body.clone()),
            tags: Some(wanted.tags.clone()),
            updated_at: now_millis(),
        }),
        None => Mutation::CreatePrompt(promptdeck_protocol::CreatePrompt {
            id: id.clone(),
            title: wanted.title.clone(),
            body: wanted.body.clone(),
            tags: wanted.tags.clone(),
            created_at: wanted.created_at,
        }),
    })
}

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

/// The values typed into a prompt's fields before, per field, the most recent first.
pub type FieldValues = std::collections::HashMap<String, Vec<String>>;

/// A committed local mutation.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MutationReceipt {
    pub prompt_id: PromptId,
    pub mutation_id: u64,
    /// Versions of prompts' history forgotten to make room on a full disk for this write.
    pub history_forgotten: usize,
}

impl MutationReceipt {
    /// What the write cost the history, in words, when it cost anything.
    pub fn history_notice(&self) -> Option<String> {
        (self.history_forgotten > 0).then(|| history_forgotten_words(self.history_forgotten))
    }
}

/// The words for history forgotten to make room on a full disk.
fn history_forgotten_words(versions: usize) -> String {
    format!(
        "the disk is full: the {versions} oldest versions of prompts' history were forgotten to make room; free some space"
    )
}

pub enum QueueMsg {
    /// Reply: the best `limit` hits, or `Superseded` if a newer search from the same
    /// origin arrived before this one ran.
    Search {
        ticket: Ticket,
        origin: Origin,
        query: String,
        limit: usize,
        scope: Scope,
        reply: RpcReplyPort<Result<Vec<SearchHit>, RequestError>>,
    },
    /// Reply: the full prompt, or `None` if there is no prompt with that id.
    Get {
        ticket: Ticket,
        space: Option<String>,
        id: PromptId,
        reply: RpcReplyPort<Result<Option<Arc<Prompt>>, RequestError>>,
    },
    /// Reply: the receipt once the mutation is durable in the store.
    Mutate {
        ticket: Ticket,
        space: Option<String>,
        mutation: Mutation,
        reply: RpcReplyPort<Result<MutationReceipt, RequestError>>,
    },
    /// Applies every mutation or none, in one store transaction (an import). Reply: how
    /// many were applied.
    MutateAll {
        ticket: Ticket,
        space: Option<String>,
        mutations: Vec<Mutation>,
        reply: RpcReplyPort<Result<usize, RequestError>>,
    },
    /// Reply: every prompt in full, from the store (an export).
    All {
        ticket: Ticket,
        space: Option<String>,
        reply: RpcReplyPort<Result<Vec<Prompt>, RequestError>>,
    },
    /// Adds the `pinned` tag to a prompt or takes it away, changing nothing else: a title
    /// edited meanwhile, here or on another device, stays. Reply: the receipt once durable.
    TogglePin {
        ticket: Ticket,
        space: Option<String>,
        id: PromptId,
        reply: RpcReplyPort<Result<MutationReceipt, RequestError>>,
    },
    /// Reply: the values typed into the prompt's fields before, per field, the most recent
    /// first (kept on this device only).
    FieldValues {
        ticket: Ticket,
        space: Option<String>,
        id: PromptId,
        reply: RpcReplyPort<Result<FieldValues, RequestError>>,
    },
    /// Keeps what was typed into the prompt's fields, (field, value) each. Reply: once it
    /// is stored.
    RememberFields {
        ticket: Ticket,
        space: Option<String>,
        id: PromptId,
        values: Vec<(String, String)>,
        reply: RpcReplyPort<Result<(), RequestError>>,
    },
    /// `id` was picked in the palette for `query`: the palette ranks it first for that
    /// query from now on (on this device, and on every device that syncs the workspace
    /// where its backend runs `learnPick`). Reply: once it is stored.
    Learn {
        ticket: Ticket,
        space: Option<String>,
        query: String,
        id: PromptId,
        reply: RpcReplyPort<Result<(), RequestError>>,
    },
    /// Turns learning on or off on this device. Off forgets what the palette learned, in
    /// every workspace, and where it synced, in the space too. Reply: once it is done.
    SetLearning { ticket: Ticket, on: bool, reply: RpcReplyPort<Result<(), RequestError>> },
    /// Reply: every version of the prompt kept, oldest first, the current one last.
    History {
        ticket: Ticket,
        space: Option<String>,
        id: PromptId,
        reply: RpcReplyPort<Result<Vec<history::Entry>, RequestError>>,
    },
    /// Reply: the prompts deleted in the last thirty days, the latest first.
    RecentlyDeleted {
        ticket: Ticket,
        space: Option<String>,
        reply: RpcReplyPort<Result<Vec<history::Deleted>, RequestError>>,
    },
    /// Makes a kept version of the prompt current through an ordinary edit (it syncs like
    /// any), or brings a deleted prompt back; `version` by default the last before the
    /// current one. Reply: the receipt once durable.
    Restore {
        ticket: Ticket,
        space: Option<String>,
        id: PromptId,
        version: Option<u64>,
        reply: RpcReplyPort<Result<MutationReceipt, RequestError>>,
    },
    /// Serves these workspaces from now on (the settings changed). Reply: once in use.
    SetWorkspaces(Vec<Workspace>, RpcReplyPort<()>),
    /// Runs the newest queued search of every origin. No reply.
    RunSearches,
    /// Fails the actor, as a bug would, so tests can watch the supervisor restart it.
    #[cfg(test)]
    Fail,
    /// Parks the mailbox until the sender fires, so tests can queue requests up behind it.
    #[cfg(test)]
    Hold(tokio::sync::oneshot::Receiver<()>),
}

pub struct RequestQueueActor;

pub struct QueueArgs {
    pub(crate) workspaces: Vec<Workspace>,
    pub status: StatusBoard,
    pub names: Names,
}

struct QueuedSearch {
    ticket: Ticket,
    query: String,
    limit: usize,
    scope: Scope,
    reply: RpcReplyPort<Result<Vec<SearchHit>, RequestError>>,
}

pub struct QueueState {
    workspaces: Vec<Workspace>,
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
        // Learning turned off while the app was not running: what this device learned goes;
        // what the space holds is only left unused (other devices may still learn).
        let learning = args.status.current().learning;
        for workspace in &args.workspaces {
            let replica = workspace.replica.clone();
            let (pending, forgotten) = tokio::task::spawn_blocking(move || {
                if !learning {
                    replica.forget_learned()?;
                }
                let forgotten = replica.forget_long_deleted(now_millis());
                Ok::<_, StoreError>((replica.pending_count()?, forgotten))
            })
            .await??;
            match forgotten {
                Ok(0) => {}
                Ok(count) => {
                    tracing::info!(count, space = %workspace.space, "forgot prompts deleted over thirty days ago")
                }
                Err(e) => tracing::warn!(error = %e, "could not forget long-deleted prompts"),
            }
            args.status.workspace(&workspace.space).update(|s| s.pending = pending);
        }
        Ok(QueueState {
            workspaces: args.workspaces,
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
            QueueMsg::Search { ticket, origin, query, limit, scope, reply } => {
                let queued = QueuedSearch { ticket, query, limit, scope, reply };
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
            QueueMsg::Get { ticket, space, id, reply } => {
                let span = tracing::debug_span!("get", request = ticket.id);
                let _ = reply.send(state.get(space, id).instrument(span).await);
            }
            QueueMsg::Mutate { ticket, space, mutation, reply } => {
                let span =
                    tracing::info_span!("mutate", request = ticket.id, name = mutation.name());
                let _ = reply.send(state.mutate(space, mutation).instrument(span).await);
            }
            QueueMsg::MutateAll { ticket, space, mutations, reply } => {
                let span = tracing::info_span!("mutate_all", request = ticket.id);
                let _ = reply.send(state.mutate_all(space, mutations).instrument(span).await);
            }
            QueueMsg::All { ticket, space, reply } => {
                let span = tracing::info_span!("all", request = ticket.id);
                let _ = reply.send(state.all(space).instrument(span).await);
            }
            QueueMsg::TogglePin { ticket, space, id, reply } => {
                let span = tracing::info_span!("toggle_pin", request = ticket.id);
                let _ = reply.send(state.toggle_pin(space, id).instrument(span).await);
            }
            QueueMsg::FieldValues { ticket, space, id, reply } => {
                let span = tracing::debug_span!("field_values", request = ticket.id);
                let _ = reply.send(state.field_values(space, id).instrument(span).await);
            }
            QueueMsg::RememberFields { ticket, space, id, values, reply } => {
                let span = tracing::debug_span!("remember_fields", request = ticket.id);
                let remembered = state.remember_fields(space, id, values).instrument(span).await;
                let _ = reply.send(remembered);
            }
            QueueMsg::Learn { ticket, space, query, id, reply } => {
                let span = tracing::debug_span!("learn", request = ticket.id);
                let _ = reply.send(state.learn(space, query, id).instrument(span).await);
            }
            QueueMsg::SetLearning { ticket, on, reply } => {
                let span = tracing::info_span!("set_learning", request = ticket.id, on);
                let _ = reply.send(state.set_learning(on).instrument(span).await);
            }
            QueueMsg::History { ticket, space, id, reply } => {
                let span = tracing::debug_span!("history", request = ticket.id);
                let _ = reply.send(state.history(space, id).instrument(span).await);
            }
            QueueMsg::RecentlyDeleted { ticket, space, reply } => {
                let span = tracing::debug_span!("recently_deleted", request = ticket.id);
                let _ = reply.send(state.recently_deleted(space).instrument(span).await);
            }
            QueueMsg::Restore { ticket, space, id, version, reply } => {
                let span = tracing::info_span!("restore", request = ticket.id);
                let _ = reply.send(state.restore(space, id, version).instrument(span).await);
            }
            QueueMsg::SetWorkspaces(workspaces, reply) => {
                state.workspaces = workspaces;
                let _ = reply.send(());
            }
            #[cfg(test)]
            QueueMsg::Fail => return Err("a test failed this RequestQueueActor".into()),
        }
        Ok(())
    }
}

impl QueueState {
    /// The workspace `space` names, or the active one.
    fn workspace(&self, space: Option<&str>) -> Result<Workspace, RequestError> {
        let active;
        let space = match space {
            Some(space) => space,
            None => {
                active = self.status.active_space();
                &active
            }
        };
        let found = self.workspaces.iter().find(|w| w.space == space).cloned();
        found.ok_or_else(|| RequestError::NoSuchWorkspace(space.to_owned()))
    }

    fn cache(&self, space: &str) -> Option<ActorRef<CacheMsg>> {
        ActorRef::where_is(self.names.cache(space))
    }

    async fn run_searches(&mut self) {
        for (_, search) in std::mem::take(&mut self.searches) {
            let span = tracing::debug_span!("search", request = search.ticket.id);
            let hits = self.search(search.query, search.limit, search.scope).instrument(span);
            let _ = search.reply.send(hits.await);
        }
    }

    async fn search(
        &self,
        query: String,
        limit: usize,
        scope: Scope,
    ) -> Result<Vec<SearchHit>, RequestError> {
        let spaces = match scope {
            Scope::Active => vec![self.workspace(None)?],
            Scope::Space(space) => vec![self.workspace(Some(&space))?],
            Scope::All => self.workspaces.clone(),
        };
        let mut lists = Vec::with_capacity(spaces.len());
        for workspace in spaces {
            lists.push(self.search_in(&workspace, &query, limit).await?);
        }
        Ok(match lists.len() {
            1 => lists.pop().unwrap_or_default(),
            _ => merge_ranked(lists, limit, now_millis()),
        })
    }

    async fn search_in(
        &self,
        workspace: &Workspace,
        query: &str,
        limit: usize,
    ) -> Result<Vec<SearchHit>, RequestError> {
        if let Some(cache) = self.cache(&workspace.space) {
            let query = query.to_owned();
            let asked = cache
                .call(|reply| CacheMsg::Search { query, limit, reply }, Some(CACHE_TIMEOUT))
                .await;
            if let Ok(ractor::rpc::CallResult::Success(hits)) = asked {
                return Ok(hits);
            }
        }
        tracing::warn!(space = %workspace.space, "cache unavailable; searching the store directly");
        let replica = workspace.replica.clone();
        let prompts = tokio::task::spawn_blocking(move || replica.prompts()).await??;
        let hits = SearchIndex::new(&prompts).search(query, limit, now_millis());
        Ok(in_space(hits, &workspace.space))
    }

    async fn get(
        &self,
        space: Option<String>,
        id: PromptId,
    ) -> Result<Option<Arc<Prompt>>, RequestError> {
        let workspace = self.workspace(space.as_deref())?;
        if let Some(cache) = self.cache(&workspace.space) {
            let asked = cache
                .call(|reply| CacheMsg::Get { id: id.clone(), reply }, Some(CACHE_TIMEOUT))
                .await;
            if let Ok(ractor::rpc::CallResult::Success(Ok(found))) = asked {
                return Ok(found);
            }
        }
        let replica = workspace.replica;
        Ok(tokio::task::spawn_blocking(move || replica.prompt(&id)).await??.map(Arc::new))
    }

    async fn field_values(
        &self,
        space: Option<String>,
        id: PromptId,
    ) -> Result<FieldValues, RequestError> {
        let replica = self.workspace(space.as_deref())?.replica;
        Ok(tokio::task::spawn_blocking(move || replica.field_values(&id)).await??)
    }

    async fn remember_fields(
        &self,
        space: Option<String>,
        id: PromptId,
        values: Vec<(String, String)>,
    ) -> Result<(), RequestError> {
        let replica = self.workspace(space.as_deref())?.replica;
        Ok(tokio::task::spawn_blocking(move || replica.remember_fields(&id, &values)).await??)
    }

    async fn learn(
        &self,
        space: Option<String>,
        query: String,
        id: PromptId,
    ) -> Result<(), RequestError> {
        let workspace = self.workspace(space.as_deref())?;
        let replica = workspace.replica.clone();
        let (learned, prompt, at) = (query.clone(), id.clone(), now_millis());
        tokio::task::spawn_blocking(move || replica.learn_pick(&learned, &prompt, at)).await??;
        if let Some(cache) = self.cache(&workspace.space) {
            let _ = cache.cast(CacheMsg::Learn { query: query.clone(), prompt: id.clone(), at });
        }
        if self.status.workspace(&workspace.space).learning_syncs()
            && promptdeck_storage::learned::normalize(&query).is_some()
        {
            self.commit(&workspace, Mutation::LearnPick(LearnPick { query, id, at })).await?;
        }
        Ok(())
    }

    async fn set_learning(&self, on: bool) -> Result<(), RequestError> {
        self.status.update(|s| s.learning = on);
        for workspace in &self.workspaces {
            if let Some(cache) = self.cache(&workspace.space) {
                let _ = cache.cast(CacheMsg::Learning(on));
            }
        }
        if on {
            return Ok(());
        }
        for workspace in &self.workspaces {
            let replica = workspace.replica.clone();
            let synced = tokio::task::spawn_blocking(move || {
                replica.forget_learned()?;
                Ok::<_, StoreError>(!replica.synced_learned()?.is_empty())
            })
            .await??;
            if let Some(cache) = self.cache(&workspace.space) {
                let _ = cache.cast(CacheMsg::ForgetLearned);
            }
            if synced && self.status.workspace(&workspace.space).learning_syncs() {
                self.commit(workspace, Mutation::ForgetLearned(ForgetLearned {})).await?;
            }
        }
        Ok(())
    }

    async fn history(
        &self,
        space: Option<String>,
        id: PromptId,
    ) -> Result<Vec<history::Entry>, RequestError> {
        let replica = self.workspace(space.as_deref())?.replica;
        Ok(tokio::task::spawn_blocking(move || replica.history(&id)).await??)
    }

    async fn recently_deleted(
        &self,
        space: Option<String>,
    ) -> Result<Vec<history::Deleted>, RequestError> {
        let replica = self.workspace(space.as_deref())?.replica;
        Ok(tokio::task::spawn_blocking(move || replica.recently_deleted(now_millis())).await??)
    }

    async fn restore(
        &self,
        space: Option<String>,
        id: PromptId,
        version: Option<u64>,
    ) -> Result<MutationReceipt, RequestError> {
        let replica = self.workspace(space.as_deref())?.replica;
        let read = id.clone();
        let history = tokio::task::spawn_blocking(move || replica.history(&read)).await??;
        let restored = restoring(&id, &history, version)?;
        self.mutate(space, restored).await
    }

    async fn all(&self, space: Option<String>) -> Result<Vec<Prompt>, RequestError> {
        let replica = self.workspace(space.as_deref())?.replica;
        Ok(tokio::task::spawn_blocking(move || replica.prompts()).await??)
    }

    async fn mutate(
        &self,
        space: Option<String>,
        mutation: Mutation,
    ) -> Result<MutationReceipt, RequestError> {
        let Some(prompt_id) = mutation.prompt_id().cloned() else {
            return Err(RequestError::Rejected(format!(
                "{} is not an edit of a prompt; learning has its own requests",
                mutation.name()
            )));
        };
        let workspace = self.workspace(space.as_deref())?;
        let (mutation_id, history_forgotten) = self.commit(&workspace, mutation).await?;
        Ok(MutationReceipt { prompt_id, mutation_id, history_forgotten })
    }

    /// Applies `mutation` to the workspace's store and queues it for the server. Returns
    /// its pending id and the versions of history forgotten to make room for it.
    async fn commit(
        &self,
        workspace: &Workspace,
        mutation: Mutation,
    ) -> Result<(u64, usize), RequestError> {
        let replica = workspace.replica.clone();
        let (commit, pending) = tokio::task::spawn_blocking(move || {
            let commit = replica.mutate(&mutation, now_millis() as f64)?;
            Ok::<_, StoreError>((commit, replica.pending_count()?))
        })
        .await??;
        let LocalCommit { pending: queued, changes, history_forgotten } = commit;
        if history_forgotten > 0 {
            let forgotten = history_forgotten as u64;
            self.status.workspace(&workspace.space).update(|s| s.history_forgotten += forgotten);
        }
        self.committed(workspace, changes, pending).await;
        tracing::info!(mutation_id = queued.id, space = %workspace.space, "committed");
        Ok((queued.id, history_forgotten))
    }

    async fn toggle_pin(
        &self,
        space: Option<String>,
        id: PromptId,
    ) -> Result<MutationReceipt, RequestError> {
        let replica = self.workspace(space.as_deref())?.replica;
        let read = id.clone();
        let prompt = tokio::task::spawn_blocking(move || replica.prompt(&read)).await??;
        let Some(prompt) = prompt else {
            return Err(RequestError::NoSuchPrompt(id));
        };
        let mut tags = prompt.tags;
        match tags.iter().position(|t| t == PINNED_TAG) {
            Some(at) => drop(tags.remove(at)),
            None => tags.push(PINNED_TAG.to_owned()),
        }
        let update = UpdatePrompt {
            id,
            title: None,
            body: None,
            tags: Some(tags),
            updated_at: now_millis(),
        };
        self.mutate(space, Mutation::UpdatePrompt(update)).await
    }

    async fn mutate_all(
        &self,
        space: Option<String>,
        mutations: Vec<Mutation>,
    ) -> Result<usize, RequestError> {
        let workspace = self.workspace(space.as_deref())?;
        let count = mutations.len();
        let replica = workspace.replica.clone();
        let (changes, pending) = tokio::task::spawn_blocking(move || {
            let changes = replica.mutate_all(&mutations, now_millis() as f64)?;
            Ok::<_, StoreError>((changes, replica.pending_count()?))
        })
        .await??;
        self.committed(&workspace, changes, pending).await;
        tracing::info!(count, space = %workspace.space, "committed a batch");
        Ok(count)
    }

    /// After a local write: the status and the cache show it before the caller hears of
    /// it, and sync is told there is something to push.
    async fn committed(&self, workspace: &Workspace, changes: ChangeSet, pending: u64) {
        self.status.workspace(&workspace.space).update(|s| s.pending = pending);
        // Waiting for the cache means a write's reply is a promise that every view and the
        // status already show it. A cache that is down reloads from the store on restart.
        if let Some(cache) = self.cache(&workspace.space) {
            let budget = CACHE_TIMEOUT + APPLY_TIME_PER_CHANGE * changes.0.len() as u32;
            let applied =
                cache.call(|reply| CacheMsg::Apply(changes, Some(reply)), Some(budget)).await;
            if !matches!(applied, Ok(ractor::rpc::CallResult::Success(()))) {
                tracing::warn!("cache did not confirm the write; it reloads on restart");
            }
        }
        if let Some(sync) = ActorRef::<SyncMsg>::where_is(self.names.sync(&workspace.space)) {
            let _ = sync.cast(SyncMsg::Nudge);
        }
    }
}

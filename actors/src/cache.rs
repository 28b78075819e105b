//! CacheActor: the search index of one workspace's whole library and a cache of full
//! prompts, refreshed from the store's change sets, never by polling.

use std::sync::Arc;
use std::time::Duration;

use promptdeck_protocol::learned::{self, LearnedPicks, Pick};
use promptdeck_protocol::{Prompt, PromptId, now_millis};
use promptdeck_storage::{Change, ChangeSet, Replica, StoredPrompts};
use quick_cache::unsync::Cache;
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};

use crate::error::RequestError;
use crate::parallel::in_parts;
use crate::search::{IndexEntry, Learned, SearchHit, SearchIndex, in_space};
use crate::status::{CacheStats, WorkspaceBoard};

/// More time a caller gives the cache per change it applies, on top of its own wait
/// (100k imported or pulled prompts: 10 s more).
pub(crate) const APPLY_TIME_PER_CHANGE: Duration = Duration::from_micros(100);

/// Full prompts kept in memory; the index holds only what matching needs.
const BODY_CACHE_ENTRIES: usize = 512;

pub enum CacheMsg {
    /// A committed write's changes, applied in commit order. Reply, when asked for: once
    /// the index and the status show them.
    Apply(ChangeSet, Option<RpcReplyPort<()>>),
    /// Reply: the best `limit` hits for `query`.
    Search { query: String, limit: usize, reply: RpcReplyPort<Vec<SearchHit>> },
    /// Reply: the full prompt, from memory or the store; `None` if there is no such prompt.
    Get { id: PromptId, reply: RpcReplyPort<Result<Option<Arc<Prompt>>, RequestError>> },
    /// `prompt` was picked for `query` in the palette (the store has it already): it leads
    /// that query's hits from now on.
    Learn { query: String, prompt: PromptId, at: i64 },
    /// Everything this device learned was forgotten (in the store already).
    ForgetLearned,
    /// Whether what was learned leads the hits (the device's setting).
    Learning(bool),
    /// Reply: hit and miss counters.
    Stats(RpcReplyPort<CacheStats>),
    /// Panics inside the handler: lets tests prove the supervisor restarts the cache.
    #[cfg(test)]
    Panic,
}

/// Prompts read from the store at a time at the start, each batch parsed and indexed on
/// another thread while the next is read: small enough that the threads start soon, large
/// enough that handing it over costs nothing beside it.
const LOAD_BATCH: usize = 256;

/// Changes from which reading them is split over threads.
const PARALLEL_FROM: usize = 2_000;

/// A change read and ready to apply.
enum PreparedChange {
    Put(Arc<Prompt>, Box<IndexEntry>),
    Del(PromptId),
    /// The space's picks for a query (none: forgotten).
    Learned(String, Vec<Pick>),
    /// Another client's key, or a value that is not a prompt (said in the log).
    Other,
}

impl PreparedChange {
    fn of(change: &Change) -> Self {
        if let Some(query) = learned::query_of(change.key()) {
            let picks = match change {
                Change::Put { value, .. } => LearnedPicks::from_value(&value.to_value()),
                Change::Del { .. } => Some(LearnedPicks::default()),
            };
            return match picks {
                Some(picks) => Self::Learned(query.to_owned(), picks.picks),
                None => {
                    tracing::warn!(query, "ignoring a damaged learned query");
                    Self::Other
                }
            };
        }
        match change {
            Change::Put { key, value } => {
                if PromptId::from_key(key).is_none() {
                    return Self::Other;
                }
                match value.parse::<Prompt>() {
                    Ok(prompt) => {
                        let entry = Box::new(IndexEntry::new(&prompt));
                        Self::Put(Arc::new(prompt), entry)
                    }
                    Err(e) => {
                        tracing::warn!(%key, error = %e, "ignoring unreadable prompt");
                        Self::Other
                    }
                }
            }
            Change::Del { key } => PromptId::from_key(key).map_or(Self::Other, Self::Del),
        }
    }
}

pub struct CacheActor;

pub struct CacheArgs {
    pub replica: Arc<Replica>,
    /// The workspace's space, which every hit carries.
    pub space: String,
    pub status: WorkspaceBoard,
}

pub struct CacheState {
    replica: Arc<Replica>,
    space: String,
    status: WorkspaceBoard,
    index: SearchIndex,
    bodies: Cache<PromptId, Arc<Prompt>>,
    stats: CacheStats,
}

impl Actor for CacheActor {
    type Msg = CacheMsg;
    type State = CacheState;
    type Arguments = CacheArgs;

    async fn pre_start(
        &self,
        _myself: ActorRef<Self::Msg>,
        args: CacheArgs,
    ) -> Result<CacheState, ActorProcessingErr> {
        let replica = args.replica.clone();
        let (mut index, learned) = tokio::task::spawn_blocking(move || {
            let unreadable = |e: promptdeck_storage::StoreError| {
                tracing::warn!(error = %e, "what the palette learned is unreadable; left out");
                Vec::new()
            };
            let local = replica.learned_picks().unwrap_or_else(unreadable);
            let synced = replica.synced_learned().unwrap_or_else(unreadable);
            let index = SearchIndex::from_batches(
                |send| replica.prompts_in_batches(LOAD_BATCH, send),
                StoredPrompts::parse,
            )?;
            Ok::<_, promptdeck_storage::StoreError>((index, Learned::new(local, synced)))
        })
        .await??;
        index.set_learned(learned);
        index.learned_mut().set_enabled(args.status.learning());
        tracing::info!(prompts = index.len(), space = %args.space, "library loaded into the cache");
        crate::memory::give_back_freed();
        let state = CacheState {
            replica: args.replica,
            space: args.space,
            status: args.status,
            index,
            bodies: Cache::new(BODY_CACHE_ENTRIES),
            stats: CacheStats::default(),
        };
        state.publish();
        Ok(state)
    }

    async fn handle(
        &self,
        _myself: ActorRef<Self::Msg>,
        message: CacheMsg,
        state: &mut CacheState,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            CacheMsg::Apply(changes, reply) => {
                state.apply(changes);
                if let Some(reply) = reply {
                    let _ = reply.send(());
                }
            }
            CacheMsg::Search { query, limit, reply } => {
                let hits = state.index.search(&query, limit, now_millis());
                let _ = reply.send(in_space(hits, &state.space));
            }
            CacheMsg::Get { id, reply } => {
                let _ = reply.send(state.get(id).await);
            }
            CacheMsg::Learn { query, prompt, at } => state.index.learn(&query, prompt, at),
            CacheMsg::ForgetLearned => state.index.forget_learned(),
            CacheMsg::Learning(on) => state.index.learned_mut().set_enabled(on),
            CacheMsg::Stats(reply) => {
                let _ = reply.send(CacheStats {
                    indexed: state.index.len(),
                    cached_bodies: state.bodies.len(),
                    ..state.stats
                });
            }
            #[cfg(test)]
            CacheMsg::Panic => panic!("cache panic requested by a test"),
        }
        Ok(())
    }
}

impl CacheState {
    /// Applies `changes` in order; the prompts are read and their index entries made on
    /// every core first (a first pull brings 100k).
    fn apply(&mut self, changes: ChangeSet) {
        let prepared = in_parts(&changes.0, PARALLEL_FROM, |part| {
            part.iter().map(PreparedChange::of).collect()
        });
        let mut puts_left =
            prepared.iter().filter(|p| matches!(p, PreparedChange::Put(..))).count();
        for change in prepared {
            match change {
                PreparedChange::Put(prompt, entry) => {
                    self.index.put(*entry);
                    puts_left -= 1;
                    // Of a large batch, only the last few fit in the cache.
                    match puts_left < BODY_CACHE_ENTRIES {
                        true => self.bodies.insert(prompt.id.clone(), prompt),
                        false => drop(self.bodies.remove(&prompt.id)),
                    }
                }
                PreparedChange::Del(id) => {
                    self.index.remove(&id);
                    self.bodies.remove(&id);
                }
                PreparedChange::Learned(query, picks) => {
                    self.index.learned_mut().set_synced(&query, picks)
                }
                PreparedChange::Other => {}
            }
        }
        self.publish();
    }

    async fn get(&mut self, id: PromptId) -> Result<Option<Arc<Prompt>>, RequestError> {
        if let Some(prompt) = self.bodies.get(&id) {
            self.stats.hits += 1;
            return Ok(Some(prompt.clone()));
        }
        self.stats.misses += 1;
        let replica = self.replica.clone();
        let key = id.clone();
        let found = tokio::task::spawn_blocking(move || replica.prompt(&key)).await??.map(Arc::new);
        if let Some(prompt) = &found {
            self.bodies.insert(id, prompt.clone());
        }
        Ok(found)
    }

    fn publish(&self) {
        let count = self.index.len();
        self.status.update_data(|library, data_version| {
            library.prompt_count = count;
            library.loaded = true;
            *data_version += 1;
        });
    }
}

//! The local replica of one profile, in one redb file.
//!
//! Seven table families, each in its own module:
//! - [`meta`]: schema version, client group and client ids, next mutation id, cookie;
//! - `base`: the server's snapshot at the cookie (filled by sync);
//! - [`pending`]: local mutations not yet acknowledged, in the order they were made;
//! - [`view`]: what the user sees, the base with every pending mutation applied;
//! - [`fields`]: what was typed into prompts' fields, on this device only;
//! - [`learned`]: the prompts picked in the palette for each query, on this device only;
//! - [`history`]: every earlier version of every prompt, and the recently deleted.
//!
//! Invariant (design §5): a local mutation commits its pending entry and its effect on the
//! view in one write transaction, before the caller hears it succeeded.

mod base;
mod change;
mod error;
pub mod fields;
pub mod history;
pub mod learned;
mod meta;
mod open;
mod pending;
mod pull;
mod reserve;
mod view;

pub use change::{Change, ChangeSet};
pub use error::StoreError;
pub use meta::{CURRENT_SCHEMA_VERSION, SyncState};
pub use open::OpenReport;
pub use pending::PendingMutation;
pub use pull::{PullApplied, PullRejected};
pub use reserve::path_beside as reserve_path;
pub use view::StoredPrompts;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::RwLock;

use promptdeck_protocol::{Mutation, Prompt, PromptId};
use redb::{Database, ReadableDatabase, ReadableTableMetadata};

/// The replica of one profile. Cheap to share behind an `Arc`: reads run concurrently,
/// writes queue on redb's single writer.
pub struct Replica {
    /// `None` only for the moment the file is being opened again.
    db: RwLock<Option<Database>>,
    path: PathBuf,
    /// How much of each prompt's history the writes keep.
    keep: RwLock<history::Keep>,
    /// Room kept aside so that history can be forgotten on a full disk.
    reserve: reserve::Reserve,
}

/// What a committed local mutation produced.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalCommit {
    pub pending: PendingMutation,
    pub changes: ChangeSet,
    /// Versions of prompts' history forgotten to make room on a full disk for this write.
    pub history_forgotten: usize,
}

impl Replica {
    /// Opens the replica at `path`, creating it when absent. A file that is not a readable
    /// replica is moved aside (the report says where) and a fresh one takes its place,
    /// keeping whatever pending mutations could still be read.
    pub fn open(path: impl AsRef<Path>) -> Result<(Self, OpenReport), StoreError> {
        open::open(path.as_ref())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn from_open(db: Database, path: &Path) -> Self {
        let reserve = reserve::Reserve::beside(path);
        reserve.keep();
        Self {
            db: RwLock::new(Some(db)),
            path: path.to_owned(),
            keep: RwLock::new(history::Keep::default()),
            reserve,
        }
    }

    /// Keeps this much of each prompt's history from the next write on.
    pub fn keep_history(&self, keep: history::Keep) {
        *self.keep.write().unwrap_or_else(std::sync::PoisonError::into_inner) = keep;
    }

    fn kept(&self) -> history::Keep {
        *self.keep.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Runs `work` on the database. After a write the disk refused (full, say), redb
    /// refuses everything until the file is opened again: that is done here, and `work`
    /// tried once more, so freeing space is all a user has to do.
    fn with_db<T>(
        &self,
        work: impl Fn(&Database) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        match self.run(&work) {
            Err(StoreError::PreviousIo) => {
                self.reopen()?;
                self.run(&work)
            }
            other => other,
        }
    }

    fn run<T>(&self, work: &impl Fn(&Database) -> Result<T, StoreError>) -> Result<T, StoreError> {
        // The guard is held for the whole of `work`, so a reopen waits for every transaction.
        let db = self.db.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        match db.as_ref() {
            Some(db) => work(db),
            None => Err(StoreError::PreviousIo),
        }
    }

    fn reopen(&self) -> Result<(), StoreError> {
        let mut db = self.db.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        // The old handle must close (and release the file's lock) before the new one opens.
        *db = None;
        let reopened =
            open::create_database(&self.path).map_err(|e| open::classify(&self.path, e))?;
        *db = Some(reopened);
        tracing::warn!(path = %self.path.display(), "the library was opened again after a failed write");
        Ok(())
    }

    /// Runs the write `work` on the database; when the disk is too full for it, forgets the
    /// oldest history to make room and tries again, while there is history to forget: a
    /// prompt is worth more than its past versions. Returns what `work` returned and how
    /// many versions were forgotten for it.
    fn with_room<T>(
        &self,
        work: impl Fn(&Database) -> Result<T, StoreError>,
    ) -> Result<(T, usize), StoreError> {
        let mut forgotten = 0;
        loop {
            let full = match self.with_db(&work) {
                Err(StoreError::Full(reason)) => reason,
                done => {
                    if done.is_ok() && forgotten > 0 {
                        self.reserve.keep();
                    }
                    return done.map(|value| (value, forgotten));
                }
            };
            let forget_oldest = || {
                self.with_db(|db| {
                    let txn = db.begin_write()?;
                    let made = history::make_room(&txn)?;
                    txn.commit()?;
                    Ok(made)
                })
            };
            let made = match forget_oldest() {
                // Even forgetting needs a few pages: the reserve gives them.
                Err(StoreError::Full(_)) if self.reserve.release() => forget_oldest(),
                made => made,
            };
            match made {
                Ok(0) => return Err(StoreError::Full(full)),
                Ok(made) => {
                    forgotten += made;
                    tracing::warn!(
                        versions = made,
                        "the disk is full: forgot the oldest versions of prompts' history to make room"
                    );
                }
                // Not even forgetting fits: the write is refused as the disk refused it.
                Err(StoreError::Full(_)) => return Err(StoreError::Full(full)),
                Err(other) => return Err(other),
            }
        }
    }

    /// Applies `mutation` to the view and queues it for the server, atomically.
    pub fn mutate(&self, mutation: &Mutation, timestamp: f64) -> Result<LocalCommit, StoreError> {
        let ((mut queued, changes), history_forgotten) =
            self.commit_local(std::slice::from_ref(mutation), timestamp)?;
        let pending = queued.pop().expect("one mutation queues one pending entry");
        Ok(LocalCommit { pending, changes, history_forgotten })
    }

    /// Applies every mutation or none: one write transaction, one fsync. For imports and
    /// bulk changes; a mutation that fails rolls the whole batch back.
    pub fn mutate_all(
        &self,
        mutations: &[Mutation],
        timestamp: f64,
    ) -> Result<ChangeSet, StoreError> {
        Ok(self.commit_local(mutations, timestamp)?.0.1)
    }

    /// The one write path for local mutations: their effect on the view and their pending
    /// entries commit together, or nothing does (design §5).
    fn commit_local(
        &self,
        mutations: &[Mutation],
        timestamp: f64,
    ) -> Result<((Vec<PendingMutation>, ChangeSet), usize), StoreError> {
        let keep = self.kept();
        self.with_room(|db| Self::commit_local_in(db, mutations, timestamp, keep))
    }

    fn commit_local_in(
        db: &Database,
        mutations: &[Mutation],
        timestamp: f64,
        keep: history::Keep,
    ) -> Result<(Vec<PendingMutation>, ChangeSet), StoreError> {
        let txn = db.begin_write()?;
        let mut sync = meta::read_sync_state(&txn)?;
        let (changes, touched) = {
            let mut view = view::TableKv::open(&txn)?;
            for mutation in mutations {
                mutation.apply(&mut view)?;
            }
            view.into_changes()?
        };
        let at = timestamp as i64;
        history::record_touched(&txn, &touched, history::Origin::ThisDevice, at, keep)?;
        let mut queued = Vec::with_capacity(mutations.len());
        for mutation in mutations {
            let pending = PendingMutation {
                id: sync.next_mutation_id,
                client_id: sync.client_id.clone(),
                mutation: mutation.clone(),
                timestamp,
            };
            pending::append(&txn, &pending)?;
            sync.next_mutation_id += 1;
            queued.push(pending);
        }
        meta::write_sync_state(&txn, &sync)?;
        txn.commit()?;
        Ok((queued, changes))
    }

    /// Puts each of `values` (field, value) first among the values kept for that field of
    /// `prompt` (this device only; see [`fields`]).
    pub fn remember_fields(
        &self,
        prompt: &PromptId,
        values: &[(String, String)],
    ) -> Result<(), StoreError> {
        self.with_db(|db| {
            let txn = db.begin_write()?;
            fields::remember(&txn, prompt, values)?;
            txn.commit()?;
            Ok(())
        })
    }

    /// The values kept for each field of `prompt`, the most recent first.
    pub fn field_values(
        &self,
        prompt: &PromptId,
    ) -> Result<HashMap<String, Vec<String>>, StoreError> {
        self.with_db(|db| fields::recall(&db.begin_read()?, prompt))
    }

    /// Puts `prompt` first among those picked for `query` (see [`learned`]); a query that
    /// is empty or too long is not learned.
    pub fn learn_pick(&self, query: &str, prompt: &PromptId, at: i64) -> Result<(), StoreError> {
        let Some(query) = learned::normalize(query) else { return Ok(()) };
        self.with_db(|db| {
            let txn = db.begin_write()?;
            learned::learn(&txn, &query, prompt, at)?;
            txn.commit()?;
            Ok(())
        })
    }

    /// Every query learned, with the prompts picked for it, the latest first.
    pub fn learned_picks(&self) -> Result<Vec<(String, Vec<learned::Pick>)>, StoreError> {
        self.with_db(|db| learned::all(&db.begin_read()?))
    }

    /// Every query learned in the space and synced (the view's `learned/` keys).
    pub fn synced_learned(&self) -> Result<Vec<(String, Vec<learned::Pick>)>, StoreError> {
        self.with_db(|db| learned::synced(&db.begin_read()?))
    }

    /// Forgets every pick learned on this device; what the space holds stays until a
    /// `forgetLearned` mutation.
    pub fn forget_learned(&self) -> Result<(), StoreError> {
        self.with_db(|db| {
            let txn = db.begin_write()?;
            learned::forget(&txn)?;
            txn.commit()?;
            Ok(())
        })
    }

    /// Every version of `id` kept, oldest first, the current one last (if it exists).
    pub fn history(&self, id: &PromptId) -> Result<Vec<history::Entry>, StoreError> {
        self.with_db(|db| {
            let txn = db.begin_read()?;
            let current = view::prompt(&txn, id)?;
            history::entries(&txn, id, current)
        })
    }

    /// Prompts deleted within the last [`history::DELETED_DAYS`] days of `now` (ms), the
    /// latest first.
    pub fn recently_deleted(&self, now: i64) -> Result<Vec<history::Deleted>, StoreError> {
        self.with_db(|db| history::recently_deleted(&db.begin_read()?, now))
    }

    /// What the history takes on disk, in bytes (for the figures).
    pub fn history_bytes(&self) -> Result<u64, StoreError> {
        self.with_db(|db| history::bytes(&db.begin_read()?))
    }

    /// Forgets prompts deleted more than [`history::DELETED_DAYS`] days before `now`;
    /// says how many.
    /// Runs at every start: it writes only when there is something to forget.
    pub fn forget_long_deleted(&self, now: i64) -> Result<usize, StoreError> {
        self.with_db(|db| {
            let expired = history::long_deleted(&db.begin_read()?, now)?;
            if expired.is_empty() {
                return Ok(0);
            }
            let txn = db.begin_write()?;
            let forgotten = history::forget(&txn, &expired, now)?;
            txn.commit()?;
            Ok(forgotten)
        })
    }

    /// Every prompt in the view. Unreadable values are skipped with a warning.
    pub fn prompts(&self) -> Result<Vec<Prompt>, StoreError> {
        self.with_db(|db| view::prompts(&db.begin_read()?))
    }

    /// Every prompt in the view, handed to `each` `batch` at a time as stored, to be parsed
    /// where `each` sends them.
    pub fn prompts_in_batches(
        &self,
        batch: usize,
        each: impl FnMut(StoredPrompts),
    ) -> Result<(), StoreError> {
        let (each, handed) = (std::cell::RefCell::new(each), std::cell::Cell::new(false));
        self.with_db(|db| {
            // Read again after the file was reopened, the batches already handed would be
            // handed twice: the caller is told instead, and starts over.
            if handed.get() {
                return Err(StoreError::PreviousIo);
            }
            view::prompts_in_batches(&db.begin_read()?, batch, |stored| {
                handed.set(true);
                (each.borrow_mut())(stored);
            })
        })
    }

    pub fn prompt(&self, id: &PromptId) -> Result<Option<Prompt>, StoreError> {
        self.with_db(|db| view::prompt(&db.begin_read()?, id))
    }

    /// Local mutations the server has not acknowledged, oldest first.
    pub fn pending(&self) -> Result<Vec<PendingMutation>, StoreError> {
        self.with_db(|db| pending::all(&db.begin_read()?))
    }

    pub fn pending_count(&self) -> Result<u64, StoreError> {
        self.with_db(|db| Ok(db.begin_read()?.open_table(pending::TABLE)?.len()?))
    }

    /// Every key and value of the view, prompts and other clients' keys alike.
    pub fn view_entries(
        &self,
    ) -> Result<std::collections::BTreeMap<String, serde_json::Value>, StoreError> {
        self.with_db(|db| entries(&db.begin_read()?, view::TABLE))
    }

    /// Every key and value of the base: the server's snapshot at the cookie.
    pub fn base_entries(
        &self,
    ) -> Result<std::collections::BTreeMap<String, serde_json::Value>, StoreError> {
        self.with_db(|db| entries(&db.begin_read()?, base::TABLE))
    }

    pub fn sync_state(&self) -> Result<SyncState, StoreError> {
        self.with_db(|db| meta::read_sync_state(&db.begin_read()?))
    }
}

/// Every entry of `table` (the view or the base), its values read.
fn entries(
    txn: &redb::ReadTransaction,
    table: redb::TableDefinition<&str, &[u8]>,
) -> Result<std::collections::BTreeMap<String, serde_json::Value>, StoreError> {
    view::read_all(&txn.open_table(table)?, &txn.open_table(base::TABLE)?)
}

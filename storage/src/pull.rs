//! Applying a pull: the patch to the base, the acknowledgements to the pending queue, and
//! the rebase of what is still pending onto the new base, in one write transaction
//! (design §5). A hostile or out-of-date answer is set aside and changes nothing.

use std::collections::{BTreeMap, BTreeSet};

use promptdeck_protocol::wire::{Cookie, JsonText, PatchOp, PullResponse};
use promptdeck_protocol::{PROMPT_PREFIX, Prompt, PromptId, Touches};
use redb::{ReadableTable, WriteTransaction};
use serde_json::Value;

use crate::meta::{self, SyncState};
use crate::{
    Change, ChangeSet, PendingMutation, Replica, StoreError, base, history, pending, view,
};

/// Why a pull answer was set aside. The replica is exactly as it was.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PullRejected {
    #[error("it answers a pull from cookie {asked}, but the replica has moved on to {local}")]
    Stale { asked: String, local: String },
    #[error("its cookie {received} does not follow ours ({local})")]
    BackwardsCookie { received: String, local: String },
    #[error("its cookie did not move, yet it carries a patch")]
    PatchWithoutNewCookie,
    #[error(
        "it acknowledges this client's mutations up to {received}, below the {local} it acknowledged before"
    )]
    AcknowledgementWentDown { received: u64, local: u64 },
    #[error("it acknowledges mutation {received}, but this client has only made {made}")]
    AcknowledgesUnmade { received: u64, made: u64 },
    #[error("its value under {key} is not a prompt: {reason}")]
    NotAPrompt { key: String, reason: String },
    #[error("its prompt under {key} is past what any client may make: {error}")]
    OverLimits { key: String, error: promptdeck_protocol::ValidationError },
}

/// What an applied pull did.
#[derive(Debug, Clone, PartialEq)]
pub struct PullApplied {
    /// How the view changed, for the caches that mirror it.
    pub changes: ChangeSet,
    /// Pending mutations the server acknowledged and that were dropped.
    pub acknowledged: usize,
    /// Pending mutations still waiting.
    pub pending: usize,
    /// Versions of prompts' history forgotten to make room on a full disk for this pull.
    pub history_forgotten: usize,
}

impl Replica {
    /// Applies `response`, the answer to a pull sent with cookie `asked_with`.
    pub fn apply_pull(
        &self,
        asked_with: &Cookie,
        response: &PullResponse,
    ) -> Result<PullApplied, StoreError> {
        let keep = self.kept();
        let (applied, history_forgotten) =
            self.with_room(|db| apply_pull_in(db, asked_with, response, keep))?;
        Ok(PullApplied { history_forgotten, ..applied })
    }

    /// Ties the replica to the backend and space `target` names. Another target than the
    /// one it synced with means another server's history: the replica starts a new client
    /// group and pulls from scratch, keeping every pending change to push there. Returns
    /// whether it started over. A replica that never recorded a target adopts this one.
    pub fn adopt_target(&self, target: &str) -> Result<bool, StoreError> {
        let current = self.sync_state()?;
        match current.target.as_deref() {
            Some(known) if known == target => return Ok(false),
            None => {
                self.with_db(|db| {
                    let txn = db.begin_write()?;
                    let mut sync = meta::read_sync_state(&txn)?;
                    sync.target = Some(target.to_owned());
                    meta::write_sync_state(&txn, &sync)?;
                    Ok(txn.commit()?)
                })?;
                return Ok(false);
            }
            Some(_) => {}
        }
        let mut sync = self.restart_client_group()?;
        sync.target = Some(target.to_owned());
        self.with_db(|db| {
            let txn = db.begin_write()?;
            meta::write_sync_state(&txn, &sync)?;
            Ok(txn.commit()?)
        })?;
        Ok(true)
    }

    /// Starts a new client group after the server forgot ours (ClientStateNotFound):
    /// new ids, the cookie back to null, and every pending mutation kept, renumbered from 1
    /// under the new client so the server takes them as new. Nothing typed is lost.
    pub fn restart_client_group(&self) -> Result<SyncState, StoreError> {
        self.with_db(restart_client_group_in)
    }
}

fn restart_client_group_in(db: &redb::Database) -> Result<SyncState, StoreError> {
    let txn = db.begin_write()?;
    let fresh = SyncState::fresh();
    let renumbered: Vec<PendingMutation> = pending::all_for_write(&txn)?
        .into_iter()
        .zip(1..)
        .map(|(p, id)| PendingMutation { id, client_id: fresh.client_id.clone(), ..p })
        .collect();
    pending::replace_all(&txn, &renumbered)?;
    let target = meta::read_sync_state(&txn)?.target;
    let sync = SyncState { next_mutation_id: renumbered.len() as u64 + 1, target, ..fresh };
    meta::write_sync_state(&txn, &sync)?;
    txn.commit()?;
    Ok(sync)
}

fn apply_pull_in(
    db: &redb::Database,
    asked_with: &Cookie,
    response: &PullResponse,
    keep: history::Keep,
) -> Result<PullApplied, StoreError> {
    let txn = db.begin_write()?;
    let mut sync = meta::read_sync_state(&txn)?;
    let acked = check(&sync, asked_with, response)?;
    let before = pending::all_for_write(&txn)?;
    // Only keys the old pending mutations or the patch touched can differ from the base.
    let touched_by_pending = touched_by(&txn, &before)?;
    let (dropped, remaining): (Vec<_>, Vec<_>) =
        before.into_iter().partition(|p| p.client_id == sync.client_id && p.id <= acked);
    let clears = response.patch.iter().any(|op| matches!(op, PatchOp::Clear));
    let changes = if clears && remaining.is_empty() {
        replace_with_patch(&txn, &response.patch, keep)?
    } else {
        rebase(&txn, &response.patch, touched_by_pending, &remaining, keep)?
    };
    pending::replace_all(&txn, &remaining)?;
    sync.cookie = response.cookie.clone();
    sync.last_acked = acked;
    meta::write_sync_state(&txn, &sync)?;
    txn.commit()?;
    Ok(PullApplied {
        changes,
        acknowledged: dropped.len(),
        pending: remaining.len(),
        history_forgotten: 0,
    })
}

/// The keys `pending` mutations may have written: each one's own, and for one that writes
/// under a prefix, every key there in the base (what it may have deleted) or the view.
fn touched_by(
    txn: &WriteTransaction,
    pending: &[PendingMutation],
) -> Result<BTreeSet<String>, StoreError> {
    let mut keys = BTreeSet::new();
    let mut prefixes = BTreeSet::new();
    for p in pending {
        match p.mutation.touches() {
            Touches::Key(key) => drop(keys.insert(key)),
            Touches::Prefix(prefix) => drop(prefixes.insert(prefix)),
        }
    }
    for prefix in prefixes {
        keys.extend(view::keys_in(&txn.open_table(crate::base::TABLE)?, prefix)?);
        keys.extend(view::keys_in(&txn.open_table(view::TABLE)?, prefix)?);
    }
    Ok(keys)
}

/// The highest acknowledged mutation id of this client, if the answer may be applied.
fn check(
    sync: &SyncState,
    asked_with: &Cookie,
    response: &PullResponse,
) -> Result<u64, PullRejected> {
    let show = |c: &Cookie| c.0.to_string();
    if sync.cookie != *asked_with {
        return Err(PullRejected::Stale { asked: show(asked_with), local: show(&sync.cookie) });
    }
    if !response.cookie.may_follow(&sync.cookie) {
        return Err(PullRejected::BackwardsCookie {
            received: show(&response.cookie),
            local: show(&sync.cookie),
        });
    }
    if response.cookie == sync.cookie && !response.patch.is_empty() {
        return Err(PullRejected::PatchWithoutNewCookie);
    }
    let acked =
        response.last_mutation_id_changes.get(&sync.client_id).copied().unwrap_or(sync.last_acked);
    if acked < sync.last_acked {
        return Err(PullRejected::AcknowledgementWentDown {
            received: acked,
            local: sync.last_acked,
        });
    }
    let made = sync.next_mutation_id - 1;
    if acked > made {
        return Err(PullRejected::AcknowledgesUnmade { received: acked, made });
    }
    for op in &response.patch {
        if let PatchOp::Put { key, value } = op {
            check_prompt(key, value)?;
        }
    }
    Ok(acked)
}

/// Values under `prompt/` must be prompts with the id of their key; other keys belong to
/// other clients of the same backend and are kept as they are.
fn check_prompt(key: &str, value: &JsonText) -> Result<(), PullRejected> {
    let Some(id) = key.strip_prefix(promptdeck_protocol::PROMPT_PREFIX) else { return Ok(()) };
    let bad = |reason: String| PullRejected::NotAPrompt { key: key.to_owned(), reason };
    let prompt = value.parse::<Prompt>().map_err(|e| bad(e.to_string()))?;
    if PromptId::parse(id).ok().as_ref() != Some(&prompt.id) {
        return Err(bad(format!("its id is {}", prompt.id)));
    }
    // A hostile server must not slip in what no client could make: a body of gigabytes.
    prompt.check_sizes().map_err(|error| PullRejected::OverLimits { key: key.to_owned(), error })
}

/// Applies `patch` to the base, resets the keys it and the old pending mutations touched
/// (all of them after a `clear`) to the base, replays what is still pending, and reports how
/// the view changed. The view is read before the base moves: an entry that takes its value
/// from the base would read the new one.
fn rebase(
    txn: &WriteTransaction,
    patch: &[PatchOp],
    touched_by_pending: BTreeSet<String>,
    pending: &[PendingMutation],
    keep: history::Keep,
) -> Result<ChangeSet, StoreError> {
    let (before, keys) = if patch.iter().any(|op| matches!(op, PatchOp::Clear)) {
        let before = view::all_values(txn)?;
        base::apply_patch(txn, patch)?;
        (before, all_keys(txn)?)
    } else {
        let mut keys = touched_by_pending;
        keys.extend(patch.iter().filter_map(|op| match op {
            PatchOp::Put { key, .. } | PatchOp::Del { key } => Some(key.clone()),
            PatchOp::Clear => None,
        }));
        let before = view::values(txn, &keys)?;
        base::apply_patch(txn, patch)?;
        (before, keys)
    };
    view::reset_to_base(txn, &keys)?;
    {
        let mut kv = view::TableKv::open(txn)?;
        for p in pending {
            // A mutation that no longer applies (its prompt was deleted elsewhere) has no
            // effect here; it stays pending and the server decides.
            let _ = p.mutation.apply(&mut kv);
        }
    }
    let after = view::values(txn, &keys)?;
    let at = promptdeck_protocol::now_millis();
    for key in &keys {
        if before.get(key) != after.get(key) {
            history::record_values(txn, key, before.get(key), after.get(key), at, keep)?;
        }
    }
    Ok(diff(before, after))
}

/// A patch that clears, with nothing left pending to replay: the base becomes exactly what
/// the patch leaves and the view takes every value from it, and the changes come from the
/// patch's own values with nothing read back or parsed again (the first pull of a large
/// library). Every key left is reported as put, every other key of the old view as deleted.
fn replace_with_patch(
    txn: &WriteTransaction,
    patch: &[PatchOp],
    keep: history::Keep,
) -> Result<ChangeSet, StoreError> {
    let mut state: BTreeMap<&str, &JsonText> = BTreeMap::new();
    for op in patch {
        match op {
            PatchOp::Clear => state.clear(),
            PatchOp::Put { key, value } => {
                state.insert(key, value);
            }
            PatchOp::Del { key } => {
                state.remove(key.as_str());
            }
        }
    }
    let mut gone = Vec::new();
    for entry in txn.open_table(view::TABLE)?.iter()? {
        let key = entry?.0.value().to_owned();
        if !state.contains_key(key.as_str()) {
            gone.push(Change::Del { key });
        }
    }
    keep_replaced_versions(txn, &state, keep)?;
    let mut base = txn.open_table(base::TABLE)?;
    let mut view = txn.open_table(view::TABLE)?;
    base.retain(|_, _| false)?;
    view.retain(|_, _| false)?;
    let mut changes = gone;
    changes.reserve(state.len());
    for (key, value) in state {
        base.insert(key, value.as_str().as_bytes())?;
        view.insert(key, view::AS_BASE)?;
        changes.push(Change::Put { key: key.to_owned(), value: value.clone() });
    }
    Ok(ChangeSet(changes))
}

/// The prompts a clearing patch replaces or deletes, kept in the history as they were.
/// A first pull finds an empty view and reads nothing.
fn keep_replaced_versions(
    txn: &WriteTransaction,
    state: &BTreeMap<&str, &JsonText>,
    keep: history::Keep,
) -> Result<(), StoreError> {
    let before = {
        let (view, base) = (txn.open_table(view::TABLE)?, txn.open_table(base::TABLE)?);
        let mut before = Vec::new();
        view::for_each(&view, &base, PROMPT_PREFIX..view::PROMPT_END, |key, value| {
            before.push((key.to_owned(), serde_json::from_slice::<Value>(value).ok()));
        })?;
        before
    };
    let at = promptdeck_protocol::now_millis();
    for (key, old) in before {
        let new =
            state.get(key.as_str()).and_then(|v| serde_json::from_str::<Value>(v.as_str()).ok());
        if old != new {
            history::record_values(txn, &key, old.as_ref(), new.as_ref(), at, keep)?;
        }
    }
    Ok(())
}

fn all_keys(txn: &WriteTransaction) -> Result<BTreeSet<String>, StoreError> {
    let mut keys = BTreeSet::new();
    for table in [view::TABLE, base::TABLE] {
        for entry in txn.open_table(table)?.iter()? {
            keys.insert(entry?.0.value().to_owned());
        }
    }
    Ok(keys)
}

fn diff(before: BTreeMap<String, Value>, mut after: BTreeMap<String, Value>) -> ChangeSet {
    let mut changes = Vec::new();
    for (key, old) in before {
        match after.remove(&key) {
            Some(new) if new == old => {}
            Some(value) => changes.push(Change::Put { key, value: JsonText::from_value(&value) }),
            None => changes.push(Change::Del { key }),
        }
    }
    changes.extend(
        after
            .into_iter()
            .map(|(key, value)| Change::Put { key, value: JsonText::from_value(&value) }),
    );
    ChangeSet(changes)
}

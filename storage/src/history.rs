//! Every earlier version of every prompt, kept on this device: each time a prompt's title,
//! body or tags change (here, or arriving by sync) or it is deleted, what it held until then
//! is kept, in the same write transaction as the change, so a crash keeps both or neither.
//! The current version is the view's; a first pull writes nothing here. A kept body is the
//! few characters that tell it from the next version's (the current one's, for the newest),
//! whole only before a deletion.
//!
//! Kept per prompt, by default: the last [`KEEP_VERSIONS`] versions, and any younger than
//! [`KEEP_DAYS`] days (whichever keeps more; [`Keep`] sets both). A deleted prompt's versions stay
//! [`DELETED_DAYS`] days, for "Recently deleted", then go.

use promptdeck_protocol::diff::Delta;
use promptdeck_protocol::{PROMPT_PREFIX, Prompt, PromptId};
use redb::{ReadTransaction, ReadableTable, TableDefinition, WriteTransaction};
use serde::{Deserialize, Serialize};

use crate::StoreError;

/// `{prompt id}\0{number, 20 digits}` → a [`Version`] as JSON.
pub(crate) const TABLE: TableDefinition<&str, &[u8]> = TableDefinition::new("history");
/// Deleted prompts → when they were deleted (ms since the epoch).
pub(crate) const DELETED: TableDefinition<&str, i64> = TableDefinition::new("history_deleted");

pub const KEEP_VERSIONS: usize = 100;
pub const KEEP_DAYS: i64 = 90;

/// How much of each prompt's history is kept: its last `versions` versions, and any
/// younger than `days` days, whichever keeps more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keep {
    pub versions: usize,
    pub days: i64,
}

impl Default for Keep {
    fn default() -> Self {
        Self { versions: KEEP_VERSIONS, days: KEEP_DAYS }
    }
}
pub const DELETED_DAYS: i64 = 30;
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// Where a change came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    /// Made on this device.
    ThisDevice,
    /// Pulled from the server: another device, or another client of the same backend.
    Synced,
}

impl Origin {
    /// As a history says it.
    pub fn words(self) -> &'static str {
        match self {
            Origin::ThisDevice => "this device",
            Origin::Synced => "synced",
        }
    }
}

/// A prompt as it was until a change replaced it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Version {
    pub number: u64,
    pub title: String,
    pub body: Body,
    /// FNV-1a of the body, to tell a body rebuilt right from one that is not.
    pub body_hash: u64,
    pub tags: Vec<String>,
    pub created_at: i64,
    /// The prompt's own `updatedAt` in this version: when it was made, on whichever device.
    pub updated_at: i64,
    /// When the change that replaced it was recorded here, and where it came from.
    pub replaced_at: i64,
    pub replaced_by: Origin,
    /// The change that replaced it deleted the prompt.
    pub deleted: bool,
}

/// A version's body: whole (before a deletion, when there is no later one), or as the
/// characters that tell it from the next version's, newer, body: a small edit of a long
/// system prompt costs a few bytes, not the prompt again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Body {
    Whole(String),
    FromNext(Delta),
}

/// FNV-1a, 64 bits: stable across builds and machines, as a stored value must be.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// One version as a history lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    pub number: u64,
    pub title: String,
    pub body: String,
    pub tags: Vec<String>,
    pub created_at: i64,
    pub saved_at: i64,
    /// Where the change that made this version came from; `None` for the first one kept.
    pub made_by: Option<Origin>,
    /// The version the library holds now.
    pub current: bool,
    /// When the prompt was deleted, on its last version.
    pub deleted_at: Option<i64>,
}

/// A prompt deleted within [`DELETED_DAYS`], as "Recently deleted" lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Deleted {
    pub id: PromptId,
    pub title: String,
    pub deleted_at: i64,
    pub deleted_by: Origin,
    /// Its last version's number, which `restore` brings back by default.
    pub version: u64,
}

fn key(id: &str, number: u64) -> String {
    format!("{id}\u{0}{number:020}")
}

/// Keys of every version of `id`: from its id and NUL up to its id and U+0001.
fn range(id: &str) -> (String, String) {
    (format!("{id}\u{0}"), format!("{id}\u{1}"))
}

fn same_content(a: &Prompt, b: &Prompt) -> bool {
    a.title == b.title && a.body == b.body && a.tags == b.tags
}

/// The prompt `key` names, if it names one.
pub(crate) fn prompt_id(key: &str) -> Option<&str> {
    key.strip_prefix(PROMPT_PREFIX)
}

/// Keeps what each prompt a local write touched held before it, where that changed. A
/// prompt that did not exist before has nothing to keep: it is only no longer deleted, and
/// nothing of it is read (an import of 100k prompts parses none of them here).
pub(crate) fn record_touched(
    txn: &WriteTransaction,
    touched: &[crate::view::Touched],
    origin: Origin,
    at: i64,
    keep: Keep,
) -> Result<(), StoreError> {
    let read = |raw: &[u8]| serde_json::from_slice::<Prompt>(raw).ok();
    let mut created = Vec::new();
    for t in touched {
        match t {
            crate::view::Touched::Created { key } => created.extend(prompt_id(key)),
            crate::view::Touched::Changed { key, before, after } => {
                let Some(id) = prompt_id(key) else { continue };
                let (before, after) = (read(before), after.as_deref().and_then(read));
                record(txn, id, before.as_ref(), after.as_ref(), origin, at, keep)?;
            }
        }
    }
    if !created.is_empty() {
        use redb::ReadableTableMetadata;
        let mut deleted = txn.open_table(DELETED)?;
        if !deleted.is_empty()? {
            for id in created {
                deleted.remove(id)?;
            }
        }
    }
    Ok(())
}

/// Keeps what `key` held before a pull changed it from `before` to `after`, if it is a
/// prompt whose content changed.
pub(crate) fn record_values(
    txn: &WriteTransaction,
    key: &str,
    before: Option<&serde_json::Value>,
    after: Option<&serde_json::Value>,
    at: i64,
    keep: Keep,
) -> Result<(), StoreError> {
    let Some(id) = prompt_id(key) else { return Ok(()) };
    let read = |value: Option<&serde_json::Value>| {
        value.and_then(|value| serde_json::from_value::<Prompt>(value.clone()).ok())
    };
    record(txn, id, read(before).as_ref(), read(after).as_ref(), Origin::Synced, at, keep)
}

/// A prompt changed from `old` to `new` (`None`: it did not exist, or it is deleted).
/// Keeps `old` when its content changed or it was deleted.
pub(crate) fn record(
    txn: &WriteTransaction,
    id: &str,
    old: Option<&Prompt>,
    new: Option<&Prompt>,
    origin: Origin,
    at: i64,
    keep: Keep,
) -> Result<(), StoreError> {
    let mut deleted = txn.open_table(DELETED)?;
    if new.is_some() {
        deleted.remove(id)?;
    }
    let Some(old) = old else { return Ok(()) };
    if new.is_some_and(|new| same_content(old, new)) {
        return Ok(());
    }
    let mut table = txn.open_table(TABLE)?;
    let (from, to) = range(id);
    let number = match table.range(from.as_str()..to.as_str())?.next_back().transpose()? {
        Some((key, _)) => key.value()[from.len()..].parse::<u64>().unwrap_or(0) + 1,
        None => 1,
    };
    let body = match new {
        Some(new) => Body::FromNext(Delta::between(&new.body, &old.body)),
        None => Body::Whole(old.body.clone()),
    };
    let version = Version {
        number,
        title: old.title.clone(),
        body,
        body_hash: fnv1a(&old.body),
        tags: old.tags.clone(),
        created_at: old.created_at,
        updated_at: old.updated_at,
        replaced_at: at,
        replaced_by: origin,
        deleted: new.is_none(),
    };
    table.insert(key(id, number).as_str(), serde_json::to_vec(&version)?.as_slice())?;
    if new.is_none() {
        deleted.insert(id, at)?;
    }
    prune(&mut table, id, at, keep)
}

/// Drops `id`'s versions beyond the last `keep.versions` that are older than `keep.days`.
fn prune(
    table: &mut redb::Table<&'static str, &'static [u8]>,
    id: &str,
    now: i64,
    keep: Keep,
) -> Result<(), StoreError> {
    let (from, to) = range(id);
    let count = table.range(from.as_str()..to.as_str())?.count();
    if count <= keep.versions {
        return Ok(());
    }
    let mut dropped = Vec::new();
    for entry in table.range(from.as_str()..to.as_str())?.take(count - keep.versions) {
        let (key, raw) = entry?;
        let old = serde_json::from_slice::<Version>(raw.value())
            .is_ok_and(|v| v.replaced_at < now - keep.days.saturating_mul(DAY_MS));
        if old {
            dropped.push(key.value().to_owned());
        }
    }
    for key in dropped {
        table.remove(key.as_str())?;
    }
    Ok(())
}

/// The time before which a deletion is too old to list, at `now`.
fn deletions_kept_since(now: i64) -> i64 {
    now - DELETED_DAYS * DAY_MS
}

/// The prompts deleted more than [`DELETED_DAYS`] before `now`.
pub(crate) fn long_deleted(txn: &ReadTransaction, now: i64) -> Result<Vec<String>, StoreError> {
    let Some(deleted) = open(txn, DELETED)? else { return Ok(Vec::new()) };
    let mut expired = Vec::new();
    for entry in deleted.iter()? {
        let (id, at) = entry?;
        if at.value() < deletions_kept_since(now) {
            expired.push(id.value().to_owned());
        }
    }
    Ok(expired)
}

/// Forgets those of `ids` still deleted too long ago at `now` (one brought back since is
/// kept), versions and all.
pub(crate) fn forget(
    txn: &WriteTransaction,
    ids: &[String],
    now: i64,
) -> Result<usize, StoreError> {
    let mut deleted = txn.open_table(DELETED)?;
    let mut table = txn.open_table(TABLE)?;
    let mut forgotten = 0;
    for id in ids {
        let expired =
            deleted.get(id.as_str())?.is_some_and(|at| at.value() < deletions_kept_since(now));
        if !expired {
            continue;
        }
        let (from, to) = range(id);
        table.retain_in(from.as_str()..to.as_str(), |_, _| false)?;
        deleted.remove(id.as_str())?;
        forgotten += 1;
    }
    Ok(forgotten)
}

/// Makes room on a disk too full for a write: forgets the oldest versions of prompts'
/// history (by when they were replaced, so each prompt loses its oldest first and the rest
/// still rebuild), a quarter of the history's bytes at a time, at least one version. Each
/// prompt's newest version stays: its last change can still be undone, a deleted prompt
/// brought back, and versions keep their numbers. Returns how many versions it forgot.
pub(crate) fn make_room(txn: &WriteTransaction) -> Result<usize, StoreError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Replaced {
        replaced_at: i64,
    }
    let mut table = txn.open_table(TABLE)?;
    let mut versions: Vec<(i64, String, usize)> = Vec::new();
    let mut entries = table.iter()?.peekable();
    while let Some(entry) = entries.next() {
        let (key, raw) = entry?;
        let key = key.value().to_owned();
        let prompt = key.split('\u{0}').next().unwrap_or_default();
        let newest = match entries.peek() {
            Some(Ok((next, _))) => !next.value().starts_with(&format!("{prompt}\u{0}")),
            _ => true,
        };
        if newest {
            continue;
        }
        // A damaged version is the first to go: it shows nothing.
        let at =
            serde_json::from_slice::<Replaced>(raw.value()).map_or(i64::MIN, |r| r.replaced_at);
        versions.push((at, key, raw.value().len()));
    }
    drop(entries);
    versions.sort();
    let total: usize = versions.iter().map(|(_, _, len)| len).sum();
    let (mut freed, mut forgotten) = (0, 0);
    for (_, key, len) in &versions {
        if forgotten > 0 && freed >= total / 4 {
            break;
        }
        table.remove(key.as_str())?;
        freed += len;
        forgotten += 1;
    }
    Ok(forgotten)
}

/// Every kept version of `id`, oldest first, then `current` (the view's) if it exists.
/// Bodies are rebuilt from the newest back; a version that is damaged, or whose body does
/// not rebuild to what was kept, is left out (and so are older ones resting on it, back to
/// the next kept whole).
pub(crate) fn entries(
    txn: &ReadTransaction,
    id: &PromptId,
    current: Option<Prompt>,
) -> Result<Vec<Entry>, StoreError> {
    let mut versions: Vec<Version> = Vec::new();
    if let Some(table) = open(txn, TABLE)? {
        let (from, to) = range(id.as_str());
        for entry in table.range(from.as_str()..to.as_str())? {
            let (_, raw) = entry?;
            match serde_json::from_slice::<Version>(raw.value()) {
                Ok(version) => versions.push(version),
                Err(e) => tracing::warn!(%id, error = %e, "a version is damaged; left out"),
            }
        }
    }
    let mut bodies: Vec<Option<String>> = vec![None; versions.len()];
    let mut next = current.as_ref().map(|prompt| prompt.body.clone());
    for (at, version) in versions.iter().enumerate().rev() {
        let body = match &version.body {
            Body::Whole(body) => Some(body.clone()),
            Body::FromNext(delta) => next.as_deref().and_then(|next| delta.apply(next)),
        };
        let body = body.filter(|body| fnv1a(body) == version.body_hash);
        if body.is_none() {
            tracing::warn!(%id, number = version.number, "a version's body does not rebuild; left out");
        }
        bodies[at].clone_from(&body);
        next = body;
    }
    let mut entries: Vec<Entry> = Vec::new();
    let mut made_by = None;
    let mut number = 1;
    for (version, body) in versions.into_iter().zip(bodies) {
        number = version.number + 1;
        let by = made_by.replace(version.replaced_by);
        let Some(body) = body else { continue };
        entries.push(Entry {
            number: version.number,
            title: version.title,
            body,
            tags: version.tags,
            created_at: version.created_at,
            saved_at: version.updated_at,
            made_by: by,
            current: false,
            deleted_at: version.deleted.then_some(version.replaced_at),
        });
    }
    if let Some(prompt) = current {
        entries.push(Entry {
            number,
            title: prompt.title,
            body: prompt.body,
            tags: prompt.tags,
            created_at: prompt.created_at,
            saved_at: prompt.updated_at,
            made_by,
            current: true,
            deleted_at: None,
        });
    }
    Ok(entries)
}

/// Prompts deleted within [`DELETED_DAYS`] of `now`, the latest first.
pub(crate) fn recently_deleted(
    txn: &ReadTransaction,
    now: i64,
) -> Result<Vec<Deleted>, StoreError> {
    let (Some(deleted), Some(table)) = (open(txn, DELETED)?, open(txn, TABLE)?) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for entry in deleted.iter()? {
        let (id, at) = entry?;
        if at.value() < deletions_kept_since(now) {
            continue;
        }
        let (from, to) = range(id.value());
        let Some(last) = table.range(from.as_str()..to.as_str())?.next_back().transpose()? else {
            continue;
        };
        let (Ok(version), Ok(prompt)) =
            (serde_json::from_slice::<Version>(last.1.value()), PromptId::parse(id.value()))
        else {
            continue;
        };
        out.push(Deleted {
            id: prompt,
            title: version.title,
            deleted_at: at.value(),
            deleted_by: version.replaced_by,
            version: version.number,
        });
    }
    out.sort_by_key(|d| std::cmp::Reverse(d.deleted_at));
    Ok(out)
}

/// What the history takes on disk: its tables' bytes, their indexing and fragmentation.
pub(crate) fn bytes(txn: &ReadTransaction) -> Result<u64, StoreError> {
    use redb::ReadableTableMetadata;
    let mut bytes = 0;
    if let Some(table) = open(txn, TABLE)? {
        let stats = table.stats()?;
        bytes += stats.stored_bytes() + stats.metadata_bytes() + stats.fragmented_bytes();
    }
    if let Some(table) = open(txn, DELETED)? {
        let stats = table.stats()?;
        bytes += stats.stored_bytes() + stats.metadata_bytes() + stats.fragmented_bytes();
    }
    Ok(bytes)
}

fn open<K: redb::Key + 'static, V: redb::Value + 'static>(
    txn: &ReadTransaction,
    table: TableDefinition<K, V>,
) -> Result<Option<redb::ReadOnlyTable<K, V>>, StoreError> {
    match txn.open_table(table) {
        Ok(table) => Ok(Some(table)),
        Err(redb::TableError::TableDoesNotExist(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

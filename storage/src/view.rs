//! The view table: base plus pending, what every read sees.

use promptdeck_protocol::wire::JsonText;
use promptdeck_protocol::{Kv, KvError, PROMPT_PREFIX, Prompt, PromptId};
use redb::{ReadTransaction, ReadableTable, Table, TableDefinition, WriteTransaction};
use serde_json::Value;

use crate::{Change, ChangeSet, StoreError};

pub(crate) const TABLE: TableDefinition<&str, &[u8]> = TableDefinition::new("view");

/// A view entry whose value is the base's under the same key. Most of the view is the base
/// (everything a pull brought that nothing pending touches): storing a mark instead of a
/// second copy halves what a large pull writes. Never valid JSON, so never a value.
pub(crate) const AS_BASE: &[u8] = b"";

/// The view inside a write transaction, as the mutators' [`Kv`], recording what changed
/// and what each prompt held before the transaction first touched it.
pub(crate) struct TableKv<'txn> {
    table: Table<'txn, &'static str, &'static [u8]>,
    base: Table<'txn, &'static str, &'static [u8]>,
    changes: Vec<Change>,
    /// Each prompt written: its bytes before the transaction, and whether it exists now.
    touched: std::collections::BTreeMap<String, (Option<Vec<u8>>, bool)>,
}

impl<'txn> TableKv<'txn> {
    pub(crate) fn open(txn: &'txn WriteTransaction) -> Result<Self, StoreError> {
        Ok(Self {
            table: txn.open_table(TABLE)?,
            base: txn.open_table(crate::base::TABLE)?,
            changes: Vec::new(),
            touched: std::collections::BTreeMap::new(),
        })
    }

    /// What changed, and each prompt touched, for the history. A prompt's bytes now are
    /// read only where there was one before: an import of new prompts reads none back.
    pub(crate) fn into_changes(self) -> Result<(ChangeSet, Vec<Touched>), StoreError> {
        let mut touched = Vec::with_capacity(self.touched.len());
        for (key, (before, exists)) in self.touched {
            touched.push(match before {
                None if exists => Touched::Created { key },
                None => continue,
                Some(before) => {
                    let after = if exists { get(&self.table, &self.base, &key)? } else { None };
                    Touched::Changed { key, before, after }
                }
            });
        }
        Ok((ChangeSet(self.changes), touched))
    }

    /// Keeps what `key` held before this transaction, the first time it is written, and
    /// whether it exists after this write.
    fn remember(&mut self, key: &str, exists: bool) -> Result<(), KvError> {
        if crate::history::prompt_id(key).is_none() {
            return Ok(());
        }
        match self.touched.get_mut(key) {
            Some((_, now)) => *now = exists,
            None => {
                let before = get(&self.table, &self.base, key).map_err(kv_error)?;
                self.touched.insert(key.to_owned(), (before, exists));
            }
        }
        Ok(())
    }
}

/// A prompt written in a transaction.
pub(crate) enum Touched {
    /// It did not exist before, and does now.
    Created { key: String },
    /// It existed: its bytes before, and now (`None`: deleted).
    Changed { key: String, before: Vec<u8>, after: Option<Vec<u8>> },
}

fn kv_error(e: impl std::fmt::Display) -> KvError {
    KvError(e.to_string())
}

impl Kv for TableKv<'_> {
    fn get(&self, key: &str) -> Result<Option<Value>, KvError> {
        let Some(raw) = get(&self.table, &self.base, key).map_err(kv_error)? else {
            return Ok(None);
        };
        serde_json::from_slice(&raw).map(Some).map_err(kv_error)
    }

    fn put(&mut self, key: &str, value: Value) -> Result<(), KvError> {
        self.remember(key, true)?;
        let value = JsonText::from_value(&value);
        self.table.insert(key, value.as_str().as_bytes()).map_err(kv_error)?;
        self.changes.push(Change::Put { key: key.to_owned(), value });
        Ok(())
    }

    fn del(&mut self, key: &str) -> Result<(), KvError> {
        self.remember(key, false)?;
        if self.table.remove(key).map_err(kv_error)?.is_some() {
            self.changes.push(Change::Del { key: key.to_owned() });
        }
        Ok(())
    }

    fn keys(&self, prefix: &str) -> Result<Vec<String>, KvError> {
        keys_in(&self.table, prefix).map_err(kv_error)
    }
}

/// Every key of `table` that starts with `prefix`, in order.
pub(crate) fn keys_in(
    table: &impl ReadableTable<&'static str, &'static [u8]>,
    prefix: &str,
) -> Result<Vec<String>, StoreError> {
    let mut keys = Vec::new();
    for entry in table.range::<&str>(prefix..)? {
        let (key, _) = entry?;
        if !key.value().starts_with(prefix) {
            break;
        }
        keys.push(key.value().to_owned());
    }
    Ok(keys)
}

/// The view's value under `key`, the base's when the view says so.
fn get(
    view: &impl ReadableTable<&'static str, &'static [u8]>,
    base: &impl ReadableTable<&'static str, &'static [u8]>,
    key: &str,
) -> Result<Option<Vec<u8>>, StoreError> {
    let Some(raw) = view.get(key)? else { return Ok(None) };
    if raw.value() != AS_BASE {
        return Ok(Some(raw.value().to_vec()));
    }
    match base.get(key)? {
        Some(raw) => Ok(Some(raw.value().to_vec())),
        None => Err(missing_base(key)),
    }
}

fn missing_base(key: &str) -> StoreError {
    StoreError::Corrupt(format!("the view takes {key} from the base, which has no such key"))
}

/// Keys from `prompt/` up to (not including) `prompt0`: '0' follows '/' in ASCII.
pub(crate) const PROMPT_END: &str = "prompt0";

/// Calls `each` with every entry of the view in `range`, in key order, with its value's
/// bytes. The base is read alongside in the same order, so an entry marked as the base's
/// costs no lookup of its own (a start reads the whole library this way).
pub(crate) fn for_each(
    view: &impl ReadableTable<&'static str, &'static [u8]>,
    base: &impl ReadableTable<&'static str, &'static [u8]>,
    range: impl std::ops::RangeBounds<&'static str> + Clone + 'static,
    mut each: impl FnMut(&str, &[u8]),
) -> Result<(), StoreError> {
    let mut base_entries = base.range::<&str>(range.clone())?;
    for entry in view.range::<&str>(range)? {
        let (key, value) = entry?;
        let (key, value) = (key.value(), value.value());
        if value != AS_BASE {
            each(key, value);
            continue;
        }
        loop {
            let Some(base_entry) = base_entries.next() else { return Err(missing_base(key)) };
            let (base_key, base_value) = base_entry?;
            match base_key.value().cmp(key) {
                std::cmp::Ordering::Less => continue,
                std::cmp::Ordering::Equal => {
                    each(key, base_value.value());
                    break;
                }
                std::cmp::Ordering::Greater => return Err(missing_base(key)),
            }
        }
    }
    Ok(())
}

/// Prompts as stored, read but not yet parsed, so that parsing can run on another thread
/// while the next ones are read (a start reads the whole library).
pub struct StoredPrompts {
    /// The values, one after another.
    values: Vec<u8>,
    /// The keys, one after another, named only when a value is unreadable.
    keys: String,
    /// Where each prompt's key and value end in `keys` and `values`.
    ends: Vec<(usize, usize)>,
}

impl StoredPrompts {
    fn with_capacity(prompts: usize) -> Self {
        Self { values: Vec::new(), keys: String::new(), ends: Vec::with_capacity(prompts) }
    }

    fn push(&mut self, key: &str, value: &[u8]) {
        self.keys.push_str(key);
        self.values.extend_from_slice(value);
        self.ends.push((self.keys.len(), self.values.len()));
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The prompts, in key order; an unreadable value is skipped with a warning.
    pub fn parse(self) -> Vec<Prompt> {
        let mut prompts = Vec::with_capacity(self.ends.len());
        let (mut key_start, mut value_start) = (0, 0);
        for &(key_end, value_end) in &self.ends {
            let (key, value) =
                (&self.keys[key_start..key_end], &self.values[value_start..value_end]);
            prompts.extend(readable(key, value));
            (key_start, value_start) = (key_end, value_end);
        }
        prompts
    }
}

/// Hands every prompt of the view to `each`, in key order, `batch` at a time.
pub(crate) fn prompts_in_batches(
    txn: &ReadTransaction,
    batch: usize,
    mut each: impl FnMut(StoredPrompts),
) -> Result<(), StoreError> {
    let (view, base) = (txn.open_table(TABLE)?, txn.open_table(crate::base::TABLE)?);
    let batch = batch.max(1);
    let mut stored = StoredPrompts::with_capacity(batch);
    for_each(&view, &base, PROMPT_PREFIX..PROMPT_END, |key, value| {
        stored.push(key, value);
        if stored.len() == batch {
            each(std::mem::replace(&mut stored, StoredPrompts::with_capacity(batch)));
        }
    })?;
    if !stored.is_empty() {
        each(stored);
    }
    Ok(())
}

pub(crate) fn prompts(txn: &ReadTransaction) -> Result<Vec<Prompt>, StoreError> {
    let (view, base) = (txn.open_table(TABLE)?, txn.open_table(crate::base::TABLE)?);
    let mut out = Vec::new();
    for_each(&view, &base, PROMPT_PREFIX..PROMPT_END, |key, value| {
        out.extend(readable(key, value));
    })?;
    Ok(out)
}

/// The prompt stored under `key`; one whose value does not read is skipped, with a warning,
/// so that one damaged entry never hides the library.
fn readable(key: &str, value: &[u8]) -> Option<Prompt> {
    serde_json::from_slice(value)
        .inspect_err(|e| tracing::warn!(key, error = %e, "skipping unreadable prompt"))
        .ok()
}

pub(crate) fn prompt(txn: &ReadTransaction, id: &PromptId) -> Result<Option<Prompt>, StoreError> {
    let (view, base) = (txn.open_table(TABLE)?, txn.open_table(crate::base::TABLE)?);
    let Some(raw) = get(&view, &base, id.key().as_str())? else {
        return Ok(None);
    };
    Ok(Some(serde_json::from_slice(&raw)?))
}

/// The current values of `keys` in the view (absent keys are left out).
pub(crate) fn values(
    txn: &WriteTransaction,
    keys: &std::collections::BTreeSet<String>,
) -> Result<std::collections::BTreeMap<String, Value>, StoreError> {
    let (view, base) = (txn.open_table(TABLE)?, txn.open_table(crate::base::TABLE)?);
    let mut out = std::collections::BTreeMap::new();
    for key in keys {
        if let Some(raw) = get(&view, &base, key)? {
            out.insert(key.clone(), serde_json::from_slice(&raw)?);
        }
    }
    Ok(out)
}

/// Every value of the view.
pub(crate) fn all_values(
    txn: &WriteTransaction,
) -> Result<std::collections::BTreeMap<String, Value>, StoreError> {
    read_all(&txn.open_table(TABLE)?, &txn.open_table(crate::base::TABLE)?)
}

/// Every key of `table` (the view, or the base itself) and its value, read.
pub(crate) fn read_all(
    table: &impl ReadableTable<&'static str, &'static [u8]>,
    base: &impl ReadableTable<&'static str, &'static [u8]>,
) -> Result<std::collections::BTreeMap<String, Value>, StoreError> {
    let mut out = std::collections::BTreeMap::new();
    let mut unreadable = None;
    for_each(table, base, .., |key, value| match serde_json::from_slice(value) {
        Ok(value) => drop(out.insert(key.to_owned(), value)),
        Err(e) => unreadable = Some(e),
    })?;
    match unreadable {
        Some(e) => Err(e.into()),
        None => Ok(out),
    }
}

/// Sets each of `keys` in the view to its base value, or removes it when the base has none.
pub(crate) fn reset_to_base(
    txn: &WriteTransaction,
    keys: &std::collections::BTreeSet<String>,
) -> Result<(), StoreError> {
    let base = txn.open_table(crate::base::TABLE)?;
    let mut view = txn.open_table(TABLE)?;
    for key in keys {
        if base.get(key.as_str())?.is_some() {
            view.insert(key.as_str(), AS_BASE)?;
        } else {
            view.remove(key.as_str())?;
        }
    }
    Ok(())
}

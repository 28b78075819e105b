//! The view table: base plus pending, what every read sees.

use promptdeck_protocol::{Kv, KvError, PROMPT_PREFIX, Prompt, PromptId};
use redb::{ReadTransaction, ReadableTable, Table, TableDefinition, WriteTransaction};
use serde_json::Value;

use crate::{Change, ChangeSet, StoreError};

pub(crate) const TABLE: TableDefinition<&str, &[u8]> = TableDefinition::new("view");

/// The view inside a write transaction, as the mutators' [`Kv`], recording what changed.
pub(crate) struct TableKv<'txn> {
    table: Table<'txn, &'static str, &'static [u8]>,
    changes: Vec<Change>,
}

impl<'txn> TableKv<'txn> {
    pub(crate) fn open(txn: &'txn WriteTransaction) -> Result<Self, StoreError> {
        Ok(Self { table: txn.open_table(TABLE)?, changes: Vec::new() })
    }

    pub(crate) fn into_changes(self) -> ChangeSet {
        ChangeSet(self.changes)
    }
}

fn kv_error(e: impl std::fmt::Display) -> KvError {
    KvError(e.to_string())
}

impl Kv for TableKv<'_> {
    fn get(&self, key: &str) -> Result<Option<Value>, KvError> {
        let Some(raw) = self.table.get(key).map_err(kv_error)? else {
            return Ok(None);
        };
        serde_json::from_slice(raw.value()).map(Some).map_err(kv_error)
    }

    fn put(&mut self, key: &str, value: Value) -> Result<(), KvError> {
        let bytes = serde_json::to_vec(&value).map_err(kv_error)?;
        self.table.insert(key, bytes.as_slice()).map_err(kv_error)?;
        self.changes.push(Change::Put { key: key.to_owned(), value });
        Ok(())
    }

    fn del(&mut self, key: &str) -> Result<(), KvError> {
        if self.table.remove(key).map_err(kv_error)?.is_some() {
            self.changes.push(Change::Del { key: key.to_owned() });
        }
        Ok(())
    }
}

/// Keys from `prompt/` up to (not including) `prompt0`: '0' follows '/' in ASCII.
const PROMPT_END: &str = "prompt0";

pub(crate) fn prompts(txn: &ReadTransaction) -> Result<Vec<Prompt>, StoreError> {
    let table = txn.open_table(TABLE)?;
    let mut out = Vec::new();
    for entry in table.range(PROMPT_PREFIX..PROMPT_END)? {
        let (key, value) = entry?;
        match serde_json::from_slice::<Prompt>(value.value()) {
            Ok(prompt) => out.push(prompt),
            Err(e) => tracing::warn!(key = key.value(), error = %e, "skipping unreadable prompt"),
        }
    }
    Ok(out)
}

pub(crate) fn prompt(txn: &ReadTransaction, id: &PromptId) -> Result<Option<Prompt>, StoreError> {
    let table = txn.open_table(TABLE)?;
    let Some(raw) = table.get(id.key().as_str())? else {
        return Ok(None);
    };
    Ok(Some(serde_json::from_slice(raw.value())?))
}

/// The current values of `keys` in the view (absent keys are left out).
pub(crate) fn values(
    txn: &WriteTransaction,
    keys: &std::collections::BTreeSet<String>,
) -> Result<std::collections::BTreeMap<String, Value>, StoreError> {
    let table = txn.open_table(TABLE)?;
    let mut out = std::collections::BTreeMap::new();
    for key in keys {
        if let Some(raw) = table.get(key.as_str())? {
            out.insert(key.clone(), serde_json::from_slice(raw.value())?);
        }
    }
    Ok(out)
}

/// Sets each of `keys` in the view to its base value, or removes it when the base has none.
pub(crate) fn reset_to_base(
    txn: &WriteTransaction,
    keys: &std::collections::BTreeSet<String>,
) -> Result<(), StoreError> {
    let base = txn.open_table(crate::base::TABLE)?;
    let mut view = txn.open_table(TABLE)?;
    for key in keys {
        match base.get(key.as_str())? {
            Some(raw) => {
                view.insert(key.as_str(), raw.value())?;
            }
            None => {
                view.remove(key.as_str())?;
            }
        }
    }
    Ok(())
}

//! What was typed into prompts' fields, kept on this device only (never synced): the
//! palette's fill-in form offers a field's last values first the next time.

use std::collections::HashMap;

use promptdeck_protocol::PromptId;
use redb::{ReadTransaction, ReadableTable, TableDefinition, WriteTransaction};

use crate::StoreError;

pub(crate) const TABLE: TableDefinition<&str, &[u8]> = TableDefinition::new("field_values");

/// Values kept per field, the most recent first.
pub const KEPT_VALUES: usize = 5;
/// A longer value is not kept: a pasted page is not something to offer again.
pub const MAX_VALUE_CHARS: usize = 1_000;

/// The key of `field` of `prompt`. A prompt id holds no NUL, so every key of one prompt
/// lies between its id followed by NUL and by U+0001.
fn key(prompt: &PromptId, field: &str) -> String {
    format!("{prompt}\u{0}{field}")
}

/// Puts each of `values` (field, value) first among its field's kept values. Empty and
/// overlong values are not kept; a damaged entry is started afresh.
pub(crate) fn remember(
    txn: &WriteTransaction,
    prompt: &PromptId,
    values: &[(String, String)],
) -> Result<(), StoreError> {
    let mut table = txn.open_table(TABLE)?;
    for (field, value) in values {
        if value.is_empty() || value.chars().count() > MAX_VALUE_CHARS {
            continue;
        }
        let key = key(prompt, field);
        let mut kept: Vec<String> = match table.get(key.as_str())? {
            Some(raw) => serde_json::from_slice(raw.value()).unwrap_or_default(),
            None => Vec::new(),
        };
        kept.retain(|earlier| earlier != value);
        kept.insert(0, value.clone());
        kept.truncate(KEPT_VALUES);
        table.insert(key.as_str(), serde_json::to_vec(&kept)?.as_slice())?;
    }
    Ok(())
}

/// Every field of `prompt` with its kept values, the most recent first. A damaged entry
/// is left out: it must never keep the form from opening.
pub(crate) fn recall(
    txn: &ReadTransaction,
    prompt: &PromptId,
) -> Result<HashMap<String, Vec<String>>, StoreError> {
    let table = match txn.open_table(TABLE) {
        Ok(table) => table,
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(HashMap::new()),
        Err(e) => return Err(e.into()),
    };
    let (from, to) = (format!("{prompt}\u{0}"), format!("{prompt}\u{1}"));
    let mut fields = HashMap::new();
    for entry in table.range(from.as_str()..to.as_str())? {
        let (key, raw) = entry?;
        let field = key.value()[from.len()..].to_owned();
        match serde_json::from_slice::<Vec<String>>(raw.value()) {
            Ok(values) => {
                fields.insert(field, values);
            }
            Err(e) => tracing::warn!(error = %e, "a field's kept values are damaged; left out"),
        }
    }
    Ok(fields)
}

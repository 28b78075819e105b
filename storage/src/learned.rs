//! What the palette learned: for each query typed, the prompts picked for it, the latest
//! first. Kept on this device (the palette ranks them first the next time that query, or
//! the start of it, is typed).

use promptdeck_protocol::PromptId;
use redb::{
    ReadTransaction, ReadableTable, ReadableTableMetadata, TableDefinition, WriteTransaction,
};
use serde::{Deserialize, Serialize};

use crate::StoreError;

pub(crate) const TABLE: TableDefinition<&str, &[u8]> = TableDefinition::new("learned_picks");

/// Prompts kept per query, the latest pick first.
pub const PICKS_PER_QUERY: usize = 3;
/// Queries kept; past this the one picked for longest ago is forgotten.
pub const KEPT_QUERIES: usize = 1_000;
/// A longer query is not learned: nobody types it the same way twice.
pub const MAX_QUERY_CHARS: usize = 64;

/// A prompt picked for a query, and when it last was (ms since the epoch).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pick {
    pub prompt: PromptId,
    pub at: i64,
}

/// A query as it is learned and looked up: lowercase, its words separated by one space.
/// `None` for a query too short or too long to learn from.
pub fn normalize(query: &str) -> Option<String> {
    let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
    let normal = words.join(" ");
    (!normal.is_empty() && normal.chars().count() <= MAX_QUERY_CHARS).then_some(normal)
}

/// Puts `prompt` first among `picks`, once, keeping at most [`PICKS_PER_QUERY`]: the one
/// rule for the store and for the index that mirrors it.
pub fn put_first(picks: &mut Vec<Pick>, prompt: PromptId, at: i64) {
    picks.retain(|pick| pick.prompt != prompt);
    picks.insert(0, Pick { prompt, at });
    picks.truncate(PICKS_PER_QUERY);
}

/// Puts `prompt` first among the picks for `query` (already normalized).
pub(crate) fn learn(
    txn: &WriteTransaction,
    query: &str,
    prompt: &PromptId,
    at: i64,
) -> Result<(), StoreError> {
    let mut table = txn.open_table(TABLE)?;
    let mut picks: Vec<Pick> = match table.get(query)? {
        Some(raw) => serde_json::from_slice(raw.value()).unwrap_or_default(),
        None => Vec::new(),
    };
    put_first(&mut picks, prompt.clone(), at);
    table.insert(query, serde_json::to_vec(&picks)?.as_slice())?;
    if table.len()? > KEPT_QUERIES as u64 {
        let mut oldest: Option<(String, i64)> = None;
        for entry in table.iter()? {
            let (key, raw) = entry?;
            let latest = serde_json::from_slice::<Vec<Pick>>(raw.value())
                .ok()
                .and_then(|picks| picks.first().map(|pick| pick.at))
                .unwrap_or(i64::MIN);
            if oldest.as_ref().is_none_or(|(_, at)| latest < *at) {
                oldest = Some((key.value().to_owned(), latest));
            }
        }
        if let Some((key, _)) = oldest {
            table.remove(key.as_str())?;
        }
    }
    Ok(())
}

/// Every query learned, with its picks. A damaged entry is left out: learning must never
/// keep the palette from opening.
pub(crate) fn all(txn: &ReadTransaction) -> Result<Vec<(String, Vec<Pick>)>, StoreError> {
    let table = match txn.open_table(TABLE) {
        Ok(table) => table,
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    let mut learned = Vec::new();
    for entry in table.iter()? {
        let (key, raw) = entry?;
        match serde_json::from_slice::<Vec<Pick>>(raw.value()) {
            Ok(picks) => learned.push((key.value().to_owned(), picks)),
            Err(e) => tracing::warn!(error = %e, "a learned query is damaged; left out"),
        }
    }
    Ok(learned)
}

/// Forgets everything learned.
pub(crate) fn forget(txn: &WriteTransaction) -> Result<(), StoreError> {
    match txn.delete_table(TABLE) {
        Ok(_) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn queries_are_learned_lowercase_with_single_spaces() {
        assert_eq!(normalize("  Meeting   NOTES "), Some("meeting notes".into()));
        assert_eq!(normalize("   "), None);
        assert_eq!(normalize(&"x".repeat(65)), None);
    }
}

//! What the palette learned: for each query typed, the prompts picked for it, the latest
//! first (the palette ranks them first the next time that query, or the start of it, is
//! typed). Kept on this device in its own table; where the backend runs `learnPick`, the
//! same picks also sync as the space's `learned/` keys, which [`synced`] reads from the view.

use promptdeck_protocol::PromptId;
use redb::{
    ReadTransaction, ReadableTable, ReadableTableMetadata, TableDefinition, WriteTransaction,
};

use crate::{StoreError, view};

pub use promptdeck_protocol::learned::{
    KEPT_QUERIES, MAX_QUERY_CHARS, PICKS_PER_QUERY, Pick, normalize, put_first,
};
use promptdeck_protocol::learned::{LEARNED_END, LEARNED_PREFIX, LearnedPicks, query_of};

pub(crate) const TABLE: TableDefinition<&str, &[u8]> = TableDefinition::new("learned_picks");

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

/// Every query learned in the space (the view's `learned/` keys), with its picks. A value
/// that is not one is left out, as a damaged local entry is.
pub(crate) fn synced(txn: &ReadTransaction) -> Result<Vec<(String, Vec<Pick>)>, StoreError> {
    let (view, base) = (txn.open_table(view::TABLE)?, txn.open_table(crate::base::TABLE)?);
    let mut learned = Vec::new();
    view::for_each(&view, &base, LEARNED_PREFIX..LEARNED_END, |key, raw| {
        let picks = serde_json::from_slice(raw).ok().and_then(|v| LearnedPicks::from_value(&v));
        match (query_of(key), picks) {
            (Some(query), Some(picks)) => learned.push((query.to_owned(), picks.picks)),
            _ => tracing::warn!(key, "a synced learned query is damaged; left out"),
        }
    })?;
    Ok(learned)
}

/// Forgets everything learned.
pub(crate) fn forget(txn: &WriteTransaction) -> Result<(), StoreError> {
    match txn.delete_table(TABLE) {
        Ok(_) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

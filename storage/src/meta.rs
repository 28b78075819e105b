//! The metadata table: schema version and the replica's sync position.

use promptdeck_protocol::wire::Cookie;
use redb::{ReadTransaction, ReadableTable, TableDefinition, WriteTransaction};
use serde::{Deserialize, Serialize};

use crate::StoreError;

pub(crate) const TABLE: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
const SCHEMA_KEY: &str = "schemaVersion";
const SYNC_KEY: &str = "sync";

/// The schema this build writes. Older files are migrated on open; newer ones refused.
/// 2: a view entry may say its value is the base's (`view::AS_BASE`), which a build that
/// knows only 1 would read as a broken value.
pub const CURRENT_SCHEMA_VERSION: u32 = 2;

/// Where this replica stands with the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncState {
    #[serde(rename = "clientGroupID")]
    pub client_group_id: String,
    #[serde(rename = "clientID")]
    pub client_id: String,
    /// The id the next local mutation gets; ids count up by one from 1.
    pub next_mutation_id: u64,
    pub cookie: Cookie,
    /// The highest mutation id of this client the server has acknowledged.
    #[serde(default)]
    pub last_acked: u64,
    /// The backend and space the cookie and client group belong to; `None` in a replica
    /// that has not synced since this was recorded.
    #[serde(default)]
    pub target: Option<String>,
}

impl SyncState {
    pub(crate) fn fresh() -> Self {
        Self {
            client_group_id: ulid::Ulid::new().to_string(),
            client_id: ulid::Ulid::new().to_string(),
            next_mutation_id: 1,
            cookie: Cookie::null(),
            last_acked: 0,
            target: None,
        }
    }
}

pub(crate) fn schema_version(txn: &ReadTransaction) -> Result<Option<u32>, StoreError> {
    let table = match txn.open_table(TABLE) {
        Ok(table) => table,
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let Some(raw) = table.get(SCHEMA_KEY)? else {
        return Ok(None);
    };
    Ok(Some(serde_json::from_slice(raw.value())?))
}

pub(crate) fn write_schema_version(txn: &WriteTransaction, version: u32) -> Result<(), StoreError> {
    let mut table = txn.open_table(TABLE)?;
    table.insert(SCHEMA_KEY, serde_json::to_vec(&version)?.as_slice())?;
    Ok(())
}

pub(crate) fn read_sync_state(txn: &impl MetaRead) -> Result<SyncState, StoreError> {
    let raw = txn.sync_bytes()?.ok_or_else(|| StoreError::Corrupt("sync state missing".into()))?;
    Ok(serde_json::from_slice(&raw)?)
}

pub(crate) fn write_sync_state(txn: &WriteTransaction, sync: &SyncState) -> Result<(), StoreError> {
    let mut table = txn.open_table(TABLE)?;
    table.insert(SYNC_KEY, serde_json::to_vec(sync)?.as_slice())?;
    Ok(())
}

/// Reading the sync state works inside read and write transactions alike.
pub(crate) trait MetaRead {
    fn sync_bytes(&self) -> Result<Option<Vec<u8>>, StoreError>;
}

impl MetaRead for ReadTransaction {
    fn sync_bytes(&self) -> Result<Option<Vec<u8>>, StoreError> {
        let table = self.open_table(TABLE)?;
        Ok(table.get(SYNC_KEY)?.map(|v| v.value().to_vec()))
    }
}

impl MetaRead for WriteTransaction {
    fn sync_bytes(&self) -> Result<Option<Vec<u8>>, StoreError> {
        let table = self.open_table(TABLE)?;
        Ok(table.get(SYNC_KEY)?.map(|v| v.value().to_vec()))
    }
}

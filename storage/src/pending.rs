//! The pending table: local mutations waiting for the server, in the order they were made.

use promptdeck_protocol::Mutation;
use promptdeck_protocol::wire::MutationRecord;
use redb::{ReadTransaction, ReadableTable, TableDefinition, WriteTransaction};
use serde::{Deserialize, Serialize};

use crate::StoreError;

/// Keyed by a local sequence number, so the order survives a change of client id.
pub(crate) const TABLE: TableDefinition<u64, &[u8]> = TableDefinition::new("pending");

/// A local mutation not yet acknowledged by the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingMutation {
    /// The mutation id, counting up by one per client from 1.
    pub id: u64,
    #[serde(rename = "clientID")]
    pub client_id: String,
    #[serde(flatten)]
    pub mutation: Mutation,
    pub timestamp: f64,
}

impl PendingMutation {
    /// The mutation as a push carries it.
    pub fn to_record(&self) -> MutationRecord {
        MutationRecord {
            id: self.id,
            client_id: self.client_id.clone(),
            name: self.mutation.name().to_owned(),
            args: self.mutation.args(),
            timestamp: self.timestamp,
        }
    }
}

pub(crate) fn append(txn: &WriteTransaction, pending: &PendingMutation) -> Result<(), StoreError> {
    let mut table = txn.open_table(TABLE)?;
    let next = table.last()?.map_or(0, |(k, _)| k.value() + 1);
    table.insert(next, serde_json::to_vec(pending)?.as_slice())?;
    Ok(())
}

pub(crate) fn all(txn: &ReadTransaction) -> Result<Vec<PendingMutation>, StoreError> {
    read_all(&txn.open_table(TABLE)?)
}

fn read_all(
    table: &impl ReadableTable<u64, &'static [u8]>,
) -> Result<Vec<PendingMutation>, StoreError> {
    let mut out = Vec::new();
    for entry in table.iter()? {
        let (seq, value) = entry?;
        let pending = serde_json::from_slice(value.value()).map_err(|e| {
            StoreError::Corrupt(format!("unsynced change {} does not read: {e}", seq.value()))
        })?;
        out.push(pending);
    }
    Ok(out)
}

/// Every pending mutation, inside a write transaction.
pub(crate) fn all_for_write(txn: &WriteTransaction) -> Result<Vec<PendingMutation>, StoreError> {
    read_all(&txn.open_table(TABLE)?)
}

/// Replaces the whole queue with `pending`, in that order.
pub(crate) fn replace_all(
    txn: &WriteTransaction,
    pending: &[PendingMutation],
) -> Result<(), StoreError> {
    let mut table = txn.open_table(TABLE)?;
    table.retain(|_, _| false)?;
    for (seq, p) in pending.iter().enumerate() {
        table.insert(seq as u64, serde_json::to_vec(p)?.as_slice())?;
    }
    Ok(())
}

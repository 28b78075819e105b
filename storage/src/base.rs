//! The base table: the server's snapshot at the replica's cookie.

use promptdeck_protocol::wire::PatchOp;
use redb::{TableDefinition, WriteTransaction};

use crate::StoreError;

pub(crate) const TABLE: TableDefinition<&str, &[u8]> = TableDefinition::new("base");

/// Applies a pull's patch to the base.
pub(crate) fn apply_patch(txn: &WriteTransaction, patch: &[PatchOp]) -> Result<(), StoreError> {
    let mut table = txn.open_table(TABLE)?;
    for op in patch {
        match op {
            PatchOp::Clear => table.retain(|_, _| false)?,
            PatchOp::Put { key, value } => {
                table.insert(key.as_str(), value.as_str().as_bytes())?;
            }
            PatchOp::Del { key } => {
                table.remove(key.as_str())?;
            }
        }
    }
    Ok(())
}

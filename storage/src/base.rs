//! The base table: the server's snapshot at the replica's cookie.

use std::collections::BTreeSet;

use promptdeck_protocol::wire::PatchOp;
use redb::{TableDefinition, WriteTransaction};

use crate::StoreError;

pub(crate) const TABLE: TableDefinition<&str, &[u8]> = TableDefinition::new("base");

/// Applies a pull's patch to the base. Returns the keys it touched, or `None` when it
/// cleared the base (every key may have changed).
pub(crate) fn apply_patch(
    txn: &WriteTransaction,
    patch: &[PatchOp],
) -> Result<Option<BTreeSet<String>>, StoreError> {
    let mut table = txn.open_table(TABLE)?;
    let mut touched = Some(BTreeSet::new());
    for op in patch {
        match op {
            PatchOp::Clear => {
                table.retain(|_, _| false)?;
                touched = None;
            }
            PatchOp::Put { key, value } => {
                table.insert(key.as_str(), serde_json::to_vec(value)?.as_slice())?;
                touched.as_mut().map(|t| t.insert(key.clone()));
            }
            PatchOp::Del { key } => {
                table.remove(key.as_str())?;
                touched.as_mut().map(|t| t.insert(key.clone()));
            }
        }
    }
    Ok(touched)
}

use std::path::PathBuf;

use promptdeck_protocol::MutatorError;

/// What went wrong in the replica, in words a user can act on.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the library {0} is open in another Promptdeck process; quit that one first")]
    InUse(PathBuf),
    #[error(
        "the library {path} was written by a newer Promptdeck (schema {found}, this one \
         reads up to {supported}); update Promptdeck"
    )]
    NewerSchema { path: PathBuf, found: u32, supported: u32 },
    #[error("cannot use the library file {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("the library is damaged: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Rejected(#[from] MutatorError),
    #[error("the server's answer was set aside: {0}")]
    PullRejected(#[from] crate::PullRejected),
}

impl StoreError {
    /// True when the file itself is unreadable as a replica (as opposed to busy, newer,
    /// or out of reach), so moving it aside is the way forward.
    pub(crate) fn is_damage(&self) -> bool {
        matches!(self, Self::Corrupt(_))
    }
}

macro_rules! damage_from {
    ($($ty:ty),*) => {$(
        impl From<$ty> for StoreError {
            fn from(e: $ty) -> Self {
                Self::Corrupt(e.to_string())
            }
        }
    )*};
}

damage_from!(
    redb::StorageError,
    redb::TableError,
    redb::TransactionError,
    redb::CommitError,
    redb::DatabaseError,
    serde_json::Error
);

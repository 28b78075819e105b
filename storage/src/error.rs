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
    /// A write the disk refused: full, read-only, or failing. The transaction was rolled
    /// back; everything saved before is intact.
    #[error("{0}; nothing was saved, and everything saved before is safe")]
    Unwritable(String),
    /// A write the disk refused for want of room, after the oldest history was forgotten
    /// to make some, as far as there was any.
    #[error("{0}; nothing was saved, and everything saved before is safe")]
    Full(String),
    /// redb refuses all work after an I/O error until the file is opened again; the
    /// replica does that itself and tries once more.
    #[error("the library must be opened again after a failed write")]
    PreviousIo,
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

impl From<redb::StorageError> for StoreError {
    fn from(e: redb::StorageError) -> Self {
        match e {
            redb::StorageError::Io(io) if is_full(&io) => Self::Full(unwritable(&io)),
            redb::StorageError::Io(io) => Self::Unwritable(unwritable(&io)),
            redb::StorageError::PreviousIo => Self::PreviousIo,
            other => Self::Corrupt(other.to_string()),
        }
    }
}

fn is_full(io: &std::io::Error) -> bool {
    use std::io::ErrorKind;
    matches!(io.kind(), ErrorKind::StorageFull | ErrorKind::QuotaExceeded)
}

/// The words for a refused write: what the user can do about it.
fn unwritable(io: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match io.kind() {
        _ if is_full(io) => {
            format!("the disk that holds the library is full ({io}); free some space")
        }
        ErrorKind::ReadOnlyFilesystem | ErrorKind::PermissionDenied => {
            format!("the library's folder cannot be written ({io})")
        }
        _ => format!("the library could not be written ({io})"),
    }
}

macro_rules! storage_or_damage {
    ($($ty:ident),*) => {$(
        impl From<redb::$ty> for StoreError {
            fn from(e: redb::$ty) -> Self {
                match e {
                    redb::$ty::Storage(storage) => storage.into(),
                    other => Self::Corrupt(other.to_string()),
                }
            }
        }
    )*};
}

storage_or_damage!(TableError, TransactionError, CommitError, DatabaseError);

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        Self::Corrupt(e.to_string())
    }
}

use promptdeck_storage::StoreError;

/// Why a request to the runtime was not answered with data.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RequestError {
    #[error("Promptdeck is busy ({capacity} requests waiting); try again in a moment")]
    Busy { capacity: usize },
    #[error("a newer search replaced this one")]
    Superseded,
    #[error("the Promptdeck runtime is not available: {0}")]
    Unavailable(String),
    #[error("{0}")]
    Rejected(String),
    #[error("the library could not be read or written: {0}")]
    Store(String),
}

impl From<StoreError> for RequestError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Rejected(reason) => Self::Rejected(reason.to_string()),
            // Already says what happened and what to do.
            unwritable @ StoreError::Unwritable(_) => Self::Rejected(unwritable.to_string()),
            other => Self::Store(other.to_string()),
        }
    }
}

impl From<tokio::task::JoinError> for RequestError {
    fn from(e: tokio::task::JoinError) -> Self {
        Self::Store(format!("a store task failed: {e}"))
    }
}

impl<T> From<ractor::MessagingErr<T>> for RequestError {
    fn from(e: ractor::MessagingErr<T>) -> Self {
        Self::Unavailable(e.to_string())
    }
}

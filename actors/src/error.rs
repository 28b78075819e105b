use promptdeck_protocol::{MutatorError, PromptId};
use promptdeck_storage::StoreError;

use crate::auth::AuthError;
use crate::sync::client::RoundError;
use crate::workspace::WorkspaceError;

/// Why a request to the runtime was not answered with data. Callers match the variant,
/// never the words: the words are for the user.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RequestError {
    #[error("Promptdeck is busy ({capacity} requests waiting); try again in a moment")]
    Busy { capacity: usize },
    #[error("a newer search replaced this one")]
    Superseded,
    /// The actor that answers this is not running (restarting, stopping) or did not answer
    /// in time.
    #[error("the Promptdeck runtime is not available: {0}")]
    Unavailable(String),
    /// The sign-in was cancelled (by the user, or by a sign-out).
    #[error("the sign-in was cancelled")]
    Cancelled,
    /// Sync needs a sign-in first.
    #[error("not signed in; sign in to sync")]
    NeedsSignIn,
    /// The disk refused a write (full, read-only, failing); nothing was saved and
    /// everything saved before is intact.
    #[error("{0}")]
    StoreFull(String),
    /// The library file could not be read or written for another reason.
    #[error("the library could not be read or written: {0}")]
    StoreDamaged(String),
    #[error("there is no workspace {0:?}")]
    NoSuchWorkspace(String),
    /// Sync was asked for where no server is configured.
    #[error(
        "no sync server is configured; start with --server URL, or with --push-url and --pull-url for your own Replicache backend"
    )]
    NoSync,
    /// A sign-in was asked for where none is needed.
    #[error(
        "this profile does not sign in: it syncs with a fixed token, with a server that needs none, or not at all"
    )]
    NoSignIn,
    /// A sign-in ended some other way (the provider refused, it could not be reached, it
    /// took too long).
    #[error(transparent)]
    SignIn(AuthError),
    /// A sync round asked for now did not succeed; `space` says where, with several.
    #[error("{}{error}", space.as_deref().map(|s| format!("{s}: ")).unwrap_or_default())]
    Sync { space: Option<String>, error: RoundError },
    /// Workspaces asked for cannot run (a bad name, one listed twice, a file that will not
    /// open).
    #[error(transparent)]
    Workspace(#[from] WorkspaceError),
    /// The prompt asked for is not in the library (deleted here, or by another device and
    /// pulled in since it was listed).
    #[error("no prompt with id {0}")]
    NoSuchPrompt(PromptId),
    /// The request itself cannot be done; the reason says why (a prompt too long, say).
    #[error("{0}")]
    Rejected(String),
}

impl From<StoreError> for RequestError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Rejected(MutatorError::NotFound(id)) => Self::NoSuchPrompt(id),
            StoreError::Rejected(reason) => Self::Rejected(reason.to_string()),
            // Already says what happened and what to do.
            unwritable @ (StoreError::Unwritable(_)
            | StoreError::Full(_)
            | StoreError::PreviousIo) => Self::StoreFull(unwritable.to_string()),
            other => Self::StoreDamaged(other.to_string()),
        }
    }
}

impl From<AuthError> for RequestError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::Cancelled => Self::Cancelled,
            AuthError::NeedsSignIn => Self::NeedsSignIn,
            AuthError::NotNeeded => Self::NoSignIn,
            other => Self::SignIn(other),
        }
    }
}

impl From<tokio::task::JoinError> for RequestError {
    fn from(e: tokio::task::JoinError) -> Self {
        Self::StoreDamaged(format!("a store task failed: {e}"))
    }
}

impl<T> From<ractor::MessagingErr<T>> for RequestError {
    fn from(e: ractor::MessagingErr<T>) -> Self {
        Self::Unavailable(e.to_string())
    }
}

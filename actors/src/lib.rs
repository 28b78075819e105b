//! The runtime that owns Promptdeck's data for the life of the process.
//!
//! ```text
//! Supervisor                restarts children with backoff, counts restarts
//! ├── CacheActor (per workspace)  search index + cache of full prompts, fed by change sets
//! ├── RequestQueueActor           the one door: bounded, searches superseded, writes in order
//! ├── AuthActor                   browser sign-in, refresh ahead of expiry (when sync signs in)
//! └── SyncActor (per workspace)   push then pull, pokes, backoff (when a server is configured)
//! ```
//!
//! Windows, the CLI and hotkeys hold a [`RuntimeHandle`] and never see an actor message.

mod auth;
mod cache;
mod error;
mod memory;
mod names;
mod parallel;
mod queue;
mod runtime;
mod search;
mod status;
mod supervisor;
mod sync;
mod transport;
mod workspace;

pub use auth::{
    AuthConfig, AuthError, BrowserOpener, ProviderSettings, SignInSource, SignedOut, TokenVault,
};
pub use error::RequestError;
pub use memory::give_back_freed;
pub use queue::{FieldValues, MutationReceipt, Origin};
pub use runtime::{PromptDraft, Runtime, RuntimeConfig, RuntimeHandle, StartError};
pub use search::{MAX_QUERY_CHARS, SearchHit, SearchIndex};
pub use status::{
    Account, CacheStats, ChildHealth, ChildState, Health, LibraryStatus, RuntimeStatus, SyncStatus,
    WorkspaceStatus, process_rss_bytes,
};
pub use sync::{Endpoints, SyncConfig, SyncConfigError};
pub use transport::{CaFile, CaFileError, Unencrypted, check_encrypted};
pub use workspace::{
    DEFAULT_SPACE, Scope, WorkspaceConfig, WorkspaceError, check_spaces, check_workspaces,
};

#[cfg(test)]
mod tests;

//! The prompt model, its mutators, fill-in templates, and the Replicache push/pull v1
//! wire types.
//!
//! Everything here is plain data and pure functions: no I/O, no runtime, no GUI. The same
//! mutator code runs optimistically on the client (against the local replica) and
//! authoritatively on the server, over the small [`Kv`] trait.

pub mod diff;
mod kv;
pub mod learned;
mod limits;
mod mutation;
mod prompt;
pub mod query;
mod space;
mod summary;
pub mod template;
pub mod wire;

pub use kv::{Kv, KvError, MemoryKv};
pub use limits::{Limits, ValidationError};
pub use mutation::{
    CreatePrompt, DeletePrompt, ForgetLearned, LearnPick, MarkPromptUsed, Mutation, MutatorError,
    Touches, UpdatePrompt,
};
pub use prompt::{
    PINNED_TAG, PROMPT_PREFIX, Prompt, PromptId, PromptIdError, frecency, now_millis,
};
pub use space::{
    DEFAULT_SPACE, MAX_OWNER_BYTES, MAX_SPACE_CHARS, SpaceAddress, SpaceAddressError, SpaceName,
    SpaceNameError,
};
pub use summary::{PREVIEW_CHARS, PromptKey, PromptSummary, push_preview};

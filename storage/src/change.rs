//! What a write did to the view, for the caches that mirror it.

use promptdeck_protocol::wire::JsonText;

/// One change to one key of the view.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    Put { key: String, value: JsonText },
    Del { key: String },
}

/// The changes of one committed write transaction, in order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChangeSet(pub Vec<Change>);

impl ChangeSet {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Change {
    /// The key changed.
    pub fn key(&self) -> &str {
        match self {
            Self::Put { key, .. } | Self::Del { key } => key,
        }
    }
}

//! The runtime's state as a dot and a few words.

/// What the status dot shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Indicator {
    /// Everything is saved and, with a server, synced.
    Synced,
    /// No server configured: saved on this machine only.
    LocalOnly,
    Syncing,
    /// Changes wait for the network.
    Offline {
        pending: u64,
    },
    /// Something needs the user: sign in, update, an error.
    Attention(String),
    /// The runtime does not answer.
    Unavailable,
}

impl Indicator {
    /// Whether the state is worth words beside the dot, not only a colour: the user's
    /// changes are waiting, or something needs them.
    pub fn needs_words(&self) -> bool {
        matches!(self, Indicator::Offline { .. } | Indicator::Attention(_) | Indicator::Unavailable)
    }

    pub fn label(&self) -> String {
        match self {
            Indicator::Synced => "Synced".into(),
            Indicator::LocalOnly => "Saved on this device".into(),
            Indicator::Syncing => "Syncing…".into(),
            Indicator::Offline { pending: 0 } => "Offline".into(),
            Indicator::Offline { pending: 1 } => "Offline · 1 change waiting".into(),
            Indicator::Offline { pending } => format!("Offline · {pending} changes waiting"),
            Indicator::Attention(reason) => reason.clone(),
            Indicator::Unavailable => "Runtime unavailable".into(),
        }
    }
}

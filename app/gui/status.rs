//! The runtime's status in the words and colours the windows and the tray use.

use promptdeck_actors::{RuntimeStatus, SyncStatus};
use promptdeck_views::{Account, Indicator};

pub fn indicator(status: &RuntimeStatus) -> Indicator {
    match &status.sync {
        SyncStatus::LocalOnly => Indicator::LocalOnly,
        SyncStatus::Idle => Indicator::Synced,
        SyncStatus::Syncing => Indicator::Syncing,
        SyncStatus::Offline { .. } => Indicator::Offline { pending: status.pending },
        SyncStatus::NeedsSignIn => Indicator::Attention("Sign in to sync".into()),
        SyncStatus::UpdateNeeded => {
            Indicator::Attention("Update Promptdeck to keep syncing".into())
        }
        SyncStatus::Error { message } => Indicator::Attention(message.clone()),
    }
}

pub fn account(status: &RuntimeStatus) -> Account {
    match status.account {
        promptdeck_actors::Account::NotNeeded => Account::NotNeeded,
        promptdeck_actors::Account::SignedOut => Account::SignedOut,
        promptdeck_actors::Account::SigningIn => Account::SigningIn,
        promptdeck_actors::Account::SignedIn => Account::SignedIn,
    }
}

/// "12 prompts · 3 changes not yet synced"
pub fn counts(status: &RuntimeStatus) -> String {
    let prompts = match status.prompt_count {
        1 => "1 prompt".to_owned(),
        n => format!("{n} prompts"),
    };
    match (&status.sync, status.pending) {
        (SyncStatus::LocalOnly, _) | (_, 0) => prompts,
        (_, 1) => format!("{prompts} · 1 change not yet synced"),
        (_, n) => format!("{prompts} · {n} changes not yet synced"),
    }
}

/// The tray dot's colour.
pub fn colour(status: &RuntimeStatus) -> [u8; 3] {
    match indicator(status) {
        Indicator::Synced | Indicator::LocalOnly => [46, 160, 67],
        Indicator::Syncing => [56, 132, 255],
        Indicator::Offline { .. } => [219, 160, 0],
        Indicator::Attention(_) | Indicator::Unavailable => [218, 54, 51],
    }
}

/// Every workspace's space, in order.
pub fn workspaces(status: &RuntimeStatus) -> Vec<String> {
    status.workspaces.iter().map(|w| w.space.clone()).collect()
}

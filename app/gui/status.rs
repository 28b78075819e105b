//! The runtime's status in the words and colours the windows and the tray use.

use promptdeck_actors::{RuntimeStatus, SyncStatus};
use promptdeck_views::{Account, Indicator};

use crate::desktop::TrayState;

/// The dot and its words. While an actor is down (restarting after a failure) the runtime
/// is unavailable, whatever the last sync said.
pub fn indicator(status: &RuntimeStatus) -> Indicator {
    if !status.unavailable.is_empty() {
        return Indicator::Unavailable;
    }
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

/// "12 prompts · 3 changes not yet synced", and history forgotten on a full disk.
pub fn counts(status: &RuntimeStatus) -> String {
    let prompts = match status.prompt_count {
        1 => "1 prompt".to_owned(),
        n => format!("{n} prompts"),
    };
    let counts = match (&status.sync, status.pending) {
        (SyncStatus::LocalOnly, _) | (_, 0) => prompts,
        (_, 1) => format!("{prompts} · 1 change not yet synced"),
        (_, n) => format!("{prompts} · {n} changes not yet synced"),
    };
    match status.history_forgotten {
        0 => counts,
        n => format!("{counts} · disk full: {n} old versions forgotten to make room"),
    }
}

/// What the tray shows for `status`.
pub fn tray(status: &RuntimeStatus) -> TrayState {
    let tooltip = format!("Promptdeck · {} · {}", indicator(status).label(), counts(status));
    let (account_label, account_enabled) = match account(status) {
        Account::NotNeeded => ("No sign-in needed", false),
        Account::SignedOut => ("Sign in…", true),
        Account::SigningIn => ("Cancel signing in", true),
        Account::SignedIn => ("Sign out", true),
    };
    let syncing = status.sync != SyncStatus::LocalOnly;
    TrayState { colour: colour(status), syncing, tooltip, account_label, account_enabled }
}

/// The tray dot's colour.
fn colour(status: &RuntimeStatus) -> [u8; 3] {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_actor_down_shows_the_runtime_unavailable_in_the_windows_and_the_tray() {
        let mut status = RuntimeStatus { library: Default::default(), ..Default::default() };
        status.library.sync = SyncStatus::Idle;
        assert_eq!(indicator(&status), Indicator::Synced);
        status.unavailable.push("RequestQueueActor".into());
        assert_eq!(indicator(&status), Indicator::Unavailable);
        assert!(tray(&status).tooltip.contains("Runtime unavailable"));
        assert_eq!(tray(&status).colour, [218, 54, 51]);
    }

    /// History forgotten on a full disk is said in the library's status bar and the tray.
    #[test]
    fn history_forgotten_for_room_is_said_beside_the_counts() {
        let mut status = RuntimeStatus::default();
        status.library.prompt_count = 2;
        assert_eq!(counts(&status), "2 prompts");
        status.library.history_forgotten = 7;
        assert_eq!(counts(&status), "2 prompts · disk full: 7 old versions forgotten to make room");
        assert!(tray(&status).tooltip.contains("7 old versions forgotten"));
    }
}

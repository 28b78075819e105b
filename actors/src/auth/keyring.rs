//! The system's store for secrets, where the refresh token is kept: the Secret Service on
//! Linux and the BSDs (GNOME Keyring, KWallet, KeePassXC), the Credential Manager on
//! Windows, the login Keychain on macOS. One item per profile. Every call is bounded in
//! time: a store that wants to show an unlock prompt nobody answers must not stall sync.

use std::time::Duration;

#[cfg(any(windows, target_os = "macos"))]
mod credential_store;
#[cfg(all(unix, not(target_os = "macos")))]
mod secret_service;

const TIMEOUT: Duration = Duration::from_secs(5);

/// What the store is called where the user would look for it.
#[cfg(all(unix, not(target_os = "macos")))]
pub(crate) const NAME: &str = "the desktop keyring";
#[cfg(windows)]
pub(crate) const NAME: &str = "the Windows Credential Manager";
#[cfg(target_os = "macos")]
pub(crate) const NAME: &str = "the login Keychain";

pub(crate) struct Keyring<'a> {
    /// The profile's data directory: profiles side by side keep separate sign-ins.
    pub profile: &'a str,
}

/// Why the keyring was of no use.
#[derive(Debug, thiserror::Error)]
pub(crate) enum KeyringError {
    #[cfg(all(unix, not(target_os = "macos")))]
    #[error("the keyring refused: {0}")]
    Refused(#[from] ::secret_service::Error),
    #[cfg(any(windows, target_os = "macos"))]
    #[error("{NAME} refused: {0}")]
    Refused(#[from] ::keyring::Error),
    #[cfg(any(windows, target_os = "macos"))]
    #[error("{NAME} failed: {0}")]
    Failed(#[from] tokio::task::JoinError),
    #[error("the keyring did not answer within {} s", TIMEOUT.as_secs())]
    Silent,
}

async fn bounded<T, E: Into<KeyringError>>(
    work: impl Future<Output = Result<T, E>>,
) -> Result<T, KeyringError> {
    match tokio::time::timeout(TIMEOUT, work).await {
        Ok(outcome) => outcome.map_err(Into::into),
        Err(_) => Err(KeyringError::Silent),
    }
}

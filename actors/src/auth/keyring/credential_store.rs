//! The keyring through the `keyring` crate: a generic credential in the Windows Credential
//! Manager, a generic password in the macOS login Keychain, named by the service
//! "promptdeck" and the profile. Their calls block (the Keychain may ask the user), so each
//! runs on tokio's blocking pool, still bounded in time.

use keyring::Entry;

use super::{Keyring, KeyringError, bounded};

const SERVICE: &str = "promptdeck";

impl Keyring<'_> {
    pub async fn load(&self) -> Result<Option<Vec<u8>>, KeyringError> {
        self.blocking(|entry| match entry.get_secret() {
            Err(keyring::Error::NoEntry) => Ok(None),
            found => found.map(Some),
        })
        .await
    }

    /// Replaces what the profile kept. Windows keeps at most 2560 bytes: a longer sign-in
    /// is refused here, and the vault keeps it in its file instead.
    pub async fn save(&self, secret: &[u8]) -> Result<(), KeyringError> {
        let secret = secret.to_vec();
        self.blocking(move |entry| entry.set_secret(&secret)).await
    }

    pub async fn clear(&self) -> Result<(), KeyringError> {
        self.blocking(|entry| match entry.delete_credential() {
            Err(keyring::Error::NoEntry) => Ok(()),
            done => done,
        })
        .await
    }

    async fn blocking<T: Send + 'static>(
        &self,
        call: impl FnOnce(&Entry) -> keyring::Result<T> + Send + 'static,
    ) -> Result<T, KeyringError> {
        let profile = self.profile.to_owned();
        bounded(async move {
            let outcome =
                tokio::task::spawn_blocking(move || call(&Entry::new(SERVICE, &profile)?));
            outcome.await?.map_err(KeyringError::from)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_sign_in_is_kept_per_profile_replaced_and_removed() {
        let profile = format!("test profile {} {}", std::process::id(), fastrand::u64(..));
        let other = format!("{profile} beside it");
        let (keyring, beside) = (Keyring { profile: &profile }, Keyring { profile: &other });
        keyring.clear().await.expect("clearing nothing is fine");
        assert_eq!(keyring.load().await.expect("loads"), None);
        keyring.save(b"first").await.expect("kept");
        keyring.save(b"second").await.expect("replaced");
        beside.save(b"another profile's").await.expect("kept beside");
        assert_eq!(keyring.load().await.expect("loads").as_deref(), Some(&b"second"[..]));
        keyring.clear().await.expect("removed");
        assert_eq!(keyring.load().await.expect("loads"), None);
        assert_eq!(beside.load().await.expect("loads").as_deref(), Some(&b"another profile's"[..]));
        beside.clear().await.expect("removed");
    }
}

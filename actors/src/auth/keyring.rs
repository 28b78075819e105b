//! The desktop's keyring, over the Secret Service API (GNOME Keyring, KWallet, KeePassXC):
//! one item per profile, found again by its attributes. Every call is bounded in time: a
//! keyring that wants to show an unlock prompt nobody answers must not stall sync.

use std::collections::HashMap;
use std::time::Duration;

use secret_service::{EncryptionType, SecretService};

const TIMEOUT: Duration = Duration::from_secs(5);

pub(crate) struct Keyring<'a> {
    /// The profile's data directory: profiles side by side keep separate sign-ins.
    pub profile: &'a str,
}

impl Keyring<'_> {
    fn attributes(&self) -> HashMap<&str, &str> {
        HashMap::from([("application", "promptdeck"), ("profile", self.profile)])
    }

    pub async fn load(&self) -> Result<Option<Vec<u8>>, KeyringError> {
        bounded(async {
            let service = SecretService::connect(EncryptionType::Dh).await?;
            let found = service.search_items(self.attributes()).await?;
            let Some(item) = found.unlocked.into_iter().chain(found.locked).next() else {
                return Ok(None);
            };
            item.ensure_unlocked().await?;
            item.get_secret().await.map(Some)
        })
        .await
    }

    pub async fn save(&self, secret: &[u8]) -> Result<(), KeyringError> {
        bounded(async {
            let service = SecretService::connect(EncryptionType::Dh).await?;
            let collection = match service.get_default_collection().await {
                Ok(collection) => collection,
                Err(_) => service.get_any_collection().await?,
            };
            collection.ensure_unlocked().await?;
            let label = format!("Promptdeck sign-in ({})", self.profile);
            let attributes = self.attributes();
            collection.create_item(&label, attributes, secret, true, "application/json").await?;
            Ok(())
        })
        .await
    }

    pub async fn clear(&self) -> Result<(), KeyringError> {
        bounded(async {
            let service = SecretService::connect(EncryptionType::Dh).await?;
            let found = service.search_items(self.attributes()).await?;
            for item in found.unlocked.iter().chain(&found.locked) {
                item.delete().await?;
            }
            Ok(())
        })
        .await
    }
}

/// Why the keyring was of no use.
#[derive(Debug, thiserror::Error)]
pub(crate) enum KeyringError {
    #[error("the keyring refused: {0}")]
    Refused(#[from] secret_service::Error),
    #[error("the keyring did not answer within {} s", TIMEOUT.as_secs())]
    Silent,
}

async fn bounded<T>(
    work: impl Future<Output = Result<T, secret_service::Error>>,
) -> Result<T, KeyringError> {
    match tokio::time::timeout(TIMEOUT, work).await {
        Ok(outcome) => Ok(outcome?),
        Err(_) => Err(KeyringError::Silent),
    }
}

//! The keyring over the Secret Service API: one item per profile, found again by its
//! attributes.

use std::collections::HashMap;

use secret_service::{EncryptionType, SecretService};

use super::{Keyring, KeyringError, bounded};

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
            Ok::<_, secret_service::Error>(())
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
            Ok::<_, secret_service::Error>(())
        })
        .await
    }
}

//! Where the refresh token is kept between runs: a file only its user can read, written
//! atomically (a crash mid-write leaves the old sign-in, never half a token). Access tokens
//! are never kept: they live in the AuthActor's memory only.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::keyring::{self, Keyring};
use super::provider::Provider;

/// What a sign-in leaves behind: the refresh token and the provider that honours it.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct StoredSignIn {
    pub refresh_token: String,
    pub provider: Provider,
}

/// Kept out of `Debug`, so a stray `{:?}` cannot log the token.
impl std::fmt::Debug for StoredSignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredSignIn").field("issuer", &self.provider.settings.issuer).finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenVault {
    /// The desktop's keyring when there is one; else this file.
    KeyringElseFile(PathBuf),
    /// Only this file: readable only by its user, in a directory only its user can enter.
    File(PathBuf),
}

/// Where a sign-in was kept, for telling the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Kept {
    Keyring,
    File(PathBuf),
}

impl std::fmt::Display for Kept {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Kept::Keyring => f.write_str(keyring::NAME),
            Kept::File(path) => write!(f, "{} (readable only by you)", path.display()),
        }
    }
}

impl TokenVault {
    /// The keyring, else `sign-in.json` in `dir` (the profile's directory).
    pub fn in_profile(dir: &Path) -> Self {
        Self::KeyringElseFile(dir.join("sign-in.json"))
    }

    /// Only `sign-in.json` in `dir`; never the keyring.
    pub fn file_in(dir: &Path) -> Self {
        Self::File(dir.join("sign-in.json"))
    }

    fn file(&self) -> &Path {
        match self {
            Self::KeyringElseFile(path) | Self::File(path) => path,
        }
    }

    /// The keyring's item for this profile, when the keyring is wanted.
    fn keyring(&self) -> Option<Keyring<'_>> {
        match self {
            Self::KeyringElseFile(path) => Some(Keyring { profile: path_str(path) }),
            Self::File(_) => None,
        }
    }

    /// The saved sign-in and where it was. A keyring copy that a sign-out could not remove
    /// is never used: it is removed first, now if the keyring answers.
    pub(crate) async fn load(&self) -> Result<Option<(StoredSignIn, Kept)>, VaultError> {
        if let Some(keyring) = self.keyring() {
            if self.removal_pending() {
                let _ = self.finish_removal().await;
            } else {
                match keyring.load().await {
                    Ok(Some(secret)) => {
                        return decode(&secret, "the keyring's item")
                            .map(|stored| Some((stored, Kept::Keyring)));
                    }
                    Ok(None) => {}
                    Err(reason) => tracing::debug!(%reason, "no sign-in from the keyring"),
                }
            }
        }
        let kept = Kept::File(self.file().to_owned());
        Ok(load_file(self.file())?.map(|stored| (stored, kept)))
    }

    pub(crate) async fn save(&self, sign_in: &StoredSignIn) -> Result<Kept, VaultError> {
        let json = serde_json::to_vec(sign_in).map_err(VaultError::Encode)?;
        if let Some(keyring) = self.keyring() {
            match keyring.save(&json).await {
                // One place only: an older copy in the file goes, and the new item replaced
                // any the keyring kept after a sign-out.
                Ok(()) => {
                    clear_file(&self.removal_marker())?;
                    return clear_file(self.file()).map(|()| Kept::Keyring);
                }
                Err(reason) => tracing::warn!(
                    %reason,
                    file = %self.file().display(),
                    "no keyring to keep the sign-in in; keeping it in a file only you can read"
                ),
            }
        }
        save_file(self.file(), &json)?;
        Ok(Kept::File(self.file().to_owned()))
    }

    /// Removes the saved sign-in. When it was `kept` in the keyring and the keyring does
    /// not remove it, says so: a marker beside the file keeps it from being used until
    /// [`Self::finish_removal`] succeeds.
    pub(crate) async fn clear(&self, kept: Option<&Kept>) -> Result<(), VaultError> {
        clear_file(self.file())?;
        let Some(keyring) = self.keyring() else { return Ok(()) };
        match keyring.clear().await {
            Ok(()) => clear_file(&self.removal_marker()),
            Err(reason) if kept == Some(&Kept::Keyring) => {
                save_file(&self.removal_marker(), b"{}")?;
                Err(VaultError::KeyringKept(reason))
            }
            Err(reason) => {
                tracing::debug!(%reason, "nothing cleared from the keyring");
                Ok(())
            }
        }
    }

    /// Whether a sign-out left its sign-in in the keyring.
    pub(crate) fn removal_pending(&self) -> bool {
        self.keyring().is_some() && self.removal_marker().exists()
    }

    /// Tries again to remove what a sign-out left in the keyring.
    pub(crate) async fn finish_removal(&self) -> Result<(), VaultError> {
        let Some(keyring) = self.keyring() else { return Ok(()) };
        keyring.clear().await.map_err(VaultError::KeyringKept)?;
        tracing::info!("the sign-in a sign-out left in the keyring is removed");
        clear_file(&self.removal_marker())
    }

    fn removal_marker(&self) -> PathBuf {
        self.file().with_file_name("sign-out-pending")
    }
}

fn path_str(path: &Path) -> &str {
    path.parent().and_then(Path::to_str).unwrap_or("default")
}

/// Why the saved sign-in cannot be used or kept; each says what to do.
#[derive(Debug, thiserror::Error)]
pub(crate) enum VaultError {
    #[error("{what} is damaged ({source}); sign in again")]
    Damaged { what: String, source: serde_json::Error },
    #[error("cannot encode the sign-in: {0}")]
    Encode(serde_json::Error),
    #[error("cannot {doing} {}: {source}", path.display())]
    Io { doing: &'static str, path: PathBuf, source: std::io::Error },
    #[cfg(unix)]
    #[error(
        "{} can be read by other users (mode {mode:o}); it was not used. Remove it and sign in again",
        path.display()
    )]
    Readable { path: PathBuf, mode: u32 },
    #[error(
        "{store} did not remove the saved sign-in ({0}); Promptdeck will not sign in with it, and removes it as soon as the keyring answers",
        store = keyring::NAME
    )]
    KeyringKept(#[from] keyring::KeyringError),
}

fn io(doing: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> VaultError {
    let path = path.to_owned();
    move |source| VaultError::Io { doing, path, source }
}

fn decode(bytes: &[u8], what: &str) -> Result<StoredSignIn, VaultError> {
    serde_json::from_slice(bytes)
        .map_err(|source| VaultError::Damaged { what: what.into(), source })
}

fn clear_file(path: &Path) -> Result<(), VaultError> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io("remove", path)(e)),
        _ => Ok(()),
    }
}

fn load_file(path: &Path) -> Result<Option<StoredSignIn>, VaultError> {
    let text = match std::fs::read(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io("read", path)(e)),
    };
    refuse_if_others_can_read(path)?;
    decode(&text, &path.display().to_string()).map(Some)
}

fn save_file(path: &Path, json: &[u8]) -> Result<(), VaultError> {
    let no_dir = || std::io::Error::other("it has no directory");
    let dir = path.parent().ok_or_else(|| io("write", path)(no_dir()))?;
    std::fs::create_dir_all(dir).map_err(io("write", path))?;
    // tempfile creates its files 0600, so the token is never readable by others, not even
    // for the moment between writing and renaming.
    let mut file = tempfile::NamedTempFile::new_in(dir).map_err(io("write", path))?;
    file.write_all(json).map_err(io("write", path))?;
    file.as_file().sync_all().map_err(io("write", path))?;
    file.persist(path).map_err(|e| io("write", path)(e.error))?;
    Ok(())
}

#[cfg(unix)]
fn refuse_if_others_can_read(path: &Path) -> Result<(), VaultError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).map_err(io("read", path))?.permissions().mode();
    if mode & 0o077 != 0 {
        return Err(VaultError::Readable { path: path.to_owned(), mode: mode & 0o777 });
    }
    Ok(())
}

#[cfg(not(unix))]
fn refuse_if_others_can_read(_path: &Path) -> Result<(), VaultError> {
    Ok(())
}

// File modes are Unix's; the keyring has its own test on every system.
#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;
    use crate::auth::provider::ProviderSettings;

    fn sign_in(token: &str) -> StoredSignIn {
        StoredSignIn {
            refresh_token: token.into(),
            provider: Provider {
                settings: ProviderSettings {
                    issuer: "http://127.0.0.1:1".into(),
                    client_id: "promptdeck".into(),
                    scopes: vec!["openid".into()],
                },
                authorization_endpoint: "http://127.0.0.1:1/authorize".into(),
                token_endpoint: "http://127.0.0.1:1/token".into(),
            },
        }
    }

    #[tokio::test]
    async fn the_file_is_private_and_replaced_whole() {
        let dir = tempfile::tempdir().expect("tempdir");
        let vault = TokenVault::file_in(dir.path());
        assert!(vault.load().await.expect("nothing yet").is_none());
        vault.save(&sign_in("first")).await.expect("saved");
        vault.save(&sign_in("second")).await.expect("saved again");
        let path = vault.file();
        let mode = std::fs::metadata(path).expect("exists").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let (loaded, kept) = vault.load().await.expect("loads").expect("kept");
        assert_eq!((loaded.refresh_token.as_str(), kept), ("second", Kept::File(path.to_owned())));
        assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 1, "no temp file left");
        vault.clear(None).await.expect("cleared");
        assert!(vault.load().await.expect("loads").is_none());
        vault.clear(None).await.expect("clearing twice is fine");
    }

    #[tokio::test]
    async fn a_file_others_can_read_or_a_damaged_one_is_refused_with_the_reason() {
        let dir = tempfile::tempdir().expect("tempdir");
        let vault = TokenVault::file_in(dir.path());
        vault.save(&sign_in("secret-token")).await.expect("saved");
        let path = vault.file();
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let refused = vault.load().await.expect_err("refused");
        assert!(matches!(refused, VaultError::Readable { mode: 0o644, .. }), "{refused}");
        assert!(!refused.to_string().contains("secret-token"));
        std::fs::write(path, b"{ not json").expect("damaged");
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        let damaged = vault.load().await.expect_err("refused");
        assert!(matches!(damaged, VaultError::Damaged { .. }), "{damaged}");
        assert!(damaged.to_string().contains("sign in again"));
        assert!(!format!("{:?}", sign_in("secret-token")).contains("secret-token"));
    }
}

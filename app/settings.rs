//! `settings.toml` in the profile: what a user sets once instead of on every start. The
//! command line and the environment override it; what neither sets takes the default.
//!
//! ```toml
//! [sync]
//! push_url = "https://app.example.com/api/replicache/push?spaceID={space}"
//! pull_url = "https://app.example.com/api/replicache/pull?spaceID={space}"
//! space = "team-prompts"
//! token = "..."            # only in a file that nobody else can read
//! auth_scheme = "raw"
//!
//! [hotkeys]
//! palette = "super+space"
//!
//! [paste]
//! method = "copy-only"
//! ```

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use promptdeck_actors::{SignInSource, SyncConfig};
use serde::Deserialize;

use crate::cli::{AuthScheme, Cli, PasteMode};

/// What the app runs with: the command line over `settings.toml` over the defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct Effective {
    pub sync: Option<SyncConfig>,
    pub sign_in: Option<SignInSource>,
    pub desktop: crate::gui::Settings,
}

impl Effective {
    /// Reads `path` and lays `cli` over it; says what cannot work.
    pub fn resolve(cli: &Cli, path: &Path) -> Result<Self, String> {
        let settings = Settings::load(path)?;
        let sync = cli.sync_config(&settings.sync)?;
        let sign_in = match &sync {
            Some(sync) => cli.sign_in(&settings.sync, sync)?,
            None => None,
        };
        Ok(Self { sync, sign_in, desktop: cli.desktop(&settings) })
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    #[serde(default)]
    pub sync: SyncSettings,
    #[serde(default)]
    pub hotkeys: HotkeySettings,
    #[serde(default)]
    pub paste: PasteSettings,
}

/// As the command line's sync flags, without the dashes.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncSettings {
    pub server: Option<String>,
    pub push_url: Option<String>,
    pub pull_url: Option<String>,
    pub poke_url: Option<String>,
    pub space: Option<String>,
    pub token: Option<String>,
    pub auth_scheme: Option<AuthScheme>,
    pub schema_version: Option<String>,
    /// Seconds.
    pub poll_interval: Option<u64>,
    /// Sign in through this OpenID provider (a promptdeck-server names its own).
    pub oidc_issuer: Option<String>,
    pub oidc_client_id: Option<String>,
    /// Space-separated.
    pub oidc_scopes: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HotkeySettings {
    pub palette: Option<String>,
    pub capture: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasteSettings {
    pub method: Option<PasteMode>,
}

impl Settings {
    /// The settings at `path`; none when the file does not exist.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        };
        let settings: Self =
            toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        if settings.sync.token.is_some() {
            let mode = std::fs::metadata(path).map(|m| m.permissions().mode()).unwrap_or(0);
            if mode & 0o077 != 0 {
                return Err(format!(
                    "{} holds a token but other users can read it; run: chmod 600 {}",
                    path.display(),
                    path.display()
                ));
            }
        }
        Ok(settings)
    }
}

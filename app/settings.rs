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
//!
//! [workspaces]
//! spaces = ["team", "research"]   # more libraries beside [sync] space, same server
//! active = "team"                 # the one searched and added to; kept when you switch
//! ```

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use promptdeck_actors::{SignInSource, SyncConfig};
use promptdeck_protocol::SpaceName;
use promptdeck_views::settings::Appearance;
use serde::Deserialize;

use crate::cli::{AuthScheme, Cli, PasteMode};

/// What the app runs with: the command line over `settings.toml` over the defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct Effective {
    pub sync: Option<SyncConfig>,
    pub sign_in: Option<SignInSource>,
    pub workspaces: Workspaces,
    pub desktop: crate::gui::Settings,
}

/// The workspaces beside the first, and which one is active.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Workspaces {
    pub more: Vec<String>,
    pub active: Option<String>,
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
        let workspaces = Workspaces {
            more: settings.workspaces.spaces.clone(),
            active: settings.workspaces.active.clone(),
        };
        let effective = Self { sync, sign_in, workspaces, desktop: cli.desktop(&settings) };
        effective.check_workspaces()?;
        Ok(effective)
    }

    /// The space of the profile's own library.
    pub fn first_space(&self) -> &str {
        self.sync.as_ref().map_or(promptdeck_actors::DEFAULT_SPACE, |s| s.space.as_str())
    }

    fn check_workspaces(&self) -> Result<(), String> {
        let first = self.first_space();
        for (at, space) in self.workspaces.more.iter().enumerate() {
            check_space(space)?;
            if space == first || self.workspaces.more[..at].contains(space) {
                return Err(format!("settings.toml: the workspace {space:?} is listed twice"));
            }
        }
        if let Some(active) = &self.workspaces.active
            && active != first
            && !self.workspaces.more.contains(active)
        {
            return Err(format!(
                "settings.toml: the active workspace {active:?} is not {first:?} nor in [workspaces] spaces"
            ));
        }
        if !self.workspaces.more.is_empty()
            && self.sync.as_ref().is_some_and(|s| !s.names_the_space())
        {
            return Err("settings.toml: several workspaces need push and pull URLs that name the space with {space}".into());
        }
        Ok(())
    }
}

/// A workspace's name is its space on the server: the rule the server checks too.
fn check_space(space: &str) -> Result<(), String> {
    SpaceName::parse(space).map(drop).map_err(|e| format!("settings.toml: {e}"))
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
    #[serde(default)]
    pub appearance: AppearanceSettings,
    #[serde(default)]
    pub workspaces: WorkspaceSettings,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkspaceSettings {
    /// More workspaces beside the first (`[sync] space`), each a space of the same server.
    #[serde(default)]
    pub spaces: Vec<String>,
    pub active: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppearanceSettings {
    pub theme: Option<ThemeChoice>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ThemeChoice {
    Dark,
    Light,
    /// The desktop's preference, through the XDG desktop portal.
    System,
}

impl From<ThemeChoice> for Appearance {
    fn from(choice: ThemeChoice) -> Self {
        match choice {
            ThemeChoice::Dark => Appearance::Dark,
            ThemeChoice::Light => Appearance::Light,
            ThemeChoice::System => Appearance::System,
        }
    }
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

/// What the settings window changes, written into `path` in place: other keys, comments and
/// layout stay as the user left them. An empty server removes sync.
pub fn save(path: &Path, form: &promptdeck_views::settings::Form) -> Result<(), String> {
    let paste = if form.copy_only { "copy-only" } else { "auto" };
    let theme = match form.theme {
        Appearance::Dark => "dark",
        Appearance::Light => "light",
        Appearance::System => "system",
    };
    edit(path, |document| {
        set(document, "hotkeys", "palette", Some(&form.palette_hotkey));
        set(document, "hotkeys", "capture", Some(&form.capture_hotkey));
        set(document, "paste", "method", Some(paste));
        set(document, "appearance", "theme", Some(theme));
        set(document, "sync", "server", Some(form.server.trim()).filter(|s| !s.is_empty()));
        set(document, "sync", "space", Some(form.space.trim()).filter(|s| !s.is_empty()));
    })
}

/// Keeps `space` as the active workspace in `path`, touching nothing else.
pub fn save_active_workspace(path: &Path, space: &str) -> Result<(), String> {
    edit(path, |document| set(document, "workspaces", "active", Some(space)))
}

/// Changes `path` in place with `change`; a file that is not TOML is left alone.
fn edit(path: &Path, change: impl FnOnce(&mut toml_edit::DocumentMut)) -> Result<(), String> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    let mut document: toml_edit::DocumentMut = text
        .parse()
        .map_err(|e| format!("{} is not valid TOML, so it was not changed: {e}", path.display()))?;
    change(&mut document);
    let mode = std::fs::metadata(path).map(|m| m.permissions().mode() & 0o777).unwrap_or(0o600);
    write_keeping_mode(path, document.to_string().as_bytes(), mode)
}

fn set(document: &mut toml_edit::DocumentMut, table: &str, key: &str, value: Option<&str>) {
    match value {
        Some(value) => {
            if !document.contains_table(table) {
                document[table] = toml_edit::table();
            }
            document[table][key] = toml_edit::value(value);
        }
        None => {
            if let Some(table) = document.get_mut(table).and_then(|t| t.as_table_like_mut()) {
                table.remove(key);
            }
        }
    }
}

/// Replaces the file whole, with the permissions it had (a file holding a token stays 0600).
fn write_keeping_mode(path: &Path, bytes: &[u8], mode: u32) -> Result<(), String> {
    let dir = path.parent().ok_or_else(|| format!("{} has no directory", path.display()))?;
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    crate::files::replace(path, bytes, Some(mode))
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

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use promptdeck_views::settings::Form;

    use super::*;

    fn form(server: &str) -> Form {
        Form {
            palette_hotkey: "super+space".into(),
            capture_hotkey: "ctrl+shift+c".into(),
            copy_only: true,
            theme: Appearance::Light,
            launch_at_login: false,
            server: server.into(),
            space: String::new(),
        }
    }

    #[test]
    fn saving_keeps_comments_other_keys_and_a_private_files_mode() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("settings.toml");
        let before = "# my settings\n[sync]\n# where\nserver = \"http://old\"\ntoken = \"s3cret\"\nspace = \"team\"\n";
        std::fs::write(&path, before).expect("written");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");

        save(&path, &form("https://sync.example")).expect("saved");
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(text.starts_with("# my settings\n[sync]\n# where\n"), "{text}");
        assert!(
            text.contains("server = \"https://sync.example\"")
                && text.contains("token = \"s3cret\"")
        );
        assert!(!text.contains("space ="), "an empty space is removed: {text}");
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "a file holding a token stays private");
        let loaded = Settings::load(&path).expect("still valid");
        assert_eq!(loaded.hotkeys.palette.as_deref(), Some("super+space"));
        assert_eq!(loaded.paste.method, Some(PasteMode::CopyOnly));
        assert_eq!(loaded.appearance.theme, Some(ThemeChoice::Light));

        save(&path, &form("")).expect("saved");
        assert_eq!(Settings::load(&path).expect("valid").sync.server, None, "no server: no sync");
    }

    #[test]
    fn a_file_that_is_not_toml_is_not_overwritten() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("settings.toml");
        std::fs::write(&path, "[sync\nbroken").expect("written");
        let refused = save(&path, &form("")).expect_err("refused");
        assert!(refused.contains("not valid TOML"), "{refused}");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "[sync\nbroken");
    }
}

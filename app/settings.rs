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

use std::path::{Path, PathBuf};
use std::time::Duration;

use promptdeck_actors::{
    CaFile, CaFileError, Endpoints, ProviderSettings, RequestError, SignInSource, SyncConfig,
    SyncConfigError, Unencrypted, WorkspaceError, check_encrypted, check_spaces,
};
use promptdeck_storage::history;
use promptdeck_views::settings::Appearance;
use serde::Deserialize;

use promptdeck_client::cli::{AuthScheme, Cli, PasteMode};

/// Why settings cannot be read, applied or written; every one names what to fix.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SettingsError {
    #[error("cannot read {}: {reason}", path.display())]
    Unreadable { path: PathBuf, reason: String },
    #[error("{}: {reason}", path.display())]
    Invalid { path: PathBuf, reason: String },
    #[error("{} holds a token but other users can read it; run: chmod 600 {}", path.display(), path.display())]
    TokenReadable { path: PathBuf },
    #[error("settings.toml: give either server or push_url and pull_url")]
    ServerAndUrls,
    #[error("settings.toml: push_url wants a pull_url")]
    PushWithoutPull,
    #[error("settings.toml: oidc_issuer and oidc_client_id go together")]
    HalfAProvider,
    #[error("the sign-in issuer: {0}")]
    UnencryptedIssuer(#[from] Unencrypted),
    #[error("{0}")]
    CaFile(#[from] CaFileError),
    #[error("settings.toml: {0}")]
    Sync(#[from] SyncConfigError),
    #[error("settings.toml: {0}")]
    Workspaces(#[from] WorkspaceError),
    #[error(
        "settings.toml: the active workspace {active:?} is not {first:?} nor in [workspaces] spaces"
    )]
    UnknownActive { active: String, first: String },
    #[error("{} is not valid TOML, so it was not changed: {reason}", path.display())]
    NotToml { path: PathBuf, reason: String },
    #[error("cannot write {}: {reason}", path.display())]
    Unwritable { path: PathBuf, reason: String },
    #[error("the new sync settings could not be applied: {0}")]
    NotApplied(RequestError),
}

/// What the app runs with: the command line over `settings.toml` over the defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct Effective {
    pub sync: Option<SyncConfig>,
    pub sign_in: Option<SignInSource>,
    pub workspaces: Workspaces,
    pub desktop: DesktopSettings,
    /// How much of each prompt's history is kept (from the next start).
    pub keep_history: history::Keep,
}

/// The desktop settings the windows run with.
#[derive(Debug, Clone, PartialEq)]
pub struct DesktopSettings {
    /// Hotkeys as "ctrl+shift+space".
    pub palette_hotkey: String,
    pub capture_hotkey: String,
    pub paste: PasteMode,
    pub theme: Appearance,
    /// The palette learns which prompt is picked for what is typed.
    pub learn: bool,
    /// A palette opened within this long of closing takes up its last search (zero: never).
    pub remember_search: Duration,
}

/// The workspaces beside the first, and which one is active.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Workspaces {
    pub more: Vec<String>,
    pub active: Option<String>,
}

impl Effective {
    /// Reads `path` and lays `cli` over it; says what cannot work.
    pub fn resolve(cli: &Cli, path: &Path) -> Result<Self, SettingsError> {
        let settings = Settings::load(path)?;
        let sync = sync_config(cli, &settings.sync)?;
        let sign_in = match &sync {
            Some(sync) => sign_in(cli, &settings.sync, sync)?,
            None => None,
        };
        let workspaces = Workspaces {
            more: settings.workspaces.spaces.clone(),
            active: settings.workspaces.active.clone(),
        };
        let keep = history::Keep::default();
        let keep_history = history::Keep {
            versions: settings.history.keep_versions.unwrap_or(keep.versions),
            days: settings.history.keep_days.map_or(keep.days, i64::from),
        };
        let desktop = desktop(cli, &settings);
        let effective = Self { sync, sign_in, workspaces, desktop, keep_history };
        effective.check_workspaces()?;
        Ok(effective)
    }

    /// The space of the profile's own library.
    pub fn first_space(&self) -> &str {
        self.sync.as_ref().map_or(promptdeck_actors::DEFAULT_SPACE, |s| s.space.as_str())
    }

    /// The runtime's rule for the spaces, and an active workspace that is one of them.
    fn check_workspaces(&self) -> Result<(), SettingsError> {
        let first = self.first_space();
        let spaces: Vec<&str> =
            std::iter::once(first).chain(self.workspaces.more.iter().map(String::as_str)).collect();
        check_spaces(&spaces, self.sync.as_ref())?;
        if let Some(active) = &self.workspaces.active
            && !spaces.contains(&active.as_str())
        {
            return Err(SettingsError::UnknownActive {
                active: active.clone(),
                first: first.to_owned(),
            });
        }
        Ok(())
    }
}

/// The sync settings, when a server or a backend's endpoints are given on the command line
/// or in `file`, checked. The command line's endpoints replace the file's as a whole.
fn sync_config(cli: &Cli, file: &SyncSettings) -> Result<Option<SyncConfig>, SettingsError> {
    let cli_endpoints = cli.server.is_some() || cli.push_url.is_some();
    let (server, push, pull, poke) = if cli_endpoints {
        (&cli.server, &cli.push_url, &cli.pull_url, &cli.poke_url)
    } else {
        (&file.server, &file.push_url, &file.pull_url, &file.poke_url)
    };
    let endpoints = match (server, push, pull) {
        (Some(_), Some(_), _) => return Err(SettingsError::ServerAndUrls),
        (Some(server), _, _) => Endpoints::promptdeck_server(server),
        (None, Some(push), Some(pull)) => {
            Endpoints { push: push.clone(), pull: pull.clone(), poke: poke.clone() }
        }
        (None, Some(_), None) => return Err(SettingsError::PushWithoutPull),
        _ => return Ok(None),
    };
    let token = cli.server_token.as_ref().or(file.token.as_ref());
    let scheme = cli.auth_scheme.or(file.auth_scheme).unwrap_or(AuthScheme::Bearer);
    let authorization = token.map(|token| match scheme {
        AuthScheme::Bearer => format!("Bearer {token}"),
        AuthScheme::Raw => token.clone(),
    });
    let space = pick(&cli.space, &file.space).unwrap_or(promptdeck_actors::DEFAULT_SPACE.into());
    let defaults = SyncConfig::with_endpoints(endpoints, space);
    let config = SyncConfig {
        authorization,
        schema_version: pick(&cli.schema_version, &file.schema_version)
            .unwrap_or(defaults.schema_version.clone()),
        poll_interval: cli
            .poll_interval
            .or(file.poll_interval)
            .map_or(defaults.poll_interval, Duration::from_secs),
        allow_unencrypted_http: cli.allow_unencrypted_http
            || file.allow_unencrypted_http.unwrap_or(false),
        ca_file: pick(&cli.ca_file, &file.ca_file).map(|path| CaFile::read(&path)).transpose()?,
        learning: file.learning,
        ..defaults
    };
    config.check()?;
    Ok(Some(config))
}

/// Where sync signs in, if it does: never with a fixed token; at the provider given on the
/// command line or in `file`; else wherever a promptdeck-server says (it may say nowhere).
fn sign_in(
    cli: &Cli,
    file: &SyncSettings,
    sync: &SyncConfig,
) -> Result<Option<SignInSource>, SettingsError> {
    if sync.authorization.is_some() {
        return Ok(None);
    }
    let issuer = pick(&cli.oidc_issuer, &file.oidc_issuer);
    let client_id = pick(&cli.oidc_client_id, &file.oidc_client_id);
    let scopes = pick(&cli.oidc_scopes, &file.oidc_scopes)
        .unwrap_or("openid offline_access".into())
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    match (issuer, client_id) {
        (Some(issuer), Some(client_id)) => {
            check_encrypted(&issuer, sync.allow_unencrypted_http)?;
            Ok(Some(SignInSource::Provider(ProviderSettings { issuer, client_id, scopes })))
        }
        (Some(_), None) | (None, Some(_)) => Err(SettingsError::HalfAProvider),
        (None, None) => {
            let server = if cli.server.is_some() || cli.push_url.is_some() {
                &cli.server
            } else {
                &file.server
            };
            Ok(server.clone().map(SignInSource::Server))
        }
    }
}

/// The desktop settings: hotkeys, paste method and theme, from the command line, else
/// `file`, else the defaults.
fn desktop(cli: &Cli, file: &Settings) -> DesktopSettings {
    DesktopSettings {
        palette_hotkey: pick(&cli.palette_hotkey, &file.hotkeys.palette)
            .unwrap_or("ctrl+shift+space".into()),
        capture_hotkey: pick(&cli.capture_hotkey, &file.hotkeys.capture)
            .unwrap_or("ctrl+shift+c".into()),
        paste: cli.paste_method.or(file.paste.method).unwrap_or(PasteMode::Auto),
        theme: file.appearance.theme.map(Into::into).unwrap_or_default(),
        learn: file.palette.learn.unwrap_or(true),
        remember_search: Duration::from_secs(file.palette.remember_search.unwrap_or(0)),
    }
}

/// The command line's value, else the file's.
fn pick<T: Clone>(cli: &Option<T>, file: &Option<T>) -> Option<T> {
    cli.clone().or_else(|| file.clone())
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
    pub palette: PaletteSettings,
    #[serde(default)]
    pub history: HistorySettings,
    #[serde(default)]
    pub workspaces: WorkspaceSettings,
}

/// How much of each prompt's history is kept: its last `keep_versions` versions and any
/// younger than `keep_days` days, whichever keeps more.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistorySettings {
    pub keep_versions: Option<usize>,
    pub keep_days: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaletteSettings {
    /// Learn which prompt is picked for what is typed (on unless `false`); `false` also
    /// forgets what was learned.
    pub learn: Option<bool>,
    /// Seconds: a palette opened within this long of closing shows its last search and
    /// selection again (0, the default: every opening starts afresh).
    pub remember_search: Option<u64>,
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
    /// As `--allow-unencrypted-http`: plain HTTP to another machine is accepted.
    pub allow_unencrypted_http: Option<bool>,
    /// As `--ca-file`: a PEM file of certificate authorities trusted for sync and sign-in.
    pub ca_file: Option<PathBuf>,
    /// Whether what the palette learns syncs through this backend: `true` for a backend of
    /// one's own that runs `learnPick` and `forgetLearned`, `false` to keep it on this
    /// device; unset, a promptdeck-server is asked (file only, no flag).
    pub learning: Option<bool>,
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
pub fn save(path: &Path, form: &promptdeck_views::settings::Form) -> Result<(), SettingsError> {
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
        set(document, "palette", "learn", (!form.learn).then_some(false));
        let remember = i64::try_from(form.remember_search).unwrap_or(i64::MAX);
        set(document, "palette", "remember_search", (remember > 0).then_some(remember));
        set(document, "sync", "server", Some(form.server.trim()).filter(|s| !s.is_empty()));
        set(document, "sync", "space", Some(form.space.trim()).filter(|s| !s.is_empty()));
        let allow = form.allow_unencrypted_http.then_some(true);
        set(document, "sync", "allow_unencrypted_http", allow);
    })
}

/// Keeps `space` as the active workspace in `path`, touching nothing else.
pub fn save_active_workspace(path: &Path, space: &str) -> Result<(), SettingsError> {
    edit(path, |document| set(document, "workspaces", "active", Some(space)))
}

/// Changes `path` in place with `change`; a file that is not TOML is left alone.
fn edit(
    path: &Path,
    change: impl FnOnce(&mut toml_edit::DocumentMut),
) -> Result<(), SettingsError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => {
            return Err(SettingsError::Unreadable { path: path.into(), reason: e.to_string() });
        }
    };
    let mut document: toml_edit::DocumentMut =
        text.parse().map_err(|e: toml_edit::TomlError| SettingsError::NotToml {
            path: path.into(),
            reason: e.to_string(),
        })?;
    change(&mut document);
    let permissions = std::fs::metadata(path).map(|m| m.permissions()).ok();
    write_keeping_permissions(path, document.to_string().as_bytes(), permissions)
}

fn set(
    document: &mut toml_edit::DocumentMut,
    table: &str,
    key: &str,
    value: Option<impl Into<toml_edit::Value>>,
) {
    match value {
        Some(value) => {
            if !document.contains_table(table) {
                document[table] = toml_edit::table();
            }
            document[table][key] = toml_edit::value(value.into());
        }
        None => {
            if let Some(table) = document.get_mut(table).and_then(|t| t.as_table_like_mut()) {
                table.remove(key);
            }
        }
    }
}

/// Replaces the file whole, with the permissions it had (a file holding a token stays 0600);
/// a new file is the user's only.
fn write_keeping_permissions(
    path: &Path,
    bytes: &[u8],
    permissions: Option<std::fs::Permissions>,
) -> Result<(), SettingsError> {
    let unwritable = |reason: String| SettingsError::Unwritable { path: path.into(), reason };
    let dir = path.parent().ok_or_else(|| unwritable("it has no directory".into()))?;
    std::fs::create_dir_all(dir).map_err(|e| unwritable(e.to_string()))?;
    crate::files::replace(path, bytes, permissions).map_err(|e| unwritable(e.to_string()))
}

impl Settings {
    /// The settings at `path`; none when the file does not exist.
    pub fn load(path: &Path) -> Result<Self, SettingsError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(e) => {
                return Err(SettingsError::Unreadable { path: path.into(), reason: e.to_string() });
            }
        };
        let settings: Self = toml::from_str(&text)
            .map_err(|e| SettingsError::Invalid { path: path.into(), reason: e.to_string() })?;
        if settings.sync.token.is_some() {
            let open = std::fs::metadata(path).is_ok_and(|m| crate::os::open_to_others(&m));
            if open {
                return Err(SettingsError::TokenReadable { path: path.into() });
            }
        }
        Ok(settings)
    }
}

#[cfg(test)]
mod tests {

    use promptdeck_views::settings::Form;

    use super::*;

    fn form(server: &str) -> Form {
        Form {
            palette_hotkey: "super+space".into(),
            capture_hotkey: "ctrl+shift+c".into(),
            copy_only: true,
            theme: Appearance::Light,
            learn: true,
            remember_search: 0,
            launch_at_login: false,
            server: server.into(),
            space: String::new(),
            allow_unencrypted_http: false,
        }
    }

    #[cfg(unix)]
    #[test]
    fn saving_keeps_comments_other_keys_and_a_private_files_mode() {
        use std::os::unix::fs::PermissionsExt;
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

    /// Learning is on unless the file says `false`, which saving writes only when it is off.
    #[test]
    fn learning_is_on_unless_turned_off_and_saved_only_when_off() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("settings.toml");
        let cli = <Cli as clap::Parser>::parse_from(["promptdeck"]);
        assert!(Effective::resolve(&cli, &path).expect("no file").desktop.learn);
        save(&path, &Form { learn: false, ..form("") }).expect("saved");
        assert_eq!(Settings::load(&path).expect("valid").palette.learn, Some(false));
        assert!(!Effective::resolve(&cli, &path).expect("valid").desktop.learn);
        save(&path, &Form { learn: true, ..form("") }).expect("saved");
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(!text.contains("learn"), "{text}");
        assert!(Effective::resolve(&cli, &path).expect("valid").desktop.learn);
    }

    /// Whether learning syncs is asked of a promptdeck-server unless `[sync] learning` says,
    /// for a backend of one's own.
    #[test]
    fn whether_learning_syncs_is_the_files_word_else_the_servers() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("settings.toml");
        let cli = <Cli as clap::Parser>::parse_from(["promptdeck"]);
        let learning = |text: &str| {
            std::fs::write(&path, text).expect("written");
            Effective::resolve(&cli, &path).expect("valid").sync.expect("syncs").learning
        };
        assert_eq!(learning("[sync]\nserver = \"http://127.0.0.1:8787\"\n"), None);
        let own = "[sync]\npush_url = \"http://127.0.0.1:1/push\"\npull_url = \"http://127.0.0.1:1/pull\"\n";
        assert_eq!(learning(&format!("{own}learning = true\n")), Some(true));
        assert_eq!(learning(&format!("{own}learning = false\n")), Some(false));
    }

    /// The history kept is the file's to bound; without it, the last 100 versions and 90
    /// days; a bound that is not a count is refused with the file's name.
    #[test]
    fn the_history_kept_is_bounded_by_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("settings.toml");
        let cli = <Cli as clap::Parser>::parse_from(["promptdeck"]);
        let keep = |path: &Path| Effective::resolve(&cli, path).expect("valid").keep_history;
        assert_eq!(keep(&path), history::Keep { versions: 100, days: 90 });
        std::fs::write(&path, "[history]\nkeep_versions = 5\nkeep_days = 0\n").expect("written");
        assert_eq!(keep(&path), history::Keep { versions: 5, days: 0 });
        std::fs::write(&path, "[history]\nkeep_days = -3\n").expect("written");
        let refused = Effective::resolve(&cli, &path).expect_err("not a count of days");
        assert!(refused.to_string().contains("settings.toml"), "{refused}");
    }

    /// The palette starts afresh unless the file gives it seconds to take up its last
    /// search in; saving writes them only when there are some.
    #[test]
    fn the_last_search_is_taken_up_only_within_the_seconds_set() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("settings.toml");
        let cli = <Cli as clap::Parser>::parse_from(["promptdeck"]);
        let within = |path: &Path| Effective::resolve(&cli, path).expect("valid").desktop;
        assert_eq!(within(&path).remember_search, Duration::ZERO);
        save(&path, &Form { remember_search: 90, ..form("") }).expect("saved");
        assert_eq!(within(&path).remember_search, Duration::from_secs(90));
        save(&path, &Form { remember_search: 0, ..form("") }).expect("saved");
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(!text.contains("remember_search"), "{text}");
        std::fs::write(&path, "[palette]\nremember_search = -1\n").expect("written");
        let refused = Effective::resolve(&cli, &path).expect_err("not seconds");
        assert!(matches!(refused, SettingsError::Invalid { .. }), "{refused}");
    }

    #[test]
    fn a_file_that_is_not_toml_is_not_overwritten() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("settings.toml");
        std::fs::write(&path, "[sync\nbroken").expect("written");
        let refused = save(&path, &form("")).expect_err("refused");
        assert!(matches!(refused, SettingsError::NotToml { .. }), "{refused}");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "[sync\nbroken");
    }
}

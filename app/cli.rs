//! The command line: `promptdeck` starts the app (or shows the running one); subcommands
//! talk to the running instance over its control socket.

use std::path::PathBuf;

use std::time::Duration;

use clap::{Parser, Subcommand};
use promptdeck_actors::{Endpoints, SyncConfig};

#[derive(Debug, Parser)]
#[command(name = "promptdeck", version, about = "A prompt library one hotkey away")]
pub struct Cli {
    /// The profile's data directory (library, logs, control socket).
    #[arg(long, global = true, env = "PROMPTDECK_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Run the runtime and control socket only, with no window, tray or hotkeys.
    #[arg(long)]
    pub headless: bool,

    /// The global shortcut that opens the palette.
    #[arg(long, env = "PROMPTDECK_PALETTE_HOTKEY", default_value = "ctrl+shift+space")]
    pub palette_hotkey: String,

    /// The global shortcut that saves the selection as a prompt.
    #[arg(long, env = "PROMPTDECK_CAPTURE_HOTKEY", default_value = "ctrl+shift+c")]
    pub capture_hotkey: String,

    /// Sync the library with this promptdeck-server (e.g. http://127.0.0.1:8787).
    #[arg(long, env = "PROMPTDECK_SERVER", value_name = "URL")]
    pub server: Option<String>,

    /// Sync with your own Replicache backend instead: its push URL, where `{space}` stands
    /// for the space (e.g. https://app.example/api/replicache/push?spaceID={space}).
    #[arg(
        long,
        env = "PROMPTDECK_PUSH_URL",
        value_name = "URL",
        requires = "pull_url",
        conflicts_with = "server"
    )]
    pub push_url: Option<String>,

    /// Your backend's pull URL (`{space}` as in --push-url).
    #[arg(long, env = "PROMPTDECK_PULL_URL", value_name = "URL", requires = "push_url")]
    pub pull_url: Option<String>,

    /// Your backend's poke stream (server-sent events), if it has one; without it the
    /// library is pulled every --poll-interval seconds.
    #[arg(long, env = "PROMPTDECK_POKE_URL", value_name = "URL", requires = "push_url")]
    pub poke_url: Option<String>,

    /// The library (space) on the server.
    #[arg(long, env = "PROMPTDECK_SPACE", default_value = "personal")]
    pub space: String,

    /// The token the sync backend expects (sign-in replaces this).
    #[arg(long, env = "PROMPTDECK_SERVER_TOKEN", hide_env_values = true)]
    pub server_token: Option<String>,

    /// How the token is sent: `Authorization: Bearer TOKEN`, or the raw token alone.
    #[arg(long, env = "PROMPTDECK_AUTH_SCHEME", value_enum, default_value_t = AuthScheme::Bearer)]
    pub auth_scheme: AuthScheme,

    /// The schemaVersion sent with every push and pull, as your web client sends it.
    #[arg(long, env = "PROMPTDECK_SCHEMA_VERSION", default_value = "1")]
    pub schema_version: String,

    /// Seconds between pulls when nothing pokes (a fallback beside a poke stream).
    #[arg(long, env = "PROMPTDECK_POLL_INTERVAL", value_name = "SECONDS", default_value_t = 60)]
    pub poll_interval: u64,

    /// `auto` pastes into the window you were in; `copy-only` leaves the prompt on the
    /// clipboard for you to paste.
    #[arg(long, env = "PROMPTDECK_PASTE_METHOD", value_enum, default_value_t = PasteMode::Auto)]
    pub paste_method: PasteMode,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Whether Enter in the palette pastes or only copies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PasteMode {
    Auto,
    CopyOnly,
}

/// How the sync token travels in the `Authorization` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AuthScheme {
    Bearer,
    Raw,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Open the palette of the running instance.
    Palette,
    /// Open (or focus) the library window of the running instance.
    Library,
    /// Save the current selection (or the clipboard) as a new prompt.
    Capture,
    /// Sync with the server now and wait for the round to finish.
    Sync,
    /// Show the runtime's state: actors, counts, cache, queue, memory.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Add a prompt. Without --body, the body is read from standard input.
    Add {
        #[arg(long)]
        title: String,
        #[arg(long)]
        body: Option<String>,
        /// A tag; repeat for several.
        #[arg(long = "tag", value_name = "TAG")]
        tags: Vec<String>,
    },
    /// List the library, most used first.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Stop the running instance.
    Quit,
    /// Add Promptdeck to the desktop's applications (a launcher entry and icon).
    InstallDesktop {
        /// Also start Promptdeck at login; without it, an earlier autostart entry is removed.
        #[arg(long)]
        autostart: bool,
    },
}

impl Cli {
    /// The sync settings, when a server or a backend's endpoints are given, checked.
    pub fn sync_config(&self) -> Result<Option<SyncConfig>, String> {
        let endpoints = match (&self.server, &self.push_url, &self.pull_url) {
            (Some(server), _, _) => Endpoints::promptdeck_server(server),
            (None, Some(push), Some(pull)) => {
                Endpoints { push: push.clone(), pull: pull.clone(), poke: self.poke_url.clone() }
            }
            _ => return Ok(None),
        };
        let authorization = self.server_token.as_ref().map(|token| match self.auth_scheme {
            AuthScheme::Bearer => format!("Bearer {token}"),
            AuthScheme::Raw => token.clone(),
        });
        let config = SyncConfig {
            authorization,
            schema_version: self.schema_version.clone(),
            poll_interval: Duration::from_secs(self.poll_interval),
            ..SyncConfig::with_endpoints(endpoints, self.space.clone())
        };
        config.check()?;
        Ok(Some(config))
    }
}

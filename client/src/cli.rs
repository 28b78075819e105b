//! The command line: `promptdeck` starts the app (or shows the running one); subcommands
//! talk to the running instance over its control socket.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "promptdeck", version, about = "A prompt library one hotkey away")]
pub struct Cli {
    /// The profile's data directory (library, logs, control socket).
    #[arg(long, global = true, env = "PROMPTDECK_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Run the runtime and control socket only, with no window, tray or hotkeys.
    #[arg(long)]
    pub headless: bool,

    /// The global shortcut that opens the palette [default: ctrl+shift+space].
    #[arg(long, env = "PROMPTDECK_PALETTE_HOTKEY")]
    pub palette_hotkey: Option<String>,

    /// The global shortcut that saves the selection as a prompt [default: ctrl+shift+c].
    #[arg(long, env = "PROMPTDECK_CAPTURE_HOTKEY")]
    pub capture_hotkey: Option<String>,

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

    /// The library (space) on the server [default: personal].
    #[arg(long, env = "PROMPTDECK_SPACE")]
    pub space: Option<String>,

    /// The token the sync backend expects (sign-in replaces this).
    #[arg(long, env = "PROMPTDECK_SERVER_TOKEN", hide_env_values = true)]
    pub server_token: Option<String>,

    /// Sign in to your own backend through this OpenID provider (promptdeck-server names
    /// its own at /api/config, so --server needs none of the --oidc flags).
    #[arg(long, env = "PROMPTDECK_OIDC_ISSUER", value_name = "URL", requires = "oidc_client_id")]
    pub oidc_issuer: Option<String>,

    /// The client id Promptdeck signs in as at --oidc-issuer (a public client, no secret).
    #[arg(long, env = "PROMPTDECK_OIDC_CLIENT_ID", requires = "oidc_issuer")]
    pub oidc_client_id: Option<String>,

    /// The scopes asked for, space-separated [default: openid offline_access].
    #[arg(long, env = "PROMPTDECK_OIDC_SCOPES", requires = "oidc_issuer")]
    pub oidc_scopes: Option<String>,

    /// How the token is sent: `Authorization: Bearer TOKEN`, or the raw token alone
    /// [default: bearer].
    #[arg(long, env = "PROMPTDECK_AUTH_SCHEME", value_enum)]
    pub auth_scheme: Option<AuthScheme>,

    /// The schemaVersion sent with every push and pull, as your web client sends it
    /// [default: 1].
    #[arg(long, env = "PROMPTDECK_SCHEMA_VERSION")]
    pub schema_version: Option<String>,

    /// Seconds between pulls when nothing pokes, a fallback beside a poke stream
    /// [default: 60].
    #[arg(long, env = "PROMPTDECK_POLL_INTERVAL", value_name = "SECONDS")]
    pub poll_interval: Option<u64>,

    /// Sync with, or sign in at, a plain-HTTP address on another machine. Your prompts and
    /// sign-in tokens then cross the network unencrypted, readable and changeable by anyone
    /// on the way; without this, only https:// and this machine's own addresses are used.
    #[arg(long, env = "PROMPTDECK_ALLOW_UNENCRYPTED_HTTP")]
    pub allow_unencrypted_http: bool,

    /// A PEM file of certificate authorities to trust for sync and sign-in, beside the
    /// public ones and the system's: for a server with a certificate of its own making.
    #[arg(long, env = "PROMPTDECK_CA_FILE", value_name = "FILE")]
    pub ca_file: Option<PathBuf>,

    /// `auto` pastes into the window you were in; `copy-only` leaves the prompt on the
    /// clipboard for you to paste [default: auto].
    #[arg(long, env = "PROMPTDECK_PASTE_METHOD", value_enum)]
    pub paste_method: Option<PasteMode>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Whether Enter in the palette pastes or only copies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PasteMode {
    Auto,
    CopyOnly,
}

/// How the sync token travels in the `Authorization` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
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
    /// Open the settings window of the running instance.
    Settings,
    /// Save the current selection (or the clipboard) as a new prompt.
    Capture,
    /// Sync with the server now and wait for the round to finish.
    Sync,
    /// Show the runtime's state: actors, counts, cache, queue, memory.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// List the workspaces (the active one marked), or make SPACE the active one.
    Space {
        /// The workspace to search and add to from now on (kept for the next start).
        space: Option<String>,
    },
    /// Add a prompt. Without --body, the body is read from standard input.
    Add {
        /// The workspace to add to [default: the active one].
        #[arg(long)]
        space: Option<String>,
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
        /// The workspace to list [default: the active one].
        #[arg(long)]
        space: Option<String>,
    },
    /// Change a prompt: what is given replaces what it held (its earlier version is kept).
    Edit {
        id: String,
        #[arg(long)]
        title: Option<String>,
        /// The new body; `-` reads it from standard input.
        #[arg(long)]
        body: Option<String>,
        /// The prompt's tags from now on; repeat for several.
        #[arg(long = "tag", value_name = "TAG")]
        tags: Vec<String>,
        #[arg(long)]
        space: Option<String>,
    },
    /// Delete a prompt (it stays in `deleted` for thirty days, and `restore` brings it back).
    Delete {
        id: String,
        #[arg(long)]
        space: Option<String>,
    },
    /// A prompt's versions, oldest first: when each was made, where, and what it changed.
    History {
        /// The prompt's id (as `list` shows it).
        id: String,
        /// Every version in full, as JSON.
        #[arg(long)]
        json: bool,
        /// The prompt's workspace [default: the active one].
        #[arg(long)]
        space: Option<String>,
    },
    /// Make a version of a prompt current again (an edit that syncs like any), or bring a
    /// deleted prompt back.
    Restore {
        id: String,
        /// The version's number, as `history` lists it [default: the one before the
        /// current; for a deleted prompt, its last].
        #[arg(long)]
        version: Option<u64>,
        #[arg(long)]
        space: Option<String>,
    },
    /// The prompts deleted in the last thirty days, which `restore` brings back.
    Deleted {
        #[arg(long)]
        json: bool,
        #[arg(long)]
        space: Option<String>,
    },
    /// Sign in to sync: opens your browser at the identity provider and waits until done.
    Login,
    /// Sign out: forget the tokens and stop syncing. The library stays on this device
    /// unless --remove-local-data is given.
    Logout {
        /// Also quit and delete this device's copy of the library, with any changes not
        /// yet synced.
        #[arg(long)]
        remove_local_data: bool,
    },
    /// Import prompts: our JSON, a folder of Markdown files, CSV, or espanso match files.
    /// One batch: it syncs like any edit, and a failure changes nothing.
    Import {
        /// A file, or a folder of Markdown files.
        path: PathBuf,
        /// The format [default: from the extension; a folder is markdown].
        #[arg(long, value_enum)]
        format: Option<crate::control::Format>,
        /// Import the good entries even when others cannot be (they are listed).
        #[arg(long)]
        skip_invalid: bool,
        /// Only say what would be imported.
        #[arg(long)]
        dry_run: bool,
        /// The workspace to import into [default: the active one].
        #[arg(long)]
        space: Option<String>,
    },
    /// Export the library (every field, so a JSON export imports back exactly).
    Export {
        #[arg(long, value_enum)]
        format: crate::control::Format,
        /// Where to write (a folder for markdown) [default: standard output].
        #[arg(long, value_name = "PATH")]
        out: Option<PathBuf>,
        /// The workspace to export [default: the active one].
        #[arg(long)]
        space: Option<String>,
    },
    /// Stop the running instance.
    Quit,
    /// Add Promptdeck to the desktop's applications (a launcher entry and icon; on Windows,
    /// only the start at login that --autostart asks for, in this user's Run key).
    InstallDesktop {
        /// Also start Promptdeck at login; without it, an earlier autostart entry is removed.
        #[arg(long)]
        autostart: bool,
        /// Also have the compositor (sway, Hyprland) hold the palette and capture hotkeys,
        /// where the app cannot: writes its bindings and has it read them.
        #[arg(long, conflicts_with = "unbind")]
        bind: bool,
        /// Remove the bindings --bind wrote.
        #[arg(long)]
        unbind: bool,
        /// Write the launcher entry and icon into a package's tree at DIR instead, for the
        /// program installed at /usr/bin/promptdeck (scripts/package.sh uses it).
        #[arg(long, value_name = "DIR", hide = true, conflicts_with_all = ["autostart", "bind", "unbind"])]
        package_root: Option<PathBuf>,
    },
}

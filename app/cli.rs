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

    /// The global shortcut that opens the palette.
    #[arg(long, env = "PROMPTDECK_PALETTE_HOTKEY", default_value = "ctrl+shift+space")]
    pub palette_hotkey: String,

    /// The global shortcut that saves the selection as a prompt.
    #[arg(long, env = "PROMPTDECK_CAPTURE_HOTKEY", default_value = "ctrl+shift+c")]
    pub capture_hotkey: String,

    /// Sync the library with this promptdeck-server (e.g. http://127.0.0.1:8787).
    #[arg(long, env = "PROMPTDECK_SERVER", value_name = "URL")]
    pub server: Option<String>,

    /// The library (space) on the server.
    #[arg(long, env = "PROMPTDECK_SPACE", default_value = "personal")]
    pub space: String,

    /// The server's bearer token (sign-in replaces this).
    #[arg(long, env = "PROMPTDECK_SERVER_TOKEN", hide_env_values = true)]
    pub server_token: Option<String>,

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
}

impl Cli {
    /// The sync settings, when a server is given.
    pub fn sync_config(&self) -> Option<promptdeck_actors::SyncConfig> {
        let server = self.server.clone()?;
        Some(promptdeck_actors::SyncConfig {
            authorization: self.server_token.as_ref().map(|t| format!("Bearer {t}")),
            ..promptdeck_actors::SyncConfig::new(server, self.space.clone())
        })
    }
}

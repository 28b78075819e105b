//! The control channel's requests and answers, one JSON line each, and the client that
//! sends a request and reads its answer. The running instance answers (the app's `control`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use promptdeck_protocol::PromptSummary;
use promptdeck_storage::history;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "kebab-case")]
pub enum ControlRequest {
    Palette,
    Library,
    Settings,
    Capture,
    Status,
    Add {
        title: String,
        body: String,
        tags: Vec<String>,
        /// The workspace; the active one when absent.
        #[serde(default)]
        space: Option<String>,
    },
    List {
        #[serde(default)]
        space: Option<String>,
    },
    Edit {
        id: String,
        title: Option<String>,
        body: Option<String>,
        tags: Option<Vec<String>>,
        #[serde(default)]
        space: Option<String>,
    },
    Delete {
        id: String,
        #[serde(default)]
        space: Option<String>,
    },
    History {
        id: String,
        #[serde(default)]
        space: Option<String>,
    },
    Restore {
        id: String,
        version: Option<u64>,
        #[serde(default)]
        space: Option<String>,
    },
    Deleted {
        #[serde(default)]
        space: Option<String>,
    },
    /// Lists the workspaces, or makes `space` the active one.
    Space {
        #[serde(default)]
        space: Option<String>,
    },
    Sync,
    /// Starts a browser sign-in; answers the URL opened.
    SignIn,
    /// Answers when the sign-in under way ends.
    AwaitSignIn,
    SignOut,
    Import {
        path: PathBuf,
        format: Option<Format>,
        skip_invalid: bool,
        dry_run: bool,
        #[serde(default)]
        space: Option<String>,
    },
    Export {
        format: Format,
        out: Option<PathBuf>,
        #[serde(default)]
        space: Option<String>,
    },
    Quit,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum ControlResponse {
    Done { message: String },
    Status { health: serde_json::Value },
    List { prompts: Vec<PromptSummary> },
    History { versions: Vec<history::Entry> },
    Deleted { prompts: Vec<history::Deleted> },
    Failed { error: String },
}

impl ControlRequest {
    /// How long a client waits for the answer: most are answered at once; a sync round,
    /// an import or export of a large library, or a sign-in in the browser take longer.
    pub fn answer_within(&self) -> Duration {
        match self {
            Self::AwaitSignIn => Duration::from_secs(6 * 60),
            Self::Import { .. } | Self::Export { .. } => Duration::from_secs(10 * 60),
            Self::Sync => Duration::from_secs(150),
            Self::Add { .. }
            | Self::List { .. }
            | Self::Edit { .. }
            | Self::Delete { .. }
            | Self::History { .. }
            | Self::Restore { .. }
            | Self::Deleted { .. }
            | Self::Capture
            | Self::SignIn
            | Self::SignOut => Duration::from_secs(30),
            Self::Status
            | Self::Space { .. }
            | Self::Palette
            | Self::Library
            | Self::Settings
            | Self::Quit => Duration::from_secs(10),
        }
    }

    /// The command's name, for logs (never its arguments: they may hold a prompt body).
    pub fn name(&self) -> &'static str {
        match self {
            Self::Palette => "palette",
            Self::Library => "library",
            Self::Settings => "settings",
            Self::Capture => "capture",
            Self::Status => "status",
            Self::Add { .. } => "add",
            Self::List { .. } => "list",
            Self::Edit { .. } => "edit",
            Self::Delete { .. } => "delete",
            Self::History { .. } => "history",
            Self::Restore { .. } => "restore",
            Self::Deleted { .. } => "deleted",
            Self::Space { .. } => "space",
            Self::Sync => "sync",
            Self::SignIn => "sign-in",
            Self::AwaitSignIn => "await-sign-in",
            Self::SignOut => "sign-out",
            Self::Import { .. } => "import",
            Self::Export { .. } => "export",
            Self::Quit => "quit",
        }
    }
}

impl ControlResponse {
    pub fn failed(error: impl ToString) -> Self {
        Self::Failed { error: error.to_string() }
    }
}

/// A file format for import and export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    Json,
    Markdown,
    Csv,
    Espanso,
}

/// Why a client could not get an answer.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("Promptdeck is not running for this profile (nothing listens at {0})")]
    NotRunning(String),
    #[error("the control channel failed: {0}")]
    Io(#[from] std::io::Error),
    /// The connection closed before any answer: the instance stopped (crashed, was killed)
    /// while it worked on the request.
    #[error(
        "the running instance stopped before it answered `{0}`; whether it was done, `promptdeck list` (once Promptdeck runs again) shows"
    )]
    StoppedBeforeAnswering(&'static str),
    #[error(
        "the running instance did not answer `{command}` within {} s; `promptdeck status` shows whether it is stuck",
        within.as_secs()
    )]
    NoAnswer { command: &'static str, within: Duration },
    #[error("the running instance answered something unreadable: {0}")]
    BadAnswer(String),
    #[error("the request cannot be sent: {0}")]
    Unsendable(serde_json::Error),
}

/// Sends one request to the instance whose control channel is at `path` and returns its
/// answer.
pub fn request(path: &Path, request: &ControlRequest) -> Result<ControlResponse, ClientError> {
    let mut channel = crate::connect::connect(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused => {
            ClientError::NotRunning(path.display().to_string())
        }
        _ => ClientError::Io(e),
    })?;
    let mut line = serde_json::to_vec(request).map_err(ClientError::Unsendable)?;
    line.push(b'\n');
    // The server may refuse (and stop reading) before the whole request is written; its
    // answer then says why, so read it rather than report a broken pipe.
    if let Err(e) = channel.write_all(&line)
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        return Err(e.into());
    }
    let within = request.answer_within();
    let answer = crate::connect::read_line(channel, within).map_err(|e| match e.kind() {
        std::io::ErrorKind::TimedOut => ClientError::NoAnswer { command: request.name(), within },
        _ => ClientError::Io(e),
    })?;
    if answer.is_empty() {
        return Err(ClientError::StoppedBeforeAnswering(request.name()));
    }
    serde_json::from_slice(&answer).map_err(|e| ClientError::BadAnswer(e.to_string()))
}

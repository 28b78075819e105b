//! Workspaces: a profile's libraries (a personal one, a team's), each a space on the server
//! with its own store file, cache and SyncActor. One is active: searches, new prompts and
//! the library window use it unless told otherwise. Every workspace's library stays in
//! memory, so switching is instant.

use std::path::PathBuf;
use std::sync::Arc;

use promptdeck_protocol::SpaceName;
use promptdeck_storage::{OpenReport, Replica};

pub use promptdeck_protocol::DEFAULT_SPACE;

/// One workspace as configured: its space and the file that holds its library.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceConfig {
    pub space: String,
    pub library_path: PathBuf,
}

/// Which workspaces a search looks in.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum Scope {
    /// The active workspace.
    #[default]
    Active,
    /// The workspace of this space.
    Space(String),
    /// Every workspace, their hits ranked together.
    All,
}

/// An open workspace, as the actors share it.
#[derive(Clone)]
pub(crate) struct Workspace {
    pub space: String,
    pub replica: Arc<Replica>,
}

impl Workspace {
    /// Opens a workspace's store off the async threads; a damaged file was moved aside
    /// (logged by the store) and a fresh one created.
    pub async fn open_store(path: PathBuf) -> Result<Replica, String> {
        let shown = path.display().to_string();
        let opened = tokio::task::spawn_blocking(move || Replica::open(path)).await;
        let (replica, _): (Replica, OpenReport) = opened
            .map_err(|e| e.to_string())?
            .map_err(|e| format!("cannot open the library {shown}: {e}"))?;
        Ok(replica)
    }
}

/// Says what is wrong with a list of workspaces: an empty or repeated space, or several
/// workspaces syncing with URLs that do not name the space (they would all share one).
pub fn check_workspaces(
    workspaces: &[WorkspaceConfig],
    sync: Option<&crate::SyncConfig>,
) -> Result<(), String> {
    if workspaces.len() > 1 && sync.is_some_and(|s| !s.names_the_space()) {
        return Err(
            "several workspaces need push and pull URLs that name the space with {space}".into()
        );
    }
    if workspaces.is_empty() {
        return Err("a profile needs at least one workspace".into());
    }
    for (at, workspace) in workspaces.iter().enumerate() {
        SpaceName::parse(workspace.space.as_str()).map_err(|e| e.to_string())?;
        if workspaces[..at].iter().any(|w| w.space == workspace.space) {
            return Err(format!("the workspace {:?} is listed twice", workspace.space));
        }
        if workspaces[..at].iter().any(|w| w.library_path == workspace.library_path) {
            return Err(format!("two workspaces share {}", workspace.library_path.display()));
        }
    }
    Ok(())
}

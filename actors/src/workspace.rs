//! Workspaces: a profile's libraries (a personal one, a team's), each a space on the server
//! with its own store file, cache and SyncActor. One is active: searches, new prompts and
//! the library window use it unless told otherwise. Every workspace's library stays in
//! memory, so switching is instant.

use std::path::PathBuf;
use std::sync::Arc;

use promptdeck_protocol::{SpaceAddress, SpaceAddressError};
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
pub struct Workspace {
    pub space: String,
    pub replica: Arc<Replica>,
}

/// Why a list of workspaces cannot run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WorkspaceError {
    #[error("a profile needs at least one workspace")]
    None,
    #[error(transparent)]
    Name(#[from] SpaceAddressError),
    #[error("{0:?} is another user's space: spaces are shared on promptdeck-server only")]
    SharedNeedsServer(String),
    #[error("the workspace {0:?} is listed twice")]
    Twice(String),
    #[error("several workspaces need push and pull URLs that name the space with {{space}}")]
    SpaceNotInUrls,
    #[error("two workspaces share {0}")]
    SharedFile(PathBuf),
    #[error("cannot open the library {path}: {reason}")]
    Unopenable { path: PathBuf, reason: String },
}

impl Workspace {
    /// Opens a workspace's store off the async threads; a damaged file was moved aside
    /// (logged by the store) and a fresh one created.
    /// Opens the store at `path`, keeping `keep_history` of each prompt's history.
    pub async fn open_store(
        path: PathBuf,
        keep_history: promptdeck_storage::history::Keep,
    ) -> Result<Replica, WorkspaceError> {
        let unopenable = |reason: String| WorkspaceError::Unopenable { path: path.clone(), reason };
        let opened = tokio::task::spawn_blocking({
            let path = path.clone();
            move || Replica::open(path)
        })
        .await;
        let (replica, _): (Replica, OpenReport) = opened
            .map_err(|e| unopenable(e.to_string()))?
            .map_err(|e| unopenable(e.to_string()))?;
        replica.keep_history(keep_history);
        Ok(replica)
    }
}

/// The one rule for a profile's spaces, the first one first: each a space name the server
/// takes, or `OWNER/NAME` for a space another user shared there, none twice, and several
/// only with URLs that name the space. The first space may be any id a backend of the
/// user's own uses (it only travels in URLs, escaped); every other names a file, and with
/// promptdeck-server every one is a space there.
pub fn check_spaces(
    spaces: &[&str],
    sync: Option<&crate::SyncConfig>,
) -> Result<(), WorkspaceError> {
    if spaces.is_empty() {
        return Err(WorkspaceError::None);
    }
    if spaces.len() > 1 && sync.is_some_and(|s| !s.names_the_space()) {
        return Err(WorkspaceError::SpaceNotInUrls);
    }
    let own_backend = sync.is_some_and(|s| !s.endpoints.is_promptdeck_server());
    for (at, space) in spaces.iter().enumerate() {
        let any_id = at == 0 && own_backend && !space.trim().is_empty();
        if !any_id {
            let address = SpaceAddress::parse(space)?;
            if address.owner.is_some() && !sync.is_some_and(|s| s.endpoints.is_promptdeck_server())
            {
                return Err(WorkspaceError::SharedNeedsServer((*space).to_owned()));
            }
        }
        if spaces[..at].contains(space) {
            return Err(WorkspaceError::Twice((*space).to_owned()));
        }
    }
    Ok(())
}

/// As [`check_spaces`], and no two workspaces share a file.
pub fn check_workspaces(
    workspaces: &[WorkspaceConfig],
    sync: Option<&crate::SyncConfig>,
) -> Result<(), WorkspaceError> {
    let spaces: Vec<&str> = workspaces.iter().map(|w| w.space.as_str()).collect();
    check_spaces(&spaces, sync)?;
    for (at, workspace) in workspaces.iter().enumerate() {
        if workspaces[..at].iter().any(|w| w.library_path == workspace.library_path) {
            return Err(WorkspaceError::SharedFile(workspace.library_path.clone()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Endpoints, SyncConfig};

    #[test]
    fn every_space_is_a_server_space_name_but_the_first_of_an_own_backend() {
        let server = SyncConfig::new("http://127.0.0.1:8787", "personal");
        assert_eq!(check_spaces(&["personal", "team.v2"], Some(&server)), Ok(()));
        assert_eq!(check_spaces(&["personal", "alice/team"], Some(&server)), Ok(()), "shared");
        assert!(matches!(check_spaces(&["/team"], None), Err(WorkspaceError::Name(_))));
        let unsynced = check_spaces(&["personal", "alice/team"], None);
        assert_eq!(unsynced, Err(WorkspaceError::SharedNeedsServer("alice/team".into())));
        assert_eq!(check_spaces(&["personal", "team.v2"], None), Ok(()));
        let bad = check_spaces(&["team space"], Some(&server));
        assert!(matches!(bad, Err(WorkspaceError::Name(_))), "{bad:?}");
        assert!(matches!(check_spaces(&["a", ".b"], None), Err(WorkspaceError::Name(_))));
        assert_eq!(check_spaces(&["a", "a"], None), Err(WorkspaceError::Twice("a".into())));
        assert_eq!(check_spaces(&[], None), Err(WorkspaceError::None));

        let own = Endpoints {
            push: "https://app.example/{space}/push".into(),
            pull: "https://app.example/{space}/pull".into(),
            poke: None,
        };
        let own = SyncConfig::with_endpoints(own, "team space");
        assert_eq!(check_spaces(&["team space"], Some(&own)), Ok(()), "its own ids");
        assert!(matches!(
            check_spaces(&["team space", "x y"], Some(&own)),
            Err(WorkspaceError::Name(_))
        ));
        assert!(matches!(check_spaces(&[" "], Some(&own)), Err(WorkspaceError::Name(_))));
        assert_eq!(
            check_spaces(&["team space", "alice/team"], Some(&own)),
            Err(WorkspaceError::SharedNeedsServer("alice/team".into()))
        );
    }
}

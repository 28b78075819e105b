//! What the instance running on a profile does with it beyond its paths (which the
//! command line shares, in `promptdeck_client::profile`): closes it to other users, and
//! lists its workspaces' libraries.

use std::fs;
use std::path::PathBuf;

use anyhow::{Context, bail};
pub use promptdeck_client::profile::Profile;

/// Makes the profile the user's only: what the process creates from now on is user-only
/// (its umask), the data and run directories are created so, and what an earlier run or
/// another program left open to others is closed (directories 0700, files 0600; see `os`
/// for Windows). Returns what had to be closed.
pub fn prepare(profile: &Profile) -> anyhow::Result<Vec<PathBuf>> {
    crate::os::private_from_now_on();
    let run = profile.run_dir();
    fs::create_dir_all(&run)
        .with_context(|| format!("cannot create the profile directory {}", run.display()))?;
    crate::os::refuse_if_not_owned(&run)?;
    let repaired = make_private(profile)
        .with_context(|| format!("cannot make {} private", profile.data_dir.display()))?;
    if let Some(reason) = crate::os::unusable_control_path(&profile.control_path()) {
        bail!(reason);
    }
    Ok(repaired)
}

/// Closes the profile's own files to other users: the data directory, and in it only what
/// Promptdeck makes.
fn make_private(profile: &Profile) -> std::io::Result<Vec<PathBuf>> {
    let mut repaired = crate::os::make_private(&profile.data_dir, 0)?;
    for entry in fs::read_dir(&profile.data_dir)? {
        let entry = entry?;
        if Profile::makes(&entry.file_name().to_string_lossy()) {
            repaired.extend(crate::os::make_private(&entry.path(), 1)?);
        }
    }
    Ok(repaired)
}

/// Every workspace of these settings, the first (the profile's own library) first.
pub fn workspaces(
    profile: &Profile,
    settings: &crate::settings::Effective,
) -> Vec<promptdeck_actors::WorkspaceConfig> {
    let first = promptdeck_actors::WorkspaceConfig {
        space: settings.first_space().to_owned(),
        library_path: profile.library_path(),
    };
    let more = settings.workspaces.more.iter().map(|space| promptdeck_actors::WorkspaceConfig {
        space: space.clone(),
        library_path: profile.workspace_path(space),
    });
    std::iter::once(first).chain(more).collect()
}

//! Watching `settings.toml`, so an edit (by hand, or from the settings window) applies while
//! the app runs. The directory is watched, not the file: editors save by replacing it.

use std::path::Path;

use notify::{EventKind, RecursiveMode, Watcher as _};
use tokio::sync::mpsc::UnboundedSender;

/// Keeps watching while alive.
pub struct Watcher {
    _inner: notify::RecommendedWatcher,
}

/// Sends `()` on `changed` whenever `path` is written, created, replaced or removed.
pub fn settings(path: &Path, changed: UnboundedSender<()>) -> Result<Watcher, WatchError> {
    let (Some(name), Some(dir)) = (path.file_name().map(ToOwned::to_owned), path.parent()) else {
        return Err(WatchError::NotAFile(path.to_owned()));
    };
    let mut inner = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let Ok(event) = event else { return };
        let ours = event.paths.iter().any(|p| p.file_name() == Some(name.as_os_str()));
        let edit = matches!(
            event.kind,
            EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_)
        );
        if ours && edit {
            let _ = changed.send(());
        }
    })
    .map_err(|e| WatchError::Refused { dir: dir.to_owned(), source: e })?;
    inner
        .watch(dir, RecursiveMode::NonRecursive)
        .map_err(|e| WatchError::Refused { dir: dir.to_owned(), source: e })?;
    Ok(Watcher { _inner: inner })
}

/// Why settings.toml cannot be watched; its edits then apply at the next start.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error("{} names no file in a folder", .0.display())]
    NotAFile(std::path::PathBuf),
    #[error("cannot watch {}: {source}", dir.display())]
    Refused { dir: std::path::PathBuf, source: notify::Error },
}

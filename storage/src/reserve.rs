//! Room kept aside on the library's disk so that history can always be forgotten to make
//! room: on a full disk redb needs a few new pages even to delete, so a file beside the
//! library holds them, is given back to the disk for that, and is made again once a write
//! goes through.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Room for the pages a transaction that forgets versions writes.
const RESERVE_BYTES: usize = 256 * 1024;

pub(crate) struct Reserve {
    path: PathBuf,
}

impl Reserve {
    pub(crate) fn beside(library: &Path) -> Self {
        Self { path: path_beside(library) }
    }

    /// Makes the reserve unless it is there. A disk too full for it leaves none, and the
    /// history then gives way only as far as the library file has free pages.
    pub(crate) fn keep(&self) {
        if std::fs::metadata(&self.path).is_ok_and(|m| m.len() == RESERVE_BYTES as u64) {
            return;
        }
        if let Err(e) = self.make() {
            let _ = std::fs::remove_file(&self.path);
            tracing::warn!(path = %self.path.display(), error = %e, "no room kept aside on the library's disk");
        }
    }

    fn make(&self) -> std::io::Result<()> {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&self.path)?;
        // Written, not sparse: the blocks must be the disk's now.
        file.write_all(&vec![0; RESERVE_BYTES])?;
        file.sync_all()
    }

    /// Gives the reserve back to the disk; whether there was one.
    pub(crate) fn release(&self) -> bool {
        std::fs::remove_file(&self.path).is_ok()
    }
}

/// Where the library at `library` keeps its reserve: `<library>.reserve`, removed with it.
pub fn path_beside(library: &Path) -> PathBuf {
    let mut path = library.as_os_str().to_owned();
    path.push(".reserve");
    PathBuf::from(path)
}

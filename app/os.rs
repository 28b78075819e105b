//! What differs between operating systems below the window system: how the control channel
//! listens and lets only the same user in, closing the profile's files to other users, and
//! the signals that ask the process to stop. `unix.rs` and `windows.rs` implement the same
//! items; nothing else in the app names an operating system (the window system's part is
//! in `desktop`).

#[cfg(unix)]
mod unix;
#[cfg(unix)]
use unix as imp;
#[cfg(windows)]
mod windows;
#[cfg(windows)]
use windows as imp;

use std::path::Path;

pub use imp::{ControlListener, stop_requested};

/// Binds the control channel whose address lives at `path` (the socket itself on Unix, a
/// user-only file naming the pipe on Windows), replacing what a killed instance left there.
pub fn listen(path: &Path) -> std::io::Result<ControlListener> {
    imp::listen(path)
}

/// Takes the control channel's address away when the instance stops.
pub fn forget(path: &Path) {
    imp::forget(path)
}

/// Why `path` cannot hold the control channel's address, if it cannot.
pub fn unusable_control_path(path: &Path) -> Option<String> {
    imp::unusable_control_path(path)
}

/// Bounds how much freed memory the allocator keeps for later, before the threads start.
pub fn lean_allocator() {
    imp::lean_allocator()
}

/// Files and directories the process creates from now on are the user's only.
pub fn private_from_now_on() {
    imp::private_from_now_on()
}

/// Closes `path` to other users (and what a directory holds, `depth` levels down); a
/// symbolic link is not followed. Returns what had been open.
pub fn make_private(path: &Path, depth: usize) -> std::io::Result<Vec<std::path::PathBuf>> {
    imp::make_private(path, depth)
}

/// Whether users other than the owner may read the file `metadata` describes.
pub fn open_to_others(metadata: &std::fs::Metadata) -> bool {
    imp::open_to_others(metadata)
}

/// Refuses a run directory that is a link, or that another user owns: it holds the control
/// channel and the lock, so that user could stand in for this instance or listen to it.
pub fn refuse_if_not_owned(run: &Path) -> anyhow::Result<()> {
    imp::refuse_if_not_owned(run)
}

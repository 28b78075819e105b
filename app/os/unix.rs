//! Unix: the control channel is a socket of mode 0600 whose peer's uid is checked, files are
//! closed by their mode bits.

use std::fs;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use tokio::net::{UnixListener, UnixStream};

/// Unix socket paths are limited to 108 bytes, terminator included.
const MAX_SOCKET_PATH: usize = 107;

pub struct ControlListener {
    listener: UnixListener,
    own_uid: u32,
}

impl ControlListener {
    /// The next connection from this user; another user's are refused and logged.
    pub async fn accept(&mut self) -> std::io::Result<UnixStream> {
        loop {
            let (stream, _) = self.listener.accept().await?;
            let uid = stream.peer_cred().map(|c| c.uid()).ok();
            if uid == Some(self.own_uid) {
                return Ok(stream);
            }
            tracing::warn!(?uid, "refused a control connection from another user");
        }
    }
}

pub fn listen(path: &Path) -> std::io::Result<ControlListener> {
    let stale = fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_socket());
    if stale {
        fs::remove_file(path)?;
    }
    let listener = UnixListener::bind(path)?;
    fs::set_permissions(path, fs::Permissions::from_mode(0o600))?;
    Ok(ControlListener { listener, own_uid: rustix::process::getuid().as_raw() })
}

pub fn forget(path: &Path) {
    let _ = fs::remove_file(path);
}

pub fn unusable_control_path(path: &Path) -> Option<String> {
    (path.as_os_str().len() > MAX_SOCKET_PATH).then(|| {
        format!(
            "the data directory's path is too long for a control socket ({}); choose a \
             shorter --data-dir",
            path.display()
        )
    })
}

/// glibc gives each thread that meets a locked arena an arena of its own, up to eight a
/// core, and each keeps what was freed in it: at 10k prompts idle, some 2 MB more resident
/// than with two (`cargo bench --bench memory`), which is enough for a UI thread and a
/// runtime that seldom allocate at once.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn lean_allocator() {
    // SAFETY: mallopt only sets a tunable; called before the process starts its threads.
    // Refused, glibc keeps its default: nothing is lost but the megabytes.
    let _ = unsafe { libc::mallopt(libc::M_ARENA_MAX, 2) };
}

/// Other allocators here keep no arena a thread.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn lean_allocator() {}

pub fn private_from_now_on() {
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
}

pub fn make_private(path: &Path, depth: usize) -> std::io::Result<Vec<PathBuf>> {
    let metadata = fs::symlink_metadata(path)?;
    let mut repaired = Vec::new();
    let private = if metadata.is_dir() { 0o700 } else { 0o600 };
    if !metadata.file_type().is_symlink() && metadata.permissions().mode() & 0o077 != 0 {
        fs::set_permissions(path, fs::Permissions::from_mode(private))?;
        repaired.push(path.to_owned());
    }
    if metadata.is_dir() && depth > 0 {
        for entry in fs::read_dir(path)? {
            repaired.extend(make_private(&entry?.path(), depth - 1)?);
        }
    }
    Ok(repaired)
}

pub fn open_to_others(metadata: &fs::Metadata) -> bool {
    metadata.permissions().mode() & 0o077 != 0
}

pub fn refuse_if_not_owned(run: &Path) -> anyhow::Result<()> {
    let metadata =
        fs::symlink_metadata(run).with_context(|| format!("cannot read {}", run.display()))?;
    if metadata.file_type().is_symlink() {
        bail!("{} is a symbolic link; remove it and start again", run.display());
    }
    let own = rustix::process::getuid().as_raw();
    if metadata.uid() != own {
        bail!(
            "{} belongs to another user (uid {}); remove it, or choose another --data-dir",
            run.display(),
            metadata.uid()
        );
    }
    Ok(())
}

/// Resolves when SIGTERM or SIGINT arrives (never, if they cannot be caught).
pub async fn stop_requested() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) =
        (signal(SignalKind::terminate()), signal(SignalKind::interrupt()))
    else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
}

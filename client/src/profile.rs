//! Where a profile keeps its files, and the lock that makes one instance per profile.

use std::fs::{self, File, TryLockError};
use std::path::PathBuf;

use anyhow::Context;
use promptdeck_protocol::SpaceAddress;

/// The paths of one profile.
#[derive(Debug, Clone)]
pub struct Profile {
    pub data_dir: PathBuf,
}

/// The first workspace's library, in the data directory.
const LIBRARY_FILE: &str = "library.redb";

impl Profile {
    /// The profile at `dir`, or the user's default one in the XDG data directory.
    pub fn resolve(dir: Option<PathBuf>) -> anyhow::Result<Self> {
        let data_dir = match dir {
            Some(dir) => dir,
            None => directories::ProjectDirs::from("", "", "promptdeck")
                .context("cannot find a home directory for the default profile; pass --data-dir")?
                .data_dir()
                .to_owned(),
        };
        let data_dir = std::path::absolute(&data_dir)
            .with_context(|| format!("cannot resolve {}", data_dir.display()))?;
        Ok(Self { data_dir })
    }

    pub fn library_path(&self) -> PathBuf {
        self.data_dir.join(LIBRARY_FILE)
    }

    /// The library of a workspace beside the first (`[workspaces] spaces`): its name, or
    /// `NAME@OWNER` escaped for another user's space, so no address reaches outside
    /// `spaces/`. The workspace rule refuses what names no space before any file opens.
    pub fn workspace_path(&self, space: &str) -> PathBuf {
        let stem = SpaceAddress::parse(space)
            .map_or_else(|_| "not-a-space".to_owned(), |address| address.file_stem());
        self.data_dir.join("spaces").join(format!("{stem}.redb"))
    }

    /// What the user set once: sync, hotkeys, paste (see `settings`).
    pub fn settings_path(&self) -> PathBuf {
        self.data_dir.join("settings.toml")
    }

    /// What the desktop granted the app (its RemoteDesktop portal's restore token, so it
    /// asks no more at the next start). User-only.
    pub fn desktop_grant_path(&self) -> PathBuf {
        self.data_dir.join("desktop-grant")
    }

    pub fn log_dir(&self) -> PathBuf {
        self.data_dir.join("logs")
    }

    /// The profile's runtime directory: user-only, holding the control channel and the lock.
    pub fn run_dir(&self) -> PathBuf {
        self.data_dir.join("run")
    }

    /// Where clients find the control channel: the socket itself on Unix, a file naming
    /// the pipe on Windows (see `os`).
    pub fn control_path(&self) -> PathBuf {
        self.run_dir().join(if cfg!(windows) { "control.pipe" } else { "control.sock" })
    }

    /// Whether `name`, in the data directory, is a file or directory Promptdeck makes (a
    /// `--data-dir` may be a folder that holds other things).
    pub fn makes(name: &str) -> bool {
        // sign-in.json is where the token vault keeps a sign-in without a keyring.
        matches!(name, "spaces" | "logs" | "run" | "settings.toml" | "sign-in.json")
            || name == LIBRARY_FILE
            || name.starts_with(&format!("{LIBRARY_FILE}.damaged-"))
    }

    /// Removes this device's copy of the library: every workspace's file, the copies of
    /// damaged files set aside, and the logs (which name prompts' ids and workspaces).
    /// settings.toml stays. Returns what was removed.
    pub fn remove_local_data(&self) -> anyhow::Result<Vec<PathBuf>> {
        let mut removed = Vec::new();
        for dir in [self.data_dir.join("spaces"), self.log_dir()] {
            match fs::remove_dir_all(&dir) {
                Ok(()) => removed.push(dir),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(e).with_context(|| format!("cannot remove {}", dir.display()));
                }
            }
        }
        let library = self.library_path();
        let reserve = promptdeck_storage::reserve_path(&library);
        let library_name = library.file_name().map(|n| n.to_string_lossy().into_owned());
        let damaged = |name: &str| {
            library_name.as_deref().is_some_and(|l| name.starts_with(&format!("{l}.damaged-")))
        };
        let entries = fs::read_dir(&self.data_dir)
            .with_context(|| format!("cannot read {}", self.data_dir.display()))?;
        for entry in entries.filter_map(Result::ok) {
            let name = entry.file_name().to_string_lossy().into_owned();
            if Some(&name) == library_name.as_ref() || damaged(&name) || entry.path() == reserve {
                let path = entry.path();
                fs::remove_file(&path)
                    .with_context(|| format!("cannot remove {}", path.display()))?;
                removed.push(path);
            }
        }
        Ok(removed)
    }

    /// Takes the profile's instance lock, or says that another instance holds it.
    pub fn lock(&self) -> anyhow::Result<Option<InstanceLock>> {
        let path = self.run_dir().join("instance.lock");
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("cannot open the lock file {}", path.display()))?;
        match file.try_lock() {
            Ok(()) => Ok(Some(InstanceLock { _file: file })),
            Err(TryLockError::WouldBlock) => Ok(None),
            Err(TryLockError::Error(e)) => {
                Err(e).with_context(|| format!("cannot lock {}", path.display()))
            }
        }
    }
}

/// Held for the life of the instance; the OS releases it when the process dies, so a
/// crash never leaves a stale lock behind.
pub struct InstanceLock {
    _file: File,
}

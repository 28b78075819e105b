//! Replacing a file whole: written beside it, synced, then renamed over it, so a crash or a
//! full disk half-way never leaves half a file.

use std::io::Write;
use std::path::Path;

/// Replaces `path` with `bytes`, with `permissions` (else those of a new temporary file:
/// the user's only).
pub(crate) fn replace(
    path: &Path,
    bytes: &[u8],
    permissions: Option<std::fs::Permissions>,
) -> std::io::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut file = tempfile::NamedTempFile::new_in(dir)?;
    file.write_all(bytes)?;
    if let Some(permissions) = permissions {
        file.as_file().set_permissions(permissions)?;
    }
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// As [`replace`], making `path`'s folder first, and readable by others as desktop entries
/// compositor configuration and launch agents are (0644).
#[cfg(unix)]
pub(crate) fn replace_readable(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    replace(path, bytes, Some(std::fs::Permissions::from_mode(0o644)))
}

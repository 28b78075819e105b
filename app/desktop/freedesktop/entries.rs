//! Desktop entries: a launcher entry and icon so desktops list Promptdeck
//! (`promptdeck install-desktop`), and an autostart entry so it starts at login, as the XDG
//! autostart specification has it. Files go where the XDG base directories say
//! (XDG_DATA_HOME, XDG_CONFIG_HOME), for this user only.

use std::path::{Path, PathBuf};

use crate::desktop::{Autostart, DesktopError};

const ICON: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">
  <rect x="4" y="4" width="56" height="56" rx="14" fill="#2b3a55"/>
  <rect x="14" y="18" width="36" height="6" rx="3" fill="#ffffff"/>
  <rect x="14" y="29" width="28" height="6" rx="3" fill="#c9d4e8"/>
  <rect x="14" y="40" width="20" height="6" rx="3" fill="#c9d4e8"/>
  <circle cx="47" cy="43" r="6" fill="#2ea043"/>
</svg>
"##;

/// What was written, for the user to see.
pub struct Installed {
    pub files: Vec<PathBuf>,
}

/// Writes the launcher entry and icon (and the autostart entry with `autostart`), each
/// replaced atomically so a half-written entry is never seen.
pub fn install(autostart: bool) -> Result<Installed, EntryError> {
    let dirs = directories::BaseDirs::new().ok_or(EntryError::NoHome)?;
    let exe = promptdeck_client::app::command_line().map_err(EntryError::NoProgram)?;
    let entry = desktop_entry(&exe);
    let mut files = vec![
        write(&dirs.data_dir().join("applications/promptdeck.desktop"), &entry)?,
        write(&dirs.data_dir().join("icons/hicolor/scalable/apps/promptdeck.svg"), ICON)?,
    ];
    let autostart_entry = autostart_path().ok_or(EntryError::NoHome)?;
    if autostart {
        let entry = format!("{entry}X-GNOME-Autostart-enabled=true\n");
        files.push(write(&autostart_entry, &entry)?);
    } else if autostart_entry.exists() {
        std::fs::remove_file(&autostart_entry).map_err(io("remove", &autostart_entry))?;
    }
    Ok(Installed { files })
}

/// Where a package installs the program.
pub const PACKAGED_PROGRAM: &str = "/usr/bin/promptdeck";

/// Writes the launcher entry and icon into a package's tree at `root`, for every user, the
/// program at [`PACKAGED_PROGRAM`] (`scripts/package.sh deb` builds the `.deb` from it).
pub fn install_into_package(root: &Path) -> Result<Installed, EntryError> {
    let share = root.join("usr/share");
    let entry = desktop_entry(Path::new(PACKAGED_PROGRAM));
    Ok(Installed {
        files: vec![
            write(&share.join("applications/promptdeck.desktop"), &entry)?,
            write(&share.join("icons/hicolor/scalable/apps/promptdeck.svg"), ICON)?,
        ],
    })
}

/// The autostart entry's path, for this user.
fn autostart_path() -> Option<PathBuf> {
    directories::BaseDirs::new().map(|dirs| dirs.config_dir().join("autostart/promptdeck.desktop"))
}

/// The autostart entry in this user's XDG config directory.
pub struct XdgAutostart;

impl Autostart for XdgAutostart {
    fn enabled(&self) -> bool {
        autostart_path().is_some_and(|path| path.exists())
    }

    /// On, the launcher entry is written too, as `install-desktop --autostart` does.
    fn set(&self, enabled: bool) -> Result<(), DesktopError> {
        let done = match autostart_path() {
            _ if enabled => install(true).map(drop),
            Some(path) if path.exists() => std::fs::remove_file(&path).map_err(io("remove", &path)),
            _ => Ok(()),
        };
        done.map_err(|e| DesktopError::Autostart(e.to_string()))
    }
}

fn desktop_entry(exe: &Path) -> String {
    format!(
        "[Desktop Entry]\nType=Application\nName=Promptdeck\nGenericName=Prompt library\n\
         Comment=Your prompts, one hotkey away\nExec={}\nIcon=promptdeck\nTerminal=false\n\
         Categories=Utility;TextTools;\nKeywords=prompt;AI;snippet;palette;\n",
        exec_quoted(exe)
    )
}

/// The Exec key's quoting (Desktop Entry Specification): inside double quotes, `"`, `` ` ``,
/// `$` and `\` are escaped with a backslash; `%` is doubled.
fn exec_quoted(exe: &Path) -> String {
    let mut quoted = String::from("\"");
    for c in exe.to_string_lossy().chars() {
        match c {
            '"' | '`' | '$' | '\\' => {
                quoted.push('\\');
                quoted.push(c);
            }
            '%' => quoted.push_str("%%"),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

fn write(path: &Path, content: &str) -> Result<PathBuf, EntryError> {
    crate::files::replace_readable(path, content.as_bytes()).map_err(io("write", path))?;
    Ok(path.to_owned())
}

/// Why a desktop entry could not be written or removed.
#[derive(Debug, thiserror::Error)]
pub enum EntryError {
    #[error("this user has no home directory")]
    NoHome,
    #[error("cannot find this program: {0}")]
    NoProgram(std::io::Error),
    #[error("cannot {doing} {}: {source}", path.display())]
    Io { doing: &'static str, path: PathBuf, source: std::io::Error },
}

fn io(doing: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> EntryError {
    let path = path.to_owned();
    move |source| EntryError::Io { doing, path, source }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exec_paths_are_quoted_as_the_specification_says() {
        let path = Path::new("/opt/my apps/$HOME/50%/pd\"x");
        assert_eq!(exec_quoted(path), r#""/opt/my apps/\$HOME/50%%/pd\"x""#);
    }
}

//! Starting at login on macOS: a LaunchAgent, `~/Library/LaunchAgents/<LABEL>.plist`, that
//! launchd runs when the user logs in (the way a program outside an app bundle starts at
//! login). This user's only. Built on every system so its text is tested here; used on
//! macOS.

use std::path::{Path, PathBuf};

use crate::desktop::{Autostart, DesktopError};

/// launchd's name for the agent, and its file's.
pub const LABEL: &str = "app.promptdeck.promptdeck";

/// The agent's file, for this user.
pub fn path() -> Option<PathBuf> {
    let home = directories::BaseDirs::new()?.home_dir().to_owned();
    Some(home.join("Library/LaunchAgents").join(format!("{LABEL}.plist")))
}

/// The property list launchd reads: run `exe` once at login, not again when it quits.
pub fn property_list(exe: &Path) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>Label</key>
  <string>{LABEL}</string>
  <key>ProgramArguments</key>
  <array>
    <string>{}</string>
  </array>
  <key>RunAtLoad</key>
  <true/>
  <key>KeepAlive</key>
  <false/>
  <key>ProcessType</key>
  <string>Interactive</string>
</dict>
</plist>
"#,
        xml_escaped(&exe.to_string_lossy())
    )
}

/// A path as XML character data: a path may hold `&` or `<`.
fn xml_escaped(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn failed(doing: &str, path: &Path) -> impl FnOnce(std::io::Error) -> DesktopError {
    let said = format!("cannot {doing} {}", path.display());
    move |e| DesktopError::Autostart(format!("{said}: {e}"))
}

/// Writes the agent for the running program, replacing its file whole, readable as
/// launchd's agents are. Returns its path.
pub fn install() -> Result<PathBuf, DesktopError> {
    let path = path().ok_or_else(|| DesktopError::Autostart("no home directory".into()))?;
    let exe =
        promptdeck_client::app::command_line().map_err(failed("find the program for", &path))?;
    crate::files::replace_readable(&path, property_list(&exe).as_bytes())
        .map_err(failed("write", &path))?;
    Ok(path)
}

/// Removes the agent; none there is no error. Says whether there was one.
pub fn remove() -> Result<bool, DesktopError> {
    let Some(path) = path() else { return Ok(false) };
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(failed("remove", &path)(e)),
    }
}

pub struct LaunchAgent;

impl Autostart for LaunchAgent {
    fn enabled(&self) -> bool {
        path().is_some_and(|path| path.exists())
    }

    fn set(&self, enabled: bool) -> Result<(), DesktopError> {
        if enabled { install().map(drop) } else { remove().map(drop) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_agent_runs_the_program_once_at_login_its_path_escaped() {
        let plist = property_list(Path::new("/Users/a&b/Apps/<x>/promptdeck"));
        assert!(plist.contains("<string>/Users/a&amp;b/Apps/&lt;x&gt;/promptdeck</string>"));
        assert!(plist.contains(&format!("<key>Label</key>\n  <string>{LABEL}</string>")));
        assert!(plist.contains("<key>RunAtLoad</key>\n  <true/>"));
        assert!(plist.contains("<key>KeepAlive</key>\n  <false/>"));
    }
}

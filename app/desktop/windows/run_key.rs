//! Starting at login on Windows: a value under this user's Run key, the program's path in
//! quotes, as Windows' own "Startup apps" lists it. This user's only (HKEY_CURRENT_USER).

use std::path::Path;

use winreg::RegKey;
use winreg::enums::{HKEY_CURRENT_USER, KEY_READ};

use crate::desktop::{Autostart, DesktopError};

pub const RUN_KEY: &str = r"Software\Microsoft\Windows\CurrentVersion\Run";
pub const VALUE: &str = "Promptdeck";

/// Where the value lives, as `reg` and regedit name it.
pub fn location() -> String {
    format!(r"HKEY_CURRENT_USER\{RUN_KEY}\{VALUE}")
}

/// The command Windows runs at login: the program, quoted (its path may hold spaces).
pub fn command_line(exe: &Path) -> String {
    format!("\"{}\"", exe.display())
}

fn failed(doing: &str) -> impl FnOnce(std::io::Error) -> DesktopError + '_ {
    move |e| DesktopError::Autostart(format!("cannot {doing} {}: {e}", location()))
}

/// Writes the value for the running program: the app itself, not the command line, which
/// on Windows would wait beside it all session (it cannot hand its process over).
pub fn install() -> Result<(), DesktopError> {
    let exe = std::env::current_exe().map_err(failed("find the program for"))?;
    let (run, _) =
        RegKey::predef(HKEY_CURRENT_USER).create_subkey(RUN_KEY).map_err(failed("open"))?;
    run.set_value(VALUE, &command_line(&exe)).map_err(failed("write"))
}

/// Removes the value; none there is no error. Says whether there was one.
pub fn remove() -> Result<bool, DesktopError> {
    let (run, _) =
        RegKey::predef(HKEY_CURRENT_USER).create_subkey(RUN_KEY).map_err(failed("open"))?;
    match run.delete_value(VALUE) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(failed("remove")(e)),
    }
}

pub struct RunKey;

impl Autostart for RunKey {
    fn enabled(&self) -> bool {
        RegKey::predef(HKEY_CURRENT_USER)
            .open_subkey_with_flags(RUN_KEY, KEY_READ)
            .and_then(|run| run.get_value::<String, _>(VALUE))
            .is_ok()
    }

    fn set(&self, enabled: bool) -> Result<(), DesktopError> {
        if enabled { install() } else { remove().map(drop) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_program_is_quoted_for_a_path_with_spaces() {
        let exe = Path::new(r"C:\Program Files\Promptdeck\promptdeck.exe");
        assert_eq!(command_line(exe), r#""C:\Program Files\Promptdeck\promptdeck.exe""#);
    }

    #[test]
    fn on_then_off_writes_and_removes_the_value() {
        let was_on = RunKey.enabled();
        RunKey.set(true).expect("written");
        assert!(RunKey.enabled());
        RunKey.set(false).expect("removed");
        assert!(!RunKey.enabled());
        assert_eq!(remove(), Ok(false), "removing what is not there is no error");
        if was_on {
            RunKey.set(true).expect("put back");
        }
    }
}

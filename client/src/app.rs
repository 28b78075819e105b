//! Handing over to `promptdeck-app`, the program beside this one that holds the windows
//! and the runtime, with this command line unchanged.

use std::path::PathBuf;
use std::process::{Command, ExitCode};

/// The app's file name, beside the command line's own.
const APP: &str = "promptdeck-app";
/// The command line's file name.
const COMMAND_LINE: &str = "promptdeck";

/// Where the app is: beside the running program.
pub fn path() -> std::io::Result<PathBuf> {
    beside_this_program(APP)
}

/// What a desktop's binding, launcher or autostart entry runs: the command line beside the
/// running program, or this program itself where it stands alone (the app answers every
/// command too, only slower to start).
pub fn command_line() -> std::io::Result<PathBuf> {
    let command_line = beside_this_program(COMMAND_LINE)?;
    if command_line.is_file() { Ok(command_line) } else { std::env::current_exe() }
}

fn beside_this_program(name: &str) -> std::io::Result<PathBuf> {
    let own = std::env::current_exe()?;
    Ok(own.with_file_name(format!("{name}{}", std::env::consts::EXE_SUFFIX)))
}

/// Runs the app with this process's arguments. On Unix the app takes this process's place
/// (its id, its parent, its signals); on Windows, which cannot replace a process, this one
/// waits for it and exits as it did.
pub fn hand_over() -> ExitCode {
    let app = match path() {
        Ok(app) => app,
        Err(e) => return cannot_start(&format!("cannot find this program's own path: {e}")),
    };
    let mut command = Command::new(&app);
    command.args(std::env::args_os().skip(1));
    match run(command) {
        Ok(code) => code,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => cannot_start(&format!(
            "{} is missing; it is installed beside promptdeck ({})",
            app.display(),
            e
        )),
        Err(e) => cannot_start(&format!("cannot run {}: {e}", app.display())),
    }
}

#[cfg(unix)]
fn run(mut command: Command) -> std::io::Result<ExitCode> {
    use std::os::unix::process::CommandExt;
    // Only returns if the app could not be started.
    Err(command.exec())
}

#[cfg(windows)]
fn run(mut command: Command) -> std::io::Result<ExitCode> {
    let status = command.status()?;
    // Windows' exit codes are 32-bit; ExitCode carries a byte.
    std::process::exit(status.code().unwrap_or(1))
}

fn cannot_start(why: &str) -> ExitCode {
    eprintln!("promptdeck: cannot start the app: {why}");
    ExitCode::FAILURE
}

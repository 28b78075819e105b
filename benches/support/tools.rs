// Shared by several benches; each uses part of it.
#![allow(dead_code)]

//! The programs a bench runs beside Promptdeck. A bench that lacks one fails and names it:
//! a skipped comparison would leave a figure with nothing beside it, unnoticed.

/// Panics unless `program` is on the PATH, saying how to install it.
pub fn require(program: &str) {
    let found = std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()));
    assert!(
        found,
        "this bench needs `{program}`, which is not on the PATH: scripts/install-deps.sh --test installs it"
    );
}

/// Asks the Promptdeck running on the profile `data_dir` to quit, through its CLI.
pub fn quit(data_dir: &std::path::Path) {
    let quit = std::process::Command::new(env!("CARGO_BIN_EXE_promptdeck"))
        .arg("quit")
        .env("PROMPTDECK_DATA_DIR", data_dir)
        .stdout(std::process::Stdio::null())
        .status();
    assert!(quit.expect("quit runs").success(), "quit failed");
}

/// Starts Promptdeck (`command`, logging at info level to a pipe) and returns once it logs
/// that it is ready; the rest of its log is read and dropped, so it never blocks on it.
pub fn start_ready(command: &mut std::process::Command) -> std::process::Child {
    use std::io::{BufRead, BufReader};
    let mut child = command
        .env("PROMPTDECK_LOG", "info")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("starts Promptdeck");
    let mut lines = BufReader::new(child.stderr.take().expect("piped")).lines();
    let ready = promptdeck::run::READY_LINE;
    lines.by_ref().map_while(Result::ok).find(|l| l.contains(ready)).expect("ready");
    std::thread::spawn(move || lines.for_each(drop));
    child
}

//! The `promptdeck-server` binary, started as an operator would, for tests that need its
//! command line, its own process limits or a signal.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// A running server process; killed when dropped.
pub struct Binary {
    pub child: Child,
    /// Where it listens, as its log says.
    pub addr: String,
}

impl Binary {
    /// Starts the server with `args` and `env` (plus a fresh SQLite database in `dir`),
    /// under `prlimit --nofile=N` when `open_files` is given, and waits for it to listen.
    pub fn start(
        dir: &std::path::Path,
        args: &[&str],
        env: &[(&str, &str)],
        open_files: Option<u32>,
    ) -> Self {
        let mut command = match open_files {
            Some(n) => {
                let mut command = Command::new("prlimit");
                command.arg(format!("--nofile={n}")).arg(env!("CARGO_BIN_EXE_promptdeck-server"));
                command
            }
            None => Command::new(env!("CARGO_BIN_EXE_promptdeck-server")),
        };
        let mut child = command
            .args(["--listen", "127.0.0.1:0", "--database"])
            .arg(format!("sqlite://{}", dir.join("server.db").display()))
            .args(args)
            .envs(env.iter().copied())
            .env("PROMPTDECK_LOG", "info")
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .spawn()
            .expect("the server binary starts");
        // The server logs to standard output.
        let mut lines = BufReader::new(child.stdout.take().expect("piped")).lines();
        let addr = lines
            .by_ref()
            .map_while(Result::ok)
            .find_map(|line| {
                without_colours(&line).split("addr=").nth(1).map(|a| a.trim().to_owned())
            })
            .expect("the server says where it listens");
        // Keeps reading the log, so the server never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Self { child, addr }
    }

    pub fn id(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the server says when it refuses to start with `args`, and that it did refuse.
pub fn refusal(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_promptdeck-server"))
        .args(["--listen", "127.0.0.1:0", "--database"])
        .arg(format!("sqlite://{}", dir.join("server.db").display()))
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .expect("the server binary runs");
    assert!(!output.status.success(), "the server started with {args:?}");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A log line without its terminal colour codes (`ESC [ ... m`).
pub fn without_colours(line: &str) -> String {
    let mut plain = String::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            chars.by_ref().find(|&c| c == 'm');
        } else {
            plain.push(c);
        }
    }
    plain
}

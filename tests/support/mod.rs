//! Running the real `promptdeck` binary against a temporary profile.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

// A session bus, an X clipboard owner, X keys: the Linux desktop's, where these tests run.
#[cfg(all(unix, not(target_os = "macos")))]
pub mod bus;
#[cfg(all(unix, not(target_os = "macos")))]
pub mod clipboard_owner;
#[cfg(all(unix, not(target_os = "macos")))]
pub mod keyboard;
#[cfg(all(unix, not(target_os = "macos")))]
pub mod late_paster;
#[path = "../../actors/tests/support/node.rs"]
pub mod node;
#[path = "../../actors/tests/support/oidc.rs"]
pub mod oidc;
#[path = "../../actors/tests/support/proxy.rs"]
pub mod proxy;
pub mod server;
pub mod signin;
#[path = "../../actors/tests/support/version.rs"]
pub mod version;

pub const BIN: &str = env!("CARGO_BIN_EXE_promptdeck");
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a test waits for something that should happen at once.
pub const WAIT: Duration = Duration::from_secs(30);

/// A running instance; killed on drop if the test did not stop it.
pub struct Instance {
    pub child: Child,
    pub data_dir: PathBuf,
    stderr: mpsc::Receiver<String>,
}

impl Instance {
    /// Starts `promptdeck --headless` (plus `extra` args) and waits for its "ready" line.
    pub fn start(data_dir: &Path, extra: &[&str]) -> Self {
        let mut args = vec!["--headless"];
        args.extend_from_slice(extra);
        Self::spawn(data_dir, &args, &[])
    }

    /// Starts `promptdeck <args>` with extra environment and waits for its "ready" line.
    pub fn spawn(data_dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut command = Command::new(BIN);
        // The caller's environment comes last, so it may set another log level.
        command.args(args).env("PROMPTDECK_LOG", "info").envs(env.iter().copied());
        Self::launch(command, data_dir)
    }

    /// Starts `promptdeck --headless` in a mount namespace of its own, after `mounts` (shell
    /// commands) set up its filesystem there: a tiny tmpfs, a read-only bind. Needs root or
    /// CAP_SYS_ADMIN, as CI's containers have. Talk to it with [`Instance::cli_inside`].
    pub fn start_confined(data_dir: &Path, mounts: &str) -> Self {
        let mut command = Command::new("unshare");
        command.args(["--mount", "sh", "-c", &format!("{mounts} && exec \"$0\" --headless"), BIN]);
        command.env("PROMPTDECK_LOG", "info");
        Self::launch(command, data_dir)
    }

    /// Starts `promptdeck --headless` allowed at most `files` open file descriptors, as a
    /// machine out of them would leave it.
    pub fn start_with_few_files(data_dir: &Path, files: u32) -> Self {
        let mut command = Command::new("prlimit");
        command.arg(format!("--nofile={files}:{files}")).args(["--", BIN, "--headless"]);
        command.env("PROMPTDECK_LOG", "info");
        Self::launch(command, data_dir)
    }

    fn launch(mut command: Command, data_dir: &Path) -> Self {
        let mut child = command
            .env("PROMPTDECK_DATA_DIR", data_dir)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawns promptdeck");
        let stderr = child.stderr.take().expect("piped");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let instance = Self { child, data_dir: data_dir.to_owned(), stderr: rx };
        instance.wait_for_line(promptdeck::run::READY_LINE);
        instance
    }

    /// Waits for a stderr line containing `needle` and returns it.
    pub fn wait_for_line(&self, needle: &str) -> String {
        loop {
            match self.stderr.recv_timeout(READY_TIMEOUT) {
                Ok(line) if line.contains(needle) => return line,
                Ok(_) => {}
                Err(e) => panic!("no stderr line with {needle:?}: {e}"),
            }
        }
    }

    /// The stderr lines not yet read.
    pub fn stderr_so_far(&self) -> Vec<String> {
        self.stderr.try_iter().collect()
    }

    /// `promptdeck <args>` inside a confined instance's mount namespace, where its socket is.
    pub fn cli_inside(&self, args: &[&str]) -> Output {
        let pid = self.child.id().to_string();
        Command::new("nsenter")
            .args(["--target", &pid, "--mount", BIN])
            .args(args)
            .env("PROMPTDECK_DATA_DIR", &self.data_dir)
            .stdin(Stdio::null())
            .output()
            .expect("nsenter runs")
    }

    pub fn cli(&self, args: &[&str]) -> Output {
        cli(&self.data_dir, args, None)
    }

    /// Waits for the process to exit on its own (after `quit`).
    pub fn wait_exit(mut self) -> std::process::ExitStatus {
        self.child.wait().expect("waits")
    }

    pub fn kill_9(mut self) {
        self.child.kill().expect("kill -9");
        self.child.wait().expect("reaped");
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `promptdeck <args>` for the profile at `data_dir`, feeding `stdin` if given.
pub fn cli(data_dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .env("PROMPTDECK_DATA_DIR", data_dir)
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns promptdeck");
    if let Some(bytes) = stdin {
        child.stdin.take().expect("piped").write_all(bytes).expect("writes stdin");
    }
    child.wait_with_output().expect("runs")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

pub fn titles(instance: &Instance) -> Vec<String> {
    titles_listed(&instance.cli(&["list", "--json"]))
}

/// The titles in the answer to `list --json`.
pub fn titles_listed(out: &Output) -> Vec<String> {
    assert!(out.status.success(), "list failed: {}", stderr(out));
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).expect("list is JSON");
    list.as_array()
        .expect("an array")
        .iter()
        .map(|p| p["title"].as_str().expect("title").to_owned())
        .collect()
}

/// Evaluates `check` until it returns `Some`, for at most `limit`.
pub fn eventually<T>(what: &str, limit: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let started = std::time::Instant::now();
    loop {
        if let Some(found) = check() {
            return found;
        }
        assert!(started.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `status --json` of the instance at `data_dir`.
pub fn status(data_dir: &Path) -> Option<serde_json::Value> {
    let out = cli(data_dir, &["status", "--json"], None);
    out.status.success().then(|| serde_json::from_slice(&out.stdout).ok()).flatten()
}

/// An X server of our own, on a display no one else uses.
pub struct Xvfb {
    child: Child,
    pub display: String,
}

impl Xvfb {
    /// Xvfb picks a free display itself and names it once it accepts connections, so
    /// tests running side by side never share one.
    pub fn start() -> Self {
        Self::with_screen("1280x800x24")
    }

    /// An X server whose screen is `geometry` (`WIDTHxHEIGHTxDEPTH`).
    pub fn with_screen(geometry: &str) -> Self {
        let mut child = Command::new("Xvfb")
            .args(["-displayfd", "1", "-screen", "0", geometry, "-nolisten", "tcp"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb is installed (scripts/install-deps.sh --test)");
        let mut number = String::new();
        BufReader::new(child.stdout.take().expect("piped"))
            .read_line(&mut number)
            .expect("Xvfb names its display");
        let display = format!(":{}", number.trim());
        assert!(display.len() > 1, "Xvfb did not start");
        Self { child, display }
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

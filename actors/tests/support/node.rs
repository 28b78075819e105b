//! Node peers: the official Replicache client, driven line by line, and the second
//! backend of tests/backends/.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;

use serde_json::{Value, json};

use super::WAIT;

/// The workspace's tests/ folder, from the root package or from a member.
fn tests_dir() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    [manifest.join("tests"), manifest.join("../tests")]
        .into_iter()
        .find(|dir| dir.join("backends").is_dir())
        .expect("the workspace's tests/ folder")
}

/// The official client in Node, one command per line.
pub struct OfficialClient {
    child: Child,
    stdin: ChildStdin,
    answers: mpsc::Receiver<String>,
}

impl OfficialClient {
    /// Pushes to and pulls from the given URLs, sending `authorization` as is.
    pub fn start(push: &str, pull: &str, authorization: &str) -> Self {
        let dir = tests_dir().join("interop");
        assert!(
            dir.join("node_modules/replicache").exists(),
            "run `npm ci --prefix tests/interop` first (scripts/test.sh does)"
        );
        let mut child = Command::new("node")
            .arg(dir.join("driven.mjs"))
            .args([push, pull, authorization])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("node is installed");
        let stdin = child.stdin.take().expect("piped");
        let stdout = child.stdout.take().expect("piped");
        let (tx, answers) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        Self { child, stdin, answers }
    }

    /// Sends one command and returns its answer.
    pub fn ask(&mut self, command: Value) -> String {
        writeln!(self.stdin, "{command}").expect("the Node client reads");
        self.answers.recv_timeout(WAIT * 2).expect("the Node client answers")
    }

    pub fn mutate(&mut self, name: &str, args: Value) {
        assert_eq!(self.ask(json!({"op": "mutate", "name": name, "args": args})), "ok");
    }

    pub fn pushed(&mut self) {
        assert_eq!(self.ask(json!({"op": "pushed"})), "ok", "the server acknowledged Node");
    }
}

impl Drop for OfficialClient {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// tests/backends/replicache-backend.mjs: a Replicache backend written apart from ours,
/// with its own URL layout, raw-token auth, and object or string cookies.
pub struct JsBackend {
    child: Child,
    pub port: u16,
}

impl JsBackend {
    pub const TOKEN: &str = "js-backend-token";

    pub fn start(extra: &[&str]) -> Self {
        let mut child = Command::new("node")
            .arg(tests_dir().join("backends/replicache-backend.mjs"))
            .args(["--token", Self::TOKEN])
            .args(extra)
            .stdout(Stdio::piped())
            .spawn()
            .expect("node is installed");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped"))
            .read_line(&mut line)
            .expect("the backend says where it listens");
        let port = line
            .trim()
            .strip_prefix("listening ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("not a port: {line:?}"));
        Self { child, port }
    }

    /// An endpoint of the backend, with `{space}` left for the client to fill in.
    pub fn endpoint(&self, action: &str) -> String {
        format!("http://127.0.0.1:{}/spaces/{{space}}/{action}", self.port)
    }
}

impl Drop for JsBackend {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

//! The official `replicache` 15 client (tests/interop/peer.mjs, in Node) and raw protocol
//! requests share a space on the real server: each sees the other's writes.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use promptdeck_server::{Auth, Server, ServerConfig};
use serde_json::{Value, json};

fn interop_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/interop")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_client_and_promptdeck_see_each_others_writes() {
    assert!(
        interop_dir().join("node_modules/replicache").exists(),
        "run `npm ci --prefix tests/interop` first (scripts/test.sh does)"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let config = ServerConfig::new(
        "127.0.0.1:0".parse().expect("addr"),
        format!("sqlite://{}", dir.path().join("server.db").display()),
        Auth::from_pairs(&["tok=alice".into()]).expect("auth"),
    );
    let server = Server::start(config).await.expect("starts");
    let base = format!("http://{}", server.local_addr());
    tokio::spawn(server.serve_until(std::future::pending()));

    let mut node = Command::new("node")
        .arg(interop_dir().join("peer.mjs"))
        .args([&base, "shared", "tok"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("node is installed");
    let (lines_tx, lines) = std::sync::mpsc::channel();
    let stdout = node.stdout.take().expect("piped");
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    let next_line = || lines.recv_timeout(Duration::from_secs(60)).expect("the Node peer answers");
    assert_eq!(next_line(), "created");

    let http = reqwest::Client::new();
    let call = |path: &str, body: Value| {
        http.post(format!("{base}/api/replicache/{path}?space=shared"))
            .header("Authorization", "Bearer tok")
            .json(&body)
            .send()
    };
    let pulled: Value = call("pull", json!({"profileID": "rust", "clientGroupID": "rust-group", "cookie": null, "pullVersion": 1, "schemaVersion": "1"}))
        .await
        .expect("pulls")
        .json()
        .await
        .expect("json");
    let from_node = pulled["patch"]
        .as_array()
        .expect("patch")
        .iter()
        .find(|op| op["key"] == "prompt/from-node")
        .expect("Node's prompt");
    assert_eq!(from_node["value"]["title"], "From Node");
    assert_eq!(from_node["value"]["tags"], json!(["interop"]));

    let push = json!({"profileID": "rust", "clientGroupID": "rust-group", "pushVersion": 1, "schemaVersion": "1", "mutations": [
        {"id": 1, "name": "createPrompt", "clientID": "rust-client", "timestamp": 1.0,
         "args": {"id": "from-rust", "title": "From Rust", "body": "written by Promptdeck", "tags": [], "createdAt": 2}},
        {"id": 2, "name": "updatePrompt", "clientID": "rust-client", "timestamp": 2.0,
         "args": {"id": "from-node", "title": "Renamed by Rust", "updatedAt": 3}},
    ]});
    assert!(call("push", push).await.expect("pushes").status().is_success());

    let seen: Value = serde_json::from_str(&next_line()).expect("the Node peer's view");
    assert_eq!(seen["fromRust"]["title"], "From Rust");
    assert_eq!(seen["fromNode"]["title"], "Renamed by Rust");
    assert_eq!(
        seen["fromNode"]["body"], "written by the official client",
        "the rename kept the body"
    );
    assert!(node.wait().expect("node exits").success());
}

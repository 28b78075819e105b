//! Two real `promptdeck` instances syncing through a real server on loopback.

mod support;

use std::time::Duration;

use promptdeck_server::{Auth, Server, ServerConfig};
use support::{Instance, cli, eventually, status, stderr, titles};

/// The server on a thread and runtime of its own, for the life of the test.
fn start_server(dir: &std::path::Path) -> String {
    let (ready_tx, ready) = std::sync::mpsc::channel();
    let database_url = format!("sqlite://{}", dir.join("server.db").display());
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt");
        rt.block_on(async move {
            let config = ServerConfig {
                listen: "127.0.0.1:0".parse().expect("addr"),
                database_url,
                auth: Auth::InsecureLocal,
            };
            let server = Server::start(config).await.expect("server starts");
            ready_tx.send(server.local_addr()).expect("ready");
            let _ = server.serve_until(std::future::pending()).await;
        });
    });
    format!("http://{}", ready.recv_timeout(Duration::from_secs(30)).expect("server ready"))
}

#[test]
fn a_prompt_added_on_one_instance_is_listed_by_the_other_after_sync() {
    let root = tempfile::tempdir().expect("tempdir");
    let url = start_server(root.path());
    let (a_dir, b_dir) = (root.path().join("a"), root.path().join("b"));
    let a = Instance::start(&a_dir, &["--server", &url]);
    let b = Instance::start(&b_dir, &["--server", &url]);

    let added = a.cli(&["add", "--title", "Shared prompt", "--body", "from A", "--tag", "sync"]);
    assert!(added.status.success(), "{}", stderr(&added));
    let synced = a.cli(&["sync"]);
    assert!(synced.status.success(), "{}", stderr(&synced));
    let synced = b.cli(&["sync"]);
    assert!(synced.status.success(), "{}", stderr(&synced));
    assert_eq!(titles(&b), ["Shared prompt"]);

    let health = status(&a_dir).expect("status");
    assert_eq!(health["status"]["pending"], 0, "acknowledged by the server");
    assert_eq!(health["status"]["sync"]["state"], "idle");
    let actors: Vec<&str> = health["actors"]
        .as_array()
        .expect("actors")
        .iter()
        .filter_map(|a| a["name"].as_str())
        .collect();
    assert!(actors.contains(&"SyncActor"), "{actors:?}");
    eventually("B's live updates", Duration::from_secs(30), || {
        (status(&b_dir)?["status"]["liveUpdates"] == true).then_some(())
    });
}

#[test]
fn sync_without_a_server_says_how_to_set_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let _instance = Instance::start(dir.path(), &[]);
    let out = cli(dir.path(), &["sync"], None);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--server"), "{}", stderr(&out));
}

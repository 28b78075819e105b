//! Runtimes syncing through the real server on loopback, with real files on both sides.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use promptdeck_actors::{
    Origin, PromptDraft, Runtime, RuntimeConfig, RuntimeHandle, RuntimeStatus, SyncConfig,
    SyncStatus,
};
use promptdeck_server::{Auth, Server, ServerConfig};
use tokio::sync::oneshot;

const WAIT: Duration = Duration::from_secs(30);

/// The server in a runtime of its own, so that stopping it closes every connection, as a
/// crash or a dropped network would.
struct TestServer {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TestServer {
    fn start(database: &Path, addr: Option<SocketAddr>) -> Self {
        let (ready_tx, ready) = std::sync::mpsc::channel();
        let (stop, stopped) = oneshot::channel::<()>();
        let database_url = format!("sqlite://{}", database.display());
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .expect("rt");
            rt.block_on(async move {
                let listen = addr.unwrap_or_else(|| "127.0.0.1:0".parse().expect("addr"));
                let config = ServerConfig { listen, database_url, auth: Auth::InsecureLocal };
                let server = Server::start(config).await.expect("server starts");
                ready_tx.send(server.local_addr()).expect("ready");
                tokio::select! {
                    _ = server.serve_until(std::future::pending()) => {}
                    _ = stopped => {}
                }
            });
            // Dropping the runtime ends every connection task with it.
            drop(rt);
        });
        let addr = ready.recv_timeout(WAIT).expect("server ready");
        Self { addr, stop: Some(stop), thread: Some(thread) }
    }

    fn stop(mut self) -> SocketAddr {
        self.shutdown();
        self.addr
    }

    fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

async fn runtime(dir: &Path, server: &str) -> Runtime {
    let mut config = RuntimeConfig::new(dir.join("library.redb"));
    config.sync = Some(SyncConfig {
        server: server.to_owned(),
        space: "shared".into(),
        authorization: None,
        schema_version: "1".into(),
    });
    Runtime::start(config).await.expect("runtime starts")
}

async fn wait_until(handle: &RuntimeHandle, what: &str, check: impl Fn(&RuntimeStatus) -> bool) {
    let mut status = handle.subscribe();
    tokio::time::timeout(WAIT, status.wait_for(|s| check(s)))
        .await
        .unwrap_or_else(|_| panic!("timed out waiting for {what}; status {:?}", handle.status()))
        .expect("status board alive");
}

async fn titles(handle: &RuntimeHandle) -> Vec<String> {
    let mut titles: Vec<String> = handle
        .search(&Origin("test".into()), "", 1000)
        .await
        .expect("lists")
        .into_iter()
        .map(|h| h.prompt.title)
        .collect();
    titles.sort();
    titles
}

fn draft(title: &str) -> PromptDraft {
    PromptDraft { title: title.into(), body: format!("body of {title}"), tags: vec![] }
}

fn dirs() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("server.db");
    (dir, db)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prompt_created_on_one_device_reaches_another_by_poke_within_a_second() {
    let (root, db) = dirs();
    let server = TestServer::start(&db, None);
    let (a, b) = (
        runtime(&root.path().join("a"), &server.url()).await,
        runtime(&root.path().join("b"), &server.url()).await,
    );
    let (a, b) = (a.handle(), b.handle());
    wait_until(&b, "B's live updates", |s| s.live_updates && s.last_synced_at.is_some()).await;

    let started = Instant::now();
    a.create(draft("From A")).await.expect("created on A");
    wait_until(&b, "the prompt on B", |s| s.prompt_count == 1).await;
    let latency = started.elapsed();
    assert!(latency < Duration::from_secs(1), "poke to store took {latency:?}");
    assert_eq!(titles(&b).await, ["From A"]);
    wait_until(&a, "A's push acknowledged", |s| s.pending == 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_made_offline_are_kept_and_reach_everyone_when_the_server_returns() {
    let (root, db) = dirs();
    let server = TestServer::start(&db, None);
    let (a, b) = (
        runtime(&root.path().join("a"), &server.url()).await,
        runtime(&root.path().join("b"), &server.url()).await,
    );
    let (a, b) = (a.handle(), b.handle());
    a.create(draft("Before the outage")).await.expect("created");
    wait_until(&b, "the first prompt on B", |s| s.prompt_count == 1).await;
    wait_until(&a, "A's push acknowledged", |s| s.pending == 0).await;

    let addr = server.stop();
    a.create(draft("Written offline on A")).await.expect("a local write works offline");
    b.create(draft("Written offline on B")).await.expect("a local write works offline");
    wait_until(&a, "A to notice it is offline", |s| {
        matches!(s.sync, SyncStatus::Offline { .. }) && s.pending == 1
    })
    .await;
    assert_eq!(
        titles(&a).await,
        ["Before the outage", "Written offline on A"],
        "offline writes are visible at once"
    );

    let _server = TestServer::start(&db, Some(addr));
    wait_until(&a, "A to see B's offline write", |s| s.prompt_count == 3 && s.pending == 0).await;
    wait_until(&b, "B to see A's offline write", |s| s.prompt_count == 3 && s.pending == 0).await;
    assert_eq!(titles(&a).await, titles(&b).await);
    assert!(
        matches!(a.status().sync, SyncStatus::Idle | SyncStatus::Syncing),
        "{:?}",
        a.status().sync
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_the_server_forgets_this_device_its_unsynced_work_is_pushed_again() {
    let (root, db) = dirs();
    let server = TestServer::start(&db, None);
    let a = runtime(&root.path().join("a"), &server.url()).await;
    let a = a.handle();
    a.create(draft("Synced before")).await.expect("created");
    wait_until(&a, "the first push", |s| s.pending == 0 && s.last_synced_at.is_some()).await;

    // The server comes back with an empty database: it knows nothing of this client group.
    let addr = server.stop();
    let _fresh = TestServer::start(&root.path().join("fresh.db"), Some(addr));
    a.create(draft("Typed meanwhile")).await.expect("created");
    wait_until(&a, "the new client group to push", |s| s.pending == 0 && s.prompt_count == 1).await;
    assert_eq!(
        titles(&a).await,
        ["Typed meanwhile"],
        "the server's state is truth; nothing unsynced was lost"
    );

    let b = runtime(&root.path().join("b"), &format!("http://{addr}")).await;
    let b = b.handle();
    wait_until(&b, "a new device to get it", |s| s.prompt_count == 1).await;
    assert_eq!(titles(&b).await, ["Typed meanwhile"]);
}

//! A real server in a runtime of its own, and runtimes syncing with it.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use promptdeck_actors::{
    Origin, PromptDraft, Runtime, RuntimeConfig, RuntimeHandle, RuntimeStatus, SyncConfig,
};
use promptdeck_server::{Auth, Limits, Server, ServerConfig};
use tokio::sync::oneshot;

pub mod converge;
pub mod node;
pub mod oidc;
pub mod proxy;
pub mod version;

pub const WAIT: Duration = Duration::from_secs(30);
/// Small enough that a test can send a larger answer cheaply.
pub const MAX_ANSWER_BYTES: usize = 4 * 1024 * 1024;

/// The server in a runtime of its own, so that stopping it closes every connection, as a
/// crash or a dropped network would.
pub struct TestServer {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TestServer {
    /// A server on the SQLite file `database`, at `addr` if given.
    pub fn start(database: &Path, addr: Option<SocketAddr>) -> Self {
        Self::on(format!("sqlite://{}", database.display()), addr)
    }

    /// A server on any database URL, at `addr` if given.
    pub fn on(database_url: String, addr: Option<SocketAddr>) -> Self {
        Self::serve(database_url, addr, Auth::InsecureLocal, Limits::default())
    }

    /// A server on the SQLite file `database` that lets in whom `auth` says.
    pub fn with_auth(database: &Path, auth: Auth) -> Self {
        Self::serve(format!("sqlite://{}", database.display()), None, auth, Limits::default())
    }

    /// A local server on the SQLite file `database` within `limits`.
    pub fn with_limits(database: &Path, limits: Limits) -> Self {
        let url = format!("sqlite://{}", database.display());
        Self::serve(url, None, Auth::InsecureLocal, limits)
    }

    /// A local server on the SQLite file `database` that serves HTTPS with `tls`.
    pub fn with_tls(database: &Path, tls: promptdeck_server::TlsFiles) -> Self {
        let url = format!("sqlite://{}", database.display());
        Self::serve_with(url, None, Auth::InsecureLocal, Limits::default(), Some(tls))
    }

    /// A local server over HTTPS with a certificate made for `localhost` now, which nothing
    /// trusts unless given the returned file; its files and database go in `dir`.
    pub fn self_signed(dir: &Path) -> (Self, promptdeck_actors::CaFile) {
        let made = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("made");
        let tls =
            promptdeck_server::TlsFiles { cert: dir.join("cert.pem"), key: dir.join("key.pem") };
        std::fs::write(&tls.cert, made.cert.pem()).expect("written");
        std::fs::write(&tls.key, made.signing_key.serialize_pem()).expect("written");
        let ca = promptdeck_actors::CaFile::read(&tls.cert).expect("a CA file");
        (Self::with_tls(&dir.join("server.db"), tls), ca)
    }

    /// This server's URL by the name its certificate holds.
    pub fn https_url(&self) -> String {
        format!("https://localhost:{}", self.addr.port())
    }

    fn serve(database_url: String, addr: Option<SocketAddr>, auth: Auth, limits: Limits) -> Self {
        Self::serve_with(database_url, addr, auth, limits, None)
    }

    fn serve_with(
        database_url: String,
        addr: Option<SocketAddr>,
        auth: Auth,
        limits: Limits,
        tls: Option<promptdeck_server::TlsFiles>,
    ) -> Self {
        let (ready_tx, ready) = std::sync::mpsc::channel();
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .expect("rt");
            rt.block_on(async move {
                let listen = addr.unwrap_or_else(|| "127.0.0.1:0".parse().expect("addr"));
                let config =
                    ServerConfig { limits, tls, ..ServerConfig::new(listen, database_url, auth) };
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

    pub fn stop(mut self) -> SocketAddr {
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

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// A runtime syncing the space `shared` with the promptdeck-server at `server`.
pub async fn runtime(dir: &Path, server: &str) -> Runtime {
    runtime_with(dir, SyncConfig::new(server, "shared")).await
}

/// A runtime syncing as `sync` says, with the tests' short timeout and answer limit.
pub async fn runtime_with(dir: &Path, sync: SyncConfig) -> Runtime {
    let mut config = RuntimeConfig::new(dir.join("library.redb"));
    config.sync = Some(SyncConfig {
        request_timeout: Duration::from_secs(2),
        max_answer_bytes: MAX_ANSWER_BYTES,
        ..sync
    });
    Runtime::start(config).await.expect("runtime starts")
}

pub async fn wait_until(
    handle: &RuntimeHandle,
    what: &str,
    check: impl Fn(&RuntimeStatus) -> bool,
) {
    let mut status = handle.subscribe();
    tokio::time::timeout(WAIT, status.wait_for(|s| check(s)))
        .await
        .unwrap_or_else(|_| panic!("timed out waiting for {what}; status {:?}", handle.status()))
        .expect("status board alive");
}

pub async fn titles(handle: &RuntimeHandle) -> Vec<String> {
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

pub fn draft(title: &str) -> PromptDraft {
    PromptDraft { title: title.into(), body: format!("body of {title}"), tags: vec![] }
}

pub fn dirs() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("server.db");
    (dir, db)
}

/// Two devices syncing with the server at `url`, their libraries under `root`. Their
/// runtimes run until the test ends.
pub async fn two_devices(root: &Path, url: &str) -> (RuntimeHandle, RuntimeHandle) {
    let a = runtime(&root.join("a"), url).await;
    let b = runtime(&root.join("b"), url).await;
    (a.handle(), b.handle())
}

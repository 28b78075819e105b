//! A promptdeck-server for the binary's tests: on a thread and runtime of its own, one
//! local user, a SQLite file.

use std::net::SocketAddr;

use promptdeck_server::{Auth, Server, ServerConfig};

use super::WAIT;

/// The server on a thread and runtime of its own, for the life of the test.
pub fn start_server(dir: &std::path::Path) -> SocketAddr {
    start_server_with(dir, Auth::InsecureLocal)
}

/// The same, letting in whom `auth` says.
pub fn start_server_with(dir: &std::path::Path, auth: Auth) -> SocketAddr {
    let (ready_tx, ready) = std::sync::mpsc::channel();
    let database_url = format!("sqlite://{}", dir.join("server.db").display());
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt");
        rt.block_on(async move {
            let config =
                ServerConfig::new("127.0.0.1:0".parse().expect("addr"), database_url, auth);
            let server = Server::start(config).await.expect("server starts");
            ready_tx.send(server.local_addr()).expect("ready");
            let _ = server.serve_until(std::future::pending()).await;
        });
    });
    ready.recv_timeout(WAIT).expect("server ready")
}

/// How many mutations the server has processed in the space `personal`.
pub fn processed_on_server(rt: &tokio::runtime::Runtime, server: SocketAddr) -> i64 {
    rt.block_on(super::version::server_version(&format!("http://{server}"), "personal"))
}

//! settings.toml edited while the app runs: sync starts, moves and stops without a restart;
//! a file that cannot work changes nothing and `status` says why until it is fixed.

mod support;

use std::net::SocketAddr;

use promptdeck_server::{Auth, Server, ServerConfig};
use support::{Instance, WAIT, eventually, status};

fn start_server(dir: &std::path::Path) -> SocketAddr {
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
    ready.recv_timeout(WAIT).expect("server ready")
}

fn sync_state(dir: &std::path::Path) -> Option<String> {
    Some(status(dir)?["status"]["sync"]["state"].as_str()?.to_owned())
}

#[test]
fn editing_settings_toml_applies_without_a_restart() {
    let dirs = [(); 2].map(|_| tempfile::tempdir().expect("tempdir"));
    let server = start_server(dirs[0].path());
    let profile = dirs[1].path();
    let settings = profile.join("settings.toml");
    let instance = Instance::start(profile, &[]);
    assert!(instance.cli(&["add", "--title", "Written locally", "--body", "x"]).status.success());
    assert_eq!(sync_state(profile).as_deref(), Some("localOnly"));

    std::fs::write(&settings, format!("[sync]\nserver = \"http://{server}\"\n")).expect("written");
    eventually("sync to start and push the waiting prompt", WAIT, || {
        let health = status(profile)?;
        (health["status"]["sync"]["state"] == "idle" && health["status"]["pending"] == 0)
            .then_some(())
    });

    std::fs::write(&settings, "[sync]\nserver = \"not a url\"\n").expect("written");
    let problem = eventually("the bad file to be reported", WAIT, || {
        status(profile)?["settingsProblem"].as_str().map(str::to_owned)
    });
    assert!(problem.contains("not a URL"), "{problem}");
    assert_eq!(sync_state(profile).as_deref(), Some("idle"), "the previous settings stay");

    std::fs::write(&settings, "[paste]\nmethod = \"copy-only\"\n").expect("written");
    eventually("sync to stop and the problem to clear", WAIT, || {
        let health = status(profile)?;
        (health["status"]["sync"]["state"] == "localOnly" && health["settingsProblem"].is_null())
            .then_some(())
    });
    let list = instance.cli(&["list"]);
    assert!(support::stdout(&list).contains("Written locally"));
}

//! Signing in with the real binary: a server that checks a real provider's tokens, and a
//! $BROWSER script that plays the browser with curl.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use promptdeck_server::{Auth, OidcConfig, Server, ServerConfig};

use super::WAIT;
use super::oidc::{AUDIENCE, CLIENT_ID};

/// A promptdeck-server trusting `issuer`'s tokens, on a thread of its own; its base URL.
pub fn start_server(dir: &Path, issuer: &str) -> String {
    let (ready_tx, ready) = std::sync::mpsc::channel();
    let database_url = format!("sqlite://{}", dir.join("server.db").display());
    let oidc =
        OidcConfig { client_id: Some(CLIENT_ID.into()), ..OidcConfig::new(issuer, AUDIENCE) };
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt");
        rt.block_on(async move {
            let config = ServerConfig {
                listen: "127.0.0.1:0".parse().expect("addr"),
                database_url,
                auth: Auth::oidc(oidc).expect("oidc"),
            };
            let server = Server::start(config).await.expect("server starts");
            ready_tx.send(server.local_addr()).expect("ready");
            let _ = server.serve_until(std::future::pending()).await;
        });
    });
    format!("http://{}", ready.recv_timeout(WAIT).expect("server ready"))
}

/// A $BROWSER that records what it was asked to open and follows redirects with curl.
pub fn curl_browser(dir: &Path) -> std::path::PathBuf {
    let script = dir.join("browser.sh");
    let visited = dir.join("visited");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nexec curl -sSL -o /dev/null -w '%{{http_code}}\\n' \"$1\" >> {}\n",
            visited.display()
        ),
    )
    .expect("script written");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    script
}

//! Signing in with the real binary: a server that checks a real provider's tokens, and a
//! $BROWSER script that plays the browser with curl.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use promptdeck_server::{Auth, OidcConfig};

use super::oidc::{AUDIENCE, CLIENT_ID};

/// A promptdeck-server trusting `issuer`'s tokens, on a thread of its own; its base URL.
pub fn start_server(dir: &Path, issuer: &str) -> String {
    let oidc =
        OidcConfig { client_id: Some(CLIENT_ID.into()), ..OidcConfig::new(issuer, AUDIENCE) };
    let auth = Auth::oidc(oidc).expect("oidc");
    format!("http://{}", super::server::start_server_with(dir, auth))
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

/// A headless instance at `profile` syncing with `server`, signing in through `browser`,
/// logging at `log`. No desktop keyring: the sign-in goes to the private file.
pub fn headless_instance(
    profile: &Path,
    server: &str,
    browser: &Path,
    log: &str,
) -> super::Instance {
    super::Instance::spawn(
        profile,
        &["--headless", "--server", server],
        &[
            ("BROWSER", browser.to_str().expect("path")),
            ("PROMPTDECK_LOG", log),
            ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent"),
        ],
    )
}

//! What an operator sets up, tried as one would: HTTPS with a certificate of their own,
//! tokens kept off the command line, and an identity provider that stops answering.

use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use promptdeck_server::{Auth, Limits, OidcConfig, Server, ServerConfig, TlsFiles};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

mod support;
use support::{Binary, refusal};

const WAIT: Duration = Duration::from_secs(30);

/// A self-signed certificate for `localhost` and 127.0.0.1, written as PEM files.
fn certificate(dir: &std::path::Path) -> (TlsFiles, reqwest::Certificate) {
    let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
    let made = rcgen::generate_simple_self_signed(names).expect("a certificate");
    let files = TlsFiles { cert: dir.join("cert.pem"), key: dir.join("key.pem") };
    std::fs::write(&files.cert, made.cert.pem()).expect("written");
    std::fs::write(&files.key, made.signing_key.serialize_pem()).expect("written");
    let trusted = reqwest::Certificate::from_pem(made.cert.pem().as_bytes()).expect("PEM");
    (files, trusted)
}

fn push_body(token: &str) -> Value {
    json!({"profileID": "p", "clientGroupID": format!("g-{token}"), "pushVersion": 1,
        "schemaVersion": "1", "mutations": [{"id": 1, "clientID": format!("c-{token}"),
        "name": "createPrompt", "timestamp": 1.0,
        "args": {"id": "a", "title": "Over TLS", "body": "b", "tags": [], "createdAt": 1}}]})
}

fn pull_body(token: &str) -> Value {
    json!({"profileID": "p", "clientGroupID": format!("g-{token}"), "cookie": null,
        "pullVersion": 1, "schemaVersion": "1"})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_serves_sync_and_nothing_else_gets_in() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (tls, trusted) = certificate(dir.path());
    let database = format!("sqlite://{}", dir.path().join("server.db").display());
    let auth = Auth::from_pairs(&["alice-token=alice".into()]).expect("auth");
    let config = ServerConfig {
        tls: Some(tls),
        limits: Limits { header_timeout: Duration::from_secs(1), ..Limits::default() },
        ..ServerConfig::new("127.0.0.1:0".parse().expect("addr"), database, auth)
    };
    let server = Server::start(config).await.expect("starts");
    let url = server.url();
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    let addr = server.local_addr();
    tokio::spawn(server.serve_until(std::future::pending()));

    let https = reqwest::Client::builder()
        .add_root_certificate(trusted)
        .https_only(true)
        .build()
        .expect("a client");
    let pushed = https
        .post(format!("{url}/api/replicache/push?space=alices"))
        .bearer_auth("alice-token")
        .json(&push_body("alice-token"))
        .send()
        .await
        .expect("answered over TLS");
    assert_eq!(pushed.status().as_u16(), 200);
    let pulled: Value = https
        .post(format!("{url}/api/replicache/pull?space=alices"))
        .bearer_auth("alice-token")
        .json(&pull_body("alice-token"))
        .send()
        .await
        .expect("answered over TLS")
        .json()
        .await
        .expect("JSON");
    assert_eq!(pulled["patch"][1]["value"]["title"], "Over TLS", "{pulled}");

    // A client that does not know the certificate refuses it, and plain HTTP gets nothing.
    let untrusting = reqwest::Client::new();
    assert!(untrusting.get(format!("{url}/api/config")).send().await.is_err());
    let plain = untrusting.get(format!("http://{addr}/api/config")).send().await;
    assert!(plain.is_err(), "plain HTTP answered: {plain:?}");

    // A connection that never starts its handshake is closed when the header time is up.
    let mut silent = tokio::net::TcpStream::connect(addr).await.expect("connects");
    let mut said = Vec::new();
    tokio::time::timeout(WAIT, silent.read_to_end(&mut said))
        .await
        .expect("closed without a handshake")
        .expect("read");
    assert!(said.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_that_cannot_serve_is_refused_at_start_with_its_reason() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (good, _) = certificate(dir.path());
    let other = tempfile::tempdir().expect("tempdir");
    let (mismatched, _) = certificate(other.path());
    std::fs::write(dir.path().join("empty.pem"), "").expect("written");
    let cases = [
        (
            TlsFiles { cert: dir.path().join("missing.pem"), ..good.clone() },
            "cannot read the TLS certificate",
        ),
        (
            TlsFiles { cert: dir.path().join("empty.pem"), ..good.clone() },
            "holds no PEM certificate",
        ),
        (TlsFiles { key: dir.path().join("empty.pem"), ..good.clone() }, "cannot read the TLS key"),
        (TlsFiles { key: mismatched.key.clone(), ..good.clone() }, "do not make a server"),
    ];
    for (tls, reason) in cases {
        let database = format!("sqlite://{}", dir.path().join("server.db").display());
        let config = ServerConfig {
            tls: Some(tls),
            ..ServerConfig::new("127.0.0.1:0".parse().expect("addr"), database, Auth::InsecureLocal)
        };
        let error = Server::start(config).await.err().expect("refused").to_string();
        assert!(error.contains(reason), "wanted {reason:?}, got {error:?}");
    }
    let alone = refusal(dir.path(), &["--insecure-local", "--tls-cert", "cert.pem"], &[]);
    assert!(alone.contains("--tls-key"), "{alone}");
}

#[test]
fn tokens_come_from_a_private_file_or_the_environment() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("tokens");
    std::fs::write(&file, "# who may sync\n\nfile-token=alice\n").expect("written");
    let path = file.to_str().expect("UTF-8");

    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let readable = refusal(dir.path(), &["--tokens-file", path], &[]);
    assert!(readable.contains("can be read by other users (mode 644); chmod 600"), "{readable}");

    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let env = [("PROMPTDECK_TOKENS", "env-token=bob,second-token=carol")];
    let server = Binary::start(dir.path(), &["--tokens-file", path], &env, None);
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async {
        let http = reqwest::Client::new();
        for (token, expected) in
            [("file-token", 200), ("env-token", 200), ("second-token", 200), ("nobody", 401)]
        {
            let status = http
                .post(format!("http://{}/api/replicache/push?space=s-{token}", server.addr))
                .bearer_auth(token)
                .json(&push_body(token))
                .send()
                .await
                .expect("answered")
                .status()
                .as_u16();
            assert_eq!(status, expected, "{token}");
        }
    });
}

/// A stand-in for an identity provider whose key set fails (500), counting what it is
/// asked: the real provider (tests/oauth) cannot be told to fail.
async fn failing_issuer() -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("binds");
    let url = format!("http://{}/jwks", listener.local_addr().expect("addr"));
    let asked = Arc::new(AtomicUsize::new(0));
    let counted = asked.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            let mut request = [0u8; 4096];
            let _ = socket.read(&mut request).await;
            let answer = "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\
                          Connection: close\r\n\r\n";
            let _ = socket.write_all(answer.as_bytes()).await;
        }
    });
    (url, asked)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_key_fetch_counts_against_the_refetch_limit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (jwks_url, asked) = failing_issuer().await;
    let oidc = OidcConfig {
        jwks_url: Some(jwks_url),
        refetch_at_most_every: Duration::from_secs(600),
        ..OidcConfig::new("https://issuer.example", "promptdeck")
    };
    let database = format!("sqlite://{}", dir.path().join("server.db").display());
    let auth = Auth::oidc(oidc).expect("auth");
    let server =
        Server::start(ServerConfig::new("127.0.0.1:0".parse().expect("addr"), database, auth))
            .await
            .expect("starts");
    let url = server.url();
    tokio::spawn(server.serve_until(std::future::pending()));
    // Tokens naming key ids the server has never seen, as an attacker would send them.
    let http = reqwest::Client::new();
    for n in 0..5 {
        let header = base64_url(&json!({"alg": "RS256", "typ": "JWT", "kid": format!("k{n}")}));
        let token = format!("{header}.{}.c2ln", base64_url(&json!({"sub": "mallory"})));
        let answer = http
            .post(format!("{url}/api/replicache/pull?space=s"))
            .bearer_auth(token)
            .json(&pull_body("mallory"))
            .send()
            .await
            .expect("answered");
        assert_eq!(answer.status().as_u16(), 503, "the keys are unavailable");
    }
    assert_eq!(asked.load(Ordering::SeqCst), 1, "one fetch in the refetch interval, failed or not");
}

fn base64_url(value: &Value) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string())
}

/// Runs an operator command (`grant`, `revoke`, `grants`) on the database in `dir`.
fn admin(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_promptdeck-server"))
        .args(args)
        .arg("--database")
        .arg(format!("sqlite://{}", dir.join("server.db").display()))
        .env("NO_COLOR", "1")
        .output()
        .expect("the server binary runs")
}

fn said(output: &std::process::Output) -> (bool, String, String) {
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    (output.status.success(), text(&output.stdout), text(&output.stderr))
}

#[test]
fn an_operator_shares_a_space_from_the_command_line_while_the_server_runs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let env = [("PROMPTDECK_TOKENS", "alice-token=alice,bob-token=bob")];
    let server = Binary::start(dir.path(), &[], &env, None);
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let pull_team = |token: &'static str| {
        runtime.block_on(async {
            reqwest::Client::new()
                .post(format!("http://{}/api/replicache/pull?space=team&owner=alice", server.addr))
                .bearer_auth(token)
                .json(&pull_body(token))
                .send()
                .await
                .expect("answered")
                .status()
                .as_u16()
        })
    };
    assert_eq!(pull_team("bob-token"), 403, "not shared yet");

    let (ok, out, err) = said(&admin(dir.path(), &["grant", "alice/team", "bob"]));
    assert!(ok, "{err}");
    assert_eq!(out, "bob may now use alice/team\n");
    assert_eq!(pull_team("bob-token"), 200, "the running server sees the grant");
    assert_eq!(pull_team("alice-token"), 200, "the space was made for its owner");
    let (_, out, _) = said(&admin(dir.path(), &["grants"]));
    assert_eq!(out, "alice/team bob\n");

    let (ok, _, err) = said(&admin(dir.path(), &["grant", "team", "bob"]));
    assert!(!ok && err.contains("name a space as OWNER/SPACE, not \"team\""), "{err}");
    let (ok, _, err) = said(&admin(dir.path(), &["grant", "alice/no such", "bob"]));
    assert!(!ok && err.contains("no such"), "{err}");

    let (ok, out, err) = said(&admin(dir.path(), &["revoke", "alice/team", "bob"]));
    assert!(ok, "{err}");
    assert_eq!(out, "bob may no longer use alice/team\n");
    assert_eq!(pull_team("bob-token"), 403, "taken back");
    let (_, out, _) = said(&admin(dir.path(), &["revoke", "alice/team", "bob"]));
    assert_eq!(out, "alice/team was not shared with bob; nothing changed\n");
}

#[test]
fn a_database_a_newer_server_wrote_is_refused_and_left_as_it_is() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (ok, _, err) = said(&admin(dir.path(), &["grants"]));
    assert!(ok, "a new database: {err}");
    let url = format!("sqlite://{}", dir.path().join("server.db").display());
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async {
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect(&url).await.expect("opens");
        sqlx::query("UPDATE schema_version SET version = 99")
            .execute(&mut conn)
            .await
            .expect("written");
    });
    let refused = refusal(dir.path(), &["--insecure-local"], &[]);
    assert!(refused.contains("schema version 99, newer than this server's"), "{refused}");
}

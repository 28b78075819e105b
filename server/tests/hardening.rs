//! What the server refuses before any handler runs, and how it stops, over real HTTP and a
//! real socket on loopback: a local server takes no request a web page could make, an
//! unknown caller is refused before its body is read, and a stop (or SIGTERM) ends open
//! poke streams instead of waiting for them.

use std::process::Command;
use std::time::Duration;

use futures_util::StreamExt;
use promptdeck_figures::{Figure, Kind, Section, report};
use promptdeck_server::{Auth, SHUTDOWN_GRACE, Server, ServerConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::oneshot;

mod support;
use support::Binary;

/// How long a test waits for what should happen at once.
const WAIT: Duration = Duration::from_secs(30);

async fn start(
    auth: Auth,
    dir: &tempfile::TempDir,
) -> (String, oneshot::Sender<()>, tokio::task::JoinHandle<()>) {
    let config = ServerConfig::new(
        "127.0.0.1:0".parse().expect("addr"),
        format!("sqlite://{}", dir.path().join("server.db").display()),
        auth,
    );
    let server = Server::start(config).await.expect("starts");
    let base = format!("http://{}", server.local_addr());
    let (stop, stopped) = oneshot::channel::<()>();
    let serving = tokio::spawn(async move {
        server.serve_until(async move { drop(stopped.await) }).await.expect("served");
    });
    (base, stop, serving)
}

const PULL: &str =
    r#"{"profileID":"p","clientGroupID":"g","cookie":null,"pullVersion":1,"schemaVersion":"1"}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_local_server_refuses_what_a_web_page_could_send() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (base, _stop, _serving) = start(Auth::InsecureLocal, &dir).await;
    let http = reqwest::Client::new();
    let pull = |host: Option<&str>, origin: Option<&str>, content_type: &str| {
        let mut request = http
            .post(format!("{base}/api/replicache/pull?space=personal"))
            .header("Content-Type", content_type)
            .body(PULL);
        if let Some(host) = host {
            request = request.header("Host", host);
        }
        if let Some(origin) = origin {
            request = request.header("Origin", origin);
        }
        async move { request.send().await.expect("answered").status().as_u16() }
    };
    assert_eq!(pull(None, None, "application/json").await, 200, "a local client gets in");
    assert_eq!(pull(Some("localhost:8787"), None, "application/json; charset=utf-8").await, 200);
    let attacks = [
        // DNS rebinding: a page's own name that resolves to 127.0.0.1.
        (pull(Some("rebind.attacker.example:8787"), None, "application/json").await, 403),
        // A cross-site fetch or form from a page: the browser names its origin.
        (pull(None, Some("https://attacker.example"), "application/json").await, 403),
        (pull(None, Some("null"), "application/json").await, 403),
        // A simple form post needs no preflight, but cannot send JSON.
        (pull(None, None, "text/plain").await, 415),
        (pull(None, None, "application/x-www-form-urlencoded").await, 415),
    ];
    for (answered, refusal) in attacks {
        assert_eq!(answered, refusal);
    }
    let poke = http
        .get(format!("{base}/api/replicache/poke?space=personal"))
        .header("Origin", "https://attacker.example")
        .send()
        .await
        .expect("answered");
    assert_eq!(poke.status().as_u16(), 403, "a page cannot follow the library either");
    let mut report = report!(
        Kind::Test,
        "server-web-page",
        "cargo test -p promptdeck-server --test hardening a_local_server"
    );
    report.add(
        Figure::count(
            Section::Reliability,
            "a web page reaching --insecure-local on loopback: DNS rebinding (a foreign Host), cross-site Origin and `null`, text/plain and form posts, a cross-site poke stream",
            attacks.len() as u64 + 1,
            "refused",
        )
        .detail("403 or 415 each, before any handler; a local client answered 200")
        .headline(),
    );
    report.write().expect("writes its record");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_caller_is_refused_before_its_body_is_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let auth = Auth::from_pairs(&["alice-token=alice".into()]).expect("auth");
    let (base, _stop, _serving) = start(auth, &dir).await;
    let addr = base.trim_start_matches("http://");
    let mut socket = tokio::net::TcpStream::connect(addr).await.expect("connects");
    // Announces 30 MiB and sends none of it: the answer must not wait for the body.
    let head = format!(
        "POST /api/replicache/push?space=personal HTTP/1.1\r\nHost: {addr}\r\n\
         Authorization: Bearer not-a-token\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n",
        30 << 20
    );
    socket.write_all(head.as_bytes()).await.expect("sent");
    let mut answer = vec![0u8; 64];
    let read = tokio::time::timeout(WAIT, socket.read(&mut answer))
        .await
        .expect("an answer before any of the body")
        .expect("read");
    let answer = String::from_utf8_lossy(&answer[..read]);
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nobody_follows_another_users_space() {
    let dir = tempfile::tempdir().expect("tempdir");
    let auth =
        Auth::from_pairs(&["alice-token=alice".into(), "bob-token=bob".into()]).expect("auth");
    let (base, _stop, _serving) = start(auth, &dir).await;
    let http = reqwest::Client::new();
    let push = serde_json::json!({"profileID": "p", "clientGroupID": "g-alice",
        "pushVersion": 1, "schemaVersion": "1", "mutations": [{"id": 1, "clientID": "c-alice",
        "name": "createPrompt", "timestamp": 1.0,
        "args": {"id": "a", "title": "Alice's", "body": "b", "tags": [], "createdAt": 1}}]});
    let pushed = http
        .post(format!("{base}/api/replicache/push?space=alices"))
        .bearer_auth("alice-token")
        .json(&push)
        .send()
        .await
        .expect("answered");
    assert_eq!(pushed.status().as_u16(), 200, "alice's space is hers");
    let follow = |token: &'static str, space: &'static str| {
        let request =
            http.get(format!("{base}/api/replicache/poke?space={space}")).bearer_auth(token).send();
        async move { request.await.expect("answered").status().as_u16() }
    };
    assert_eq!(
        follow("bob-token", "alices&owner=alice").await,
        403,
        "bob cannot see when alice writes"
    );
    assert_eq!(follow("alice-token", "alices").await, 200);
    assert_eq!(follow("bob-token", "alices").await, 200, "a space of bob's own, not hers");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_ends_open_poke_streams_and_the_server_within_its_grace() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (base, stop, serving) = start(Auth::InsecureLocal, &dir).await;
    let http = reqwest::Client::new();
    let mut streams = Vec::new();
    for space in ["personal", "team", "personal"] {
        let response = http
            .get(format!("{base}/api/replicache/poke?space={space}"))
            .send()
            .await
            .expect("connects");
        assert_eq!(response.status().as_u16(), 200);
        streams.push(response.bytes_stream());
    }
    let _ = stop.send(());
    tokio::time::timeout(SHUTDOWN_GRACE + Duration::from_secs(5), serving)
        .await
        .expect("the server stops though poke streams were open")
        .expect("served");
    for mut stream in streams {
        let ended =
            tokio::time::timeout(WAIT, async { while let Some(Ok(_)) = stream.next().await {} });
        ended.await.expect("each poke stream ends");
    }
}

#[test]
fn sigterm_stops_the_server_with_clients_connected() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut server = Binary::start(dir.path(), &["--insecure-local"], &[], None);
    let addr = server.addr.clone();
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let _listeners = runtime.block_on(async {
        let mut listeners = Vec::new();
        for _ in 0..3 {
            let response =
                reqwest::get(format!("http://{addr}/api/replicache/poke?space=personal"))
                    .await
                    .expect("connects");
            assert_eq!(response.status().as_u16(), 200);
            listeners.push(response);
        }
        listeners
    });
    let terminated = Command::new("kill").args(["-TERM", &server.id().to_string()]).status();
    assert!(terminated.expect("kill runs").success());
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = server.child.try_wait().expect("waits") {
            break status;
        }
        assert!(started.elapsed() < WAIT, "the server still runs after SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status}");
    assert!(
        started.elapsed() < SHUTDOWN_GRACE + Duration::from_secs(5),
        "stopped within its grace, not at a kill timeout: {:?}",
        started.elapsed()
    );
}

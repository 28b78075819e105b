//! What one caller can hold of the server, over real sockets on loopback: half-sent
//! requests are closed when their time is up, one address cannot take every connection,
//! and one user cannot take every request or poke stream.

use std::time::Duration;

use promptdeck_figures::{Figure, Kind, Section, report};
use promptdeck_server::{Auth, Limits, Server, ServerConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

mod support;
use support::Binary;

/// How long a test waits for what should happen at once.
const WAIT: Duration = Duration::from_secs(30);

/// A first pull by `token`'s user, in a client group of its own.
fn pull_body(token: &str) -> String {
    format!(
        r#"{{"profileID":"p","clientGroupID":"g-{token}","cookie":null,"pullVersion":1,"schemaVersion":"1"}}"#
    )
}

async fn start(auth: Auth, limits: Limits, dir: &tempfile::TempDir) -> String {
    let database = format!("sqlite://{}", dir.path().join("server.db").display());
    let config = ServerConfig {
        limits,
        ..ServerConfig::new("127.0.0.1:0".parse().expect("addr"), database, auth)
    };
    let server = Server::start(config).await.expect("starts");
    let addr = server.local_addr().to_string();
    tokio::spawn(server.serve_until(std::future::pending()));
    addr
}

/// Reads until the server closes the connection; what it said before closing.
async fn until_closed(socket: &mut TcpStream) -> String {
    let mut said = Vec::new();
    tokio::time::timeout(WAIT, socket.read_to_end(&mut said))
        .await
        .expect("the server closes the connection")
        .expect("read");
    String::from_utf8_lossy(&said).into_owned()
}

fn head(addr: &str, method: &str, path: &str, extra: &str) -> String {
    format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{extra}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_bodies_and_idle_connections_that_never_end_are_closed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let limits = Limits {
        header_timeout: Duration::from_secs(1),
        body_timeout: Duration::from_secs(1),
        ..Limits::default()
    };
    let addr = start(Auth::InsecureLocal, limits, &dir).await;

    let mut slow_headers = TcpStream::connect(&addr).await.expect("connects");
    let unfinished = head(&addr, "POST", "/api/replicache/pull?space=personal", "X-Slow: ");
    slow_headers.write_all(unfinished.as_bytes()).await.expect("sent");

    let mut slow_body = TcpStream::connect(&addr).await.expect("connects");
    let headers = "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"profileID\"";
    let request = head(&addr, "POST", "/api/replicache/pull?space=personal", headers);
    slow_body.write_all(request.as_bytes()).await.expect("sent");

    let mut idle = TcpStream::connect(&addr).await.expect("connects");
    idle.write_all(head(&addr, "GET", "/api/config", "\r\n").as_bytes()).await.expect("sent");

    assert_eq!(until_closed(&mut slow_headers).await, "", "closed without an answer");
    let answer = until_closed(&mut slow_body).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("took longer than 1 s"), "{answer}");
    let answer = until_closed(&mut idle).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "answered, then closed when idle: {answer}");
}

#[test]
fn half_sent_requests_from_one_address_leave_others_answered() {
    const HALF_SENT: usize = 300;
    const PER_ADDRESS: usize = 32;
    let dir = tempfile::tempdir().expect("tempdir");
    // Fewer descriptors than half-sent requests, and headers that could take minutes: only
    // the limit per address can keep room for others.
    let per_address = PER_ADDRESS.to_string();
    let args = [
        "--insecure-local",
        "--max-connections-per-address",
        &per_address,
        "--header-timeout",
        "600",
    ];
    let server = Binary::start(dir.path(), &args, &[], Some(128));
    let addr = server.addr.clone();
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async {
        let mut attackers = Vec::new();
        for _ in 0..HALF_SENT {
            let mut socket = TcpStream::connect(&addr).await.expect("connects");
            let unfinished = head(&addr, "POST", "/api/replicache/pull?space=personal", "X-Slow: ");
            // A connection already closed by the server may refuse the write; that is fine.
            let _ = socket.write_all(unfinished.as_bytes()).await;
            attackers.push(socket);
        }
        let other = reqwest::Client::builder()
            .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
            .timeout(WAIT)
            .build()
            .expect("a client");
        let answer = other
            .post(format!("http://{addr}/api/replicache/pull?space=personal"))
            .header("Content-Type", "application/json")
            .body(pull_body("local"))
            .send()
            .await
            .expect("another address is answered while the half-sent requests are held");
        assert_eq!(answer.status().as_u16(), 200);
        // Those over the limit were closed as they came, before the answer above.
        let closed = attackers.iter().filter(|socket| closed_by_the_server(socket)).count();
        eprintln!(
            "half-sent requests: {HALF_SENT}, held: {}, closed at once: {closed}",
            HALF_SENT - closed
        );
        assert_eq!(closed, HALF_SENT - PER_ADDRESS, "all but the address's limit closed");
    });
    let mut report = report!(
        Kind::Test,
        "server-slow-loris",
        "cargo test -p promptdeck-server --test limits half_sent"
    );
    report.add(
        Figure::count(
            Section::Reliability,
            "slow loris: half-sent requests from one address (headers never finished), the server allowed 128 descriptors",
            HALF_SENT as u64,
            "requests",
        )
        .detail(format!(
            "{PER_ADDRESS} held (the per-address limit), {} closed as they came; another address answered 200 meanwhile",
            HALF_SENT - PER_ADDRESS
        ))
        .headline(),
    );
    report.write().expect("writes its record");
}

/// Whether the server has closed (or reset) `socket`, without waiting.
fn closed_by_the_server(socket: &TcpStream) -> bool {
    match socket.try_read(&mut [0u8; 64]) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => e.kind() != std::io::ErrorKind::WouldBlock,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_user_cannot_take_every_request_or_poke_stream() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tokens = ["alice-token=alice", "bob-token=bob", "carol-token=carol"].map(String::from);
    let auth = Auth::from_pairs(&tokens).expect("auth");
    let limits = Limits {
        requests_per_user: 1,
        poke_streams_per_user: 2,
        poke_streams: 3,
        ..Limits::default()
    };
    let addr = start(auth, limits, &dir).await;
    let http = reqwest::Client::new();
    let poke = |token: &str| {
        http.get(format!("http://{addr}/api/replicache/poke?space=personal-{token}"))
            .bearer_auth(token)
            .send()
    };
    let pull = |token: &str| {
        http.post(format!("http://{addr}/api/replicache/pull?space=personal-{token}"))
            .bearer_auth(token)
            .header("Content-Type", "application/json")
            .body(pull_body(token))
            .send()
    };
    let status = |response: reqwest::Result<reqwest::Response>| {
        response.expect("answered").status().as_u16()
    };

    let mut open = vec![poke("alice-token").await, poke("alice-token").await];
    // Each refusal below is counted for the reliability figures.
    let mut refusals = 0;
    let refused = poke("alice-token").await.expect("answered");
    assert_eq!(refused.status().as_u16(), 429);
    refusals += 1;
    assert!(refused.headers().contains_key("retry-after"));
    assert!(refused.text().await.expect("body").contains("already follow 2 poke streams"));
    open.push(poke("bob-token").await);
    assert_eq!(status(poke("carol-token").await), 429, "three streams in all");
    refusals += 1;
    assert!(open.into_iter().all(|r| r.expect("answered").status().as_u16() == 200));

    // Alice's one request in flight: its handler waits for the body, and says so by asking
    // for it (100 Continue) only once it holds alice's place.
    let mut in_flight = TcpStream::connect(&addr).await.expect("connects");
    let headers = format!(
        "Authorization: Bearer alice-token\r\nContent-Type: application/json\r\n\
         Expect: 100-continue\r\nContent-Length: {}\r\n\r\n",
        pull_body("alice-token").len()
    );
    let request = head(&addr, "POST", "/api/replicache/pull?space=personal-alice-token", &headers);
    in_flight.write_all(request.as_bytes()).await.expect("sent");
    let mut go_on = [0u8; 25];
    in_flight.read_exact(&mut go_on).await.expect("asked for the body");
    assert_eq!(&go_on, b"HTTP/1.1 100 Continue\r\n\r\n");
    let refused = pull("alice-token").await;
    assert_eq!(status(refused), 429, "alice has a request in flight");
    refusals += 1;
    assert_eq!(status(pull("bob-token").await), 200, "bob is not held up by alice");
    in_flight.write_all(pull_body("alice-token").as_bytes()).await.expect("sent");
    let mut answer = [0u8; 12];
    in_flight.read_exact(&mut answer).await.expect("answered");
    assert_eq!(&answer, b"HTTP/1.1 200");
    assert_eq!(status(pull("alice-token").await), 200, "a finished request gives its place back");
    let mut report = report!(
        Kind::Test,
        "server-flood",
        "cargo test -p promptdeck-server --test limits one_user_cannot"
    );
    report.add(
        Figure::count(
            Section::Reliability,
            "flood: requests and poke streams over a user's or the server's limits, refused with 429 and Retry-After while other users were answered",
            refusals,
            "refused",
        )
        .detail("a third poke stream of one user, a fourth in all, a second request in flight; 3 streams and 1 request held")
        .headline(),
    );
    report.write().expect("writes its record");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_is_processed_up_to_its_limit_and_long_ids_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let limits = Limits { mutations_per_push: 2, ..Limits::default() };
    let addr = start(Auth::InsecureLocal, limits, &dir).await;
    let http = reqwest::Client::new();
    let push = |group: String| {
        let mutations: Vec<_> = (1..=5)
            .map(|id| {
                serde_json::json!({"id": id, "clientID": "c", "name": "createPrompt",
                    "timestamp": 1.0, "args": {"id": format!("p{id}"), "title": "T",
                    "body": "b", "tags": [], "createdAt": 1}})
            })
            .collect();
        let body = serde_json::json!({"profileID": "p", "clientGroupID": group,
            "pushVersion": 1, "schemaVersion": "1", "mutations": mutations});
        let request = http
            .post(format!("http://{addr}/api/replicache/push?space=personal"))
            .json(&body)
            .send();
        async move {
            let response = request.await.expect("answered");
            (response.status().as_u16(), response.text().await.expect("body"))
        }
    };
    let processed = || {
        let request = http
            .post(format!("http://{addr}/api/replicache/pull?space=personal"))
            .header("Content-Type", "application/json")
            .body(pull_body("local").replace("g-local", "g"))
            .send();
        async move {
            let answer: serde_json::Value =
                request.await.expect("answered").json().await.expect("JSON");
            answer["lastMutationIDChanges"]["c"].as_u64().unwrap_or(0)
        }
    };
    // The client sends all five each time, as the official one does, until all are taken.
    for taken in [2, 4, 5] {
        assert_eq!(push("g".into()).await.0, 200);
        assert_eq!(processed().await, taken);
    }

    let (status, reason) = push("g".repeat(300)).await;
    assert_eq!(status, 400);
    assert!(reason.contains("client group id is 300 bytes long"), "{reason}");
}

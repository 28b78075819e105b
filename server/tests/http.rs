//! The server over real HTTP on loopback, every test once on a SQLite file and once on a
//! PostgreSQL database of its own (under scripts/with-postgres.sh, as CI runs it).

use std::time::Duration;

use futures_util::StreamExt;
use promptdeck_server::{Auth, Limits, Quotas, ScratchBackend, Server, ServerConfig, SpaceKey};
use serde_json::{Value, json};
use tokio::sync::oneshot;

/// Defines each named test, an `async fn(ScratchBackend)`, once per backend.
macro_rules! on_both_backends {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $test() {
                super::$test(promptdeck_server::ScratchBackend::Sqlite).await
            })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $test() {
                if let Some(backend) = promptdeck_server::ScratchBackend::postgres_for_tests() {
                    super::$test(backend).await
                }
            })*
        }
    };
}

on_both_backends!(
    a_push_then_a_pull_returns_the_prompt_and_acknowledges_it,
    an_incremental_pull_sends_only_changes_and_deletions,
    a_repeated_push_is_applied_once_and_a_gap_is_refused,
    mutations_their_mutator_refuses_are_processed_without_effect,
    a_forgotten_client_group_gets_client_state_not_found,
    unsupported_versions_are_named,
    tokens_are_required_and_spaces_belong_to_their_user,
    bad_bodies_get_clear_errors,
    a_push_pokes_every_listener_of_its_space,
    concurrent_pushes_to_one_space_lose_nothing,
    concurrent_first_pushes_to_many_spaces_all_succeed,
    every_user_has_their_own_space_of_each_name,
    a_space_is_shared_by_grant_until_revoked,
    a_database_written_before_owner_keyed_spaces_keeps_its_data,
    quotas_refuse_what_grows_a_space_or_its_owner_and_let_the_rest_through,
    a_pull_is_read_a_page_at_a_time_as_the_client_takes_it,
    what_is_learned_is_the_owners_kept_to_the_latest_thousand_and_forgotten_at_once,
);

struct Running {
    base: String,
    http: reqwest::Client,
    _stop: oneshot::Sender<()>,
}

/// A server on a fresh database of `backend`.
async fn start(backend: &ScratchBackend) -> (Running, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let database_url = backend.fresh_database(dir.path()).await.expect("a fresh database");
    (start_on(&database_url).await, dir)
}

/// A server on an existing database; several may share one.
async fn start_on(database_url: &str) -> Running {
    start_with(database_url, Limits::default()).await
}

async fn start_with(database_url: &str, limits: Limits) -> Running {
    let auth =
        Auth::from_pairs(&["alice-token=alice".into(), "bob-token=bob".into()]).expect("auth");
    let config = ServerConfig {
        limits,
        ..ServerConfig::new("127.0.0.1:0".parse().expect("addr"), database_url.to_owned(), auth)
    };
    let server = Server::start(config).await.expect("starts");
    let base = format!("http://{}", server.local_addr());
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(server.serve_until(async move {
        let _ = stopped.await;
    }));
    Running { base, http: reqwest::Client::new(), _stop: stop }
}

impl Running {
    async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> (u16, Value) {
        let mut request = self.http.post(format!("{}{path}", self.base)).json(body);
        if let Some(token) = token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        let response = request.send().await.expect("sends");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn push(&self, space: &str, group: &str, mutations: Vec<Value>) -> (u16, Value) {
        let body = json!({"profileID": "p", "clientGroupID": group, "mutations": mutations,
                          "pushVersion": 1, "schemaVersion": "1"});
        self.post(&format!("/api/replicache/push?space={space}"), Some("alice-token"), &body).await
    }

    /// Opens the space's poke stream; it is live once this returns (headers arrived).
    async fn listen(&self, space: &str) -> PokeStream {
        self.listen_as("alice-token", &format!("space={space}")).await.expect("may follow")
    }

    /// Opens the poke stream `query` names as `token`'s user, or says the status refusing it.
    async fn listen_as(&self, token: &str, query: &str) -> Result<PokeStream, u16> {
        let response = self
            .http
            .get(format!("{}/api/replicache/poke?{query}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .expect("connects");
        match response.status().as_u16() {
            200 => Ok(PokeStream(response.bytes_stream().boxed())),
            status => Err(status),
        }
    }

    /// Pushes `mutations` as `token`'s user to the space `query` names.
    async fn push_as(&self, token: &str, query: &str, group: &str, mutations: Vec<Value>) -> u16 {
        let body = json!({"profileID": "p", "clientGroupID": group, "mutations": mutations,
                          "pushVersion": 1, "schemaVersion": "1"});
        self.post(&format!("/api/replicache/push?{query}"), Some(token), &body).await.0
    }

    /// The status and the prompt keys of a first pull by `token`'s user of what `query`
    /// names.
    async fn keys_as(&self, token: &str, query: &str, group: &str) -> (u16, Vec<String>) {
        let body = json!({"profileID": "p", "clientGroupID": group, "cookie": null,
                          "pullVersion": 1, "schemaVersion": "1"});
        let (status, reply) =
            self.post(&format!("/api/replicache/pull?{query}"), Some(token), &body).await;
        match status {
            200 => (status, keys(&reply["patch"])),
            _ => (status, Vec::new()),
        }
    }

    async fn pull(&self, space: &str, group: &str, cookie: Value) -> (u16, Value) {
        let body = json!({"profileID": "p", "clientGroupID": group, "cookie": cookie,
                          "pullVersion": 1, "schemaVersion": "1"});
        self.post(&format!("/api/replicache/pull?space={space}"), Some("alice-token"), &body).await
    }
}

fn mutation(id: u64, client: &str, name: &str, args: Value) -> Value {
    json!({"id": id, "name": name, "args": args, "timestamp": 1.5, "clientID": client})
}

fn create(id: u64, client: &str, prompt: &str, title: &str) -> Value {
    mutation(
        id,
        client,
        "createPrompt",
        json!({"id": prompt, "title": title, "body": "b", "tags": [], "createdAt": 1}),
    )
}

fn keys(patch: &Value) -> Vec<String> {
    patch
        .as_array()
        .expect("patch")
        .iter()
        .map(|op| {
            format!("{} {}", op["op"].as_str().expect("op"), op["key"].as_str().unwrap_or(""))
        })
        .collect()
}

async fn a_push_then_a_pull_returns_the_prompt_and_acknowledges_it(backend: ScratchBackend) {
    let (server, _dir) = start(&backend).await;
    assert_eq!(
        server
            .push("s1", "g1", vec![create(1, "c1", "a", "Alpha"), create(2, "c1", "b", "Beta")])
            .await
            .0,
        200
    );
    let (status, reply) = server.pull("s1", "g1", Value::Null).await;
    assert_eq!(status, 200);
    assert_eq!(reply["cookie"], 2, "one version per mutation");
    assert_eq!(reply["lastMutationIDChanges"], json!({"c1": 2}));
    assert_eq!(keys(&reply["patch"]), ["clear ", "put prompt/a", "put prompt/b"]);
    assert_eq!(reply["patch"][1]["value"]["title"], "Alpha");
}

async fn an_incremental_pull_sends_only_changes_and_deletions(backend: ScratchBackend) {
    let (server, _dir) = start(&backend).await;
    server
        .push("s1", "g1", vec![create(1, "c1", "a", "Alpha"), create(2, "c1", "b", "Beta")])
        .await;
    let cookie = server.pull("s1", "g1", Value::Null).await.1["cookie"].clone();
    let changes = vec![
        mutation(3, "c1", "updatePrompt", json!({"id": "a", "title": "Alpha 2", "updatedAt": 5})),
        mutation(4, "c1", "deletePrompt", json!({"id": "b"})),
    ];
    server.push("s1", "g1", changes).await;
    let (_, reply) = server.pull("s1", "g1", cookie).await;
    assert_eq!(keys(&reply["patch"]), ["put prompt/a", "del prompt/b"]);
    assert_eq!(reply["lastMutationIDChanges"], json!({"c1": 4}));
    let (_, nothing) = server.pull("s1", "g1", reply["cookie"].clone()).await;
    assert_eq!(nothing["patch"], json!([]));
    assert_eq!(nothing["lastMutationIDChanges"], json!({}));
}

async fn a_repeated_push_is_applied_once_and_a_gap_is_refused(backend: ScratchBackend) {
    let (server, _dir) = start(&backend).await;
    let used = mutation(2, "c1", "markPromptUsed", json!({"id": "a", "at": 9}));
    server.push("s1", "g1", vec![create(1, "c1", "a", "Alpha"), used.clone()]).await;
    assert_eq!(server.push("s1", "g1", vec![used]).await.0, 200, "already processed: skipped");
    let (_, reply) = server.pull("s1", "g1", Value::Null).await;
    assert_eq!(reply["patch"][1]["value"]["useCount"], 1);

    let (status, error) =
        server.push("s1", "g1", vec![create(5, "c1", "z", "From the future")]).await;
    assert_eq!(status, 400);
    assert!(error["error"].as_str().expect("message").contains("before mutation 3"), "{error}");
}

async fn mutations_their_mutator_refuses_are_processed_without_effect(backend: ScratchBackend) {
    let (server, _dir) = start(&backend).await;
    let refused = vec![
        mutation(1, "c1", "updatePrompt", json!({"id": "missing", "title": "x", "updatedAt": 1})),
        mutation(2, "c1", "dropEverything", json!({})),
        mutation(3, "c1", "createPrompt", json!({"id": "bad id!", "title": 3})),
        mutation(
            4,
            "c1",
            "createPrompt",
            json!({"id": "big", "title": "", "body": "x".repeat(2 << 20), "createdAt": 1}),
        ),
    ];
    assert_eq!(server.push("s1", "g1", refused).await.0, 200);
    let (_, reply) = server.pull("s1", "g1", Value::Null).await;
    assert_eq!(reply["lastMutationIDChanges"], json!({"c1": 4}), "the client is not wedged");
    assert_eq!(keys(&reply["patch"]), ["clear "], "and nothing was stored");
}

async fn a_forgotten_client_group_gets_client_state_not_found(backend: ScratchBackend) {
    let (server, _dir) = start(&backend).await;
    assert_eq!(
        server.pull("s1", "never-seen", json!(3)).await.1,
        json!({"error": "ClientStateNotFound"})
    );
    server.push("s1", "g1", vec![create(1, "c1", "a", "Alpha")]).await;
    let (_, reply) = server.pull("s1", "g1", json!(99)).await;
    assert_eq!(
        reply,
        json!({"error": "ClientStateNotFound"}),
        "a cookie from a future the server lost"
    );
}

async fn unsupported_versions_are_named(backend: ScratchBackend) {
    let (server, _dir) = start(&backend).await;
    let push = json!({"profileID": "p", "clientGroupID": "g", "mutations": [], "pushVersion": 0, "schemaVersion": ""});
    let (status, reply) = server.post("/api/replicache/push", Some("alice-token"), &push).await;
    assert_eq!(
        (status, reply),
        (200, json!({"error": "VersionNotSupported", "versionType": "push"}))
    );
    let pull = json!({"profileID": "p", "clientGroupID": "g", "cookie": null, "pullVersion": 2, "schemaVersion": ""});
    let (_, reply) = server.post("/api/replicache/pull", Some("alice-token"), &pull).await;
    assert_eq!(reply, json!({"error": "VersionNotSupported", "versionType": "pull"}));
}

async fn tokens_are_required_and_spaces_belong_to_their_user(backend: ScratchBackend) {
    let (server, _dir) = start(&backend).await;
    server.push("alices", "g1", vec![create(1, "c1", "a", "Alpha")]).await;
    let pull = json!({"profileID": "p", "clientGroupID": "g2", "cookie": null, "pullVersion": 1, "schemaVersion": "1"});
    assert_eq!(server.post("/api/replicache/pull?space=alices", None, &pull).await.0, 401);
    assert_eq!(server.post("/api/replicache/pull?space=alices", Some("wrong"), &pull).await.0, 401);
    let (status, reply) = server
        .post("/api/replicache/pull?space=alices&owner=alice", Some("bob-token"), &pull)
        .await;
    assert_eq!(status, 403, "{reply}");
    assert_eq!(
        server.keys_as("bob-token", "space=alices", "g3").await,
        (200, vec!["clear ".to_owned()]),
        "a space of bob's own, empty"
    );
    // A raw token, without "Bearer ", is accepted too.
    let raw = server
        .http
        .post(format!("{}/api/replicache/pull?space=alices", server.base))
        .header("Authorization", "alice-token")
        .json(&pull)
        .send()
        .await
        .expect("sends");
    assert_eq!(raw.status().as_u16(), 200);
}

async fn bad_bodies_get_clear_errors(backend: ScratchBackend) {
    let (server, _dir) = start(&backend).await;
    let garbage = server
        .http
        .post(format!("{}/api/replicache/push", server.base))
        .header("Authorization", "Bearer alice-token")
        .body("{not json")
        .send()
        .await
        .expect("sends");
    assert_eq!(garbage.status().as_u16(), 400);
    let message: Value = garbage.json().await.expect("json");
    assert!(message["error"].as_str().expect("message").contains("not a Replicache push request"));

    let huge = server
        .http
        .post(format!("{}/api/replicache/push", server.base))
        .header("Authorization", "Bearer alice-token")
        .body(vec![b' '; promptdeck_server::MAX_BODY_BYTES + 1])
        .send()
        .await
        .expect("sends");
    assert_eq!(huge.status().as_u16(), 413);

    let bad_space = json!({"profileID": "p", "clientGroupID": "g", "cookie": null, "pullVersion": 1, "schemaVersion": ""});
    assert_eq!(
        server.post("/api/replicache/pull?space=../etc", Some("alice-token"), &bad_space).await.0,
        400
    );
    // Whatever a device accepts as a workspace's name, the server accepts as a space.
    for name in ["team.v2", "a-b_c", "A1"] {
        assert!(promptdeck_protocol::SpaceName::parse(name).is_ok(), "{name} is a workspace");
        let path = format!("/api/replicache/pull?space={name}");
        let pull = json!({"profileID": "p", "clientGroupID": format!("g-{name}"), "cookie": null, "pullVersion": 1, "schemaVersion": ""});
        assert_eq!(server.post(&path, Some("alice-token"), &pull).await.0, 200, "{name}");
    }
    let bad_cookie = json!({"profileID": "p", "clientGroupID": "g", "cookie": "x", "pullVersion": 1, "schemaVersion": ""});
    assert_eq!(server.post("/api/replicache/pull", Some("alice-token"), &bad_cookie).await.0, 400);
}

async fn a_push_pokes_every_listener_of_its_space(backend: ScratchBackend) {
    let (server, _dir) = start(&backend).await;
    let mut pokes = server.listen("s1").await;
    server.push("s1", "g1", vec![create(1, "c1", "a", "Alpha")]).await;
    pokes.next_poke().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres_a_push_to_one_server_process_pokes_the_listeners_of_another() {
    let Some(backend) = ScratchBackend::postgres_for_tests() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let database_url = backend.fresh_database(dir.path()).await.expect("a fresh database");
    // Two servers share nothing but the database, as two processes behind a load balancer.
    let (first, second) = (start_on(&database_url).await, start_on(&database_url).await);
    let mut pokes = second.listen("s1").await;
    let mut elsewhere = second.listen("s2").await;
    first.push("s1", "g1", vec![create(1, "c1", "a", "Alpha")]).await;
    pokes.next_poke().await;
    first.push("s1", "g1", vec![create(2, "c1", "b", "Beta")]).await;
    pokes.next_poke().await;
    first.push("s2", "g2", vec![create(1, "c2", "c", "Gamma")]).await;
    elsewhere.next_poke().await;
}

/// An open poke stream.
struct PokeStream(futures_util::stream::BoxStream<'static, reqwest::Result<axum::body::Bytes>>);

impl PokeStream {
    /// Waits for the next poke, failing the test after ten seconds.
    async fn next_poke(&mut self) {
        let waited = tokio::time::timeout(Duration::from_secs(10), async {
            let mut seen = String::new();
            while let Some(chunk) = self.0.next().await {
                seen.push_str(&String::from_utf8_lossy(&chunk.expect("chunk")));
                if seen.contains("data: poke") {
                    return;
                }
            }
            panic!("the poke stream ended: {seen}");
        })
        .await;
        waited.expect("poked within ten seconds");
    }

    /// Waits for the server to end the stream, failing the test after ten seconds.
    async fn ends(&mut self) {
        let ended = tokio::time::timeout(Duration::from_secs(10), async {
            while let Some(chunk) = self.0.next().await {
                if chunk.is_err() {
                    return;
                }
            }
        });
        ended.await.expect("the stream ended within ten seconds");
    }
}

async fn concurrent_pushes_to_one_space_lose_nothing(backend: ScratchBackend) {
    let (server, _dir) = start(&backend).await;
    let server = std::sync::Arc::new(server);
    let clients = (0..8).map(|c| {
        let server = server.clone();
        tokio::spawn(async move {
            for i in 1..=10u64 {
                let m = create(i, &format!("c{c}"), &format!("p{c}x{i}"), "t");
                let (status, reply) = server.push("shared", &format!("g{c}"), vec![m]).await;
                assert_eq!(status, 200, "{reply}");
            }
        })
    });
    for client in clients {
        client.await.expect("client task");
    }
    let (_, reply) = server.pull("shared", "g0", Value::Null).await;
    assert_eq!(reply["patch"].as_array().expect("patch").len(), 81, "clear + 80 prompts");
    assert_eq!(reply["cookie"], 80, "one version per mutation, none lost");
}

/// Many clients creating their spaces, groups and clients at the same moment: conflicts
/// between their transactions (including across spaces, which PostgreSQL's serializable
/// isolation reports for small tables) are retried, never shown to a client.
async fn concurrent_first_pushes_to_many_spaces_all_succeed(backend: ScratchBackend) {
    let (server, _dir) = start(&backend).await;
    let server = std::sync::Arc::new(server);
    let clients = (0..40).map(|c| {
        let server = server.clone();
        tokio::spawn(async move {
            let space = format!("space{}", c % 20);
            for i in 1..=5u64 {
                let m = create(i, &format!("c{c}"), &format!("p{c}x{i}"), "t");
                let (status, reply) = server.push(&space, &format!("g{c}"), vec![m]).await;
                assert_eq!(status, 200, "{reply}");
            }
        })
    });
    for client in clients {
        client.await.expect("client task");
    }
    for space in 0..20 {
        let (_, reply) =
            server.pull(&format!("space{space}"), &format!("reader{space}"), Value::Null).await;
        assert_eq!(reply["cookie"], 10, "space{space}: two clients, five mutations each");
    }
}

async fn every_user_has_their_own_space_of_each_name(backend: ScratchBackend) {
    let (server, _dir) = start(&backend).await;
    let alice =
        server.push_as("alice-token", "space=personal", "ga", vec![create(1, "c", "a", "A")]);
    assert_eq!(alice.await, 200);
    // Before spaces were keyed by owner, the first to write `personal` took it from everyone.
    let bob = server.push_as("bob-token", "space=personal", "gb", vec![create(1, "cb", "b", "B")]);
    assert_eq!(bob.await, 200, "bob's personal space is his own");
    let theirs = |token| server.keys_as(token, "space=personal", "fresh");
    assert_eq!(theirs("alice-token").await, (200, vec!["clear ".into(), "put prompt/a".into()]));
    assert_eq!(theirs("bob-token").await, (200, vec!["clear ".into(), "put prompt/b".into()]));
    // Client and group ids are keyed by their user too: alice's ids, no clash.
    let again = server.push_as("bob-token", "space=personal", "ga", vec![create(1, "c", "c", "C")]);
    assert_eq!(again.await, 200, "alice's group id means nothing to bob's");
}

async fn a_space_is_shared_by_grant_until_revoked(backend: ScratchBackend) {
    let dir = tempfile::tempdir().expect("tempdir");
    let database = backend.fresh_database(dir.path()).await.expect("a fresh database");
    let limits = Limits { poke_recheck: Duration::from_millis(100), ..Limits::default() };
    let server = start_with(&database, limits).await;
    let team = "space=team&owner=alice";
    assert_eq!(
        server.push_as("alice-token", team, "ga", vec![create(1, "c", "a", "A")]).await,
        200
    );
    let refused = |status: u16| status == 403;
    assert!(refused(server.keys_as("bob-token", team, "gb").await.0), "not shared yet");
    assert!(refused(server.push_as("bob-token", team, "gb", vec![create(1, "c", "b", "B")]).await));
    assert!(server.listen_as("bob-token", team).await.is_err_and(refused));
    // Nobody learns whether a space they may not use exists.
    assert!(refused(server.keys_as("bob-token", "space=nothing&owner=alice", "gb").await.0));

    let space = SpaceKey::parse("alice/team").expect("an address");
    promptdeck_server::grant(&database, &space, "bob").await.expect("granted");
    assert_eq!(server.keys_as("bob-token", team, "gb").await.1, ["clear ", "put prompt/a"]);
    let mut alice_hears = server.listen_as("alice-token", "space=team").await.expect("hers");
    let mut bob_hears = server.listen_as("bob-token", team).await.expect("shared");
    assert_eq!(server.push_as("bob-token", team, "gb", vec![create(1, "c", "b", "B")]).await, 200);
    alice_hears.next_poke().await;
    bob_hears.next_poke().await;
    assert_eq!(
        server.keys_as("alice-token", "space=team", "ga2").await.1,
        ["clear ", "put prompt/a", "put prompt/b"],
        "bob's prompt is in alice's space"
    );
    let granted = promptdeck_server::grants(&database).await.expect("listed");
    assert_eq!(granted, [(space.clone(), "bob".to_owned())]);

    assert!(promptdeck_server::revoke(&database, &space, "bob").await.expect("revoked"));
    assert!(refused(server.keys_as("bob-token", team, "gb").await.0), "taken back");
    bob_hears.ends().await;
    assert!(!promptdeck_server::revoke(&database, &space, "bob").await.expect("nothing to take"));
}

async fn a_database_written_before_owner_keyed_spaces_keeps_its_data(backend: ScratchBackend) {
    // Written by promptdeck-server as of b685f61, whose spaces were keyed by name alone:
    // alice's `personal` (a1; a2 created and deleted) and `team` (t1), bob's `bobs` (b1).
    let fixture =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v1-server.sqlite");
    let dir = tempfile::tempdir().expect("tempdir");
    let database = backend.database_from_fixture(dir.path(), &fixture).await.expect("a copy");
    // Two prompts per space: the migration counted what each space holds.
    let quotas = Quotas { prompts_per_space: 2, ..Limits::default().quotas };
    let server = &start_with(&database, Limits { quotas, ..Limits::default() }).await;
    let pull = move |token: &str, space: &str, group: &str, cookie: Value| {
        let body = json!({"profileID": "p", "clientGroupID": group, "cookie": cookie,
                          "pullVersion": 1, "schemaVersion": "1"});
        let path = format!("/api/replicache/pull?space={space}");
        let token = token.to_owned();
        async move { server.post(&path, Some(&token), &body).await }
    };
    // The existing client group goes on from its cookie: nothing to send again.
    let (status, reply) = pull("alice-token", "personal", "g-alice", json!(3)).await;
    assert_eq!((status, &reply["patch"]), (200, &json!([])), "{reply}");
    let (_, reply) = pull("alice-token", "personal", "g-alice", Value::Null).await;
    assert_eq!(keys(&reply["patch"]), ["clear ", "put prompt/a1"]);
    assert_eq!(reply["lastMutationIDChanges"], json!({"c-alice": 3}), "{reply}");
    assert_eq!(reply["patch"][1]["value"]["tags"], json!(["x"]));
    assert_eq!(
        server.keys_as("alice-token", "space=team", "n1").await.1,
        ["clear ", "put prompt/t1"]
    );
    assert_eq!(
        server.keys_as("bob-token", "space=bobs", "n2").await.1,
        ["clear ", "put prompt/b1"]
    );
    assert_eq!(
        server.keys_as("bob-token", "space=team", "n3").await,
        (200, vec!["clear ".into()]),
        "bob's own"
    );

    // Mutation ids go on where they were: 3 was processed, 4 is next.
    let again = vec![
        mutation(3, "c-alice", "deletePrompt", json!({"id": "a1"})),
        create(4, "c-alice", "a4", "Four"),
    ];
    assert_eq!(server.push_as("alice-token", "space=personal", "g-alice", again).await, 200);
    let (_, reply) = pull("alice-token", "personal", "g-alice", json!(3)).await;
    assert_eq!(keys(&reply["patch"]), ["put prompt/a4"], "3 was not applied again");
    assert_eq!(reply["cookie"], 4);
    let third = vec![create(5, "c-alice", "a5", "Five")];
    let (status, reply) = server.push("personal", "g-alice", third).await;
    assert_eq!(status, 413, "a1 and a4 fill alice's personal space: {reply}");
    // And bob's first write of `personal`, refused before, is his.
    assert_eq!(
        server.push_as("bob-token", "space=personal", "g", vec![create(1, "c", "b", "B")]).await,
        200
    );
}

async fn quotas_refuse_what_grows_a_space_or_its_owner_and_let_the_rest_through(
    backend: ScratchBackend,
) {
    let dir = tempfile::tempdir().expect("tempdir");
    let database = backend.fresh_database(dir.path()).await.expect("a fresh database");
    let quotas = Quotas { prompts_per_space: 3, bytes_per_user: 4000 };
    let server = start_with(&database, Limits { quotas, ..Limits::default() }).await;
    let four = (1..=4).map(|n| create(n, "c1", &format!("p{n}"), "T")).collect();
    let (status, reply) = server.push("s", "g1", four).await;
    assert_eq!(status, 413, "{reply}");
    let message = reply["error"].as_str().expect("a message");
    assert!(message.contains("holds 3 prompts") && message.contains("--max-prompts-per-space"));
    let (_, pulled) = server.pull("s", "g1", Value::Null).await;
    assert_eq!(pulled["lastMutationIDChanges"], json!({"c1": 3}), "the three before it were kept");
    assert_eq!(keys(&pulled["patch"]).len(), 4, "clear and three prompts");

    // An edit that does not grow passes; a delete from another device makes room, and the
    // refused create goes through when pushed again.
    let rename =
        mutation(1, "c2", "updatePrompt", json!({"id": "p1", "title": "U", "updatedAt": 2}));
    let delete = mutation(2, "c2", "deletePrompt", json!({"id": "p2"}));
    assert_eq!(server.push("s", "g2", vec![rename, delete]).await.0, 200);
    let again = vec![create(4, "c1", "p4", "T")];
    assert_eq!(server.push("s", "g1", again).await.0, 200, "room again");

    // Bytes count per owner across their spaces, a grantee's writes against the owner.
    let long = |id: u64, client: &str, prompt: &str| {
        let body = "x".repeat(1500);
        mutation(
            id,
            client,
            "createPrompt",
            json!({"id": prompt, "title": "L", "body": body,
            "tags": [], "createdAt": 1}),
        )
    };
    assert_eq!(
        server.push("other", "g3", vec![long(1, "c3", "l1"), long(2, "c3", "l2")]).await.0,
        200
    );
    let space = SpaceKey::parse("alice/other").expect("an address");
    promptdeck_server::grant(&database, &space, "bob").await.expect("granted");
    let shared = "space=other&owner=alice";
    assert_eq!(server.push_as("bob-token", shared, "gb", vec![long(1, "cb", "l3")]).await, 413);
    assert_eq!(
        server.push_as("bob-token", "space=other", "gb2", vec![long(1, "cb2", "l3")]).await,
        200,
        "bob's own space counts against bob"
    );
    let shorten =
        mutation(3, "c3", "updatePrompt", json!({"id": "l1", "body": "short", "updatedAt": 2}));
    assert_eq!(server.push("other", "g3", vec![shorten]).await.0, 200, "shrinking always passes");
    assert_eq!(server.push_as("bob-token", shared, "gb", vec![long(1, "cb", "l3")]).await, 200);
}

async fn a_pull_is_read_a_page_at_a_time_as_the_client_takes_it(backend: ScratchBackend) {
    let (server, _dir) = start(&backend).await;
    // 40 MB: more than the socket buffers on both sides can hold, so while the client reads
    // only the start, the server cannot have read the end.
    let body = "x".repeat(40_000);
    for half in [1..=500, 501..=1000] {
        let creates = half
            .map(|n| {
                let args = json!({"id": format!("p{n:04}"), "title": "T", "body": body,
                    "tags": [], "createdAt": 1});
                mutation(n, "c1", "createPrompt", args)
            })
            .collect();
        assert_eq!(server.push("big", "g1", creates).await.0, 200);
    }
    let request = json!({"profileID": "p", "clientGroupID": "g2", "cookie": null,
                         "pullVersion": 1, "schemaVersion": "1"});
    let mut response = server
        .http
        .post(format!("{}/api/replicache/pull?space=big", server.base))
        .bearer_auth("alice-token")
        .json(&request)
        .send()
        .await
        .expect("answered");
    assert_eq!(response.headers()["content-type"], "application/json");
    let mut text = response.chunk().await.expect("read").expect("a first chunk").to_vec();
    assert!(String::from_utf8_lossy(&text).starts_with("{\"cookie\":1000,"));

    // The newest prompt changes while the pull is read: its page is read after the change,
    // so it is left to the next pull rather than sent as the version 1000 never had it.
    let rename = mutation(
        1,
        "c2",
        "updatePrompt",
        json!({"id": "p1000", "title": "Changed",
        "updatedAt": 2}),
    );
    assert_eq!(server.push("big", "g3", vec![rename]).await.0, 200);
    while let Some(chunk) = response.chunk().await.expect("read") {
        text.extend_from_slice(&chunk);
    }
    let answer: Value = serde_json::from_slice(&text).expect("one JSON answer");
    assert_eq!(answer["cookie"], 1000);
    let keys = keys(&answer["patch"]);
    assert_eq!(keys.len(), 1000, "clear and 999 prompts");
    assert_eq!((keys[1].as_str(), keys[999].as_str()), ("put prompt/p0001", "put prompt/p0999"));
    let (_, next) = server.pull("big", "g2", json!(1000)).await;
    assert_eq!(keys_of(&next), ["put prompt/p1000"]);
    assert_eq!(next["patch"][0]["value"]["title"], "Changed");

    // Deletions reach an incremental pull across pages.
    let deletes = ["p0001", "p0500", "p0999"]
        .iter()
        .enumerate()
        .map(|(at, id)| mutation(at as u64 + 2, "c2", "deletePrompt", json!({"id": id})))
        .collect();
    assert_eq!(server.push("big", "g3", deletes).await.0, 200);
    let (_, next) = server.pull("big", "g2", json!(1001)).await;
    assert_eq!(keys_of(&next), ["del prompt/p0001", "del prompt/p0500", "del prompt/p0999"]);
    let (_, fresh) = server.pull("big", "g4", Value::Null).await;
    assert_eq!(keys_of(&fresh).len(), 998, "a first pull sends no deletions: clear and 997");
}

fn keys_of(answer: &Value) -> Vec<String> {
    keys(&answer["patch"])
}

fn learn(id: u64, client: &str, query: &str, prompt: &str) -> Value {
    mutation(id, client, "learnPick", json!({"query": query, "id": prompt, "at": id}))
}

/// The server runs `learnPick` and `forgetLearned` and says so at `/api/config`. What is
/// learned in a space is its owner's: a user it is shared with neither writes it nor is
/// sent it. A space keeps the thousand queries picked for last; `forgetLearned` deletes
/// every one, each at a version of its own, so a pull read a page at a time misses none.
async fn what_is_learned_is_the_owners_kept_to_the_latest_thousand_and_forgotten_at_once(
    backend: ScratchBackend,
) {
    let dir = tempfile::tempdir().expect("tempdir");
    let database = backend.fresh_database(dir.path()).await.expect("a fresh database");
    let server = start_on(&database).await;
    let asked = server.http.get(format!("{}/api/config", server.base)).send().await;
    let config: Value = asked.expect("asked").json().await.expect("JSON");
    let names = config["mutators"].as_array().expect("mutators listed");
    assert!(
        names.contains(&json!("learnPick")) && names.contains(&json!("forgetLearned")),
        "{config}"
    );

    let team = "space=team&owner=alice";
    let mine = vec![create(1, "c", "a", "A"), learn(2, "c", " Stand  Up", "a")];
    assert_eq!(server.push_as("alice-token", team, "ga", mine).await, 200);
    let learned = |keys: &[String]| keys.iter().filter(|k| k.contains("learned/")).count();
    let (_, keys) = server.keys_as("alice-token", team, "ga").await;
    assert_eq!(keys, ["clear ", "put prompt/a", "put learned/stand up"]);
    let space = SpaceKey::parse("alice/team").expect("an address");
    promptdeck_server::grant(&database, &space, "bob").await.expect("granted");
    assert_eq!(server.keys_as("bob-token", team, "gb").await.1, ["clear ", "put prompt/a"]);
    let bobs = vec![learn(1, "cb", "mail", "a"), mutation(2, "cb", "forgetLearned", json!({}))];
    assert_eq!(server.push_as("bob-token", team, "gb", bobs).await, 200);
    let (_, keys) = server.keys_as("alice-token", team, "ga").await;
    assert_eq!(keys, ["clear ", "put prompt/a", "put learned/stand up"], "bob's had no effect");

    let picks: Vec<Value> = (0..1000).map(|n| learn(3 + n, "c", &format!("q{n}"), "a")).collect();
    assert_eq!(server.push_as("alice-token", team, "ga", picks).await, 200);
    let (_, keys) = server.keys_as("alice-token", team, "ga").await;
    assert_eq!(learned(&keys), 1000, "the thousand latest");
    assert!(!keys.contains(&"put learned/stand up".to_owned()), "the oldest went first");
    assert!(keys.contains(&"put learned/q999".to_owned()));

    let (_, before) = server.pull("team&owner=alice", "ga", Value::Null).await;
    let forget = vec![mutation(1003, "c", "forgetLearned", json!({}))];
    assert_eq!(server.push_as("alice-token", team, "ga", forget).await, 200);
    let (_, after) = server.pull("team&owner=alice", "ga", before["cookie"].clone()).await;
    let deleted = self::keys(&after["patch"]);
    assert_eq!(deleted.len(), 1000, "every one deleted, none lost between pages");
    assert!(deleted.iter().all(|k| k.starts_with("del learned/")), "{deleted:?}");
    assert_eq!(server.keys_as("alice-token", team, "ga").await.1, ["clear ", "put prompt/a"]);
}

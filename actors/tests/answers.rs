//! Every answer a Replicache 15 backend may legally give, and the illegal ones, fed over
//! real HTTP to a real runtime, one table row per form. Legal answers land in the replica;
//! illegal ones are set aside with a reason and change nothing.

mod support;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use promptdeck_actors::{
    Endpoints, PromptDraft, Runtime, RuntimeConfig, RuntimeHandle, RuntimeStatus, SyncConfig,
    SyncStatus,
};
use serde_json::{Value, json};
use support::proxy::read_request;
use support::{WAIT, titles};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};

/// A backend whose every answer the test writes. Pulls wait until the test answers them;
/// pushes take the next scripted answer, or `{}`.
struct ScriptedBackend {
    addr: SocketAddr,
    pulls: mpsc::UnboundedReceiver<oneshot::Sender<String>>,
    pushes: Arc<Mutex<Vec<Value>>>,
}

impl ScriptedBackend {
    async fn start(push_answers: Vec<&str>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("binds");
        let addr = listener.local_addr().expect("addr");
        let (waiting, pulls) = mpsc::unbounded_channel();
        let pushes: Arc<Mutex<Vec<Value>>> = Arc::default();
        let push_answers: Arc<Mutex<VecDeque<String>>> =
            Arc::new(Mutex::new(push_answers.into_iter().map(str::to_owned).collect()));
        let seen = pushes.clone();
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let (waiting, seen, push_answers) =
                    (waiting.clone(), seen.clone(), push_answers.clone());
                tokio::spawn(async move {
                    let Some(request) = read_request(&mut client).await else { return };
                    let text = String::from_utf8_lossy(&request).into_owned();
                    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
                    let answer = if text.starts_with("POST /push") {
                        seen.lock().expect("lock").push(serde_json::from_str(body).expect("JSON"));
                        push_answers.lock().expect("lock").pop_front().unwrap_or("{}".into())
                    } else {
                        let (reply, answer) = oneshot::channel();
                        let _ = waiting.send(reply);
                        let Ok(answer) = answer.await else { return };
                        answer
                    };
                    let response = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                        answer.len()
                    );
                    let _ = client.write_all(response.as_bytes()).await;
                });
            }
        });
        Self { addr, pulls, pushes }
    }

    fn settings(&self) -> SyncConfig {
        let at = |path: &str| format!("http://{}/{path}", self.addr);
        let endpoints = Endpoints { push: at("push"), pull: at("pull"), poke: None };
        SyncConfig {
            poll_interval: Duration::from_secs(3600),
            request_timeout: Duration::from_secs(30),
            ..SyncConfig::with_endpoints(endpoints, "s")
        }
    }

    /// The push bodies seen so far.
    fn pushes(&self) -> Vec<Value> {
        self.pushes.lock().expect("lock").clone()
    }

    /// The next pull to arrive, waiting for its answer.
    async fn next_pull(&mut self) -> oneshot::Sender<String> {
        tokio::time::timeout(WAIT, self.pulls.recv())
            .await
            .expect("a pull arrives")
            .expect("the backend runs")
    }

    /// Answers a waiting pull with `answer`, where `{client}` and `{local}` stand for the
    /// pushing client's id and its prompt's id.
    fn answer(&self, reply: oneshot::Sender<String>, answer: &str) {
        let push = self.pushes().last().cloned().expect("a push came first");
        let mutation = &push["mutations"][0];
        let answer = answer
            .replace("{client}", mutation["clientID"].as_str().expect("client"))
            .replace("{local}", mutation["args"]["id"].as_str().expect("prompt id"));
        reply.send(answer).expect("the pull waits");
    }
}

/// Fills the profile at `library` with one unsynced prompt, "Local", made before any
/// server was set.
async fn add_a_local_prompt(library: &std::path::Path) {
    let offline = Runtime::start(RuntimeConfig::new(library)).await.expect("starts");
    let draft = PromptDraft { title: "Local".into(), body: "typed here".into(), tags: vec![] };
    offline.handle().create(draft).await.expect("created");
    offline.shutdown().await;
}

/// What came after an answer: the round settled, or (after ClientStateNotFound) the
/// runtime went straight on to another pull.
enum Next {
    Settled(RuntimeStatus),
    Pull(oneshot::Sender<String>),
}

/// Waits for the round in flight to settle, and returns the status it left.
async fn settled(handle: &RuntimeHandle) -> RuntimeStatus {
    let mut status = handle.subscribe();
    let found = tokio::time::timeout(WAIT, status.wait_for(|s| s.sync != SyncStatus::Syncing))
        .await
        .expect("the round settles");
    found.expect("the runtime lives").clone()
}

fn prompt(id: &str, title: &str) -> String {
    json!({"id": id, "title": title, "body": "b", "tags": [], "createdAt": 1, "updatedAt": 1,
           "useCount": 0, "lastUsedAt": null})
    .to_string()
}

fn put(id: &str, title: &str) -> String {
    format!(r#"{{"op":"put","key":"prompt/{id}","value":{}}}"#, prompt(id, title))
}

/// What a row expects once its last answer was handled.
struct Expect {
    titles: &'static [&'static str],
    pending: u64,
    /// A word the settled state's description must hold ("idle", "does not follow", ...).
    state: &'static str,
}

struct Row {
    name: &'static str,
    push_answers: Vec<&'static str>,
    pulls: Vec<String>,
    expect: Expect,
}

fn describe(status: &RuntimeStatus) -> String {
    match &status.sync {
        SyncStatus::Error { message } => format!("error: {message}"),
        other => format!("{other:?}").to_lowercase(),
    }
}

async fn run(row: Row) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut backend = ScriptedBackend::start(row.push_answers).await;
    let library = dir.path().join("library.redb");
    add_a_local_prompt(&library).await;
    let config = RuntimeConfig { sync: Some(backend.settings()), ..RuntimeConfig::new(library) };
    let runtime = Runtime::start(config).await.expect("starts");
    let handle = runtime.handle();
    // The first round starts by itself; each later one is asked for only once the last
    // settled, so no round runs that the row did not script.
    let mut waiting = backend.next_pull().await;
    let (last, answers) = row.pulls.split_last().expect("a row has answers");
    for answer in answers {
        backend.answer(waiting, answer);
        let next = tokio::select! {
            status = settled(&handle) => Next::Settled(status),
            pull = backend.next_pull() => Next::Pull(pull),
        };
        waiting = match next {
            Next::Pull(pull) => pull,
            Next::Settled(status) => {
                assert_eq!(status.sync, SyncStatus::Idle, "{}: a scripted step failed", row.name);
                let again = handle.clone();
                tokio::spawn(async move { again.sync_now().await });
                backend.next_pull().await
            }
        };
    }
    backend.answer(waiting, last);
    let status = settled(&handle).await;
    let name = row.name;
    assert!(
        describe(&status).contains(row.expect.state),
        "{name}: expected {:?}, got {}",
        row.expect.state,
        describe(&status)
    );
    assert_eq!(titles(&handle).await, row.expect.titles, "{name}: the library");
    assert_eq!(status.pending, row.expect.pending, "{name}: changes waiting");
}

fn legal_rows() -> Vec<Row> {
    let one = put("s1", "Server one");
    let two = put("s2", "Server two");
    let both = &["Local", "Server one", "Server two"][..];
    vec![
        Row {
            name: "number cookies, clear, puts",
            push_answers: vec![],
            pulls: vec![
                format!(r#"{{"cookie":1,"lastMutationIDChanges":{{}},"patch":[{{"op":"clear"}},{one}]}}"#),
                format!(r#"{{"cookie":2,"lastMutationIDChanges":{{}},"patch":[{two}]}}"#),
            ],
            expect: Expect { titles: both, pending: 1, state: "idle" },
        },
        Row {
            name: "string cookies",
            push_answers: vec![],
            pulls: vec![
                format!(r#"{{"cookie":"000001","lastMutationIDChanges":{{}},"patch":[{one}]}}"#),
                format!(r#"{{"cookie":"000002","lastMutationIDChanges":{{}},"patch":[{two}]}}"#),
            ],
            expect: Expect { titles: both, pending: 1, state: "idle" },
        },
        Row {
            name: "object cookies with an order",
            push_answers: vec![],
            pulls: vec![
                format!(r#"{{"cookie":{{"order":1,"at":"x"}},"lastMutationIDChanges":{{}},"patch":[{one}]}}"#),
                format!(r#"{{"cookie":{{"order":2,"at":"y"}},"lastMutationIDChanges":{{}},"patch":[{two}]}}"#),
            ],
            expect: Expect { titles: both, pending: 1, state: "idle" },
        },
        Row {
            name: "no lastMutationIDChanges, unknown fields everywhere",
            push_answers: vec![],
            pulls: vec![format!(
                r#"{{"cookie":1,"patch":[{{"op":"put","key":"prompt/s1","value":{},"why":"x"}}],"servedBy":{{"a":1}}}}"#,
                prompt("s1", "Server one")
            )],
            expect: Expect { titles: &["Local", "Server one"], pending: 1, state: "idle" },
        },
        Row {
            name: "keys outside prompt/ are kept, not shown",
            push_answers: vec![],
            pulls: vec![
                r#"{"cookie":1,"lastMutationIDChanges":{},"patch":[{"op":"put","key":"settings/theme","value":"dark"},{"op":"put","key":"todo/1","value":{"done":false}}]}"#.into(),
                format!(r#"{{"cookie":2,"lastMutationIDChanges":{{}},"patch":[{one}]}}"#),
            ],
            expect: Expect { titles: &["Local", "Server one"], pending: 1, state: "idle" },
        },
        Row {
            name: "an acknowledgement with the server's copy, then a del",
            push_answers: vec![],
            pulls: vec![
                format!(r#"{{"cookie":1,"lastMutationIDChanges":{{"{{client}}":1}},"patch":[{},{one}]}}"#, put("{local}", "Local")),
                r#"{"cookie":2,"lastMutationIDChanges":{},"patch":[{"op":"del","key":"prompt/s1"}]}"#.into(),
            ],
            expect: Expect { titles: &["Local"], pending: 0, state: "idle" },
        },
        Row {
            name: "a 200 push answer of any body",
            push_answers: vec!["<html>thanks</html>"],
            pulls: vec![format!(r#"{{"cookie":1,"lastMutationIDChanges":{{}},"patch":[{one}]}}"#)],
            expect: Expect { titles: &["Local", "Server one"], pending: 1, state: "idle" },
        },
        Row {
            name: "ClientStateNotFound from pull",
            push_answers: vec![],
            pulls: vec![
                r#"{"error":"ClientStateNotFound"}"#.into(),
                format!(r#"{{"cookie":1,"lastMutationIDChanges":{{}},"patch":[{one}]}}"#),
            ],
            expect: Expect { titles: &["Local", "Server one"], pending: 1, state: "idle" },
        },
        Row {
            name: "ClientStateNotFound from push",
            push_answers: vec![r#"{"error":"ClientStateNotFound"}"#],
            pulls: vec![
                format!(r#"{{"cookie":1,"lastMutationIDChanges":{{}},"patch":[{one}]}}"#),
                format!(r#"{{"cookie":1,"lastMutationIDChanges":{{}},"patch":[{{"op":"clear"}},{one}]}}"#),
            ],
            expect: Expect { titles: &["Local", "Server one"], pending: 1, state: "idle" },
        },
        Row {
            name: "VersionNotSupported",
            push_answers: vec![],
            pulls: vec![r#"{"error":"VersionNotSupported","versionType":"schema"}"#.into()],
            expect: Expect { titles: &["Local"], pending: 1, state: "updateneeded" },
        },
    ]
}

fn illegal_rows() -> Vec<Row> {
    let one = put("s1", "Server one");
    let two = put("s2", "Server two");
    let first = format!(r#"{{"cookie":5,"lastMutationIDChanges":{{}},"patch":[{one}]}}"#);
    let after_first = |answer: String| vec![first.clone(), answer];
    let kept = &["Local", "Server one"][..];
    vec![
        Row {
            name: "a cookie going backwards",
            push_answers: vec![],
            pulls: after_first(format!(r#"{{"cookie":3,"lastMutationIDChanges":{{}},"patch":[{two}]}}"#)),
            expect: Expect { titles: kept, pending: 1, state: "does not follow" },
        },
        Row {
            name: "a cookie of another kind",
            push_answers: vec![],
            pulls: after_first(format!(r#"{{"cookie":"6","lastMutationIDChanges":{{}},"patch":[{two}]}}"#)),
            expect: Expect { titles: kept, pending: 1, state: "does not follow" },
        },
        Row {
            name: "a mutation id going down",
            push_answers: vec![],
            pulls: vec![
                format!(r#"{{"cookie":1,"lastMutationIDChanges":{{"{{client}}":1}},"patch":[{}]}}"#, put("{local}", "Local")),
                format!(r#"{{"cookie":2,"lastMutationIDChanges":{{"{{client}}":0}},"patch":[{two}]}}"#),
            ],
            expect: Expect { titles: &["Local"], pending: 0, state: "below" },
        },
        Row {
            name: "an acknowledgement of a mutation never made",
            push_answers: vec![],
            pulls: after_first(format!(r#"{{"cookie":6,"lastMutationIDChanges":{{"{{client}}":7}},"patch":[{two}]}}"#)),
            expect: Expect { titles: kept, pending: 1, state: "only made 1" },
        },
        Row {
            name: "not JSON",
            push_answers: vec![],
            pulls: after_first("<html>502 Bad Gateway</html>".into()),
            expect: Expect { titles: kept, pending: 1, state: "malformed" },
        },
        Row {
            name: "a patch that is not a list",
            push_answers: vec![],
            pulls: after_first(r#"{"cookie":6,"lastMutationIDChanges":{},"patch":"everything"}"#.into()),
            expect: Expect { titles: kept, pending: 1, state: "malformed" },
        },
        Row {
            name: "mutation ids that are not numbers",
            push_answers: vec![],
            pulls: after_first(r#"{"cookie":6,"lastMutationIDChanges":{"c":"one"},"patch":[]}"#.into()),
            expect: Expect { titles: kept, pending: 1, state: "malformed" },
        },
        Row {
            name: "a prompt whose title is a number",
            push_answers: vec![],
            pulls: after_first(
                r#"{"cookie":6,"lastMutationIDChanges":{},"patch":[{"op":"put","key":"prompt/s2","value":{"id":"s2","title":5}}]}"#.into(),
            ),
            expect: Expect { titles: kept, pending: 1, state: "not a prompt" },
        },
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_legal_answer_form_lands_in_the_replica() {
    for row in legal_rows() {
        run(row).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_illegal_answer_is_refused_with_a_reason_and_changes_nothing() {
    for row in illegal_rows() {
        run(row).await;
    }
}

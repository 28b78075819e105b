//! A Promptdeck runtime and the official `replicache` 15 client (in Node, driven through
//! tests/interop/driven.mjs) share a library through the real server: each sees the
//! other's prompts, and edits made on both sides at once converge to the same state.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;

use promptdeck_actors::{Origin, RuntimeHandle};
use promptdeck_protocol::{Mutation, PromptId, UpdatePrompt, now_millis};
use serde_json::{Value, json};
use support::{TestServer, WAIT, dirs, draft, runtime, wait_until};

/// The official client in Node, one command per line.
struct OfficialClient {
    child: Child,
    stdin: ChildStdin,
    answers: mpsc::Receiver<String>,
}

impl OfficialClient {
    fn start(server: &str, space: &str) -> Self {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/interop");
        assert!(
            dir.join("node_modules/replicache").exists(),
            "run `npm ci --prefix tests/interop` first (scripts/test.sh does)"
        );
        let url = |path: &str| format!("{server}/api/replicache/{path}?space={space}");
        let mut child = Command::new("node")
            .arg(dir.join("driven.mjs"))
            .args([url("push"), url("pull"), "Bearer local".into()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("node is installed");
        let stdin = child.stdin.take().expect("piped");
        let stdout = child.stdout.take().expect("piped");
        let (tx, answers) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        Self { child, stdin, answers }
    }

    /// Sends one command and returns its answer.
    fn ask(&mut self, command: Value) -> String {
        writeln!(self.stdin, "{command}").expect("the Node client reads");
        self.answers.recv_timeout(WAIT * 2).expect("the Node client answers")
    }

    fn mutate(&mut self, name: &str, args: Value) {
        assert_eq!(self.ask(json!({"op": "mutate", "name": name, "args": args})), "ok");
    }

    fn pushed(&mut self) {
        assert_eq!(self.ask(json!({"op": "pushed"})), "ok", "the server acknowledged Node");
    }
}

impl Drop for OfficialClient {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The runtime's library as the official client stores it: key to the fields both share.
async fn as_replicache_sees_it(device: &RuntimeHandle) -> Value {
    let hits = device.search(&Origin("test".into()), "", 1000).await.expect("lists");
    let mut library = serde_json::Map::new();
    for hit in hits {
        let p = device.get(&hit.prompt.id).await.expect("reads").expect("exists");
        library.insert(
            p.id.key(),
            json!({"title": p.title, "body": p.body, "tags": p.tags, "useCount": p.use_count}),
        );
    }
    Value::Object(library)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn promptdeck_and_the_official_client_see_each_others_prompts_and_converge() {
    let (root, db) = dirs();
    let server = TestServer::start(&db, None);
    let ours = runtime(&root.path().join("ours"), &server.url()).await;
    let ours = ours.handle();
    let mut theirs = OfficialClient::start(&server.url(), "shared");

    // Node to Promptdeck, by poke.
    theirs.mutate(
        "createPrompt",
        json!({"id": "from-node", "title": "From Node", "body": "written in JavaScript",
               "tags": ["interop"], "createdAt": 1_732_460_000_000i64}),
    );
    theirs.pushed();
    wait_until(&ours, "Node's prompt in Promptdeck", |s| s.prompt_count == 1).await;
    let from_node = PromptId::parse("from-node").expect("an id");
    let seen = ours.get(&from_node).await.expect("reads").expect("arrived");
    assert_eq!((seen.title.as_str(), seen.tags.as_slice()), ("From Node", &["interop".into()][..]));

    // Promptdeck to Node.
    let from_us = ours.create(draft("From Promptdeck")).await.expect("created").prompt_id;
    wait_until(&ours, "our push acknowledged", |s| s.pending == 0).await;
    let expected = as_replicache_sees_it(&ours).await;
    assert_eq!(theirs.ask(json!({"op": "converge", "expect": expected})), "ok");

    // Both sides edit both prompts at once: different fields, and uses that add up.
    theirs.mutate(
        "updatePrompt",
        json!({"id": from_us.as_str(), "title": "Renamed in Node", "updatedAt": now_millis()}),
    );
    theirs.mutate("markPromptUsed", json!({"id": "from-node", "at": now_millis()}));
    let edit = UpdatePrompt {
        id: from_us.clone(),
        title: None,
        body: Some("rewritten in Promptdeck".into()),
        tags: Some(vec!["both".into()]),
        updated_at: now_millis(),
    };
    ours.mutate(Mutation::UpdatePrompt(edit)).await.expect("edited");
    ours.mark_used(&from_node).await.expect("used");
    theirs.pushed();
    wait_until(&ours, "our edits acknowledged", |s| s.pending == 0).await;
    ours.sync_now().await.expect("a last pull");

    let settled = as_replicache_sees_it(&ours).await;
    assert_eq!(settled[from_us.key()]["title"], "Renamed in Node");
    assert_eq!(settled[from_us.key()]["body"], "rewritten in Promptdeck");
    assert_eq!(settled[from_us.key()]["tags"], json!(["both"]));
    assert_eq!(settled["prompt/from-node"]["useCount"], 2, "one use on each side");
    assert_eq!(theirs.ask(json!({"op": "converge", "expect": settled})), "ok");
}

//! Promptdeck syncing with a Replicache backend that is not promptdeck-server
//! (tests/backends/, in Node): its own URL layout with the space in the path, a raw token,
//! object cookies, plain-text push answers. Promptdeck and the official client converge
//! through it, with the backend's poke stream and, without one, by polling.

mod support;

use std::time::Duration;

use promptdeck_actors::{Endpoints, SyncConfig};
use promptdeck_protocol::{Mutation, UpdatePrompt, now_millis};
use serde_json::json;
use support::node::{JsBackend, OfficialClient, as_replicache_sees_it};
use support::{draft, runtime_with, wait_until};

/// Promptdeck configured as a web client of `backend` would be.
fn settings(backend: &JsBackend, pokes: bool, poll_interval: Duration) -> SyncConfig {
    let endpoints = Endpoints {
        push: backend.endpoint("push"),
        pull: backend.endpoint("pull"),
        poke: pokes.then(|| backend.endpoint("poke")),
    };
    SyncConfig {
        authorization: Some(JsBackend::TOKEN.into()),
        poll_interval,
        ..SyncConfig::with_endpoints(endpoints, "team space")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_backends_poke_stream_both_clients_converge() {
    let backend = JsBackend::start(&[]);
    // A poll interval far beyond the test: only pokes can bring changes in time.
    converge(settings(&backend, true, Duration::from_secs(3600))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_poke_stream_polling_brings_changes_and_string_cookies_work() {
    let backend = JsBackend::start(&["--no-poke", "--cookie", "string"]);
    converge(settings(&backend, false, Duration::from_secs(1))).await;
}

async fn converge(sync: SyncConfig) {
    let dir = tempfile::tempdir().expect("tempdir");
    let ours = runtime_with(dir.path(), sync.clone()).await;
    let ours = ours.handle();
    let endpoint = |e: &str| sync.url(e);
    let mut theirs = OfficialClient::start(
        &endpoint(&sync.endpoints.push),
        &endpoint(&sync.endpoints.pull),
        JsBackend::TOKEN,
    );

    theirs.mutate(
        "createPrompt",
        json!({"id": "from-web", "title": "From the web app", "body": "b", "tags": [],
               "createdAt": now_millis()}),
    );
    theirs.pushed();
    wait_until(&ours, "the web app's prompt in Promptdeck", |s| s.prompt_count == 1).await;

    let ours_id = ours.create(draft("From Promptdeck")).await.expect("created").prompt_id;
    wait_until(&ours, "our push acknowledged", |s| s.pending == 0).await;
    let expected = as_replicache_sees_it(&ours).await;
    assert_eq!(theirs.ask(json!({"op": "converge", "expect": expected})), "ok");

    theirs.mutate(
        "updatePrompt",
        json!({"id": ours_id.as_str(), "title": "Renamed on the web", "updatedAt": now_millis()}),
    );
    theirs.mutate("markPromptUsed", json!({"id": "from-web", "at": now_millis()}));
    theirs.pushed();
    let edit = UpdatePrompt {
        id: ours_id.clone(),
        title: None,
        body: Some("rewritten in Promptdeck".into()),
        tags: None,
        updated_at: now_millis(),
    };
    ours.mutate(Mutation::UpdatePrompt(edit)).await.expect("edited");
    ours.mark_used(&promptdeck_protocol::PromptId::parse("from-web").expect("id"))
        .await
        .expect("used");
    wait_until(&ours, "the web app's rename, and our edits acknowledged", |s| s.pending == 0).await;
    let mut status = ours.subscribe();
    let renamed = tokio::time::timeout(support::WAIT, async {
        loop {
            let seen = as_replicache_sees_it(&ours).await;
            if seen[ours_id.key()]["title"] == "Renamed on the web" {
                return seen;
            }
            status.changed().await.expect("the runtime lives");
        }
    })
    .await
    .expect("the rename arrived");
    assert_eq!(renamed[ours_id.key()]["body"], "rewritten in Promptdeck");
    assert_eq!(renamed["prompt/from-web"]["useCount"], 2, "one use on each side");
    assert_eq!(theirs.ask(json!({"op": "converge", "expect": renamed})), "ok");
}

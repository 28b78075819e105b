//! A Promptdeck runtime and the official `replicache` 15 client (in Node, driven through
//! tests/interop/driven.mjs) share a library through the real server: each sees the
//! other's prompts, and edits made on both sides at once converge to the same state.

mod support;

use promptdeck_protocol::{Mutation, PromptId, UpdatePrompt, now_millis};
use serde_json::json;
use support::node::{OfficialClient, as_replicache_sees_it};
use support::{TestServer, dirs, draft, runtime, wait_until};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn promptdeck_and_the_official_client_see_each_others_prompts_and_converge() {
    let (root, db) = dirs();
    let server = TestServer::start(&db, None);
    let ours = runtime(&root.path().join("ours"), &server.url()).await;
    let ours = ours.handle();
    let url = |path: &str| format!("{}/api/replicache/{path}?space=shared", server.url());
    let mut theirs = OfficialClient::start(&url("push"), &url("pull"), "Bearer local");

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

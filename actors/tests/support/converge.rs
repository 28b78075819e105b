//! Promptdeck and the official client side by side on one backend.

use promptdeck_actors::{Origin, RuntimeHandle};
use promptdeck_protocol::{Mutation, PromptId, UpdatePrompt, now_millis};
use serde_json::{Value, json};

use super::node::OfficialClient;
use super::{WAIT, draft, wait_until};

/// The runtime's library as the official client stores it: key to the fields both share.
pub async fn as_replicache_sees_it(device: &RuntimeHandle) -> Value {
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

/// Promptdeck (`ours`) and the official client (`theirs`), syncing through one backend:
/// a prompt made on each side reaches the other; then both edit both prompts at once
/// (different fields, and uses that add up) and end with the same library.
pub async fn both_sides_edit_and_converge(ours: &RuntimeHandle, theirs: &mut OfficialClient) {
    theirs.mutate(
        "createPrompt",
        json!({"id": "from-node", "title": "From Node", "body": "written in JavaScript",
               "tags": ["interop"], "createdAt": 1_732_460_000_000i64}),
    );
    theirs.pushed();
    wait_until(ours, "Node's prompt in Promptdeck", |s| s.prompt_count == 1).await;
    let from_node = PromptId::parse("from-node").expect("an id");
    let seen = ours.get(&from_node).await.expect("reads").expect("arrived");
    assert_eq!((seen.title.as_str(), seen.tags.as_slice()), ("From Node", &["interop".into()][..]));

    let from_us = ours.create(draft("From Promptdeck")).await.expect("created").prompt_id;
    wait_until(ours, "our push acknowledged", |s| s.pending == 0).await;
    let expected = as_replicache_sees_it(ours).await;
    assert_eq!(theirs.ask(json!({"op": "converge", "expect": expected})), "ok");

    theirs.mutate(
        "updatePrompt",
        json!({"id": from_us.as_str(), "title": "Renamed in Node", "updatedAt": now_millis()}),
    );
    theirs.mutate("markPromptUsed", json!({"id": "from-node", "at": now_millis()}));
    theirs.pushed();
    let edit = UpdatePrompt {
        id: from_us.clone(),
        title: None,
        body: Some("rewritten in Promptdeck".into()),
        tags: Some(vec!["both".into()]),
        updated_at: now_millis(),
    };
    ours.mutate(Mutation::UpdatePrompt(edit)).await.expect("edited");
    ours.mark_used(&from_node).await.expect("used");
    wait_until(ours, "our edits acknowledged", |s| s.pending == 0).await;
    // Node's edits arrive by poke or by polling, whichever the backend offers.
    let mut status = ours.subscribe();
    let settled = tokio::time::timeout(WAIT, async {
        loop {
            let seen = as_replicache_sees_it(ours).await;
            if seen[from_us.key()]["title"] == "Renamed in Node" {
                return seen;
            }
            status.changed().await.expect("the runtime lives");
        }
    })
    .await
    .expect("Node's rename arrived");
    assert_eq!(settled[from_us.key()]["body"], "rewritten in Promptdeck");
    assert_eq!(settled[from_us.key()]["tags"], json!(["both"]));
    assert_eq!(settled["prompt/from-node"]["useCount"], 2, "one use on each side");
    assert_eq!(theirs.ask(json!({"op": "converge", "expect": settled})), "ok");
}

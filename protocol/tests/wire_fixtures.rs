//! Push and pull bodies captured from the official `replicache` 15.3 client
//! (tests/interop/capture.mjs): ours parse them and write them back byte for byte.

use promptdeck_protocol::wire::{PullRequest, PushRequest};
use promptdeck_protocol::{Kv, MemoryKv, Mutation, Prompt};

const PUSH: &str = include_str!("fixtures/push.json");
const PULL_FIRST: &str = include_str!("fixtures/pull-first.json");
const PULL_AFTER_COOKIE: &str = include_str!("fixtures/pull-after-cookie.json");
const PUSH_HEADERS: &str = include_str!("fixtures/push.headers.json");

#[test]
fn the_official_clients_push_round_trips_byte_for_byte() {
    let push: PushRequest = serde_json::from_str(PUSH).expect("parses");
    assert_eq!(push.push_version, 1);
    assert_eq!(push.schema_version, "1");
    let ids: Vec<u64> = push.mutations.iter().map(|m| m.id).collect();
    assert_eq!(ids, [1, 2, 3], "mutation ids count up by one from 1");
    assert_eq!(serde_json::to_string(&push).expect("serialises"), PUSH.trim_end());
}

#[test]
fn the_official_clients_mutations_replay_through_our_mutators() {
    let push: PushRequest = serde_json::from_str(PUSH).expect("parses");
    let mut kv = MemoryKv::default();
    for record in &push.mutations {
        let mutation =
            Mutation::from_parts(&record.name, record.args.clone()).expect("known mutator");
        assert_eq!(mutation.args(), record.args, "{} args survive", record.name);
        mutation.apply(&mut kv).expect("applies");
    }
    let stored = kv.get("prompt/01J9ZKCAPTURE").expect("reads").expect("created");
    let prompt: Prompt = serde_json::from_value(stored).expect("a prompt");
    assert_eq!(prompt.title, "Summarise briefly");
    assert_eq!(prompt.body, "Summarise {{clipboard}}");
    assert_eq!((prompt.use_count, prompt.last_used_at), (1, Some(1_732_460_001_000)));
}

#[test]
fn the_official_clients_pulls_round_trip_byte_for_byte() {
    for body in [PULL_FIRST, PULL_AFTER_COOKIE] {
        let pull: PullRequest = serde_json::from_str(body).expect("parses");
        assert_eq!(pull.pull_version, 1);
        assert_eq!(serde_json::to_string(&pull).expect("serialises"), body.trim_end());
    }
    let first: PullRequest = serde_json::from_str(PULL_FIRST).expect("parses");
    assert!(first.cookie.is_null(), "the first pull sends a null cookie");
    let later: PullRequest = serde_json::from_str(PULL_AFTER_COOKIE).expect("parses");
    assert!(later.cookie.may_follow(&first.cookie));
}

#[test]
fn the_request_id_header_is_client_session_counter() {
    let push: PushRequest = serde_json::from_str(PUSH).expect("parses");
    let headers: serde_json::Value = serde_json::from_str(PUSH_HEADERS).expect("parses");
    let request_id = headers["x-replicache-requestid"].as_str().expect("present");
    let client = &push.mutations[0].client_id;
    let rest = request_id.strip_prefix(&format!("{client}-")).expect("starts with the client id");
    let (session, counter) = rest.rsplit_once('-').expect("session-counter");
    assert!(!session.is_empty());
    assert!(counter.parse::<u64>().is_ok(), "{request_id}");
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(headers["authorization"], "Bearer test-token", "the configured value, as is");
}

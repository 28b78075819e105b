//! Applying pulls: patch, acknowledgements and rebase in one transaction; hostile and
//! stale answers set aside without a trace; a dead client group restarted losing nothing.

use std::collections::BTreeMap;

use promptdeck_protocol::wire::{Cookie, JsonText, PatchOp, PullResponse};
use promptdeck_protocol::{
    CreatePrompt, DeletePrompt, Kv, Limits, MarkPromptUsed, MemoryKv, Mutation, PromptId,
    UpdatePrompt, ValidationError,
};
use promptdeck_storage::{Change, PullRejected, Replica, StoreError};
use proptest::prelude::*;
use serde_json::{Value, json};

fn id(s: &str) -> PromptId {
    PromptId::parse(s).expect("valid id")
}

fn create(name: &str, title: &str) -> Mutation {
    Mutation::CreatePrompt(CreatePrompt {
        id: id(name),
        title: title.into(),
        body: format!("body {name}"),
        tags: vec![],
        created_at: 1,
    })
}

fn rename(name: &str, title: &str) -> Mutation {
    Mutation::UpdatePrompt(UpdatePrompt {
        id: id(name),
        title: Some(title.into()),
        body: None,
        tags: None,
        updated_at: 2,
    })
}

fn prompt_value(name: &str, title: &str, body: &str) -> Value {
    json!({"id": name, "title": title, "body": body, "tags": [], "createdAt": 1, "updatedAt": 1,
           "useCount": 0, "lastUsedAt": null})
}

fn put(name: &str, title: &str, body: &str) -> PatchOp {
    PatchOp::Put {
        key: format!("prompt/{name}"),
        value: JsonText::from_value(&prompt_value(name, title, body)),
    }
}

fn response(cookie: Value, acks: &[(&str, u64)], patch: Vec<PatchOp>) -> PullResponse {
    PullResponse {
        cookie: Cookie(cookie),
        last_mutation_id_changes: acks.iter().map(|(c, n)| ((*c).to_owned(), *n)).collect(),
        patch,
    }
}

fn replica(dir: &tempfile::TempDir) -> Replica {
    Replica::open(dir.path().join("library.redb")).expect("opens").0
}

fn title(replica: &Replica, name: &str) -> Option<String> {
    replica.prompt(&id(name)).expect("reads").map(|p| p.title)
}

#[test]
fn a_pull_applies_patch_acknowledgements_and_rebase_together() {
    let dir = tempfile::tempdir().expect("tempdir");
    let replica = replica(&dir);
    replica.mutate(&create("a", "local a"), 0.0).expect("a");
    replica.mutate(&create("b", "local b"), 0.0).expect("b");
    let client = replica.sync_state().expect("sync").client_id;

    // The server processed our first mutation and someone else's edit of it, plus a new c.
    let answer = response(
        json!(1),
        &[(&client, 1)],
        vec![put("a", "server a", "body a"), put("c", "c", "x")],
    );
    let applied = replica.apply_pull(&Cookie::null(), &answer).expect("applies");
    assert_eq!((applied.acknowledged, applied.pending), (1, 1));
    assert_eq!(title(&replica, "a").as_deref(), Some("server a"), "the server's version is truth");
    assert_eq!(
        title(&replica, "b").as_deref(),
        Some("local b"),
        "unacknowledged b replayed on top"
    );
    assert_eq!(title(&replica, "c").as_deref(), Some("c"));
    let pending: Vec<u64> = replica.pending().expect("reads").iter().map(|p| p.id).collect();
    assert_eq!(pending, [2]);
    let sync = replica.sync_state().expect("sync");
    assert_eq!((sync.cookie, sync.last_acked), (Cookie(json!(1)), 1));
    let changed: Vec<&str> = applied
        .changes
        .0
        .iter()
        .map(|c| match c {
            Change::Put { key, .. } | Change::Del { key } => key.as_str(),
        })
        .collect();
    assert_eq!(changed, ["prompt/a", "prompt/c"], "b did not change, so it is not reported");
}

#[test]
fn a_pending_edit_is_reapplied_over_the_servers_new_version() {
    let dir = tempfile::tempdir().expect("tempdir");
    let replica = replica(&dir);
    replica
        .apply_pull(
            &Cookie::null(),
            &response(json!(1), &[], vec![put("a", "old title", "old body")]),
        )
        .expect("base");
    replica.mutate(&rename("a", "my title"), 0.0).expect("renamed locally");
    let answer = response(json!(2), &[], vec![put("a", "old title", "new body from elsewhere")]);
    replica.apply_pull(&Cookie(json!(1)), &answer).expect("applies");
    let a = replica.prompt(&id("a")).expect("reads").expect("exists");
    assert_eq!((a.title.as_str(), a.body.as_str()), ("my title", "new body from elsewhere"));
}

#[test]
fn clear_replaces_everything_and_pending_mutations_survive_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let replica = replica(&dir);
    replica
        .apply_pull(&Cookie::null(), &response(json!(1), &[], vec![put("old", "old", "x")]))
        .expect("base");
    replica.mutate(&create("mine", "mine"), 0.0).expect("local");
    let answer = response(json!(2), &[], vec![PatchOp::Clear, put("new", "new", "y")]);
    replica.apply_pull(&Cookie(json!(1)), &answer).expect("applies");
    let keys: Vec<String> = replica.view_entries().expect("reads").into_keys().collect();
    assert_eq!(keys, ["prompt/mine", "prompt/new"]);
}

#[test]
fn a_clear_with_nothing_pending_leaves_exactly_the_patch_and_says_what_went() {
    let dir = tempfile::tempdir().expect("tempdir");
    let replica = replica(&dir);
    let first = vec![put("kept", "kept", "x"), put("dropped", "dropped", "x")];
    replica.apply_pull(&Cookie::null(), &response(json!(1), &[], first)).expect("base");
    let answer = response(
        json!(2),
        &[],
        vec![
            PatchOp::Clear,
            put("kept", "kept, renamed", "y"),
            put("gone", "gone", "z"),
            PatchOp::Del { key: "prompt/gone".into() },
        ],
    );
    let applied = replica.apply_pull(&Cookie(json!(1)), &answer).expect("applies");
    let view = replica.view_entries().expect("reads");
    assert_eq!(view.keys().collect::<Vec<_>>(), ["prompt/kept"]);
    assert_eq!(view, replica.base_entries().expect("reads"), "the view is the base");
    assert_eq!(title(&replica, "kept").as_deref(), Some("kept, renamed"));
    let mut said: Vec<String> = applied
        .changes
        .0
        .iter()
        .map(|c| match c {
            Change::Put { key, .. } => format!("put {key}"),
            Change::Del { key } => format!("del {key}"),
        })
        .collect();
    said.sort();
    assert_eq!(said, ["del prompt/dropped", "put prompt/kept"]);
}

#[test]
fn other_clients_keys_are_kept_and_survive_rebases() {
    let dir = tempfile::tempdir().expect("tempdir");
    let replica = replica(&dir);
    let foreign = PatchOp::Put {
        key: "settings/theme".into(),
        value: JsonText::from_value(&json!({"dark": true})),
    };
    replica.apply_pull(&Cookie::null(), &response(json!(1), &[], vec![foreign])).expect("applies");
    replica.mutate(&create("a", "a"), 0.0).expect("local");
    replica
        .apply_pull(&Cookie(json!(1)), &response(json!(2), &[], vec![put("b", "b", "x")]))
        .expect("applies");
    assert_eq!(replica.view_entries().expect("reads")["settings/theme"], json!({"dark": true}));
    assert_eq!(replica.prompts().expect("reads").len(), 2, "the palette sees prompts only");
}

/// The cookie a pull was sent with, the answer, and the reason it must be refused for.
type BadAnswer = (Cookie, PullResponse, fn(&PullRejected) -> bool);

/// Each hostile or out-of-date answer is refused and leaves the replica as it was.
#[test]
fn bad_answers_are_set_aside_without_a_trace() {
    let dir = tempfile::tempdir().expect("tempdir");
    let replica = replica(&dir);
    replica.mutate(&create("a", "a"), 0.0).expect("local");
    let client = replica.sync_state().expect("sync").client_id;
    replica
        .apply_pull(&Cookie::null(), &response(json!(5), &[(&client, 1)], vec![put("a", "a", "s")]))
        .expect("ok");
    replica.mutate(&create("b", "b"), 0.0).expect("local");
    let snapshot = || {
        (
            replica.view_entries().expect("v"),
            replica.base_entries().expect("b"),
            replica.pending().expect("p"),
            replica.sync_state().expect("s"),
        )
    };
    let before = snapshot();
    let five = Cookie(json!(5));
    let cases: Vec<BadAnswer> = vec![
        (Cookie(json!(4)), response(json!(6), &[], vec![]), |r| {
            matches!(r, PullRejected::Stale { .. })
        }),
        (five.clone(), response(json!(3), &[], vec![]), |r| {
            matches!(r, PullRejected::BackwardsCookie { .. })
        }),
        (five.clone(), response(json!("6"), &[], vec![]), |r| {
            matches!(r, PullRejected::BackwardsCookie { .. })
        }),
        (five.clone(), response(json!(5), &[], vec![put("z", "z", "z")]), |r| {
            matches!(r, PullRejected::PatchWithoutNewCookie)
        }),
        (five.clone(), response(json!(6), &[(&client, 0)], vec![]), |r| {
            matches!(r, PullRejected::AcknowledgementWentDown { .. })
        }),
        (five.clone(), response(json!(6), &[(&client, 9)], vec![]), |r| {
            matches!(r, PullRejected::AcknowledgesUnmade { made: 2, .. })
        }),
        (
            five.clone(),
            response(
                json!(6),
                &[],
                vec![PatchOp::Put {
                    key: "prompt/x".into(),
                    value: JsonText::from_value(&json!({"title": 7})),
                }],
            ),
            |r| matches!(r, PullRejected::NotAPrompt { .. }),
        ),
        (
            five.clone(),
            response(
                json!(6),
                &[],
                vec![put("x", "wrong key", "")]
                    .into_iter()
                    .map(|op| match op {
                        PatchOp::Put { value, .. } => {
                            PatchOp::Put { key: "prompt/y".into(), value }
                        }
                        other => other,
                    })
                    .collect(),
            ),
            |r| matches!(r, PullRejected::NotAPrompt { .. }),
        ),
        // A body no client could make: a hostile server's.
        (
            five.clone(),
            response(json!(6), &[], vec![put("x", "huge", &"x".repeat(Limits::BODY_BYTES + 1))]),
            |r| {
                matches!(
                    r,
                    PullRejected::OverLimits { error: ValidationError::BodyTooLarge { .. }, .. }
                )
            },
        ),
    ];
    for (asked, answer, expected) in cases {
        match replica.apply_pull(&asked, &answer) {
            Err(StoreError::PullRejected(reason)) => {
                assert!(expected(&reason), "unexpected reason: {reason}")
            }
            other => panic!("accepted a bad answer {answer:?}: {other:?}"),
        }
        assert_eq!(snapshot(), before, "a refused answer changed the replica");
    }
}

#[test]
fn a_dead_client_group_restarts_with_every_pending_mutation() {
    let dir = tempfile::tempdir().expect("tempdir");
    let replica = replica(&dir);
    for name in ["a", "b", "c"] {
        replica.mutate(&create(name, name), 0.0).expect("local");
    }
    let old = replica.sync_state().expect("sync");
    replica
        .apply_pull(
            &Cookie::null(),
            &response(json!(1), &[(&old.client_id, 1)], vec![put("a", "a", "s")]),
        )
        .expect("ok");
    let fresh = replica.restart_client_group().expect("restarts");
    assert_ne!(fresh.client_group_id, old.client_group_id);
    assert_ne!(fresh.client_id, old.client_id);
    assert!(fresh.cookie.is_null());
    let pending = replica.pending().expect("reads");
    let renumbered: Vec<(u64, &str, &str)> = pending
        .iter()
        .map(|p| (p.id, p.client_id.as_str(), p.mutation.prompt_id().map_or("", |id| id.as_str())))
        .collect();
    assert_eq!(
        renumbered,
        [(1, fresh.client_id.as_str(), "b"), (2, fresh.client_id.as_str(), "c")]
    );
    assert_eq!(fresh.next_mutation_id, 3);
    assert_eq!(replica.prompts().expect("reads").len(), 3, "the view is untouched");
}

/// A server good enough to check the client against: applies pushed mutations once each,
/// in order, and answers a pull with its whole state from a null cookie, or else with what
/// changed since the cookie's version.
#[derive(Default)]
struct Server {
    state: MemoryKv,
    processed: BTreeMap<String, u64>,
    version: u64,
    /// The state at each version, to answer from any cookie.
    history: BTreeMap<u64, BTreeMap<String, Value>>,
}

impl Server {
    fn push(&mut self, replica: &Replica, count: usize) {
        for p in replica.pending().expect("reads").into_iter().take(count) {
            let done = self.processed.entry(p.client_id.clone()).or_default();
            if p.id <= *done {
                continue;
            }
            let _ = p.mutation.apply(&mut self.state);
            *done = p.id;
            self.advance();
        }
    }

    fn advance(&mut self) {
        self.version += 1;
        self.history.insert(self.version, self.state.0.clone());
    }

    fn pull(&self, cookie: &Cookie) -> PullResponse {
        let put = |(k, v): (&String, &Value)| PatchOp::Put {
            key: k.clone(),
            value: JsonText::from_value(v),
        };
        let patch = match cookie.0.as_u64() {
            None => std::iter::once(PatchOp::Clear).chain(self.state.0.iter().map(put)).collect(),
            Some(since) => {
                let old = self.history.get(&since).cloned().unwrap_or_default();
                let gone = old.keys().filter(|k| !self.state.0.contains_key(*k));
                let changed = self.state.0.iter().filter(|(k, v)| old.get(*k) != Some(v));
                gone.map(|key| PatchOp::Del { key: key.clone() }).chain(changed.map(put)).collect()
            }
        };
        let cookie_moved = Cookie(json!(self.version)) != *cookie;
        PullResponse {
            cookie: Cookie(json!(self.version)),
            last_mutation_id_changes: self.processed.clone(),
            patch: if cookie_moved { patch } else { vec![] },
        }
    }
}

#[derive(Debug, Clone)]
enum Step {
    Local(Mutation),
    Elsewhere(Mutation),
    Push(usize),
    Pull,
}

fn arb_mutation() -> impl Strategy<Value = Mutation> {
    let ids = prop::sample::select(vec!["a", "b", "c"]);
    prop_oneof![
        (ids.clone(), "[a-z]{0,6}").prop_map(|(i, t)| create(i, &t)),
        (ids.clone(), "[a-z]{0,6}").prop_map(|(i, t)| rename(i, &t)),
        ids.clone().prop_map(|i| Mutation::DeletePrompt(DeletePrompt { id: id(i) })),
        (ids, 0i64..50)
            .prop_map(|(i, at)| Mutation::MarkPromptUsed(MarkPromptUsed { id: id(i), at })),
    ]
}

fn arb_step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => arb_mutation().prop_map(Step::Local),
        1 => arb_mutation().prop_map(Step::Elsewhere),
        1 => (0usize..4).prop_map(Step::Push),
        2 => Just(Step::Pull),
    ]
}

fn replay_over_base(replica: &Replica) -> BTreeMap<String, Value> {
    let mut kv = MemoryKv(replica.base_entries().expect("base"));
    for p in replica.pending().expect("pending") {
        let _ = p.mutation.apply(&mut kv);
    }
    kv.0
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// After every step the view is the base with the pending mutations replayed, a cache
    /// that follows only the reported changes holds the view, and once everything is pushed
    /// and pulled, the client holds exactly the server's state.
    #[test]
    fn the_view_is_always_base_plus_pending_and_converges(steps in prop::collection::vec(arb_step(), 1..40)) {
        let dir = tempfile::tempdir().expect("tempdir");
        let replica = replica(&dir);
        let mut server = Server::default();
        let mut mirror = BTreeMap::new();
        for step in steps {
            let changes = match step {
                Step::Local(m) => replica.mutate(&m, 0.0).map(|c| c.changes).unwrap_or_default(),
                Step::Elsewhere(m) => {
                    if m.apply(&mut server.state).is_ok() { server.advance(); }
                    Default::default()
                }
                Step::Push(n) => { server.push(&replica, n); Default::default() }
                Step::Pull => {
                    let cookie = replica.sync_state().expect("sync").cookie;
                    replica.apply_pull(&cookie, &server.pull(&cookie)).expect("a good answer applies").changes
                }
            };
            for change in changes.0 {
                match change {
                    Change::Put { key, value } => mirror.insert(key, value.to_value()),
                    Change::Del { key } => mirror.remove(&key),
                };
            }
            let view = replica.view_entries().expect("view");
            prop_assert_eq!(&view, &mirror, "the changes reported do not add up to the view");
            prop_assert_eq!(view, replay_over_base(&replica));
        }
        server.push(&replica, usize::MAX);
        let cookie = replica.sync_state().expect("sync").cookie;
        replica.apply_pull(&cookie, &server.pull(&cookie)).expect("applies");
        prop_assert!(replica.pending().expect("pending").is_empty(), "everything acknowledged");
        prop_assert_eq!(replica.view_entries().expect("view"), server.state.0.clone());
        let _ = server.state.get("prompt/a");
    }
}

/// A pending `forgetLearned` deletes every learned query in the view; when the server
/// acknowledges it without effect (it was not this user's to forget), the next pull brings
/// each back from the base, though the patch names none of them. While it is pending, a
/// pull that brings another query leaves it forgotten.
#[test]
fn a_forgetting_the_server_did_not_carry_out_gives_back_what_was_learned() {
    let dir = tempfile::tempdir().expect("tempdir");
    let replica = replica(&dir);
    let client = replica.sync_state().expect("sync").client_id;
    let learned = |query: &str| PatchOp::Put {
        key: format!("learned/{query}"),
        value: JsonText::from_value(&json!({"picks": [{"prompt": "a", "at": 1}]})),
    };
    let cookie = replica.sync_state().expect("sync").cookie;
    replica
        .apply_pull(&cookie, &response(json!(1), &[], vec![learned("stand up")]))
        .expect("pulled");
    let queries = |replica: &Replica| -> Vec<String> {
        replica.synced_learned().expect("reads").into_iter().map(|(query, _)| query).collect()
    };
    assert_eq!(queries(&replica), ["stand up"]);

    let forget = Mutation::from_parts("forgetLearned", json!({})).expect("a mutator");
    let commit = replica.mutate(&forget, 0.0).expect("forgotten");
    assert!(matches!(&commit.changes.0[..], [Change::Del { key }] if key == "learned/stand up"));
    assert!(queries(&replica).is_empty());
    let pulled =
        replica.apply_pull(&Cookie(json!(1)), &response(json!(2), &[], vec![learned("mail")]));
    pulled.expect("pulled");
    assert!(queries(&replica).is_empty(), "still forgotten while pending");

    let acked = response(json!(3), &[(&client, 1)], vec![]);
    replica.apply_pull(&Cookie(json!(2)), &acked).expect("pulled");
    assert_eq!(queries(&replica), ["mail", "stand up"], "the base's, back");
}

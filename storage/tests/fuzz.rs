//! Fuzzing the store: any pull answer a server may send is applied or refused without a
//! panic and leaves a replica that reads and reopens; a library file of arbitrary bytes is
//! set aside and a fresh one started, never a crash. More cases with `PROPTEST_CASES`.

use std::collections::BTreeMap;

use promptdeck_protocol::wire::{Cookie, JsonText, PatchOp, PullResponse};
use promptdeck_storage::Replica;
use proptest::prelude::*;
use serde_json::{Value, json};

fn any_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<i64>().prop_map(Value::from),
        "\\PC{0,10}".prop_map(Value::from),
        // A prompt, whole or with fields of the wrong kind.
        ("\\PC{0,10}", any::<bool>()).prop_map(|(title, whole)| if whole {
            json!({"id": "a", "title": title, "body": "b", "tags": [], "createdAt": 1, "updatedAt": 1})
        } else {
            json!({"id": 7, "title": ["x"], "createdAt": "yesterday"})
        }),
    ]
}

fn any_op() -> impl Strategy<Value = PatchOp> {
    let key = prop_oneof![
        Just("prompt/a".to_owned()),
        Just("prompt/b".to_owned()),
        "prompt/\\PC{0,6}",
        "\\PC{0,10}",
    ];
    prop_oneof![
        4 => (key.clone(), any_value()).prop_map(|(key, value)| PatchOp::Put { key, value: JsonText::from_value(&value) }),
        2 => key.prop_map(|key| PatchOp::Del { key }),
        1 => Just(PatchOp::Clear),
    ]
}

fn any_response() -> impl Strategy<Value = PullResponse> {
    let cookie = prop_oneof![
        Just(Value::Null),
        (0i64..100).prop_map(Value::from),
        "\\PC{0,6}".prop_map(Value::from),
        (0i64..100).prop_map(|order| json!({"order": order})),
    ];
    let acks = prop::collection::btree_map("\\PC{0,6}", 0u64..5, 0..3);
    (cookie, acks, prop::collection::vec(any_op(), 0..12)).prop_map(|(cookie, acks, patch)| {
        PullResponse {
            cookie: Cookie(cookie),
            last_mutation_id_changes: acks.into_iter().collect::<BTreeMap<_, _>>(),
            patch,
        }
    })
}

/// `PROMPTDECK_STORE_FUZZ_CASES`, else `PROPTEST_CASES` when set (the proof script's
/// budgets; each case here opens a real file, so it gets fewer), else `default`.
fn cases(default: u32) -> u32 {
    let set = |name: &str| std::env::var(name).ok().and_then(|c| c.parse().ok());
    set("PROMPTDECK_STORE_FUZZ_CASES").or_else(|| set("PROPTEST_CASES")).unwrap_or(default)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(64)))]

    #[test]
    fn any_pull_answer_is_applied_or_refused_and_the_replica_still_reads(
        answers in prop::collection::vec(any_response(), 1..4)
    ) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("library.redb");
        {
            let (replica, _) = Replica::open(&path).expect("opens");
            for answer in &answers {
                let asked = replica.sync_state().expect("reads").cookie;
                let _ = replica.apply_pull(&asked, answer);
                replica.prompts().expect("the view still reads");
            }
        }
        let (reopened, report) = Replica::open(&path).expect("reopens");
        prop_assert!(report.moved_aside.is_none(), "a valid file is never set aside");
        reopened.prompts().expect("reads after reopening");
    }

    #[test]
    fn a_library_file_of_any_bytes_is_set_aside_not_a_crash(
        bytes in prop::collection::vec(any::<u8>(), 0..4096)
    ) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("library.redb");
        std::fs::write(&path, &bytes).expect("written");
        if let Ok((replica, report)) = Replica::open(&path) {
            replica.prompts().expect("a fresh or recovered replica reads");
            if let Some(aside) = report.moved_aside {
                prop_assert!(aside.to.exists(), "the damaged file is kept");
            }
        }
    }
}

//! Fuzzing the wire: whatever bytes or JSON a server or a client sends, parsing answers Ok or
//! Err and never panics. Many more cases with `PROPTEST_CASES` (the proof script sets it).

use promptdeck_protocol::template::Template;
use promptdeck_protocol::wire::{PullReply, PullRequest, PushRequest};
use promptdeck_protocol::{MemoryKv, Mutation};
use proptest::prelude::*;
use serde_json::Value;

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::String),
        // Shapes near the real ones, so parsing goes deep.
        prop::sample::select(vec!["prompt/a", "createPrompt", "put", "del", "clear", "op", "key"])
            .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop::sample::select(vec![
                    "cookie",
                    "patch",
                    "lastMutationIDChanges",
                    "op",
                    "key",
                    "value",
                    "name",
                    "args",
                    "id",
                    "title",
                    "body",
                    "tags",
                    "createdAt",
                    "error",
                    "mutations",
                    "clientGroupID",
                    "pushVersion",
                    "schemaVersion",
                    "profileID",
                ])
                .prop_map(str::to_owned),
                inner,
                0..6,
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// `PROPTEST_CASES` when set (the proof script's budget), else `default`.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(default)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(512)))]

    #[test]
    fn arbitrary_bytes_never_panic_the_parsers(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = PullReply::from_slice(&bytes);
        let _ = serde_json::from_slice::<PushRequest>(&bytes);
        let _ = serde_json::from_slice::<PullRequest>(&bytes);
        let _ = serde_json::from_slice::<Mutation>(&bytes);
    }

    #[test]
    fn arbitrary_json_never_panics_and_parsed_mutations_apply_or_refuse(value in any_json()) {
        // Whatever reads as a reply writes back as the same reply.
        if let Ok(reply) = PullReply::from_slice(value.to_string().as_bytes()) {
            let again = serde_json::to_vec(&reply).expect("serialises");
            prop_assert_eq!(PullReply::from_slice(&again).expect("reads back"), reply);
        }
        let _ = serde_json::from_value::<PushRequest>(value.clone());
        if let Ok(mutation) = serde_json::from_value::<Mutation>(value) {
            let mut kv = MemoryKv::default();
            let _ = mutation.apply(&mut kv);
        }
    }

    #[test]
    fn any_body_parses_as_a_template_or_says_where_it_breaks(body in "(\\PC|\\{|\\}|:|\\||\\\\){0,80}") {
        match Template::parse(&body) {
            Ok(template) => prop_assert!(template.fields().len() <= body.len()),
            Err(e) => prop_assert!(e.at <= body.chars().count()),
        }
    }
}

//! Replicache push and pull, version 1, with the field names the official client sends.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub const PUSH_VERSION: u32 = 1;
pub const PULL_VERSION: u32 = 1;

/// `POST <pushURL>` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PushRequest {
    #[serde(rename = "profileID")]
    pub profile_id: String,
    #[serde(rename = "clientGroupID")]
    pub client_group_id: String,
    pub mutations: Vec<MutationRecord>,
    pub push_version: u32,
    pub schema_version: String,
}

/// One mutation in a push: a mutator call numbered per client. Fields in the order the
/// official client writes them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MutationRecord {
    pub id: u64,
    pub name: String,
    pub args: Value,
    /// Milliseconds on the sending client's own clock; servers must not compare it.
    pub timestamp: f64,
    #[serde(rename = "clientID")]
    pub client_id: String,
}

/// `POST <pullURL>` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PullRequest {
    #[serde(rename = "profileID")]
    pub profile_id: String,
    #[serde(rename = "clientGroupID")]
    pub client_group_id: String,
    pub cookie: Cookie,
    pub pull_version: u32,
    pub schema_version: String,
}

/// A successful pull: the patch from the client's cookie to the server's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PullResponse {
    pub cookie: Cookie,
    #[serde(rename = "lastMutationIDChanges", default)]
    pub last_mutation_id_changes: BTreeMap<String, u64>,
    pub patch: Vec<PatchOp>,
}

/// One step of a pull's patch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "lowercase")]
pub enum PatchOp {
    Put { key: String, value: Value },
    Del { key: String },
    Clear,
}

/// Which version a server refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VersionType {
    Push,
    Pull,
    Schema,
}

/// The error bodies a Replicache server may answer with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "error")]
pub enum ServerError {
    ClientStateNotFound,
    VersionNotSupported {
        #[serde(rename = "versionType", default, skip_serializing_if = "Option::is_none")]
        version_type: Option<VersionType>,
    },
}

/// A pull's answer: the patch, or one of the errors the protocol defines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PullReply {
    Error(ServerError),
    Patch(PullResponse),
}

/// The server's position in its history: `null`, a number, a string, or an object whose
/// `order` field orders it. Kept as JSON so a backend's own cookie shape passes through.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Cookie(pub Value);

impl Cookie {
    pub fn null() -> Self {
        Self(Value::Null)
    }

    pub fn is_null(&self) -> bool {
        self.0.is_null()
    }

    /// The part of the cookie that orders it, if it has one.
    fn order(&self) -> Option<&Value> {
        match &self.0 {
            Value::Object(map) => map.get("order"),
            other => Some(other),
        }
    }

    /// How this cookie compares to another, or `None` when they cannot be compared (an
    /// object without `order`, or a number against a string).
    pub fn compare(&self, other: &Cookie) -> Option<Ordering> {
        match (self.order()?, other.order()?) {
            (Value::Null, Value::Null) => Some(Ordering::Equal),
            (Value::Null, _) => Some(Ordering::Less),
            (_, Value::Null) => Some(Ordering::Greater),
            (Value::Number(a), Value::Number(b)) => a.as_f64()?.partial_cmp(&b.as_f64()?),
            (Value::String(a), Value::String(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }

    /// True when a pull answering with `self` may replace a replica at `local`: cookies
    /// only move forward.
    pub fn may_follow(&self, local: &Cookie) -> bool {
        matches!(self.compare(local), Some(Ordering::Greater | Ordering::Equal))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pull_reply_parses_patches_and_errors() {
        let ok: PullReply = serde_json::from_value(json!({
            "cookie": 42,
            "lastMutationIDChanges": {"c1": 3},
            "patch": [{"op": "clear"}, {"op": "put", "key": "prompt/a", "value": {"x": 1}},
                      {"op": "del", "key": "prompt/b"}]
        }))
        .expect("parses");
        let PullReply::Patch(resp) = ok else { panic!("not a patch: {ok:?}") };
        assert_eq!(resp.patch.len(), 3);
        assert_eq!(resp.patch[0], PatchOp::Clear);
        assert_eq!(resp.last_mutation_id_changes["c1"], 3);

        let lost: PullReply =
            serde_json::from_value(json!({"error": "ClientStateNotFound"})).expect("parses");
        assert_eq!(lost, PullReply::Error(ServerError::ClientStateNotFound));
        let old: PullReply =
            serde_json::from_value(json!({"error": "VersionNotSupported", "versionType": "pull"}))
                .expect("parses");
        assert_eq!(
            old,
            PullReply::Error(ServerError::VersionNotSupported {
                version_type: Some(VersionType::Pull)
            })
        );
    }

    #[test]
    fn pull_reply_with_wrong_types_is_refused() {
        for bad in [
            json!({"cookie": 1, "patch": "nope"}),
            json!({"cookie": 1, "lastMutationIDChanges": {"c": -1}, "patch": []}),
            json!({"cookie": 1, "patch": [{"op": "put", "key": 3, "value": 1}]}),
            json!({"error": "SomethingElse"}),
        ] {
            assert!(serde_json::from_value::<PullReply>(bad.clone()).is_err(), "{bad}");
        }
    }

    #[test]
    fn cookies_order_by_number_string_or_order_field() {
        let c = |v: Value| Cookie(v);
        assert!(c(json!(2)).may_follow(&c(json!(1))));
        assert!(!c(json!(1)).may_follow(&c(json!(2))));
        assert!(c(json!(1)).may_follow(&Cookie::null()));
        assert!(c(json!("b")).may_follow(&c(json!("a"))));
        assert!(c(json!({"order": 5, "v": "x"})).may_follow(&c(json!({"order": 4}))));
        assert!(!c(json!({"order": 3})).may_follow(&c(json!({"order": 4}))));
        assert!(!c(json!({"no": 1})).may_follow(&c(json!(1))), "no order: not comparable");
        assert!(!c(json!("1")).may_follow(&c(json!(1))), "string vs number: not comparable");
        assert!(c(json!(1)).may_follow(&c(json!(1))), "an equal cookie is not backwards");
    }
}

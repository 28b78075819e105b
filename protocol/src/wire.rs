//! Replicache push and pull, version 1, with the field names the official client sends.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

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
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "op", rename_all = "lowercase")]
pub enum PatchOp {
    Put { key: String, value: JsonText },
    Del { key: String },
    Clear,
}

// Read through a plain struct: serde's reader for a tagged enum first copies each op into
// an intermediate tree, which cannot hold a value kept as text and doubled the cost of
// reading a large pull.
impl<'de> Deserialize<'de> for PatchOp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(rename_all = "lowercase")]
        enum Op {
            Put,
            Del,
            Clear,
        }
        #[derive(Deserialize)]
        struct WireOp {
            op: Op,
            key: Option<String>,
            // Present-but-null is a put of `null`, so the field is optional only by absence.
            #[serde(default, deserialize_with = "present")]
            value: Option<JsonText>,
        }
        fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<JsonText>, D::Error> {
            JsonText::deserialize(d).map(Some)
        }
        use serde::de::Error;
        let WireOp { op, key, value } = WireOp::deserialize(deserializer)?;
        let need_key = |key: Option<String>| key.ok_or_else(|| D::Error::missing_field("key"));
        Ok(match op {
            Op::Put => PatchOp::Put {
                key: need_key(key)?,
                value: value.ok_or_else(|| D::Error::missing_field("value"))?,
            },
            Op::Del => PatchOp::Del { key: need_key(key)? },
            Op::Clear => PatchOp::Clear,
        })
    }
}

/// A JSON value kept as the text it arrived in: checked once when read, then stored and
/// handed on as it is, and parsed only where what it says is needed. A large pull's values
/// never become a tree of maps and strings.
#[derive(Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct JsonText(Box<RawValue>);

impl JsonText {
    pub fn from_value(value: &Value) -> Self {
        Self(serde_json::value::to_raw_value(value).expect("a JSON value always serialises"))
    }

    /// The text of one JSON value, checked, kept without a copy.
    pub fn from_string(text: String) -> Result<Self, serde_json::Error> {
        RawValue::from_string(text).map(Self)
    }

    pub fn as_str(&self) -> &str {
        self.0.get()
    }

    pub fn to_value(&self) -> Value {
        self.parse().expect("the text was checked when it was made")
    }

    pub fn parse<'a, T: Deserialize<'a>>(&'a self) -> Result<T, serde_json::Error> {
        serde_json::from_str(self.0.get())
    }
}

/// Equal when the texts are: two spellings of one value (key order, spacing) differ.
impl PartialEq for JsonText {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl std::fmt::Debug for JsonText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
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
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum PullReply {
    Error(ServerError),
    Patch(PullResponse),
}

impl PullReply {
    /// Reads an answer's body. Not serde's untagged reader, which copies the whole answer
    /// into an intermediate tree before trying each shape: a patch is read straight, and
    /// only a body that is not one is read again as an error. A body that is neither is
    /// refused with what was wrong with it as a patch.
    pub fn from_slice(body: &[u8]) -> Result<Self, serde_json::Error> {
        match serde_json::from_slice::<PullResponse>(body) {
            Ok(patch) => Ok(Self::Patch(patch)),
            Err(not_a_patch) => serde_json::from_slice::<ServerError>(body)
                .map(Self::Error)
                .map_err(|_| not_a_patch),
        }
    }
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

    fn reply(value: Value) -> Result<PullReply, serde_json::Error> {
        PullReply::from_slice(value.to_string().as_bytes())
    }

    #[test]
    fn pull_reply_parses_patches_and_errors() {
        let ok = reply(json!({
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

        let lost = reply(json!({"error": "ClientStateNotFound"})).expect("parses");
        assert_eq!(lost, PullReply::Error(ServerError::ClientStateNotFound));
        let old =
            reply(json!({"error": "VersionNotSupported", "versionType": "pull"})).expect("parses");
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
            json!({"cookie": 1, "patch": [{"op": "put", "key": "k"}]}),
            json!({"cookie": 1, "patch": [{"op": "del"}]}),
            json!({"cookie": 1, "patch": [{"op": "move", "key": "k"}]}),
            json!({"cookie": 1, "patch": [{"key": "k", "value": 1}]}),
        ] {
            assert!(reply(bad.clone()).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_put_keeps_its_value_as_sent_null_included() {
        let body = br#"{"cookie":1,"patch":[{"value": {"b":1,  "a":[true]},"op":"put","key":"k"},
            {"op":"put","key":"n","value":null}]}"#;
        let Ok(PullReply::Patch(resp)) = PullReply::from_slice(body) else { panic!("parses") };
        let [PatchOp::Put { value, .. }, PatchOp::Put { value: null, .. }] = &resp.patch[..] else {
            panic!("two puts: {:?}", resp.patch)
        };
        assert_eq!(value.as_str(), r#"{"b":1,  "a":[true]}"#);
        assert_eq!(value.to_value(), json!({"b": 1, "a": [true]}));
        assert_eq!(null.as_str(), "null");
        let again = serde_json::to_string(&resp.patch[0]).expect("serialises");
        assert_eq!(again, r#"{"op":"put","key":"k","value":{"b":1,  "a":[true]}}"#);
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

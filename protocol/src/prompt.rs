//! A prompt as every client sees it under `prompt/<id>`.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::limits::{Limits, ValidationError};

/// The key prefix of prompts in the replica; other prefixes belong to other clients.
pub const PROMPT_PREFIX: &str = "prompt/";

/// A client-generated prompt id (a ULID from Promptdeck; anything URL-safe from others).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct PromptId(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "prompt id {0:?} is not valid: use 1 to {max} letters, digits, '-' or '_'",
    max = Limits::ID_CHARS
)]
pub struct PromptIdError(pub String);

impl PromptId {
    pub fn parse(id: impl Into<String>) -> Result<Self, PromptIdError> {
        let id = id.into();
        let valid = !id.is_empty()
            && id.len() <= Limits::ID_CHARS
            && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if valid { Ok(Self(id)) } else { Err(PromptIdError(id)) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The replica key this prompt lives under.
    pub fn key(&self) -> String {
        format!("{PROMPT_PREFIX}{}", self.0)
    }

    /// The id of a replica key, if the key is a prompt's.
    pub fn from_key(key: &str) -> Option<Self> {
        key.strip_prefix(PROMPT_PREFIX).and_then(|id| Self::parse(id).ok())
    }
}

impl<'de> Deserialize<'de> for PromptId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Self::parse(raw).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for PromptId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A prompt. Times are milliseconds since the Unix epoch.
///
/// Fields other clients add are kept in `extra` and written back untouched, so an edit made
/// here never strips what a newer web client stored. Missing `tags` and `useCount` read as
/// empty and zero, a missing or null `lastUsedAt` as never used.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Prompt {
    pub id: PromptId,
    pub title: String,
    pub body: String,
    pub tags: Vec<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub use_count: u64,
    pub last_used_at: Option<i64>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Prompt {
    /// How strongly recent use recommends this prompt: use count, halved every two weeks
    /// since the last use. Zero for a prompt never used.
    pub fn frecency(&self, now: i64) -> f64 {
        frecency(self.use_count, self.last_used_at, now)
    }

    /// Whether the prompt is within the size limits every prompt made here keeps (the
    /// body, the title, how many tags and how long each): for prompts that come from
    /// elsewhere, such as a pull. Other clients' rules for a tag's characters may differ.
    pub fn check_sizes(&self) -> Result<(), ValidationError> {
        crate::limits::check_title(&self.title)?;
        crate::limits::check_body(&self.body)?;
        crate::limits::check_tag_sizes(&self.tags)
    }

    /// The title to show: the stored one, or the body's first line when the title is blank.
    pub fn display_title(&self) -> &str {
        let title = self.title.trim();
        if !title.is_empty() {
            return title;
        }
        self.body.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("Untitled")
    }
}

/// How strongly recent use recommends a prompt used `use_count` times, last at
/// `last_used_at`: the count, halved every two weeks since the last use; zero if never used.
/// One formula for every ranking, so the palette and the model agree.
/// The tag that pins a prompt to the top of the palette. A tag, not a new field, so that
/// every client of the fixed mutators (design §3) syncs it unchanged.
pub const PINNED_TAG: &str = "pinned";

pub fn frecency(use_count: u64, last_used_at: Option<i64>, now: i64) -> f64 {
    const HALF_LIFE_MS: f64 = 14.0 * 24.0 * 3600.0 * 1000.0;
    let Some(last) = last_used_at else {
        return 0.0;
    };
    let age = (now - last).max(0) as f64;
    use_count as f64 * 0.5f64.powf(age / HALF_LIFE_MS)
}

/// The current time in milliseconds since the Unix epoch.
pub fn now_millis() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

// Written out rather than derived: a derived reader with `#[serde(flatten)]` first copies
// every prompt into an intermediate tree, which made reading a 100k library several times
// slower (every pull, every start).
impl<'de> Deserialize<'de> for Prompt {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(PromptVisitor)
    }
}

/// A prompt's field names, and any other client's field.
enum Field {
    Id,
    Title,
    Body,
    Tags,
    CreatedAt,
    UpdatedAt,
    UseCount,
    LastUsedAt,
    Other(String),
}

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FieldVisitor;
        impl Visitor<'_> for FieldVisitor {
            type Value = Field;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E: de::Error>(self, name: &str) -> Result<Field, E> {
                Ok(match name {
                    "id" => Field::Id,
                    "title" => Field::Title,
                    "body" => Field::Body,
                    "tags" => Field::Tags,
                    "createdAt" => Field::CreatedAt,
                    "updatedAt" => Field::UpdatedAt,
                    "useCount" => Field::UseCount,
                    "lastUsedAt" => Field::LastUsedAt,
                    other => Field::Other(other.to_owned()),
                })
            }
        }
        deserializer.deserialize_identifier(FieldVisitor)
    }
}

struct PromptVisitor;

impl<'de> Visitor<'de> for PromptVisitor {
    type Value = Prompt;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a prompt object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Prompt, A::Error> {
        fn once<T, E: de::Error>(slot: &mut Option<T>, name: &'static str, v: T) -> Result<(), E> {
            match slot.replace(v) {
                Some(_) => Err(E::duplicate_field(name)),
                None => Ok(()),
            }
        }
        let (mut id, mut title, mut body, mut tags) = (None, None, None, None);
        let (mut created_at, mut updated_at, mut use_count, mut last_used_at) =
            (None, None, None, None);
        let mut extra = Map::new();
        while let Some(field) = map.next_key::<Field>()? {
            match field {
                Field::Id => once(&mut id, "id", map.next_value()?)?,
                Field::Title => once(&mut title, "title", map.next_value()?)?,
                Field::Body => once(&mut body, "body", map.next_value()?)?,
                Field::Tags => once(&mut tags, "tags", map.next_value()?)?,
                Field::CreatedAt => {
                    once(&mut created_at, "createdAt", map.next_value::<Millis>()?.0)?
                }
                Field::UpdatedAt => {
                    once(&mut updated_at, "updatedAt", map.next_value::<Millis>()?.0)?
                }
                Field::UseCount => once(&mut use_count, "useCount", map.next_value()?)?,
                Field::LastUsedAt => once(
                    &mut last_used_at,
                    "lastUsedAt",
                    map.next_value::<Option<Millis>>()?.map(|m| m.0),
                )?,
                Field::Other(name) => {
                    extra.insert(name, map.next_value()?);
                }
            }
        }
        let missing = <A::Error as de::Error>::missing_field;
        Ok(Prompt {
            id: id.ok_or_else(|| missing("id"))?,
            title: title.ok_or_else(|| missing("title"))?,
            body: body.ok_or_else(|| missing("body"))?,
            tags: tags.unwrap_or_default(),
            created_at: created_at.ok_or_else(|| missing("createdAt"))?,
            updated_at: updated_at.ok_or_else(|| missing("updatedAt"))?,
            use_count: use_count.unwrap_or_default(),
            last_used_at: last_used_at.flatten(),
            extra,
        })
    }
}

/// A time in milliseconds. JavaScript clients write times as numbers that may carry a
/// fraction or an exponent.
struct Millis(i64);

impl<'de> Deserialize<'de> for Millis {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = f64::deserialize(deserializer)?;
        if value.is_finite() {
            Ok(Self(value.round() as i64))
        } else {
            Err(de::Error::custom("a time must be a finite number"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn prompt_json_uses_the_web_clients_field_names() {
        let value = json!({
            "id": "01J9", "title": "T", "body": "B", "tags": ["a"],
            "createdAt": 1, "updatedAt": 2, "useCount": 3, "lastUsedAt": 4
        });
        let prompt: Prompt = serde_json::from_value(value.clone()).expect("parses");
        assert_eq!(serde_json::to_value(&prompt).expect("serializes"), value);
    }

    #[test]
    fn unknown_fields_from_other_clients_survive_a_round_trip() {
        let value = json!({
            "id": "x", "title": "T", "body": "B", "tags": [], "createdAt": 1,
            "updatedAt": 2, "useCount": 0, "lastUsedAt": null, "pinned": true
        });
        let prompt: Prompt = serde_json::from_value(value.clone()).expect("parses");
        assert_eq!(prompt.extra.get("pinned"), Some(&json!(true)));
        assert_eq!(serde_json::to_value(&prompt).expect("serializes"), value);
    }

    #[test]
    fn a_prompt_missing_a_field_or_naming_one_twice_is_refused() {
        let full = json!({"id": "x", "title": "T", "body": "B", "createdAt": 1, "updatedAt": 2});
        for field in ["id", "title", "body", "createdAt", "updatedAt"] {
            let mut value = full.clone();
            value.as_object_mut().expect("object").shift_remove(field);
            let error = serde_json::from_value::<Prompt>(value).expect_err(field).to_string();
            assert!(error.contains(field), "{error}");
        }
        let twice = r#"{"id":"x","title":"T","body":"B","createdAt":1,"updatedAt":2,"title":"U"}"#;
        let error = serde_json::from_str::<Prompt>(twice).expect_err("duplicate").to_string();
        assert!(error.contains("duplicate field `title`"), "{error}");
        for bad in [json!({"tags": null}), json!({"createdAt": "1"}), json!({"useCount": -1})] {
            let mut value = full.clone();
            value.as_object_mut().expect("object").extend(bad.as_object().expect("object").clone());
            assert!(serde_json::from_value::<Prompt>(value).is_err(), "{bad}");
        }
        assert!(serde_json::from_value::<Prompt>(json!([1, 2])).is_err());
    }

    #[test]
    fn fractional_times_from_javascript_are_accepted() {
        let prompt: Prompt = serde_json::from_value(json!({
            "id": "x", "title": "", "body": "", "createdAt": 1.7e12, "updatedAt": 12.6
        }))
        .expect("parses");
        assert_eq!(prompt.created_at, 1_700_000_000_000);
        assert_eq!(prompt.updated_at, 13);
        assert_eq!(prompt.last_used_at, None);
    }

    #[test]
    fn ids_outside_the_url_safe_alphabet_are_refused() {
        assert!(PromptId::parse("01HZY-abc_9").is_ok());
        for bad in ["", "a/b", "a b", "ü", &"x".repeat(65)] {
            assert!(PromptId::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn frecency_halves_every_two_weeks() {
        let day = 24 * 3600 * 1000;
        let mut prompt: Prompt = serde_json::from_value(json!({
            "id": "x", "title": "", "body": "", "createdAt": 0, "updatedAt": 0,
            "useCount": 8, "lastUsedAt": 0
        }))
        .expect("parses");
        assert_eq!(prompt.frecency(0), 8.0);
        assert!((prompt.frecency(14 * day) - 4.0).abs() < 1e-9);
        prompt.last_used_at = None;
        assert_eq!(prompt.frecency(0), 0.0);
    }

    #[test]
    fn a_blank_title_shows_the_bodys_first_line() {
        let prompt: Prompt = serde_json::from_value(json!({
            "id": "x", "title": "  ", "body": "\n  Summarise this\nmore", "createdAt": 0,
            "updatedAt": 0
        }))
        .expect("parses");
        assert_eq!(prompt.display_title(), "Summarise this");
    }
}

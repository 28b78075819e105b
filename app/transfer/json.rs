//! Our own JSON: `{"promptdeck": 1, "prompts": [...]}` with every field of every prompt, as
//! the sync protocol spells them. A bare list of prompts is read too.

use promptdeck_protocol::Prompt;
use serde::Deserialize;
use serde_json::Value;

use super::{Incoming, Read, TransferError};

const VERSION: u64 = 1;

/// One prompt as our JSON (or a hand-written file) has it; only the body is required.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Entry {
    id: Option<String>,
    #[serde(default)]
    title: String,
    body: String,
    #[serde(default)]
    tags: Vec<String>,
    created_at: Option<i64>,
    updated_at: Option<i64>,
    #[serde(default)]
    use_count: u64,
    last_used_at: Option<i64>,
}

pub fn read(text: &str) -> Result<Read, TransferError> {
    let document: Value = serde_json::from_str(text)
        .map_err(|e| TransferError::Malformed(format!("not JSON: {e}; nothing was imported")))?;
    let entries = match &document {
        Value::Array(entries) => entries,
        Value::Object(object) => match (object.get("promptdeck"), object.get("prompts")) {
            (Some(Value::Number(v)), _) if v.as_u64() != Some(VERSION) => {
                return Err(TransferError::Malformed(format!(
                    "this export is version {v}; this Promptdeck reads version {VERSION}"
                )));
            }
            (_, Some(Value::Array(entries))) => entries,
            _ => {
                return Err(TransferError::Malformed(
                    "a JSON import is a list of prompts, or an object with \"prompts\"".into(),
                ));
            }
        },
        _ => {
            return Err(TransferError::Malformed(
                "a JSON import is a list of prompts, or an object with \"prompts\"".into(),
            ));
        }
    };
    let mut read = Read::default();
    for (index, value) in entries.iter().enumerate() {
        let source = format!("prompts[{index}]");
        match Entry::deserialize(value) {
            Ok(entry) => read.items.push(Incoming {
                source,
                id: entry.id,
                title: entry.title,
                body: entry.body,
                tags: entry.tags,
                created_at: entry.created_at,
                updated_at: entry.updated_at,
                use_count: entry.use_count,
                last_used_at: entry.last_used_at,
            }),
            Err(e) => read.unreadable.push(format!("{source}: {e}")),
        }
    }
    Ok(read)
}

pub fn write(prompts: &[Prompt]) -> Result<String, TransferError> {
    let document = serde_json::json!({ "promptdeck": VERSION, "prompts": prompts });
    serde_json::to_string_pretty(&document)
        .map_err(|e| TransferError::Encoding { format: "JSON", reason: e.to_string() })
}

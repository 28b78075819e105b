//! espanso match files (YAML): every text match becomes a prompt titled by its label or
//! trigger and tagged `espanso`. espanso's variables map onto our placeholders where they
//! mean the same (`clipboard`, `date` with its format, `echo`), `$|$` becomes `{{cursor}}`,
//! a form's `[[field]]` a field (with its choices); other variables stay fields to fill in.

use std::collections::{BTreeMap, HashMap};

use promptdeck_protocol::Limits;
use promptdeck_protocol::template::escape;
use serde::Deserialize;

use super::{Incoming, Read, TransferError};

#[derive(Deserialize)]
struct MatchFile {
    #[serde(default)]
    matches: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct Match {
    trigger: Option<String>,
    #[serde(default)]
    triggers: Vec<String>,
    label: Option<String>,
    replace: Option<String>,
    markdown: Option<String>,
    html: Option<String>,
    form: Option<String>,
    #[serde(default)]
    form_fields: BTreeMap<String, FormField>,
    #[serde(default)]
    vars: Vec<Var>,
    image_path: Option<String>,
}

#[derive(Deserialize)]
struct FormField {
    #[serde(default)]
    values: Vec<String>,
}

#[derive(Deserialize)]
struct Var {
    name: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    params: BTreeMap<String, serde_json::Value>,
}

pub fn read(text: &str) -> Result<Read, TransferError> {
    let file: MatchFile = serde_saphyr::from_str(text).map_err(|e| {
        TransferError::Malformed(format!("not an espanso match file (YAML with `matches:`): {e}"))
    })?;
    let mut read = Read::default();
    for (index, value) in file.matches.into_iter().enumerate() {
        let source = format!("matches[{index}]");
        match serde_json::from_value::<Match>(value) {
            Ok(found) => match prompt_from(found) {
                Ok(incoming) => read.items.push(Incoming { source, ..incoming }),
                Err(reason) => read.unreadable.push(format!("{source}: {reason}")),
            },
            Err(e) => read.unreadable.push(format!("{source}: {e}")),
        }
    }
    Ok(read)
}

fn prompt_from(found: Match) -> Result<Incoming, String> {
    let trigger = found.trigger.clone().or_else(|| found.triggers.first().cloned());
    let text = if let Some(form) = &found.form {
        form_body(form, &found.form_fields)?
    } else if let Some(text) = found.replace.or(found.markdown).or(found.html) {
        text
    } else if found.image_path.is_some() {
        return Err("an image match; only text is imported".into());
    } else {
        return Err("a match with no replacement text".into());
    };
    let ours: HashMap<&str, String> =
        found.vars.iter().filter_map(|var| Some((var.name.as_str(), our_variable(var)?))).collect();
    let body = fill_once(&text, ("{{", "}}"), |name| ours.get(name).cloned())?;
    let body = body.replace("$|$", "{{cursor}}");
    let title = found.label.or(trigger).unwrap_or_default();
    Ok(Incoming { title, body, tags: vec!["espanso".into()], ..Incoming::default() })
}

/// What an espanso variable becomes in our placeholders; `None` for a kind we do not
/// carry over (its `{{name}}` stays as written).
fn our_variable(var: &Var) -> Option<String> {
    Some(match var.kind.as_str() {
        "clipboard" => "{{clipboard}}".to_owned(),
        "date" => match var.params.get("format").and_then(|f| f.as_str()) {
            Some(format) => format!("{{{{date:{format}}}}}"),
            None => "{{date}}".to_owned(),
        },
        "echo" => escape(var.params.get("echo").and_then(|e| e.as_str()).unwrap_or_default()),
        _ => return None,
    })
}

/// A form's text with `[[field]]` as our fields, choices offered where the form has them;
/// fields the form does not describe are free text.
fn form_body(form: &str, fields: &BTreeMap<String, FormField>) -> Result<String, String> {
    fill_once(form, ("[[", "]]"), |name| {
        Some(match fields.get(name) {
            Some(field) if !field.values.is_empty() => {
                format!("{{{{{name}:{}}}}}", field.values.join("|"))
            }
            _ => format!("{{{{{name}}}}}"),
        })
    })
}

/// `text` with each `open name close` that `value` knows replaced, in one pass: what a
/// value brings in is never read again, so variables cannot expand each other (a file
/// whose every variable names the next two cannot grow a body exponentially). Stops as
/// soon as the body passes the body limit.
fn fill_once(
    text: &str,
    (open, close): (&str, &str),
    value: impl Fn(&str) -> Option<String>,
) -> Result<String, String> {
    let mut body = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(open) {
        body.push_str(&rest[..start]);
        let after = &rest[start + open.len()..];
        let found = after.find(close).and_then(|end| Some((value(&after[..end])?, end)));
        match found {
            Some((filled, end)) => {
                body.push_str(&filled);
                rest = &after[end + close.len()..];
            }
            None => {
                body.push_str(open);
                rest = after;
            }
        }
        if body.len() > Limits::BODY_BYTES {
            return Err(format!(
                "its variables make a body over the {} MiB limit",
                Limits::BODY_BYTES >> 20
            ));
        }
    }
    body.push_str(rest);
    Ok(body)
}

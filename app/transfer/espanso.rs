//! espanso match files (YAML): every text match becomes a prompt titled by its label or
//! trigger and tagged `espanso`. espanso's variables map onto our placeholders where they
//! mean the same (`clipboard`, `date` with its format, `echo`), `$|$` becomes `{{cursor}}`,
//! a form's `[[field]]` a field (with its choices); other variables stay fields to fill in.

use std::collections::BTreeMap;

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
    let mut body = if let Some(form) = &found.form {
        form_body(form, &found.form_fields)
    } else if let Some(text) = found.replace.or(found.markdown).or(found.html) {
        text
    } else if found.image_path.is_some() {
        return Err("an image match; only text is imported".into());
    } else {
        return Err("a match with no replacement text".into());
    };
    for var in &found.vars {
        let placeholder = format!("{{{{{}}}}}", var.name);
        let ours = match var.kind.as_str() {
            "clipboard" => "{{clipboard}}".to_owned(),
            "date" => match var.params.get("format").and_then(|f| f.as_str()) {
                Some(format) => format!("{{{{date:{format}}}}}"),
                None => "{{date}}".to_owned(),
            },
            "echo" => escape(var.params.get("echo").and_then(|e| e.as_str()).unwrap_or_default()),
            _ => continue,
        };
        body = body.replace(&placeholder, &ours);
    }
    let body = body.replace("$|$", "{{cursor}}");
    let title = found.label.or(trigger).unwrap_or_default();
    Ok(Incoming { title, body, tags: vec!["espanso".into()], ..Incoming::default() })
}

/// A form's text with `[[field]]` as our fields, choices offered where the form has them.
fn form_body(form: &str, fields: &BTreeMap<String, FormField>) -> String {
    let mut body = form.to_owned();
    for (name, field) in fields {
        let ours = if field.values.is_empty() {
            format!("{{{{{name}}}}}")
        } else {
            format!("{{{{{name}:{}}}}}", field.values.join("|"))
        };
        body = body.replace(&format!("[[{name}]]"), &ours);
    }
    // Fields the form does not describe are free text.
    while let Some(start) = body.find("[[") {
        let Some(end) = body[start..].find("]]") else { break };
        let name = body[start + 2..start + end].to_owned();
        body.replace_range(start..start + end + 2, &format!("{{{{{name}}}}}"));
    }
    body
}

//! CSV: a header row, then one prompt per row. `title` and `body` are required columns;
//! `id`, `tags` (separated by spaces: a tag never holds one), `created_at`, `updated_at`
//! (milliseconds or RFC 3339), `use_count` and `last_used_at` are read when present.

use std::collections::HashMap;

use promptdeck_protocol::Prompt;

use super::{Incoming, Read, TransferError, parse_time};

const COLUMNS: [&str; 8] =
    ["id", "title", "body", "tags", "created_at", "updated_at", "use_count", "last_used_at"];

pub fn read(text: &str) -> Result<Read, TransferError> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
    let header: HashMap<String, usize> = reader
        .headers()
        .map_err(|e| TransferError::Malformed(format!("the CSV header cannot be read: {e}")))?
        .iter()
        .enumerate()
        .map(|(i, name)| (name.trim().to_ascii_lowercase(), i))
        .collect();
    for required in ["title", "body"] {
        if !header.contains_key(required) {
            return Err(TransferError::Malformed(format!(
                "the CSV has no {required:?} column (its header names the columns)"
            )));
        }
    }
    let mut read = Read::default();
    for (index, record) in reader.records().enumerate() {
        // Row 1 is the header; the first prompt is on row 2, as a spreadsheet counts.
        let source = format!("row {}", index + 2);
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                read.unreadable.push(format!("{source}: {e}"));
                continue;
            }
        };
        let cell =
            |name: &str| unguarded(header.get(name).and_then(|i| record.get(*i)).unwrap_or(""));
        let time = |name: &str| Some(cell(name)).filter(|c| !c.trim().is_empty()).map(parse_time);
        let (created_at, updated_at, last_used_at) =
            (time("created_at"), time("updated_at"), time("last_used_at"));
        if [created_at, updated_at, last_used_at].contains(&Some(None)) {
            read.unreadable
                .push(format!("{source}: a time is neither milliseconds nor an RFC 3339 date"));
            continue;
        }
        let use_count = match cell("use_count").trim() {
            "" => 0,
            count => match count.parse() {
                Ok(count) => count,
                Err(_) => {
                    read.unreadable.push(format!("{source}: use_count {count:?} is not a number"));
                    continue;
                }
            },
        };
        read.items.push(Incoming {
            source,
            id: Some(cell("id").trim().to_owned()).filter(|id| !id.is_empty()),
            title: cell("title").to_owned(),
            body: cell("body").to_owned(),
            tags: cell("tags")
                .split_whitespace()
                .map(|t| t.trim_start_matches('#').to_owned())
                .collect(),
            created_at: created_at.flatten(),
            updated_at: updated_at.flatten(),
            use_count,
            last_used_at: last_used_at.flatten(),
        });
    }
    Ok(read)
}

pub fn write(prompts: &[Prompt]) -> Result<String, TransferError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let failed = |e: &dyn std::fmt::Display| TransferError::Encoding {
        format: "CSV",
        reason: e.to_string(),
    };
    writer.write_record(COLUMNS).map_err(|e| failed(&e))?;
    for prompt in prompts {
        writer
            .write_record([
                guarded(prompt.id.as_str()),
                guarded(&prompt.title),
                guarded(&prompt.body),
                guarded(&prompt.tags.join(" ")),
                prompt.created_at.to_string(),
                prompt.updated_at.to_string(),
                prompt.use_count.to_string(),
                prompt.last_used_at.map(|t| t.to_string()).unwrap_or_default(),
            ])
            .map_err(|e| failed(&e))?;
    }
    let bytes = writer.into_inner().map_err(|e| failed(&e))?;
    String::from_utf8(bytes).map_err(|e| failed(&e))
}

/// What a spreadsheet reads as the start of a formula, and runs when the file is opened.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Whether a cell needs a leading `'` to be read as text: it starts a formula, or it
/// starts with a `'` that reading back would otherwise take for such a guard.
fn needs_guard(text: &str) -> bool {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) if FORMULA_STARTS.contains(&first) => true,
        Some('\'') => chars.next().is_some_and(|c| c == '\'' || FORMULA_STARTS.contains(&c)),
        _ => false,
    }
}

/// `text` as a cell a spreadsheet shows as text, never runs: a leading `'`, as spreadsheets
/// themselves write it, before a formula's first character.
fn guarded(text: &str) -> String {
    if needs_guard(text) { format!("'{text}") } else { text.to_owned() }
}

/// A cell as [`guarded`] wrote it, back to its text; any other cell as it is.
fn unguarded(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if needs_guard(rest) => rest,
        _ => cell,
    }
}

//! Import and export: our own JSON (round-trips everything the mutators can set), a folder
//! of Markdown files with YAML front matter, CSV, and espanso match files (import only).
//!
//! An import is read and checked whole before anything is written, then applied as one
//! batch of ordinary mutations in one store transaction: it syncs like any edit, and a
//! failure leaves the library exactly as it was. Duplicates and unreadable entries are
//! reported one by one; by default one bad entry stops the import (`--skip-invalid` takes
//! the rest).

mod csv_format;
mod espanso;
mod json;
mod markdown;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use promptdeck_protocol::{CreatePrompt, MarkPromptUsed, Mutation, Prompt, PromptId, UpdatePrompt};

pub use promptdeck_client::control::Format;

/// The largest file an import reads: a library of 100k long prompts as JSON fits.
pub const MAX_IMPORT_BYTES: u64 = 512 * 1024 * 1024;

/// The most uses an import records for one prompt, each one a `markPromptUsed` that syncs;
/// ranking needs the order of magnitude, not a count in the billions a file may claim.
pub const MAX_IMPORTED_USES: u64 = 1_000;

/// Why a file could not be imported or exported as a whole (a bad entry is listed instead).
#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    #[error("cannot tell the format of {}; add --format json|markdown|csv|espanso", .0.display())]
    UnknownFormat(PathBuf),
    #[error("cannot read {}: {source}", path.display())]
    Unreadable { path: PathBuf, source: std::io::Error },
    #[error(
        "{} is {size} bytes; an import reads at most {} MiB",
        path.display(),
        MAX_IMPORT_BYTES >> 20
    )]
    TooLarge { path: PathBuf, size: u64 },
    #[error(
        "{} is not valid UTF-8 (bad byte at offset {offset}); nothing was imported",
        path.display()
    )]
    NotUtf8 { path: PathBuf, offset: usize },
    /// The file is not what its format says, with what is wrong.
    #[error("{0}")]
    Malformed(String),
    #[error("cannot write {}: {source}", path.display())]
    Unwritable { path: PathBuf, source: std::io::Error },
    #[error("cannot write {format}: {reason}")]
    Encoding { format: &'static str, reason: String },
    #[error("a Markdown export is a folder of files: give --out DIR")]
    MarkdownNeedsAFolder,
    #[error("espanso files can be imported, not exported: choose json, markdown or csv")]
    EspansoIsImportOnly,
}

/// What `path` most likely holds: a directory of Markdown files, or by its extension.
pub fn guess_format(path: &Path) -> Result<Format, TransferError> {
    if path.is_dir() {
        return Ok(Format::Markdown);
    }
    let extension = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("json") => Ok(Format::Json),
        Some("csv") => Ok(Format::Csv),
        Some("yml" | "yaml") => Ok(Format::Espanso),
        Some("md" | "markdown") => Ok(Format::Markdown),
        _ => Err(TransferError::UnknownFormat(path.to_owned())),
    }
}

/// A prompt as an import file holds it, before it is checked against the library.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Incoming {
    /// Where it came from, for the report: `prompts[3]`, `review.md`, `row 7`.
    pub source: String,
    pub id: Option<String>,
    pub title: String,
    pub body: String,
    pub tags: Vec<String>,
    pub created_at: Option<i64>,
    pub updated_at: Option<i64>,
    pub use_count: u64,
    pub last_used_at: Option<i64>,
}

/// What a file gave: the entries read, and why others could not be.
#[derive(Debug, Default)]
pub struct Read {
    pub items: Vec<Incoming>,
    /// `source: reason` for each entry that could not be read.
    pub unreadable: Vec<String>,
}

/// Reads the prompts in `path` as `format`. Fails only when the file as a whole cannot be
/// read; a bad entry is reported in [`Read::unreadable`].
pub fn read(path: &Path, format: Format) -> Result<Read, TransferError> {
    match format {
        Format::Json => json::read(&read_text(path)?),
        Format::Csv => csv_format::read(&read_text(path)?),
        Format::Espanso => espanso::read(&read_text(path)?),
        Format::Markdown => markdown::read(path),
    }
}

/// A file's text; invalid UTF-8 is named with its position, never guessed at.
pub(crate) fn read_text(path: &Path) -> Result<String, TransferError> {
    let unreadable = |source| TransferError::Unreadable { path: path.to_owned(), source };
    let file = std::fs::File::open(path).map_err(unreadable)?;
    let size = file.metadata().map_err(unreadable)?.len();
    if size > MAX_IMPORT_BYTES {
        return Err(TransferError::TooLarge { path: path.to_owned(), size });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or_default());
    // A file that grows while it is read stops at the cap all the same.
    std::io::Read::read_to_end(&mut std::io::Read::take(file, MAX_IMPORT_BYTES + 1), &mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > MAX_IMPORT_BYTES {
        return Err(TransferError::TooLarge { path: path.to_owned(), size: bytes.len() as u64 });
    }
    String::from_utf8(bytes).map_err(|e| TransferError::NotUtf8 {
        path: path.to_owned(),
        offset: e.utf8_error().valid_up_to(),
    })
}

/// What an import did, or would do.
#[derive(Debug, Default, PartialEq)]
pub struct ImportPlan {
    pub mutations: Vec<Mutation>,
    pub prompts: usize,
    /// `source: why` for each entry already in the library (or twice in the file).
    pub duplicates: Vec<String>,
    /// `source: why` for each entry that cannot be imported.
    pub errors: Vec<String>,
    /// `source: what` for each entry imported with less than it claimed (its use count).
    pub trimmed: Vec<String>,
}

/// The mutations that add `read` to a library holding `existing`: a `createPrompt` per new
/// prompt, then an `updatePrompt` restoring its last edit time and a `markPromptUsed` per
/// recorded use, so our own JSON comes back exactly as it went out.
pub fn plan(read: Read, existing: &[Prompt], now: i64) -> ImportPlan {
    let mut plan = ImportPlan { errors: read.unreadable, ..ImportPlan::default() };
    let mut ids: HashSet<String> = existing.iter().map(|p| p.id.as_str().to_owned()).collect();
    let mut contents: HashSet<(String, String)> =
        existing.iter().map(|p| (p.title.clone(), p.body.clone())).collect();
    for item in read.items {
        let source = item.source.clone();
        let id = match item.id.as_deref().map(PromptId::parse) {
            Some(Ok(id)) => id,
            Some(Err(e)) => {
                plan.errors.push(format!("{source}: {e}"));
                continue;
            }
            None => match PromptId::parse(ulid::Ulid::new().to_string()) {
                Ok(id) => id,
                Err(e) => {
                    plan.errors.push(format!("{source}: {e}"));
                    continue;
                }
            },
        };
        let title = titled(&item);
        if ids.contains(id.as_str()) {
            plan.duplicates
                .push(format!("{source}: “{title}” is already in the library (same id)"));
            continue;
        }
        if contents.contains(&(title.clone(), item.body.clone())) {
            plan.duplicates.push(format!(
                "{source}: “{title}” is already in the library (same title and text)"
            ));
            continue;
        }
        if item.use_count > MAX_IMPORTED_USES {
            plan.trimmed.push(format!(
                "{source}: its {} uses are counted as {MAX_IMPORTED_USES}",
                item.use_count
            ));
        }
        let mutations = mutations_for(&item, id.clone(), title.clone(), now);
        if let Some(error) = mutations.iter().find_map(|m| m.validate().err()) {
            plan.errors.push(format!("{source}: {error}"));
            continue;
        }
        ids.insert(id.as_str().to_owned());
        contents.insert((title, item.body.clone()));
        plan.prompts += 1;
        plan.mutations.extend(mutations);
    }
    plan
}

/// A title for an entry without one: its first non-blank line.
fn titled(item: &Incoming) -> String {
    if !item.title.trim().is_empty() {
        return item.title.trim().to_owned();
    }
    let first =
        item.body.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("Imported prompt");
    first.chars().take(80).collect()
}

fn mutations_for(item: &Incoming, id: PromptId, title: String, now: i64) -> Vec<Mutation> {
    let created_at = item.created_at.unwrap_or(now);
    let mut mutations = vec![Mutation::CreatePrompt(CreatePrompt {
        id: id.clone(),
        title,
        body: item.body.clone(),
        tags: item.tags.clone(),
        created_at,
    })];
    if let Some(updated_at) = item.updated_at.filter(|u| *u != created_at) {
        mutations.push(Mutation::UpdatePrompt(UpdatePrompt {
            id: id.clone(),
            title: None,
            body: None,
            tags: None,
            updated_at,
        }));
    }
    let at = item.last_used_at.unwrap_or(now);
    for _ in 0..item.use_count.min(MAX_IMPORTED_USES) {
        mutations.push(Mutation::MarkPromptUsed(MarkPromptUsed { id: id.clone(), at }));
    }
    mutations
}

/// Writes `prompts` as `format`: to `out` when given (a directory for Markdown), else
/// returned as text.
pub fn export(
    format: Format,
    prompts: &[Prompt],
    out: Option<&Path>,
) -> Result<Option<String>, TransferError> {
    let text = match format {
        Format::Json => json::write(prompts)?,
        Format::Csv => csv_format::write(prompts)?,
        Format::Markdown => {
            let dir = out.ok_or(TransferError::MarkdownNeedsAFolder)?;
            markdown::write(prompts, dir)?;
            return Ok(None);
        }
        Format::Espanso => return Err(TransferError::EspansoIsImportOnly),
    };
    match out {
        Some(path) => {
            write_atomically(path, text.as_bytes())?;
            Ok(None)
        }
        None => Ok(Some(text)),
    }
}

/// Replaces `path` whole, so an export interrupted half-way never leaves half a file.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), TransferError> {
    crate::files::replace(path, bytes, None)
        .map_err(|source| TransferError::Unwritable { path: path.to_owned(), source })
}

/// Milliseconds since the epoch from a number or an RFC 3339 date.
pub(crate) fn parse_time(text: &str) -> Option<i64> {
    let text = text.trim();
    text.parse::<i64>()
        .ok()
        .or_else(|| chrono::DateTime::parse_from_rfc3339(text).ok().map(|t| t.timestamp_millis()))
}

/// An RFC 3339 date, as the Markdown front matter shows times.
pub(crate) fn format_time(millis: i64) -> String {
    chrono::DateTime::from_timestamp_millis(millis)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_else(|| millis.to_string())
}

#[cfg(test)]
mod tests;

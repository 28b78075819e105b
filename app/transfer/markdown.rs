//! A folder of Markdown files, one prompt each: YAML front matter for the title, tags, id and
//! times, then the body exactly as stored. Files without front matter are read too: the file
//! name is the title and the whole text the body. Other front matter keys (an Obsidian
//! vault's, say) are left alone.

use std::collections::HashSet;
use std::path::Path;

use promptdeck_protocol::Prompt;
use serde::{Deserialize, Serialize};

use super::{Incoming, Read, TransferError, format_time, parse_time, read_text, write_atomically};

#[derive(Serialize, Deserialize, Default)]
struct FrontMatter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tags: Option<Tags>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    created: Option<Time>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    updated: Option<Time>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    uses: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_used: Option<Time>,
}

/// `tags: [a, b]`, or `tags: a b` / `tags: a, b` as people write them by hand.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum Tags {
    List(Vec<String>),
    Text(String),
}

/// Milliseconds, or a date as text.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum Time {
    Millis(i64),
    Text(String),
}

impl Tags {
    fn into_vec(self) -> Vec<String> {
        let words: Vec<String> = match self {
            Tags::List(tags) => tags,
            Tags::Text(text) => text.split([',', ' ']).map(str::to_owned).collect(),
        };
        words
            .into_iter()
            .map(|t| t.trim().trim_start_matches('#').to_owned())
            .filter(|t| !t.is_empty())
            .collect()
    }
}

impl Time {
    fn millis(&self) -> Option<i64> {
        match self {
            Time::Millis(millis) => Some(*millis),
            Time::Text(text) => parse_time(text),
        }
    }
}

/// Every `.md` file in `path` (a folder, in name order), or `path` itself.
pub fn read(path: &Path) -> Result<Read, TransferError> {
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    if path.is_dir() {
        let unreadable = |source| TransferError::Unreadable { path: path.to_owned(), source };
        for entry in std::fs::read_dir(path).map_err(unreadable)? {
            let entry = entry.map_err(unreadable)?;
            let file = entry.path();
            let markdown = file.extension().is_some_and(|e| e == "md" || e == "markdown");
            // A link could lead anywhere (~/.ssh, /dev/zero): only files in the folder count.
            let kind = entry.file_type().map_err(unreadable)?;
            if markdown && kind.is_symlink() {
                skipped.push(file);
            } else if markdown && kind.is_file() {
                files.push(file);
            }
        }
        files.sort();
    } else {
        files.push(path.to_owned());
    }
    let mut read = Read::default();
    for link in skipped {
        let name = link.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        read.unreadable.push(format!("{name}: a symbolic link; only files in the folder are read"));
    }
    for file in files {
        let source = file
            .file_name()
            .map_or_else(|| file.display().to_string(), |n| n.to_string_lossy().into_owned());
        match read_text(&file).map_err(|e| e.to_string()).and_then(|text| parse(&text, &file)) {
            Ok(incoming) => read.items.push(Incoming { source, ..incoming }),
            Err(reason) => read.unreadable.push(format!("{source}: {reason}")),
        }
    }
    Ok(read)
}

fn parse(text: &str, file: &Path) -> Result<Incoming, String> {
    let stem =
        file.file_stem().map(|s| s.to_string_lossy().replace(['-', '_'], " ")).unwrap_or_default();
    let Some((yaml, body)) = split_front_matter(text) else {
        return Ok(Incoming { title: stem, body: text.to_owned(), ..Incoming::default() });
    };
    let front: FrontMatter = if yaml.trim().is_empty() {
        FrontMatter::default()
    } else {
        serde_saphyr::from_str(yaml)
            .map_err(|e| format!("its front matter is not valid YAML: {e}"))?
    };
    let time = |t: &Option<Time>, name: &str| match t {
        None => Ok(None),
        Some(t) => t
            .millis()
            .map(Some)
            .ok_or(format!("{name} is neither milliseconds nor an RFC 3339 date")),
    };
    Ok(Incoming {
        id: front.id,
        title: front.title.unwrap_or(stem),
        body: body.to_owned(),
        tags: front.tags.map(Tags::into_vec).unwrap_or_default(),
        created_at: time(&front.created, "created")?,
        updated_at: time(&front.updated, "updated")?,
        use_count: front.uses.unwrap_or(0),
        last_used_at: time(&front.last_used, "last_used")?,
        ..Incoming::default()
    })
}

/// The front matter and the body after it, when the text opens with `---`.
fn split_front_matter(text: &str) -> Option<(&str, &str)> {
    let rest = text.strip_prefix("---\n").or_else(|| text.strip_prefix("---\r\n"))?;
    if let Some(body) = rest.strip_prefix("---\n") {
        return Some(("", body));
    }
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end_matches(['\r', '\n']) == "---" {
            return Some((&rest[..offset], &rest[offset + line.len()..]));
        }
        offset += line.len();
    }
    None
}

/// One file per prompt in `dir`, named after its title; a name taken twice gets the id.
pub fn write(prompts: &[Prompt], dir: &Path) -> Result<(), TransferError> {
    std::fs::create_dir_all(dir)
        .map_err(|source| TransferError::Unwritable { path: dir.to_owned(), source })?;
    let mut names = HashSet::new();
    for prompt in prompts {
        let mut name = slug(&prompt.title);
        if !names.insert(name.clone()) {
            name = format!("{name}-{}", prompt.id.as_str().to_lowercase());
            names.insert(name.clone());
        }
        let front = FrontMatter {
            id: Some(prompt.id.as_str().to_owned()),
            title: Some(prompt.title.clone()),
            tags: Some(Tags::List(prompt.tags.clone())),
            created: Some(Time::Text(format_time(prompt.created_at))),
            updated: Some(Time::Text(format_time(prompt.updated_at))),
            uses: Some(prompt.use_count),
            last_used: prompt.last_used_at.map(|t| Time::Text(format_time(t))),
        };
        let yaml = serde_saphyr::to_string(&front).map_err(|e| TransferError::Encoding {
            format: "front matter",
            reason: e.to_string(),
        })?;
        let newline = if yaml.ends_with('\n') { "" } else { "\n" };
        let text = format!("---\n{yaml}{newline}---\n{}", prompt.body);
        write_atomically(&dir.join(format!("{name}.md")), text.as_bytes())?;
    }
    Ok(())
}

/// A file name from a title: lower-case letters and digits joined by dashes.
fn slug(title: &str) -> String {
    let mut slug = String::new();
    for c in title.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
        if slug.chars().count() >= 60 {
            break;
        }
    }
    let slug = slug.trim_end_matches('-').to_owned();
    if slug.is_empty() { "prompt".into() } else { slug }
}

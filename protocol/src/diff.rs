//! How one text differs from another, word by word: what a prompt's history shows for a
//! body that changed.

/// Words added and taken away between two texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WordChanges {
    pub added: usize,
    pub removed: usize,
}

impl std::fmt::Display for WordChanges {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "body +{} -{} words", self.added, self.removed)
    }
}

/// The words `after` adds to `before` and takes from it, in a shortest edit (Myers') of
/// their words (spacing aside), with a deadline so a pathological pair of long bodies still
/// answers at once.
pub fn word_changes(before: &str, after: &str) -> WordChanges {
    let (old, new): (Vec<&str>, Vec<&str>) =
        (before.split_whitespace().collect(), after.split_whitespace().collect());
    let deadline = std::time::Instant::now() + std::time::Duration::from_millis(200);
    let ops = similar::capture_diff_slices_deadline(
        similar::Algorithm::Myers,
        &old,
        &new,
        Some(deadline),
    );
    let mut changes = WordChanges::default();
    for op in ops {
        let (tag, old, new) = op.as_tag_tuple();
        match tag {
            similar::DiffTag::Insert => changes.added += new.len(),
            similar::DiffTag::Delete => changes.removed += old.len(),
            similar::DiffTag::Replace => {
                changes.added += new.len();
                changes.removed += old.len();
            }
            similar::DiffTag::Equal => {}
        }
    }
    changes
}

/// A prompt's content, as one version of it held it.
#[derive(Debug, Clone, Copy)]
pub struct Content<'a> {
    pub title: &'a str,
    pub body: &'a str,
    pub tags: &'a [String],
}

/// What `after` changed from `before`, in words: "title, body +2 -1 words, tags"; "first
/// kept" when there is nothing before.
pub fn what_changed(before: Option<Content<'_>>, after: Content<'_>) -> String {
    let Some(before) = before else { return "first kept".into() };
    let mut changed = Vec::new();
    if before.title != after.title {
        changed.push("title".to_owned());
    }
    if before.body != after.body {
        changed.push(word_changes(before.body, after.body).to_string());
    }
    if before.tags != after.tags {
        changed.push("tags".to_owned());
    }
    if changed.is_empty() { "no change".into() } else { changed.join(", ") }
}

/// One run of words in a word diff: as both texts have it, only in the later one, or only
/// in the earlier one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Run {
    Same(String),
    Added(String),
    Removed(String),
}

/// `after` word by word against `before`, spacing and line breaks as they are, in runs to
/// draw: what both hold, what `after` added and what it took away.
pub fn word_diff(before: &str, after: &str) -> Vec<Run> {
    let diff = similar::TextDiff::configure()
        .timeout(std::time::Duration::from_millis(200))
        .diff_words(before, after);
    let mut runs: Vec<Run> = Vec::new();
    for change in diff.iter_all_changes() {
        let value = change.value();
        let next = match change.tag() {
            similar::ChangeTag::Equal => Run::Same(value.to_owned()),
            similar::ChangeTag::Insert => Run::Added(value.to_owned()),
            similar::ChangeTag::Delete => Run::Removed(value.to_owned()),
        };
        match (runs.last_mut(), next) {
            (Some(Run::Same(run)), Run::Same(more))
            | (Some(Run::Added(run)), Run::Added(more))
            | (Some(Run::Removed(run)), Run::Removed(more)) => run.push_str(&more),
            (_, next) => runs.push(next),
        }
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_added_and_removed_are_counted_not_spaces() {
        let changes =
            word_changes("Summarise the meeting notes", "Summarise  the  call notes briefly");
        assert_eq!(changes, WordChanges { added: 2, removed: 1 });
        assert_eq!(changes.to_string(), "body +2 -1 words");
        assert_eq!(word_changes("same", "same"), WordChanges::default());
    }

    #[test]
    fn a_word_diff_keeps_every_character_of_both_texts_in_runs() {
        let runs = word_diff("Summarise the meeting notes\nnow", "Summarise the call notes\nnow");
        assert_eq!(
            runs,
            [
                Run::Same("Summarise the ".into()),
                Run::Removed("meeting".into()),
                Run::Added("call".into()),
                Run::Same(" notes\nnow".into()),
            ]
        );
        let tags = ["a".to_owned()];
        let content = |title, body| Content { title, body, tags: &tags };
        assert_eq!(what_changed(None, content("T", "b")), "first kept");
        assert_eq!(
            what_changed(Some(content("T", "b")), content("U", "b c")),
            "title, body +1 -0 words"
        );
    }
}

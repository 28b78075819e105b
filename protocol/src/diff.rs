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
    /// The prompt was deleted after this version.
    pub then_deleted: bool,
}

/// What `after` changed from `before`, in words: "title, body +2 -1 words, tags"; "first
/// kept" when there is nothing before; "brought back; …" after a deletion.
pub fn what_changed(before: Option<Content<'_>>, after: Content<'_>) -> String {
    let Some(before) = before else { return "first kept".into() };
    let changed = changes(before, after);
    if before.then_deleted { format!("brought back; {changed}") } else { changed }
}

fn changes(before: Content<'_>, after: Content<'_>) -> String {
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

/// One step of a [`Delta`], over characters: keep the next `n` of the text it applies to,
/// skip the next `n`, or put text in.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Step {
    #[serde(rename = "k")]
    Keep(usize),
    #[serde(rename = "s")]
    Skip(usize),
    #[serde(rename = "i")]
    Insert(String),
}

/// How to make one text from another: a version kept as the few characters that tell it
/// from the next, rather than whole.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Delta(pub Vec<Step>);

impl Delta {
    /// The steps that make `to` from `from`: a shortest edit of their characters
    /// (Myers'), given up for a coarser one past a deadline, which is as correct and only
    /// larger.
    pub fn between(from: &str, to: &str) -> Self {
        let (old, new): (Vec<char>, Vec<char>) = (from.chars().collect(), to.chars().collect());
        let deadline = std::time::Instant::now() + std::time::Duration::from_millis(50);
        let ops = similar::capture_diff_slices_deadline(
            similar::Algorithm::Myers,
            &old,
            &new,
            Some(deadline),
        );
        let mut steps: Vec<Step> = Vec::new();
        for op in ops {
            let (tag, old_range, new_range) = op.as_tag_tuple();
            let inserted = || new[new_range.clone()].iter().collect::<String>();
            match tag {
                similar::DiffTag::Equal => push(&mut steps, Step::Keep(old_range.len())),
                similar::DiffTag::Delete => push(&mut steps, Step::Skip(old_range.len())),
                similar::DiffTag::Insert => push(&mut steps, Step::Insert(inserted())),
                similar::DiffTag::Replace => {
                    push(&mut steps, Step::Skip(old_range.len()));
                    push(&mut steps, Step::Insert(inserted()));
                }
            }
        }
        Self(steps)
    }

    /// The text these steps make from `from`; `None` if they do not fit it (a delta made
    /// from another text).
    pub fn apply(&self, from: &str) -> Option<String> {
        let mut chars = from.chars();
        let mut out = String::with_capacity(from.len());
        for step in &self.0 {
            match step {
                Step::Keep(n) => {
                    for _ in 0..*n {
                        out.push(chars.next()?);
                    }
                }
                Step::Skip(n) => {
                    for _ in 0..*n {
                        chars.next()?;
                    }
                }
                Step::Insert(text) => out.push_str(text),
            }
        }
        chars.next().is_none().then_some(out)
    }
}

/// Adds `step`, joined to the last one where they are of a kind.
fn push(steps: &mut Vec<Step>, step: Step) {
    match (steps.last_mut(), step) {
        (_, Step::Keep(0) | Step::Skip(0)) => {}
        (_, Step::Insert(text)) if text.is_empty() => {}
        (Some(Step::Keep(n)), Step::Keep(more)) | (Some(Step::Skip(n)), Step::Skip(more)) => {
            *n += more;
        }
        (Some(Step::Insert(text)), Step::Insert(more)) => text.push_str(&more),
        (_, step) => steps.push(step),
    }
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
    fn a_delta_makes_one_text_from_the_other_and_no_other() {
        let newer = "Review this diff for bugs and naming problems — ünïcode kept";
        let older = "Review this patch for bugs and style problems please — ünïcode kept";
        let delta = Delta::between(newer, older);
        assert_eq!(delta.apply(newer).as_deref(), Some(older));
        assert!(delta.0.len() < 12, "a few steps, not the whole text: {delta:?}");
        assert_eq!(delta.apply("another text entirely"), None);
        let json = serde_json::to_string(&delta).expect("serialises");
        assert_eq!(serde_json::from_str::<Delta>(&json).expect("reads"), delta);
        assert_eq!(Delta::between("", "all new").apply("").as_deref(), Some("all new"));
        assert_eq!(Delta::between("all gone", "").apply("all gone").as_deref(), Some(""));
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
        let content = |title, body| Content { title, body, tags: &tags, then_deleted: false };
        assert_eq!(what_changed(None, content("T", "b")), "first kept");
        assert_eq!(
            what_changed(Some(content("T", "b")), content("U", "b c")),
            "title, body +1 -0 words"
        );
        let deleted = Content { then_deleted: true, ..content("T", "b") };
        assert_eq!(what_changed(Some(deleted), content("T", "b")), "brought back; no change");
    }
}

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
}

//! A prompt's summary as the index keeps it for every prompt of the library: its texts in
//! one allocation. Kept as [`PromptSummary`]s (an id, a title, a preview and a list of
//! tags, each allocated on its own) a library of 10k took some 2 MB more; a whole summary
//! is made only for the hits a search gives.

use promptdeck_protocol::{PromptId, PromptSummary};

pub(super) struct KeptSummary {
    /// The id, the title, the preview and the tags, one after another.
    texts: Box<str>,
    /// Where the id, the title and the preview end in `texts`.
    ends: [u32; 3],
    /// Where each tag ends in `texts`; allocates nothing for a prompt with no tags.
    tag_ends: Box<[u32]>,
    pub body_bytes: usize,
    pub use_count: u64,
    pub last_used_at: Option<i64>,
    pub updated_at: i64,
}

impl KeptSummary {
    pub fn new(summary: &PromptSummary) -> Self {
        let mut texts = String::with_capacity(
            summary.id.as_str().len()
                + summary.title.len()
                + summary.preview.len()
                + summary.tags.iter().map(String::len).sum::<usize>(),
        );
        let mut end = |text: &str| {
            texts.push_str(text);
            u32::try_from(texts.len()).expect("a summary's texts are far below 4 GiB")
        };
        let ends = [end(summary.id.as_str()), end(&summary.title), end(&summary.preview)];
        let tag_ends = summary.tags.iter().map(|tag| end(tag)).collect();
        Self {
            texts: texts.into_boxed_str(),
            ends,
            tag_ends,
            body_bytes: summary.body_bytes,
            use_count: summary.use_count,
            last_used_at: summary.last_used_at,
            updated_at: summary.updated_at,
        }
    }

    fn text(&self, start: u32, end: u32) -> &str {
        &self.texts[start as usize..end as usize]
    }

    pub fn id(&self) -> &str {
        self.text(0, self.ends[0])
    }

    pub fn title(&self) -> &str {
        self.text(self.ends[0], self.ends[1])
    }

    fn preview(&self) -> &str {
        self.text(self.ends[1], self.ends[2])
    }

    pub fn tags(&self) -> impl Iterator<Item = &str> {
        let starts = std::iter::once(self.ends[2]).chain(self.tag_ends.iter().copied());
        starts.zip(self.tag_ends.iter()).map(|(start, &end)| self.text(start, end))
    }

    /// The summary whole, as a search gives it.
    pub fn whole(&self) -> PromptSummary {
        PromptSummary {
            id: PromptId::parse(self.id()).expect("kept from a valid id"),
            title: self.title().to_owned(),
            preview: self.preview().to_owned(),
            tags: self.tags().map(str::to_owned).collect(),
            body_bytes: self.body_bytes,
            use_count: self.use_count,
            last_used_at: self.last_used_at,
            updated_at: self.updated_at,
            space: String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::KeptSummary;
    use promptdeck_protocol::{PromptId, PromptSummary};

    fn summary(tags: &[&str]) -> PromptSummary {
        PromptSummary {
            id: PromptId::parse("01J9ZX").expect("id"),
            title: "Résumé".into(),
            preview: "Write a short summary".into(),
            tags: tags.iter().map(|t| (*t).to_owned()).collect(),
            body_bytes: 21,
            use_count: 3,
            last_used_at: Some(7),
            updated_at: 9,
            space: String::new(),
        }
    }

    #[test]
    fn gives_back_the_summary_it_kept() {
        for tags in [&[][..], &["one"], &["", "écrit", "x y"]] {
            let whole = summary(tags);
            let kept = KeptSummary::new(&whole);
            assert_eq!(kept.whole(), whole);
            assert_eq!(kept.id(), "01J9ZX");
            assert_eq!(kept.title(), "Résumé");
            assert_eq!(kept.tags().collect::<Vec<_>>(), tags);
        }
    }
}

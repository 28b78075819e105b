//! A prompt's summary as the index keeps it for every prompt of the library: its texts in
//! one allocation. Kept as [`PromptSummary`]s (an id, a title, a preview and a list of
//! tags, each allocated on its own) a library of 10k took some 2 MB more; a whole summary
//! is made only for the hits a search gives.

use promptdeck_protocol::{Prompt, PromptId, PromptSummary, push_preview};

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
    /// What [`PromptSummary::from`] gives for `prompt`, written straight into one text.
    pub fn of(prompt: &Prompt) -> Self {
        let title = prompt.display_title();
        let mut texts = String::with_capacity(
            prompt.id.as_str().len()
                + title.len()
                + prompt.body.len().min(promptdeck_protocol::PREVIEW_CHARS)
                + prompt.tags.iter().map(String::len).sum::<usize>(),
        );
        let end = |texts: &String| {
            u32::try_from(texts.len()).expect("a summary's texts are far below 4 GiB")
        };
        texts.push_str(prompt.id.as_str());
        let id_end = end(&texts);
        texts.push_str(title);
        let title_end = end(&texts);
        push_preview(&prompt.body, &mut texts);
        let ends = [id_end, title_end, end(&texts)];
        let tag_ends = prompt
            .tags
            .iter()
            .map(|tag| {
                texts.push_str(tag);
                end(&texts)
            })
            .collect();
        Self {
            texts: texts.into_boxed_str(),
            ends,
            tag_ends,
            body_bytes: prompt.body.len(),
            use_count: prompt.use_count,
            last_used_at: prompt.last_used_at,
            updated_at: prompt.updated_at,
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
    use promptdeck_protocol::{Prompt, PromptSummary};

    #[test]
    fn gives_back_the_summary_the_protocol_makes() {
        for (title, tags) in [("Résumé", &[][..]), ("", &["one"]), ("t", &["", "écrit", "x y"])]
        {
            let prompt: Prompt = serde_json::from_value(serde_json::json!({
                "id": "01J9ZX", "title": title, "body": "  Write\ta short   summary ",
                "tags": tags, "createdAt": 1, "updatedAt": 9, "useCount": 3, "lastUsedAt": 7,
            }))
            .expect("a prompt");
            let kept = KeptSummary::of(&prompt);
            assert_eq!(kept.whole(), PromptSummary::from(&prompt));
            assert_eq!(kept.id(), "01J9ZX");
            assert_eq!(kept.title(), prompt.display_title());
            assert_eq!(kept.tags().collect::<Vec<_>>(), tags);
        }
    }
}

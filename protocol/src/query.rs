//! What a search query says: `#word`s that keep only prompts with a tag starting with the
//! word, and the rest, matched as text. The search and the highlighting of matched
//! characters read a query through this one parser, so they never disagree.

/// A query taken apart.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Query {
    /// The `#` words without their `#`, lowercased: each must start one of a prompt's tags.
    pub tags: Vec<String>,
    /// The other words, joined by single spaces: matched against titles, tags and bodies.
    pub text: String,
}

impl Query {
    /// Splits `query` at white space. A `#` alone is a tag word still being typed: it
    /// filters nothing and matches nothing.
    pub fn parse(query: &str) -> Self {
        let (tags, words): (Vec<&str>, Vec<&str>) =
            query.split_whitespace().filter(|w| *w != "#").partition(|w| w.starts_with('#'));
        let tags = tags.iter().map(|t| t[1..].to_lowercase()).collect();
        Self { tags, text: words.join(" ") }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_words_are_tags_and_the_rest_is_text() {
        let query = Query::parse("  #Work  code  #rev review ");
        assert_eq!(query.tags, vec!["work", "rev"]);
        assert_eq!(query.text, "code review");
    }

    #[test]
    fn a_lone_hash_is_neither() {
        assert_eq!(Query::parse("# code #"), Query { tags: vec![], text: "code".into() });
        assert_eq!(Query::parse(""), Query::default());
    }
}

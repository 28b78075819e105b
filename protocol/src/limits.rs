//! Bounds on what a prompt may hold. Client and server check the same numbers, so a
//! prompt accepted locally is never refused by the server for its size.

/// The bounds themselves, in one place so error messages and checks agree.
pub struct Limits;

impl Limits {
    /// A body of up to 1 MiB: a quarter of a million tokens, more than any model's prompt.
    pub const BODY_BYTES: usize = 1024 * 1024;
    pub const TITLE_CHARS: usize = 1_000;
    pub const TAGS: usize = 64;
    pub const TAG_CHARS: usize = 64;
    pub const ID_CHARS: usize = 64;
}

/// Why a prompt's fields were refused; each message says what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    #[error("the prompt body is {size} bytes; the limit is {} bytes (1 MiB)", Limits::BODY_BYTES)]
    BodyTooLarge { size: usize },
    #[error("the title is {chars} characters; the limit is {}", Limits::TITLE_CHARS)]
    TitleTooLong { chars: usize },
    #[error("a prompt may have at most {} tags; this one has {count}", Limits::TAGS)]
    TooManyTags { count: usize },
    #[error(
        "tag {tag:?} is not allowed: tags are 1 to {} characters with no spaces",
        Limits::TAG_CHARS
    )]
    BadTag { tag: String },
}

pub(crate) fn check_title(title: &str) -> Result<(), ValidationError> {
    let chars = title.chars().count();
    if chars > Limits::TITLE_CHARS {
        return Err(ValidationError::TitleTooLong { chars });
    }
    Ok(())
}

pub(crate) fn check_body(body: &str) -> Result<(), ValidationError> {
    if body.len() > Limits::BODY_BYTES {
        return Err(ValidationError::BodyTooLarge { size: body.len() });
    }
    Ok(())
}

/// How many tags, and how long each: the part of [`check_tags`] about size.
pub(crate) fn check_tag_sizes(tags: &[String]) -> Result<(), ValidationError> {
    if tags.len() > Limits::TAGS {
        return Err(ValidationError::TooManyTags { count: tags.len() });
    }
    match tags.iter().find(|tag| tag.chars().count() > Limits::TAG_CHARS) {
        Some(tag) => Err(ValidationError::BadTag { tag: tag.clone() }),
        None => Ok(()),
    }
}

pub(crate) fn check_tags(tags: &[String]) -> Result<(), ValidationError> {
    if tags.len() > Limits::TAGS {
        return Err(ValidationError::TooManyTags { count: tags.len() });
    }
    for tag in tags {
        let chars = tag.chars().count();
        if chars == 0 || chars > Limits::TAG_CHARS || tag.chars().any(char::is_whitespace) {
            return Err(ValidationError::BadTag { tag: tag.clone() });
        }
    }
    Ok(())
}

//! The name of a space: one library on a sync server, and one workspace on a device. The
//! client and the server check names with the same rule, so whatever a device accepts as a
//! workspace, the server accepts as a space.

use std::fmt;

/// The space a profile's first library syncs as when nothing names one.
pub const DEFAULT_SPACE: &str = "personal";

/// A space name's limit: it names a file on the device and travels in URLs.
pub const MAX_SPACE_CHARS: usize = 64;

/// Why a name cannot name a space.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} cannot name a space: use 1 to {MAX_SPACE_CHARS} letters, digits, '-', '_' or '.' (not first)"
)]
pub struct SpaceNameError(pub String);

/// A checked space name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SpaceName(String);

impl SpaceName {
    /// `name` if it can name a space: ASCII letters, digits, `-`, `_` and `.`, not starting
    /// with `.` (a hidden file, or `..`).
    pub fn parse(name: impl Into<String>) -> Result<Self, SpaceNameError> {
        let name = name.into();
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
        let valid = !name.is_empty()
            && name.len() <= MAX_SPACE_CHARS
            && name.chars().all(allowed)
            && !name.starts_with('.');
        if valid { Ok(Self(name)) } else { Err(SpaceNameError(name)) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for SpaceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_letters_digits_dashes_underscores_and_inner_dots() {
        for good in ["personal", "team-2", "a_b", "v1.2", "A", &"x".repeat(MAX_SPACE_CHARS)] {
            assert!(SpaceName::parse(good).is_ok(), "{good:?} is a space name");
        }
        for bad in
            ["", ".hidden", "..", "a/b", "a b", "é", "a\\b", &"x".repeat(MAX_SPACE_CHARS + 1)]
        {
            assert_eq!(SpaceName::parse(bad), Err(SpaceNameError(bad.to_owned())), "{bad:?}");
        }
    }
}

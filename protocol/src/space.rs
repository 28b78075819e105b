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

/// The longest owner a device names in an address: it becomes part of a file name.
pub const MAX_OWNER_BYTES: usize = 64;

/// Why a workspace's address names no space.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpaceAddressError {
    #[error(transparent)]
    Name(#[from] SpaceNameError),
    #[error(
        "{0:?} names no owner a device can address: use 1 to {MAX_OWNER_BYTES} bytes without control characters"
    )]
    Owner(String),
}

/// A space as a device names it: a name of the user's own (`team`), or `OWNER/NAME` for a
/// space another user shared with them (`alice/team`). Space names hold no `/`, so the
/// last `/` splits an address whatever its owner holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpaceAddress {
    pub owner: Option<String>,
    pub name: SpaceName,
}

impl SpaceAddress {
    pub fn parse(address: &str) -> Result<Self, SpaceAddressError> {
        let Some((owner, name)) = address.rsplit_once('/') else {
            return Ok(Self { owner: None, name: SpaceName::parse(address)? });
        };
        let name = SpaceName::parse(name)?;
        let valid = !owner.is_empty()
            && owner.len() <= MAX_OWNER_BYTES
            && !owner.chars().any(char::is_control);
        if !valid {
            return Err(SpaceAddressError::Owner(owner.to_owned()));
        }
        Ok(Self { owner: Some(owner.to_owned()), name })
    }

    /// A file name for its library: the name itself for a space of one's own, and
    /// `NAME@OWNER` with every byte of the owner but letters, digits, `-` and `_` written
    /// `%XX` for a shared one, so no owner reaches outside the directory or meets another.
    pub fn file_stem(&self) -> String {
        let Some(owner) = &self.owner else { return self.name.to_string() };
        let mut stem = format!("{}@", self.name);
        for byte in owner.bytes() {
            match byte {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' => stem.push(byte as char),
                other => stem.push_str(&format!("%{other:02X}")),
            }
        }
        stem
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_a_name_or_an_owner_slash_a_name() {
        let own = SpaceAddress::parse("team").expect("a name");
        assert_eq!((own.owner.clone(), own.file_stem()), (None, "team".to_owned()));
        let shared = SpaceAddress::parse("auth0|a/b/team").expect("an address");
        assert_eq!(shared.owner.as_deref(), Some("auth0|a/b"));
        assert_eq!(shared.name.as_str(), "team");
        assert_eq!(shared.file_stem(), "team@auth0%7Ca%2Fb");
        let dots = SpaceAddress::parse("../../x/team").expect("an address");
        assert_eq!(dots.file_stem(), "team@%2E%2E%2F%2E%2E%2Fx", "one file, in its directory");
        assert!(matches!(SpaceAddress::parse("/team"), Err(SpaceAddressError::Owner(_))));
        assert!(matches!(SpaceAddress::parse("a\nb/team"), Err(SpaceAddressError::Owner(_))));
        let long = format!("{}/team", "o".repeat(MAX_OWNER_BYTES + 1));
        assert!(matches!(SpaceAddress::parse(&long), Err(SpaceAddressError::Owner(_))));
        assert!(matches!(SpaceAddress::parse("alice/te am"), Err(SpaceAddressError::Name(_))));
    }

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

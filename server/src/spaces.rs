//! Whose a space is and who else may use it. A space belongs to the user who named it: one
//! user's `personal` is not another's. Its owner may use it, and so may every user the
//! operator granted it to (`promptdeck-server grant OWNER/SPACE USER`); nobody else learns
//! whether it exists.

use promptdeck_protocol::SpaceAddress;
use sqlx::AnyConnection;

use crate::error::{ApiError, ServerError};

/// A space as the server keys it: whose, and its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpaceKey {
    pub owner: String,
    pub name: String,
}

impl SpaceKey {
    /// The key of its rows. Space names have no `/`, so the last `/` splits it back
    /// whatever the owner's name holds.
    pub(crate) fn id(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }

    /// `OWNER/SPACE`, as the operator writes it and a device addresses a shared space.
    pub fn parse(address: &str) -> Result<Self, ServerError> {
        let address =
            SpaceAddress::parse(address).map_err(|e| ServerError::Config(e.to_string()))?;
        let owner = address.owner.ok_or_else(|| {
            ServerError::Config(format!(
                "name a space as OWNER/SPACE, not {:?}",
                address.name.as_str()
            ))
        })?;
        Ok(Self { owner, name: address.name.into_string() })
    }
}

impl std::fmt::Display for SpaceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

/// The version of `space` if `user` may use it, creating it when its owner first writes.
/// Another user gets the same refusal whether the space exists or not.
pub(crate) async fn space_version(
    conn: &mut AnyConnection,
    user: &str,
    space: &SpaceKey,
    create: bool,
) -> Result<i64, ApiError> {
    if user != space.owner && !granted(conn, user, space).await? {
        return Err(ApiError::Forbidden(format!(
            "{} has not shared a space {:?} with you",
            space.owner, space.name
        )));
    }
    let version: Option<(i64,)> = sqlx::query_as("SELECT version FROM spaces WHERE id = $1")
        .bind(space.id())
        .fetch_optional(&mut *conn)
        .await?;
    match version {
        Some((version,)) => Ok(version),
        None if create => {
            insert_space(conn, space).await?;
            Ok(0)
        }
        None => Ok(0),
    }
}

pub(crate) async fn granted(
    conn: &mut AnyConnection,
    user: &str,
    space: &SpaceKey,
) -> Result<bool, ApiError> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT grantee FROM grants WHERE space_id = $1 AND grantee = $2")
            .bind(space.id())
            .bind(user)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(row.is_some())
}

async fn insert_space(conn: &mut AnyConnection, space: &SpaceKey) -> Result<(), ApiError> {
    sqlx::query("INSERT INTO spaces (id, owner, name, version) VALUES ($1, $2, $3, 0)")
        .bind(space.id())
        .bind(&space.owner)
        .bind(&space.name)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_splits_at_its_last_slash_and_names_a_valid_space() {
        let key = SpaceKey::parse("https://idp.example/u/7/team").expect("parses");
        assert_eq!(key.owner, "https://idp.example/u/7");
        assert_eq!(key.name, "team");
        assert_eq!(key.to_string(), "https://idp.example/u/7/team");
        assert!(SpaceKey::parse("team").is_err(), "no owner");
        assert!(SpaceKey::parse("/team").is_err(), "an empty owner");
        assert!(SpaceKey::parse("../x/team").is_ok_and(|key| key.owner == "../x"));
        assert!(SpaceKey::parse("alice/te am").is_err(), "not a space name");
    }
}

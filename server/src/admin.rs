//! What the operator does from the command line: share a space with another user, take it
//! back, and list what is shared.

use crate::db::Db;
use crate::error::{ApiError, ServerError};
use crate::spaces::{SpaceKey, granted, space_version};

/// Lets `user` use `space` as its owner does, creating the space (empty) when its owner has
/// not written it yet. Granting twice is granting once.
pub async fn grant(database_url: &str, space: &SpaceKey, user: &str) -> Result<(), ServerError> {
    let db = Db::connect(database_url).await?;
    let (space, user) = (space.clone(), user.to_owned());
    db.transact(move |conn| {
        let (space, user) = (space.clone(), user.clone());
        Box::pin(async move {
            // As its owner: made if new.
            space_version(conn, &space.owner, &space, true).await?;
            if user != space.owner && !granted(conn, &user, &space).await? {
                sqlx::query("INSERT INTO grants (space_id, grantee) VALUES ($1, $2)")
                    .bind(space.id())
                    .bind(&user)
                    .execute(&mut *conn)
                    .await?;
            }
            Ok(())
        })
    })
    .await
    .map_err(admin_failed)
}

/// Takes `user`'s use of `space` back; their next push, pull or poke stream is refused.
/// Whether there was a grant to take.
pub async fn revoke(database_url: &str, space: &SpaceKey, user: &str) -> Result<bool, ServerError> {
    let db = Db::connect(database_url).await?;
    let (space, user) = (space.clone(), user.to_owned());
    db.transact(move |conn| {
        let (space, user) = (space.clone(), user.clone());
        Box::pin(async move {
            let done = sqlx::query("DELETE FROM grants WHERE space_id = $1 AND grantee = $2")
                .bind(space.id())
                .bind(&user)
                .execute(&mut *conn)
                .await?;
            Ok(done.rows_affected() > 0)
        })
    })
    .await
    .map_err(admin_failed)
}

/// Every grant: the space, and the user it is shared with.
pub async fn grants(database_url: &str) -> Result<Vec<(SpaceKey, String)>, ServerError> {
    let db = Db::connect(database_url).await?;
    db.transact(|conn| {
        Box::pin(async move {
            let rows: Vec<(String, String, String)> = sqlx::query_as(
                "SELECT s.owner, s.name, g.grantee FROM grants g JOIN spaces s ON s.id = g.space_id
                 ORDER BY s.owner, s.name, g.grantee",
            )
            .fetch_all(&mut *conn)
            .await?;
            Ok(rows
                .into_iter()
                .map(|(owner, name, grantee)| (SpaceKey { owner, name }, grantee))
                .collect())
        })
    })
    .await
    .map_err(admin_failed)
}

fn admin_failed(error: ApiError) -> ServerError {
    match error {
        ApiError::Database(e) => ServerError::Database(e),
        other => ServerError::Config(other.to_string()),
    }
}

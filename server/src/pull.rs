//! Pull: everything that changed in the space since the client's cookie.

use std::collections::BTreeMap;

use promptdeck_protocol::wire::{
    Cookie, JsonText, PULL_VERSION, PatchOp, PullRequest, PullResponse, VersionType,
};
use sqlx::AnyConnection;

use crate::db::{self, Db};
use crate::error::ApiError;
use crate::spaces::{SpaceKey, space_version};

pub(crate) async fn pull(
    db: &Db,
    user: &str,
    space: &SpaceKey,
    request: &PullRequest,
) -> Result<PullResponse, ApiError> {
    if request.pull_version != PULL_VERSION {
        return Err(ApiError::VersionNotSupported(VersionType::Pull));
    }
    let since = match &request.cookie.0 {
        serde_json::Value::Null => None,
        cookie => Some(cookie.as_i64().filter(|v| *v >= 0).ok_or_else(|| {
            ApiError::BadRequest(format!("this server's cookies are whole numbers, not {cookie}"))
        })?),
    };
    let (user, space, group) = (user.to_owned(), space.clone(), request.client_group_id.clone());
    db.transact(move |conn| {
        let (user, space, group) = (user.clone(), space.clone(), group.clone());
        Box::pin(async move { answer(conn, &user, &space, &group, since).await })
    })
    .await
}

async fn answer(
    conn: &mut AnyConnection,
    user: &str,
    space: &SpaceKey,
    group: &str,
    since: Option<i64>,
) -> Result<PullResponse, ApiError> {
    let version = space_version(conn, user, space, false).await?;
    let known = db::client_group(conn, user, space, group, since.is_none()).await?;
    // A group we never saw, or a cookie from a future this server does not have (its
    // database was restored): the client must start over.
    if !known || since.is_some_and(|s| s > version) {
        return Err(ApiError::ClientStateNotFound);
    }
    let from = since.unwrap_or(0);
    let changed: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT key, value, deleted FROM entries WHERE space_id = $1 AND version > $2 ORDER BY key",
    )
    .bind(space.id())
    .bind(from)
    .fetch_all(&mut *conn)
    .await?;
    let mut patch = Vec::with_capacity(changed.len() + 1);
    if since.is_none() {
        patch.push(PatchOp::Clear);
    }
    for (key, value, deleted) in changed {
        if deleted != 0 {
            if since.is_some() {
                patch.push(PatchOp::Del { key });
            }
            continue;
        }
        let value = JsonText::from_string(value).map_err(|e| {
            ApiError::BadRequest(format!("stored value of {key} is unreadable: {e}"))
        })?;
        patch.push(PatchOp::Put { key, value });
    }
    let acknowledged: Vec<(String, i64)> =
        sqlx::query_as("SELECT id, last_mutation_id FROM clients WHERE owner = $1 AND client_group_id = $2 AND last_modified_version > $3")
            .bind(user)
            .bind(group)
            .bind(from)
            .fetch_all(&mut *conn)
            .await?;
    let last_mutation_id_changes: BTreeMap<String, u64> =
        acknowledged.into_iter().map(|(client, id)| (client, id as u64)).collect();
    Ok(PullResponse { cookie: Cookie(version.into()), last_mutation_id_changes, patch })
}

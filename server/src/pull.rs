//! Pull: everything that changed in the space since the client's cookie, written out page
//! by page as it is read, so a large space is never held whole in memory.

use std::collections::BTreeMap;

use axum::body::{Body, Bytes};
use promptdeck_protocol::learned::{LEARNED_END, LEARNED_PREFIX};
use promptdeck_protocol::wire::{
    Cookie, JsonText, PULL_VERSION, PatchOp, PullRequest, VersionType,
};
use sqlx::AnyConnection;

use crate::db::{self, Db};
use crate::error::ApiError;
use crate::spaces::{SpaceKey, space_version};

/// Entries read at once: at most this many bodies of the largest size are held per pull.
const PAGE: i64 = 128;

/// The answer to a pull, as a JSON body that streams.
pub(crate) async fn pull(
    db: &Db,
    user: &str,
    space: &SpaceKey,
    request: &PullRequest,
) -> Result<Body, ApiError> {
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
    let head = {
        let (user, space) = (user.clone(), space.clone());
        db.transact(move |conn| {
            let (user, space, group) = (user.clone(), space.clone(), group.clone());
            Box::pin(async move { head(conn, &user, &space, &group, since).await })
        })
        .await?
    };
    let pages = Pages {
        db: db.clone(),
        space_id: space.id(),
        until: head.version,
        initial: since.is_none(),
        after: since.unwrap_or(0),
        opened_patch: since.is_none(),
        done: false,
        learned_hidden: user != space.owner,
    };
    Ok(Body::from_stream(futures_util::stream::unfold(
        (Some(head.opening()), pages),
        |(opening, mut pages)| async move {
            if let Some(opening) = opening {
                return Some((Ok(opening), (None, pages)));
            }
            let chunk = pages.next().await?;
            Some((chunk, (None, pages)))
        },
    )))
}

/// What a pull answers before its patch: the version it brings the client to, and which of
/// the group's mutations that version holds.
struct Head {
    version: i64,
    acknowledged: BTreeMap<String, u64>,
    initial: bool,
}

impl Head {
    /// The answer up to its patch's first entry.
    fn opening(&self) -> Bytes {
        let mut text = format!(
            "{{\"cookie\":{},\"lastMutationIDChanges\":{},\"patch\":[",
            serde_json::to_string(&Cookie(self.version.into())).expect("a number"),
            serde_json::to_string(&self.acknowledged).expect("a map of numbers")
        );
        if self.initial {
            text.push_str(&serde_json::to_string(&PatchOp::Clear).expect("an op"));
        }
        Bytes::from(text)
    }
}

async fn head(
    conn: &mut AnyConnection,
    user: &str,
    space: &SpaceKey,
    group: &str,
    since: Option<i64>,
) -> Result<Head, ApiError> {
    let version = space_version(conn, user, space, false).await?;
    let known = db::client_group(conn, user, space, group, since.is_none()).await?;
    // A group we never saw, or a cookie from a future this server does not have (its
    // database was restored): the client must start over.
    if !known || since.is_some_and(|s| s > version) {
        return Err(ApiError::ClientStateNotFound);
    }
    let acknowledged: Vec<(String, i64)> = sqlx::query_as(
        "SELECT id, last_mutation_id FROM clients
         WHERE owner = $1 AND client_group_id = $2 AND last_modified_version > $3",
    )
    .bind(user)
    .bind(group)
    .bind(since.unwrap_or(0))
    .fetch_all(&mut *conn)
    .await?;
    let acknowledged = acknowledged.into_iter().map(|(client, id)| (client, id as u64)).collect();
    Ok(Head { version, acknowledged, initial: since.is_none() })
}

/// The patch, read a page at a time in version order, each page in a transaction of its
/// own, so a slow reader holds no database connection. A version names one entry (a
/// mutation writes each key it changes at a version of its own), so the last one read is
/// where the next page starts. Only entries at or below the version the head announced are sent: one changed
/// while the pull is read has a later version, comes in the next pull, and its change
/// poked the client to make one.
struct Pages {
    db: Db,
    space_id: String,
    until: i64,
    initial: bool,
    /// The version the last page ended at.
    after: i64,
    /// Whether an op is written (the opening's clear op counts): the next follows a comma.
    opened_patch: bool,
    done: bool,
    /// What is learned in a space is its owner's: a user it is shared with is not sent it.
    learned_hidden: bool,
}

impl Pages {
    /// The next page's ops as JSON, the closing of the answer after the last, then nothing.
    async fn next(&mut self) -> Option<Result<Bytes, ApiError>> {
        if self.done {
            return None;
        }
        let rows = match self.read().await {
            Ok(rows) => rows,
            Err(e) => {
                self.done = true;
                tracing::warn!(error = %e, "a pull failed part way; the client pulls again");
                return Some(Err(e));
            }
        };
        let last_page = (rows.len() as i64) < PAGE;
        let mut text = String::new();
        for (key, value, deleted, version) in rows {
            self.after = version;
            let op = match deleted {
                0 => match JsonText::from_string(value) {
                    Ok(value) => PatchOp::Put { key, value },
                    Err(e) => {
                        self.done = true;
                        let reason = format!("stored value of {key} is unreadable: {e}");
                        return Some(Err(ApiError::BadRequest(reason)));
                    }
                },
                // A first pull starts from nothing: what was deleted is not there to delete.
                _ if self.initial => continue,
                _ => PatchOp::Del { key },
            };
            if self.opened_patch {
                text.push(',');
            }
            text.push_str(&serde_json::to_string(&op).expect("an op"));
            self.opened_patch = true;
        }
        if last_page {
            text.push_str("]}");
            self.done = true;
        }
        Some(Ok(Bytes::from(text)))
    }

    async fn read(&self) -> Result<Vec<(String, String, i64, i64)>, ApiError> {
        let (space, after, until) = (self.space_id.clone(), self.after, self.until);
        // An empty range where nothing is hidden: every key is at or after "".
        let (hidden_from, hidden_to) = match self.learned_hidden {
            true => (LEARNED_PREFIX, LEARNED_END),
            false => ("", ""),
        };
        self.db
            .transact(move |conn| {
                let space = space.clone();
                Box::pin(async move {
                    let rows = sqlx::query_as(
                        "SELECT key, value, deleted, version FROM entries
                         WHERE space_id = $1 AND version > $2 AND version <= $3
                         AND (key < $5 OR key >= $6)
                         ORDER BY version LIMIT $4",
                    )
                    .bind(space)
                    .bind(after)
                    .bind(until)
                    .bind(PAGE)
                    .bind(hidden_from)
                    .bind(hidden_to)
                    .fetch_all(&mut *conn)
                    .await?;
                    Ok(rows)
                })
            })
            .await
    }
}

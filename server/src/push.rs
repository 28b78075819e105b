//! Push: each mutation in its own serializable transaction, in order, exactly once.

use std::collections::{BTreeMap, BTreeSet};

use promptdeck_protocol::learned::{KEPT_QUERIES, LEARNED_END, LEARNED_PREFIX};
use promptdeck_protocol::wire::{MutationRecord, PUSH_VERSION, PushRequest, VersionType};
use promptdeck_protocol::{MemoryKv, Mutation, PromptId, Touches};
use sqlx::AnyConnection;

use crate::db::{self, Db};
use crate::error::ApiError;
use crate::limits::{Limits, Quotas};
use crate::spaces::{SpaceKey, space_version};

/// Processes at most `limits.mutations_per_push` of the push's mutations not processed
/// before; the client pushes the rest again, since they stay pending until a pull says they
/// were processed. One over a quota stops the push there, refused: the client keeps it
/// pending, as it keeps everything the server has not taken.
pub(crate) async fn push(
    db: &Db,
    user: &str,
    space: &SpaceKey,
    request: &PushRequest,
    limits: &Limits,
) -> Result<(), ApiError> {
    let most = limits.mutations_per_push;
    if request.push_version != PUSH_VERSION {
        return Err(ApiError::VersionNotSupported(VersionType::Push));
    }
    let mut processed = 0;
    for mutation in &request.mutations {
        if processed == most {
            tracing::info!(
                mutations = request.mutations.len(),
                processed,
                "a push larger than the limit; the rest wait for the next push"
            );
            break;
        }
        let at = Place {
            user: user.to_owned(),
            space: space.clone(),
            group: request.client_group_id.clone(),
            quotas: limits.quotas,
        };
        let applied = db
            .transact(move |conn| {
                let (at, mutation) = (at.clone(), mutation.clone());
                Box::pin(async move { process(conn, &at, &mutation).await })
            })
            .await?;
        if applied == Processed::Now {
            processed += 1;
        }
    }
    Ok(())
}

/// Whether a mutation was processed by this push or before it.
#[derive(PartialEq)]
enum Processed {
    Now,
    Before,
}

/// Whose mutation, in which space, from which client group, and what that space may hold.
#[derive(Clone)]
struct Place {
    user: String,
    space: SpaceKey,
    group: String,
    quotas: Quotas,
}

/// Applies one mutation unless already processed. A mutation that fails its own checks is
/// still marked processed (Replicache's error mode), so a client is never wedged behind it.
async fn process(
    conn: &mut AnyConnection,
    at: &Place,
    record: &MutationRecord,
) -> Result<Processed, ApiError> {
    let Place { user, space, group, .. } = at;
    let version = space_version(conn, user, space, true).await?;
    db::client_group(conn, user, space, group, true).await?;
    let last = last_mutation_id(conn, user, group, &record.client_id).await?;
    let expected = last + 1;
    if record.id < expected {
        return Ok(Processed::Before);
    }
    if record.id > expected {
        return Err(ApiError::BadRequest(format!(
            "mutation {} of client {} arrived before mutation {expected}",
            record.id, record.client_id
        )));
    }
    // Even a mutation without effect moves the space on: the client's acknowledgement is
    // a change a pull must carry.
    let next = match Mutation::from_parts(&record.name, record.args.clone()) {
        Ok(mutation) => apply(conn, at, version + 1, &mutation).await?.max(version + 1),
        Err(e) => {
            tracing::warn!(client = %record.client_id, id = record.id, error = %e, "unreadable mutation marked processed");
            version + 1
        }
    };
    sqlx::query(
        "UPDATE clients SET last_mutation_id = $1, last_modified_version = $2 WHERE owner = $3 AND id = $4",
    )
    .bind(record.id as i64)
    .bind(next)
    .bind(user)
    .bind(&record.client_id)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE spaces SET version = $1 WHERE id = $2")
        .bind(next)
        .bind(space.id())
        .execute(&mut *conn)
        .await?;
    Ok(Processed::Now)
}

/// The client's last processed mutation id, registering the client on first sight.
async fn last_mutation_id(
    conn: &mut AnyConnection,
    user: &str,
    group: &str,
    client: &str,
) -> Result<u64, ApiError> {
    let row: Option<(String, i64)> = sqlx::query_as(
        "SELECT client_group_id, last_mutation_id FROM clients WHERE owner = $1 AND id = $2",
    )
    .bind(user)
    .bind(client)
    .fetch_optional(&mut *conn)
    .await?;
    match row {
        Some((g, _)) if g != group => {
            Err(ApiError::BadRequest(format!("client {client} belongs to another client group")))
        }
        Some((_, last)) => Ok(last as u64),
        None => {
            sqlx::query("INSERT INTO clients (owner, id, client_group_id, last_mutation_id, last_modified_version) VALUES ($1, $2, $3, 0, 0)")
                .bind(user)
                .bind(client)
                .bind(group)
                .execute(&mut *conn)
                .await?;
            Ok(0)
        }
    }
}

/// Runs the mutator over the keys it touches, and stores what it changed, each key at a
/// version of its own from `version` on (a version names one entry: pulls page by it), if
/// what it adds fits the space's and its owner's quotas. What was learned in a space is its
/// owner's: another user's `learnPick` or `forgetLearned` there has no effect. Returns the
/// last version used (`version - 1` when nothing was written).
async fn apply(
    conn: &mut AnyConnection,
    at: &Place,
    version: i64,
    mutation: &Mutation,
) -> Result<i64, ApiError> {
    let Place { user, space, quotas, .. } = at;
    if mutation.prompt_id().is_none() && *user != space.owner {
        tracing::info!(
            mutation = mutation.name(),
            "what is learned in a space is its owner's; marked processed without effect"
        );
        return Ok(version - 1);
    }
    let current = read_touched(conn, space, &mutation.touches()).await?;
    let mut kv = MemoryKv::default();
    for (key, (value, deleted)) in &current {
        if *deleted == 0 {
            let value = serde_json::from_str(value).map_err(|e| {
                ApiError::BadRequest(format!("stored value of {key} is unreadable: {e}"))
            })?;
            kv.0.insert(key.clone(), value);
        }
    }
    if let Err(e) = mutation.apply(&mut kv) {
        tracing::info!(mutation = mutation.name(), error = %e, "mutation rejected by its mutator; marked processed without effect");
        return Ok(version - 1);
    }
    let keys: BTreeSet<&String> = current.keys().chain(kv.0.keys()).collect();
    let mut writes = Vec::new();
    let mut grown = Held { prompts: 0, bytes: 0 };
    for key in keys {
        let before = current.get(key).filter(|(_, deleted)| *deleted == 0);
        let after = kv.0.get(key).map(|value| value.to_string());
        if before.map(|(value, _)| value) == after.as_ref() {
            continue;
        }
        let counts = i64::from(PromptId::from_key(key).is_some());
        let held = |value: Option<&String>| value.map_or((0, 0), |v| (counts, v.len() as i64));
        let (prompts_before, bytes_before) = held(before.map(|(value, _)| value));
        let (prompts_after, bytes_after) = held(after.as_ref());
        grown.prompts += prompts_after - prompts_before;
        grown.bytes += bytes_after - bytes_before;
        writes.push((key.clone(), after));
    }
    check_quotas(conn, space, *quotas, grown).await?;
    add_held(conn, space, grown).await?;
    let mut last = version - 1;
    for (key, value) in writes {
        last += 1;
        write_entry(conn, space, &key, value, last).await?;
    }
    if matches!(mutation, Mutation::LearnPick(_)) {
        last = forget_oldest_learned(conn, space, last).await?;
    }
    Ok(last)
}

/// What the keys a mutation touches hold now: value and whether deleted, by key.
async fn read_touched(
    conn: &mut AnyConnection,
    space: &SpaceKey,
    touches: &Touches,
) -> Result<BTreeMap<String, (String, i64)>, ApiError> {
    let rows: Vec<(String, String, i64)> = match touches {
        Touches::Key(key) => {
            sqlx::query_as(
                "SELECT key, value, deleted FROM entries WHERE space_id = $1 AND key = $2",
            )
            .bind(space.id())
            .bind(key)
            .fetch_all(&mut *conn)
            .await?
        }
        Touches::Prefix(prefix) => {
            sqlx::query_as(
                "SELECT key, value, deleted FROM entries
                 WHERE space_id = $1 AND key >= $2 AND key < $3 AND deleted = 0",
            )
            .bind(space.id())
            .bind(*prefix)
            .bind(prefix_end(prefix))
            .fetch_all(&mut *conn)
            .await?
        }
    };
    Ok(rows.into_iter().map(|(key, value, deleted)| (key, (value, deleted))).collect())
}

/// The first string after every one that starts with `prefix` (an ASCII prefix).
fn prefix_end(prefix: &str) -> String {
    let mut end = prefix.as_bytes().to_vec();
    if let Some(last) = end.last_mut() {
        *last += 1;
    }
    String::from_utf8_lossy(&end).into_owned()
}

async fn add_held(conn: &mut AnyConnection, space: &SpaceKey, grown: Held) -> Result<(), ApiError> {
    sqlx::query("UPDATE spaces SET prompts = prompts + $1, bytes = bytes + $2 WHERE id = $3")
        .bind(grown.prompts)
        .bind(grown.bytes)
        .bind(space.id())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Stores `value` under `key` (`None`: deleted) at `version`.
async fn write_entry(
    conn: &mut AnyConnection,
    space: &SpaceKey,
    key: &str,
    value: Option<String>,
    version: i64,
) -> Result<(), ApiError> {
    let deleted = i64::from(value.is_none());
    sqlx::query(
        "INSERT INTO entries (space_id, key, value, deleted, version) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (space_id, key) DO UPDATE SET value = excluded.value, deleted = excluded.deleted, version = excluded.version",
    )
    .bind(space.id())
    .bind(key)
    .bind(value.unwrap_or_else(|| "null".to_owned()))
    .bind(deleted)
    .bind(version)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Past [`KEPT_QUERIES`] learned queries in the space, the ones picked for longest ago
/// (written at the lowest versions) are forgotten, each at a version after `last`. Returns
/// the last version used.
async fn forget_oldest_learned(
    conn: &mut AnyConnection,
    space: &SpaceKey,
    mut last: i64,
) -> Result<i64, ApiError> {
    let (held,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM entries WHERE space_id = $1 AND key >= $2 AND key < $3 AND deleted = 0",
    )
    .bind(space.id())
    .bind(LEARNED_PREFIX)
    .bind(LEARNED_END)
    .fetch_one(&mut *conn)
    .await?;
    let excess = held - KEPT_QUERIES as i64;
    if excess <= 0 {
        return Ok(last);
    }
    let oldest: Vec<(String, String)> = sqlx::query_as(
        "SELECT key, value FROM entries WHERE space_id = $1 AND key >= $2 AND key < $3 AND deleted = 0
         ORDER BY version, key LIMIT $4",
    )
    .bind(space.id())
    .bind(LEARNED_PREFIX)
    .bind(LEARNED_END)
    .bind(excess)
    .fetch_all(&mut *conn)
    .await?;
    let freed: i64 = oldest.iter().map(|(_, value)| value.len() as i64).sum();
    add_held(conn, space, Held { prompts: 0, bytes: -freed }).await?;
    for (key, _) in oldest {
        last += 1;
        write_entry(conn, space, &key, None, last).await?;
    }
    Ok(last)
}

/// What a mutation adds to a space: live prompts, and their bytes.
#[derive(Clone, Copy)]
struct Held {
    prompts: i64,
    bytes: i64,
}

/// Refuses what grows a space past its prompts or its owner past their bytes; what does not
/// grow always passes.
async fn check_quotas(
    conn: &mut AnyConnection,
    space: &SpaceKey,
    quotas: Quotas,
    grown: Held,
) -> Result<(), ApiError> {
    if grown.prompts > 0 {
        let (prompts,): (i64,) = sqlx::query_as("SELECT prompts FROM spaces WHERE id = $1")
            .bind(space.id())
            .fetch_one(&mut *conn)
            .await?;
        if (prompts + grown.prompts) as u64 > quotas.prompts_per_space {
            return Err(ApiError::OverQuota(format!(
                "the space {} holds {prompts} prompts, as many as this server keeps in a space \
                 ({}); delete some, or ask its operator to raise --max-prompts-per-space",
                space.name, quotas.prompts_per_space
            )));
        }
    }
    if grown.bytes > 0 {
        let (bytes,): (i64,) = sqlx::query_as(
            "SELECT CAST(COALESCE(SUM(bytes), 0) AS BIGINT) FROM spaces WHERE owner = $1",
        )
        .bind(&space.owner)
        .fetch_one(&mut *conn)
        .await?;
        if (bytes + grown.bytes) as u64 > quotas.bytes_per_user {
            return Err(ApiError::OverQuota(format!(
                "{} keeps {bytes} bytes of prompts on this server and this change adds {}, past \
                 the {} each user may keep; delete or shorten some, or ask its operator to \
                 raise --max-bytes-per-user",
                space.owner, grown.bytes, quotas.bytes_per_user
            )));
        }
    }
    Ok(())
}

//! Push: each mutation in its own serializable transaction, in order, exactly once.

use promptdeck_protocol::wire::{MutationRecord, PUSH_VERSION, PushRequest, VersionType};
use promptdeck_protocol::{Kv, MemoryKv, Mutation};
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
    let Place { user, space, group, quotas } = at;
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
    let next = version + 1;
    match Mutation::from_parts(&record.name, record.args.clone()) {
        Ok(mutation) => apply(conn, space, *quotas, next, &mutation).await?,
        Err(e) => {
            tracing::warn!(client = %record.client_id, id = record.id, error = %e, "unreadable mutation marked processed")
        }
    }
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

/// Runs the mutator over the one key it touches, and stores the result at `version`, if
/// what it adds fits the space's and its owner's quotas.
async fn apply(
    conn: &mut AnyConnection,
    space: &SpaceKey,
    quotas: Quotas,
    version: i64,
    mutation: &Mutation,
) -> Result<(), ApiError> {
    let space_id = space.id();
    let key = mutation.prompt_id().key();
    let current: Option<(String, i64)> =
        sqlx::query_as("SELECT value, deleted FROM entries WHERE space_id = $1 AND key = $2")
            .bind(&space_id)
            .bind(&key)
            .fetch_optional(&mut *conn)
            .await?;
    let mut kv = MemoryKv::default();
    if let Some((value, 0)) = &current {
        let value = serde_json::from_str(value).map_err(|e| {
            ApiError::BadRequest(format!("stored value of {key} is unreadable: {e}"))
        })?;
        kv.0.insert(key.clone(), value);
    }
    if let Err(e) = mutation.apply(&mut kv) {
        tracing::info!(%key, error = %e, "mutation rejected by its mutator; marked processed without effect");
        return Ok(());
    }
    let after = kv.get(&key).unwrap_or(None);
    let (value, deleted) = match after {
        Some(value) => (value.to_string(), 0i64),
        None if current.is_some() => ("null".to_owned(), 1),
        None => return Ok(()),
    };
    let held = |value: &str, deleted: i64| match deleted {
        0 => (1i64, value.len() as i64),
        _ => (0, 0),
    };
    let (prompts_before, bytes_before) =
        current.as_ref().map_or((0, 0), |(value, deleted)| held(value, *deleted));
    let (prompts_after, bytes_after) = held(&value, deleted);
    let grown = Held { prompts: prompts_after - prompts_before, bytes: bytes_after - bytes_before };
    check_quotas(conn, space, quotas, grown).await?;
    sqlx::query("UPDATE spaces SET prompts = prompts + $1, bytes = bytes + $2 WHERE id = $3")
        .bind(grown.prompts)
        .bind(grown.bytes)
        .bind(&space_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO entries (space_id, key, value, deleted, version) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (space_id, key) DO UPDATE SET value = excluded.value, deleted = excluded.deleted, version = excluded.version",
    )
    .bind(&space_id)
    .bind(&key)
    .bind(value)
    .bind(deleted)
    .bind(version)
    .execute(&mut *conn)
    .await?;
    Ok(())
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

//! The database: one schema for SQLite and PostgreSQL, and serializable transactions that
//! are retried when the database says they conflicted.

use std::time::Duration;

use futures_util::future::BoxFuture;
use sqlx::AnyConnection;
use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Executor};

use crate::error::{ApiError, ServerError};

const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS spaces (
        id TEXT PRIMARY KEY, owner TEXT NOT NULL, version BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS client_groups (
        id TEXT PRIMARY KEY, space_id TEXT NOT NULL, owner TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS clients (
        id TEXT PRIMARY KEY, client_group_id TEXT NOT NULL,
        last_mutation_id BIGINT NOT NULL, last_modified_version BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS entries (
        space_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
        deleted BIGINT NOT NULL, version BIGINT NOT NULL, PRIMARY KEY (space_id, key))",
    "CREATE INDEX IF NOT EXISTS entries_by_version ON entries (space_id, version)",
    "CREATE INDEX IF NOT EXISTS clients_by_group ON clients (client_group_id, last_modified_version)",
];

/// How long conflicting transactions are retried before the client sees an error. Under
/// PostgreSQL's serializable isolation, small tables put many rows on one index page, so
/// transactions of different spaces conflict too: retries are the normal path, not a rare
/// one.
const RETRY_BUDGET: Duration = Duration::from_secs(10);
/// The longest pause between two attempts.
const MAX_BACKOFF: Duration = Duration::from_millis(100);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub(crate) struct Db {
    pool: AnyPool,
    backend: Backend,
}

impl Db {
    pub(crate) async fn connect(url: &str) -> Result<Self, ServerError> {
        sqlx::any::install_default_drivers();
        let (backend, url) = if url.starts_with("sqlite:") {
            // Create the file when missing; a server that needs no set-up.
            let url = if url.contains("mode=") {
                url.to_owned()
            } else {
                format!("{url}{}mode=rwc", if url.contains('?') { '&' } else { '?' })
            };
            (Backend::Sqlite, url)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            (Backend::Postgres, url.to_owned())
        } else {
            return Err(ServerError::Config(format!(
                "the database URL must start with sqlite: or postgres:, not {url:?}"
            )));
        };
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 4 } else { 16 })
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA synchronous = NORMAL").await?;
                        conn.execute("PRAGMA busy_timeout = 5000").await?;
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await?;
        for statement in SCHEMA {
            pool.execute(*statement).await?;
        }
        Ok(Self { pool, backend })
    }

    /// Whether `user` may follow `space`'s pokes: it is theirs, or nobody's yet.
    pub(crate) async fn may_follow(&self, user: &str, space: &str) -> Result<(), ApiError> {
        let (user, space) = (user.to_owned(), space.to_owned());
        self.transact(move |conn| {
            let (user, space) = (user.clone(), space.clone());
            Box::pin(async move { space_version(conn, &user, &space, false).await.map(drop) })
        })
        .await
    }

    /// The connection pool, when the database is PostgreSQL.
    pub(crate) fn postgres_pool(&self) -> Option<AnyPool> {
        (self.backend == Backend::Postgres).then(|| self.pool.clone())
    }

    /// Runs `body` in a serializable transaction, again when the database reports a
    /// conflict with a concurrent one, so concurrent pushes never lose a mutation.
    pub(crate) async fn transact<T>(
        &self,
        mut body: impl for<'c> FnMut(&'c mut AnyConnection) -> BoxFuture<'c, Result<T, ApiError>>,
    ) -> Result<T, ApiError> {
        let started = std::time::Instant::now();
        let mut attempt = 0u32;
        loop {
            let mut tx = self.pool.begin().await?;
            if self.backend == Backend::Postgres {
                tx.execute("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE").await?;
            }
            // Dropping an uncommitted transaction rolls it back.
            let result = match body(&mut tx).await {
                Ok(value) => tx.commit().await.map(|()| value).map_err(ApiError::from),
                Err(e) => Err(e),
            };
            match result {
                Err(ApiError::Database(e))
                    if conflicted(&e) && started.elapsed() < RETRY_BUDGET =>
                {
                    attempt += 1;
                    // Full jitter: transactions that collided once must not collide again.
                    let ceiling = Duration::from_millis(1 << attempt.min(7)).min(MAX_BACKOFF);
                    tokio::time::sleep(ceiling.mul_f64(fastrand::f64())).await;
                }
                other => return other,
            }
        }
    }
}

/// SQLite BUSY / LOCKED, PostgreSQL serialization failure / deadlock, and on both a unique
/// key that a concurrent transaction inserted first (every insert here follows a lookup,
/// so on the next attempt the row is found).
fn conflicted(error: &sqlx::Error) -> bool {
    let sqlx::Error::Database(e) = error else { return false };
    matches!(
        e.code().as_deref(),
        Some("5" | "6" | "517" | "1555" | "2067" | "40001" | "40P01" | "23505")
    )
}

/// The version of `space`, creating it for `user` when new; another user's space is
/// refused.
pub(crate) async fn space_version(
    conn: &mut AnyConnection,
    user: &str,
    space: &str,
    create: bool,
) -> Result<i64, ApiError> {
    let row: Option<(String, i64)> =
        sqlx::query_as("SELECT owner, version FROM spaces WHERE id = $1")
            .bind(space)
            .fetch_optional(&mut *conn)
            .await?;
    match row {
        Some((owner, _)) if owner != user => {
            Err(ApiError::Forbidden(format!("space {space:?} belongs to another user")))
        }
        Some((_, version)) => Ok(version),
        None if create => {
            sqlx::query("INSERT INTO spaces (id, owner, version) VALUES ($1, $2, 0)")
                .bind(space)
                .bind(user)
                .execute(&mut *conn)
                .await?;
            Ok(0)
        }
        None => Ok(0),
    }
}

/// Whether the client group exists (for this user and space); creates it when `create`.
pub(crate) async fn client_group(
    conn: &mut AnyConnection,
    user: &str,
    space: &str,
    group: &str,
    create: bool,
) -> Result<bool, ApiError> {
    let row: Option<(String, String)> =
        sqlx::query_as("SELECT space_id, owner FROM client_groups WHERE id = $1")
            .bind(group)
            .fetch_optional(&mut *conn)
            .await?;
    match row {
        Some((s, owner)) if s != space || owner != user => Err(ApiError::Forbidden(format!(
            "client group {group:?} belongs to another space or user"
        ))),
        Some(_) => Ok(true),
        None if create => {
            sqlx::query("INSERT INTO client_groups (id, space_id, owner) VALUES ($1, $2, $3)")
                .bind(group)
                .bind(space)
                .bind(user)
                .execute(&mut *conn)
                .await?;
            Ok(true)
        }
        None => Ok(false),
    }
}

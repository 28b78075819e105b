//! The database: one schema for SQLite and PostgreSQL, and serializable transactions that
//! are retried when the database says they conflicted.

use std::time::Duration;

use futures_util::future::BoxFuture;
use sqlx::AnyConnection;
use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Executor};

use crate::error::{ApiError, ServerError};
use crate::spaces::{SpaceKey, space_version};

/// The first schema, as servers before owner-keyed spaces wrote it. Every database starts
/// here and is brought forward by [`MIGRATIONS`], so a new one and an old one take the same
/// path.
pub(crate) const FIRST_SCHEMA: &[&str] = &[
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
    "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)",
];

/// Each migration takes the schema from its index + 1 to the next, in one transaction.
const MIGRATIONS: &[&[Step]] = &[
    // 1 -> 2: spaces, client groups and clients keyed by their owner. A space's rows are
    // keyed by `OWNER/NAME` (see `SpaceKey::id`); before, by the name alone, which the
    // first user to write it took from everyone else.
    &[
        Both("CREATE TABLE spaces_2 (
            id TEXT PRIMARY KEY, owner TEXT NOT NULL, name TEXT NOT NULL,
            version BIGINT NOT NULL, UNIQUE (owner, name))"),
        Both("INSERT INTO spaces_2 (id, owner, name, version)
            SELECT owner || '/' || id, owner, id, version FROM spaces"),
        Both("UPDATE entries SET space_id = (SELECT owner || '/' || id FROM spaces WHERE spaces.id = entries.space_id)
            WHERE space_id IN (SELECT id FROM spaces)"),
        Both("CREATE TABLE client_groups_2 (
            owner TEXT NOT NULL, id TEXT NOT NULL, space_id TEXT NOT NULL, PRIMARY KEY (owner, id))"),
        Both("INSERT INTO client_groups_2 (owner, id, space_id)
            SELECT owner, id, owner || '/' || space_id FROM client_groups"),
        Both("CREATE TABLE clients_2 (
            owner TEXT NOT NULL, id TEXT NOT NULL, client_group_id TEXT NOT NULL,
            last_mutation_id BIGINT NOT NULL, last_modified_version BIGINT NOT NULL,
            PRIMARY KEY (owner, id))"),
        Both("INSERT INTO clients_2 (owner, id, client_group_id, last_mutation_id, last_modified_version)
            SELECT g.owner, c.id, c.client_group_id, c.last_mutation_id, c.last_modified_version
            FROM clients c JOIN client_groups g ON g.id = c.client_group_id"),
        Both("DROP TABLE clients"),
        Both("DROP TABLE client_groups"),
        Both("DROP TABLE spaces"),
        Both("ALTER TABLE spaces_2 RENAME TO spaces"),
        Both("ALTER TABLE client_groups_2 RENAME TO client_groups"),
        Both("ALTER TABLE clients_2 RENAME TO clients"),
        Both("CREATE INDEX clients_by_group ON clients (owner, client_group_id, last_modified_version)"),
        Both("CREATE TABLE grants (
            space_id TEXT NOT NULL, grantee TEXT NOT NULL, PRIMARY KEY (space_id, grantee))"),
    ],
    // 2 -> 3: what each space holds (live prompts, their bytes) for the quotas, counted
    // from what is there.
    &[
        Both("ALTER TABLE spaces ADD COLUMN prompts BIGINT NOT NULL DEFAULT 0"),
        Both("ALTER TABLE spaces ADD COLUMN bytes BIGINT NOT NULL DEFAULT 0"),
        Both("UPDATE spaces SET prompts = (SELECT COUNT(*) FROM entries
            WHERE entries.space_id = spaces.id AND entries.deleted = 0)"),
        Sqlite("UPDATE spaces SET bytes = (SELECT COALESCE(SUM(LENGTH(CAST(value AS BLOB))), 0)
            FROM entries WHERE entries.space_id = spaces.id AND entries.deleted = 0)"),
        Postgres("UPDATE spaces SET bytes = (SELECT COALESCE(SUM(OCTET_LENGTH(value)), 0)
            FROM entries WHERE entries.space_id = spaces.id AND entries.deleted = 0)"),
    ],
];

/// One statement of a migration, for both databases or for one of them where their SQL
/// differs.
enum Step {
    Both(&'static str),
    Sqlite(&'static str),
    Postgres(&'static str),
}
use Step::{Both, Postgres, Sqlite};

/// The schema this server reads and writes.
const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64 + 1;

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
        migrate(&pool, backend).await?;
        Ok(Self { pool, backend })
    }

    /// Whether `user` may follow `space`'s pokes: they may use it.
    pub(crate) async fn may_follow(&self, user: &str, space: &SpaceKey) -> Result<(), ApiError> {
        let (user, space) = (user.to_owned(), space.clone());
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

/// Brings the database's schema to [`SCHEMA_VERSION`]; refuses one a newer server wrote.
async fn migrate(pool: &AnyPool, backend: Backend) -> Result<(), ServerError> {
    for statement in FIRST_SCHEMA {
        pool.execute(*statement).await?;
    }
    let mut tx = pool.begin().await?;
    // Servers starting together on one database migrate it once: the first to write holds
    // the others back until it commits.
    match backend {
        Backend::Postgres => tx.execute("LOCK TABLE schema_version IN EXCLUSIVE MODE").await?,
        Backend::Sqlite => tx.execute("UPDATE schema_version SET version = version").await?,
    };
    let found: Option<(i64,)> =
        sqlx::query_as("SELECT version FROM schema_version").fetch_optional(&mut *tx).await?;
    let found = found.map_or(1, |(version,)| version);
    if found > SCHEMA_VERSION {
        return Err(ServerError::Config(format!(
            "the database has schema version {found}, newer than this server's \
             {SCHEMA_VERSION}: run the promptdeck-server that wrote it, or a newer one"
        )));
    }
    for (at, migration) in MIGRATIONS.iter().enumerate().skip((found - 1) as usize) {
        tracing::info!(from = at + 1, to = at + 2, "bringing the database's schema forward");
        for step in *migration {
            match (step, backend) {
                (Both(sql), _)
                | (Sqlite(sql), Backend::Sqlite)
                | (Postgres(sql), Backend::Postgres) => {
                    tx.execute(*sql).await?;
                }
                _ => {}
            }
        }
    }
    if found < SCHEMA_VERSION {
        tx.execute("DELETE FROM schema_version").await?;
        sqlx::query("INSERT INTO schema_version (version) VALUES ($1)")
            .bind(SCHEMA_VERSION)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Whether `user`'s client group exists (for this space); creates it when `create`.
pub(crate) async fn client_group(
    conn: &mut AnyConnection,
    user: &str,
    space: &SpaceKey,
    group: &str,
    create: bool,
) -> Result<bool, ApiError> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT space_id FROM client_groups WHERE owner = $1 AND id = $2")
            .bind(user)
            .bind(group)
            .fetch_optional(&mut *conn)
            .await?;
    match row {
        Some((s,)) if s != space.id() => {
            Err(ApiError::Forbidden(format!("client group {group:?} belongs to another space")))
        }
        Some(_) => Ok(true),
        None if create => {
            sqlx::query("INSERT INTO client_groups (owner, id, space_id) VALUES ($1, $2, $3)")
                .bind(user)
                .bind(group)
                .bind(space.id())
                .execute(&mut *conn)
                .await?;
            Ok(true)
        }
        None => Ok(false),
    }
}

//! Databases of their own for tests and benchmarks, on either backend, so that every check
//! of the server runs against SQLite and PostgreSQL alike.

use std::path::Path;

use sqlx::{Connection, Executor};

use crate::error::ServerError;

/// The environment variable holding an admin URL of a PostgreSQL cluster for tests
/// (`scripts/with-postgres.sh` sets it).
pub const TEST_POSTGRES_ENV: &str = "PROMPTDECK_TEST_POSTGRES";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScratchBackend {
    Sqlite,
    /// The admin URL of a cluster on which fresh databases may be created.
    Postgres(String),
}

impl ScratchBackend {
    /// The test cluster named by `PROMPTDECK_TEST_POSTGRES`. Without one, a run under CI
    /// fails (its PostgreSQL checks must not pass by being skipped); elsewhere the caller is
    /// told to skip, and a line says so.
    pub fn postgres_for_tests() -> Option<Self> {
        match std::env::var(TEST_POSTGRES_ENV) {
            Ok(url) => Some(Self::Postgres(url)),
            Err(_) if std::env::var_os("CI").is_some() => {
                panic!("CI must run the PostgreSQL checks: run under scripts/with-postgres.sh")
            }
            Err(_) => {
                eprintln!("skipped: {TEST_POSTGRES_ENV} is not set (scripts/with-postgres.sh)");
                None
            }
        }
    }

    /// A new, empty database: a SQLite file in `dir`, or a database named after `dir` on
    /// the PostgreSQL cluster.
    pub async fn fresh_database(&self, dir: &Path) -> Result<String, ServerError> {
        let Self::Postgres(admin) = self else {
            return Ok(format!("sqlite://{}", dir.join("server.db").display()));
        };
        let suffix: String = dir
            .to_string_lossy()
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .rev()
            .take(40)
            .collect();
        let name = format!("t{}", suffix.to_lowercase());
        let mut conn = sqlx::PgConnection::connect(admin).await?;
        conn.execute(format!("CREATE DATABASE {name}").as_str()).await?;
        let (cluster, _) = admin.rsplit_once('/').ok_or_else(|| {
            ServerError::Config(format!("{TEST_POSTGRES_ENV} names no database: {admin}"))
        })?;
        Ok(format!("{cluster}/{name}"))
    }

    /// A database of `backend` holding what the SQLite file `fixture` (written by an
    /// earlier server, in its schema) holds, in that same schema: the file itself, or its
    /// rows in that schema's tables on PostgreSQL.
    pub async fn database_from_fixture(
        &self,
        dir: &Path,
        fixture: &Path,
    ) -> Result<String, ServerError> {
        let url = self.fresh_database(dir).await?;
        if *self == Self::Sqlite {
            std::fs::copy(fixture, dir.join("server.db"))
                .map_err(|e| ServerError::Config(format!("cannot copy the fixture: {e}")))?;
            return Ok(url);
        }
        let from = format!("sqlite://{}?mode=ro", fixture.display());
        let mut from = sqlx::SqliteConnection::connect(&from).await?;
        let mut to = sqlx::PgConnection::connect(&url).await?;
        for statement in crate::db::FIRST_SCHEMA {
            to.execute(*statement).await?;
        }
        let spaces: Vec<(String, String, i64)> =
            sqlx::query_as("SELECT id, owner, version FROM spaces").fetch_all(&mut from).await?;
        for (id, owner, version) in spaces {
            sqlx::query("INSERT INTO spaces (id, owner, version) VALUES ($1, $2, $3)")
                .bind(id)
                .bind(owner)
                .bind(version)
                .execute(&mut to)
                .await?;
        }
        let groups: Vec<(String, String, String)> =
            sqlx::query_as("SELECT id, space_id, owner FROM client_groups")
                .fetch_all(&mut from)
                .await?;
        for (id, space, owner) in groups {
            sqlx::query("INSERT INTO client_groups (id, space_id, owner) VALUES ($1, $2, $3)")
                .bind(id)
                .bind(space)
                .bind(owner)
                .execute(&mut to)
                .await?;
        }
        let clients: Vec<(String, String, i64, i64)> = sqlx::query_as(
            "SELECT id, client_group_id, last_mutation_id, last_modified_version FROM clients",
        )
        .fetch_all(&mut from)
        .await?;
        for (id, group, last, modified) in clients {
            sqlx::query("INSERT INTO clients (id, client_group_id, last_mutation_id, last_modified_version) VALUES ($1, $2, $3, $4)")
                .bind(id)
                .bind(group)
                .bind(last)
                .bind(modified)
                .execute(&mut to)
                .await?;
        }
        let entries: Vec<(String, String, String, i64, i64)> =
            sqlx::query_as("SELECT space_id, key, value, deleted, version FROM entries")
                .fetch_all(&mut from)
                .await?;
        for (space, key, value, deleted, version) in entries {
            sqlx::query("INSERT INTO entries (space_id, key, value, deleted, version) VALUES ($1, $2, $3, $4, $5)")
                .bind(space)
                .bind(key)
                .bind(value)
                .bind(deleted)
                .bind(version)
                .execute(&mut to)
                .await?;
        }
        Ok(url)
    }
}

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
}

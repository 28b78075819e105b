//! A Replicache backend for Promptdeck libraries.
//!
//! Push, pull and pokes per space, following the Replicache documentation's
//! per-space-version strategy: every push bumps its space's version, every entry remembers
//! the version that last changed it, and a pull's cookie is the version it saw. The same
//! mutators as the client (from `promptdeck-protocol`) run here, authoritatively. Storage is
//! SQLite by default and PostgreSQL with `DATABASE_URL=postgres://...`, one schema for both.

mod auth;
mod db;
mod error;
mod jwt;
mod local;
mod poke;
mod pull;
mod push;
mod routes;
#[cfg(feature = "test-support")]
mod scratch;

use std::net::SocketAddr;

pub use auth::Auth;
pub use error::{ApiError, ServerError};
pub use jwt::{CLOCK_SKEW, OidcConfig, TokenRejected};
#[cfg(feature = "test-support")]
pub use scratch::{ScratchBackend, TEST_POSTGRES_ENV};

use db::Db;
use poke::Pokes;

/// A request body may carry many mutations, each with up to 1 MiB of prompt.
pub const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

pub struct ServerConfig {
    pub listen: SocketAddr,
    pub database_url: String,
    pub auth: Auth,
}

/// How long requests in flight (a long pull, say) may take to finish once the server is
/// told to stop; then it stops regardless.
pub const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// What every request handler shares.
#[derive(Clone)]
struct AppState {
    db: Db,
    pokes: Pokes,
    auth: std::sync::Arc<Auth>,
    /// Becomes true when the server is told to stop: open poke streams end.
    stopping: tokio::sync::watch::Receiver<bool>,
}

/// A bound, ready server.
pub struct Server {
    listener: tokio::net::TcpListener,
    router: axum::Router,
    stopping: tokio::sync::watch::Sender<bool>,
}

impl Server {
    /// Connects to the database, brings its schema up to date, and binds the address.
    pub async fn start(config: ServerConfig) -> Result<Self, ServerError> {
        if matches!(config.auth, Auth::InsecureLocal) && !config.listen.ip().is_loopback() {
            return Err(ServerError::Config(format!(
                "--insecure-local serves only a loopback address, not {}",
                config.listen
            )));
        }
        let db = Db::connect(&config.database_url).await?;
        let pokes = match db.postgres_pool() {
            Some(pool) => Pokes::across_processes(&config.database_url, pool).await?,
            None => Pokes::default(),
        };
        let (stopping, stopping_rx) = tokio::sync::watch::channel(false);
        let auth = std::sync::Arc::new(config.auth);
        let state = AppState { db, pokes, auth, stopping: stopping_rx };
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|e| ServerError::Config(format!("cannot listen on {}: {e}", config.listen)))?;
        Ok(Self { listener, router: routes::router(state), stopping })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    /// Serves until `stop` completes, then ends every poke stream, stops taking
    /// connections, and gives the requests in flight [`SHUTDOWN_GRACE`] to finish.
    pub async fn serve_until(
        self,
        stop: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let Self { listener, router, stopping } = self;
        let (told, mut heard) = tokio::sync::watch::channel(false);
        let stopped = async move {
            stop.await;
            tracing::info!("stopping: ending poke streams, finishing requests in flight");
            stopping.send_replace(true);
            told.send_replace(true);
        };
        let serving = axum::serve(listener, router).with_graceful_shutdown(stopped);
        let deadline = async move {
            let _ = heard.wait_for(|told| *told).await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        };
        tokio::select! {
            served = serving => served,
            () = deadline => {
                tracing::warn!("requests still in flight after the grace period; stopping anyway");
                Ok(())
            }
        }
    }

    /// Serves until SIGINT or SIGTERM.
    pub async fn serve_until_signal(self) -> anyhow::Result<()> {
        self.serve_until(async {
            use tokio::signal::unix::{SignalKind, signal};
            let (Ok(mut term), Ok(mut int)) =
                (signal(SignalKind::terminate()), signal(SignalKind::interrupt()))
            else {
                return std::future::pending().await;
            };
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        })
        .await?;
        Ok(())
    }
}

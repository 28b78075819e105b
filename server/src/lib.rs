//! A Replicache backend for Promptdeck libraries.
//!
//! Push, pull and pokes per space, following the Replicache documentation's
//! per-space-version strategy: every push bumps its space's version, every entry remembers
//! the version that last changed it, and a pull's cookie is the version it saw. The same
//! mutators as the client (from `promptdeck-protocol`) run here, authoritatively. Storage is
//! SQLite by default and PostgreSQL with `DATABASE_URL=postgres://...`, one schema for both.

mod admin;
mod auth;
mod db;
mod error;
mod jwt;
mod limits;
mod listen;
mod local;
mod poke;
mod pull;
mod push;
mod routes;
#[cfg(feature = "test-support")]
mod scratch;
mod spaces;

use std::net::SocketAddr;
use std::path::PathBuf;

pub use admin::{grant, grants, revoke};
pub use auth::Auth;
pub use error::{ApiError, ServerError};
pub use jwt::{CLOCK_SKEW, OidcConfig, TokenRejected};
pub use limits::{Limits, Quotas};
#[cfg(feature = "test-support")]
pub use scratch::{ScratchBackend, TEST_POSTGRES_ENV};
pub use spaces::SpaceKey;

use db::Db;
use limits::Held;
use poke::Pokes;

/// A request body may carry many mutations, each with up to 1 MiB of prompt.
pub const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

pub struct ServerConfig {
    pub listen: SocketAddr,
    pub database_url: String,
    pub auth: Auth,
    /// Serve HTTPS with this certificate chain and key (PEM files), not plain HTTP.
    pub tls: Option<TlsFiles>,
    pub limits: Limits,
}

/// A PEM certificate chain and its private key.
#[derive(Clone, Debug)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl ServerConfig {
    /// Plain HTTP on `listen`, with the default limits.
    pub fn new(listen: SocketAddr, database_url: impl Into<String>, auth: Auth) -> Self {
        Self {
            listen,
            database_url: database_url.into(),
            auth,
            tls: None,
            limits: Limits::default(),
        }
    }
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
    /// Requests and poke streams in progress, per user and in all.
    held: Held,
    /// Becomes true when the server is told to stop: open poke streams end.
    stopping: tokio::sync::watch::Receiver<bool>,
}

/// A bound, ready server.
pub struct Server {
    listener: tokio::net::TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    router: axum::Router,
    limits: Limits,
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
        let tls = match &config.tls {
            Some(TlsFiles { cert, key }) => Some(listen::tls_acceptor(cert, key)?),
            None => None,
        };
        let db = Db::connect(&config.database_url).await?;
        let pokes = match db.postgres_pool() {
            Some(pool) => Pokes::across_processes(&config.database_url, pool).await?,
            None => Pokes::default(),
        };
        let (stopping, stopping_rx) = tokio::sync::watch::channel(false);
        let auth = std::sync::Arc::new(config.auth);
        let held = Held::new(config.limits.clone());
        let state = AppState { db, pokes, auth, held, stopping: stopping_rx };
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|e| ServerError::Config(format!("cannot listen on {}: {e}", config.listen)))?;
        let router = routes::router(state);
        Ok(Self { listener, tls, router, limits: config.limits, stopping })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    /// Where clients reach this server: `http://` or, with a certificate, `https://`.
    pub fn url(&self) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://{}", self.local_addr())
    }

    /// Serves until `stop` completes, then ends every poke stream, stops taking
    /// connections, and gives the requests in flight [`SHUTDOWN_GRACE`] to finish.
    pub async fn serve_until(
        self,
        stop: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let Self { listener, tls, router, limits, stopping } = self;
        let heard = stopping.subscribe();
        tokio::spawn(async move {
            stop.await;
            tracing::info!("stopping: ending poke streams, finishing requests in flight");
            stopping.send_replace(true);
        });
        listen::serve(listener, tls, router, limits, heard, SHUTDOWN_GRACE).await;
        Ok(())
    }

    /// Serves until SIGINT or SIGTERM (Ctrl+C or Ctrl+Break on Windows).
    pub async fn serve_until_signal(self) -> anyhow::Result<()> {
        self.serve_until(stop_signal()).await?;
        Ok(())
    }
}

#[cfg(unix)]
async fn stop_signal() {
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
}

#[cfg(windows)]
async fn stop_signal() {
    use tokio::signal::windows::{ctrl_break, ctrl_c};
    let (Ok(mut c), Ok(mut brk)) = (ctrl_c(), ctrl_break()) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = c.recv() => {}
        _ = brk.recv() => {}
    }
}

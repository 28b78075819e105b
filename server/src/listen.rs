//! The accept loop: every connection is counted, timed and (with a certificate) encrypted
//! before a request on it reaches the router.
//!
//! `axum::serve` reads headers for ever (hyper's header timeout needs a timer it does not
//! give) and takes every connection offered, so a few hundred half-sent requests from one
//! address could hold a server's file descriptors until its clients were refused. Here a
//! connection gets [`Limits::header_timeout`] for its TLS handshake and for each request's
//! headers (also the idle time between requests), and no address holds more than
//! [`Limits::connections_per_address`] of the [`Limits::connections`] in all.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use crate::limits::Limits;

/// How long a failed accept (out of file descriptors, say) waits before the next, at first
/// and at most: the loop must neither spin a core nor flood the log.
const ACCEPT_BACKOFF: (Duration, Duration) = (Duration::from_millis(10), Duration::from_secs(1));

/// Accepts connections on `listener` and serves `router` on each until `stop` becomes true;
/// then takes no more, asks each connection to end after its request in flight, and waits
/// for them up to `grace`.
pub(crate) async fn serve(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    router: axum::Router,
    limits: Limits,
    mut stop: tokio::sync::watch::Receiver<bool>,
    grace: Duration,
) {
    let graceful = GracefulShutdown::new();
    let connections = Connections::new(&limits);
    let mut backoff = ACCEPT_BACKOFF.0;
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stop.wait_for(|stop| *stop) => break,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => {
                backoff = ACCEPT_BACKOFF.0;
                accepted
            }
            Err(e) => {
                tracing::warn!(error = %e, retry_in = ?backoff, "cannot accept a connection");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(ACCEPT_BACKOFF.1);
                continue;
            }
        };
        // Refused at once, not queued: a flood must not hold the descriptors it came for.
        let Some(slot) = connections.take(peer.ip()) else {
            tracing::debug!(%peer, "too many connections; closing this one");
            continue;
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let header_timeout = limits.header_timeout;
        let tls = tls.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            match tls {
                None => drop(watcher.watch(connection(stream, router, header_timeout)).await),
                Some(acceptor) => {
                    let handshake = tokio::time::timeout(header_timeout, acceptor.accept(stream));
                    match handshake.await {
                        Ok(Ok(stream)) => {
                            drop(watcher.watch(connection(stream, router, header_timeout)).await)
                        }
                        Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake took too long"),
                    }
                }
            }
            drop(slot);
        });
    }
    drop(listener);
    if tokio::time::timeout(grace, graceful.shutdown()).await.is_err() {
        tracing::warn!("requests still in flight after the grace period; stopping anyway");
    }
}

fn connection<I>(
    io: I,
    router: axum::Router,
    header_timeout: Duration,
) -> hyper::server::conn::http1::Connection<TokioIo<I>, TowerToHyperService<axum::Router>>
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .serve_connection(TokioIo::new(io), TowerToHyperService::new(router))
}

/// Open connections, in all and per address.
#[derive(Clone)]
struct Connections {
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
    all: Arc<tokio::sync::Semaphore>,
    per_address: usize,
}

/// One open connection; closing it gives its place back.
struct Slot {
    address: IpAddr,
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
    _place: tokio::sync::OwnedSemaphorePermit,
}

impl Connections {
    fn new(limits: &Limits) -> Self {
        Self {
            open: Arc::default(),
            all: Arc::new(tokio::sync::Semaphore::new(limits.connections)),
            per_address: limits.connections_per_address,
        }
    }

    fn take(&self, address: IpAddr) -> Option<Slot> {
        let place = self.all.clone().try_acquire_owned().ok()?;
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let count = open.entry(address).or_default();
        if *count >= self.per_address {
            return None;
        }
        *count += 1;
        Some(Slot { address, open: self.open.clone(), _place: place })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(count) = open.get_mut(&self.address) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.address);
            }
        }
    }
}

/// The acceptor for `--tls-cert` and `--tls-key`: a PEM certificate chain and its key.
pub(crate) fn tls_acceptor(
    cert: &std::path::Path,
    key: &std::path::Path,
) -> Result<TlsAcceptor, crate::ServerError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let unreadable = |what: &str, path: &std::path::Path, e: &dyn std::fmt::Display| {
        crate::ServerError::Config(format!("cannot read the TLS {what} {}: {e}", path.display()))
    };
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| unreadable("certificate", cert, &e))?;
    if chain.is_empty() {
        return Err(unreadable("certificate", cert, &"it holds no PEM certificate"));
    }
    let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| unreadable("key", key, &e))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|builder| builder.with_no_client_auth().with_single_cert(chain, key_der))
        .map_err(|e| {
            crate::ServerError::Config(format!(
                "the TLS certificate {} and key {} do not make a server: {e}",
                cert.display(),
                key.display()
            ))
        })?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

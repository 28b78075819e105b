//! Which URLs may carry a library and its tokens: HTTPS anywhere, plain HTTP only to this
//! machine, unless the user says in so many words that unencrypted is acceptable. And whom
//! HTTPS trusts: the public roots, the system's own store, and a CA file the user names
//! (a server with a certificate of its own making).

use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Certificate authorities the user trusts beside the public and the system's: a PEM file,
/// read and checked once.
#[derive(Clone)]
pub struct CaFile {
    pub path: PathBuf,
    certificates: Arc<Vec<reqwest::Certificate>>,
}

/// Equal when they name the same file: a settings change that keeps it changes nothing.
impl PartialEq for CaFile {
    fn eq(&self, other: &Self) -> bool {
        self.path == other.path
    }
}

impl std::fmt::Debug for CaFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaFile").field("path", &self.path).finish_non_exhaustive()
    }
}

/// Why a CA file cannot be trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaFileError {
    #[error("cannot read the CA file {path}: {reason}")]
    Unreadable { path: PathBuf, reason: String },
    #[error("the CA file {path} holds no PEM certificate ({reason})")]
    NotCertificates { path: PathBuf, reason: String },
}

impl CaFile {
    pub fn read(path: &Path) -> Result<Self, CaFileError> {
        let pem = std::fs::read(path).map_err(|e| CaFileError::Unreadable {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        let not = |reason: String| CaFileError::NotCertificates { path: path.to_owned(), reason };
        let certificates =
            reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| not(e.to_string()))?;
        if certificates.is_empty() {
            return Err(not("none found".into()));
        }
        Ok(Self { path: path.to_owned(), certificates: Arc::new(certificates) })
    }
}

/// A certificate this device does not trust: waiting will not mend it, naming the authority
/// that made it will.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{whose} certificate is not trusted ({why}); if it uses a certificate of its own making, \
     name its certificate authority with --ca-file (ca_file under [sync] in settings.toml)"
)]
pub struct Untrusted {
    /// "the server's", "the sign-in provider's".
    pub whose: &'static str,
    pub why: String,
}

/// Whether `error` happened because `whose` certificate was refused, and why.
pub(crate) fn untrusted(
    error: &(dyn std::error::Error + 'static),
    whose: &'static str,
) -> Option<Untrusted> {
    let mut next = Some(error);
    while let Some(error) = next {
        if let Some(tls @ rustls::Error::InvalidCertificate(_)) = error.downcast_ref() {
            return Some(Untrusted { whose, why: tls.to_string() });
        }
        // TLS errors reach the client wrapped in I/O errors (twice), whose `source` skips
        // what they wrap.
        next = match error.downcast_ref::<std::io::Error>().and_then(std::io::Error::get_ref) {
            Some(wrapped) => Some(wrapped as &(dyn std::error::Error + 'static)),
            None => error.source(),
        };
    }
    None
}

/// An HTTP client builder that trusts `ca` beside the public roots and the system's.
pub(crate) fn client_builder(ca: Option<&CaFile>) -> reqwest::ClientBuilder {
    let builder = reqwest::Client::builder();
    ca.iter()
        .flat_map(|ca| ca.certificates.iter())
        .fold(builder, |builder, certificate| builder.add_root_certificate(certificate.clone()))
}

/// A plain-HTTP URL to another machine, refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{url} is plain HTTP to another machine: your prompts and sign-in tokens would cross the \
     network unencrypted. Use https://, or pass --allow-unencrypted-http (allow_unencrypted_http \
     = true under [sync] in settings.toml) if you accept that risk"
)]
pub struct Unencrypted {
    pub url: String,
}

/// Whether `url` may carry prompts and tokens: any `https` URL, and `http` to a loopback
/// name or address; other `http` only when `allow_unencrypted` is set. What is not an
/// http(s) URL at all is another check's business and passes here.
pub fn check_encrypted(url: &str, allow_unencrypted: bool) -> Result<(), Unencrypted> {
    let Ok(parsed) = reqwest::Url::parse(url) else { return Ok(()) };
    if parsed.scheme() != "http" || allow_unencrypted || is_loopback(&parsed) {
        return Ok(());
    }
    Err(Unencrypted { url: parsed.to_string() })
}

fn is_loopback(url: &reqwest::Url) -> bool {
    let Some(host) = url.host_str() else { return false };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<std::net::IpAddr>() {
        return ip.is_loopback();
    }
    // RFC 6761: `localhost` and names under it resolve to loopback.
    let name = host.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(url: &str, allow: bool) -> Result<(), Unencrypted> {
        check_encrypted(url, allow)
    }

    #[test]
    fn plain_http_reaches_only_this_machine_unless_allowed() {
        for fine in [
            "https://sync.example.com/api",
            "http://127.0.0.1:8787",
            "http://127.9.9.9/",
            "http://[::1]:8787/",
            "http://localhost:8787",
            "http://LocalHost./x",
            "http://id.localhost/",
        ] {
            assert_eq!(check(fine, false), Ok(()), "{fine}");
        }
        for refused in [
            "http://sync.example.com",
            "http://192.168.1.10:8787",
            "http://[fe80::1]/",
            "http://localhost.example.com/",
            "http://127.0.0.1.nip.io/",
        ] {
            let error = check(refused, false).expect_err(refused);
            assert!(error.to_string().contains("--allow-unencrypted-http"), "{error}");
            assert_eq!(check(refused, true), Ok(()), "allowed: {refused}");
        }
    }
}

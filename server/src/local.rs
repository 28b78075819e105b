//! `--insecure-local` lets in every request as the one local user, so it must let in only
//! requests from this machine's own programs. A web page in a browser here can reach a
//! loopback port too: through a DNS name it controls that resolves to 127.0.0.1 (DNS
//! rebinding: the request's `Host` then names the page's domain), or by a cross-site form
//! or fetch (the browser adds an `Origin` header, and a form can send only non-JSON
//! bodies without asking the server first). Each is refused before a handler runs.

use axum::extract::Request;
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// Refuses what a local client never sends: a `Host` that is not a loopback name, an
/// `Origin` (or a browser's cross-site fetch marker), or a POST body that is not JSON.
pub(crate) async fn only_local_clients(request: Request, next: Next) -> Response {
    match refusal(request.method(), request.headers()) {
        Some(refused) => refused.into_response(),
        None => next.run(request).await,
    }
}

fn refusal(method: &Method, headers: &HeaderMap) -> Option<ApiError> {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default();
    if !is_loopback_name(host) {
        return Some(ApiError::Forbidden(format!(
            "this local server answers only requests addressed to a loopback name, not {host:?}"
        )));
    }
    let browser_cross_site = headers
        .get("sec-fetch-site")
        .and_then(|h| h.to_str().ok())
        .is_some_and(|site| site != "none" && site != "same-origin");
    if headers.contains_key(header::ORIGIN) || browser_cross_site {
        return Some(ApiError::Forbidden(
            "this local server refuses requests from web pages".into(),
        ));
    }
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|h| h.to_str().ok())
        .and_then(|t| t.split(';').next())
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"));
    if *method == Method::POST && !json {
        return Some(ApiError::UnsupportedMediaType(
            "this server takes JSON bodies only (Content-Type: application/json)".into(),
        ));
    }
    None
}

/// `localhost`, `127.0.0.1` (any of 127/8) or `[::1]`, with or without a port.
fn is_loopback_name(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(bracketed) => bracketed.split(']').next().unwrap_or_default(),
        None => host.rsplit_once(':').map_or(host, |(name, port)| {
            if port.chars().all(|c| c.is_ascii_digit()) { name } else { host }
        }),
    };
    name.eq_ignore_ascii_case("localhost")
        || name.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_names_are_local() {
        for host in [
            "localhost",
            "LOCALHOST:8787",
            "127.0.0.1",
            "127.0.0.1:9",
            "127.8.9.1",
            "[::1]:80",
            "[::1]",
        ] {
            assert!(is_loopback_name(host), "{host}");
        }
        for host in [
            "",
            "evil.example",
            "evil.example:8787",
            "127.0.0.1.evil.example",
            "localhost.evil",
            "[::2]",
            "0.0.0.0",
        ] {
            assert!(!is_loopback_name(host), "{host}");
        }
    }
}

//! Which URLs may carry a library and its tokens: HTTPS anywhere, plain HTTP only to this
//! machine, unless the user says in so many words that unencrypted is acceptable.

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

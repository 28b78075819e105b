//! Where and as whom to sync: promptdeck-server's layout in one URL, or any Replicache
//! backend's endpoints as its web client is configured.

use std::time::Duration;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use promptdeck_protocol::SpaceAddress;

/// Where a backend takes pushes and pulls and, if it has one, its poke stream. Each is a
/// URL in which `{space}` stands for the space's id, so a backend that names the space in
/// a query parameter and one that names it in the path are both served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    pub push: String,
    pub pull: String,
    /// Server-sent events; without it the client polls every `poll_interval`.
    pub poke: Option<String>,
}

/// Where promptdeck-server takes pushes, under its base URL.
const SERVER_PUSH: &str = "/api/replicache/push?space={space}";

impl Endpoints {
    /// promptdeck-server's layout under `base`, e.g. `http://127.0.0.1:8787`.
    pub fn promptdeck_server(base: &str) -> Self {
        let base = base.trim_end_matches('/');
        let at = |path: &str| format!("{base}/api/replicache/{path}?space={{space}}");
        Self { push: at("push"), pull: at("pull"), poke: Some(at("poke")) }
    }

    /// Whether these are promptdeck-server's endpoints, whose spaces follow its naming rule.
    pub fn is_promptdeck_server(&self) -> bool {
        self.promptdeck_server_base().is_some()
    }

    /// The base URL of the promptdeck-server these endpoints are, if they are one's.
    pub fn promptdeck_server_base(&self) -> Option<&str> {
        self.push.strip_suffix(SERVER_PUSH).filter(|base| *self == Self::promptdeck_server(base))
    }
}

#[derive(Clone, PartialEq)]
pub struct SyncConfig {
    pub endpoints: Endpoints,
    pub space: String,
    /// The `Authorization` header's value, sent as is (`Bearer <token>` or a raw token).
    pub authorization: Option<String>,
    pub schema_version: String,
    /// How often to pull when nothing pokes: the fallback beside a poke stream, the only
    /// trigger without one.
    pub poll_interval: Duration,
    /// How long one push or pull may take before the server counts as unreachable.
    pub request_timeout: Duration,
    /// How long the poke stream may say nothing (not even a keep-alive) before it counts
    /// as dead and is opened again: a server gone without closing the connection.
    pub poke_idle_timeout: Duration,
    /// The largest answer accepted from the server; a larger one is refused, not read.
    pub max_answer_bytes: usize,
    /// The user accepts plain HTTP to another machine (see [`crate::check_encrypted`]).
    pub allow_unencrypted_http: bool,
    /// Certificate authorities trusted beside the public and the system's.
    pub ca_file: Option<crate::CaFile>,
    /// Whether what the palette learns is sent to the backend (`learnPick`,
    /// `forgetLearned`): `None` asks a promptdeck-server's `/api/config` and never sends
    /// to another backend; `Some` is the user's word for their own backend.
    pub learning: Option<bool>,
}

/// Written out without the authorization: a config in a log line must not carry a token.
impl std::fmt::Debug for SyncConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncConfig")
            .field("endpoints", &self.endpoints)
            .field("space", &self.space)
            .field("authorization", &self.authorization.as_ref().map(|_| "<redacted>"))
            .field("schema_version", &self.schema_version)
            .field("poll_interval", &self.poll_interval)
            .finish_non_exhaustive()
    }
}

/// What a space id may not carry unescaped into a URL (RFC 3986 unreserved stays as is).
const ESCAPED: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

impl SyncConfig {
    pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
    /// Room for an initial pull of a very large library (100k prompts with long bodies).
    pub const DEFAULT_MAX_ANSWER_BYTES: usize = 512 * 1024 * 1024;
    /// Six of promptdeck-server's keep-alives (one every 15 s).
    pub const DEFAULT_POKE_IDLE_TIMEOUT: Duration = Duration::from_secs(90);
    /// The official client's default `pullInterval`.
    pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(60);

    /// Syncing `space` with the promptdeck-server at `server`, with default limits and no
    /// authorization.
    pub fn new(server: &str, space: impl Into<String>) -> Self {
        Self::with_endpoints(Endpoints::promptdeck_server(server), space)
    }

    /// Syncing `space` with any Replicache backend.
    pub fn with_endpoints(endpoints: Endpoints, space: impl Into<String>) -> Self {
        Self {
            endpoints,
            space: space.into(),
            authorization: None,
            schema_version: "1".into(),
            poll_interval: Self::DEFAULT_POLL_INTERVAL,
            request_timeout: Self::DEFAULT_REQUEST_TIMEOUT,
            poke_idle_timeout: Self::DEFAULT_POKE_IDLE_TIMEOUT,
            max_answer_bytes: Self::DEFAULT_MAX_ANSWER_BYTES,
            allow_unencrypted_http: false,
            ca_file: None,
            learning: None,
        }
    }

    /// The same backend, for another workspace's space.
    pub fn for_space(&self, space: &str) -> Self {
        Self { space: space.to_owned(), ..self.clone() }
    }

    /// Whether the push and pull URLs name the space, so that several workspaces can each
    /// sync their own.
    pub fn names_the_space(&self) -> bool {
        self.endpoints.push.contains("{space}") && self.endpoints.pull.contains("{space}")
    }

    /// What names this backend and space: a cookie from one means nothing to another.
    pub fn target(&self) -> String {
        format!("{} {}", self.url(&self.endpoints.pull), self.space)
    }

    /// An endpoint with the space filled in. A space another user shared
    /// (`OWNER/NAME`, see [`SpaceAddress`]) is `NAME&owner=OWNER` on promptdeck-server.
    pub fn url(&self, endpoint: &str) -> String {
        let escaped = |text: &str| utf8_percent_encode(text, ESCAPED).to_string();
        let shared = match SpaceAddress::parse(&self.space) {
            Ok(SpaceAddress { owner: Some(owner), name })
                if self.endpoints.is_promptdeck_server() =>
            {
                Some(format!("{}&owner={}", escaped(name.as_str()), escaped(&owner)))
            }
            _ => None,
        };
        endpoint.replace("{space}", &shared.unwrap_or_else(|| escaped(&self.space)))
    }

    /// Every endpoint must be an http(s) URL once the space is filled in; says which is not.
    pub fn check(&self) -> Result<(), SyncConfigError> {
        let Endpoints { push, pull, poke } = &self.endpoints;
        let named = [("push", Some(push)), ("pull", Some(pull)), ("poke", poke.as_ref())];
        for (name, endpoint) in named {
            let Some(endpoint) = endpoint else { continue };
            let url = reqwest::Url::parse(&self.url(endpoint)).map_err(|e| {
                SyncConfigError::NotAUrl { name, endpoint: endpoint.clone(), reason: e.to_string() }
            })?;
            if !matches!(url.scheme(), "http" | "https") {
                return Err(SyncConfigError::NotWeb { name, endpoint: endpoint.clone() });
            }
            crate::transport::check_encrypted(url.as_str(), self.allow_unencrypted_http)
                .map_err(|unencrypted| SyncConfigError::Unencrypted { name, unencrypted })?;
        }
        if self.poll_interval < Duration::from_secs(1) {
            return Err(SyncConfigError::PollTooOften);
        }
        Ok(())
    }
}

/// Why sync settings cannot work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyncConfigError {
    #[error("the {name} URL {endpoint:?} is not a URL: {reason}")]
    NotAUrl { name: &'static str, endpoint: String, reason: String },
    #[error("the {name} URL {endpoint:?} must start with http:// or https://")]
    NotWeb { name: &'static str, endpoint: String },
    #[error("the poll interval must be at least one second")]
    PollTooOften,
    #[error("the {name} URL: {unencrypted}")]
    Unencrypted { name: &'static str, unencrypted: crate::transport::Unencrypted },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_space_fills_a_query_parameter_or_a_path_segment_escaped() {
        let endpoints = Endpoints {
            push: "https://app.example/api/{space}/push".into(),
            pull: "https://app.example/pull?spaceID={space}&v=1".into(),
            poke: None,
        };
        let config = SyncConfig::with_endpoints(endpoints, "team a/b?");
        assert_eq!(
            config.url(&config.endpoints.push),
            "https://app.example/api/team%20a%2Fb%3F/push"
        );
        assert_eq!(
            config.url(&config.endpoints.pull),
            "https://app.example/pull?spaceID=team%20a%2Fb%3F&v=1"
        );
        assert_eq!(config.check(), Ok(()));
    }

    #[test]
    fn promptdeck_servers_layout_comes_from_its_base_url() {
        let config = SyncConfig::new("http://127.0.0.1:8787/", "personal");
        assert_eq!(
            config.url(&config.endpoints.push),
            "http://127.0.0.1:8787/api/replicache/push?space=personal"
        );
        let poke = config.endpoints.poke.clone().expect("promptdeck-server pokes");
        assert_eq!(config.url(&poke), "http://127.0.0.1:8787/api/replicache/poke?space=personal");
        let shared = config.for_space("auth0|7/team");
        assert_eq!(
            shared.url(&poke),
            "http://127.0.0.1:8787/api/replicache/poke?space=team&owner=auth0%7C7"
        );
    }

    #[test]
    fn promptdeck_servers_endpoints_are_told_from_a_backend_of_ones_own() {
        assert!(Endpoints::promptdeck_server("http://127.0.0.1:8787/").is_promptdeck_server());
        let mut moved = Endpoints::promptdeck_server("http://127.0.0.1:8787");
        moved.pull = "http://elsewhere/api/replicache/pull?space={space}".into();
        assert!(!moved.is_promptdeck_server());
        let own = Endpoints {
            push: "https://app/push".into(),
            pull: "https://app/pull".into(),
            poke: None,
        };
        assert!(!own.is_promptdeck_server());
    }

    #[test]
    fn endpoints_that_are_not_web_urls_are_named() {
        let mut config = SyncConfig::new("http://127.0.0.1:8787", "personal");
        config.endpoints.pull = "ftp://example/pull".into();
        let refused = config.check().expect_err("refused");
        assert!(matches!(refused, SyncConfigError::NotWeb { name: "pull", .. }), "{refused}");
        config.endpoints.pull = "not a url".into();
        let refused = config.check().expect_err("refused");
        assert!(matches!(refused, SyncConfigError::NotAUrl { name: "pull", .. }), "{refused}");
    }

    #[test]
    fn an_endpoint_in_plain_http_to_another_machine_is_refused_unless_allowed() {
        let mut config = SyncConfig::new("http://127.0.0.1:8787", "personal");
        config.endpoints.poke = Some("http://sync.example.com/poke?space={space}".into());
        let refused = config.check().expect_err("refused");
        assert!(matches!(refused, SyncConfigError::Unencrypted { name: "poke", .. }), "{refused}");
        config.allow_unencrypted_http = true;
        assert_eq!(config.check(), Ok(()));
    }
}

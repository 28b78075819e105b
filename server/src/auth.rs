//! Who a request is from: the one local user, a user named by a configured token, or the
//! subject of an access token from an OpenID provider.

use std::collections::HashMap;

use axum::http::HeaderMap;

use crate::error::{ApiError, ServerError};
use crate::jwt::{AccessTokens, OidcConfig, TokenRejected};

/// Who a request is from, and until when: a poke stream ends when its token expires.
pub(crate) struct Caller {
    pub user: String,
    /// When the server stops taking what it signed in with; `None` for what never expires
    /// (a configured token, the local user).
    pub expires_at: Option<std::time::SystemTime>,
}

pub enum Auth {
    /// Every request is the one local user. Loopback only.
    InsecureLocal,
    /// Token to user.
    Tokens(HashMap<String, String>),
    /// Access tokens (JWTs) from an OpenID provider.
    Oidc(Box<AccessTokens>),
}

impl Auth {
    pub const LOCAL_USER: &'static str = "local";

    /// From `TOKEN=USER` pairs.
    pub fn from_pairs(pairs: &[String]) -> Result<Self, ServerError> {
        let mut tokens = HashMap::new();
        for pair in pairs {
            let (token, user) =
                pair.split_once('=').filter(|(t, u)| !t.is_empty() && !u.is_empty()).ok_or_else(
                    || ServerError::Config(format!("--token wants TOKEN=USER, not {pair:?}")),
                )?;
            tokens.insert(token.to_owned(), user.to_owned());
        }
        if tokens.is_empty() {
            return Err(ServerError::Config(
                "give at least one --token TOKEN=USER, or --insecure-local".into(),
            ));
        }
        Ok(Self::Tokens(tokens))
    }

    /// Accepts the access tokens of the OpenID provider `config` names.
    pub fn oidc(config: OidcConfig) -> Result<Self, ServerError> {
        AccessTokens::new(config).map(|t| Self::Oidc(Box::new(t))).map_err(ServerError::Config)
    }

    /// The user behind a request's `Authorization` header (`Bearer <token>` or, for
    /// configured tokens, the raw token, as a Replicache client may send either).
    pub async fn user(&self, headers: &HeaderMap) -> Result<String, ApiError> {
        self.caller(headers).await.map(|caller| caller.user)
    }

    /// The user behind a request, and when what it signed in with expires.
    pub(crate) async fn caller(&self, headers: &HeaderMap) -> Result<Caller, ApiError> {
        let header = headers.get(axum::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        let forever = |user: String| Caller { user, expires_at: None };
        match self {
            Auth::InsecureLocal => Ok(forever(Self::LOCAL_USER.to_owned())),
            Auth::Tokens(tokens) => {
                let header = header.ok_or_else(missing)?;
                let token = header.strip_prefix("Bearer ").unwrap_or(header).trim();
                tokens
                    .get(token)
                    .cloned()
                    .map(forever)
                    .ok_or_else(|| ApiError::Unauthorized("unknown token".into()))
            }
            Auth::Oidc(tokens) => {
                let token = header.and_then(|h| h.strip_prefix("Bearer ")).ok_or_else(missing)?;
                let verified = tokens.verify(token.trim()).await.map_err(|e| match e {
                    TokenRejected::KeysUnavailable(reason) => {
                        tracing::warn!(%reason, "cannot check access tokens");
                        ApiError::Unavailable("the server cannot check sign-ins right now".into())
                    }
                    other => ApiError::Unauthorized(other.to_string()),
                })?;
                Ok(Caller { user: verified.user, expires_at: Some(verified.taken_until) })
            }
        }
    }

    /// How clients sign in here, for `GET /api/config`.
    pub fn describe(&self) -> serde_json::Value {
        match self {
            Auth::InsecureLocal => serde_json::json!({"kind": "none"}),
            Auth::Tokens(_) => serde_json::json!({"kind": "token"}),
            Auth::Oidc(tokens) => {
                let config = tokens.config();
                serde_json::json!({"kind": "oidc", "issuer": config.issuer,
                    "audience": config.audience, "clientId": config.client_id,
                    "scopes": config.scopes})
            }
        }
    }
}

fn missing() -> ApiError {
    ApiError::Unauthorized("this server wants an Authorization header with a token".into())
}

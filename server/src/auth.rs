//! Who a request is from. Bearer tokens from configuration for now; the sign-in issue
//! replaces them with validated access tokens.

use std::collections::HashMap;

use axum::http::HeaderMap;

use crate::error::{ApiError, ServerError};

pub enum Auth {
    /// Every request is the one local user. Loopback only.
    InsecureLocal,
    /// Token to user.
    Tokens(HashMap<String, String>),
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

    /// The user behind a request's `Authorization` header (`Bearer <token>` or the raw
    /// token, as a Replicache client may be configured either way).
    pub fn user(&self, headers: &HeaderMap) -> Result<String, ApiError> {
        let tokens = match self {
            Auth::InsecureLocal => return Ok(Self::LOCAL_USER.to_owned()),
            Auth::Tokens(tokens) => tokens,
        };
        let header = headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or(ApiError::Unauthorized)?;
        let token = header.strip_prefix("Bearer ").unwrap_or(header).trim();
        tokens.get(token).cloned().ok_or(ApiError::Unauthorized)
    }
}

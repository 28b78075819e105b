//! Access tokens from an OpenID provider: JWTs whose signature is checked against the keys
//! the issuer publishes (its JWKS, fetched once and kept, fetched again when a token names a
//! key not seen yet), and whose issuer, audience and expiry are checked with a little clock
//! skew. The user is the token's subject.

use std::collections::HashMap;
use std::str::FromStr;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::{Mutex, RwLock};

/// Allowed disagreement between this server's clock and the issuer's, by default.
pub const CLOCK_SKEW: Duration = Duration::from_secs(30);

/// Which provider's tokens to accept, and what clients are told to sign in with.
#[derive(Debug, Clone)]
pub struct OidcConfig {
    pub issuer: String,
    /// The `aud` the tokens must carry: this server's name at the provider.
    pub audience: String,
    /// Where the issuer publishes its keys; found through OIDC discovery when `None`.
    pub jwks_url: Option<String>,
    /// The public client Promptdeck signs in as (told to clients by `/api/config`).
    pub client_id: Option<String>,
    pub scopes: Vec<String>,
    /// A token naming an unknown key fetches the keys again at most this often, so made-up
    /// key ids cannot make the server hammer the issuer.
    pub refetch_at_most_every: Duration,
    /// How far past `exp` (or before `nbf`) a token is still taken.
    pub clock_skew: Duration,
}

impl OidcConfig {
    pub const DEFAULT_REFETCH_INTERVAL: Duration = Duration::from_secs(10);

    pub fn new(issuer: impl Into<String>, audience: impl Into<String>) -> Self {
        Self {
            issuer: issuer.into(),
            audience: audience.into(),
            jwks_url: None,
            client_id: None,
            scopes: vec!["openid".into(), "offline_access".into()],
            refetch_at_most_every: Self::DEFAULT_REFETCH_INTERVAL,
            clock_skew: CLOCK_SKEW,
        }
    }
}

/// Why an access token was refused, in words a client can show.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TokenRejected {
    #[error("the access token is not a well-formed JWT")]
    Malformed,
    #[error("the access token names no signing key (kid)")]
    NoKeyId,
    #[error("the access token is signed with a key ({0}) the issuer does not publish")]
    UnknownKey(String),
    #[error("the access token is signed with an algorithm its key does not allow")]
    WrongAlgorithm,
    #[error("the access token's signature does not verify")]
    BadSignature,
    #[error("the access token has expired")]
    Expired,
    #[error("the access token is not valid yet")]
    NotYetValid,
    #[error("the access token was issued by another issuer")]
    WrongIssuer,
    #[error("the access token is meant for another audience")]
    WrongAudience,
    #[error("the access token lacks its {0} claim")]
    MissingClaim(String),
    #[error("the issuer's signing keys cannot be fetched: {0}")]
    KeysUnavailable(String),
}

/// A key the issuer publishes, with the algorithms it may sign with.
#[derive(Clone)]
struct SigningKey {
    key: DecodingKey,
    algorithms: Vec<Algorithm>,
}

pub struct AccessTokens {
    config: OidcConfig,
    http: reqwest::Client,
    keys: RwLock<HashMap<String, SigningKey>>,
    /// The last try to fetch the keys; held while fetching, so one fetch serves every
    /// request waiting for it.
    fetched: Mutex<Option<Fetched>>,
}

/// When the keys were last fetched, and why that failed if it did: a failed fetch counts
/// against the refetch limit too, or tokens naming unknown keys could have the server ask
/// an unanswering issuer on every request.
struct Fetched {
    at: Instant,
    failure: Option<String>,
}

#[derive(Deserialize)]
struct Claims {
    /// Checked here, not by the library: its required-claims list leaves `sub` to us.
    sub: Option<String>,
    /// Seconds since the epoch; required (and checked) by the library.
    exp: u64,
}

/// Who a valid access token speaks for, and until when this server takes it (its expiry
/// and the allowed clock skew).
pub(crate) struct Verified {
    pub user: String,
    pub taken_until: std::time::SystemTime,
}

impl AccessTokens {
    pub fn new(config: OidcConfig) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| format!("cannot make an HTTP client: {e}"))?;
        Ok(Self { config, http, keys: RwLock::default(), fetched: Mutex::default() })
    }

    pub fn config(&self) -> &OidcConfig {
        &self.config
    }

    /// The user a valid access token speaks for, and when the token expires.
    pub(crate) async fn verify(&self, token: &str) -> Result<Verified, TokenRejected> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenRejected::Malformed)?;
        let kid = header.kid.ok_or(TokenRejected::NoKeyId)?;
        let SigningKey { key, algorithms } = self.key(&kid).await?;
        if !algorithms.contains(&header.alg) {
            return Err(TokenRejected::WrongAlgorithm);
        }
        let mut validation = Validation::new(header.alg);
        validation.algorithms = algorithms;
        validation.leeway = self.config.clock_skew.as_secs();
        validation.validate_nbf = true;
        validation.set_issuer(&[&self.config.issuer]);
        validation.set_audience(&[&self.config.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        let data = jsonwebtoken::decode::<Claims>(token, &key, &validation).map_err(rejected)?;
        let user = data
            .claims
            .sub
            .filter(|sub| !sub.is_empty())
            .ok_or_else(|| TokenRejected::MissingClaim("sub".into()))?;
        let taken_until = std::time::UNIX_EPOCH
            .checked_add(
                Duration::from_secs(data.claims.exp).saturating_add(self.config.clock_skew),
            )
            .unwrap_or(std::time::UNIX_EPOCH);
        Ok(Verified { user, taken_until })
    }

    async fn key(&self, kid: &str) -> Result<SigningKey, TokenRejected> {
        if let Some(found) = self.keys.read().await.get(kid) {
            return Ok(found.clone());
        }
        let mut fetched = self.fetched.lock().await;
        // Another request may have fetched the keys while this one waited.
        if let Some(found) = self.keys.read().await.get(kid) {
            return Ok(found.clone());
        }
        if let Some(last) = fetched.as_ref()
            && last.at.elapsed() < self.config.refetch_at_most_every
        {
            return Err(match &last.failure {
                Some(failure) => TokenRejected::KeysUnavailable(failure.clone()),
                None => TokenRejected::UnknownKey(kid.to_owned()),
            });
        }
        let attempt = self.fetch_keys().await;
        let failure = attempt.as_ref().err().map(|e| match e {
            TokenRejected::KeysUnavailable(why) => why.clone(),
            other => other.to_string(),
        });
        *fetched = Some(Fetched { at: Instant::now(), failure });
        let keys = attempt?;
        tracing::info!(keys = keys.len(), "fetched the issuer's signing keys");
        let mut cached = self.keys.write().await;
        *cached = keys;
        cached.get(kid).cloned().ok_or_else(|| TokenRejected::UnknownKey(kid.to_owned()))
    }

    async fn fetch_keys(&self) -> Result<HashMap<String, SigningKey>, TokenRejected> {
        let url = match &self.config.jwks_url {
            Some(url) => url.clone(),
            None => self.discover_keys_url().await?,
        };
        let set = self.get_json(&url).await?;
        let published = set.get("keys").and_then(Value::as_array).ok_or_else(|| {
            TokenRejected::KeysUnavailable(format!("{url} holds no \"keys\" list"))
        })?;
        // A key this server cannot use is skipped, not a reason to refuse the others.
        Ok(published
            .iter()
            .filter_map(|value| serde_json::from_value::<Jwk>(value.clone()).ok())
            .filter_map(|jwk| Some((jwk.common.key_id.clone()?, signing_key(&jwk)?)))
            .collect())
    }

    /// The issuer's `jwks_uri`, from its OpenID discovery document.
    async fn discover_keys_url(&self) -> Result<String, TokenRejected> {
        let issuer = self.config.issuer.trim_end_matches('/');
        let url = format!("{issuer}/.well-known/openid-configuration");
        let document = self.get_json(&url).await?;
        if document.get("issuer").and_then(Value::as_str) != Some(self.config.issuer.as_str()) {
            return Err(TokenRejected::KeysUnavailable(format!(
                "{url} names another issuer than {}",
                self.config.issuer
            )));
        }
        document
            .get("jwks_uri")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| TokenRejected::KeysUnavailable(format!("{url} names no jwks_uri")))
    }

    async fn get_json(&self, url: &str) -> Result<Value, TokenRejected> {
        let unavailable = |e: reqwest::Error| TokenRejected::KeysUnavailable(format!("{url}: {e}"));
        let response = self.http.get(url).send().await.map_err(unavailable)?;
        let response = response.error_for_status().map_err(unavailable)?;
        response.json().await.map_err(unavailable)
    }
}

/// A published key and the algorithms it may verify: those of its family, or the one its
/// `alg` names. Shared secrets and encryption keys are never used.
fn signing_key(jwk: &Jwk) -> Option<SigningKey> {
    use Algorithm::*;
    if jwk.common.public_key_use == Some(PublicKeyUse::Encryption) {
        return None;
    }
    let family = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => vec![RS256, RS384, RS512, PS256, PS384, PS512],
        AlgorithmParameters::EllipticCurve(_) => vec![ES256, ES384],
        AlgorithmParameters::OctetKeyPair(_) => vec![EdDSA],
        AlgorithmParameters::OctetKey(_) => return None,
    };
    let algorithms = match &jwk.common.key_algorithm {
        Some(named) => {
            let name = serde_json::to_value(named).ok()?;
            let algorithm = Algorithm::from_str(name.as_str()?).ok()?;
            family.contains(&algorithm).then(|| vec![algorithm])?
        }
        None => family,
    };
    let key = DecodingKey::from_jwk(jwk).ok()?;
    Some(SigningKey { key, algorithms })
}

fn rejected(error: jsonwebtoken::errors::Error) -> TokenRejected {
    use jsonwebtoken::errors::ErrorKind;
    match error.into_kind() {
        ErrorKind::ExpiredSignature => TokenRejected::Expired,
        ErrorKind::ImmatureSignature => TokenRejected::NotYetValid,
        ErrorKind::InvalidIssuer => TokenRejected::WrongIssuer,
        ErrorKind::InvalidAudience => TokenRejected::WrongAudience,
        ErrorKind::MissingRequiredClaim(claim) => TokenRejected::MissingClaim(claim),
        ErrorKind::InvalidSignature => TokenRejected::BadSignature,
        ErrorKind::InvalidAlgorithm => TokenRejected::WrongAlgorithm,
        _ => TokenRejected::Malformed,
    }
}

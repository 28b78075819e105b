//! Where to sign in: the OpenID provider a promptdeck-server names at `/api/config`, or one
//! named in settings; its endpoints come from OIDC discovery. And the two token requests
//! made there (code for tokens, refresh token for tokens), through the `oauth2` crate.

use std::time::Duration;

use oauth2::basic::{BasicClient, BasicErrorResponse, BasicErrorResponseType};
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, CsrfToken, EndpointNotSet, EndpointSet, HttpClientError,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken, RequestTokenError, Scope,
    TokenResponse, TokenUrl,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::AuthError;
use crate::transport::check_encrypted;

/// Who says where to sign in.
#[derive(Debug, Clone, PartialEq)]
pub enum SignInSource {
    /// The promptdeck-server at this base URL names its provider at `/api/config`.
    Server(String),
    /// A provider named in settings, for any backend.
    Provider(ProviderSettings),
}

/// An OpenID provider and the public client Promptdeck signs in as there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderSettings {
    pub issuer: String,
    pub client_id: String,
    pub scopes: Vec<String>,
}

/// A provider whose endpoints are known. Kept beside the refresh token, so that a restart
/// on a plane can still refresh once the network is back without asking the server first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Provider {
    pub settings: ProviderSettings,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
}

/// What a successful token request gave.
pub(crate) struct Grant {
    pub access_token: String,
    pub expires_in: Option<Duration>,
    /// A new refresh token, when the provider rotates them (or on first sign-in).
    pub refresh_token: Option<String>,
}

/// A started browser sign-in: the URL to open and what its answer is checked against.
pub(crate) struct Authorization {
    pub url: String,
    pub state: CsrfToken,
    pub verifier: PkceCodeVerifier,
}

type OAuthClient =
    BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

type TokenError = RequestTokenError<HttpClientError<reqwest::Error>, BasicErrorResponse>;

/// The client token requests go through: the `oauth2` crate wants redirects left alone.
pub(crate) fn http_client(ca: Option<&crate::CaFile>) -> Result<reqwest::Client, AuthError> {
    crate::transport::client_builder(ca)
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(20))
        .build()
        .map_err(|e| AuthError::Provider(format!("cannot make an HTTP client: {e}")))
}

/// Whether syncing needs a sign-in, and where: `None` when the server wants none. The
/// issuer and its endpoints must be HTTPS, or on this machine, unless `allow_unencrypted`.
pub(crate) async fn resolve(
    source: &SignInSource,
    http: &reqwest::Client,
    allow_unencrypted: bool,
) -> Result<Option<Provider>, AuthError> {
    let settings = match source {
        SignInSource::Provider(settings) => settings.clone(),
        SignInSource::Server(base) => match server_settings(base, http).await? {
            Some(settings) => settings,
            None => return Ok(None),
        },
    };
    check_encrypted(&settings.issuer, allow_unencrypted)?;
    let provider = discover(settings, http).await?;
    check_encrypted(&provider.authorization_endpoint, allow_unencrypted)?;
    check_encrypted(&provider.token_endpoint, allow_unencrypted)?;
    Ok(Some(provider))
}

/// The provider a promptdeck-server trusts, from its `/api/config`.
async fn server_settings(
    base: &str,
    http: &reqwest::Client,
) -> Result<Option<ProviderSettings>, AuthError> {
    let url = format!("{}/api/config", base.trim_end_matches('/'));
    let config = get_json(http, &url, "the server's sign-in configuration").await?;
    let auth = &config["auth"];
    if auth["kind"].as_str() != Some("oidc") {
        return Ok(None);
    }
    let text = |key: &str| auth[key].as_str().map(str::to_owned);
    let (Some(issuer), Some(client_id)) = (text("issuer"), text("clientId")) else {
        return Err(AuthError::Provider(
            "the server signs in with OpenID but names no issuer or client id".into(),
        ));
    };
    let scopes = auth["scopes"]
        .as_array()
        .map(|s| s.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_else(|| vec!["openid".into(), "offline_access".into()]);
    Ok(Some(ProviderSettings { issuer, client_id, scopes }))
}

/// The provider's endpoints, from its discovery document.
async fn discover(
    settings: ProviderSettings,
    http: &reqwest::Client,
) -> Result<Provider, AuthError> {
    let issuer = settings.issuer.trim_end_matches('/');
    let url = format!("{issuer}/.well-known/openid-configuration");
    let document = get_json(http, &url, "the provider's discovery document").await?;
    if document["issuer"].as_str().map(|i| i.trim_end_matches('/')) != Some(issuer) {
        return Err(AuthError::Provider(format!(
            "the discovery document at {url} names another issuer than {issuer}"
        )));
    }
    let endpoint = |key: &str| {
        document[key].as_str().map(str::to_owned).ok_or_else(|| {
            AuthError::Provider(format!("the provider's discovery document has no {key}"))
        })
    };
    Ok(Provider {
        authorization_endpoint: endpoint("authorization_endpoint")?,
        token_endpoint: endpoint("token_endpoint")?,
        settings,
    })
}

async fn get_json(http: &reqwest::Client, url: &str, what: &str) -> Result<Value, AuthError> {
    let response = http.get(url).send().await.map_err(unreachable)?;
    if !response.status().is_success() {
        return Err(AuthError::Provider(format!("{what} ({url}) answered {}", response.status())));
    }
    response
        .json()
        .await
        .map_err(|e| AuthError::Provider(format!("{what} ({url}) is not JSON: {e}")))
}

impl Provider {
    fn client(&self) -> Result<OAuthClient, AuthError> {
        let bad = |what: &str, e: oauth2::url::ParseError| {
            AuthError::Provider(format!("the provider's {what} is not a URL: {e}"))
        };
        Ok(BasicClient::new(ClientId::new(self.settings.client_id.clone()))
            .set_auth_uri(
                AuthUrl::new(self.authorization_endpoint.clone())
                    .map_err(|e| bad("authorization endpoint", e))?,
            )
            .set_token_uri(
                TokenUrl::new(self.token_endpoint.clone()).map_err(|e| bad("token endpoint", e))?,
            ))
    }

    /// The URL that starts a sign-in in the browser: code flow, PKCE S256 and a fresh state.
    pub fn authorize(&self, redirect_uri: &str) -> Result<Authorization, AuthError> {
        let redirect = RedirectUrl::new(redirect_uri.to_owned())
            .map_err(|e| AuthError::Provider(format!("bad redirect URL: {e}")))?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let client = self.client()?.set_redirect_uri(redirect);
        let scopes = self.settings.scopes.iter().map(|s| Scope::new(s.clone()));
        let (url, state) = client
            .authorize_url(CsrfToken::new_random)
            .add_scopes(scopes)
            .set_pkce_challenge(challenge)
            .url();
        Ok(Authorization { url: url.to_string(), state, verifier })
    }

    pub async fn exchange_code(
        &self,
        http: &reqwest::Client,
        redirect_uri: &str,
        code: String,
        verifier: PkceCodeVerifier,
    ) -> Result<Grant, AuthError> {
        let redirect = RedirectUrl::new(redirect_uri.to_owned())
            .map_err(|e| AuthError::Provider(format!("bad redirect URL: {e}")))?;
        let client = self.client()?.set_redirect_uri(redirect);
        let answer = client
            .exchange_code(AuthorizationCode::new(code))
            .set_pkce_verifier(verifier)
            .request_async(http)
            .await
            .map_err(token_error)?;
        Ok(grant(&answer))
    }

    pub async fn refresh(
        &self,
        http: &reqwest::Client,
        refresh_token: &str,
    ) -> Result<Grant, AuthError> {
        let token = RefreshToken::new(refresh_token.to_owned());
        let answer = self
            .client()?
            .exchange_refresh_token(&token)
            .request_async(http)
            .await
            .map_err(token_error)?;
        Ok(grant(&answer))
    }
}

/// The longest lifetime taken from a token answer: a provider that claims centuries must
/// not overflow the clock arithmetic of the refresh timer.
const LONGEST_LIFETIME: Duration = Duration::from_secs(366 * 24 * 3600);

fn grant(answer: &impl TokenResponse) -> Grant {
    Grant {
        access_token: answer.access_token().secret().clone(),
        expires_in: answer.expires_in().map(|lifetime| lifetime.min(LONGEST_LIFETIME)),
        refresh_token: answer.refresh_token().map(|t| t.secret().clone()),
    }
}

/// Sorts a failed token request: a refused grant means signing in again; a network failure
/// means trying later. Never quotes the answer's body: it may hold a token.
fn token_error(error: TokenError) -> AuthError {
    match error {
        RequestTokenError::ServerResponse(answer) => {
            let reason =
                answer.error_description().cloned().unwrap_or_else(|| answer.error().to_string());
            match answer.error() {
                BasicErrorResponseType::InvalidGrant => AuthError::Refused(reason),
                _ => {
                    AuthError::Provider(format!("the provider refused the token request: {reason}"))
                }
            }
        }
        RequestTokenError::Request(HttpClientError::Reqwest(e)) => unreachable(*e),
        RequestTokenError::Request(e) => AuthError::Offline(e.to_string()),
        RequestTokenError::Parse(e, _body) => {
            AuthError::Provider(format!("the provider's token answer is malformed: {e}"))
        }
        RequestTokenError::Other(e) => AuthError::Provider(e),
    }
}

/// A request to the provider that got no answer: the network's fault, or a certificate this
/// device does not trust, which waiting will not mend.
fn unreachable(error: reqwest::Error) -> AuthError {
    match crate::transport::untrusted(&error, "the sign-in provider's") {
        Some(untrusted) => AuthError::Untrusted(untrusted),
        None => AuthError::Offline(error.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use oauth2::basic::BasicTokenType;
    use oauth2::{AccessToken, EmptyExtraTokenFields, StandardTokenResponse};

    use super::*;

    #[test]
    fn a_lifetime_of_centuries_is_taken_as_a_year_and_the_clock_arithmetic_holds() {
        let token = AccessToken::new("token".into());
        let mut answer =
            StandardTokenResponse::new(token, BasicTokenType::Bearer, EmptyExtraTokenFields {});
        answer.set_expires_in(Some(&Duration::from_secs(u64::MAX)));
        let lifetime = grant(&answer).expires_in.expect("a lifetime");
        assert_eq!(lifetime, LONGEST_LIFETIME);
        // What the AuthActor does with it: the refresh time and the expiry, by the clock.
        let now = std::time::SystemTime::now();
        assert!(
            now.checked_add(lifetime.mul_f64(0.8)).is_some() && now.checked_add(lifetime).is_some()
        );
    }

    /// A stand-in provider whose discovery document names a token endpoint in plain HTTP
    /// on another machine (the real test provider, tests/oauth, cannot be told to).
    async fn provider_naming(token_endpoint: &'static str) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("binds");
        let issuer = format!("http://{}", listener.local_addr().expect("addr"));
        let document = serde_json::json!({"issuer": issuer,
            "authorization_endpoint": format!("{issuer}/authorize"),
            "token_endpoint": token_endpoint})
        .to_string();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let _ = socket.read(&mut [0u8; 4096]).await;
                let answer = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
                     Content-Length: {}\r\nConnection: close\r\n\r\n{document}",
                    document.len()
                );
                let _ = socket.write_all(answer.as_bytes()).await;
            }
        });
        issuer
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_provider_naming_an_unencrypted_endpoint_elsewhere_is_refused_unless_allowed() {
        let issuer = provider_naming("http://id.example.com/token").await;
        let settings = ProviderSettings { issuer, client_id: "c".into(), scopes: vec![] };
        let source = SignInSource::Provider(settings);
        let http = http_client(None).expect("client");
        let refused = resolve(&source, &http, false).await.expect_err("refused");
        assert!(
            matches!(&refused, AuthError::Unencrypted(e) if e.url == "http://id.example.com/token"),
            "{refused}"
        );
        let allowed = resolve(&source, &http, true).await.expect("allowed").expect("a provider");
        assert_eq!(allowed.token_endpoint, "http://id.example.com/token");
    }

    #[tokio::test]
    async fn an_issuer_in_plain_http_elsewhere_is_refused_before_it_is_asked() {
        let settings = ProviderSettings {
            issuer: "http://id.invalid".into(),
            client_id: "c".into(),
            scopes: vec![],
        };
        let http = http_client(None).expect("client");
        let refused = resolve(&SignInSource::Provider(settings), &http, false).await;
        assert!(matches!(refused, Err(AuthError::Unencrypted(_))), "{refused:?}");
    }
}

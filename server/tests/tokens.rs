//! The server behind a real OpenID provider on loopback (tests/oauth/provider.mjs, built on
//! oauth2-mock-server): access tokens are checked for signature, issuer, audience and
//! expiry; the user is the token's subject and reaches only their own spaces; new signing
//! keys are picked up, and known ones keep working while the provider is away.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use promptdeck_server::{Auth, OidcConfig, Server, ServerConfig};
use serde_json::{Value, json};

#[path = "../../actors/tests/support/oidc.rs"]
mod oidc;

use oidc::{AUDIENCE, Provider};

/// How long a test waits for what should happen at once.
const WAIT: Duration = Duration::from_secs(30);

struct Running {
    base: String,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

async fn server(provider: &Provider) -> Running {
    server_with_skew(provider, promptdeck_server::CLOCK_SKEW).await
}

async fn server_with_skew(provider: &Provider, clock_skew: Duration) -> Running {
    let dir = tempfile::tempdir().expect("tempdir");
    let oidc = OidcConfig {
        client_id: Some("promptdeck-desktop".into()),
        refetch_at_most_every: Duration::ZERO,
        clock_skew,
        ..OidcConfig::new(&provider.issuer, AUDIENCE)
    };
    let config = ServerConfig::new(
        "127.0.0.1:0".parse().expect("addr"),
        format!("sqlite://{}", dir.path().join("server.db").display()),
        Auth::oidc(oidc).expect("auth"),
    );
    let server = Server::start(config).await.expect("starts");
    let base = format!("http://{}", server.local_addr());
    tokio::spawn(server.serve_until(std::future::pending()));
    Running { base, http: reqwest::Client::new(), _dir: dir }
}

/// What the server said: status, error message, and its WWW-Authenticate challenge.
struct Answer {
    status: u16,
    error: String,
    challenge: String,
}

impl Running {
    async fn push(&self, token: Option<&str>, space: &str) -> Answer {
        let body = json!({"profileID": "p", "clientGroupID": format!("g-{space}"), "pushVersion": 1,
            "schemaVersion": "1", "mutations": [{"id": 1, "clientID": format!("c-{space}"),
            "name": "createPrompt", "timestamp": 1.0,
            "args": {"id": "a", "title": "A", "body": "b", "tags": [], "createdAt": 1}}]});
        let mut request =
            self.http.post(format!("{}/api/replicache/push?space={space}", self.base)).json(&body);
        if let Some(token) = token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        let response = request.send().await.expect("the server answers");
        let status = response.status().as_u16();
        let challenge = response
            .headers()
            .get("www-authenticate")
            .map(|v| v.to_str().unwrap_or_default().to_owned())
            .unwrap_or_default();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        let error = body["error"].as_str().unwrap_or_default().to_owned();
        Answer { status, error, challenge }
    }
}

fn parts(token: &str) -> Vec<String> {
    token.split('.').map(str::to_owned).collect()
}

fn segment(value: Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

fn kid(token: &str) -> String {
    let header = URL_SAFE_NO_PAD.decode(&parts(token)[0]).expect("base64");
    let header: Value = serde_json::from_slice(&header).expect("a JSON header");
    header["kid"].as_str().expect("a kid").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_valid_token_signs_in_its_subject_and_bad_ones_are_refused_with_their_reason() {
    let provider = Provider::start();
    let server = server(&provider).await;
    let alice = provider.token(&[("sub", "alice")]).await;
    let bob = provider.token(&[("sub", "bob")]).await;
    assert_eq!(server.push(Some(&alice), "alices").await.status, 200);
    let other = server.push(Some(&bob), "alices&owner=alice").await;
    assert_eq!(
        (other.status, other.error.contains("has not shared")),
        (403, true),
        "{}",
        other.error
    );

    let (a, b) = (parts(&alice), parts(&bob));
    let header = |alg: &str| segment(json!({"alg": alg, "typ": "JWT", "kid": kid(&alice)}));
    let bad_tokens = [
        (provider.token(&[("sub", "alice"), ("exp_in", "-300")]).await, "expired"),
        (
            provider.token(&[("sub", "alice"), ("iss", "https://evil.example")]).await,
            "another issuer",
        ),
        (provider.token(&[("sub", "alice"), ("aud", "someone-else")]).await, "another audience"),
        (provider.token(&[]).await, "lacks its sub claim"),
        (format!("{}.{}.{}", a[0], b[1], a[2]), "signature does not verify"),
        (format!("{}.{}.", header("none"), a[1]), "not a well-formed JWT"),
        (format!("{}.{}.{}", header("HS256"), a[1], a[2]), "algorithm"),
        ("not-a-jwt".to_owned(), "not a well-formed JWT"),
    ];
    for (token, reason) in bad_tokens {
        let refused = server.push(Some(&token), "alices").await;
        assert_eq!(refused.status, 401, "{reason}: {}", refused.error);
        assert!(refused.error.contains(reason), "wanted {reason:?}, got {:?}", refused.error);
        assert!(refused.challenge.contains("invalid_token"), "{reason}: {}", refused.challenge);
    }
    let anonymous = server.push(None, "alices").await;
    assert_eq!((anonymous.status, anonymous.error.contains("Authorization")), (401, true));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poke_stream_ends_when_the_token_it_was_opened_with_expires() {
    use futures_util::StreamExt;
    let provider = Provider::start();
    let server = server_with_skew(&provider, Duration::ZERO).await;
    let lasting = provider.token(&[("sub", "alice")]).await;
    let brief = provider.token(&[("sub", "alice"), ("exp_in", "3")]).await;
    assert_eq!(server.push(Some(&lasting), "alices").await.status, 200);
    let follow = |token: String| {
        let request = server
            .http
            .get(format!("{}/api/replicache/poke?space=alices", server.base))
            .bearer_auth(token)
            .send();
        async move {
            let response = request.await.expect("answered");
            assert_eq!(response.status().as_u16(), 200);
            response.bytes_stream()
        }
    };
    let mut brief_stream = follow(brief).await;
    let mut lasting_stream = follow(lasting.clone()).await;
    let ended = async { while let Some(Ok(_)) = brief_stream.next().await {} };
    tokio::time::timeout(WAIT, ended).await.expect("the stream ends as its token expires");
    // The other stream is still open: it hears the next push.
    assert_eq!(server.push(Some(&lasting), "alices").await.status, 200);
    let heard = async {
        while let Some(Ok(chunk)) = lasting_stream.next().await {
            if String::from_utf8_lossy(&chunk).contains("data: poke") {
                return true;
            }
        }
        false
    };
    assert!(tokio::time::timeout(WAIT, heard).await.expect("a poke in time"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_signing_keys_are_fetched_and_known_ones_outlive_the_provider() {
    let provider = Provider::start();
    let server = server(&provider).await;
    let first = provider.token(&[("sub", "alice")]).await;
    assert_eq!(server.push(Some(&first), "alices").await.status, 200);

    let new_kid = provider.rotate().await;
    let mut second = provider.token(&[("sub", "alice")]).await;
    // The provider signs with its keys in turn.
    while kid(&second) != new_kid {
        second = provider.token(&[("sub", "alice")]).await;
    }
    assert_eq!(server.push(Some(&second), "alices").await.status, 200, "the new key was fetched");

    drop(provider);
    assert_eq!(server.push(Some(&first), "alices").await.status, 200, "keys are kept");
    assert_eq!(server.push(Some(&second), "alices").await.status, 200, "keys are kept");
    let a = parts(&first);
    let unknown = format!(
        "{}.{}.{}",
        segment(json!({"alg": "RS256", "typ": "JWT", "kid": "never-published"})),
        a[1],
        a[2]
    );
    let unavailable = server.push(Some(&unknown), "alices").await;
    assert_eq!(
        unavailable.status, 503,
        "an unknown key with the provider away is the server's trouble, not a sign-out: {}",
        unavailable.error
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_config_endpoint_tells_clients_how_to_sign_in() {
    let provider = Provider::start();
    let server = server(&provider).await;
    let config: Value = server
        .http
        .get(format!("{}/api/config", server.base))
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("JSON");
    assert_eq!(
        config["auth"],
        json!({"kind": "oidc", "issuer": provider.issuer, "audience": AUDIENCE,
               "clientId": "promptdeck-desktop", "scopes": ["openid", "offline_access"]})
    );
}

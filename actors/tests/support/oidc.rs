//! tests/oauth/provider.mjs in a child process: a real OpenID provider on loopback whose
//! refresh tokens rotate and can be revoked, whose token lifetimes a test sets, and which
//! counts sign-ins and refreshes. Shared by the runtime's and the server's tests.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use serde_json::Value;

/// The `aud` of the access tokens from a sign-in, and what the server checks for.
pub const AUDIENCE: &str = "promptdeck-sync";
/// The public client Promptdeck signs in as.
pub const CLIENT_ID: &str = "promptdeck-desktop";

pub struct Provider {
    child: Child,
    pub issuer: String,
    pub control: String,
    http: reqwest::Client,
}

/// What the provider counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    pub sign_ins: u64,
    pub refreshes: u64,
    pub refused: u64,
    pub reuses: u64,
}

impl Provider {
    pub fn start() -> Self {
        let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let dir = [manifest.join("tests/oauth"), manifest.join("../tests/oauth")]
            .into_iter()
            .find(|dir| dir.join("provider.mjs").exists())
            .expect("the workspace's tests/oauth folder");
        assert!(
            dir.join("node_modules/oauth2-mock-server").exists(),
            "run `npm ci --prefix tests/oauth` first (scripts/test.sh does)"
        );
        let mut child = Command::new("node")
            .arg(dir.join("provider.mjs"))
            .arg(AUDIENCE)
            .stdout(Stdio::piped())
            .spawn()
            .expect("node is installed");
        let mut lines = BufReader::new(child.stdout.take().expect("piped")).lines();
        let mut next = |prefix: &str| {
            let line = lines.next().expect("the provider starts").expect("a line");
            line.strip_prefix(prefix).unwrap_or_else(|| panic!("{line:?}")).to_owned()
        };
        let issuer = next("issuer ");
        let control = next("control ");
        // Node closes idle connections after 5 s; a test that asks again later must not
        // reuse one it closed.
        let http =
            reqwest::Client::builder().pool_max_idle_per_host(0).build().expect("an HTTP client");
        Self { child, issuer, control, http }
    }

    /// A client-credentials access token, bent by `fields` (aud, iss, exp_in, sub).
    pub async fn token(&self, fields: &[(&str, &str)]) -> String {
        let mut form = vec![("grant_type", "client_credentials"), ("aud", AUDIENCE)];
        form.retain(|(k, _)| !fields.iter().any(|(f, _)| f == k));
        form.extend_from_slice(fields);
        let answer: Value = self
            .http
            .post(format!("{}/token", self.issuer))
            .form(&form)
            .send()
            .await
            .expect("the provider answers")
            .json()
            .await
            .expect("a token answer");
        answer["access_token"].as_str().expect("an access token").to_owned()
    }

    /// Publishes a new signing key; returns its kid.
    pub async fn rotate(&self) -> String {
        self.control_post("/rotate").await
    }

    /// Access tokens from now on expire after `real` seconds and claim to last `told`.
    pub async fn lifetime(&self, real: u64, told: u64) {
        self.control_post(&format!("/ttl?real={real}&told={told}")).await;
    }

    /// Refuses every refresh token issued so far.
    pub async fn revoke_all(&self) {
        self.control_post("/revoke").await;
    }

    pub async fn stats(&self) -> Stats {
        let answer = self.http.get(format!("{}/stats", self.control)).send().await;
        let stats: Value = answer.expect("stats").json().await.expect("JSON stats");
        let count = |key: &str| stats[key].as_u64().expect("a count");
        Stats {
            sign_ins: count("signIns"),
            refreshes: count("refreshes"),
            refused: count("refused"),
            reuses: count("reuses"),
        }
    }

    /// Every code, verifier and token that crossed the token endpoint.
    pub async fn secrets(&self) -> Vec<String> {
        let answer = self.http.get(format!("{}/secrets", self.control)).send().await;
        answer.expect("secrets").json().await.expect("a JSON list")
    }

    async fn control_post(&self, path: &str) -> String {
        let answer = self.http.post(format!("{}{path}", self.control)).send().await;
        answer.expect("the control answers").text().await.expect("text")
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

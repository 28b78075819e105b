//! The HTTP side of sync: push and pull bodies and headers exactly as design §4 has them,
//! and every answer a server may give sorted into what the SyncActor must do about it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use promptdeck_protocol::SpaceAddress;
use promptdeck_protocol::wire::{
    PULL_VERSION, PUSH_VERSION, PullReply, PullRequest, PullResponse, PushRequest, ServerError,
    VersionType,
};
use promptdeck_storage::{PendingMutation, SyncState};
use serde::Serialize;

use ractor::rpc::CallResult;
use ractor::{ActorRef, RpcReplyPort};

use super::SyncConfig;
use crate::auth::{AuthError, AuthMsg};

/// Longest a round waits for a token: a refresh is one request to the provider.
const AUTH_TIMEOUT: Duration = Duration::from_secs(30);

/// Why a push or pull did not go through.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RoundError {
    #[error("the server cannot be reached: {0}")]
    Offline(String),
    #[error("the server wants a new sign-in")]
    NeedsSignIn,
    #[error("the server needs a newer Promptdeck ({0:?} version)")]
    UpdateNeeded(Option<VersionType>),
    #[error("the server no longer knows this device's sync state")]
    ClientStateNotFound,
    #[error("{0}")]
    Server(String),
}

/// Mutations per push request; a long offline queue goes out in several.
const PUSH_BATCH: usize = 100;

pub(crate) struct SyncClient {
    http: reqwest::Client,
    config: SyncConfig,
    /// The AuthActor's registry name, when tokens come from a sign-in.
    auth: Option<String>,
    session: String,
    requests: AtomicU64,
}

impl SyncClient {
    pub(crate) fn new(config: SyncConfig, auth: Option<String>) -> Result<Self, reqwest::Error> {
        let http = crate::transport::client_builder(config.ca_file.as_ref())
            .connect_timeout(Duration::from_secs(10))
            .build()?;
        let session = ulid::Ulid::new().to_string().to_lowercase();
        Ok(Self { http, config, auth, session, requests: AtomicU64::new(0) })
    }

    /// Pushes every pending mutation, oldest first, in batches.
    pub(crate) async fn push(
        &self,
        sync: &SyncState,
        pending: &[PendingMutation],
    ) -> Result<(), RoundError> {
        for batch in pending.chunks(PUSH_BATCH) {
            let body = PushRequest {
                profile_id: profile_id(sync),
                client_group_id: sync.client_group_id.clone(),
                mutations: batch.iter().map(PendingMutation::to_record).collect(),
                push_version: PUSH_VERSION,
                schema_version: self.config.schema_version.clone(),
            };
            let answer = self.post(&self.config.endpoints.push, &sync.client_id, &body).await?;
            // Any 200 is success, whatever its body, unless it is one of the protocol's errors.
            if let Ok(error) = serde_json::from_slice::<ServerError>(&answer) {
                return Err(protocol_error(error));
            }
        }
        Ok(())
    }

    pub(crate) async fn pull(&self, sync: &SyncState) -> Result<PullResponse, RoundError> {
        let body = PullRequest {
            profile_id: profile_id(sync),
            client_group_id: sync.client_group_id.clone(),
            cookie: sync.cookie.clone(),
            pull_version: PULL_VERSION,
            schema_version: self.config.schema_version.clone(),
        };
        let answer = self.post(&self.config.endpoints.pull, &sync.client_id, &body).await?;
        // A first pull of a large library is a hundred megabytes to read: not on a thread
        // the other actors share.
        let reply = tokio::task::spawn_blocking(move || PullReply::from_slice(&answer))
            .await
            .map_err(|e| RoundError::Server(format!("reading the pull answer failed: {e}")))?;
        match reply {
            Ok(PullReply::Patch(response)) => Ok(response),
            Ok(PullReply::Error(error)) => Err(protocol_error(error)),
            Err(e) => {
                Err(RoundError::Server(format!("the server's pull answer is malformed: {e}")))
            }
        }
    }

    /// Opens the server's poke stream for the space, if it has one.
    pub(crate) async fn pokes(&self) -> Result<reqwest::Response, RoundError> {
        let Some(poke) = &self.config.endpoints.poke else {
            return Err(RoundError::Server("this backend has no poke stream".into()));
        };
        let open = |authorization: Option<String>| async move {
            let request = authorized(self.http.get(self.config.url(poke)), &authorization);
            let silent = || RoundError::Offline("the poke stream did not answer".into());
            tokio::time::timeout(self.config.poke_idle_timeout, request.send())
                .await
                .map_err(|_| silent())?
                .map_err(unreachable)
        };
        // The server ends a stream when its token expires; the token this device holds may
        // be that one even though the provider said it would last longer.
        check_status(self.with_fresh_token_on_401(open).await?).await
    }

    /// Whether this backend runs the learning mutators for this space: in one of the
    /// user's own spaces (what is learned in a space shared with them stays on this
    /// device), where the settings say so, or where a promptdeck-server's `/api/config`
    /// names both. A backend of the user's own is never asked, nor sent them unasked.
    pub(crate) async fn runs_learning(&self) -> Result<bool, RoundError> {
        let shared = SpaceAddress::parse(&self.config.space).is_ok_and(|a| a.owner.is_some());
        if shared {
            return Ok(false);
        }
        if let Some(said) = self.config.learning {
            return Ok(said);
        }
        let Some(base) = self.config.endpoints.promptdeck_server_base() else { return Ok(false) };
        let request = self
            .http
            .get(format!("{base}/api/config"))
            .timeout(self.config.request_timeout)
            .send()
            .await
            .map_err(unreachable)?;
        let answer = self.read_bounded(check_status(request).await?).await?;
        let config: serde_json::Value = serde_json::from_slice(&answer).map_err(|e| {
            RoundError::Server(format!("the server's /api/config is not JSON: {e}"))
        })?;
        let names = config["mutators"].as_array().cloned().unwrap_or_default();
        let runs = |name: &str| names.iter().any(|n| n.as_str() == Some(name));
        Ok(runs("learnPick") && runs("forgetLearned"))
    }

    /// How long an open poke stream may stay silent before it is opened again.
    pub(crate) fn poke_idle_timeout(&self) -> Duration {
        self.config.poke_idle_timeout
    }

    async fn post(
        &self,
        endpoint: &str,
        client_id: &str,
        body: &impl Serialize,
    ) -> Result<Vec<u8>, RoundError> {
        let body = serde_json::to_vec(body)
            .map_err(|e| RoundError::Server(format!("cannot encode the request: {e}")))?;
        let send = |authorization| self.send(endpoint, client_id, &body, authorization);
        let response = check_status(self.with_fresh_token_on_401(send).await?).await?;
        self.read_bounded(response).await
    }

    /// Sends with the current token and, when the server refuses it, once more with a
    /// fresh one: an access token can expire on the way. One retry, no loop.
    async fn with_fresh_token_on_401<F, Sent>(
        &self,
        send: F,
    ) -> Result<reqwest::Response, RoundError>
    where
        F: Fn(Option<String>) -> Sent,
        Sent: Future<Output = Result<reqwest::Response, RoundError>>,
    {
        let authorization = self.authorization().await?;
        let response = send(authorization.clone()).await?;
        if response.status() != reqwest::StatusCode::UNAUTHORIZED {
            return Ok(response);
        }
        match self.after_rejection(&authorization).await? {
            Some(fresh) => send(Some(fresh)).await,
            None => Ok(response),
        }
    }

    async fn send(
        &self,
        endpoint: &str,
        client_id: &str,
        body: &[u8],
        authorization: Option<String>,
    ) -> Result<reqwest::Response, RoundError> {
        let mut attempt = 0;
        loop {
            let n = self.requests.fetch_add(1, Ordering::Relaxed);
            let request = self
                .http
                .post(self.config.url(endpoint))
                .timeout(self.config.request_timeout)
                .header("X-Replicache-RequestID", format!("{client_id}-{}-{n}", self.session))
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.to_vec());
            match authorized(request, &authorization).send().await {
                // A kept-alive connection the network dropped fails the first request sent
                // on it; one fresh try is safe (pushes and pulls are idempotent) and spares
                // the user an "offline" after every change of network.
                Err(e) if attempt == 0 && !e.is_timeout() => {
                    tracing::debug!(error = %e, "request failed before an answer; trying once more");
                    attempt += 1;
                }
                sent => return sent.map_err(unreachable),
            }
        }
    }

    /// The `Authorization` header's value: the configured one, or the AuthActor's token.
    async fn authorization(&self) -> Result<Option<String>, RoundError> {
        let Some(auth) = &self.auth else { return Ok(self.config.authorization.clone()) };
        let token = ask_auth(auth, AuthMsg::AccessToken).await?;
        Ok(token.map(|t| format!("Bearer {t}")))
    }

    /// After a 401: a fresh token from the AuthActor, if tokens come from there.
    async fn after_rejection(
        &self,
        authorization: &Option<String>,
    ) -> Result<Option<String>, RoundError> {
        let Some(auth) = &self.auth else { return Ok(None) };
        let Some(token) = authorization.as_deref().and_then(|a| a.strip_prefix("Bearer ")) else {
            return Ok(None);
        };
        let token = token.to_owned();
        let fresh = ask_auth(auth, |reply| AuthMsg::Rejected(token, reply)).await?;
        Ok(fresh.map(|t| format!("Bearer {t}")))
    }

    /// The answer's body, unless it is larger than the configured limit: a hostile or
    /// broken server must not be able to fill this machine's memory.
    async fn read_bounded(&self, mut response: reqwest::Response) -> Result<Vec<u8>, RoundError> {
        let limit = self.config.max_answer_bytes;
        let too_large = || {
            RoundError::Server(format!("the server's answer is larger than {limit} bytes; refused"))
        };
        if response.content_length().is_some_and(|n| n > limit as u64) {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| RoundError::Offline(format!("the answer was cut off: {e}")))?
        {
            if body.len() + chunk.len() > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

fn authorized(
    request: reqwest::RequestBuilder,
    authorization: &Option<String>,
) -> reqwest::RequestBuilder {
    match authorization {
        Some(value) => request.header(reqwest::header::AUTHORIZATION, value),
        None => request,
    }
}

/// Asks the AuthActor for a token; its errors become what a sync round makes of them.
async fn ask_auth(
    name: &str,
    message: impl FnOnce(RpcReplyPort<Result<Option<String>, AuthError>>) -> AuthMsg,
) -> Result<Option<String>, RoundError> {
    let Some(auth) = ActorRef::<AuthMsg>::where_is(name) else {
        return Err(RoundError::Offline("the sign-in is restarting".into()));
    };
    match auth.call(message, Some(AUTH_TIMEOUT)).await {
        Ok(CallResult::Success(Ok(token))) => Ok(token),
        Ok(CallResult::Success(Err(AuthError::NeedsSignIn))) => Err(RoundError::NeedsSignIn),
        Ok(CallResult::Success(Err(AuthError::Offline(reason)))) => {
            Err(RoundError::Offline(reason))
        }
        Ok(CallResult::Success(Err(other))) => Err(RoundError::Server(other.to_string())),
        _ => Err(RoundError::Offline("the sign-in did not answer in time".into())),
    }
}

/// Replicache's profile id names the browser profile; ours is the client group's, stable.
fn profile_id(sync: &SyncState) -> String {
    format!("p{}", sync.client_group_id.to_lowercase())
}

/// A request that got no answer: the network's fault, or a certificate this device does not
/// trust, which waiting will not mend.
fn unreachable(error: reqwest::Error) -> RoundError {
    match crate::transport::untrusted(&error, "the server's") {
        Some(untrusted) => RoundError::Server(untrusted.to_string()),
        None => RoundError::Offline(error.to_string()),
    }
}

fn protocol_error(error: ServerError) -> RoundError {
    match error {
        ServerError::ClientStateNotFound => RoundError::ClientStateNotFound,
        ServerError::VersionNotSupported { version_type } => RoundError::UpdateNeeded(version_type),
    }
}

async fn check_status(response: reqwest::Response) -> Result<reqwest::Response, RoundError> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    if status == reqwest::StatusCode::UNAUTHORIZED {
        return Err(RoundError::NeedsSignIn);
    }
    let body = error_body_start(response).await;
    // promptdeck-server says why in `{"error": ...}`; another backend's body is shown as is.
    let said = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|answer| answer["error"].as_str().map(str::to_owned));
    let reason: String = said.unwrap_or(body).chars().take(300).collect();
    Err(RoundError::Server(format!("the server answered {status}: {reason}")))
}

/// The start of an error's body, for the reason shown: a server that sends an endless (or
/// stalled) body must not keep the round waiting or fill memory.
async fn error_body_start(mut response: reqwest::Response) -> String {
    const ENOUGH: usize = 4096;
    let mut start = Vec::new();
    while start.len() < ENOUGH {
        match response.chunk().await {
            Ok(Some(chunk)) => start.extend_from_slice(&chunk),
            Ok(None) | Err(_) => break,
        }
    }
    start.truncate(ENOUGH);
    String::from_utf8_lossy(&start).into_owned()
}

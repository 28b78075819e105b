//! The HTTP side of sync: push and pull bodies and headers exactly as design §4 has them,
//! and every answer a server may give sorted into what the SyncActor must do about it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use promptdeck_protocol::wire::{
    PULL_VERSION, PUSH_VERSION, PullReply, PullRequest, PullResponse, PushRequest, ServerError,
    VersionType,
};
use promptdeck_storage::{PendingMutation, SyncState};
use serde::Serialize;

use super::SyncConfig;

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
    session: String,
    requests: AtomicU64,
}

impl SyncClient {
    pub(crate) fn new(config: SyncConfig) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| format!("cannot make an HTTP client: {e}"))?;
        let session = ulid::Ulid::new().to_string().to_lowercase();
        Ok(Self { http, config, session, requests: AtomicU64::new(0) })
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
        match serde_json::from_slice::<PullReply>(&answer) {
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
        let request = self.authorized(self.http.get(self.config.url(poke)));
        let response = request.send().await.map_err(|e| RoundError::Offline(e.to_string()))?;
        check_status(response).await
    }

    async fn post(
        &self,
        endpoint: &str,
        client_id: &str,
        body: &impl Serialize,
    ) -> Result<Vec<u8>, RoundError> {
        let n = self.requests.fetch_add(1, Ordering::Relaxed);
        let request = self
            .http
            .post(self.config.url(endpoint))
            .timeout(self.config.request_timeout)
            .header("X-Replicache-RequestID", format!("{client_id}-{}-{n}", self.session))
            .json(body);
        let response = self
            .authorized(request)
            .send()
            .await
            .map_err(|e| RoundError::Offline(e.to_string()))?;
        let response = check_status(response).await?;
        self.read_bounded(response).await
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

    fn authorized(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.config.authorization {
            Some(value) => request.header(reqwest::header::AUTHORIZATION, value),
            None => request,
        }
    }
}

/// Replicache's profile id names the browser profile; ours is the client group's, stable.
fn profile_id(sync: &SyncState) -> String {
    format!("p{}", sync.client_group_id.to_lowercase())
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
    let body = response.text().await.unwrap_or_default();
    let reason: String = body.chars().take(200).collect();
    Err(RoundError::Server(format!("the server answered {status}: {reason}")))
}

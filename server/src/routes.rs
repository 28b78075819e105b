//! The HTTP surface: `POST /api/replicache/push`, `POST /api/replicache/pull` and
//! `GET /api/replicache/poke` (server-sent events), each for the space named in `?space=`.

use std::convert::Infallible;

use axum::Json;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::{get, post};
use futures_util::Stream;
use futures_util::StreamExt;
use promptdeck_protocol::wire::{PullRequest, PushRequest};
use promptdeck_protocol::{DEFAULT_SPACE, Mutation, SpaceName};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use tracing::Instrument;

use crate::auth::Auth;
use crate::error::ApiError;
use crate::spaces::SpaceKey;
use crate::{AppState, MAX_BODY_BYTES, limits, local, pull, push};

pub(crate) fn router(state: AppState) -> axum::Router {
    let local = matches!(*state.auth, Auth::InsecureLocal);
    let router = axum::Router::new()
        .route("/api/replicache/push", post(push_handler))
        .route("/api/replicache/pull", post(pull_handler))
        .route("/api/replicache/poke", get(poke_handler))
        .route("/api/config", get(config_handler))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state);
    match local {
        true => router.layer(axum::middleware::from_fn(local::only_local_clients)),
        false => router,
    }
}

/// `?space=NAME` for the caller's own space (`personal` when none is named), with
/// `&owner=USER` for a space another user shared.
#[derive(Deserialize)]
struct SpaceQuery {
    space: Option<String>,
    owner: Option<String>,
}

impl SpaceQuery {
    /// The space asked for, if it is a valid name and a valid owner.
    fn space(&self, caller: &str) -> Result<SpaceKey, ApiError> {
        let name = self.space.clone().unwrap_or_else(|| DEFAULT_SPACE.into());
        let name = SpaceName::parse(name)
            .map(SpaceName::into_string)
            .map_err(|e| ApiError::BadRequest(e.to_string()))?;
        let owner = match &self.owner {
            Some(owner) => limits::check_owner(owner)?.to_owned(),
            None => caller.to_owned(),
        };
        Ok(SpaceKey { owner, name })
    }
}

/// Reads and parses a request's body, once its sender is known (nobody unknown gets the
/// server to buffer megabytes) and within `timeout` (nobody holds a request open by
/// trickling its body).
async fn parse<T: DeserializeOwned>(
    body: Body,
    what: &str,
    timeout: std::time::Duration,
) -> Result<T, ApiError> {
    let read = axum::body::to_bytes(body, MAX_BODY_BYTES);
    let bytes = tokio::time::timeout(timeout, read)
        .await
        .map_err(|_| ApiError::TooSlow(timeout))?
        .map_err(|_| ApiError::TooLarge)?;
    serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::BadRequest(format!("not a Replicache {what} request: {e}")))
}

async fn push_handler(
    State(state): State<AppState>,
    Query(query): Query<SpaceQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<serde_json::Value>, ApiError> {
    let user = state.auth.user(&headers).await?;
    let _held = state.held.request(&user)?;
    let space = query.space(&user)?;
    let request: PushRequest = parse(body, "push", state.held.limits().body_timeout).await?;
    limits::check_push_ids(&request)?;
    let span = tracing::info_span!("push", %space, mutations = request.mutations.len());
    let pushed =
        push::push(&state.db, &user, &space, &request, state.held.limits()).instrument(span).await;
    // Even a push refused part way may have changed the space.
    if !request.mutations.is_empty() {
        state.pokes.poke(&space.id()).await;
    }
    pushed.map(|()| Json(serde_json::json!({})))
}

async fn pull_handler(
    State(state): State<AppState>,
    Query(query): Query<SpaceQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<axum::response::Response, ApiError> {
    let user = state.auth.user(&headers).await?;
    let _held = state.held.request(&user)?;
    let space = query.space(&user)?;
    let request: PullRequest = parse(body, "pull", state.held.limits().body_timeout).await?;
    limits::check_pull_ids(&request)?;
    let patch = pull::pull(&state.db, &user, &space, &request).await?;
    Ok(([(axum::http::header::CONTENT_TYPE, "application/json")], patch).into_response())
}

/// What a client needs to know before it can sync here: how to sign in.
async fn config_handler(State(state): State<AppState>) -> Json<serde_json::Value> {
    // A client sends a mutator only to a backend that names it here (learnPick above all:
    // a backend of the user's own may not run it).
    Json(serde_json::json!({"auth": state.auth.describe(), "mutators": Mutation::NAMES}))
}

async fn poke_handler(
    State(state): State<AppState>,
    Query(query): Query<SpaceQuery>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let caller = state.auth.caller(&headers).await?;
    let held = state.held.poke_stream(&caller.user)?;
    let space = query.space(&caller.user)?;
    state.db.may_follow(&caller.user, &space).await?;
    // The stream ends when the server stops, so it never holds a shutdown up, when the
    // token it was opened with expires (the client opens it again with a fresh one), and
    // when a grant it follows is revoked; it counts against its user's poke streams for as
    // long as it is open.
    let mut stopping = state.stopping.clone();
    let expires_in = caller
        .expires_at
        .map(|at| at.duration_since(std::time::SystemTime::now()).unwrap_or_default());
    let revoked = {
        let (db, user, space) = (state.db.clone(), caller.user.clone(), space.clone());
        let every = state.held.limits().poke_recheck;
        async move {
            if user == space.owner {
                return std::future::pending().await;
            }
            loop {
                tokio::time::sleep(every).await;
                if let Err(ApiError::Forbidden(_)) = db.may_follow(&user, &space).await {
                    return;
                }
            }
        }
    };
    let ended = async move {
        let _held = held;
        let expired = async {
            match expires_in {
                Some(left) => tokio::time::sleep(left).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = revoked => {}
            _ = stopping.wait_for(|stopping| *stopping) => {}
            () = expired => {}
        }
    };
    let pokes = state
        .pokes
        .listen(&space.id())
        .map(|()| Ok(Event::default().data("poke")))
        .take_until(ended);
    Ok(Sse::new(pokes).keep_alive(KeepAlive::default()))
}

//! The loopback redirect of a browser sign-in (RFC 8252 §7.3): a listener on 127.0.0.1 at
//! a port the system picks, taking the provider's answer on `/callback` once. Only an answer
//! whose `state` is the one this sign-in sent counts; anything else (a forged link, a web
//! page probing the port) gets an error page and leaves the sign-in waiting for the real
//! answer, so no page can end a sign-in it did not start.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Html;
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::sync::{Mutex, oneshot};

use super::AuthError;

pub(crate) struct Loopback {
    listener: TcpListener,
    pub redirect_uri: String,
}

type Answer = Arc<Mutex<Option<oneshot::Sender<Result<String, AuthError>>>>>;

#[derive(Clone)]
struct Callback {
    state: String,
    answer: Answer,
}

impl Loopback {
    pub async fn bind() -> Result<Self, AuthError> {
        let listener = TcpListener::bind("127.0.0.1:0").await.map_err(|e| {
            AuthError::Provider(format!("cannot listen on 127.0.0.1 for the sign-in: {e}"))
        })?;
        let port = listener.local_addr().map_err(|e| AuthError::Provider(e.to_string()))?.port();
        Ok(Self { listener, redirect_uri: format!("http://127.0.0.1:{port}/callback") })
    }

    /// The authorization code from the first answer on `/callback`, if its state is
    /// `expected_state`. Runs until that answer comes; the caller bounds it in time.
    pub async fn code(self, expected_state: String) -> Result<String, AuthError> {
        let (tx, rx) = oneshot::channel();
        let callback = Callback { state: expected_state, answer: Arc::new(Mutex::new(Some(tx))) };
        let app = Router::new().route("/callback", get(answer)).with_state(callback);
        let server = axum::serve(self.listener, app);
        tokio::select! {
            outcome = rx => outcome.unwrap_or(Err(AuthError::Cancelled)),
            served = server => Err(AuthError::Provider(format!("the sign-in listener stopped: {served:?}"))),
        }
    }
}

async fn answer(
    State(callback): State<Callback>,
    Query(query): Query<HashMap<String, String>>,
) -> (StatusCode, Html<String>) {
    let outcome = read_answer(&callback.state, &query);
    let page = match &outcome {
        Ok(_) => {
            (StatusCode::OK, page("Promptdeck received your sign-in. You can close this tab."))
        }
        Err(e) => (StatusCode::BAD_REQUEST, page(&format!("Promptdeck was not signed in: {e}."))),
    };
    if outcome == Err(AuthError::StateMismatch) {
        tracing::warn!("an answer that is not this sign-in's reached its listener; ignored");
        return page;
    }
    if let Some(tx) = callback.answer.lock().await.take() {
        let _ = tx.send(outcome);
    }
    page
}

fn read_answer(expected_state: &str, query: &HashMap<String, String>) -> Result<String, AuthError> {
    if query.get("state").map(String::as_str) != Some(expected_state) {
        return Err(AuthError::StateMismatch);
    }
    if let Some(error) = query.get("error") {
        let reason = query.get("error_description").unwrap_or(error);
        return Err(AuthError::Refused(reason.clone()));
    }
    query
        .get("code")
        .cloned()
        .ok_or_else(|| AuthError::Provider("the provider's answer carries no code".into()))
}

fn page(message: &str) -> Html<String> {
    let message = message.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    Html(format!(
        "<!doctype html><meta charset=utf-8><title>Promptdeck</title>\
         <p style=\"font: 16px sans-serif; margin: 3em\">{message}</p>"
    ))
}

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use promptdeck_protocol::wire::{ServerError as ProtocolError, VersionType};
use serde_json::json;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("{0}")]
    Config(String),
    #[error("the database failed: {0}")]
    Database(#[from] sqlx::Error),
}

/// How a request failed, as the client sees it.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    /// Something the server depends on (the identity provider) does not answer.
    #[error("{0}")]
    Unavailable(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("the request body is larger than {} MiB", crate::MAX_BODY_BYTES >> 20)]
    TooLarge,
    /// The body did not arrive within the body timeout.
    #[error("the request body took longer than {} s to arrive", .0.as_secs())]
    TooSlow(std::time::Duration),
    /// The caller, or everyone together, holds as much of the server as they may.
    #[error("{0}")]
    TooBusy(String),
    /// A mutation would grow a space or a user past their quota.
    #[error("{0}")]
    OverQuota(String),
    /// Protocol errors travel with status 200, as Replicache clients expect.
    #[error("version not supported")]
    VersionNotSupported(VersionType),
    #[error("client state not found")]
    ClientStateNotFound,
    #[error("the database failed: {0}")]
    Database(#[from] sqlx::Error),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let protocol = |error: ProtocolError| (StatusCode::OK, Json(error)).into_response();
        let plain = |status: StatusCode, message: String| {
            (status, Json(json!({ "error": message }))).into_response()
        };
        match self {
            ApiError::VersionNotSupported(kind) => {
                protocol(ProtocolError::VersionNotSupported { version_type: Some(kind) })
            }
            ApiError::ClientStateNotFound => protocol(ProtocolError::ClientStateNotFound),
            ApiError::BadRequest(message) => plain(StatusCode::BAD_REQUEST, message),
            ApiError::OverQuota(message) => plain(StatusCode::PAYLOAD_TOO_LARGE, message),
            ApiError::Unauthorized(message) => {
                // RFC 6750: say that the token is the problem, so a client refreshes it.
                let challenge = format!(
                    "Bearer error=\"invalid_token\", error_description=\"{}\"",
                    message.replace('"', "'")
                );
                let mut response = plain(StatusCode::UNAUTHORIZED, message);
                if let Ok(value) = axum::http::HeaderValue::from_str(&challenge) {
                    response.headers_mut().insert(axum::http::header::WWW_AUTHENTICATE, value);
                }
                response
            }
            ApiError::Unavailable(message) => plain(StatusCode::SERVICE_UNAVAILABLE, message),
            ApiError::Forbidden(message) => plain(StatusCode::FORBIDDEN, message),
            ApiError::UnsupportedMediaType(message) => {
                plain(StatusCode::UNSUPPORTED_MEDIA_TYPE, message)
            }
            ApiError::TooLarge => {
                plain(StatusCode::PAYLOAD_TOO_LARGE, ApiError::TooLarge.to_string())
            }
            ApiError::TooSlow(_) => plain(StatusCode::REQUEST_TIMEOUT, self.to_string()),
            ApiError::TooBusy(message) => {
                let mut response = plain(StatusCode::TOO_MANY_REQUESTS, message);
                response.headers_mut().insert(
                    axum::http::header::RETRY_AFTER,
                    axum::http::HeaderValue::from_static("5"),
                );
                response
            }
            ApiError::Database(e) => {
                tracing::error!(error = %e, "database failure");
                plain(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the server's database failed; try again".into(),
                )
            }
        }
    }
}

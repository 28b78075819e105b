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
    #[error("missing or unknown token")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
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
            ApiError::Unauthorized => {
                plain(StatusCode::UNAUTHORIZED, "missing or unknown token".into())
            }
            ApiError::Forbidden(message) => plain(StatusCode::FORBIDDEN, message),
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

//! `ApiError`: 4xx with a precise message, 5xx logged once and answered
//! "internal error".

use axum::Json;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An error a handler returns.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is wrong; the message says how.
    #[error("{message}")]
    BadRequest {
        /// What is wrong and what is allowed.
        message: String,
    },
    /// Nothing at this address.
    #[error("{0}")]
    NotFound(String),
    /// The path exists but not with this method.
    #[error("{0}")]
    MethodNotAllowed(String),
    /// Something failed inside; the cause is logged, not sent.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    /// A 400 with this message.
    pub fn bad(message: impl Into<String>) -> ApiError {
        ApiError::BadRequest {
            message: message.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, description) = match &self {
            ApiError::BadRequest { message } => (
                StatusCode::BAD_REQUEST,
                "InvalidParameterValue",
                message.clone(),
            ),
            ApiError::NotFound(message) => (StatusCode::NOT_FOUND, "NotFound", message.clone()),
            ApiError::MethodNotAllowed(message) => (
                StatusCode::METHOD_NOT_ALLOWED,
                "MethodNotAllowed",
                message.clone(),
            ),
            ApiError::Internal(cause) => {
                tracing::error!(%cause, "request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "ServerError",
                    "internal error".to_string(),
                )
            }
        };
        (
            status,
            Json(json!({ "code": code, "description": description })),
        )
            .into_response()
    }
}

/// The fallback for unknown paths.
pub async fn not_found(uri: Uri) -> ApiError {
    ApiError::NotFound(format!("no resource at {}", uri.path()))
}

/// The fallback for a known path with another method.
pub async fn method_not_allowed(method: axum::http::Method, uri: Uri) -> ApiError {
    ApiError::MethodNotAllowed(format!(
        "{method} is not allowed on {}; this API is read-only (GET)",
        uri.path()
    ))
}

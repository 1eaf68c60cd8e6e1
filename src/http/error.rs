//! `ApiError`: 4xx with a precise message, 5xx logged once and answered
//! "internal error".

use axum::Json;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

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
    /// No credentials, or ones that are not valid (answered with `WWW-Authenticate`).
    #[error("{0}")]
    Unauthorized(String),
    /// Signed in, but not allowed to do this.
    #[error("{0}")]
    Forbidden(String),
    /// Another status with an OGC-style code and a precise message
    /// (409, 410, 412, 413, 415, 422, 428, ...).
    #[error("{message}")]
    Status {
        /// The HTTP status.
        status: StatusCode,
        /// A short code, e.g. `PreconditionFailed`.
        code: &'static str,
        /// What is wrong and what to do.
        message: String,
    },
    /// Fields that failed validation (422), each with what is wrong: the
    /// description names them all, and `errors` lists them.
    #[error("{}", describe_fields(.0))]
    InvalidFields(Vec<(String, String)>),
    /// The server is too busy for costly work; try again after this many seconds.
    #[error("the server is busy with other analyses; try again in {0} s")]
    Busy(u64),
    /// Too many attempts; try again after this many seconds.
    #[error("too many requests from this client; try again in {0} s")]
    TooManyRequests(u64),
    /// Something failed inside; the cause is logged, not sent.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    /// Any status with a code and message.
    pub fn status(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::Status {
            status,
            code,
            message: message.into(),
        }
    }

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
            ApiError::Unauthorized(message) => {
                let mut r = (
                    StatusCode::UNAUTHORIZED,
                    Json(json!({ "code": "Unauthorized", "description": message })),
                )
                    .into_response();
                r.headers_mut().insert(
                    axum::http::header::WWW_AUTHENTICATE,
                    axum::http::HeaderValue::from_static("Bearer realm=\"assetmap\""),
                );
                return r;
            }
            ApiError::Forbidden(message) => (StatusCode::FORBIDDEN, "Forbidden", message.clone()),
            ApiError::Status {
                status,
                code,
                message,
            } => (*status, *code, message.clone()),
            ApiError::InvalidFields(fields) => {
                let errors: Vec<Value> = fields
                    .iter()
                    .map(|(field, message)| json!({ "field": field, "message": message }))
                    .collect();
                return (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Json(json!({ "code": "InvalidValue", "description": self.to_string(), "errors": errors })),
                )
                    .into_response();
            }
            ApiError::Busy(seconds) => {
                let mut r = (
                    StatusCode::SERVICE_UNAVAILABLE,
                    Json(json!({ "code": "ServiceUnavailable", "description": self.to_string() })),
                )
                    .into_response();
                if let Ok(v) = axum::http::HeaderValue::from_str(&seconds.to_string()) {
                    r.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
                }
                return r;
            }
            ApiError::TooManyRequests(seconds) => {
                let mut r = (
                    StatusCode::TOO_MANY_REQUESTS,
                    Json(json!({ "code": "TooManyRequests", "description": self.to_string() })),
                )
                    .into_response();
                if let Ok(v) = axum::http::HeaderValue::from_str(&seconds.to_string()) {
                    r.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
                }
                return r;
            }
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

fn describe_fields(fields: &[(String, String)]) -> String {
    fields
        .iter()
        .map(|(field, message)| format!("{field}: {message}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The fallback for unknown paths.
pub async fn not_found(uri: Uri) -> ApiError {
    ApiError::NotFound(format!("no resource at {}", uri.path()))
}

/// The fallback for a known path with another method.
pub async fn method_not_allowed(method: axum::http::Method, uri: Uri) -> ApiError {
    ApiError::MethodNotAllowed(format!(
        "{method} is not allowed on {}; only /collections/assets/items takes writes (POST, PUT, PATCH, DELETE)",
        uri.path()
    ))
}

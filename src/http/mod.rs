//! The HTTP API: the router, shared state, one file per resource, and the one
//! error type every handler returns.

mod dataset;
mod error;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::get;

pub use error::ApiError;

use crate::model::Dataset;

/// Longest time a request may take before it is answered 503.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// What every handler can see.
#[derive(Clone)]
pub struct AppState {
    /// The loaded dataset, read-only.
    pub dataset: Arc<Dataset>,
}

/// The whole API.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/health", get(dataset::health))
        .route("/api/dataset", get(dataset::summary))
        .fallback(error::not_found)
        .with_state(state)
}

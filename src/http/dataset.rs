//! `/health` and `/api/dataset`.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use super::AppState;

/// Liveness: answers as soon as the dataset is loaded and the server listens.
pub async fn health(State(state): State<AppState>) -> Json<Value> {
    Json(json!({
        "status": "ok",
        "dataset": state.catalog.name(),
        "version": env!("CARGO_PKG_VERSION"),
    }))
}

/// The dataset summary: sources, counts, vintages, extent.
pub async fn summary(State(state): State<AppState>) -> Json<Value> {
    Json(serde_json::to_value(state.dataset().summary()).unwrap_or(Value::Null))
}

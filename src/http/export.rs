//! Downloads: `/api/export/{collection}?format=&category=&ward=&council=&bbox=`.

use axum::extract::{Path, RawQuery, State};
use axum::response::Response;

use super::params::{self, Query};
use super::{ApiError, AppState};
use crate::export::{ExportError, ExportFormat, ExportRequest, export};

/// `GET /api/export/{collection}`: the collection (or `all`) as a file.
pub async fn download(
    State(state): State<AppState>,
    client: super::auth::ClientIp,
    Path(what): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let q = Query::parse(
        raw.as_deref(),
        &[
            params::FORMAT,
            params::CATEGORY,
            params::WARD,
            params::COUNCIL,
            params::BBOX,
        ],
        &[params::CATEGORY, params::WARD, params::COUNCIL],
    )?;
    let request = ExportRequest {
        collection: what.clone(),
        format: q.get(params::FORMAT).unwrap_or("geojson").to_string(),
        categories: q.list(params::CATEGORY),
        wards: q.list(params::WARD),
        councils: q.list(params::COUNCIL),
        bbox: q.get(params::BBOX).map(str::to_string),
    };
    let (collections, format, filter) = request.resolve(&state.dataset()).map_err(to_api)?;
    let dataset = state.dataset().clone();
    let bytes = {
        let turn = state.heavy_turn(&client).await?;
        tokio::task::spawn_blocking(move || {
            let _turn = turn;
            export(&dataset, &collections, format, &filter)
        })
    }
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?
    .map_err(to_api)?;
    let suffix = if format == ExportFormat::GeoJsonBng {
        "-27700"
    } else {
        ""
    };
    let filename = format!("{what}{suffix}.{}", format.extension());
    Ok(super::attachment(format.media_type(), &filename, bytes))
}

fn to_api(e: ExportError) -> ApiError {
    match e {
        ExportError::Invalid(m) => ApiError::bad(m),
        ExportError::UnknownCollection(m) => ApiError::NotFound(m),
        other => ApiError::Internal(other.to_string()),
    }
}

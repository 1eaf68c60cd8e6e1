//! Planners: `/api/gaps`, `/api/gaps/small-areas`, `/api/gaps/scenario`,
//! `/api/gaps/suggest`. Results are cached per parameter set.

use std::sync::Arc;

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use geo::Coord;
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::ClientIp;
use super::params::{self, Query};
use super::{ApiError, AppState, attachment};
use crate::analysis::{self, Decay, GapParams, GapResult, MAX_SUGGESTIONS};
use crate::crs::{Crs, bng_to_wgs84};
use crate::export::{GapLevel, gaps_csv, gaps_geojson, gaps_json, provenance};

/// `coverage_m`
pub const COVERAGE_M: &str = "coverage_m";
/// `catchment_m`
pub const CATCHMENT_M: &str = "catchment_m";
/// `decay`
pub const DECAY: &str = "decay";
/// `n`
pub const N: &str = "n";
/// Most hypothetical assets in one scenario.
pub const MAX_ADDED: usize = 200;
/// Most removed assets in one scenario.
pub const MAX_REMOVED: usize = 2000;

/// Reads the shared parameters (`category` is required).
pub fn gap_params(state: &AppState, q: &Query) -> Result<GapParams, ApiError> {
    let category = q
        .get(params::CATEGORY)
        .ok_or_else(|| ApiError::bad("category is required (see /api/categories)"))?;
    gap_params_for(state, q, category)
}

/// Reads the distance, council and decay parameters for a given category.
pub fn gap_params_for(state: &AppState, q: &Query, category: &str) -> Result<GapParams, ApiError> {
    let mut p = GapParams::new(category);
    p.coverage_m = q
        .number(
            COVERAGE_M,
            analysis::MIN_DISTANCE_M,
            analysis::MAX_DISTANCE_M,
        )?
        .unwrap_or(p.coverage_m);
    p.catchment_m = q
        .number(
            CATCHMENT_M,
            analysis::MIN_DISTANCE_M,
            analysis::MAX_DISTANCE_M,
        )?
        .unwrap_or(p.catchment_m);
    p.council = q.get(params::COUNCIL).map(str::to_string);
    if let Some(d) = q.get(DECAY) {
        p.decay = Decay::parse(d).map_err(|e| ApiError::bad(e.to_string()))?;
    }
    p.check(&state.dataset())
        .map_err(|e| ApiError::bad(e.to_string()))?;
    Ok(p)
}

/// The analysis for these parameters, from the cache or computed off the async threads.
pub async fn cached(
    state: &AppState,
    dataset: &Arc<crate::model::Dataset>,
    p: GapParams,
    client: &ClientIp,
) -> Result<Arc<GapResult>, ApiError> {
    // Keyed by the data version: an edit makes new entries, and old ones age out.
    let key = format!("{}:{p:?}", dataset.version);
    let guard = match state.gap_cache.get_value_or_guard_async(&key).await {
        Ok(hit) => return Ok(hit),
        // This caller analyses; others asking for the same wait for it (and
        // one of them takes over if this one fails or goes away).
        Err(guard) => guard,
    };
    let dataset = dataset.clone();
    let turn = state.heavy_turn(client).await?;
    state
        .gap_analyses
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let cancel = analysis::Cancel::default();
    let _cancel_if_dropped = super::CancelOnDrop(cancel.clone());
    let result = Arc::new(
        tokio::task::spawn_blocking(move || {
            let _turn = turn;
            analysis::analyse_cancellable(&dataset, &p, &cancel)
        })
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(|_| ApiError::Busy(super::HEAVY_RETRY_AFTER_S))?,
    );
    let _ = guard.insert(result.clone());
    Ok(result)
}

const GAP_PARAMS: [&str; 6] = [
    params::CATEGORY,
    COVERAGE_M,
    CATCHMENT_M,
    params::COUNCIL,
    DECAY,
    params::FORMAT,
];

async fn respond(
    d: Arc<crate::model::Dataset>,
    result: Arc<GapResult>,
    level: GapLevel,
    format: Option<&str>,
) -> Result<Response, ApiError> {
    let stem = match level {
        GapLevel::Wards => "ward-gaps",
        GapLevel::SmallAreas => "small-area-gaps",
    };
    let filename = |ext: &str| {
        format!(
            "{stem}-{}-{}.{ext}",
            result.params.category,
            &result.result_hash()[..12]
        )
    };
    match format.unwrap_or("json") {
        "json" => Ok(Json(gaps_json(&d, &result, level)).into_response()),
        "geojson" => Ok((
            [(header::CONTENT_TYPE, "application/geo+json")],
            gaps_geojson(&d, &result, level).to_string(),
        )
            .into_response()),
        "csv" => Ok(attachment(
            "text/csv; charset=utf-8",
            &filename("csv"),
            gaps_csv(&d, &result, level).into_bytes(),
        )),
        "gpkg" => {
            let name = filename("gpkg");
            // SQLite and a temporary file: off the async threads.
            let bytes = tokio::task::spawn_blocking(
                move || -> Result<Vec<u8>, crate::export::ExportError> {
                    let dir = tempfile::tempdir()?;
                    let path = dir.path().join("gaps.gpkg");
                    crate::export::write_gap_geopackage(&path, &d, &result, level)?;
                    Ok(std::fs::read(&path)?)
                },
            )
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))?
            .map_err(|e| ApiError::Internal(e.to_string()))?;
            Ok(attachment("application/geopackage+sqlite3", &name, bytes))
        }
        other => Err(ApiError::bad(format!(
            "format {other:?} is not offered; use json, geojson, csv or gpkg"
        ))),
    }
}

/// `GET /api/gaps`: per-ward figures.
pub async fn wards(
    state: State<AppState>,
    client: ClientIp,
    raw: RawQuery,
) -> Result<Response, ApiError> {
    figures(state, client, raw, GapLevel::Wards).await
}

/// `GET /api/gaps/small-areas`: per-small-area figures.
pub async fn small_areas(
    state: State<AppState>,
    client: ClientIp,
    raw: RawQuery,
) -> Result<Response, ApiError> {
    figures(state, client, raw, GapLevel::SmallAreas).await
}

async fn figures(
    State(state): State<AppState>,
    client: ClientIp,
    RawQuery(raw): RawQuery,
    level: GapLevel,
) -> Result<Response, ApiError> {
    let q = Query::parse(raw.as_deref(), &GAP_PARAMS, &[])?;
    let p = gap_params(&state, &q)?;
    let dataset = state.dataset();
    let result = cached(&state, &dataset, p, &client).await?;
    respond(dataset, result, level, q.get(params::FORMAT)).await
}

/// `GET /api/gaps/suggest?category=&n=&council=`: greedy candidate sites.
pub async fn suggest(
    State(state): State<AppState>,
    client: ClientIp,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let q = Query::parse(
        raw.as_deref(),
        &[
            params::CATEGORY,
            N,
            params::COUNCIL,
            COVERAGE_M,
            CATCHMENT_M,
            DECAY,
        ],
        &[],
    )?;
    let p = gap_params(&state, &q)?;
    let n = q.integer(N, 1, MAX_SUGGESTIONS)?.unwrap_or(5);
    let dataset = state.dataset();
    let result = cached(&state, &dataset, p.clone(), &client).await?;
    let params = p.clone();
    let provenance_dataset = dataset.clone();
    let turn = state.heavy_turn(&client).await?;
    let cancel = analysis::Cancel::default();
    let _cancel_if_dropped = super::CancelOnDrop(cancel.clone());
    let suggestions = tokio::task::spawn_blocking(move || {
        let _turn = turn;
        analysis::suggest_cancellable(&dataset, &params, n, &cancel)
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?
    .map_err(|_| ApiError::Busy(super::HEAVY_RETRY_AFTER_S))?;
    let dataset = provenance_dataset;
    let list: Vec<Value> = suggestions
        .iter()
        .map(|s| {
            let ll = bng_to_wgs84(s.bng.x, s.bng.y).unwrap_or(Coord {
                x: f64::NAN,
                y: f64::NAN,
            });
            let mut v = serde_json::to_value(s).unwrap_or(Value::Null);
            v["lon"] = json!((ll.x * 1e6).round() / 1e6);
            v["lat"] = json!((ll.y * 1e6).round() / 1e6);
            v["easting"] = json!((s.bng.x * 100.0).round() / 100.0);
            v["northing"] = json!((s.bng.y * 100.0).round() / 100.0);
            v
        })
        .collect();
    Ok(Json(json!({
        "method": "greedy: each pick maximises the newly covered population weighted by IMD score, among small-area demand points",
        "n": n,
        "suggestions": list,
        "provenance": provenance(&dataset, &result),
    }))
    .into_response())
}

/// A point in a scenario: longitude/latitude or easting/northing.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioPoint {
    lon: Option<f64>,
    lat: Option<f64>,
    easting: Option<f64>,
    northing: Option<f64>,
}

/// The body of `POST /api/gaps/scenario`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioRequest {
    category: String,
    coverage_m: Option<f64>,
    catchment_m: Option<f64>,
    council: Option<String>,
    decay: Option<String>,
    #[serde(default)]
    add: Vec<ScenarioPoint>,
    #[serde(default)]
    remove: Vec<String>,
}

/// `POST /api/gaps/scenario`: per-ward before/after/delta with hypothetical changes.
pub async fn scenario(
    State(state): State<AppState>,
    client: ClientIp,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let kind = params::media_type(&headers);
    if kind.as_deref() != Some("application/json") {
        return Err(ApiError::status(
            axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UnsupportedMediaType",
            format!(
                "the scenario must be sent as application/json (got {})",
                kind.map(|k| format!("{k:?}"))
                    .unwrap_or_else(|| "no Content-Type".into())
            ),
        ));
    }
    let request: ScenarioRequest = serde_json::from_slice(&body).map_err(|e| ApiError::bad(format!("the body must be JSON like {{\"category\":\"gp\",\"add\":[{{\"lon\":-0.14,\"lat\":51.5}}],\"remove\":[\"gp:A81001\"]}}: {e}")))?;
    let dataset = state.dataset();
    let d = &dataset;
    let mut p = GapParams::new(&request.category);
    p.coverage_m = request.coverage_m.unwrap_or(p.coverage_m);
    p.catchment_m = request.catchment_m.unwrap_or(p.catchment_m);
    p.council = request.council.clone();
    if let Some(text) = &request.decay {
        p.decay = Decay::parse(text).map_err(|e| ApiError::bad(e.to_string()))?;
    }
    p.check(d).map_err(|e| ApiError::bad(e.to_string()))?;
    if request.add.len() > MAX_ADDED || request.remove.len() > MAX_REMOVED {
        return Err(ApiError::bad(format!(
            "a scenario adds at most {MAX_ADDED} and removes at most {MAX_REMOVED} assets"
        )));
    }
    let mut add = Vec::with_capacity(request.add.len());
    for (k, point) in request.add.iter().enumerate() {
        let at = match (point.lon, point.lat, point.easting, point.northing) {
            (Some(lon), Some(lat), None, None) => Crs::Wgs84.to_bng(lon, lat),
            (None, None, Some(e), Some(n)) => Crs::Bng.to_bng(e, n),
            _ => {
                return Err(ApiError::bad(format!(
                    "add[{k}] needs lon and lat, or easting and northing"
                )));
            }
        };
        add.push(at.map_err(|e| ApiError::bad(format!("add[{k}]: {e}")))?);
    }
    let mut remove = Vec::with_capacity(request.remove.len());
    for id in &request.remove {
        let &i = d
            .asset_by_id
            .get(id)
            .ok_or_else(|| ApiError::bad(format!("remove: no asset with id {id:?}")))?;
        if d.assets[i].category != p.category {
            return Err(ApiError::bad(format!(
                "remove: {id} is a {}, not a {}",
                d.assets[i].category, p.category
            )));
        }
        remove.push(i);
    }
    let dataset = dataset.clone();
    let params = p.clone();
    let s = {
        let turn = state.heavy_turn(&client).await?;
        tokio::task::spawn_blocking(move || {
            let _turn = turn;
            analysis::scenario(&dataset, &params, &add, &remove)
        })
    }
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?;
    let changed: Vec<&analysis::ScenarioWard> = s
        .wards
        .iter()
        .filter(|w| {
            w.coverage[2].is_some_and(|x| x != 0.0)
                || w.access_per_1000[2].is_some_and(|x| x != 0.0)
                || w.gap[2].is_some_and(|x| x != 0.0)
        })
        .collect();
    Ok(Json(json!({
        "parameters": p,
        "added": request.add.len(),
        "removed": request.remove,
        "wards_changed": changed.len(),
        "wards": s.wards,
        "provenance_before": provenance(d, &s.before),
        "note": "computed on a copy; the live data is unchanged",
    }))
    .into_response())
}

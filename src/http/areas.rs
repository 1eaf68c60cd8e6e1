//! Planners: `/api/wards`, `/api/wards/{code}` and `/api/small-areas/{code}`.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use geo::BoundingRect;
use serde_json::{Value, json};

use super::params::{self, Query};
use super::{ApiError, AppState};
use crate::model::{Dataset, WardAssignment};

/// Longest area code accepted in a path.
const MAX_CODE_LEN: usize = 32;

fn round(v: Option<f64>, places: i32) -> Option<f64> {
    let scale = 10f64.powi(places);
    v.map(|x| (x * scale).round() / scale)
}

fn check_code(code: &str) -> Result<(), ApiError> {
    if code.len() > MAX_CODE_LEN
        || !code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(ApiError::bad(format!(
            "an area code is at most {MAX_CODE_LEN} letters, digits, '-' or '_'"
        )));
    }
    Ok(())
}

fn ward_summary(d: &Dataset, i: usize) -> Value {
    let w = &d.wards[i];
    json!({
        "code": w.code,
        "name": w.name,
        "council_code": w.council_code,
        "council_name": w.council_name,
        "population": w.population,
        "imd_score": round(w.imd_score, 3),
        "decile1_share": round(w.decile1_share, 4),
        "small_areas": w.small_areas.len(),
        "asset_counts": d.info.category_labels.keys().map(|c| (c.clone(), Value::from(d.asset_counts(i).get(c).copied().unwrap_or(0)))).collect::<serde_json::Map<_, _>>(),
        "label_point": w.label_point.map(|p| [p.x, p.y].map(|v| (v * 1e6).round() / 1e6)),
        "bbox": w.lonlat.bounding_rect().map(|r| [r.min().x, r.min().y, r.max().x, r.max().y].map(|v| (v * 1e6).round() / 1e6)),
    })
}

fn provenance(d: &Dataset) -> Value {
    json!({
        "dataset": d.info.name,
        "vintages": d.info.vintages,
        "content_hash": d.info.content_hash,
        "demand_points": d.info.demand_points,
        "join_method": {
            "small_area_to_ward": "lookup file when supplied and its ward exists; else the ward containing the demand point; else the nearest ward (docs/methods.md)",
            "asset_to_ward": "the ward polygon containing the asset",
            "imd_score": "population-weighted mean of small-area IMD scores",
            "decile1_share": "share of the ward's small areas in national IMD decile 1",
            "distances": "planar metres in British National Grid (EPSG:27700)",
        },
        "attribution": d.info.attribution,
    })
}

/// `GET /api/wards?council=`: every ward's headline figures.
pub async fn list(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let q = Query::parse(raw.as_deref(), &[params::COUNCIL], &[params::COUNCIL])?;
    let d = &state.dataset();
    let councils = q.list(params::COUNCIL);
    for c in &councils {
        if !d.wards.iter().any(|w| w.council_code.as_deref() == Some(c)) {
            return Err(ApiError::bad(format!(
                "council {c:?} has no wards in this dataset"
            )));
        }
    }
    let wards: Vec<Value> = (0..d.wards.len())
        .filter(|&i| {
            let w = &d.wards[i];
            councils.is_empty()
                || w.council_code
                    .as_ref()
                    .is_some_and(|c| councils.contains(c))
        })
        .map(|i| ward_summary(d, i))
        .collect();
    Ok(Json(
        json!({ "count": wards.len(), "wards": wards, "provenance": provenance(d) }),
    ))
}

/// `GET /api/wards/{code}`: the full profile of one ward.
pub async fn ward(
    State(state): State<AppState>,
    Path(code): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    Query::parse(raw.as_deref(), &[], &[])?;
    check_code(&code)?;
    let d = &state.dataset();
    let &i = d
        .ward_by_code
        .get(&code)
        .ok_or_else(|| ApiError::NotFound(format!("no ward with code {code}")))?;
    let w = &d.wards[i];
    let mut profile = ward_summary(d, i);
    let domains: serde_json::Map<String, Value> = d
        .info
        .domains
        .iter()
        .zip(&w.domains)
        .map(|(name, v)| (name.clone(), json!(round(*v, 4))))
        .collect();
    let small_areas: Vec<Value> = w
        .small_areas
        .iter()
        .map(|&s| {
            let s = &d.small_areas[s];
            json!({
                "code": s.code,
                "name": s.name,
                "population": s.population,
                "imd_score": s.deprivation.as_ref().map(|x| x.score),
                "imd_decile": s.deprivation.as_ref().and_then(|x| x.decile),
                "ward_assignment": s.ward_assignment,
            })
        })
        .collect();
    let assets: Vec<Value> = d
        .assets
        .iter()
        .filter(|a| a.ward == Some(i))
        .map(|a| json!({"id": a.id, "name": a.name, "category": a.category}))
        .collect();
    profile["domains"] = Value::Object(domains);
    profile["small_area_list"] = Value::Array(small_areas);
    profile["assets"] = Value::Array(assets);
    profile["provenance"] = provenance(d);
    Ok(Json(profile))
}

/// `GET /api/small-areas/{code}`: one small area with its deprivation, ward and assets.
pub async fn small_area(
    State(state): State<AppState>,
    Path(code): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    Query::parse(raw.as_deref(), &[], &[])?;
    check_code(&code)?;
    let d = &state.dataset();
    let &i = d
        .small_area_by_code
        .get(&code)
        .ok_or_else(|| ApiError::NotFound(format!("no small area with code {code}")))?;
    let s = &d.small_areas[i];
    let dep = s.deprivation.as_ref();
    let domains: serde_json::Map<String, Value> = d
        .info
        .domains
        .iter()
        .enumerate()
        .map(|(k, name)| {
            (
                name.clone(),
                json!(dep.and_then(|x| x.domains.get(k).copied().flatten())),
            )
        })
        .collect();
    let assets: Vec<Value> = d
        .assets
        .iter()
        .filter(|a| a.small_area == Some(i))
        .map(|a| json!({"id": a.id, "name": a.name, "category": a.category}))
        .collect();
    let distance = match s.ward_assignment {
        WardAssignment::Nearest { distance_m } => Some((distance_m * 10.0).round() / 10.0),
        _ => None,
    };
    Ok(Json(json!({
        "code": s.code,
        "name": s.name,
        "council_code": s.council_code,
        "population": s.population,
        "imd_score": dep.map(|x| x.score),
        "imd_decile": dep.and_then(|x| x.decile),
        "imd_rank": dep.and_then(|x| x.rank),
        "domains": domains,
        "ward": s.ward.map(|w| json!({"code": d.wards[w].code, "name": d.wards[w].name})),
        "ward_assignment": s.ward_assignment,
        "ward_distance_m": distance,
        "demand_point": {
            "easting": round(Some(s.demand.x), 3),
            "northing": round(Some(s.demand.y), 3),
            "source": s.demand_source,
        },
        "assets": assets,
        "provenance": provenance(d),
    })))
}

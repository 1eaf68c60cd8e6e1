//! Residents: `/api/nearby` (the nearest support to a place or postcode) and
//! `/api/categories`.

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use geo::Coord;
use serde_json::{Value, json};

use super::params::{self, Query};
use super::{ApiError, AppState};
use crate::crs::{Crs, bng_to_wgs84};
use crate::export::{GeoJsonCrs, geometry_json};
use crate::features::Geometry;
use crate::model::{Dataset, normalise_postcode};

/// Default number of results.
pub const DEFAULT_LIMIT: usize = 10;
/// Most results in one answer.
pub const MAX_LIMIT: usize = 100;
/// Largest search radius, metres.
pub const MAX_RADIUS_M: f64 = 20_000.0;

/// Where a search starts.
struct Origin {
    bng: Coord,
    lonlat: Coord,
    postcode: Option<String>,
}

/// Resolves `lon`+`lat` or `postcode` to a point.
fn origin(dataset: &Dataset, q: &Query) -> Result<Origin, ApiError> {
    let has_point = q.has(params::LON) || q.has(params::LAT);
    match (has_point, q.get(params::POSTCODE)) {
        (true, Some(_)) => Err(ApiError::bad(
            "give either lon and lat, or postcode, not both",
        )),
        (false, None) => Err(ApiError::bad(
            "give lon and lat (WGS84 degrees), or postcode",
        )),
        (true, None) => {
            let lon = q
                .number(params::LON, -180.0, 180.0)?
                .ok_or_else(|| ApiError::bad("lat is given but lon is missing"))?;
            let lat = q
                .number(params::LAT, -90.0, 90.0)?
                .ok_or_else(|| ApiError::bad("lon is given but lat is missing"))?;
            let bng = Crs::Wgs84.to_bng(lon, lat).map_err(|_| {
                ApiError::bad(format!("lon {lon}, lat {lat} is outside Great Britain (the British National Grid); check the order of lon and lat"))
            })?;
            Ok(Origin {
                bng,
                lonlat: Coord { x: lon, y: lat },
                postcode: None,
            })
        }
        (false, Some(text)) => {
            let postcode = normalise_postcode(text).ok_or_else(|| {
                ApiError::bad(format!("postcode {text:?} is not a valid UK postcode"))
            })?;
            let bng = *dataset.postcodes.get(&postcode).ok_or_else(|| {
                ApiError::NotFound(format!(
                    "postcode {postcode} is not in this dataset's postcode list"
                ))
            })?;
            let lonlat = bng_to_wgs84(bng.x, bng.y).map_err(|_| {
                ApiError::Internal(format!("postcode {postcode} is outside the grid"))
            })?;
            Ok(Origin {
                bng,
                lonlat,
                postcode: Some(postcode),
            })
        }
    }
}

/// Checks category ids against the dataset.
pub(crate) fn categories(dataset: &Dataset, q: &Query) -> Result<Vec<String>, ApiError> {
    let wanted = q.list(params::CATEGORY);
    for c in &wanted {
        if !dataset.info.category_labels.contains_key(c) {
            let known: Vec<&str> = dataset
                .info
                .category_labels
                .keys()
                .map(String::as_str)
                .collect();
            return Err(ApiError::bad(format!(
                "unknown category {c:?}; this dataset has: {}",
                known.join(", ")
            )));
        }
    }
    Ok(wanted)
}

/// `GET /api/nearby?lon&lat|postcode&category&limit&radius_m`: assets nearest
/// first, as a GeoJSON FeatureCollection with `distance_m` on each.
pub async fn nearby(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let q = Query::parse(
        raw.as_deref(),
        &[
            params::LON,
            params::LAT,
            params::POSTCODE,
            params::CATEGORY,
            params::LIMIT,
            params::RADIUS_M,
        ],
        &[params::CATEGORY],
    )?;
    let d = &state.dataset;
    let origin = origin(d, &q)?;
    let categories = categories(d, &q)?;
    let limit = q
        .integer(params::LIMIT, 1, MAX_LIMIT)?
        .unwrap_or(DEFAULT_LIMIT);
    let radius_m = q.number(params::RADIUS_M, 1.0, MAX_RADIUS_M)?;
    let hits = d
        .asset_index
        .nearest(origin.bng, limit, &categories, radius_m);
    let ward_shapes: Vec<&geo::MultiPolygon> = d.wards.iter().map(|w| &w.bng).collect();
    let ward = d.ward_index.containing(&ward_shapes, origin.bng);
    let features: Vec<Value> = hits
        .iter()
        .map(|h| {
            let a = &d.assets[h.asset];
            let w = a.ward.map(|w| &d.wards[w]);
            json!({
                "type": "Feature",
                "id": a.id,
                "geometry": geometry_json(Geometry::Point { bng: a.bng, lonlat: a.lonlat }, GeoJsonCrs::Crs84),
                "properties": {
                    "distance_m": (h.distance_m * 10.0).round() / 10.0,
                    "id": a.id,
                    "name": a.name,
                    "category": a.category,
                    "category_label": d.info.category_labels.get(&a.category),
                    "address": a.address,
                    "postcode": a.postcode,
                    "phone": a.phone,
                    "email": a.email,
                    "website": a.website,
                    "opening_hours": a.opening_hours,
                    "ward_code": w.map(|w| &w.code),
                    "ward_name": w.map(|w| &w.name),
                },
            })
        })
        .collect();
    let body = json!({
        "type": "FeatureCollection",
        "query": {
            "lon": (origin.lonlat.x * 1e6).round() / 1e6,
            "lat": (origin.lonlat.y * 1e6).round() / 1e6,
            "easting": (origin.bng.x * 100.0).round() / 100.0,
            "northing": (origin.bng.y * 100.0).round() / 100.0,
            "postcode": origin.postcode,
            "categories": categories,
            "limit": limit,
            "radius_m": radius_m,
            "distance": "straight-line distance in British National Grid metres",
        },
        "outside_coverage": ward.is_none(),
        "ward": ward.map(|w| json!({"code": d.wards[w].code, "name": d.wards[w].name})),
        "numberReturned": features.len(),
        "features": features,
        "attribution": d.info.attribution,
    });
    Ok((
        [(axum::http::header::CONTENT_TYPE, "application/geo+json")],
        Json(body),
    )
        .into_response())
}

/// `GET /api/categories`: category ids, labels and asset counts.
pub async fn categories_list(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    Query::parse(raw.as_deref(), &[], &[])?;
    let d = &state.dataset;
    let counts = d.category_counts();
    let list: Vec<Value> = d
        .info
        .category_labels
        .iter()
        .map(|(id, label)| json!({"id": id, "label": label, "count": counts.get(id).copied().unwrap_or(0)}))
        .collect();
    Ok(Json(json!({ "categories": list })))
}

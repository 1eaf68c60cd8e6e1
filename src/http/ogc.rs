//! OGC API - Features (Part 1 core, GeoJSON, OpenAPI 3.0; Part 2 CRS;
//! queryables as query parameters) over the dataset's three collections.

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::params::{self, Query, parse_number};
use super::{ApiError, AppState};
use crate::crs::Crs;
use crate::export::{GeoJsonCrs, feature_json, write_feature_collection};
use crate::features::{self, BBox, COLLECTIONS, Collection, Filter};

/// Default page size of `/items`.
pub const DEFAULT_LIMIT: usize = 100;
/// Largest page size of `/items`.
pub const MAX_LIMIT: usize = 10_000;
/// Largest `offset`.
pub const MAX_OFFSET: usize = 10_000_000;
/// Longest feature id accepted in a path.
const MAX_ID_LEN: usize = 256;

/// Conformance classes this server implements.
pub const CONFORMANCE: [&str; 18] = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/sorting",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    super::edit::CONFORMANCE[0],
    super::edit::CONFORMANCE[1],
    super::edit::CONFORMANCE[2],
];

/// Every CRS the collections can be served in.
pub const SUPPORTED_CRS: [GeoJsonCrs; 4] = [
    GeoJsonCrs::Crs84,
    GeoJsonCrs::Epsg4326,
    GeoJsonCrs::Bng,
    GeoJsonCrs::WebMercator,
];

const OPENAPI_TYPE: &str = "application/vnd.oai.openapi+json;version=3.0";
const GEOJSON_TYPE: &str = "application/geo+json";

/// The server's base URL: `--public-url` when configured, which links always
/// use whatever the `Host` header says; otherwise from the Host header (and
/// X-Forwarded-Proto), for a server used directly.
pub fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(url) = &state.public_url {
        return url.to_string();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-:[]_".contains(c))
        })
        .unwrap_or("127.0.0.1:8080");
    let scheme = match headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
    {
        Some("https") => "https",
        _ => "http",
    };
    format!("{scheme}://{host}")
}

fn link(href: String, rel: &str, kind: &str, title: &str) -> Value {
    json!({"href": href, "rel": rel, "type": kind, "title": title})
}

fn json_response(value: Value, content_type: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            // The same address answers HTML to browsers (see ogc_html).
            (header::VARY, "Accept"),
        ],
        value.to_string(),
    )
        .into_response()
}

fn check_f(q: &Query) -> Result<(), ApiError> {
    match q.get(params::F) {
        None | Some("json") | Some("geojson") | Some("html") => Ok(()),
        Some(other) => Err(ApiError::bad(format!(
            "f={other:?} is not offered; use f=json or f=html"
        ))),
    }
}

/// Parses a CRS URI (or `EPSG:n`, `CRS84`) into one the collections offer.
pub fn parse_crs(name: &str, text: &str) -> Result<GeoJsonCrs, ApiError> {
    let t = text.trim();
    let upper = t.to_ascii_uppercase();
    let found = if upper.ends_with("CRS84") {
        Some(GeoJsonCrs::Crs84)
    } else {
        match Crs::parse(t) {
            Ok(Crs::Wgs84) => Some(GeoJsonCrs::Epsg4326),
            Ok(Crs::Bng) => Some(GeoJsonCrs::Bng),
            Ok(Crs::WebMercator) => Some(GeoJsonCrs::WebMercator),
            _ => None,
        }
    };
    found.ok_or_else(|| {
        let offered: Vec<&str> = SUPPORTED_CRS.iter().map(|c| c.uri()).collect();
        ApiError::bad(format!(
            "{name} {t:?} is not offered; use one of {}",
            offered.join(", ")
        ))
    })
}

/// `GET /`: the landing page.
pub async fn landing(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let q = Query::parse(raw.as_deref(), &[params::F], &[])?;
    check_f(&q)?;
    let base = base_url(&state, &headers);
    Ok(json_response(
        json!({
            "title": format!("assetmap: {}", state.dataset().info.name),
            "description": "Community assets, wards and small areas with deprivation, as OGC API - Features.",
            "attribution": state.dataset().info.attribution,
            "links": [
                link(format!("{base}/"), "self", "application/json", "This document"),
                link(format!("{base}/api"), "service-desc", OPENAPI_TYPE, "The API definition (OpenAPI 3.0)"),
                link(format!("{base}/conformance"), "conformance", "application/json", "Conformance classes"),
                link(format!("{base}/collections"), "data", "application/json", "Feature collections"),
            ],
        }),
        "application/json",
    ))
}

/// `GET /conformance`
pub async fn conformance(RawQuery(raw): RawQuery) -> Result<Response, ApiError> {
    let q = Query::parse(raw.as_deref(), &[params::F], &[])?;
    check_f(&q)?;
    Ok(json_response(
        json!({ "conformsTo": CONFORMANCE }),
        "application/json",
    ))
}

fn collection_json(state: &AppState, base: &str, c: Collection) -> Value {
    let d = &state.dataset();
    let bbox = features::extent_lonlat(c, d)
        .map(|b| vec![b.to_vec()])
        .unwrap_or_default();
    json!({
        "id": c.id(),
        "title": c.title(),
        "description": c.description(),
        "itemType": "feature",
        "extent": { "spatial": { "bbox": bbox, "crs": GeoJsonCrs::Crs84.uri() } },
        "crs": SUPPORTED_CRS.iter().map(|x| x.uri()).collect::<Vec<_>>(),
        "storageCrs": GeoJsonCrs::Bng.uri(),
        "links": [
            link(format!("{base}/collections/{}", c.id()), "self", "application/json", c.title()),
            link(format!("{base}/collections/{}/items", c.id()), "items", GEOJSON_TYPE, "Features"),
            link(format!("{base}/collections/{}/queryables", c.id()), "http://www.opengis.net/def/rel/ogc/1.0/queryables", "application/schema+json", "Queryables"),
        ],
    })
}

fn collection_of(id: &str) -> Result<Collection, ApiError> {
    Collection::parse(id).ok_or_else(|| {
        let ids: Vec<&str> = COLLECTIONS.iter().map(|c| c.id()).collect();
        ApiError::NotFound(format!(
            "no collection {id:?}; collections are {}",
            ids.join(", ")
        ))
    })
}

/// `GET /collections`
pub async fn collections(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let q = Query::parse(raw.as_deref(), &[params::F], &[])?;
    check_f(&q)?;
    if super::ogc_html::wants_html(&q, &headers) {
        return Ok(super::ogc_html::collections(&state, &COLLECTIONS));
    }
    let base = base_url(&state, &headers);
    let list: Vec<Value> = COLLECTIONS
        .iter()
        .map(|c| collection_json(&state, &base, *c))
        .collect();
    Ok(json_response(
        json!({
            "links": [link(format!("{base}/collections"), "self", "application/json", "Collections")],
            "crs": SUPPORTED_CRS.iter().map(|x| x.uri()).collect::<Vec<_>>(),
            "collections": list,
        }),
        "application/json",
    ))
}

/// `GET /collections/{id}`
pub async fn collection(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let q = Query::parse(raw.as_deref(), &[params::F], &[])?;
    check_f(&q)?;
    let c = collection_of(&id)?;
    if super::ogc_html::wants_html(&q, &headers) {
        return Ok(super::ogc_html::collection(&state, c));
    }
    Ok(json_response(
        collection_json(&state, &base_url(&state, &headers), c),
        "application/json",
    ))
}

/// `GET /collections/{id}/queryables`: a JSON Schema of the filterable properties.
pub async fn queryables(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let q = Query::parse(raw.as_deref(), &[params::F], &[])?;
    check_f(&q)?;
    let c = collection_of(&id)?;
    let schema = c.schema(&state.dataset());
    // Every property can be filtered (filter=) and sorted (sortby=); the
    // simple queryables can also be given as query parameters.
    let mut properties: Map<String, Value> = schema
        .iter()
        .map(|f| {
            let kind = match f.kind {
                features::FieldType::Integer => "integer",
                features::FieldType::Real => "number",
                features::FieldType::Text => "string",
            };
            let description = c
                .queryables()
                .iter()
                .find(|(n, _)| *n == f.name)
                .map_or(f.description.as_str(), |(_, d)| *d);
            (
                f.name.clone(),
                json!({"type": kind, "title": f.name, "description": description}),
            )
        })
        .collect();
    properties.insert(
        "geometry".into(),
        json!({
            "format": if c == Collection::Assets { "geometry-point" } else { "geometry-multipolygon" },
            "description": "the feature's geometry, for S_INTERSECTS",
        }),
    );
    Ok(json_response(
        json!({
            "$schema": "https://json-schema.org/draft/2019-09/schema",
            "$id": format!("{}/collections/{}/queryables", base_url(&state, &headers), c.id()),
            "type": "object",
            "title": c.title(),
            "properties": properties,
            "additionalProperties": false,
        }),
        "application/schema+json",
    ))
}

/// Reads `bbox` and `bbox-crs`.
fn parse_bbox(q: &Query) -> Result<Option<BBox>, ApiError> {
    let crs = match q.get(params::BBOX_CRS) {
        Some(t) => parse_crs(params::BBOX_CRS, t)?,
        None => GeoJsonCrs::Crs84,
    };
    let Some(text) = q.get(params::BBOX) else {
        if q.has(params::BBOX_CRS) {
            return Err(ApiError::bad("bbox-crs is given without bbox"));
        }
        return Ok(None);
    };
    let parts: Vec<&str> = text.split(',').collect();
    if parts.len() != 4 && parts.len() != 6 {
        return Err(ApiError::bad(format!(
            "bbox must be 4 numbers (minx,miny,maxx,maxy) or 6 with heights (got {})",
            parts.len()
        )));
    }
    let (x_range, y_range, unit) = match crs {
        GeoJsonCrs::Crs84 => ((-180.0, 180.0), (-90.0, 90.0), "degrees"),
        GeoJsonCrs::Epsg4326 => ((-90.0, 90.0), (-180.0, 180.0), "degrees (latitude first)"),
        GeoJsonCrs::Bng => ((0.0, 700_000.0), (0.0, 1_250_000.0), "metres"),
        GeoJsonCrs::WebMercator => (
            (-20_037_508.35, 20_037_508.35),
            (-20_048_966.2, 20_048_966.2),
            "metres",
        ),
    };
    let half = parts.len() / 2;
    let (x1, y1) = (
        parse_number("bbox", parts[0], x_range.0, x_range.1)?,
        parse_number("bbox", parts[1], y_range.0, y_range.1)?,
    );
    let (x2, y2) = (
        parse_number("bbox", parts[half], x_range.0, x_range.1)?,
        parse_number("bbox", parts[half + 1], y_range.0, y_range.1)?,
    );
    if x1 > x2 || y1 > y2 {
        return Err(ApiError::bad(format!(
            "bbox is inverted: the minimum corner must come first ({unit})"
        )));
    }
    let (min, max) = if crs == GeoJsonCrs::Epsg4326 {
        (geo::Coord { x: y1, y: x1 }, geo::Coord { x: y2, y: x2 })
    } else {
        (geo::Coord { x: x1, y: y1 }, geo::Coord { x: x2, y: y2 })
    };
    Ok(Some(BBox::new(crs.crs(), min, max)))
}

/// `filter`, `filter-lang`, `filter-crs` (OGC API - Features Part 3).
pub const FILTER: &str = "filter";
/// The filter's encoding: `cql2-text` (default) or `cql2-json`.
pub const FILTER_LANG: &str = "filter-lang";
/// The CRS of the filter's geometries: CRS84 (default), EPSG:4326 or EPSG:27700.
pub const FILTER_CRS: &str = "filter-crs";
/// Sort keys: `+name,-imd_score`.
pub const SORTBY: &str = "sortby";

/// The filter of an items request, parsed against the collection's schema.
fn parse_filter(
    q: &Query,
    schema: &[features::Field],
) -> Result<Option<crate::cql2::Expr>, ApiError> {
    use crate::cql2::{self, FilterCrs};
    let Some(text) = q.get(FILTER) else {
        for p in [FILTER_LANG, FILTER_CRS] {
            if q.has(p) {
                return Err(ApiError::bad(format!("{p} needs a filter")));
            }
        }
        return Ok(None);
    };
    let (crs, swap) = match q.get(FILTER_CRS) {
        None => (FilterCrs::LonLat, false),
        Some(t) => match parse_crs(FILTER_CRS, t)? {
            GeoJsonCrs::Crs84 => (FilterCrs::LonLat, false),
            GeoJsonCrs::Epsg4326 => (FilterCrs::LonLat, true),
            GeoJsonCrs::Bng => (FilterCrs::Bng, false),
            GeoJsonCrs::WebMercator => {
                return Err(ApiError::bad(
                    "filter-crs: use CRS84, EPSG:4326 or EPSG:27700 for filter geometries",
                ));
            }
        },
    };
    let expr = match q.get(FILTER_LANG).unwrap_or("cql2-text") {
        "cql2-text" => cql2::parse_text(text, schema, crs),
        "cql2-json" => cql2::parse_json(text, schema, crs),
        other => {
            return Err(ApiError::bad(format!(
                "filter-lang {other:?} is not offered; use cql2-text or cql2-json"
            )));
        }
    }
    .map_err(|e| ApiError::bad(e.message))?;
    Ok(Some(if swap { cql2::swap_axes(expr) } else { expr }))
}

/// `GET /collections/{id}/items`
pub async fn items(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let c = collection_of(&id)?;
    let mut allowed = vec![
        params::BBOX,
        params::BBOX_CRS,
        params::LIMIT,
        params::OFFSET,
        params::PROPERTIES,
        params::CRS,
        params::F,
        FILTER,
        FILTER_LANG,
        FILTER_CRS,
        SORTBY,
    ];
    allowed.extend(c.queryables().iter().map(|(n, _)| *n));
    let repeatable: Vec<&str> = c.queryables().iter().map(|(n, _)| *n).collect();
    let q = Query::parse(raw.as_deref(), &allowed, &repeatable)?;
    check_f(&q)?;
    let d = &state.dataset();
    let schema = c.schema(d);
    let cql = parse_filter(&q, &schema)?;
    let sort = match q.get(SORTBY) {
        Some(t) => crate::cql2::parse_sortby(t, &schema).map_err(|e| ApiError::bad(e.message))?,
        None => Vec::new(),
    };
    let limit = q
        .integer_capped(params::LIMIT, 1, MAX_LIMIT)?
        .unwrap_or(DEFAULT_LIMIT);
    let offset = q.integer(params::OFFSET, 0, MAX_OFFSET)?.unwrap_or(0);
    let crs = match q.get(params::CRS) {
        Some(t) => parse_crs(params::CRS, t)?,
        None => GeoJsonCrs::Crs84,
    };
    let only = match q.get(params::PROPERTIES) {
        Some(text) => {
            let names: Vec<String> = text
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect();
            let schema = c.schema(d);
            if let Some(bad) = names.iter().find(|n| !schema.iter().any(|f| f.name == **n)) {
                let known: Vec<String> = schema.into_iter().map(|f| f.name).collect();
                return Err(ApiError::bad(format!(
                    "properties: {bad:?} is not a property of {}; properties are {}",
                    c.id(),
                    known.join(", ")
                )));
            }
            Some(names)
        }
        None => None,
    };
    let filter = Filter {
        bbox: parse_bbox(&q)?,
        properties: c
            .queryables()
            .iter()
            .filter(|(n, _)| q.has(n))
            .map(|(n, _)| (n.to_string(), q.list(n)))
            .collect(),
    };
    let mut matched = features::select(c, d, &filter);
    if cql.is_some() || !sort.is_empty() {
        let values: Vec<Vec<Value>> = matched
            .iter()
            .map(|&i| features::properties(c, d, i))
            .collect();
        let mut kept: Vec<(usize, Vec<Value>)> = matched
            .iter()
            .copied()
            .zip(values)
            .filter(|(i, v)| {
                cql.as_ref()
                    .is_none_or(|e| crate::cql2::matches(e, v, features::geometry(c, d, *i)))
            })
            .collect();
        if !sort.is_empty() {
            // Stable: ties keep collection order, so paging is repeatable.
            kept.sort_by(|a, b| crate::cql2::order(&sort, &a.1, &b.1));
        }
        matched = kept.into_iter().map(|(i, _)| i).collect();
    }
    let page: Vec<usize> = matched.iter().copied().skip(offset).take(limit).collect();

    let base = base_url(&state, &headers);
    // The query of the page at `new_offset`: the request's own parameters,
    // the limit served (which may be the capped one), and for the HTML
    // pages f=html.
    let page_query = |new_offset: usize, html: bool| {
        let mut pairs: Vec<String> = q
            .pairs()
            .iter()
            .filter(|(n, _)| n != params::OFFSET && n != params::LIMIT && !(html && n == params::F))
            .map(|(n, v)| format!("{}={}", encode(n), encode(v)))
            .collect();
        if html {
            pairs.push("f=html".into());
        }
        if q.has(params::LIMIT) {
            pairs.push(format!("limit={limit}"));
        }
        if new_offset > 0 {
            pairs.push(format!("offset={new_offset}"));
        }
        if pairs.is_empty() {
            String::new()
        } else {
            format!("?{}", pairs.join("&"))
        }
    };
    let page_link = |new_offset: usize, rel: &str, title: &str| {
        link(
            format!(
                "{base}/collections/{}/items{}",
                c.id(),
                page_query(new_offset, false)
            ),
            rel,
            GEOJSON_TYPE,
            title,
        )
    };
    if super::ogc_html::wants_html(&q, &headers) {
        let href = |new_offset: usize| {
            format!(
                "/collections/{}/items{}",
                c.id(),
                page_query(new_offset, true)
            )
        };
        return Ok(super::ogc_html::items(
            &state,
            d,
            c,
            &page,
            matched.len(),
            offset,
            limit,
            &href,
        ));
    }
    let mut links = vec![page_link(offset, "self", "This page")];
    if offset + page.len() < matched.len() {
        links.push(page_link(offset + limit, "next", "Next page"));
    }
    if offset > 0 {
        links.push(page_link(
            offset.saturating_sub(limit),
            "prev",
            "Previous page",
        ));
    }
    links.push(link(
        format!("{base}/collections/{}", c.id()),
        "collection",
        "application/json",
        c.title(),
    ));
    let mut extra = Map::new();
    extra.insert("numberMatched".into(), matched.len().into());
    extra.insert("numberReturned".into(), page.len().into());
    extra.insert("links".into(), Value::Array(links));
    let body = write_feature_collection(c, d, &page, crs, only.as_deref(), &extra);
    Ok(geojson_response(body, crs))
}

fn geojson_response(body: String, crs: GeoJsonCrs) -> Response {
    let mut response = (
        [
            (header::CONTENT_TYPE, GEOJSON_TYPE),
            (header::VARY, "Accept"),
        ],
        body,
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("<{}>", crs.uri())) {
        response.headers_mut().insert("content-crs", v);
    }
    response
}

/// Percent-encodes a query component.
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~:/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `GET /collections/{id}/items/{featureId}`
pub async fn item(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, fid)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let c = collection_of(&id)?;
    let q = Query::parse(raw.as_deref(), &[params::CRS, params::F], &[])?;
    check_f(&q)?;
    if fid.len() > MAX_ID_LEN {
        return Err(ApiError::bad(format!(
            "a feature id is at most {MAX_ID_LEN} bytes"
        )));
    }
    let crs = match q.get(params::CRS) {
        Some(t) => parse_crs(params::CRS, t)?,
        None => GeoJsonCrs::Crs84,
    };
    let d = &state.dataset();
    let Some(i) = c.find(d, &fid) else {
        if c == Collection::Assets
            && let Some(row) = state.catalog.row(&fid)
            && row.fields.status != crate::model::AssetStatus::Retired
        {
            // A listing with no place (or a sensitive place not shown on
            // the map): an entry, but not a feature.
            return Err(ApiError::NotFound(format!(
                "{fid:?} is listed without a place on the map, so it is not a feature; find it at /api/search or /api/listings"
            )));
        }
        if c == Collection::Assets
            && let Some(row) = state.catalog.row(&fid)
        {
            // Retired: gone from the collection, with its history kept.
            let mut r = ApiError::status(
                axum::http::StatusCode::GONE,
                "Gone",
                format!(
                    "asset {fid:?} was retired on {}; its history is at /api/assets/{}/history",
                    row.updated_at.get(..10).unwrap_or(&row.updated_at),
                    encode(&fid)
                ),
            )
            .into_response();
            if let Ok(v) = HeaderValue::from_str(&super::edit::etag(row.revision)) {
                r.headers_mut().insert(header::ETAG, v);
            }
            return Ok(r);
        }
        return Err(ApiError::NotFound(format!(
            "no feature {fid:?} in {}",
            c.id()
        )));
    };
    if super::ogc_html::wants_html(&q, &headers) {
        return Ok(super::ogc_html::item(&state, d, c, i));
    }
    let mut feature = feature_json(c, d, i, crs, None);
    let base = base_url(&state, &headers);
    feature["links"] = json!([
        link(
            format!("{base}/collections/{}/items/{}", c.id(), encode(&fid)),
            "self",
            GEOJSON_TYPE,
            "This feature"
        ),
        link(
            format!("{base}/collections/{}", c.id()),
            "collection",
            "application/json",
            c.title()
        ),
    ]);
    let mut response = geojson_response(feature.to_string(), crs);
    if c == Collection::Assets
        && let Ok(v) = HeaderValue::from_str(&super::edit::etag(d.assets[i].revision))
    {
        response.headers_mut().insert(header::ETAG, v);
    }
    Ok(response)
}

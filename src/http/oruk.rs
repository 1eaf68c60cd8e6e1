//! `/oruk/`: the catalog as an Open Referral UK 3.0 feed, for the
//! social-prescribing and family-hub tools that read ORUK. Official,
//! imported and local assets, and listings with no place, as services; open
//! to every site (`Access-Control-Allow-Origin: *`).

use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::params::{POSTCODE, Query};
use super::{ApiError, AppState};
use crate::export::oruk::{self as feed, Index};
use crate::model::{Asset, Dataset, normalise_postcode};

/// `page`
pub const PAGE: &str = "page";
/// `per_page`
pub const PER_PAGE: &str = "per_page";
/// `search`
pub const SEARCH: &str = "search";
/// `taxonomy_term_id`
pub const TAXONOMY_TERM_ID: &str = "taxonomy_term_id";
/// `modified_after`
pub const MODIFIED_AFTER: &str = "modified_after";
/// `proximity` (metres from `postcode`)
pub const PROXIMITY: &str = "proximity";

/// Default page size.
pub const DEFAULT_PER_PAGE: usize = 50;
/// Largest page size.
pub const MAX_PER_PAGE: usize = 500;
/// Largest `proximity`, metres.
pub const MAX_PROXIMITY_M: f64 = 100_000.0;
/// Default `proximity` with a postcode, metres.
pub const DEFAULT_PROXIMITY_M: f64 = 5_000.0;
/// Longest `search`, characters.
pub const MAX_SEARCH_CHARS: usize = 200;

/// The lookups for the latest data version, built once per version.
#[derive(Default)]
pub struct Lookups(Mutex<Option<Arc<Index>>>);

impl Lookups {
    pub(crate) fn get(&self, d: &Dataset) -> Arc<Index> {
        let mut slot = match self.0.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        match &*slot {
            Some(i) if i.version == d.version => i.clone(),
            _ => {
                let i = Arc::new(Index::new(d));
                *slot = Some(i.clone());
                i
            }
        }
    }
}

/// Every site may read the feed.
fn open(body: Value) -> Response {
    let mut r = Json(body).into_response();
    r.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    r
}

/// `GET /oruk/`: what the feed is.
pub async fn root(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    Query::parse(raw.as_deref(), &[], &[])?;
    let base = super::ogc::base_url(&state, &headers);
    Ok(open(json!({
        "version": feed::VERSION,
        "profile": feed::PROFILE,
        "openapi_url": format!("{base}/oruk/openapi.json"),
    })))
}

/// Page and size from the query.
fn paging(q: &Query) -> Result<(usize, usize), ApiError> {
    let page = q.integer(PAGE, 1, 1_000_000)?.unwrap_or(1);
    let per_page = q
        .integer(PER_PAGE, 1, MAX_PER_PAGE)?
        .unwrap_or(DEFAULT_PER_PAGE);
    Ok((page, per_page))
}

fn slice<T: Clone>(all: &[T], page: usize, per_page: usize) -> Vec<T> {
    all.iter()
        .skip((page - 1).saturating_mul(per_page))
        .take(per_page)
        .cloned()
        .collect()
}

/// One page of a whole list, in the paging envelope.
fn listed(all: Vec<Value>, page: usize, per_page: usize) -> Response {
    open(feed::page(
        slice(&all, page, per_page),
        all.len(),
        page,
        per_page,
    ))
}

/// `GET /oruk/services`
pub async fn services(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let q = Query::parse(
        raw.as_deref(),
        &[
            PAGE,
            PER_PAGE,
            SEARCH,
            TAXONOMY_TERM_ID,
            MODIFIED_AFTER,
            POSTCODE,
            PROXIMITY,
        ],
        &[],
    )?;
    let (page, per_page) = paging(&q)?;
    let d = state.dataset();
    let search = match q.get(SEARCH).map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) if s.chars().count() > MAX_SEARCH_CHARS => {
            return Err(ApiError::bad(format!(
                "search is longer than {MAX_SEARCH_CHARS} characters"
            )));
        }
        s => s.map(str::to_lowercase),
    };
    let category = match q.get(TAXONOMY_TERM_ID) {
        None => None,
        Some(t) => Some(
            d.info
                .category_labels
                .keys()
                .find(|c| feed::term_id(c) == t || c.as_str() == t)
                .cloned()
                .ok_or_else(|| {
                    ApiError::bad(format!(
                        "taxonomy_term_id {t:?} is not a term of this feed; see /oruk/taxonomy_terms"
                    ))
                })?,
        ),
    };
    let modified_after = match q.get(MODIFIED_AFTER) {
        None => None,
        Some(t) => Some(normalise_time(t).ok_or_else(|| {
            ApiError::bad(format!(
                "modified_after {t:?} is not a date or date-time (2024-12-01 or 2024-12-01T09:00:00Z)"
            ))
        })?),
    };
    let near = match q.get(POSTCODE) {
        None => {
            if q.has(PROXIMITY) {
                return Err(ApiError::bad("proximity needs a postcode"));
            }
            None
        }
        Some(p) => {
            let pc = normalise_postcode(p)
                .ok_or_else(|| ApiError::bad(format!("postcode {p:?} is not a UK postcode")))?;
            let at = d.postcodes.get(&pc).copied().ok_or_else(|| {
                ApiError::NotFound(format!(
                    "postcode {pc} is not in this dataset's postcode list"
                ))
            })?;
            let radius = q
                .number(PROXIMITY, 1.0, MAX_PROXIMITY_M)?
                .unwrap_or(DEFAULT_PROXIMITY_M);
            Some((at, radius))
        }
    };
    let index = state.oruk.get(&d);
    let keep = |e: &feed::Prepared, a: &Asset| {
        category.as_ref().is_none_or(|c| &a.category == c)
            && modified_after
                .as_ref()
                .is_none_or(|t| a.updated_at.as_deref().is_some_and(|u| u > t.as_str()))
            && search.as_ref().is_none_or(|s| e.text.contains(s.as_str()))
    };
    let mut chosen: Vec<(f64, &str)> = Vec::new();
    for e in &index.entries {
        let Some(a) = feed::entry(&d, e.at) else {
            continue;
        };
        if !keep(e, a) {
            continue;
        }
        match near {
            Some((at, radius)) => {
                if a.unplaced {
                    continue;
                }
                let dist = ((a.bng.x - at.x).powi(2) + (a.bng.y - at.y).powi(2)).sqrt();
                if dist <= radius {
                    chosen.push((dist, &e.summary));
                }
            }
            None => chosen.push((0.0, &e.summary)),
        }
    }
    if near.is_some() {
        chosen.sort_by(|x, y| x.0.total_cmp(&y.0));
    }
    let total = chosen.len();
    let contents: Vec<&str> = chosen
        .iter()
        .skip((page - 1).saturating_mul(per_page))
        .take(per_page)
        .map(|(_, s)| *s)
        .collect();
    let mut r = (
        [(header::CONTENT_TYPE, "application/json")],
        feed::page_of_json(&contents, total, page, per_page),
    )
        .into_response();
    r.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    Ok(r)
}

/// A time as RFC 3339 UTC text comparable with `updated_at`.
fn normalise_time(t: &str) -> Option<String> {
    if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(t) {
        return Some(
            dt.with_timezone(&chrono::Utc)
                .format("%Y-%m-%dT%H:%M:%S%.fZ")
                .to_string(),
        );
    }
    chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .ok()
        .map(|d| format!("{d}T00:00:00Z"))
}

fn find<'d>(d: &'d Dataset, index: &Index, id: &str) -> Result<&'d Asset, ApiError> {
    index
        .services
        .get(id)
        .and_then(|&k| index.entries.get(k))
        .and_then(|e| feed::entry(d, e.at))
        .ok_or_else(|| ApiError::NotFound(format!("no service with id {id:?}")))
}

/// `GET /oruk/services/{id}`: fully nested.
pub async fn service(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    Query::parse(raw.as_deref(), &[], &[])?;
    let d = state.dataset();
    let index = state.oruk.get(&d);
    let a = find(&d, &index, &id)?;
    Ok(open(feed::service_full(&d, a)))
}

/// `GET /oruk/service_at_locations`
pub async fn service_at_locations(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let q = Query::parse(raw.as_deref(), &[PAGE, PER_PAGE], &[])?;
    let (page, per_page) = paging(&q)?;
    let d = state.dataset();
    let contents: Vec<Value> = slice(&d.assets, page, per_page)
        .iter()
        .filter_map(|a| feed::service_at_location(&d, a, true))
        .collect();
    Ok(open(feed::page(contents, d.assets.len(), page, per_page)))
}

/// `GET /oruk/service_at_locations/{id}`
pub async fn service_at_location(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    Query::parse(raw.as_deref(), &[], &[])?;
    let d = state.dataset();
    let index = state.oruk.get(&d);
    index
        .service_at_locations
        .get(&id)
        .and_then(|&i| d.assets.get(i))
        .and_then(|a| feed::service_at_location(&d, a, true))
        .map(open)
        .ok_or_else(|| ApiError::NotFound(format!("no service at location with id {id:?}")))
}

/// `GET /oruk/taxonomies`
pub async fn taxonomies(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let q = Query::parse(raw.as_deref(), &[PAGE, PER_PAGE], &[])?;
    let (page, per_page) = paging(&q)?;
    let d = state.dataset();
    Ok(listed(vec![feed::taxonomy(&d, false)], page, per_page))
}

/// `GET /oruk/taxonomies/{id}`
pub async fn taxonomy(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    Query::parse(raw.as_deref(), &[], &[])?;
    if id != feed::taxonomy_id() {
        return Err(ApiError::NotFound(format!("no taxonomy with id {id:?}")));
    }
    Ok(open(feed::taxonomy(&state.dataset(), true)))
}

/// `GET /oruk/taxonomy_terms`
pub async fn taxonomy_terms(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let q = Query::parse(raw.as_deref(), &[PAGE, PER_PAGE], &[])?;
    let (page, per_page) = paging(&q)?;
    let d = state.dataset();
    let all: Vec<Value> = d
        .info
        .category_labels
        .iter()
        .map(|(c, l)| feed::term(c, l))
        .collect();
    Ok(listed(all, page, per_page))
}

/// `GET /oruk/taxonomy_terms/{id}`
pub async fn taxonomy_term(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    Query::parse(raw.as_deref(), &[], &[])?;
    let d = state.dataset();
    d.info
        .category_labels
        .iter()
        .find(|(c, _)| feed::term_id(c) == id)
        .map(|(c, l)| open(feed::term(c, l)))
        .ok_or_else(|| ApiError::NotFound(format!("no taxonomy term with id {id:?}")))
}

/// `GET /oruk/organizations`
pub async fn organizations(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let q = Query::parse(raw.as_deref(), &[PAGE, PER_PAGE], &[])?;
    let (page, per_page) = paging(&q)?;
    let d = state.dataset();
    let index = state.oruk.get(&d);
    let all: Vec<Value> = index
        .organizations
        .values()
        .map(|(name, _)| feed::organization(name, None))
        .collect();
    Ok(listed(all, page, per_page))
}

/// `GET /oruk/organizations/{id}`: with its services.
pub async fn organization(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    Query::parse(raw.as_deref(), &[], &[])?;
    let d = state.dataset();
    let index = state.oruk.get(&d);
    let (name, runs) = index
        .organizations
        .get(&id)
        .ok_or_else(|| ApiError::NotFound(format!("no organization with id {id:?}")))?;
    let mut o = feed::organization(name, None);
    let services: Vec<Value> = runs
        .iter()
        .filter_map(|&at| feed::entry(&d, at))
        .map(|a| feed::service_full(&d, a))
        .collect();
    if let Some(obj) = o.as_object_mut() {
        obj.insert("services".into(), services.into());
    }
    Ok(open(o))
}

/// `GET /oruk/openapi.json`: the feed's own OpenAPI document.
pub async fn openapi(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    Query::parse(raw.as_deref(), &[], &[])?;
    let base = super::ogc::base_url(&state, &headers);
    Ok(open(document(&base, &state.dataset().info.name)))
}

fn document(base: &str, name: &str) -> Value {
    let int = |n: &str, d: &str, min: usize, max: usize| {
        json!({"name": n, "in": "query", "required": false, "description": d,
               "schema": {"type": "integer", "minimum": min, "maximum": max}})
    };
    let text = |n: &str, d: &str| json!({"name": n, "in": "query", "required": false, "description": d, "schema": {"type": "string"}});
    let paging = vec![
        int(PAGE, "Page number, from 1", 1, 1_000_000),
        int(PER_PAGE, "Items per page", 1, MAX_PER_PAGE),
    ];
    let id = json!({"name": "id", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}});
    let ok = |what: &str| json!({"200": {"description": what, "content": {"application/json": {}}}, "404": {"description": "Not found"}});
    let list = |what: &str| json!({"200": {"description": what, "content": {"application/json": {}}}, "400": {"description": "A parameter is invalid"}});
    let mut service_params = paging.clone();
    service_params.extend([
        text(
            SEARCH,
            "Words in the name, organisation or description (ignoring case)",
        ),
        text(
            TAXONOMY_TERM_ID,
            "Only services with this taxonomy term (see /taxonomy_terms)",
        ),
        text(
            MODIFIED_AFTER,
            "Only services changed after this date or date-time",
        ),
        text(POSTCODE, "Only services near this postcode, nearest first"),
        json!({"name": PROXIMITY, "in": "query", "required": false,
               "description": "With postcode: the distance, metres (default 5000)",
               "schema": {"type": "number", "minimum": 1, "maximum": MAX_PROXIMITY_M}}),
    ]);
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": format!("{name}: Open Referral UK feed"),
            "version": feed::VERSION,
            "description": "Community services as Open Referral UK 3.0 (HSDS 3.0, UK profile).",
        },
        "servers": [{"url": format!("{base}/oruk")}],
        "paths": {
            "/": {"get": {"summary": "The feed's version, profile and this document", "responses": ok("API details")}},
            "/services": {"get": {"summary": "Services, paged", "parameters": service_params, "responses": list("A page of services")}},
            "/services/{id}": {"get": {"summary": "One service, fully nested", "parameters": [id], "responses": ok("A service")}},
            "/service_at_locations": {"get": {"summary": "Services at locations, paged", "parameters": paging, "responses": list("A page of services at locations")}},
            "/service_at_locations/{id}": {"get": {"summary": "One service at a location", "parameters": [id], "responses": ok("A service at a location")}},
            "/taxonomies": {"get": {"summary": "Taxonomies", "parameters": paging, "responses": list("A page of taxonomies")}},
            "/taxonomies/{id}": {"get": {"summary": "One taxonomy with its terms", "parameters": [id], "responses": ok("A taxonomy")}},
            "/taxonomy_terms": {"get": {"summary": "Taxonomy terms", "parameters": paging, "responses": list("A page of terms")}},
            "/taxonomy_terms/{id}": {"get": {"summary": "One taxonomy term", "parameters": [id], "responses": ok("A term")}},
            "/organizations": {"get": {"summary": "Organisations", "parameters": paging, "responses": list("A page of organisations")}},
            "/organizations/{id}": {"get": {"summary": "One organisation with its services", "parameters": [id], "responses": ok("An organisation")}},
        }
    })
}

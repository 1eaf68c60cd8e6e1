//! Residents: `/api/nearby` (the nearest support to a place or postcode) and
//! `/api/categories`.

use std::fmt::Write as _;

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use geo::Coord;
use serde_json::{Value, json};

use super::params::{self, Query};
use super::{ApiError, AppState};
use chrono::NaiveDateTime;

use crate::crs::{Crs, bng_to_wgs84};
use crate::export::{push_json_opt, push_json_str, push_number};
use crate::hours::{Glance, OpenState, london};
use crate::index::Hit;
use crate::model::{Dataset, Opening, normalise_postcode};

/// Default number of results.
pub const DEFAULT_LIMIT: usize = 10;
/// Most results in one answer.
pub const MAX_LIMIT: usize = 100;
/// Largest search radius, metres.
pub const MAX_RADIUS_M: f64 = 20_000.0;
/// Most candidates (per category) an `open=` search looks at before it stops.
pub const MAX_EXAMINED: usize = 5_000;

/// What `open=` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OpenFilter {
    /// Open at the moment (`at`, or now), by exact or approximate hours.
    Now,
    /// Open now, or opening later the same day.
    Today,
}

impl OpenFilter {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            OpenFilter::Now => "now",
            OpenFilter::Today => "today",
        }
    }

    /// Whether a place at a glance is kept.
    pub(crate) fn keeps(self, glance: Glance) -> bool {
        match self {
            OpenFilter::Now => glance == Glance::Open,
            OpenFilter::Today => matches!(glance, Glance::Open | Glance::OpensLaterToday),
        }
    }
}

/// `open=now|today`.
pub(crate) fn open_filter(q: &Query) -> Result<Option<OpenFilter>, ApiError> {
    match q.get(params::OPEN).map(str::trim) {
        None | Some("") => Ok(None),
        Some("now") => Ok(Some(OpenFilter::Now)),
        Some("today") => Ok(Some(OpenFilter::Today)),
        Some(other) => Err(ApiError::bad(format!(
            "open must be now or today (got {other:?})"
        ))),
    }
}

/// `at=` as London wall time, or the time now.
pub(crate) fn moment(q: &Query) -> Result<NaiveDateTime, ApiError> {
    match q.get(params::AT) {
        Some(text) => london::parse_time(text).map_err(|e| ApiError::bad(format!("at {e}"))),
        None => Ok(london::to_local(chrono::Utc::now())),
    }
}

/// Places an open filter left out, nearer than the last one kept.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct LeftOut {
    pub(crate) closed: usize,
    pub(crate) hours_not_known: usize,
    pub(crate) examined: usize,
}

/// The nearest places, with an optional open filter, and what it left out.
pub(crate) fn search(
    d: &Dataset,
    origin: Coord,
    limit: usize,
    categories: &[String],
    radius_m: Option<f64>,
    filter: Option<OpenFilter>,
    now: NaiveDateTime,
) -> (Vec<Hit>, LeftOut) {
    let Some(filter) = filter else {
        let hits = d.asset_index.nearest(origin, limit, categories, radius_m);
        return (hits, LeftOut::default());
    };
    let mut skipped: Vec<(f64, bool)> = Vec::new();
    let (hits, examined) =
        d.asset_index
            .nearest_where(origin, limit, categories, radius_m, MAX_EXAMINED, |h| {
                let glance = d.assets[h.asset].glance(now);
                let keep = filter.keeps(glance);
                if !keep {
                    skipped.push((h.distance_m, glance == Glance::Unknown));
                }
                keep
            });
    let nearer_than = if hits.len() == limit {
        hits.last().map_or(f64::INFINITY, |h| h.distance_m)
    } else {
        f64::INFINITY
    };
    let mut left = LeftOut {
        examined,
        ..LeftOut::default()
    };
    for (distance_m, unknown) in skipped {
        if distance_m <= nearer_than {
            if unknown {
                left.hours_not_known += 1;
            } else {
                left.closed += 1;
            }
        }
    }
    (hits, left)
}

/// Writes a place's opening state as JSON members (each after a comma).
pub(crate) fn push_opening(out: &mut String, opening: &Opening) {
    let at = |t: Option<NaiveDateTime>| t.map(|t| london::from_local(t).to_rfc3339());
    let (opens, closes) = match &opening.state {
        OpenState::Open { closes_at, .. } => (None, at(*closes_at)),
        OpenState::Closed { opens_at, .. } => (at(*opens_at), None),
        OpenState::Unknown => (None, None),
    };
    out.push_str(",\"open_now\":");
    match opening.state.open_now() {
        Some(b) => out.push_str(if b { "true" } else { "false" }),
        None => out.push_str("null"),
    }
    out.push_str(",\"hours_state\":");
    push_json_str(out, opening.state.name());
    out.push_str(",\"opens_at\":");
    push_json_opt(out, opens.as_deref());
    out.push_str(",\"closes_at\":");
    push_json_opt(out, closes.as_deref());
    out.push_str(",\"hours_text\":");
    push_json_str(out, &opening.text);
}

/// Where a search starts.
pub(crate) struct Origin {
    pub(crate) bng: Coord,
    pub(crate) lonlat: Coord,
    pub(crate) postcode: Option<String>,
}

/// Resolves `lon`+`lat` or `postcode` to a point.
pub(crate) fn origin(dataset: &Dataset, q: &Query) -> Result<Origin, ApiError> {
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
        dataset.check_category(c).map_err(ApiError::bad)?;
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
            params::OPEN,
            params::AT,
        ],
        &[params::CATEGORY],
    )?;
    let view = state.view();
    let d = &view.dataset;
    let origin = origin(d, &q)?;
    let categories = categories(d, &q)?;
    let limit = q
        .integer(params::LIMIT, 1, MAX_LIMIT)?
        .unwrap_or(DEFAULT_LIMIT);
    let radius_m = q.number(params::RADIUS_M, 1.0, MAX_RADIUS_M)?;
    let filter = open_filter(&q)?;
    let now = moment(&q)?;
    let (hits, left) = search(d, origin.bng, limit, &categories, radius_m, filter, now);
    let stale_before = state.stale_before();
    let body = nearby_json(
        d,
        &view.asset_json,
        &Answer {
            origin: &origin,
            hits: &hits,
            categories: &categories,
            limit,
            radius_m,
            filter,
            now,
            left,
            stale_before: &stale_before,
        },
    );
    Ok((
        [(axum::http::header::CONTENT_TYPE, "application/geo+json")],
        body,
    )
        .into_response())
}

/// What a nearby search found, for writing out.
struct Answer<'a> {
    origin: &'a Origin,
    hits: &'a [Hit],
    categories: &'a [String],
    limit: usize,
    radius_m: Option<f64>,
    filter: Option<OpenFilter>,
    now: NaiveDateTime,
    left: LeftOut,
    /// Entries last checked before this date (YYYY-MM-DD) are stale.
    stale_before: &'a str,
}

/// Writes the nearby answer directly as GeoJSON text (this is the hot path).
fn nearby_json(d: &Dataset, asset_json: &[std::sync::Arc<AssetJson>], a: &Answer<'_>) -> String {
    let Answer {
        origin,
        hits,
        categories,
        limit,
        radius_m,
        filter,
        now,
        left,
        stale_before,
    } = *a;
    let mut out = String::with_capacity(512 + hits.len() * 512);
    out.push_str("{\"type\":\"FeatureCollection\",\"query\":{\"lon\":");
    push_number(&mut out, origin.lonlat.x, 6);
    out.push_str(",\"lat\":");
    push_number(&mut out, origin.lonlat.y, 6);
    out.push_str(",\"easting\":");
    push_number(&mut out, origin.bng.x, 2);
    out.push_str(",\"northing\":");
    push_number(&mut out, origin.bng.y, 2);
    out.push_str(",\"postcode\":");
    push_json_opt(&mut out, origin.postcode.as_deref());
    out.push_str(",\"categories\":[");
    for (k, c) in categories.iter().enumerate() {
        if k > 0 {
            out.push(',');
        }
        push_json_str(&mut out, c);
    }
    let _ = write!(out, "],\"limit\":{limit},\"radius_m\":");
    match radius_m {
        Some(r) => push_number(&mut out, r, 2),
        None => out.push_str("null"),
    }
    out.push_str(",\"open\":");
    push_json_opt(&mut out, filter.map(OpenFilter::as_str));
    out.push_str(",\"at\":");
    push_json_str(&mut out, &london::from_local(now).to_rfc3339());
    out.push_str(",\"time_zone\":\"Europe/London\"");
    out.push_str(",\"distance\":\"straight-line distance in British National Grid metres\"}");
    if filter.is_some() {
        let _ = write!(
            out,
            ",\"left_out\":{{\"closed\":{},\"hours_not_known\":{},\"examined\":{},\"note\":\"places nearer than the last one returned (all examined when fewer than limit were found) that the open filter left out\"}}",
            left.closed, left.hours_not_known, left.examined
        );
    }
    let ward = d.ward_at(origin.bng);
    let _ = write!(out, ",\"outside_coverage\":{},\"ward\":", ward.is_none());
    match ward {
        Some(w) => {
            out.push_str("{\"code\":");
            push_json_str(&mut out, &d.wards[w].code);
            out.push_str(",\"name\":");
            push_json_str(&mut out, &d.wards[w].name);
            out.push('}');
        }
        None => out.push_str("null"),
    }
    let _ = write!(out, ",\"numberReturned\":{},\"attribution\":", hits.len());
    push_json_opt(&mut out, d.info.attribution.as_deref());
    out.push_str(",\"features\":[");
    for (k, h) in hits.iter().enumerate() {
        if k > 0 {
            out.push(',');
        }
        let rendered = &asset_json[h.asset];
        out.push_str(&rendered.text[..rendered.split]);
        push_number(&mut out, (h.distance_m * 10.0).round() / 10.0, 1);
        push_opening(&mut out, &d.assets[h.asset].opening(now));
        out.push_str(",\"stale\":");
        out.push_str(if d.assets[h.asset].is_stale(stale_before) {
            "true"
        } else {
            "false"
        });
        out.push_str(&rendered.text[rendered.split..]);
    }
    out.push_str("]}");
    out
}

/// One asset's feature as nearby search returns it, rendered once per revision:
/// `text[..split]` ends just before the distance, `text[split..]` follows it.
pub struct AssetJson {
    text: String,
    split: usize,
}

/// Renders one asset's nearby-search feature.
pub fn render_asset(d: &Dataset, a: &crate::model::Asset) -> AssetJson {
    let mut out = String::with_capacity(512);
    out.push_str("{\"type\":\"Feature\",\"id\":");
    push_json_str(&mut out, &a.id);
    out.push_str(",\"geometry\":{\"type\":\"Point\",\"coordinates\":[");
    push_number(&mut out, a.lonlat.x, 6);
    out.push(',');
    push_number(&mut out, a.lonlat.y, 6);
    out.push_str("]},\"properties\":{\"distance_m\":");
    let split = out.len();
    let ward = a.ward.map(|w| &d.wards[w]);
    let display_name = a.display_name();
    let display_address = a.display_address();
    let fields: [(&str, Option<&str>); 19] = [
        ("id", Some(&a.id)),
        ("name", Some(&a.name)),
        ("display_name", Some(&display_name)),
        ("category", Some(&a.category)),
        (
            "category_label",
            d.info.category_labels.get(&a.category).map(String::as_str),
        ),
        ("status", Some(a.status.as_str())),
        ("address", a.address.as_deref()),
        ("display_address", display_address.as_deref()),
        ("postcode", a.postcode.as_deref()),
        ("phone", a.phone.as_deref()),
        ("email", a.email.as_deref()),
        ("website", a.website.as_deref()),
        ("opening_hours", a.opening_hours.as_deref()),
        ("verified_at", a.verified_at.as_deref()),
        ("last_checked", a.last_checked()),
        ("updated_at", a.updated_at.as_deref()),
        ("ward_code", ward.map(|w| w.code.as_str())),
        ("ward_name", ward.map(|w| w.name.as_str())),
        (
            "small_area_code",
            a.small_area.map(|s| d.small_areas[s].code.as_str()),
        ),
    ];
    for (name, value) in fields {
        out.push_str(",\"");
        out.push_str(name);
        out.push_str("\":");
        push_json_opt(&mut out, value);
    }
    // Directory details only where a source gave them.
    for (name, value) in details(a) {
        if let Some(v) = value {
            out.push_str(",\"");
            out.push_str(name);
            out.push_str("\":");
            push_json_str(&mut out, v);
        }
    }
    out.push_str("}}");
    AssetJson { text: out, split }
}

/// An entry's directory details by name: organisation, description,
/// accessibility, the entry at its source, and a food bank's needs with the
/// credit Give Food's terms ask for.
pub(crate) fn details(a: &crate::model::Asset) -> [(&'static str, Option<&str>); 8] {
    let d = &a.details;
    [
        (
            "location_note",
            a.sensitive.map(crate::model::SensitivePlace::words),
        ),
        ("organisation", d.organisation.as_deref()),
        ("description", d.description.as_deref()),
        ("accessibility", d.accessibility.as_deref()),
        ("source_url", d.source_url.as_deref()),
        ("source_modified_at", d.source_modified_at.as_deref()),
        ("needs", d.needs.as_deref()),
        (
            "needs_credit",
            d.needs.as_ref().map(|_| crate::ingest::givefood::CREDIT),
        ),
    ]
}

/// An entry as `/api/search` and `/api/listings` give it.
fn entry_json(d: &Dataset, a: &crate::model::Asset) -> Value {
    let mut o = json!({
        "id": a.id,
        "name": a.name,
        "display_name": a.display_name(),
        "category": a.category,
        "category_label": d.info.category_labels.get(&a.category),
        "status": a.status.as_str(),
        "on_map": !a.unplaced,
        "phone": a.phone,
        "email": a.email,
        "website": a.website,
        "opening_hours": a.opening_hours,
        "verified_at": a.verified_at,
    });
    if let Some(m) = o.as_object_mut() {
        if !a.unplaced {
            m.insert("lon".into(), json!((a.lonlat.x * 1e6).round() / 1e6));
            m.insert("lat".into(), json!((a.lonlat.y * 1e6).round() / 1e6));
            m.insert("display_address".into(), json!(a.display_address()));
            m.insert("postcode".into(), json!(a.postcode));
        }
        for (k, v) in details(a) {
            if let Some(v) = v {
                m.insert(k.into(), json!(v));
            }
        }
    }
    o
}

/// Services with no place of these categories (all when none are given),
/// by name: a page of them and how many there are.
pub(crate) fn listings_of<'d>(
    d: &'d Dataset,
    categories: &[String],
    limit: usize,
    offset: usize,
) -> (Vec<&'d crate::model::Asset>, usize) {
    let mut all: Vec<&crate::model::Asset> = d
        .listings
        .iter()
        .filter(|a| categories.is_empty() || categories.contains(&a.category))
        .collect();
    all.sort_by(|x, y| x.display_name().cmp(&y.display_name()));
    let total = all.len();
    (all.into_iter().skip(offset).take(limit).collect(), total)
}

/// `GET /api/listings?category=&limit=&offset=`: services with no place
/// (by phone or online only), by name; never on the map.
pub async fn listings(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let q = Query::parse(
        raw.as_deref(),
        &[params::CATEGORY, params::LIMIT, params::OFFSET],
        &[params::CATEGORY],
    )?;
    let d = state.dataset();
    let (categories, limit, offset) = kinds_and_page(&q, &d)?;
    let (page, total) = listings_of(&d, &categories, limit, offset);
    Ok(Json(json!({
        "total": total,
        "offset": offset,
        "listings": page.iter().map(|a| entry_json(&d, a)).collect::<Vec<_>>(),
    })))
}

/// `category` (checked), `limit` and `offset`, as the entry lists take them.
fn kinds_and_page(q: &Query, d: &Dataset) -> Result<(Vec<String>, usize, usize), ApiError> {
    let categories = q.list(params::CATEGORY);
    for c in &categories {
        d.check_category(c).map_err(ApiError::bad)?;
    }
    let limit = q
        .integer(params::LIMIT, 1, MAX_LIMIT)?
        .unwrap_or(DEFAULT_SEARCH_LIMIT);
    let offset = q.integer(params::OFFSET, 0, 1_000_000)?.unwrap_or(0);
    Ok((categories, limit, offset))
}

/// `q`
pub const Q: &str = "q";
/// Longest search text, characters.
pub const MAX_QUERY_CHARS: usize = 200;
/// Default number of search results.
pub const DEFAULT_SEARCH_LIMIT: usize = 20;

/// `GET /api/search?q=&category=&limit=&offset=`: entries whose name or
/// organisation holds the words (ignoring case), places on the map and
/// services with no place alike (`on_map` says which), best matches first:
/// names that start with the text, then names that hold it, then
/// organisations.
pub async fn search_entries(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let q = Query::parse(
        raw.as_deref(),
        &[Q, params::CATEGORY, params::LIMIT, params::OFFSET],
        &[params::CATEGORY],
    )?;
    let text = q.get(Q).map(str::trim).unwrap_or("");
    let n = text.chars().count();
    if !(2..=MAX_QUERY_CHARS).contains(&n) {
        return Err(ApiError::bad(format!(
            "q must be 2 to {MAX_QUERY_CHARS} characters (the words to look for)"
        )));
    }
    let needle = text.to_lowercase();
    let d = state.dataset();
    let (categories, limit, offset) = kinds_and_page(&q, &d)?;
    let index = state.oruk.get(&d);
    let mut hits: Vec<(u8, &crate::model::Asset)> = Vec::new();
    for e in &index.entries {
        let Some(a) = crate::export::oruk::entry(&d, e.at) else {
            continue;
        };
        if !categories.is_empty() && !categories.contains(&a.category) {
            continue;
        }
        let rank = if e.name.starts_with(&needle) {
            0
        } else if e.name.contains(&needle) || e.raw_name.contains(&needle) {
            1
        } else if e
            .organisation
            .as_deref()
            .is_some_and(|o| o.contains(&needle))
        {
            2
        } else {
            continue;
        };
        hits.push((rank, a));
    }
    hits.sort_by(|x, y| x.0.cmp(&y.0).then_with(|| x.1.name.cmp(&y.1.name)));
    let results: Vec<Value> = hits
        .iter()
        .skip(offset)
        .take(limit)
        .map(|(_, a)| entry_json(&d, a))
        .collect();
    Ok(Json(json!({
        "q": text,
        "total": hits.len(),
        "offset": offset,
        "results": results,
    })))
}

/// `GET /api/categories`: category ids, labels and asset counts.
pub async fn categories_list(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    Query::parse(raw.as_deref(), &[], &[])?;
    let d = &state.dataset();
    let counts = d.category_counts();
    let list: Vec<Value> = d
        .info
        .category_labels
        .iter()
        .map(|(id, label)| json!({"id": id, "label": label, "count": counts.get(id).copied().unwrap_or(0)}))
        .collect();
    Ok(Json(json!({ "categories": list })))
}

//! Officers' writes: OGC API - Features Part 4 (create, replace, update,
//! delete) on `/collections/assets/items`, each feature's history, and a
//! sync of the official sources on demand. Every route checks who is
//! calling (401/403) and every change names the revision it was made
//! against (`If-Match`, 428 without one, 412 when stale).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::auth::{principal, require};
use super::ogc::{base_url, encode, parse_crs};
use super::params::Query;
use super::{ApiError, AppState};
use crate::catalog::auth::Principal;
use crate::catalog::{AssetFields, CatalogError, Edit, Role, StoredAsset};
use crate::crs::Crs;
use crate::export::GeoJsonCrs;
use crate::export::feature_json;
use crate::features::Collection;
use crate::model::{AssetStatus, normalise_postcode};

/// Largest feature body, bytes.
pub const MAX_FEATURE_BYTES: usize = 64 * 1024;
/// Longest `reason` header, characters.
pub const MAX_REASON_CHARS: usize = 500;
/// The header a change's reason travels in.
pub const REASON_HEADER: &str = "x-change-reason";

/// Part 4 conformance classes.
pub const CONFORMANCE: [&str; 3] = [
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/features",
];

/// Properties a client may set.
const WRITABLE: [&str; 15] = [
    "category",
    "name",
    "address",
    "postcode",
    "phone",
    "email",
    "website",
    "opening_hours",
    "capacity",
    "status",
    "verified_at",
    "organisation",
    "description",
    "accessibility",
    "sensitive",
];

/// Properties the server computes; sent back unchanged, they are ignored.
const READ_ONLY: [&str; 9] = [
    "id",
    "category_label",
    "ward_code",
    "ward_name",
    "council_code",
    "small_area_code",
    "source",
    "revision",
    "updated_at",
];

/// The strong ETag of an asset revision.
pub fn etag(revision: u64) -> String {
    format!("\"r{revision}\"")
}

pub(crate) fn catalog_error(e: CatalogError) -> ApiError {
    match e {
        CatalogError::NotFound(id) if id.starts_with("contribution ") => {
            ApiError::NotFound(format!("no {id}"))
        }
        CatalogError::NotFound(id) => ApiError::NotFound(format!("no asset {id:?} in assets")),
        CatalogError::Stale {
            id,
            expected,
            current,
        } => ApiError::status(
            StatusCode::PRECONDITION_FAILED,
            "PreconditionFailed",
            format!(
                "asset {id} is at revision {current} (ETag {}), not {} as If-Match says: someone else changed it; GET it again and reapply your change",
                etag(current),
                etag(expected)
            ),
        ),
        CatalogError::Invalid(i) => ApiError::InvalidFields(
            i.each()
                .map(|one| (one.field.clone(), one.message.clone()))
                .collect(),
        ),
        CatalogError::NoChange(m) => ApiError::status(StatusCode::CONFLICT, "NoChange", m),
        CatalogError::Store(e) => ApiError::Internal(e.to_string()),
    }
}

fn check_collection(id: &str) -> Result<(), ApiError> {
    match Collection::parse(id) {
        Some(Collection::Assets) => Ok(()),
        Some(_) => Err(ApiError::MethodNotAllowed(format!(
            "{id} is read-only: it comes from the official boundary and statistics files; only assets can be written"
        ))),
        None => Err(ApiError::NotFound(format!("no collection {id:?}"))),
    }
}

fn reason(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    match headers.get(REASON_HEADER) {
        None => Ok(None),
        Some(v) => {
            let text = v
                .to_str()
                .map_err(|_| ApiError::bad(format!("{REASON_HEADER} must be plain text")))?
                .trim();
            if text.chars().count() > MAX_REASON_CHARS {
                return Err(ApiError::bad(format!(
                    "{REASON_HEADER} is at most {MAX_REASON_CHARS} characters"
                )));
            }
            Ok((!text.is_empty()).then(|| text.to_string()))
        }
    }
}

/// The revision `If-Match` names; 428 without one.
fn if_match(headers: &HeaderMap) -> Result<u64, ApiError> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Err(ApiError::status(
            StatusCode::PRECONDITION_REQUIRED,
            "PreconditionRequired",
            "send If-Match with the ETag of the feature you changed (GET it first), so a change made meanwhile is not overwritten",
        ));
    };
    let text = value.to_str().unwrap_or("").trim();
    text.strip_prefix("\"r")
        .and_then(|t| t.strip_suffix('"'))
        .and_then(|t| t.parse::<u64>().ok())
        .ok_or_else(|| {
            ApiError::status(
                StatusCode::PRECONDITION_FAILED,
                "PreconditionFailed",
                format!("If-Match {text:?} is not an ETag of this server (they look like \"r3\"; weak ETags and * are not accepted)"),
            )
        })
}

fn check_media_type(headers: &HeaderMap, patch: bool) -> Result<(), ApiError> {
    let kind = super::params::media_type(headers).unwrap_or_default();
    let ok = matches!(kind.as_str(), "application/geo+json" | "application/json")
        || (patch && kind == "application/merge-patch+json");
    if ok {
        Ok(())
    } else {
        Err(ApiError::status(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UnsupportedMediaType",
            format!(
                "the body must be a GeoJSON Feature sent as application/geo+json{} (got {:?})",
                if patch {
                    " or application/merge-patch+json"
                } else {
                    ""
                },
                kind
            ),
        ))
    }
}

fn parse_body(body: &Bytes) -> Result<Map<String, Value>, ApiError> {
    if body.len() > MAX_FEATURE_BYTES {
        return Err(ApiError::status(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PayloadTooLarge",
            format!("a feature is at most {MAX_FEATURE_BYTES} bytes"),
        ));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(ApiError::bad("the body must be a GeoJSON Feature object")),
        Err(e) => Err(ApiError::bad(format!("the body is not JSON: {e}"))),
    }
}

fn unprocessable(field: &str, message: impl std::fmt::Display) -> ApiError {
    ApiError::status(
        StatusCode::UNPROCESSABLE_ENTITY,
        "InvalidValue",
        format!("{field}: {message}"),
    )
}

/// The CRS of a body's coordinates (`Content-Crs`, CRS84 by default).
fn content_crs(headers: &HeaderMap) -> Result<Crs, ApiError> {
    match headers.get("content-crs").and_then(|v| v.to_str().ok()) {
        None => Ok(Crs::Wgs84),
        Some(text) => {
            let t = text.trim().trim_start_matches('<').trim_end_matches('>');
            match parse_crs("Content-Crs", t)? {
                GeoJsonCrs::Crs84 => Ok(Crs::Wgs84),
                GeoJsonCrs::Bng => Ok(Crs::Bng),
                GeoJsonCrs::WebMercator => Ok(Crs::WebMercator),
                GeoJsonCrs::Epsg4326 => Err(ApiError::bad(
                    "Content-Crs EPSG:4326 (latitude first) is not accepted for writes; send CRS84 (longitude, latitude) or EPSG:27700",
                )),
            }
        }
    }
}

/// A point geometry in British National Grid metres; `None` for `null`.
fn point(geometry: &Value, crs: Crs) -> Result<Option<(f64, f64)>, ApiError> {
    if geometry.is_null() {
        return Ok(None);
    }
    let kind = geometry.get("type").and_then(Value::as_str);
    if kind != Some("Point") {
        return Err(unprocessable(
            "geometry",
            "must be a Point (or null with a known postcode)",
        ));
    }
    let c = geometry
        .get("coordinates")
        .and_then(Value::as_array)
        .filter(|c| c.len() == 2 || c.len() == 3)
        .ok_or_else(|| unprocessable("geometry", "coordinates must be [x, y]"))?;
    let (Some(x), Some(y)) = (c[0].as_f64(), c[1].as_f64()) else {
        return Err(unprocessable("geometry", "coordinates must be numbers"));
    };
    let bng = crs.to_bng(x, y).map_err(|e| unprocessable("geometry", e))?;
    Ok(Some((bng.x, bng.y)))
}

fn text_field(props: &Map<String, Value>, name: &str) -> Result<Option<String>, ApiError> {
    match props.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => {
            let t = s.trim();
            Ok((!t.is_empty()).then(|| t.to_string()))
        }
        Some(other) => Err(unprocessable(name, format!("must be text, not {other}"))),
    }
}

/// Applies a feature's properties and geometry over `base` (a merge patch
/// when `merge`; otherwise every writable property not given is cleared).
fn fields_from(
    state: &AppState,
    feature: &Map<String, Value>,
    base: Option<&AssetFields>,
    merge: bool,
    crs: Crs,
) -> Result<AssetFields, ApiError> {
    if let Some(t) = feature.get("type").and_then(Value::as_str)
        && t != "Feature"
    {
        return Err(ApiError::bad(format!(
            "the body must be a GeoJSON Feature, not a {t}"
        )));
    }
    for key in feature.keys() {
        if !["type", "id", "geometry", "properties", "links", "bbox"].contains(&key.as_str()) {
            return Err(ApiError::bad(format!(
                "unknown member {key:?} of the Feature"
            )));
        }
    }
    let empty = Map::new();
    let props = match feature.get("properties") {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(p)) => p,
        Some(_) => return Err(ApiError::bad("properties must be an object")),
    };
    for key in props.keys() {
        if !WRITABLE.contains(&key.as_str()) && !READ_ONLY.contains(&key.as_str()) {
            return Err(unprocessable(
                key,
                format!(
                    "is not a property of assets; writable properties are {}",
                    WRITABLE.join(", ")
                ),
            ));
        }
    }
    let given = |name: &str| !merge || props.contains_key(name);
    let pick = |name: &str, current: Option<&Option<String>>| -> Result<Option<String>, ApiError> {
        if given(name) {
            text_field(props, name)
        } else {
            Ok(current.cloned().flatten())
        }
    };
    let category = pick("category", base.map(|b| Some(b.category.clone())).as_ref())?
        .ok_or_else(|| unprocessable("category", "is required (see /api/categories)"))?;
    let name = pick("name", base.map(|b| Some(b.name.clone())).as_ref())?
        .ok_or_else(|| unprocessable("name", "is required"))?;
    let capacity = if given("capacity") {
        match props.get("capacity") {
            None | Some(Value::Null) => None,
            Some(v) => Some(
                v.as_f64()
                    .ok_or_else(|| unprocessable("capacity", "must be a number"))?,
            ),
        }
    } else {
        base.and_then(|b| b.capacity)
    };
    let status = if given("status") {
        match text_field(props, "status")?.as_deref() {
            None => AssetStatus::Active,
            Some("active") => AssetStatus::Active,
            Some("temporarily_closed") => AssetStatus::TemporarilyClosed,
            Some("retired") => {
                return Err(unprocessable("status", "retire an asset with DELETE"));
            }
            Some(other) => {
                return Err(unprocessable(
                    "status",
                    format!("{other:?} is not active or temporarily_closed"),
                ));
            }
        }
    } else {
        match base.map(|b| b.status) {
            // A patch that does not name the status leaves a retired asset retired.
            Some(s) => s,
            None => AssetStatus::Active,
        }
    };
    let postcode = pick("postcode", base.map(|b| b.postcode.clone()).as_ref())?;
    let location = if !merge || feature.contains_key("geometry") {
        point(feature.get("geometry").unwrap_or(&Value::Null), crs)?
    } else {
        base.map(|b| (b.easting_m, b.northing_m))
    };
    let (easting_m, northing_m) = match location {
        Some(p) => p,
        None => {
            let pc = postcode
                .as_deref()
                .and_then(normalise_postcode)
                .ok_or_else(|| {
                    unprocessable(
                        "geometry",
                        "is required unless postcode is a known postcode",
                    )
                })?;
            let at = state.dataset().postcodes.get(&pc).copied().ok_or_else(|| {
                unprocessable(
                    "postcode",
                    format!("{pc} is not in this dataset's postcode list; give a geometry"),
                )
            })?;
            (at.x, at.y)
        }
    };
    let opening_hours = pick(
        "opening_hours",
        base.map(|b| b.opening_hours.clone()).as_ref(),
    )?;
    // Hours written in OpenStreetMap syntax are understood; other text is
    // shown as written, and the hours count as not known. Unchanged text
    // keeps the hours its source gave.
    let hours = match base {
        Some(b) if b.opening_hours == opening_hours => b.hours.clone(),
        _ => opening_hours
            .as_deref()
            .and_then(|t| crate::hours::parse::osm(t).ok()),
    };
    Ok(AssetFields {
        category,
        name,
        address: pick("address", base.map(|b| b.address.clone()).as_ref())?,
        postcode,
        phone: pick("phone", base.map(|b| b.phone.clone()).as_ref())?,
        email: pick("email", base.map(|b| b.email.clone()).as_ref())?,
        website: pick("website", base.map(|b| b.website.clone()).as_ref())?,
        opening_hours,
        hours,
        capacity,
        easting_m,
        northing_m,
        status,
        verified_at: pick("verified_at", base.map(|b| b.verified_at.clone()).as_ref())?,
        details: crate::model::Details {
            organisation: pick(
                "organisation",
                base.map(|b| b.details.organisation.clone()).as_ref(),
            )?,
            description: pick(
                "description",
                base.map(|b| b.details.description.clone()).as_ref(),
            )?,
            accessibility: pick(
                "accessibility",
                base.map(|b| b.details.accessibility.clone()).as_ref(),
            )?,
            // What the source says about its own entry stays the source's.
            ..base.map(|b| b.details.clone()).unwrap_or_default()
        },
        unplaced: base.is_some_and(|b| b.unplaced) && !feature.contains_key("geometry"),
        sensitive: match props.get("sensitive") {
            None => base.is_some_and(|b| b.sensitive),
            Some(Value::Bool(b)) => *b,
            Some(Value::Null) if !merge => false,
            Some(Value::Null) => base.is_some_and(|b| b.sensitive),
            Some(_) => return Err(unprocessable("sensitive", "must be true or false")),
        },
    })
}

/// Runs catalog work on the blocking pool; the outer error is only the pool's.
pub(crate) async fn run_raw<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, CatalogError> + Send + 'static,
) -> Result<Result<T, CatalogError>, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))
}

pub(crate) async fn run<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, CatalogError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(catalog_error)
}

/// The feature as GET serves it, with its ETag and Location.
fn answer(
    state: &AppState,
    headers: &HeaderMap,
    row: &StoredAsset,
    status: StatusCode,
) -> Response {
    let d = state.dataset();
    let base = base_url(state, headers);
    let location = format!("{base}/collections/assets/items/{}", encode(&row.id));
    let mut r = match Collection::Assets.find(&d, &row.id) {
        Some(i) => {
            let feature = feature_json(Collection::Assets, &d, i, GeoJsonCrs::Crs84, None);
            (
                status,
                [(header::CONTENT_TYPE, "application/geo+json")],
                feature.to_string(),
            )
                .into_response()
        }
        // Retired: no longer a feature of the collection.
        None => StatusCode::NO_CONTENT.into_response(),
    };
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&etag(row.revision)) {
        h.insert(header::ETAG, v);
    }
    if let Ok(v) = HeaderValue::from_str(&location) {
        h.insert(header::LOCATION, v);
    }
    r
}

/// `POST /collections/{collectionId}/items`: creates an asset from a GeoJSON Feature.
pub async fn create(
    State(state): State<AppState>,
    Path(collection): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    check_collection(&collection)?;
    let who = principal(&state, &headers).await?;
    require(&who, Role::Editor)?;
    check_media_type(&headers, false)?;
    let feature = parse_body(&body)?;
    let crs = content_crs(&headers)?;
    let fields = fields_from(&state, &feature, None, false, crs)?;
    let why = reason(&headers)?;
    let catalog = state.catalog.clone();
    let row =
        run(move || catalog.apply(Edit::Create { fields }, &who.actor, why.as_deref())).await?;
    Ok(answer(&state, &headers, &row, StatusCode::CREATED))
}

async fn change(
    state: AppState,
    collection: String,
    id: String,
    headers: HeaderMap,
    body: Bytes,
    merge: bool,
) -> Result<Response, ApiError> {
    check_collection(&collection)?;
    let who = principal(&state, &headers).await?;
    require(&who, Role::Steward)?;
    let expected_revision = if_match(&headers)?;
    check_media_type(&headers, merge)?;
    let feature = parse_body(&body)?;
    let crs = content_crs(&headers)?;
    let row = state
        .catalog
        .row(&id)
        .ok_or_else(|| ApiError::NotFound(format!("no asset {id:?} in assets")))?;
    steward_check(&who, &row.fields)?;
    let mut fields = fields_from(&state, &feature, Some(&row.fields), merge, crs)?;
    if who.role == Role::Steward && fields.details.organisation != row.fields.details.organisation {
        return Err(ApiError::Forbidden(
            "a steward cannot move an entry to another organisation; ask an officer".into(),
        ));
    }
    if !merge && row.fields.status == AssetStatus::Retired && !feature_names_status(&feature) {
        // Replacing a retired asset restores it only when asked to.
        fields.status = AssetStatus::Retired;
    }
    let why = reason(&headers)?;
    let catalog = state.catalog.clone();
    let row = run(move || {
        catalog.apply(
            Edit::Replace {
                id,
                expected_revision,
                fields,
            },
            &who.actor,
            why.as_deref(),
        )
    })
    .await?;
    Ok(answer(&state, &headers, &row, StatusCode::OK))
}

/// 403 unless the caller may edit this entry (a steward: only their own
/// organisation's, and never to hand it to another organisation).
fn steward_check(who: &Principal, fields: &AssetFields) -> Result<(), ApiError> {
    if who.may_edit(fields.details.organisation.as_deref()) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!(
            "{} keeps {} current, and this entry belongs to {}",
            who.actor,
            who.organisation.as_deref().unwrap_or("no organisation"),
            fields
                .details
                .organisation
                .as_deref()
                .unwrap_or("no organisation")
        )))
    }
}

/// What an officer sends to invite a steward.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Invite {
    name: String,
    organisation: String,
}

/// `POST /api/stewards` (editors): invites a community group's steward,
/// who keeps the entries of `organisation` current. Answers the sign-in
/// name and a password, shown once, for the officer to pass on.
pub async fn invite_steward(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let who = principal(&state, &headers).await?;
    require(&who, Role::Editor)?;
    let invite: Invite = serde_json::from_slice(&body).map_err(|e| {
        ApiError::status(
            StatusCode::UNPROCESSABLE_ENTITY,
            "InvalidValue",
            format!("body: {e}"),
        )
    })?;
    let organisation = invite.organisation.trim().to_string();
    if organisation.is_empty()
        || organisation.chars().count() > crate::catalog::fields::MAX_ORGANISATION_CHARS
    {
        return Err(ApiError::status(
            StatusCode::UNPROCESSABLE_ENTITY,
            "InvalidValue",
            "organisation: give the organisation's name as its entries have it (at most 300 characters)",
        ));
    }
    let password = crate::catalog::auth::random_hex(12);
    let user =
        crate::catalog::auth::new_user(&invite.name, Role::Steward, &password).map_err(|e| {
            ApiError::status(
                StatusCode::UNPROCESSABLE_ENTITY,
                "InvalidValue",
                format!("name: {e}"),
            )
        })?;
    let catalog = state.catalog.clone();
    let (name, org) = (user.name.clone(), organisation.clone());
    let exists = run(move || {
        catalog
            .with_store(|s| {
                if s.user(&name)?.is_some() {
                    return Ok(true);
                }
                s.put_user(&user)?;
                s.put_steward(&name, &org)?;
                Ok(false)
            })
            .map_err(CatalogError::from)
    })
    .await?;
    if exists {
        return Err(ApiError::status(
            StatusCode::CONFLICT,
            "Exists",
            format!("someone already signs in as {:?}", invite.name),
        ));
    }
    tracing::info!(steward = %invite.name, organisation = %organisation, by = %who.actor, "steward invited");
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "name": invite.name,
            "organisation": organisation,
            "password": password,
            "sign_in": "/signin",
            "note": "Give the password to the steward once; it is stored only as a hash.",
        })),
    )
        .into_response())
}

/// `POST /api/assets/{id}/confirm`: "still correct": sets the date it was
/// last checked to today (its steward, or an editor).
pub async fn confirm(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let who = principal(&state, &headers).await?;
    require(&who, Role::Steward)?;
    let row = state
        .catalog
        .row(&id)
        .filter(|r| r.fields.status != AssetStatus::Retired)
        .ok_or_else(|| ApiError::NotFound(format!("no asset {id:?} in assets")))?;
    steward_check(&who, &row.fields)?;
    let mut fields = row.fields.clone();
    fields.verified_at = Some(crate::catalog::time::today());
    let catalog = state.catalog.clone();
    let expected_revision = row.revision;
    let row = run(move || {
        catalog.apply(
            Edit::Replace {
                id,
                expected_revision,
                fields,
            },
            &who.actor,
            Some("confirmed still correct"),
        )
    })
    .await?;
    Ok(answer(&state, &headers, &row, StatusCode::OK))
}

fn feature_names_status(feature: &Map<String, Value>) -> bool {
    feature
        .get("properties")
        .and_then(Value::as_object)
        .is_some_and(|p| p.contains_key("status"))
}

/// `PUT /collections/{collectionId}/items/{featureId}`: replaces an asset.
pub async fn replace(
    State(state): State<AppState>,
    Path((collection, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    change(state, collection, id, headers, body, false).await
}

/// `PATCH /collections/{collectionId}/items/{featureId}`: a JSON merge patch.
pub async fn update(
    State(state): State<AppState>,
    Path((collection, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    change(state, collection, id, headers, body, true).await
}

/// `DELETE /collections/{collectionId}/items/{featureId}`: retires an asset
/// (it leaves the map, search and analysis; its history is kept).
pub async fn retire(
    State(state): State<AppState>,
    Path((collection, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    check_collection(&collection)?;
    let who = principal(&state, &headers).await?;
    require(&who, Role::Editor)?;
    let expected_revision = if_match(&headers)?;
    let why = reason(&headers)?;
    let catalog = state.catalog.clone();
    let row = run(move || {
        catalog.apply(
            Edit::Retire {
                id,
                expected_revision,
            },
            &who.actor,
            why.as_deref(),
        )
    })
    .await?;
    let mut r = StatusCode::NO_CONTENT.into_response();
    if let Ok(v) = HeaderValue::from_str(&etag(row.revision)) {
        r.headers_mut().insert(header::ETAG, v);
    }
    Ok(r)
}

/// Fields a sensitive place's history withholds.
const SENSITIVE_FIELDS: [&str; 5] = [
    "easting_m",
    "northing_m",
    "address",
    "postcode",
    "accessibility",
];

/// `GET /api/assets/{id}/history`: every revision of an asset, oldest first.
pub async fn history(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    Query::parse(raw.as_deref(), &[], &[])?;
    if id.len() > 256 {
        return Err(ApiError::bad("an asset id is at most 256 bytes"));
    }
    let catalog = state.catalog.clone();
    let lookup = id.clone();
    let mut revisions = run(move || catalog.history(&lookup)).await?;
    let row = state.catalog.row(&id);
    // A sensitive place's history never shows where it is or was.
    let rule = &state.dataset().info.sensitive;
    if row
        .as_ref()
        .is_some_and(|r| r.fields.sensitive || rule.categories.contains(&r.fields.category))
    {
        for r in &mut revisions {
            for (field, change) in r.changes.iter_mut() {
                if SENSITIVE_FIELDS.contains(&field.as_str()) {
                    for v in [&mut change.before, &mut change.after] {
                        if !v.is_null() {
                            *v = Value::String("withheld".into());
                        }
                    }
                }
            }
        }
    }
    let mut r = Json(json!({
        "id": id,
        "status": row.as_ref().map(|r| r.fields.status),
        "revision": row.as_ref().map(|r| r.revision),
        "source": row.as_ref().map(|r| r.source.clone()),
        "created_at": row.as_ref().map(|r| r.created_at.clone()),
        "updated_at": row.as_ref().map(|r| r.updated_at.clone()),
        "verified_at": row.as_ref().and_then(|r| r.fields.verified_at.clone()),
        "revisions": revisions,
    }))
    .into_response();
    if let Some(row) = row
        && let Ok(v) = HeaderValue::from_str(&etag(row.revision))
    {
        r.headers_mut().insert(header::ETAG, v);
    }
    Ok(r)
}

/// `POST /api/sync` (admin): reads the manifest's official sources again and
/// syncs them into the catalog; answers the sync report.
pub async fn sync(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let who = principal(&state, &headers).await?;
    require(&who, Role::Admin)?;
    let Some(manifest) = state.manifest.clone() else {
        return Err(ApiError::status(
            StatusCode::CONFLICT,
            "NoManifest",
            "this server serves the built-in demo, which has no source files to sync",
        ));
    };
    let catalog = state.catalog.clone();
    let report = tokio::task::spawn_blocking(move || {
        let loaded = crate::ingest::load_path(&manifest, &crate::ingest::Quiet).map_err(|f| {
            ApiError::status(
                StatusCode::UNPROCESSABLE_ENTITY,
                "ImportFailed",
                f.problem.to_string(),
            )
        })?;
        let sources: Vec<String> = loaded
            .dataset
            .info
            .sources
            .iter()
            .filter(|s| s.layer == "assets")
            .map(|s| s.name.clone())
            .collect();
        let imported: Vec<crate::model::Asset> = loaded.dataset.entries().cloned().collect();
        catalog.sync(&imported, &sources).map_err(catalog_error)
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))??;
    tracing::info!(actor = %who.actor, created = report.created.len(), updated = report.updated.len(), retired = report.retired.len(), "sync");
    Ok(Json(json!(report)).into_response())
}

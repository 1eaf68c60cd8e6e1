//! Contributions over HTTP: residents and community groups suggest places
//! and report changes (`POST /api/contributions`, anyone, rate-limited per
//! client); officers see the queue and decide (editors only); contributors
//! follow their reference (`/contributions/{reference}`, no sign-in, and no
//! content shown until it is approved).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::{ClientIp, principal, require};
use super::params::Query;
use super::{ApiError, AppState};
use crate::catalog::contributions::{Contribution, Decision, Kind, Proposal, Status, is_reference};
use crate::catalog::{CatalogError, Role};

/// Largest contribution body, bytes.
pub const MAX_CONTRIBUTION_BYTES: usize = 16 * 1024;
/// Contributions one client may send in a burst before 429.
pub const DEFAULT_BURST: f64 = 5.0;
/// Contributions one client may send per hour, sustained.
pub const DEFAULT_PER_HOUR: u32 = 20;
/// Most contributions one queue request lists.
pub const MAX_QUEUE: usize = 500;
/// The honeypot: a field people never see or fill in.
pub const HONEYPOT: &str = "leave_empty";

/// How often each client may contribute.
pub struct ContributionLimits {
    /// Burst size and refill interval (`None`: no limit).
    pub rate: Option<(f64, std::time::Duration)>,
    /// The buckets.
    pub limiter: super::auth::RateLimiter,
}

impl Default for ContributionLimits {
    fn default() -> Self {
        ContributionLimits::per_hour(DEFAULT_BURST, DEFAULT_PER_HOUR)
    }
}

impl ContributionLimits {
    /// A burst of `burst`, then `per_hour` an hour (0: no limit).
    pub fn per_hour(burst: f64, per_hour: u32) -> ContributionLimits {
        ContributionLimits {
            rate: (per_hour > 0).then(|| {
                (
                    burst.max(1.0),
                    std::time::Duration::from_secs_f64(3600.0 / f64::from(per_hour)),
                )
            }),
            limiter: Default::default(),
        }
    }
}

/// A contribution as JSON sends it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Submission {
    kind: Kind,
    asset_id: Option<String>,
    name: Option<String>,
    category: Option<String>,
    other_category: Option<String>,
    lon: Option<f64>,
    lat: Option<f64>,
    postcode: Option<String>,
    address: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    website: Option<String>,
    opening_hours: Option<String>,
    note: Option<String>,
    contact_email: Option<String>,
    leave_empty: Option<String>,
    status: Option<crate::model::AssetStatus>,
}

fn unprocessable(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::status(
        StatusCode::UNPROCESSABLE_ENTITY,
        "InvalidValue",
        format!("{field}: {}", message.into()),
    )
}

fn json_body<T: serde::de::DeserializeOwned>(
    headers: &HeaderMap,
    body: &Bytes,
    max: usize,
) -> Result<T, ApiError> {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';')
                .next()
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"))
        });
    if !json {
        return Err(ApiError::status(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UnsupportedMediaType",
            "send JSON with Content-Type: application/json",
        ));
    }
    if body.len() > max {
        return Err(ApiError::status(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PayloadTooLarge",
            format!(
                "the body is {} bytes; at most {max} are accepted",
                body.len()
            ),
        ));
    }
    serde_json::from_slice(body).map_err(|e| unprocessable("body", e.to_string()))
}

/// `lon` and `lat` (WGS84 degrees) as a grid point, both or neither; errors
/// name the field with `prefix` (`edits.`).
fn grid_point(
    lon: Option<f64>,
    lat: Option<f64>,
    prefix: &str,
) -> Result<(Option<f64>, Option<f64>), ApiError> {
    match (lon, lat) {
        (Some(lon), Some(lat)) => {
            if !((-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat)) {
                return Err(unprocessable(
                    &format!("{prefix}lon"),
                    "lon and lat must be degrees (WGS84)",
                ));
            }
            let at = crate::crs::wgs84_to_bng(lon, lat).map_err(|_| {
                unprocessable(
                    &format!("{prefix}lon"),
                    "the point is outside Great Britain",
                )
            })?;
            Ok((Some(at.x), Some(at.y)))
        }
        (None, None) => Ok((None, None)),
        _ => Err(unprocessable(
            &format!("{prefix}lat"),
            "give both lon and lat, or a postcode",
        )),
    }
}

/// The client's rate-limit key: a hash of its address, never the address.
pub(crate) fn client_key(ip: &ClientIp) -> String {
    let text = ip.0.map(|a| a.to_string()).unwrap_or_default();
    crate::catalog::auth::sha256_hex(text.as_bytes())[..16].to_string()
}

/// `POST /api/contributions`: anyone may suggest a place or report a change.
pub async fn submit(
    State(state): State<AppState>,
    client: ClientIp,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let s: Submission = json_body(&headers, &body, MAX_CONTRIBUTION_BYTES)?;
    if s.leave_empty
        .as_deref()
        .is_some_and(|t| !t.trim().is_empty())
    {
        return Err(unprocessable(HONEYPOT, "must be left empty"));
    }
    let (easting_m, northing_m) = grid_point(s.lon, s.lat, "")?;
    let key = client_key(&client);
    let limits = &state.contribution_limits;
    if let Some((burst, refill)) = limits.rate
        && let Err(wait_s) = limits.limiter.take(&key, burst, refill)
    {
        return Err(ApiError::TooManyRequests(wait_s));
    }
    let proposal = Proposal {
        name: s.name,
        category: s.category,
        other_category: s.other_category,
        easting_m,
        northing_m,
        postcode: s.postcode,
        address: s.address,
        phone: s.phone,
        email: s.email,
        website: s.website,
        opening_hours: s.opening_hours,
        note: s.note,
        status: s.status,
    };
    let catalog = state.catalog.clone();
    let (kind, asset_id, contact) = (s.kind, s.asset_id, s.contact_email);
    let c =
        match super::edit::run_raw(move || catalog.contribute(kind, asset_id, proposal, contact))
            .await?
        {
            Ok(c) => c,
            Err(e) => {
                if let (CatalogError::Invalid(_), Some((burst, _))) = (&e, limits.rate) {
                    // Refused as it stands: correcting it costs no allowance.
                    limits.limiter.give_back(&key, burst);
                }
                return Err(super::edit::catalog_error(e));
            }
        };
    tracing::info!(reference = %c.reference, kind = ?c.kind, duplicates = c.possible_duplicates.len(), "contribution received");
    let location = format!("/contributions/{}", c.reference);
    let mut r = (
        StatusCode::CREATED,
        Json(json!({
            "reference": c.reference,
            "status": c.status.as_str(),
            "status_url": location,
        })),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    Ok(r)
}

/// What an officer sees of a contribution (never the contributor's e-mail).
fn for_officers(c: &Contribution) -> Value {
    let mut v = serde_json::to_value(c).unwrap_or(Value::Null);
    if let Some(o) = v.as_object_mut() {
        o.remove("contact_email");
        o.insert("has_contact_email".into(), c.contact_email.is_some().into());
    }
    v
}

/// What anyone with the reference sees: where it stands, and why.
fn for_contributor(c: &Contribution) -> Value {
    json!({
        "reference": c.reference,
        "kind": c.kind,
        "status": c.status.as_str(),
        "status_text": c.status.words(),
        "received_at": c.received_at,
        "decided_at": c.decided_at,
        "reason": c.reason,
        "asset_id": matches!(c.status, Status::Approved | Status::ChangedAndApproved | Status::Merged)
            .then(|| c.result_asset_id.clone())
            .flatten(),
    })
}

/// `GET /api/contributions?status=pending&limit=`: the queue, oldest first (editors).
pub async fn queue(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let who = principal(&state, &headers).await?;
    require(&who, Role::Editor)?;
    let q = Query::parse(raw.as_deref(), &["status", "limit"], &[])?;
    let status = match q.get("status") {
        None | Some("all") => None,
        Some(s) => Some(Status::parse(s).ok_or_else(|| {
            ApiError::bad(format!(
                "status {s:?} is not pending, approved, changed_and_approved, declined, merged or all"
            ))
        })?),
    };
    let limit = q.integer("limit", 1, MAX_QUEUE)?.unwrap_or(100);
    let catalog = state.catalog.clone();
    let list = super::edit::run(move || catalog.contributions(status, limit)).await?;
    Ok(Json(json!({
        "count": list.len(),
        "contributions": list.iter().map(for_officers).collect::<Vec<_>>(),
    })))
}

fn checked_reference(reference: &str) -> Result<(), ApiError> {
    if is_reference(reference) {
        Ok(())
    } else {
        Err(ApiError::NotFound(format!(
            "{reference:?} is not a contribution reference (they look like C3F9-1A7E-0B42)"
        )))
    }
}

async fn find(state: &AppState, reference: &str) -> Result<Contribution, ApiError> {
    checked_reference(reference)?;
    let catalog = state.catalog.clone();
    let r = reference.to_string();
    super::edit::run(move || catalog.contribution(&r))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no contribution {reference}")))
}

/// `GET /api/contributions/{reference}`: where it stands (anyone with the reference).
pub async fn status(
    State(state): State<AppState>,
    Path(reference): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(for_contributor(&find(&state, &reference).await?)))
}

/// A decision as JSON sends it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DecisionBody {
    decision: String,
    reason: Option<String>,
    into: Option<String>,
    #[serde(default)]
    edits: Option<Edits>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Edits {
    name: Option<String>,
    category: Option<String>,
    lon: Option<f64>,
    lat: Option<f64>,
    postcode: Option<String>,
    address: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    website: Option<String>,
    opening_hours: Option<String>,
    status: Option<crate::model::AssetStatus>,
}

/// `POST /api/contributions/{reference}/decision` (editors).
pub async fn decide(
    State(state): State<AppState>,
    Path(reference): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let who = principal(&state, &headers).await?;
    require(&who, Role::Editor)?;
    checked_reference(&reference)?;
    let b: DecisionBody = json_body(&headers, &body, MAX_CONTRIBUTION_BYTES)?;
    let e = b.edits.unwrap_or_default();
    let (easting_m, northing_m) = grid_point(e.lon, e.lat, "edits.")?;
    let edits = Proposal {
        name: e.name,
        category: e.category,
        other_category: None,
        easting_m,
        northing_m,
        postcode: e.postcode,
        address: e.address,
        phone: e.phone,
        email: e.email,
        website: e.website,
        opening_hours: e.opening_hours,
        note: None,
        status: e.status,
    };
    let decision = match b.decision.as_str() {
        "approve" => Decision::Approve {
            edits,
            reason: b.reason,
        },
        "decline" => Decision::Decline {
            reason: b
                .reason
                .ok_or_else(|| unprocessable("reason", "say why, for the contributor"))?,
        },
        "merge" => Decision::Merge {
            into: b
                .into
                .ok_or_else(|| unprocessable("into", "name the asset it duplicates"))?,
            edits,
            reason: b.reason,
        },
        other => {
            return Err(unprocessable(
                "decision",
                format!("{other:?} is not approve, decline or merge"),
            ));
        }
    };
    let catalog = state.catalog.clone();
    let actor = who.actor.clone();
    let c = super::edit::run(move || catalog.decide(&reference, decision, &actor)).await?;
    tracing::info!(reference = %c.reference, status = c.status.as_str(), actor = %who.actor, "contribution decided");
    Ok(Json(for_officers(&c)))
}

/// `GET /contributions/{reference}`: the contributor's status page (HTML).
pub async fn page(
    State(state): State<AppState>,
    Path(reference): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    // `?sent=1`: just sent from the form.
    let sent = raw.as_deref() == Some("sent=1");
    let escape = super::web::escape;
    let (status, title, body) = match find(&state, &reference).await {
        Ok(c) => {
            let mut body = format!(
                "<p class=\"status-text\"><strong>{}</strong></p><dl class=\"details\"><dt>Reference</dt><dd>{}</dd><dt>Received</dt><dd>{}</dd>",
                escape(c.status.words()),
                escape(&c.reference),
                escape(&c.received_at)
            );
            if let Some(d) = &c.decided_at {
                body.push_str(&format!("<dt>Decided</dt><dd>{}</dd>", escape(d)));
            }
            if let Some(r) = &c.reason
                && c.status == Status::Declined
            {
                body.push_str(&format!("<dt>Why</dt><dd>{}</dd>", escape(r)));
            }
            body.push_str("</dl>");
            if matches!(
                c.status,
                Status::Approved | Status::ChangedAndApproved | Status::Merged
            ) {
                body.push_str("<p><a href=\"/\">Find it on the map</a></p>");
            }
            (
                StatusCode::OK,
                format!("Contribution {}", c.reference),
                body,
            )
        }
        Err(e) => (
            StatusCode::NOT_FOUND,
            "Contribution not found".to_string(),
            format!(
                "<p>{}</p><p>Check the reference you were given.</p>",
                escape(&match e {
                    ApiError::NotFound(m) => m,
                    _ => "We could not look it up just now; try again later.".into(),
                })
            ),
        ),
    };
    let html = super::auth::shell(
        &state,
        &title,
        &format!(
            "<h1>{}</h1>{thanks}{body}<p><a href=\"/\">Back to the map</a></p>",
            escape(&title),
            thanks = if sent && status == StatusCode::OK {
                "<div class=\"confirmation\" role=\"status\"><p><strong>Thank you: we have received it.</strong> Keep this reference to check on it here. Nothing you sent is shown to anyone until an officer has checked it.</p></div>"
            } else {
                ""
            },
        ),
    );
    super::auth::html_page(&state, status, html)
}

/// `GET /api/review?limit=`: entries not checked within the review interval,
/// least recently checked first (editors), for officers to confirm or update.
pub async fn review(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let who = principal(&state, &headers).await?;
    require(&who, Role::Editor)?;
    let q = Query::parse(raw.as_deref(), &["limit"], &[])?;
    let limit = q.integer("limit", 1, MAX_QUEUE)?.unwrap_or(100);
    let before = state.stale_before();
    let d = state.dataset();
    let mut stale: Vec<&crate::model::Asset> =
        d.entries().filter(|a| a.is_stale(&before)).collect();
    stale.sort_by(|a, b| {
        a.last_checked()
            .cmp(&b.last_checked())
            .then(a.id.cmp(&b.id))
    });
    Ok(Json(json!({
        "review_interval_days": state.review_interval_days,
        "stale_before": before,
        "count": stale.len(),
        "entries": stale.iter().take(limit).map(|a| json!({
            "id": a.id,
            "name": a.name,
            "category": a.category,
            "source": a.source,
            "last_checked": a.last_checked(),
            "on_map": !a.unplaced,
        })).collect::<Vec<_>>(),
    })))
}

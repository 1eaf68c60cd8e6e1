//! `/manage`: the officers' moderation desk. Server-rendered pages for a
//! signed-in editor: the queue of contributions (filtered by council, ward,
//! category, kind and age; oldest first; with counts), each contribution
//! side by side with the place as it is now and a small map, the decisions
//! (approve, edit then approve, decline with a reason, merge into an
//! existing place), and each place's history with a revert to any earlier
//! revision. Every form carries the session's CSRF token.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::escape_html as escape;
use super::form_text as opt;
use crate::catalog::contributions::{Contribution, Decision, Kind, OTHER, Proposal, Status};
use crate::catalog::store::SessionRecord;
use crate::catalog::{AssetFields, CatalogError, Edit, Role};
use crate::http::AppState;
use crate::http::auth::{form_fields, html_page, session, shell};
use crate::model::{AssetStatus, Dataset};

/// The signed-in editor, or the page to show instead.
async fn editor(state: &AppState, headers: &HeaderMap) -> Result<SessionRecord, Response> {
    match session(state, headers).await {
        Ok(Some(s)) if s.role >= Role::Editor => Ok(s),
        Ok(Some(_)) => Err(html_page(
            state,
            StatusCode::FORBIDDEN,
            shell(
                state,
                "Not allowed",
                "<h1>Not allowed</h1><p>The moderation desk is for editors.</p>",
            ),
        )),
        _ => Err(html_page(
            state,
            StatusCode::UNAUTHORIZED,
            shell(
                state,
                "Sign in to moderate",
                "<h1>Sign in to moderate</h1><p>The moderation desk is for council officers. <a href=\"/signin\">Sign in</a>, then come back to <a href=\"/manage\">/manage</a>.</p>",
            ),
        )),
    }
}

/// A desk form posted by a signed-in editor with the session's CSRF token:
/// the session and the form's fields, or the page to show instead.
async fn posted(
    state: &AppState,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(SessionRecord, std::collections::HashMap<String, String>), Response> {
    let s = editor(state, headers).await?;
    let f = form_fields(body);
    if !crate::catalog::auth::same_digest(f.get("csrf").map(String::as_str).unwrap_or(""), &s.csrf)
    {
        return Err(html_page(
            state,
            StatusCode::FORBIDDEN,
            shell(
                state,
                "Not sent",
                "<h1>Not sent</h1><p>The form had expired. <a href=\"/manage\">Back to the queue</a></p>",
            ),
        ));
    }
    Ok((s, f))
}

/// Where a contribution is about, and its kind of place.
struct Where {
    point: Option<geo::Coord>,
    category: Option<String>,
    ward: Option<usize>,
}

fn where_of(d: &Dataset, c: &Contribution) -> Where {
    let asset = c.asset_id.as_deref().and_then(|id| d.entry(id));
    let point = match (
        c.proposal.easting_m,
        c.proposal.northing_m,
        &c.proposal.postcode,
    ) {
        (Some(e), Some(n), _) => Some(geo::Coord { x: e, y: n }),
        (_, _, Some(pc)) => {
            crate::model::normalise_postcode(pc).and_then(|p| d.postcodes.get(&p).copied())
        }
        _ => None,
    }
    .or_else(|| asset.filter(|a| !a.unplaced).map(|a| a.bng));
    Where {
        point,
        category: c
            .proposal
            .category
            .clone()
            .or_else(|| asset.map(|a| a.category.clone())),
        ward: point.and_then(|p| d.ward_at(p)),
    }
}

fn kind_words(k: Kind) -> &'static str {
    match k {
        Kind::New => "New place",
        Kind::Change => "Change",
        Kind::Closure => "Closure",
    }
}

fn age_days(received_at: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(received_at)
        .map(|t| (chrono::Utc::now() - t.with_timezone(&chrono::Utc)).num_days())
        .unwrap_or(0)
}

fn select(name: &str, label: &str, current: &str, options: &[(String, String)]) -> String {
    let mut out = format!(
        "<div class=\"field\"><label for=\"filter-{name}\">{label}</label><select id=\"filter-{name}\" name=\"{name}\"><option value=\"\">Any</option>"
    );
    for (v, l) in options {
        out.push_str(&format!(
            "<option value=\"{}\"{}>{}</option>",
            escape(v),
            if v == current { " selected" } else { "" },
            escape(l)
        ));
    }
    out.push_str("</select></div>");
    out
}

/// `GET /manage`: the queue.
pub async fn queue(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    if let Err(page) = editor(&state, &headers).await {
        return page;
    }
    let q: BTreeMap<String, String> =
        form_urlencoded::parse(raw.as_deref().unwrap_or("").as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .filter(|(k, v)| k.len() <= 32 && v.len() <= 64)
            .collect();
    let get = |k: &str| q.get(k).map(String::as_str).unwrap_or("");
    let catalog = state.catalog.clone();
    let pending =
        match crate::http::edit::run_raw(move || catalog.contributions(Some(Status::Pending), 500))
            .await
        {
            Ok(Ok(list)) => list,
            _ => Vec::new(),
        };
    let d = state.dataset();
    let min_age: i64 = get("older_than_days").parse().unwrap_or(0);
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut rows = String::new();
    let mut shown = 0;
    for c in &pending {
        let w = where_of(&d, c);
        let ward = w.ward.map(|i| &d.wards[i]);
        let keep = (get("kind").is_empty()
            || serde_json::to_value(c.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .as_deref()
                == Some(get("kind")))
            && (get("category").is_empty() || w.category.as_deref() == Some(get("category")))
            && (get("council").is_empty()
                || ward.and_then(|x| x.council_code.as_deref()) == Some(get("council")))
            && (get("ward").is_empty() || ward.map(|x| x.code.as_str()) == Some(get("ward")))
            && age_days(&c.received_at) >= min_age;
        if !keep {
            continue;
        }
        shown += 1;
        *counts.entry(kind_words(c.kind)).or_insert(0) += 1;
        let name = c
            .proposal
            .name
            .clone()
            .or_else(|| {
                c.asset_id
                    .as_deref()
                    .and_then(|id| d.entry(id))
                    .map(|a| a.display_name().into_owned())
            })
            .unwrap_or_default();
        rows.push_str(&format!(
            "<tr><td>{received}</td><td>{age}</td><td>{kind}</td><td><a href=\"/manage/{r}\">{name}</a></td><td>{cat}</td><td>{ward}</td><td>{dup}</td></tr>",
            received = escape(c.received_on()),
            age = age_days(&c.received_at),
            kind = kind_words(c.kind),
            r = escape(&c.reference),
            name = escape(&name),
            cat = escape(w.category.as_deref().and_then(|k| d.info.category_labels.get(k)).map_or(w.category.as_deref().unwrap_or("other"), String::as_str)),
            ward = escape(ward.map_or("", |x| x.name.as_str())),
            dup = if c.possible_duplicates.is_empty() { String::new() } else { format!("{} possible", c.possible_duplicates.len()) },
        ));
    }
    let councils: Vec<(String, String)> = {
        let mut m: BTreeMap<String, String> = BTreeMap::new();
        for w in d.wards.iter() {
            if let Some(code) = &w.council_code {
                m.entry(code.clone())
                    .or_insert_with(|| w.council_name.clone().unwrap_or_else(|| code.clone()));
            }
        }
        m.into_iter().collect()
    };
    let wards: Vec<(String, String)> = d
        .wards
        .iter()
        .map(|w| (w.code.clone(), w.name.clone()))
        .collect();
    let mut categories: Vec<(String, String)> = d
        .info
        .category_labels
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    categories.push((OTHER.into(), "Something else".into()));
    let kinds = vec![
        ("new".into(), "New place".into()),
        ("change".into(), "Change".into()),
        ("closure".into(), "Closure".into()),
    ];
    let done = get("done");
    let mut main = String::from("<h1>Moderation desk</h1>");
    if crate::catalog::contributions::is_reference(done) {
        main.push_str(&format!(
            "<div class=\"confirmation\" role=\"status\"><p>Contribution <a href=\"/manage/{0}\">{0}</a> decided.</p></div>",
            escape(done)
        ));
    }
    main.push_str(&format!(
        "<p>{shown} waiting{}, oldest first. <a href=\"/api/review\">Entries due for a check</a> (JSON).</p>",
        if counts.is_empty() {
            String::new()
        } else {
            format!(": {}", counts.iter().map(|(k, n)| format!("{n} {}", k.to_lowercase())).collect::<Vec<_>>().join(", "))
        }
    ));
    main.push_str("<form class=\"suggest filters\" method=\"get\" action=\"/manage\"><fieldset><legend>Show only</legend>");
    main.push_str(&select("council", "Council", get("council"), &councils));
    main.push_str(&select("ward", "Ward", get("ward"), &wards));
    main.push_str(&select(
        "category",
        "Kind of place",
        get("category"),
        &categories,
    ));
    main.push_str(&select("kind", "Kind of contribution", get("kind"), &kinds));
    main.push_str(&format!(
        "<div class=\"field\"><label for=\"filter-older_than_days\">Waiting at least (days)</label><input id=\"filter-older_than_days\" name=\"older_than_days\" type=\"text\" inputmode=\"numeric\" value=\"{}\"></div>",
        escape(get("older_than_days"))
    ));
    main.push_str("<button type=\"submit\" class=\"button\">Filter</button></fieldset></form>");
    if rows.is_empty() {
        main.push_str("<p>Nothing is waiting.</p>");
    } else {
        main.push_str(&format!(
            "<table class=\"queue\"><caption>Contributions waiting ({shown})</caption><thead><tr><th scope=\"col\">Received</th><th scope=\"col\">Days</th><th scope=\"col\">Kind</th><th scope=\"col\">Place</th><th scope=\"col\">Category</th><th scope=\"col\">Ward</th><th scope=\"col\">Duplicates</th></tr></thead><tbody>{rows}</tbody></table>"
        ));
    }
    html_page(
        &state,
        StatusCode::OK,
        shell(&state, "Moderation desk", &main),
    )
}

/// A small map of points (grid metres) with their labels.
fn map_svg(points: &[(geo::Coord, &str, &str)]) -> String {
    if points.is_empty() {
        return "<p>No position given.</p>".into();
    }
    let (w, h, pad): (f64, f64, f64) = (480.0, 240.0, 40.0);
    let minx = points.iter().map(|p| p.0.x).fold(f64::INFINITY, f64::min);
    let maxx = points
        .iter()
        .map(|p| p.0.x)
        .fold(f64::NEG_INFINITY, f64::max);
    let miny = points.iter().map(|p| p.0.y).fold(f64::INFINITY, f64::min);
    let maxy = points
        .iter()
        .map(|p| p.0.y)
        .fold(f64::NEG_INFINITY, f64::max);
    let span = (maxx - minx).max(maxy - miny).max(200.0);
    let (cx, cy) = ((minx + maxx) / 2.0, (miny + maxy) / 2.0);
    let scale = (w.min(h) - 2.0 * pad) / span;
    let mut body = String::new();
    let mut words = Vec::new();
    for (p, label, colour) in points {
        let x = w / 2.0 + (p.x - cx) * scale;
        let y = h / 2.0 - (p.y - cy) * scale;
        body.push_str(&format!(
            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"7\" fill=\"{colour}\" stroke=\"#ffffff\" stroke-width=\"2\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"13\" fill=\"#0b0c0c\">{}</text>",
            x + 10.0,
            y + 4.0,
            escape(label)
        ));
        words.push(escape(label));
    }
    // The same points for the page's script, which draws them on the map
    // with the wards and the places around (the drawing above stays for
    // browsers without it).
    let marks: Vec<Value> = points
        .iter()
        .filter_map(|(p, label, colour)| {
            let at = crate::crs::bng_to_wgs84(p.x, p.y).ok()?;
            Some(serde_json::json!({"lon": at.x, "lat": at.y, "label": label, "colour": colour}))
        })
        .collect();
    format!(
        "<div id=\"desk-map\" class=\"desk-map\" hidden data-points=\"{}\"></div><script type=\"module\" src=\"/app/desk.js\"></script>\
         <figure class=\"item-map\"><svg viewBox=\"0 0 {w} {h}\" width=\"100%\" role=\"img\" aria-labelledby=\"desk-map-title\" style=\"max-width:{w}px;background:#f4f3ee;border:1px solid #b1b4b6\"><title id=\"desk-map-title\">Map of {}</title>{body}</svg><figcaption>{} ({span:.0} m across)</figcaption></figure>",
        escape(&Value::Array(marks).to_string()),
        words.join(", "),
        words.join("; "),
    )
}

/// `GET /manage/{reference}`: one contribution, side by side with the place now.
pub async fn item(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(reference): Path<String>,
) -> Response {
    let s = match editor(&state, &headers).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    let not_found = || {
        html_page(
            &state,
            StatusCode::NOT_FOUND,
            shell(
                &state,
                "Not found",
                "<h1>No such contribution</h1><p><a href=\"/manage\">Back to the queue</a></p>",
            ),
        )
    };
    if !crate::catalog::contributions::is_reference(&reference) {
        return not_found();
    }
    let catalog = state.catalog.clone();
    let r = reference.clone();
    let Ok(Ok(Some(c))) = crate::http::edit::run_raw(move || catalog.contribution(&r)).await else {
        return not_found();
    };
    html_page(&state, StatusCode::OK, item_page(&state, &c, &s, None))
}

fn item_page(state: &AppState, c: &Contribution, s: &SessionRecord, error: Option<&str>) -> String {
    let d = state.dataset();
    let now = c.asset_id.as_deref().and_then(|id| d.entry(id));
    let p = &c.proposal;
    let title = format!(
        "{}: {}",
        kind_words(c.kind),
        p.name
            .clone()
            .or_else(|| now.map(|a| a.display_name().into_owned()))
            .unwrap_or_default()
    );
    let mut main = format!(
        "<h1>{}</h1><p><a href=\"/manage\">Back to the queue</a></p>",
        escape(&title)
    );
    if let Some(e) = error {
        main.push_str(&format!("<div class=\"error-summary\" role=\"alert\"><h2>There is a problem</h2><p>{}</p></div>", escape(e)));
    }
    main.push_str(&format!(
        "<p>Reference {} · received {} · {}</p>",
        escape(&c.reference),
        escape(&c.received_at),
        escape(c.status.words())
    ));
    // The place it is about (or became), with its history and revert.
    if let Some(id) = c.result_asset_id.as_deref().or(c.asset_id.as_deref()) {
        main.push_str(&format!(
            "<p><a href=\"/manage/assets/{}\">History of this place</a>: every change, who made it and why, with a revert to any earlier one.</p>",
            escape(&super::path_segment(id))
        ));
    }
    let cell = |v: Option<&str>| v.map_or("<span class=\"muted\">none</span>".to_string(), escape);
    let label = |k: &Option<String>| {
        k.as_deref().map(|k| {
            if k == OTHER {
                format!(
                    "Something else: {}",
                    p.other_category.as_deref().unwrap_or("")
                )
            } else {
                d.category_label(k).to_string()
            }
        })
    };
    let rows: Vec<(&str, Option<String>, Option<String>)> = vec![
        ("Name", now.map(|a| a.name.clone()), p.name.clone()),
        (
            "Kind of place",
            now.map(|a| d.category_label(&a.category).to_string()),
            label(&p.category),
        ),
        (
            "Postcode",
            now.and_then(|a| a.postcode.clone()),
            p.postcode.clone(),
        ),
        (
            "Address",
            now.and_then(|a| a.address.clone()),
            p.address.clone(),
        ),
        ("Phone", now.and_then(|a| a.phone.clone()), p.phone.clone()),
        ("Email", now.and_then(|a| a.email.clone()), p.email.clone()),
        (
            "Website",
            now.and_then(|a| a.website.clone()),
            p.website.clone(),
        ),
        (
            "Opening times",
            now.and_then(|a| a.opening_hours.clone()),
            p.opening_hours.clone(),
        ),
        (
            "Open or closed",
            now.map(|a| a.status.words().to_string()),
            match (c.kind, p.status) {
                (Kind::Closure, None) => Some(AssetStatus::Retired.words().to_string()),
                (_, s) => s.map(|s| s.words().to_string()),
            },
        ),
        ("Note", None, p.note.clone()),
    ];
    main.push_str("<table class=\"compare\"><caption>Now and as suggested</caption><thead><tr><th scope=\"col\">Field</th><th scope=\"col\">Now</th><th scope=\"col\">Suggested</th></tr></thead><tbody>");
    for (k, before, after) in &rows {
        let changed = after.is_some() && after != before;
        main.push_str(&format!(
            "<tr{}><th scope=\"row\">{k}</th><td>{}</td><td>{}</td></tr>",
            if changed { " class=\"changed\"" } else { "" },
            cell(before.as_deref()),
            cell(after.as_deref())
        ));
    }
    main.push_str("</tbody></table>");
    let w = where_of(&d, c);
    let mut points: Vec<(geo::Coord, &str, &str)> = Vec::new();
    if let Some(a) = now.filter(|a| !a.unplaced) {
        points.push((a.bng, "Now", "#263957"));
    }
    if c.kind != Kind::Closure
        && let Some(pt) = w.point
        && now.is_none_or(|a| (a.bng.x - pt.x).abs() > 1.0 || (a.bng.y - pt.y).abs() > 1.0)
    {
        points.push((pt, "Suggested", "#b3261e"));
    }
    let dups: Vec<&crate::model::Asset> = c
        .possible_duplicates
        .iter()
        .filter_map(|id| d.entry(id))
        .collect();
    for a in &dups {
        points.push((a.bng, "Possible duplicate", "#6f4e00"));
    }
    main.push_str(&map_svg(&points));
    if c.status != Status::Pending {
        main.push_str("<p>This contribution has been decided.</p>");
        return shell(state, &title, &main);
    }
    let csrf = format!(
        "<input type=\"hidden\" name=\"csrf\" value=\"{}\">",
        escape(&s.csrf)
    );
    let r = escape(&c.reference);
    // Approve, with the fields as the officer will have them.
    main.push_str(&format!("<h2>Approve</h2><form class=\"suggest\" method=\"post\" action=\"/manage/{r}\">{csrf}<input type=\"hidden\" name=\"action\" value=\"approve\">"));
    if c.kind != Kind::Closure {
        let field = |name: &str, lab: &str, value: &str| {
            format!(
                "<div class=\"field\"><label for=\"edit-{name}\">{lab}</label><input id=\"edit-{name}\" name=\"{name}\" type=\"text\" value=\"{}\"></div>",
                escape(value)
            )
        };
        main.push_str("<p class=\"hint\">Change any field before approving; the history records what you changed.</p>");
        main.push_str(&field("name", "Name", p.name.as_deref().unwrap_or("")));
        let mut options = String::new();
        let current = p
            .category
            .clone()
            .filter(|k| k != OTHER)
            .or_else(|| now.map(|a| a.category.clone()))
            .unwrap_or_default();
        for (k, l) in d.info.category_labels.iter() {
            options.push_str(&format!(
                "<option value=\"{}\"{}>{}</option>",
                escape(k),
                if *k == current { " selected" } else { "" },
                escape(l)
            ));
        }
        main.push_str(&format!("<div class=\"field\"><label for=\"edit-category\">Kind of place</label><select id=\"edit-category\" name=\"category\"><option value=\"\">As suggested</option>{options}</select></div>"));
        main.push_str(&field("phone", "Phone", p.phone.as_deref().unwrap_or("")));
        main.push_str(&field(
            "website",
            "Website",
            p.website.as_deref().unwrap_or(""),
        ));
        main.push_str(&field(
            "opening_hours",
            "Opening times",
            p.opening_hours.as_deref().unwrap_or(""),
        ));
    }
    if c.kind == Kind::Closure {
        let temporary = p.status == Some(AssetStatus::TemporarilyClosed);
        main.push_str(&format!(
            "<div class=\"field\"><label for=\"edit-closed\">Closed</label><select id=\"edit-closed\" name=\"closed\"><option value=\"temporarily_closed\"{}>For now: stays on the map, marked closed</option><option value=\"retired\"{}>For good: taken off the map</option></select></div>",
            if temporary { " selected" } else { "" },
            if temporary { "" } else { " selected" }
        ));
    }
    main.push_str("<div class=\"field\"><label for=\"approve-reason\">Note for the history (optional)</label><input id=\"approve-reason\" name=\"reason\" type=\"text\"></div><button type=\"submit\" class=\"button\">Approve</button></form>");
    main.push_str(&format!("<h2>Decline</h2><form class=\"suggest\" method=\"post\" action=\"/manage/{r}\">{csrf}<input type=\"hidden\" name=\"action\" value=\"decline\"><div class=\"field\"><label for=\"decline-reason\">Why (the contributor reads this)</label><textarea id=\"decline-reason\" name=\"reason\" rows=\"3\"></textarea></div><button type=\"submit\" class=\"button secondary\">Decline</button></form>"));
    if c.kind == Kind::New {
        let mut options = String::new();
        for a in &dups {
            options.push_str(&format!(
                "<option value=\"{}\">{} ({})</option>",
                escape(&a.id),
                escape(&a.display_name()),
                escape(&a.id)
            ));
        }
        main.push_str(&format!(
            "<h2>Merge into a place the map has</h2><form class=\"suggest\" method=\"post\" action=\"/manage/{r}\">{csrf}<input type=\"hidden\" name=\"action\" value=\"merge\"><div class=\"field\"><label for=\"merge-into\">The place it duplicates</label>{}</div><button type=\"submit\" class=\"button secondary\">Merge</button></form>",
            if options.is_empty() {
                "<input id=\"merge-into\" name=\"into\" type=\"text\" aria-describedby=\"merge-hint\"><p class=\"hint\" id=\"merge-hint\">Its id, for example gp:A81001</p>".to_string()
            } else {
                format!("<select id=\"merge-into\" name=\"into\">{options}</select>")
            }
        ));
    }
    shell(state, &title, &main)
}

/// `POST /manage/{reference}`: a decision from the desk.
pub async fn decide(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(reference): Path<String>,
    body: Bytes,
) -> Response {
    let (s, f) = match posted(&state, &headers, &body).await {
        Ok(p) => p,
        Err(page) => return page,
    };
    if !crate::catalog::contributions::is_reference(&reference) {
        return html_page(
            &state,
            StatusCode::NOT_FOUND,
            shell(&state, "Not found", "<h1>No such contribution</h1>"),
        );
    }
    let catalog = state.catalog.clone();
    let r = reference.clone();
    let Ok(Ok(Some(c))) = crate::http::edit::run_raw(move || catalog.contribution(&r)).await else {
        return html_page(
            &state,
            StatusCode::NOT_FOUND,
            shell(&state, "Not found", "<h1>No such contribution</h1>"),
        );
    };
    let decision = match f.get("action").map(String::as_str) {
        Some("approve") => {
            // Only what the officer changed counts as an edit.
            let differs =
                |k: &str, v: &Option<String>| opt(&f, k).filter(|x| Some(x) != v.as_ref());
            let p = &c.proposal;
            Decision::Approve {
                edits: Proposal {
                    name: differs("name", &p.name),
                    category: differs("category", &p.category),
                    phone: differs("phone", &p.phone),
                    website: differs("website", &p.website),
                    opening_hours: differs("opening_hours", &p.opening_hours),
                    status: f
                        .get("closed")
                        .and_then(|v| AssetStatus::parse(v))
                        .filter(|s| {
                            c.kind == Kind::Closure
                                && *s != AssetStatus::Active
                                && *s != p.status.unwrap_or(AssetStatus::Retired)
                        }),
                    ..Proposal::default()
                },
                reason: opt(&f, "reason"),
            }
        }
        Some("decline") => Decision::Decline {
            reason: opt(&f, "reason").unwrap_or_default(),
        },
        Some("merge") => Decision::Merge {
            into: opt(&f, "into").unwrap_or_default(),
            edits: Proposal::default(),
            reason: opt(&f, "reason"),
        },
        _ => {
            return html_page(
                &state,
                StatusCode::UNPROCESSABLE_ENTITY,
                item_page(&state, &c, &s, Some("Choose approve, decline or merge.")),
            );
        }
    };
    let catalog = state.catalog.clone();
    let actor = format!("user:{}", s.user);
    let r = reference.clone();
    match crate::http::edit::run_raw(move || catalog.decide(&r, decision, &actor)).await {
        Ok(Ok(done)) => {
            tracing::info!(reference = %done.reference, status = done.status.as_str(), user = %s.user, "contribution decided at the desk");
            (
                StatusCode::SEE_OTHER,
                [(header::LOCATION, format!("/manage?done={}", done.reference))],
            )
                .into_response()
        }
        Ok(Err(CatalogError::Invalid(i))) => html_page(
            &state,
            StatusCode::UNPROCESSABLE_ENTITY,
            item_page(&state, &c, &s, Some(&i.to_string())),
        ),
        Ok(Err(CatalogError::NoChange(m))) => html_page(
            &state,
            StatusCode::CONFLICT,
            item_page(&state, &c, &s, Some(&m)),
        ),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "a desk decision failed");
            html_page(
                &state,
                StatusCode::SERVICE_UNAVAILABLE,
                item_page(
                    &state,
                    &c,
                    &s,
                    Some("It could not be saved just now; try again."),
                ),
            )
        }
        Err(e) => e.into_response(),
    }
}

/// The fields an asset had at revision `n`, from its history.
fn fields_at(revisions: &[crate::catalog::Revision], n: u64) -> Option<AssetFields> {
    let mut map = serde_json::Map::new();
    for r in revisions.iter().filter(|r| r.revision <= n) {
        for (k, ch) in &r.changes {
            if ch.after.is_null() {
                map.remove(k);
            } else {
                map.insert(k.clone(), ch.after.clone());
            }
        }
    }
    serde_json::from_value(Value::Object(map)).ok()
}

/// `GET /manage/assets/{id}`: a place's history, with a revert to each earlier revision.
pub async fn history(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let s = match editor(&state, &headers).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    history_page(&state, &s, &id, None, StatusCode::OK).await
}

async fn history_page(
    state: &AppState,
    s: &SessionRecord,
    id: &str,
    message: Option<&str>,
    status: StatusCode,
) -> Response {
    let catalog = state.catalog.clone();
    let lookup = id.to_string();
    let Ok(Ok(revisions)) = crate::http::edit::run_raw(move || catalog.history(&lookup)).await
    else {
        return html_page(
            state,
            StatusCode::NOT_FOUND,
            shell(state, "Not found", "<h1>No such place</h1>"),
        );
    };
    let row = state.catalog.row(id);
    let current = row.as_ref().map_or(0, |r| r.revision);
    let name = row
        .as_ref()
        .map(|r| r.fields.name.clone())
        .unwrap_or_else(|| id.to_string());
    let title = format!("History of {name}");
    let mut main = format!(
        "<h1>{}</h1><p><a href=\"/manage\">Back to the queue</a></p>",
        escape(&title)
    );
    if let Some(m) = message {
        main.push_str(&format!(
            "<div class=\"confirmation\" role=\"status\"><p>{}</p></div>",
            escape(m)
        ));
    }
    main.push_str("<table class=\"history\"><caption>Every revision, oldest first</caption><thead><tr><th scope=\"col\">Revision</th><th scope=\"col\">When</th><th scope=\"col\">Who</th><th scope=\"col\">What</th><th scope=\"col\">Why</th><th scope=\"col\">Changes</th><th scope=\"col\">Revert</th></tr></thead><tbody>");
    for r in &revisions {
        let changes: Vec<String> = r
            .changes
            .iter()
            .filter(|(k, _)| k.as_str() != "hours")
            .map(|(k, c)| {
                format!(
                    "{}: {} → {}",
                    escape(k),
                    escape(&short(&c.before)),
                    escape(&short(&c.after))
                )
            })
            .collect();
        let revert = if r.revision < current {
            format!(
                "<form method=\"post\" action=\"/manage/assets/{}/revert\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><input type=\"hidden\" name=\"revision\" value=\"{}\"><button type=\"submit\" class=\"button small secondary\" aria-label=\"Revert to revision {}\">Revert to this</button></form>",
                escape(&super::path_segment(id)),
                escape(&s.csrf),
                r.revision,
                r.revision
            )
        } else {
            String::new()
        };
        main.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{revert}</td></tr>",
            r.revision,
            escape(&r.at),
            escape(&r.actor),
            r.action.as_str(),
            escape(r.reason.as_deref().unwrap_or("")),
            changes.join("<br>"),
        ));
    }
    main.push_str("</tbody></table>");
    html_page(state, status, shell(state, &title, &main))
}

fn short(v: &Value) -> String {
    let t = match v {
        Value::Null => "none".to_string(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if t.chars().count() > 80 {
        format!("{}…", t.chars().take(79).collect::<String>())
    } else {
        t
    }
}

/// `POST /manage/assets/{id}/revert` (form: `revision`, `csrf`).
pub async fn revert(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let (s, f) = match posted(&state, &headers, &body).await {
        Ok(p) => p,
        Err(page) => return page,
    };
    let Some(n) = f.get("revision").and_then(|v| v.parse::<u64>().ok()) else {
        return history_page(
            &state,
            &s,
            &id,
            Some("Choose a revision."),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let catalog = state.catalog.clone();
    let (lookup, actor) = (id.clone(), format!("user:{}", s.user));
    let result = crate::http::edit::run_raw(move || {
        let revisions = catalog.history(&lookup)?;
        let row = catalog
            .row(&lookup)
            .ok_or_else(|| CatalogError::NotFound(lookup.clone()))?;
        let fields = fields_at(&revisions, n)
            .ok_or_else(|| CatalogError::NoChange(format!("revision {n} cannot be rebuilt")))?;
        catalog.apply(
            Edit::Replace {
                id: lookup.clone(),
                expected_revision: row.revision,
                fields,
            },
            &actor,
            Some(&format!("reverted to revision {n}")),
        )
    })
    .await;
    match result {
        Ok(Ok(row)) => {
            history_page(
                &state,
                &s,
                &id,
                Some(&format!(
                    "Reverted to revision {n}: now at revision {}.",
                    row.revision
                )),
                StatusCode::OK,
            )
            .await
        }
        Ok(Err(e)) => {
            history_page(
                &state,
                &s,
                &id,
                Some(&format!("Not reverted: {e}")),
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => e.into_response(),
    }
}

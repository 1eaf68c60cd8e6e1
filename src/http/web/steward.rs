//! `/our-entries`: a community group's steward keeps its own entries
//! current. Server-rendered pages for a signed-in steward: the entries of
//! their organisation with when each was last checked, a form to edit one
//! (live at once, logged with `user:NAME`, and revertible by an officer at
//! the desk), and "Still correct", which sets the date it was last checked
//! to today. Every form carries the session's CSRF token; a steward can
//! never reach another organisation's entries here, as through the API.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::escape_html as escape;
use crate::catalog::auth::{Principal, same_digest};
use crate::catalog::store::SessionRecord;
use crate::catalog::{AssetFields, CatalogError, Edit, Role, StoredAsset};
use crate::http::AppState;
use crate::http::auth::{form_fields, html_page, session, session_principal, shell};
use crate::model::AssetStatus;

/// The fields a steward edits here, as (form name, label, hint, lines):
/// one line is a text box, more a text area. Moving a place, its kind and
/// its organisation are for officers (a link to the report form says so).
const FIELDS: [(&str, &str, &str, u8); 7] = [
    ("name", "Name", "", 1),
    ("phone", "Phone number", "The number people call", 1),
    ("email", "Email address", "", 1),
    ("website", "Website", "Starting https://", 1),
    (
        "opening_hours",
        "Opening times",
        "For example Mo-Fr 09:00-17:00; Sa 10:00-13:00 (read as hours), or in words (shown as written)",
        1,
    ),
    ("description", "What it offers", "", 5),
    (
        "accessibility",
        "Access",
        "Step-free entry, hearing loop, toilets, and so on",
        3,
    ),
];

fn page(state: &AppState, status: StatusCode, title: &str, main: &str) -> Response {
    html_page(state, status, shell(state, title, main))
}

/// The signed-in steward (or officer) and what they may edit, or the page
/// to show instead.
async fn steward(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<(SessionRecord, Principal), Response> {
    let s = match session(state, headers).await {
        Ok(Some(s)) => s,
        _ => {
            return Err(page(
                state,
                StatusCode::UNAUTHORIZED,
                "Sign in to keep your entries current",
                "<h1>Sign in to keep your entries current</h1><p>This is for community groups invited by the council to keep their own entries on the map current. <a href=\"/signin\">Sign in</a>, then come back to <a href=\"/our-entries\">your entries</a>.</p>",
            ));
        }
    };
    let Ok(who) = session_principal(state, &s).await else {
        return Err(page(
            state,
            StatusCode::SERVICE_UNAVAILABLE,
            "Not available",
            "<h1>Not available just now</h1><p>Please try again in a minute.</p>",
        ));
    };
    Ok((s, who))
}

/// The entries a steward keeps, by name.
fn entries_of(state: &AppState, who: &Principal) -> Vec<crate::model::Asset> {
    let d = state.dataset();
    let mut mine: Vec<crate::model::Asset> = d
        .entries()
        .filter(|a| who.role == Role::Steward && who.may_edit(a.details.organisation.as_deref()))
        .cloned()
        .collect();
    mine.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
    mine
}

/// `GET /our-entries`: the steward's entries, with when each was last checked.
pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let (s, who) = match steward(&state, &headers).await {
        Ok(x) => x,
        Err(p) => return p,
    };
    if who.role != Role::Steward {
        return page(
            &state,
            StatusCode::OK,
            "Your organisation's entries",
            "<h1>Your organisation's entries</h1><p>You are a council officer: you can change any entry at the <a href=\"/manage\">moderation desk</a>, or through the OGC API (for example from QGIS). This page is for community groups' stewards.</p>",
        );
    }
    let organisation = who.organisation.clone().unwrap_or_default();
    let Ok(q) = crate::http::params::Query::parse(raw.as_deref(), &["saved", "checked"], &[])
    else {
        return page(
            &state,
            StatusCode::BAD_REQUEST,
            "Not found",
            "<h1>This address is not right</h1><p><a href=\"/our-entries\">Your entries</a></p>",
        );
    };
    let d = state.dataset();
    let mine = entries_of(&state, &who);
    let mut main = format!(
        "<h1>Your organisation's entries</h1><p>You keep the entries of <strong>{}</strong> current. A change goes on the map at once, and is logged; council officers can undo it. Press <em>Still correct</em> when you have checked an entry and nothing has changed.</p>",
        escape(&organisation)
    );
    for (key, words) in [
        ("saved", "is saved, and on the map now"),
        ("checked", "is marked as checked today"),
    ] {
        if let Some(a) = q.get(key).and_then(|id| d.entry(id)) {
            main.push_str(&format!(
                "<p class=\"notice\" role=\"status\">{} {words}.</p>",
                escape(&a.display_name())
            ));
        }
    }
    if mine.is_empty() {
        main.push_str(&format!(
            "<p>No entry on the map names {} as its organisation yet. <a href=\"/suggest\">Suggest your place</a>, and an officer will add it.</p>",
            escape(&organisation)
        ));
        return page(&state, StatusCode::OK, "Your organisation's entries", &main);
    }
    let csrf = escape(&s.csrf);
    main.push_str(&format!(
        "<table class=\"queue\"><caption>Entries of {} ({})</caption><thead><tr><th scope=\"col\">Name</th><th scope=\"col\">Kind of place</th><th scope=\"col\">Open or closed</th><th scope=\"col\">Last checked</th><th scope=\"col\"><span class=\"visually-hidden\">Still correct</span></th></tr></thead><tbody>",
        escape(&organisation),
        mine.len()
    ));
    let before = state.stale_before();
    for a in &mine {
        let label = d.category_label(&a.category).to_string();
        let checked = a.last_checked().unwrap_or("never");
        let stale = if a.is_stale(&before) {
            " <strong class=\"stale\">(please check it)</strong>"
        } else {
            ""
        };
        let id = escape(&a.id);
        let path = escape(&crate::http::web::path_segment(&a.id));
        main.push_str(&format!(
            "<tr><th scope=\"row\"><a href=\"/our-entries/{path}\">{}</a></th><td>{}</td><td>{}</td><td>{}{stale}</td><td><form method=\"post\" action=\"/our-entries/{path}\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><input type=\"hidden\" name=\"action\" value=\"confirm\"><input type=\"hidden\" name=\"id\" value=\"{id}\"><button type=\"submit\" class=\"button secondary\" aria-label=\"{} is still correct\">Still correct</button></form></td></tr>",
            escape(&a.display_name()),
            escape(&label),
            a.status.words(),
            escape(checked),
            escape(&a.display_name()),
        ));
    }
    main.push_str("</tbody></table>");
    page(&state, StatusCode::OK, "Your organisation's entries", &main)
}

/// Why an entry is not theirs to edit.
enum Refused {
    /// No such entry (or retired).
    NotFound,
    /// Another organisation's.
    Forbidden,
}

impl Refused {
    fn page(self, state: &AppState) -> Response {
        match self {
            Refused::NotFound => page(
                state,
                StatusCode::NOT_FOUND,
                "Not found",
                "<h1>No such entry</h1><p><a href=\"/our-entries\">Back to your entries</a></p>",
            ),
            Refused::Forbidden => page(
                state,
                StatusCode::FORBIDDEN,
                "Not allowed",
                "<h1>Not allowed</h1><p>This entry belongs to another organisation. <a href=\"/our-entries\">Back to your entries</a></p>",
            ),
        }
    }
}

/// The entry, if this steward may edit it.
fn editable(state: &AppState, who: &Principal, id: &str) -> Result<StoredAsset, Refused> {
    let row = state
        .catalog
        .row(id)
        .filter(|r| r.fields.status != AssetStatus::Retired)
        .ok_or(Refused::NotFound)?;
    if who.role != Role::Steward || !who.may_edit(row.fields.details.organisation.as_deref()) {
        return Err(Refused::Forbidden);
    }
    Ok(row)
}

fn value_of<'a>(f: &'a AssetFields, name: &str) -> Option<&'a str> {
    match name {
        "name" => Some(f.name.as_str()),
        "phone" => f.phone.as_deref(),
        "email" => f.email.as_deref(),
        "website" => f.website.as_deref(),
        "opening_hours" => f.opening_hours.as_deref(),
        "description" => f.details.description.as_deref(),
        "accessibility" => f.details.accessibility.as_deref(),
        _ => None,
    }
}

/// The edit form, with `values` (as typed, or as stored) and at most one error.
fn form_page(
    state: &AppState,
    s: &SessionRecord,
    row: &StoredAsset,
    values: &std::collections::HashMap<String, String>,
    errors: &[(&str, String)],
    notice: Option<&str>,
) -> String {
    let path = escape(&crate::http::web::path_segment(&row.id));
    let title = format!("Edit {}", row.fields.name);
    let mut main = format!(
        "<h1>{}</h1><p><a href=\"/our-entries\">Back to your entries</a></p>",
        escape(&title)
    );
    if let Some(n) = notice {
        main.push_str(&format!(
            "<div class=\"error-summary\" role=\"alert\"><p>{}</p></div>",
            escape(n)
        ));
    }
    if !errors.is_empty() {
        let items: String = errors
            .iter()
            .map(|(field, message)| {
                let label = FIELDS
                    .iter()
                    .find(|f| f.0 == *field)
                    .map_or("This entry", |f| f.1);
                format!(
                    "<li><a href=\"#field-{field}\">{label}: {}</a></li>",
                    escape(message)
                )
            })
            .collect();
        main.push_str(&format!(
            "<div class=\"error-summary\" role=\"alert\" aria-labelledby=\"error-summary-title\" tabindex=\"-1\" id=\"error-summary\"><h2 id=\"error-summary-title\">There is a problem</h2><ul>{items}</ul></div>"
        ));
    }
    main.push_str(&format!(
        "<p>What you save is on the map at once, and logged with your name. To say it has moved or closed for good, <a href=\"/suggest?asset={path}\">tell an officer</a>.</p><form class=\"suggest\" method=\"post\" action=\"/our-entries/{path}\" novalidate><input type=\"hidden\" name=\"csrf\" value=\"{}\"><input type=\"hidden\" name=\"action\" value=\"save\"><input type=\"hidden\" name=\"revision\" value=\"{}\">",
        escape(&s.csrf),
        row.revision
    ));
    for (name, label, hint, lines) in FIELDS {
        let value = values.get(name).map_or("", String::as_str);
        let err = errors
            .iter()
            .find(|(f, _)| *f == name)
            .map(|(_, m)| m.as_str());
        let mut described = Vec::new();
        let hint_html = if hint.is_empty() {
            String::new()
        } else {
            described.push(format!("{name}-hint"));
            format!("<p class=\"hint\" id=\"{name}-hint\">{}</p>", escape(hint))
        };
        let err_html = err.map_or(String::new(), |m| {
            described.push(format!("{name}-error"));
            format!(
                "<p class=\"error-message\" id=\"{name}-error\"><span class=\"visually-hidden\">Error:</span> {}</p>",
                escape(m)
            )
        });
        let attrs = format!(
            "{}{}",
            if described.is_empty() {
                String::new()
            } else {
                format!(" aria-describedby=\"{}\"", described.join(" "))
            },
            if err.is_some() {
                " aria-invalid=\"true\""
            } else {
                ""
            }
        );
        let input = if lines > 1 {
            format!(
                "<textarea id=\"field-{name}\" name=\"{name}\" rows=\"{lines}\"{attrs}>{}</textarea>",
                escape(value)
            )
        } else {
            format!(
                "<input id=\"field-{name}\" name=\"{name}\" type=\"text\" value=\"{}\"{attrs}>",
                escape(value)
            )
        };
        main.push_str(&format!(
            "<div class=\"field{}\"><label for=\"field-{name}\">{label}</label>{hint_html}{err_html}{input}</div>",
            if err.is_some() { " has-error" } else { "" }
        ));
    }
    let closed = values.get("status").map(String::as_str) == Some("temporarily_closed");
    main.push_str(&format!(
        "<fieldset class=\"field\" id=\"field-status\"><legend>Open or closed</legend>\
         <label class=\"radio\"><input type=\"radio\" name=\"status\" value=\"active\"{}> Open</label>\
         <label class=\"radio\"><input type=\"radio\" name=\"status\" value=\"temporarily_closed\"{}> Closed for now (it stays on the map, marked closed)</label></fieldset>\
         <div class=\"field\"><label for=\"field-reason\">What changed (optional, for the log)</label><input id=\"field-reason\" name=\"reason\" type=\"text\" value=\"{}\"></div>\
         <button type=\"submit\" class=\"button\">Save changes</button></form>",
        if closed { "" } else { " checked" },
        if closed { " checked" } else { "" },
        escape(values.get("reason").map_or("", String::as_str))
    ));
    shell(state, &title, &main)
}

/// An entry's values as the form shows them.
fn stored_values(f: &AssetFields) -> std::collections::HashMap<String, String> {
    let mut v: std::collections::HashMap<String, String> = FIELDS
        .iter()
        .map(|(n, ..)| (n.to_string(), value_of(f, n).unwrap_or("").to_string()))
        .collect();
    v.insert("status".into(), f.status.as_str().into());
    v
}

/// `GET /our-entries/{id}`: the form to edit one entry.
pub async fn edit_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let (s, who) = match steward(&state, &headers).await {
        Ok(x) => x,
        Err(p) => return p,
    };
    let row = match editable(&state, &who, &id) {
        Ok(r) => r,
        Err(r) => return r.page(&state),
    };
    let html = form_page(&state, &s, &row, &stored_values(&row.fields), &[], None);
    html_page(&state, StatusCode::OK, html)
}

/// The entry's fields with the form's values over them.
fn edited(
    row: &StoredAsset,
    f: &std::collections::HashMap<String, String>,
) -> Result<AssetFields, (&'static str, String)> {
    let mut fields = row.fields.clone();
    let text = |k: &str| super::form_text(f, k);
    fields.name = text("name").ok_or(("name", "Give the place's name".to_string()))?;
    fields.phone = text("phone");
    fields.email = text("email");
    fields.website = text("website");
    let hours = text("opening_hours");
    if hours != fields.opening_hours {
        fields.hours = hours
            .as_deref()
            .and_then(|t| crate::hours::parse::osm(t).ok());
        fields.opening_hours = hours;
    }
    fields.details.description = text("description");
    fields.details.accessibility = text("accessibility");
    fields.status = match f.get("status").map(String::as_str) {
        Some("temporarily_closed") => AssetStatus::TemporarilyClosed,
        Some("active") | None => AssetStatus::Active,
        Some(_) => return Err(("status", "Choose open or closed for now".to_string())),
    };
    // Editing it is checking it.
    fields.verified_at = Some(crate::catalog::time::today());
    Ok(fields)
}

/// `POST /our-entries/{id}`: save an edit, or confirm it is still correct.
pub async fn save(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let (s, who) = match steward(&state, &headers).await {
        Ok(x) => x,
        Err(p) => return p,
    };
    let f = form_fields(&body);
    if !same_digest(f.get("csrf").map(String::as_str).unwrap_or(""), &s.csrf) {
        return page(
            &state,
            StatusCode::FORBIDDEN,
            "Not sent",
            "<h1>Not sent</h1><p>The form had expired. <a href=\"/our-entries\">Back to your entries</a></p>",
        );
    }
    let row = match editable(&state, &who, &id) {
        Ok(r) => r,
        Err(r) => return r.page(&state),
    };
    let confirm = f.get("action").map(String::as_str) == Some("confirm");
    let (fields, expected_revision, reason) = if confirm {
        let mut fields = row.fields.clone();
        fields.verified_at = Some(crate::catalog::time::today());
        (
            fields,
            row.revision,
            Some("confirmed still correct".to_string()),
        )
    } else {
        let expected = f.get("revision").and_then(|r| r.parse::<u64>().ok());
        let Some(expected) = expected else {
            return page(
                &state,
                StatusCode::BAD_REQUEST,
                "Not sent",
                "<h1>Not sent</h1><p>The form was incomplete. <a href=\"/our-entries\">Back to your entries</a></p>",
            );
        };
        match edited(&row, &f) {
            Ok(fields) => (
                fields,
                expected,
                f.get("reason")
                    .map(|r| r.trim().chars().take(500).collect::<String>())
                    .filter(|r| !r.is_empty()),
            ),
            Err((field, message)) => {
                let html = form_page(&state, &s, &row, &f, &[(field, message)], None);
                return html_page(&state, StatusCode::UNPROCESSABLE_ENTITY, html);
            }
        }
    };
    let catalog = state.catalog.clone();
    let actor = who.actor.clone();
    let target = id.clone();
    let result = crate::http::edit::run_raw(move || {
        catalog.apply(
            Edit::Replace {
                id: target,
                expected_revision,
                fields,
            },
            &actor,
            reason.as_deref(),
        )
    })
    .await;
    let back = |key: &str| {
        (
            StatusCode::SEE_OTHER,
            [(
                header::LOCATION,
                format!("/our-entries?{key}={}", crate::http::web::path_segment(&id)),
            )],
        )
            .into_response()
    };
    match result {
        Ok(Ok(_)) => {
            tracing::info!(asset = %id, user = %s.user, confirm, "a steward kept an entry current");
            back(if confirm { "checked" } else { "saved" })
        }
        Ok(Err(CatalogError::NoChange(_))) => back(if confirm { "checked" } else { "saved" }),
        Ok(Err(CatalogError::Invalid(i))) => {
            let errors: Vec<(&str, String)> = i
                .each()
                .map(|one| {
                    let field = FIELDS
                        .iter()
                        .map(|f| f.0)
                        .find(|n| *n == one.field)
                        .unwrap_or("name");
                    (field, super::suggest::plain(&one.message))
                })
                .collect();
            let html = form_page(&state, &s, &row, &f, &errors, None);
            html_page(&state, StatusCode::UNPROCESSABLE_ENTITY, html)
        }
        Ok(Err(CatalogError::Stale { .. })) => {
            let now = state.catalog.row(&id).unwrap_or(row);
            let html = form_page(
                &state,
                &s,
                &now,
                &stored_values(&now.fields),
                &[],
                Some(
                    "Someone changed this entry while you were editing it. Here it is as it is now: make your changes again.",
                ),
            );
            html_page(&state, StatusCode::CONFLICT, html)
        }
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "a steward's edit failed");
            page(
                &state,
                StatusCode::SERVICE_UNAVAILABLE,
                "Not saved",
                "<h1>Not saved</h1><p>It could not be saved just now; please try again in a minute.</p>",
            )
        }
        Err(e) => e.into_response(),
    }
}

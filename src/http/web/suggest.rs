//! `/suggest`: the residents' form to suggest a place or say what is wrong
//! with one. Server-rendered, so it works without JavaScript: errors are
//! shown beside their fields (and listed at the top), and a sent form goes
//! to the contribution's status page. A hidden token that must match a
//! cookie stops other sites posting it (CSRF); a field people never see
//! catches robots.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::escape_html as escape;
use crate::catalog::CatalogError;
use crate::catalog::contributions::{Kind, OTHER, Proposal};
use crate::http::AppState;
use crate::http::auth::{ClientIp, cookie, form_fields, html_page, is_tls, shell};

/// The form's CSRF cookie.
pub const FORM_COOKIE: &str = "assetmap_form";

/// What the form holds (as typed, to show again after an error).
#[derive(Debug, Default, Clone)]
struct Form {
    kind: String,
    asset_id: String,
    name: String,
    category: String,
    other_category: String,
    postcode: String,
    lon: String,
    lat: String,
    address: String,
    phone: String,
    email: String,
    website: String,
    opening_hours: String,
    note: String,
    contact_email: String,
}

impl Form {
    fn from_fields(f: &std::collections::HashMap<String, String>) -> Form {
        let g = |k: &str| f.get(k).cloned().unwrap_or_default();
        Form {
            kind: g("kind"),
            asset_id: g("asset_id"),
            name: g("name"),
            category: g("category"),
            other_category: g("other_category"),
            postcode: g("postcode"),
            lon: g("lon"),
            lat: g("lat"),
            address: g("address"),
            phone: g("phone"),
            email: g("email"),
            website: g("website"),
            opening_hours: g("opening_hours"),
            note: g("note"),
            contact_email: g("contact_email"),
        }
    }
}

/// A field's error, by the form's field name.
struct FieldError {
    field: &'static str,
    message: String,
}

/// The form field a catalog error belongs to.
fn field_of(api_field: &str) -> &'static str {
    match api_field {
        "name" => "name",
        "category" => "category",
        "other_category" => "other_category",
        "postcode" | "geometry" | "location" | "lon" | "lat" => "postcode",
        "address" => "address",
        "phone" => "phone",
        "email" => "email",
        "website" => "website",
        "opening_hours" => "opening_hours",
        "contact_email" => "contact_email",
        "asset_id" | "status" => "kind",
        _ => "note",
    }
}

/// Plain words for a field's label.
fn label_of(field: &str) -> &'static str {
    match field {
        "kind" => "What is wrong",
        "name" => "Name of the place",
        "category" => "Kind of place",
        "other_category" => "What kind of place it is",
        "postcode" => "Postcode",
        "address" => "Address",
        "phone" => "Phone number",
        "email" => "Its email address",
        "website" => "Website",
        "opening_hours" => "Opening times",
        "contact_email" => "Your email address",
        _ => "Anything else we should know",
    }
}

fn text_input(
    form_value: &str,
    name: &'static str,
    hint: &str,
    errors: &[FieldError],
    extra: &str,
) -> String {
    let error = errors.iter().find(|e| e.field == name);
    let mut described = vec![];
    if !hint.is_empty() {
        described.push(format!("{name}-hint"));
    }
    if error.is_some() {
        described.push(format!("{name}-error"));
    }
    format!(
        "<div class=\"field{err_class}\"><label for=\"field-{name}\">{label}</label>{hint}{error}<input id=\"field-{name}\" name=\"{name}\" type=\"text\" value=\"{value}\"{described}{invalid}{extra}></div>",
        err_class = if error.is_some() { " has-error" } else { "" },
        label = label_of(name),
        hint = if hint.is_empty() {
            String::new()
        } else {
            format!("<p class=\"hint\" id=\"{name}-hint\">{hint}</p>")
        },
        error = error.map_or(String::new(), |e| format!(
            "<p class=\"error-message\" id=\"{name}-error\"><span class=\"visually-hidden\">Error:</span> {}</p>",
            escape(&e.message)
        )),
        value = escape(form_value),
        described = if described.is_empty() {
            String::new()
        } else {
            format!(" aria-describedby=\"{}\"", described.join(" "))
        },
        invalid = if error.is_some() { " aria-invalid=\"true\"" } else { "" },
    )
}

fn render(
    state: &AppState,
    form: &Form,
    errors: &[FieldError],
    token: &str,
    notice: Option<&str>,
) -> String {
    let d = state.dataset();
    let about = (!form.asset_id.is_empty())
        .then(|| d.entry(&form.asset_id))
        .flatten();
    let change = about.is_some();
    let title = match about {
        Some(a) => format!("Is something wrong with {}?", a.display_name()),
        None => "Suggest a place".to_string(),
    };
    let mut main = format!("<h1>{}</h1>", escape(&title));
    if let Some(n) = notice {
        main.push_str(&format!(
            "<div class=\"error-summary\" role=\"alert\"><p>{}</p></div>",
            escape(n)
        ));
    }
    if !errors.is_empty() {
        main.push_str("<div class=\"error-summary\" role=\"alert\" aria-labelledby=\"error-summary-title\" tabindex=\"-1\" id=\"error-summary\"><h2 id=\"error-summary-title\">There is a problem</h2><ul>");
        for e in errors {
            main.push_str(&format!(
                "<li><a href=\"#field-{}\">{}: {}</a></li>",
                e.field,
                label_of(e.field),
                escape(&e.message)
            ));
        }
        main.push_str("</ul></div>");
    }
    main.push_str(if change {
        "<p>Tell us what has changed. An officer checks every report before the map changes. Only fill in what is different.</p>"
    } else {
        "<p>Tell us about a place that helps people: a community group, a warm space, a lunch club, advice, a food project. An officer checks every suggestion before it goes on the map.</p>"
    });
    main.push_str("<form class=\"suggest\" method=\"post\" action=\"/suggest\" novalidate>");
    main.push_str(&format!(
        "<input type=\"hidden\" name=\"csrf\" value=\"{}\">",
        escape(token)
    ));
    if let Some(a) = about {
        main.push_str(&format!(
            "<input type=\"hidden\" name=\"asset_id\" value=\"{}\">",
            escape(&a.id)
        ));
        let mut choices = vec![
            ("change", "Some details are wrong or missing"),
            (
                "closed_for_now",
                "It is closed for now, and will open again",
            ),
            ("closure", "It has closed for good"),
        ];
        if a.status == crate::model::AssetStatus::TemporarilyClosed {
            choices.insert(1, ("reopened", "It is open again"));
        }
        let chosen = if choices.iter().any(|(v, _)| *v == form.kind) {
            form.kind.as_str()
        } else {
            "change"
        };
        main.push_str(
            "<fieldset class=\"field\" id=\"field-kind\"><legend>What is wrong?</legend>",
        );
        for (value, words) in choices {
            main.push_str(&format!(
                "<label class=\"radio\"><input type=\"radio\" name=\"kind\" value=\"{value}\"{}> {words}</label>",
                if value == chosen { " checked" } else { "" }
            ));
        }
        main.push_str("</fieldset>");
        let now = |v: &Option<String>| {
            v.as_deref()
                .map(|t| format!("Now: {}", escape(t)))
                .unwrap_or_else(|| "Not known now".into())
        };
        main.push_str(&text_input(
            &form.name,
            "name",
            &format!("Now: {}", escape(&a.display_name())),
            errors,
            "",
        ));
        main.push_str(&text_input(
            &form.phone,
            "phone",
            &now(&a.phone),
            errors,
            " autocomplete=\"off\" inputmode=\"tel\"",
        ));
        main.push_str(&text_input(
            &form.website,
            "website",
            &now(&a.website),
            errors,
            " inputmode=\"url\"",
        ));
        main.push_str(&text_input(
            &form.opening_hours,
            "opening_hours",
            &now(&a.opening_hours),
            errors,
            "",
        ));
        main.push_str(&text_input(
            &form.postcode,
            "postcode",
            "If it has moved: its new postcode",
            errors,
            " autocomplete=\"off\"",
        ));
        main.push_str(&place_picker(form, (!a.unplaced).then_some(a.lonlat)));
    } else {
        main.push_str("<input type=\"hidden\" name=\"kind\" value=\"new\">");
        main.push_str(&text_input(&form.name, "name", "", errors, ""));
        let error = errors.iter().find(|e| e.field == "category");
        let mut options = String::from("<option value=\"\">Choose one</option>");
        for (id, label) in d.info.category_labels.iter() {
            options.push_str(&format!(
                "<option value=\"{}\"{}>{}</option>",
                escape(id),
                if form.category == *id {
                    " selected"
                } else {
                    ""
                },
                escape(label)
            ));
        }
        options.push_str(&format!(
            "<option value=\"{OTHER}\"{}>Something else</option>",
            if form.category == OTHER {
                " selected"
            } else {
                ""
            }
        ));
        main.push_str(&format!(
            "<div class=\"field{}\"><label for=\"field-category\">{}</label>{}<select id=\"field-category\" name=\"category\"{}>{options}</select></div>",
            if error.is_some() { " has-error" } else { "" },
            label_of("category"),
            error.map_or(String::new(), |e| format!("<p class=\"error-message\" id=\"category-error\"><span class=\"visually-hidden\">Error:</span> {}</p>", escape(&e.message))),
            if error.is_some() { " aria-describedby=\"category-error\" aria-invalid=\"true\"" } else { "" },
        ));
        main.push_str(&text_input(
            &form.other_category,
            "other_category",
            "If you chose something else: for example, a lunch club",
            errors,
            "",
        ));
        main.push_str(&text_input(
            &form.postcode,
            "postcode",
            "Where it is, for example ZZ1 0AA",
            errors,
            " autocomplete=\"off\"",
        ));
        main.push_str(&place_picker(form, None));
        main.push_str(&text_input(&form.address, "address", "", errors, ""));
        main.push_str(&text_input(
            &form.phone,
            "phone",
            "The place's own number, if it has one",
            errors,
            " inputmode=\"tel\"",
        ));
        main.push_str(&text_input(
            &form.website,
            "website",
            "",
            errors,
            " inputmode=\"url\"",
        ));
        main.push_str(&text_input(
            &form.opening_hours,
            "opening_hours",
            "For example: Tuesdays 10am to 1pm",
            errors,
            "",
        ));
    }
    let note_error = errors.iter().find(|e| e.field == "note");
    main.push_str(&format!(
        "<div class=\"field{}\"><label for=\"field-note\">{}</label><p class=\"hint\" id=\"note-hint\">At most 2,000 characters and 2 web links.</p>{}<textarea id=\"field-note\" name=\"note\" rows=\"4\" aria-describedby=\"note-hint{}\"{}>{}</textarea></div>",
        if note_error.is_some() { " has-error" } else { "" },
        label_of("note"),
        note_error.map_or(String::new(), |e| format!("<p class=\"error-message\" id=\"note-error\"><span class=\"visually-hidden\">Error:</span> {}</p>", escape(&e.message))),
        if note_error.is_some() { " note-error" } else { "" },
        if note_error.is_some() { " aria-invalid=\"true\"" } else { "" },
        escape(&form.note)
    ));
    main.push_str(&text_input(
        &form.contact_email,
        "contact_email",
        "Optional, so an officer can ask you a question. It is kept private: never shown or shared. <a href=\"/privacy\">How we use it</a>",
        errors,
        " autocomplete=\"email\" inputmode=\"email\"",
    ));
    main.push_str("<div class=\"trap\" aria-hidden=\"true\"><label for=\"field-leave_empty\">Leave this empty</label><input id=\"field-leave_empty\" name=\"leave_empty\" type=\"text\" tabindex=\"-1\" autocomplete=\"off\"></div>");
    main.push_str(&format!(
        "<button type=\"submit\" class=\"button\">{}</button></form>",
        if change {
            "Send the report"
        } else {
            "Send the suggestion"
        }
    ));
    main.push_str("<script type=\"module\" src=\"/app/suggest.js\"></script>");
    shell(state, &title, &main)
}

/// Where the place is, besides the postcode: hidden longitude and latitude
/// that the page's script fills from the map (drag or click it, or move it
/// by keyboard until the cross is on the place and press the button) or
/// from the browser's location. Without the script the postcode is the way.
/// `at`: where the place is now (a change), which the map starts on.
fn place_picker(form: &Form, at: Option<geo::Coord>) -> String {
    let start = at.map_or(String::new(), |c| {
        format!(" data-lon=\"{:.6}\" data-lat=\"{:.6}\"", c.x, c.y)
    });
    format!(
        "<input type=\"hidden\" name=\"lon\" id=\"field-lon\" value=\"{}\"><input type=\"hidden\" name=\"lat\" id=\"field-lat\" value=\"{}\">\
         <div id=\"pick\" class=\"pick\" hidden><p class=\"hint\" id=\"pick-help\">{}Move the map until the cross is on the place (drag it, or click the map and use the arrow keys, and + and − to zoom), then press \u{201c}Use the middle of the map\u{201d}. You can also click or tap the place.</p>\
         <div id=\"pick-map\" class=\"pick-map\"{start}><span class=\"pick-cross\" aria-hidden=\"true\"></span></div>\
         <p class=\"pick-buttons\"><button type=\"button\" id=\"pick-centre\" class=\"button secondary\">Use the middle of the map</button> <button type=\"button\" id=\"pick-clear\" class=\"button secondary\" hidden>Forget the map point</button></p></div>\
         <p><button type=\"button\" id=\"use-location\" class=\"button secondary\" hidden>Use my location</button></p>\
         <p id=\"location-status\" class=\"hint\" role=\"status\"></p>",
        escape(&form.lon),
        escape(&form.lat),
        if at.is_some() {
            "If it has moved, you can show us where on the map instead of a postcode. "
        } else {
            "Or put it on the map. "
        }
    )
}

/// The form's token: the cookie's, or a new one (with the cookie to set).
fn token_for(headers: &HeaderMap) -> (String, bool) {
    match cookie(headers, FORM_COOKIE)
        .filter(|t| t.len() == 32 && t.chars().all(|c| c.is_ascii_hexdigit()))
    {
        Some(t) => (t, false),
        None => (crate::catalog::auth::random_hex(16), true),
    }
}

fn with_cookie(state: &AppState, headers: &HeaderMap, mut r: Response, token: &str) -> Response {
    let secure = if is_tls(state, headers) {
        "; Secure"
    } else {
        ""
    };
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{FORM_COOKIE}={token}; Path=/suggest; HttpOnly; SameSite=Strict; Max-Age=86400{secure}"
    )) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

/// `GET /suggest` (`?asset=ID` to report a change to a place).
pub async fn form(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let q = crate::http::params::Query::parse(raw.as_deref(), &["asset", "kind"], &[]);
    let mut f = Form::default();
    if let Ok(q) = &q {
        if let Some(a) = q.get("asset")
            && state.dataset().entry(a).is_some()
        {
            f.asset_id = a.to_string();
        }
        f.kind = q.get("kind").unwrap_or("").to_string();
    }
    let (token, new) = token_for(&headers);
    let r = html_page(
        &state,
        StatusCode::OK,
        render(&state, &f, &[], &token, None),
    );
    if new {
        with_cookie(&state, &headers, r, &token)
    } else {
        r
    }
}

/// `POST /suggest`: the form sent.
pub async fn send(
    State(state): State<AppState>,
    client: ClientIp,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let fields = form_fields(&body);
    let f = Form::from_fields(&fields);
    let (token, _) = token_for(&headers);
    let sent_token = fields.get("csrf").map(String::as_str).unwrap_or("");
    let cookie_ok = cookie(&headers, FORM_COOKIE)
        .is_some_and(|c| crate::catalog::auth::same_digest(&c, sent_token));
    // The pages send no Referer, so the browser's Origin is "null": the
    // token, the SameSite cookie and Sec-Fetch-Site decide instead.
    let cross_site = headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("cross-site"));
    if !cookie_ok || cross_site {
        let html = render(
            &state,
            &f,
            &[],
            &token,
            Some(
                "This form had expired or came from another site, so it was not sent. Please check it and send it again.",
            ),
        );
        let r = html_page(&state, StatusCode::FORBIDDEN, html);
        return with_cookie(&state, &headers, r, &token);
    }
    if body.len() > crate::http::contributions::MAX_CONTRIBUTION_BYTES {
        let html = render(
            &state,
            &f,
            &[],
            &token,
            Some("This is too long to send: shorten the note."),
        );
        return html_page(&state, StatusCode::PAYLOAD_TOO_LARGE, html);
    }
    let fail = |status: StatusCode, errors: Vec<FieldError>, notice: Option<&str>| {
        html_page(&state, status, render(&state, &f, &errors, &token, notice))
    };
    if fields
        .get("leave_empty")
        .is_some_and(|v| !v.trim().is_empty())
    {
        return fail(
            StatusCode::UNPROCESSABLE_ENTITY,
            Vec::new(),
            Some("This looks automated, so it was not sent."),
        );
    }
    if let Some((burst, refill)) = state.contribution_limits.rate
        && let Err(wait_s) = state.contribution_limits.limiter.take(
            &crate::http::contributions::client_key(&client),
            burst,
            refill,
        )
    {
        let mut r = fail(
            StatusCode::TOO_MANY_REQUESTS,
            Vec::new(),
            Some(&format!(
                "You have sent a lot just now. Please try again in {} minutes.",
                wait_s.div_ceil(60).max(1)
            )),
        );
        if let Ok(v) = HeaderValue::from_str(&wait_s.to_string()) {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return r;
    }
    use crate::model::AssetStatus;
    let (kind, status) = match f.kind.as_str() {
        "change" => (Kind::Change, None),
        "reopened" => (Kind::Change, Some(AssetStatus::Active)),
        "closed_for_now" => (Kind::Closure, Some(AssetStatus::TemporarilyClosed)),
        "closure" => (Kind::Closure, None),
        _ => (Kind::New, None),
    };
    let num = |t: &str| t.trim().parse::<f64>().ok();
    let (easting_m, northing_m) = match (num(&f.lon), num(&f.lat)) {
        (Some(lon), Some(lat)) if f.postcode.trim().is_empty() => {
            match crate::crs::wgs84_to_bng(lon, lat) {
                Ok(at) => (Some(at.x), Some(at.y)),
                Err(_) => (None, None),
            }
        }
        _ => (None, None),
    };
    let opt = |t: &str| Some(t.to_string());
    let proposal = Proposal {
        name: opt(&f.name),
        category: opt(&f.category),
        other_category: opt(&f.other_category),
        easting_m,
        northing_m,
        postcode: opt(&f.postcode),
        address: opt(&f.address),
        phone: opt(&f.phone),
        email: opt(&f.email),
        website: opt(&f.website),
        opening_hours: opt(&f.opening_hours),
        note: opt(&f.note),
        status,
    };
    let asset_id = (!f.asset_id.is_empty()).then(|| f.asset_id.clone());
    let contact = opt(&f.contact_email);
    let catalog = state.catalog.clone();
    let result =
        crate::http::edit::run_raw(move || catalog.contribute(kind, asset_id, proposal, contact))
            .await;
    match result {
        Ok(Ok(c)) => {
            tracing::info!(reference = %c.reference, "contribution received from the form");
            (
                StatusCode::SEE_OTHER,
                [(
                    header::LOCATION,
                    format!("/contributions/{}?sent=1", c.reference),
                )],
            )
                .into_response()
        }
        Ok(Err(CatalogError::Invalid(i))) => {
            // Refused as it stands: correcting it costs no allowance.
            if let Some((burst, _)) = state.contribution_limits.rate {
                state
                    .contribution_limits
                    .limiter
                    .give_back(&crate::http::contributions::client_key(&client), burst);
            }
            fail(
                StatusCode::UNPROCESSABLE_ENTITY,
                i.each()
                    .map(|one| FieldError {
                        field: field_of(&one.field),
                        message: plain(&one.message),
                    })
                    .collect(),
                None,
            )
        }
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "a contribution from the form failed");
            fail(
                StatusCode::SERVICE_UNAVAILABLE,
                Vec::new(),
                Some("Sorry, we could not save it just now. Please try again in a minute."),
            )
        }
        Err(e) => e.into_response(),
    }
}

/// A validation message in plain words for residents.
pub(crate) fn plain(message: &str) -> String {
    let m = message.trim();
    let mut chars = m.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => "Check this".into(),
    }
}

//! `/print?postcode=…&category=…`: a printable list of the nearest support,
//! for GP link workers and anyone to hand to a patient or neighbour. One A4
//! page, no JavaScript: the places with readable names, distance, hours,
//! phone and address, the date printed, the data's attribution and a QR code
//! back to the live search.

use std::fmt::Write as _;

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use qrcodegen::{QrCode, QrCodeEcc};

use super::escape_html;
use super::first::{self, readable_date};
use crate::hours::week_summary;
use crate::http::{ApiError, AppState};

/// Most places on a sheet (one A4 page).
pub const MAX_PLACES: usize = 12;

/// A QR code for `text` as an SVG image: dark modules as one path, with the
/// four-module quiet zone the standard asks for.
pub fn qr_svg(text: &str, label: &str) -> Result<String, String> {
    let code = QrCode::encode_text(text, QrCodeEcc::Medium)
        .map_err(|e| format!("the link is too long for a QR code: {e:?}"))?;
    let size = code.size();
    let quiet = 4;
    let mut path = String::with_capacity((size * size) as usize * 4);
    for y in 0..size {
        for x in 0..size {
            if code.get_module(x, y) {
                let _ = write!(path, "M{},{}h1v1h-1z", x + quiet, y + quiet);
            }
        }
    }
    let full = size + 2 * quiet;
    Ok(format!(
        "<svg class=\"qr\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {full} {full}\" role=\"img\" aria-label=\"{}\" shape-rendering=\"crispEdges\"><rect width=\"{full}\" height=\"{full}\" fill=\"#fff\"/><path d=\"{path}\" fill=\"#000\"/></svg>",
        escape_html(label)
    ))
}

/// `GET /print`
pub async fn print(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    match sheet(&state, &headers, raw.as_deref()) {
        Ok(response) => response,
        // A browser gets the problem as a page (with the way back); other
        // clients get the API's JSON error.
        Err(ApiError::BadRequest { message }) if super::accepts_html(&headers) => {
            let body = format!(
                "<!doctype html>\n<html lang=\"en-GB\"><head><meta charset=\"utf-8\">\
                 <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
                 <title>This list cannot be printed – {dataset}</title><link rel=\"stylesheet\" href=\"/app/print.css\"></head>\
                 <body><main class=\"sheet\"><h1>This list cannot be printed</h1><p>{message}</p>\
                 <p><a href=\"/\">Search for places near you</a>, then choose “Print this list”.</p></main></body></html>",
                dataset = escape_html(&state.dataset().info.name),
                message = escape_html(&message),
            );
            let mut response = super::respond(&state, super::HTML, body.into_bytes(), &headers);
            *response.status_mut() = axum::http::StatusCode::BAD_REQUEST;
            response
        }
        Err(e) => axum::response::IntoResponse::into_response(e),
    }
}

fn sheet(state: &AppState, headers: &HeaderMap, raw: Option<&str>) -> Result<Response, ApiError> {
    if raw.is_some_and(|q| q.len() > 2048) {
        return Err(ApiError::bad("the query is longer than 2048 characters"));
    }
    let search = first::find(state, raw, MAX_PLACES);
    if let Some(error) = &search.error {
        return Err(ApiError::bad(error.clone()));
    }
    let Some(found) = &search.found else {
        return Err(ApiError::bad(
            "give a postcode (or lon and lat) to print the places near it, for example /print?postcode=W2%201HS&category=pharmacy",
        ));
    };
    let d = &state.dataset();
    let base = crate::http::ogc::base_url(state, headers);
    let live = format!("{base}/?{}", search.query);
    let title = format!("Support near {}{}", found.place, found.kinds);
    let printed = crate::hours::london::to_local(chrono::Utc::now());
    let printed_text = first::when_text(printed);
    let shown_for = found.now;
    let what = match search.open {
        Some(crate::http::nearby::OpenFilter::Now) => {
            format!(" open on {}", first::when_text(shown_for))
        }
        Some(crate::http::nearby::OpenFilter::Today) => format!(
            " open on {}",
            readable_date(&shown_for.format("%Y-%m-%d").to_string())
        ),
        None => String::new(),
    };
    let mut rows = String::new();
    for (i, hit) in found.hits.iter().enumerate() {
        let a = &d.assets[hit.asset];
        let label = d
            .info
            .category_labels
            .get(&a.category)
            .map_or(a.category.as_str(), String::as_str);
        let hours = if a.status != crate::model::AssetStatus::Active {
            "<p>Temporarily closed</p>".to_string()
        } else if let Some(h) = &a.hours {
            let items: String = week_summary(h, shown_for.date(), true)
                .iter()
                .map(|(days, text)| {
                    format!(
                        "<li><span class=\"days\">{}</span> {}</li>",
                        escape_html(days),
                        escape_html(text)
                    )
                })
                .collect();
            format!("<ul class=\"week\">{items}</ul>")
        } else if let Some(text) = &a.opening_hours {
            format!(
                "<p>{}</p><p class=\"small\">Times as published; call to check.</p>",
                escape_html(text)
            )
        } else {
            "<p>Hours not known: call first</p>".to_string()
        };
        let address: Vec<String> = [
            a.display_address().map(|c| c.into_owned()),
            a.postcode.clone(),
        ]
        .into_iter()
        .flatten()
        .collect();
        let _ = write!(
            rows,
            "<li class=\"place\"><h2><span class=\"n\">{n}.</span> {name}</h2>\
             <p class=\"meta\">{label} · {distance} away</p>\
             <dl><dt>Phone</dt><dd>{phone}</dd><dt>Address</dt><dd>{address}</dd><dt>Hours</dt><dd>{hours}</dd></dl></li>",
            n = i + 1,
            name = escape_html(&a.display_name()),
            label = escape_html(label),
            distance = escape_html(&first::format_distance(hit.distance_m)),
            phone = a
                .phone
                .as_deref()
                .map_or("Not known".to_string(), escape_html),
            address = if address.is_empty() {
                "Not known".to_string()
            } else {
                escape_html(&address.join(", "))
            },
        );
    }
    let count = found.hits.len();
    let summary = if count == 0 {
        format!("No places{what} were found near {}.", found.place)
    } else {
        format!(
            "The {count} nearest {}{what} to {}, closest first, in a straight line.",
            if count == 1 { "place" } else { "places" },
            found.place
        )
    };
    let left = first::left_out_note(&found.left, count)
        .replace(" Untick “Open now only” to see them.", "");
    let qr =
        qr_svg(&live, "QR code: scan to open this search on the web").map_err(ApiError::bad)?;
    let attribution = d.info.attribution.as_deref().unwrap_or("");
    let body = format!(
        "<!doctype html>\n<html lang=\"en-GB\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} – {dataset}</title><link rel=\"stylesheet\" href=\"/app/print.css\"></head>\
         <body><main class=\"sheet\">\
         <header><div class=\"intro\"><h1>{title}</h1><p class=\"summary\">{summary}</p>{left}\
         <p class=\"printed\">Printed {printed_text} (UK time). Opening hours change: call before you travel.</p></div>\
         <div class=\"live\">{qr}<p>Scan to see this list as it is today, or go to <a href=\"{live_attr}\">{live_text}</a></p></div></header>\
         <ol class=\"places\">{rows}</ol>\
         <footer><p class=\"source\">From {dataset}. {attribution}</p>\
         <p class=\"screen-only\"><a href=\"/?{query}\">Back to the search</a> · Use your browser's Print command to print this page.</p></footer>\
         </main></body></html>",
        title = escape_html(&title),
        dataset = escape_html(&d.info.name),
        summary = escape_html(&summary),
        left = if left.is_empty() {
            String::new()
        } else {
            format!("<p class=\"summary\">{}</p>", escape_html(&left))
        },
        live_attr = escape_html(&live),
        live_text = escape_html(&live),
        attribution = escape_html(attribution),
        query = escape_html(&search.query),
    );
    Ok(super::respond(
        state,
        super::HTML,
        body.into_bytes(),
        headers,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_qr_code_is_an_svg_of_modules() {
        let svg = qr_svg("https://example.org/?postcode=W2%201HS", "QR <code>").unwrap_or_default();
        assert!(svg.starts_with("<svg class=\"qr\""));
        assert!(svg.contains("aria-label=\"QR &lt;code&gt;\""));
        // Version 3 (29 modules) plus the quiet zone.
        assert!(svg.contains("viewBox=\"0 0 37 37\""), "{svg}");
        assert!(svg.matches('M').count() > 200);
        assert!(qr_svg(&"x".repeat(5000), "").is_err());
    }
}

//! The first page of a residents' search, rendered by the server into `/`, so
//! that results show before the scripts arrive and without JavaScript. The
//! markup is the one `web/static/resident.js` writes, which then takes over.

use super::escape_html;
use crate::hours::OpenState;
use crate::http::nearby::{LeftOut, OpenFilter, search};
use crate::http::{ApiError, AppState};
use crate::model::Dataset;

/// Results the server puts in the residents' page, so that the first answer
/// shows before (or without) JavaScript; the script then takes over.
#[derive(Default)]
pub(super) struct FirstSearch {
    pub(super) postcode: Option<String>,
    pub(super) categories: Vec<String>,
    pub(super) open: Option<OpenFilter>,
    /// `at`: the London time opening is shown for, instead of now.
    pub(super) at: Option<chrono::NaiveDateTime>,
    pub(super) status: Option<String>,
    pub(super) error: Option<String>,
    pub(super) items: String,
    /// Services of the chosen kinds with no place (by phone or online).
    pub(super) remote: String,
    pub(super) left_out: String,
    /// The search's own query (postcode or point, categories, open), for
    /// links to it and to its printable sheet.
    pub(super) query: String,
    /// What was found, for the printable sheet.
    pub(super) found: Option<Found>,
}

/// A search's answer.
pub(super) struct Found {
    pub(super) place: String,
    pub(super) kinds: String,
    pub(super) hits: Vec<crate::index::Hit>,
    pub(super) left: LeftOut,
    pub(super) now: chrono::NaiveDateTime,
    pub(super) from: geo::Coord,
}

/// Results the server shows on first load, as the script would (same markup).
const FIRST_RESULTS: usize = 10;

pub(super) fn server_search(state: &AppState, raw: Option<&str>) -> FirstSearch {
    let mut first = find(state, raw, FIRST_RESULTS);
    if let Some(found) = &first.found {
        let d = &state.dataset();
        let stale_before = state.stale_before();
        for (i, hit) in found.hits.iter().enumerate() {
            first.items.push_str(&result_item(
                d,
                i,
                hit,
                found.from,
                found.now,
                &stale_before,
            ));
        }
        let (listed, _) = crate::http::nearby::listings_of(d, &first.categories, FIRST_RESULTS, 0);
        for (i, a) in listed.iter().enumerate() {
            first.remote.push_str(&listing_item(d, i, a, &stale_before));
        }
    }
    first
}

/// "Of the places closer than these, 3 are closed now and 2 have hours we do
/// not know, so they are not shown." (as the page's script writes it).
pub(super) fn left_out_note(left: &LeftOut, found: usize) -> String {
    let mut parts = Vec::new();
    if left.closed > 0 {
        let verb = if left.closed == 1 { "is" } else { "are" };
        parts.push(format!("{} {verb} closed now", left.closed));
    }
    if left.hours_not_known > 0 {
        let verb = if left.hours_not_known == 1 {
            "has"
        } else {
            "have"
        };
        parts.push(format!(
            "{} {verb} hours we do not know",
            left.hours_not_known
        ));
    }
    if parts.is_empty() {
        return String::new();
    }
    let which = if found > 0 {
        "Of the places closer than these"
    } else {
        "Of the places nearby"
    };
    let they = if left.closed + left.hours_not_known == 1 {
        "it is"
    } else {
        "they are"
    };
    format!(
        "{which}, {}, so {they} not shown. Untick “Open now only” to see them.",
        parts.join(" and ")
    )
}

/// Reads a residents' search from a query string and runs it (up to `limit`).
pub(super) fn find(state: &AppState, raw: Option<&str>, limit: usize) -> FirstSearch {
    let d = &state.dataset();
    let mut first = FirstSearch::default();
    let mut query = form_urlencoded::Serializer::new(String::new());
    let mut own = form_urlencoded::Serializer::new(String::new());
    for (k, v) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        match k.as_ref() {
            "postcode" => {
                let p: String = v.chars().take(16).collect();
                query.append_pair("postcode", &p);
                own.append_pair("postcode", &p);
                first.postcode = Some(p);
            }
            "lon" | "lat" => {
                let t: String = v.chars().take(24).collect();
                query.append_pair(&k, &t);
                own.append_pair(&k, &t);
            }
            "at" => {
                if let Ok(at) = crate::hours::london::parse_time(&v) {
                    first.at = Some(at);
                } else {
                    first.error = Some(format!(
                        "“{}” is not a date and time such as 2026-12-05T18:00.",
                        v.chars().take(40).collect::<String>()
                    ));
                }
            }
            "open" if v == "now" => first.open = Some(OpenFilter::Now),
            "open" if v == "today" => first.open = Some(OpenFilter::Today),
            "category" => {
                for c in v.split(',').map(str::trim) {
                    if d.info.category_labels.contains_key(c)
                        && !first.categories.iter().any(|x| x == c)
                    {
                        first.categories.push(c.to_string());
                    }
                }
            }
            _ => {}
        }
    }
    let query = query.finish();
    if !first.categories.is_empty() {
        own.append_pair("category", &first.categories.join(","));
    }
    if let Some(f) = first.open {
        own.append_pair("open", f.as_str());
    }
    if let Some(at) = first.at {
        own.append_pair("at", &at.format("%Y-%m-%dT%H:%M").to_string());
    }
    first.query = own.finish();
    if query.is_empty() || first.error.is_some() {
        return first;
    }
    let parsed =
        match crate::http::params::Query::parse(Some(&query), &["postcode", "lon", "lat"], &[]) {
            Ok(q) => q,
            Err(_) => return first,
        };
    let origin = match crate::http::nearby::origin(d, &parsed) {
        Ok(o) => o,
        Err(ApiError::NotFound(_)) => {
            first.error = Some(format!(
                "We could not find the postcode {} in this area. Check it, or use your location.",
                first.postcode.as_deref().unwrap_or("")
            ));
            return first;
        }
        Err(_) => {
            if let Some(p) = &first.postcode {
                first.error = Some(format!(
                    "“{p}” is not a UK postcode. Check it and try again."
                ));
            }
            return first;
        }
    };
    if let Some(p) = &origin.postcode {
        first.postcode = Some(p.clone());
    }
    let now = first
        .at
        .unwrap_or_else(|| crate::hours::london::to_local(chrono::Utc::now()));
    let (hits, left) = search(
        d,
        origin.bng,
        limit,
        &first.categories,
        None,
        first.open,
        now,
    );
    let place = origin.postcode.as_deref().unwrap_or("your location");
    let kinds = if first.categories.is_empty() {
        String::new()
    } else {
        let labels: Vec<String> = first
            .categories
            .iter()
            .map(|c| in_text(&d.info.category_labels[c]))
            .collect();
        format!(" ({})", labels.join(", "))
    };
    let open = match first.open {
        Some(OpenFilter::Now) => " open now",
        Some(OpenFilter::Today) => " open today",
        None => "",
    };
    first.status = Some(match hits.len() {
        0 => format!("No places{open} found near {place}{kinds}."),
        1 => format!("1 place{open} near {place}{kinds}, closest first."),
        n => format!("{n} places{open} near {place}{kinds}, closest first."),
    });
    first.left_out = left_out_note(&left, hits.len());
    first.found = Some(Found {
        place: place.to_string(),
        kinds,
        hits,
        left,
        now,
        from: origin.lonlat,
    });
    first
}

/// "Saturday 5 December 2026 at 18:00".
pub(super) fn when_text(at: chrono::NaiveDateTime) -> String {
    use chrono::Datelike;
    format!(
        "{} {} at {}",
        crate::hours::london::weekday_name(at.weekday()),
        readable_date(&at.format("%Y-%m-%d").to_string()),
        at.format("%H:%M")
    )
}

/// A category label in running text: "Pharmacy" → "pharmacy"; "GP practice" stays.
fn in_text(label: &str) -> String {
    let first = label.split(' ').next().unwrap_or("");
    if first.chars().count() > 1 && first.chars().all(|c| !c.is_lowercase()) {
        return label.to_string();
    }
    let mut chars = label.chars();
    chars
        .next()
        .map(|c| c.to_lowercase().chain(chars).collect())
        .unwrap_or_default()
}

/// "350 m" or "1.2 km", as the page's script writes distances.
pub(super) fn format_distance(m: f64) -> String {
    let metres = ((m / 10.0).round() * 10.0) as i64;
    if metres < 1000 {
        format!("{metres} m")
    } else if m < 10_000.0 {
        format!("{:.1} km", m / 1000.0)
    } else {
        format!("{:.0} km", m / 1000.0)
    }
}

/// A date written YYYY-MM-DD as people read it: "1 December 2026".
pub(crate) fn readable_date(date: &str) -> String {
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let parts: Vec<&str> = date.split('-').collect();
    match (
        parts.first(),
        parts.get(1).and_then(|m| m.parse::<usize>().ok()),
        parts.get(2).and_then(|d| d.parse::<u32>().ok()),
    ) {
        (Some(y), Some(m @ 1..=12), Some(day)) if parts.len() == 3 => {
            format!("{day} {} {y}", MONTHS[m - 1])
        }
        _ => date.to_string(),
    }
}

/// The badge's look for a state: open, closed or unknown (the words say which).
pub(super) fn badge_class(state: &OpenState) -> &'static str {
    match state {
        OpenState::Open { .. } => "open",
        OpenState::Closed { .. } => "closed",
        OpenState::Unknown => "unknown",
    }
}

/// An entry's details as a description list (the same rows the script
/// writes): address, hours, contact, who runs it, what it is, access
/// notes, a food bank's needs, and when it was last checked.
fn details_html(a: &crate::model::Asset, address: Option<String>, stale: bool) -> String {
    let mut details = String::new();
    let mut row = |k: &str, v: String| {
        details.push_str(&format!("<dt>{k}</dt><dd>{v}</dd>"));
    };
    if let Some(address) = address {
        row("Address", escape_html(&address));
    }
    if let Some(how) = a.sensitive {
        row(
            "Where",
            format!(
                "Its address is not shown, for the safety of the people it helps; it is {}. Call to find out more.",
                escape_html(how.words())
            ),
        );
    }
    if let Some(h) = &a.opening_hours {
        row("Opening hours", escape_html(h));
    }
    if let Some(p) = &a.phone {
        let digits: String = p
            .chars()
            .filter(|c| c.is_ascii_digit() || *c == '+')
            .collect();
        row(
            "Phone",
            format!("<a href=\"tel:{digits}\">{}</a>", escape_html(p)),
        );
    }
    if let Some(e) = &a.email {
        row(
            "Email",
            format!("<a href=\"mailto:{0}\">{0}</a>", escape_html(e)),
        );
    }
    if let Some(w) = &a.website {
        let lower = w.to_ascii_lowercase();
        let href = if lower.starts_with("http://") || lower.starts_with("https://") {
            w.clone()
        } else {
            format!("https://{w}")
        };
        let shown = w
            .trim_start_matches("https://")
            .trim_start_matches("http://")
            .trim_end_matches('/');
        row(
            "Website",
            format!(
                "<a href=\"{}\" rel=\"noopener noreferrer\" target=\"_blank\">{}<span class=\"visually-hidden\"> (opens in a new tab)</span></a>",
                escape_html(&href),
                escape_html(shown)
            ),
        );
    }
    if let Some(o) = &a.details.organisation {
        row("Run by", escape_html(o));
    }
    if let Some(t) = &a.details.description {
        row("About", escape_html(&about(t)));
    }
    if let Some(t) = &a.details.accessibility {
        row("Access", escape_html(t));
    }
    if let Some(needs) = &a.details.needs {
        // Shown exactly as Give Food publishes it, credited and linked.
        let credit = match &a.details.source_url {
            Some(u) => format!(
                "<a href=\"{}\" rel=\"noopener noreferrer\" target=\"_blank\">{}<span class=\"visually-hidden\"> (opens in a new tab)</span></a>",
                escape_html(u),
                escape_html(crate::ingest::givefood::CREDIT)
            ),
            None => escape_html(crate::ingest::givefood::CREDIT),
        };
        row(
            "Needs now",
            format!(
                "<span class=\"needs\">{}</span><span class=\"credit\">{credit}</span>",
                escape_html(needs)
            ),
        );
    }
    if let Some(v) = a.last_checked() {
        let note = if stale {
            " <strong class=\"stale\">(a long time ago: call to check before you go)</strong>"
        } else {
            ""
        };
        row(
            "Last checked",
            format!("{}{note}", escape_html(&readable_date(v))),
        );
    }
    if details.is_empty() {
        String::new()
    } else {
        format!("<dl class=\"details\">{details}</dl>")
    }
}

/// A service with no place, as the list of services by phone or online shows it.
fn listing_item(d: &Dataset, i: usize, a: &crate::model::Asset, stale_before: &str) -> String {
    let label = d
        .info
        .category_labels
        .get(&a.category)
        .unwrap_or(&a.category);
    format!(
        "<li class=\"result\" id=\"remote-{i}\" data-id=\"{id}\" aria-labelledby=\"remote-{i}-name\"><h3 id=\"remote-{i}-name\">{name}</h3><p class=\"result-meta\"><span class=\"category\">{label}</span> · by phone or online</p>{details}</li>",
        id = escape_html(&a.id),
        name = escape_html(&a.display_name()),
        label = escape_html(label),
        details = details_html(a, None, a.is_stale(stale_before)),
    )
}

/// The first words of a description, for the list (the whole is in the API).
pub(crate) fn about(text: &str) -> String {
    const MAX_CHARS: usize = 280;
    let first = text.split("\n\n").next().unwrap_or(text);
    if first.chars().count() <= MAX_CHARS && first.len() == text.len() {
        return first.to_string();
    }
    let mut cut: String = first.chars().take(MAX_CHARS).collect();
    if let Some(space) = cut.rfind(' ').filter(|_| first.chars().count() > MAX_CHARS) {
        cut.truncate(space);
    }
    cut.push('…');
    cut
}

fn result_item(
    d: &Dataset,
    i: usize,
    hit: &crate::index::Hit,
    from: geo::Coord,
    now: chrono::NaiveDateTime,
    stale_before: &str,
) -> String {
    let a = &d.assets[hit.asset];
    let opening = a.opening(now);
    let display_address = a.display_address();
    let label = d
        .info
        .category_labels
        .get(&a.category)
        .unwrap_or(&a.category);
    let address: Vec<&str> = [display_address.as_deref(), a.postcode.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    let details = details_html(
        a,
        (!address.is_empty()).then(|| address.join(", ")),
        a.is_stale(stale_before),
    );
    // No directions to a sensitive place's shown point: it is not where it is.
    let directions = if a.sensitive.is_some() {
        String::new()
    } else {
        format!(
            "<a class=\"button small secondary\" href=\"https://www.openstreetmap.org/directions?engine=fossgis_osrm_foot&amp;route={:.5}%2C{:.5}%3B{:.5}%2C{:.5}\" rel=\"noopener noreferrer\" target=\"_blank\" aria-describedby=\"result-{i}-name\">Directions<span class=\"visually-hidden\"> (opens OpenStreetMap in a new tab)</span></a> ",
            from.y, from.x, a.lonlat.y, a.lonlat.x
        )
    };
    format!(
        "<li class=\"result\" id=\"result-{i}\" data-id=\"{id}\" aria-labelledby=\"result-{i}-name\"><div class=\"result-head\"><h3 id=\"result-{i}-name\" tabindex=\"-1\"><span class=\"result-number\">{n}.</span> {name}</h3></div><p class=\"hours-badge {badge}\">{hours}</p><p class=\"result-meta\"><span class=\"category\">{label}</span>{closed} · <strong>{distance} away</strong></p>{details}<div class=\"actions\">{directions}<a class=\"report\" href=\"/suggest?asset={report}\" aria-describedby=\"result-{i}-name\">Is something wrong?</a></div></li>",
        report = escape_html(&form_urlencoded::byte_serialize(a.id.as_bytes()).collect::<String>()),
        id = escape_html(&a.id),
        closed = if a.status == crate::model::AssetStatus::TemporarilyClosed {
            " · <strong class=\"closed\">Temporarily closed</strong>"
        } else {
            ""
        },
        n = i + 1,
        name = escape_html(&a.display_name()),
        badge = badge_class(&opening.state),
        hours = escape_html(&opening.text),
        label = escape_html(label),
        distance = format_distance(hit.distance_m),
    )
}

/// Puts the first search into the residents' page.
pub(super) fn fill_search(state: &AppState, text: String, first: &FirstSearch) -> String {
    let d = &state.dataset();
    let boxes: String = d
        .info
        .category_labels
        .iter()
        .map(|(id, label)| {
            let checked = if first.categories.contains(id) { " checked" } else { "" };
            format!(
                "<label class=\"checkbox\"><input type=\"checkbox\" name=\"category\" value=\"{}\"{checked}> {}</label>",
                escape_html(id),
                escape_html(label)
            )
        })
        .collect();
    let print_href = format!("/print?{}", first.query);
    let mut text = text
        .replace("<!--categories-->", &boxes)
        .replace("<!--results-->", &first.items)
        .replace("<!--remote-->", &first.remote)
        .replace(
            "<!--remote-hidden-->",
            if first.remote.is_empty() {
                " hidden"
            } else {
                ""
            },
        )
        .replace(
            "<!--open-checked-->",
            if first.open == Some(OpenFilter::Now) {
                " checked"
            } else {
                ""
            },
        )
        .replace(
            "<!--left-out-hidden-->",
            if first.left_out.is_empty() {
                " hidden"
            } else {
                ""
            },
        )
        .replace("<!--left-out-->", &escape_html(&first.left_out))
        .replace(
            "<!--at-hidden-->",
            if first.at.is_some() { "" } else { " hidden" },
        )
        .replace(
            "<!--at-note-->",
            &first.at.map_or(String::new(), |at| {
                format!("Opening is shown for {}, not now.", when_text(at))
            }),
        )
        .replace(
            "<!--print-hidden-->",
            if first.items.is_empty() {
                " hidden"
            } else {
                ""
            },
        )
        .replace("<!--print-href-->", &escape_html(&print_href));
    if let Some(p) = &first.postcode {
        text = text.replace(
            "id=\"postcode\" name=\"postcode\"",
            &format!(
                "id=\"postcode\" name=\"postcode\" value=\"{}\"",
                escape_html(p)
            ),
        );
    }
    if let Some(status) = &first.status {
        text = text.replace(
            "Search by postcode or use your location to see places near you.</p>",
            &format!("{}</p>", escape_html(status)),
        );
    }
    if let Some(error) = &first.error {
        text = text
            .replace(
                "<p class=\"error-message\" id=\"postcode-error\" hidden></p>",
                &format!(
                    "<p class=\"error-message\" id=\"postcode-error\">Error: {}</p>",
                    escape_html(error)
                ),
            )
            .replace(
                "aria-describedby=\"postcode-hint\">",
                "aria-describedby=\"postcode-hint postcode-error\" aria-invalid=\"true\">",
            );
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_read_as_the_script_writes_them() {
        assert_eq!(format_distance(93.2), "90 m");
        assert_eq!(format_distance(994.0), "990 m");
        assert_eq!(format_distance(995.0), "1.0 km");
        assert_eq!(format_distance(1234.0), "1.2 km");
        assert_eq!(format_distance(12_345.0), "12 km");
    }

    #[test]
    fn labels_lose_their_capital_unless_an_acronym() {
        assert_eq!(in_text("Food bank"), "food bank");
        assert_eq!(in_text("GP practice"), "GP practice");
        assert_eq!(in_text("Pharmacy"), "pharmacy");
        assert_eq!(in_text("A"), "a");
    }
}

//! The OGC API collections as HTML pages (the Part 1 HTML conformance
//! class), for officers and residents browsing in a web browser: the
//! collections, one collection, a page of its items with paging links, and
//! one item, each with a small map drawn as inline SVG (no script, so the
//! pages keep the site's Content-Security-Policy and work without
//! JavaScript). Every value shown is escaped.

use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use geo::{Coord, MultiPolygon};
use serde_json::Value;

use super::AppState;
use super::auth::{html_page, shell};
use super::params::Query;
use super::web::escape_html;
use crate::features::{self, Collection, Geometry};
use crate::model::Dataset;

/// Whether the client asked for HTML: `f=html`, or a browser's `Accept`
/// with no `f`.
pub(crate) fn wants_html(q: &Query, headers: &HeaderMap) -> bool {
    match q.get(super::params::F) {
        Some("html") => true,
        Some(_) => false,
        None => super::web::accepts_html(headers),
    }
}

const MAP_WIDTH: f64 = 640.0;
const MAP_HEIGHT: f64 = 360.0;

/// Normalised Web Mercator (0..1, y down) of a longitude/latitude.
fn mercator(c: Coord) -> Coord {
    crate::tiles::normalised_mercator(c)
}

/// A small map of the features as SVG: areas as outlines, points as dots.
fn svg_map(dataset: &Dataset, collection: Collection, indexes: &[usize], label: &str) -> String {
    let mut min = Coord {
        x: f64::INFINITY,
        y: f64::INFINITY,
    };
    let mut max = Coord {
        x: f64::NEG_INFINITY,
        y: f64::NEG_INFINITY,
    };
    let mut grow = |c: Coord| {
        min.x = min.x.min(c.x);
        min.y = min.y.min(c.y);
        max.x = max.x.max(c.x);
        max.y = max.y.max(c.y);
    };
    let shapes: Vec<Geometry> = indexes
        .iter()
        .map(|&i| features::geometry(collection, dataset, i))
        .collect();
    for g in &shapes {
        match g {
            Geometry::Point { lonlat, .. } => grow(mercator(*lonlat)),
            Geometry::Area { lonlat, .. } => {
                if let Some(r) = geo::BoundingRect::bounding_rect(*lonlat) {
                    grow(mercator(r.min()));
                    grow(mercator(r.max()));
                }
            }
        }
    }
    if !min.x.is_finite() {
        return String::new();
    }
    // A margin, and a minimum span so a single point is not a blow-up.
    let span = (max.x - min.x).max(max.y - min.y).max(1e-5);
    let scale = 0.9 * (MAP_WIDTH / span).min(MAP_HEIGHT / span);
    let centre = Coord {
        x: (min.x + max.x) / 2.0,
        y: (min.y + max.y) / 2.0,
    };
    let at = |c: Coord| {
        let m = mercator(c);
        (
            MAP_WIDTH / 2.0 + (m.x - centre.x) * scale,
            MAP_HEIGHT / 2.0 + (m.y - centre.y) * scale,
        )
    };
    let mut body = String::new();
    for g in &shapes {
        match g {
            Geometry::Point { lonlat, .. } => {
                let (x, y) = at(*lonlat);
                body.push_str(&format!(
                    "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"5\" fill=\"#263957\" stroke=\"#ffffff\" stroke-width=\"1.5\"/>"
                ));
            }
            Geometry::Area { lonlat, .. } => body.push_str(&area_path(lonlat, &at)),
        }
    }
    format!(
        "<figure class=\"item-map\"><svg viewBox=\"0 0 {MAP_WIDTH} {MAP_HEIGHT}\" width=\"100%\" role=\"img\" aria-labelledby=\"map-title\" style=\"max-width:{MAP_WIDTH}px;background:#f4f3ee;border:1px solid #b1b4b6\"><title id=\"map-title\">{}</title>{body}</svg><figcaption>{}</figcaption></figure>",
        escape_html(label),
        escape_html(label)
    )
}

fn area_path(shape: &MultiPolygon, at: &dyn Fn(Coord) -> (f64, f64)) -> String {
    let mut d = String::new();
    for polygon in &shape.0 {
        for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
            // Thin long rings so a page of detailed boundaries stays small.
            let step = (ring.0.len() / 400).max(1);
            for (k, c) in ring.0.iter().step_by(step).enumerate() {
                let (x, y) = at(*c);
                d.push_str(&format!("{}{x:.1},{y:.1} ", if k == 0 { "M" } else { "L" }));
            }
            d.push('Z');
        }
    }
    format!(
        "<path d=\"{d}\" fill=\"#f6cf8f\" fill-opacity=\"0.6\" fill-rule=\"evenodd\" stroke=\"#5c5f66\" stroke-width=\"1\"/>"
    )
}

fn cell(v: &Value) -> String {
    match v {
        Value::Null => "<span class=\"muted\">none</span>".into(),
        Value::String(s) => escape_html(s),
        other => escape_html(&other.to_string()),
    }
}

/// The human label of a feature: its name, else its id.
fn label_of(props: &serde_json::Map<String, Value>, id: &str) -> String {
    props
        .get("name")
        .and_then(Value::as_str)
        .map_or_else(|| id.to_string(), str::to_string)
}

fn page(state: &AppState, title: &str, main: String) -> Response {
    let mut r = html_page(state, StatusCode::OK, shell(state, title, &main));
    r.headers_mut().insert(
        axum::http::header::VARY,
        axum::http::HeaderValue::from_static("Accept"),
    );
    r
}

/// `/collections?f=html`
pub(crate) fn collections(state: &AppState, list: &[Collection]) -> Response {
    let d = state.dataset();
    let mut rows = String::new();
    for c in list {
        rows.push_str(&format!(
            "<li><a href=\"/collections/{id}?f=html\">{title}</a>: {desc} ({n} features; <a href=\"/collections/{id}/items?f=html\">browse</a>, <a href=\"/collections/{id}/items\">GeoJSON</a>)</li>",
            id = c.id(),
            title = escape_html(c.title()),
            desc = escape_html(c.description()),
            n = c.len(&d)
        ));
    }
    page(
        state,
        "Collections",
        format!(
            "<h1>Collections</h1><p>The map's data as OGC API - Features collections, for browsing here or for GIS (QGIS, ArcGIS, GDAL: add <code>/</code> as an OGC API - Features connection).</p><ul>{rows}</ul><p><a href=\"/collections\">This list as JSON</a></p>"
        ),
    )
}

/// `/collections/{id}?f=html`
pub(crate) fn collection(state: &AppState, c: Collection) -> Response {
    let d = state.dataset();
    let schema = c.schema(&d);
    let mut rows = String::new();
    for f in &schema {
        rows.push_str(&format!(
            "<tr><th scope=\"row\"><code>{}</code></th><td>{:?}</td><td>{}</td></tr>",
            escape_html(&f.name),
            f.kind,
            escape_html(&f.description)
        ));
    }
    page(
        state,
        c.title(),
        format!(
            "<h1>{title}</h1><p>{desc}</p><p>{n} features. <a href=\"/collections/{id}/items?f=html\">Browse them</a>, or get them as <a href=\"/collections/{id}/items\">GeoJSON</a>; <a href=\"/collections/{id}/queryables\">queryables</a>; <a href=\"/collections?f=html\">all collections</a>.</p><table><caption>Properties</caption><thead><tr><th scope=\"col\">Name</th><th scope=\"col\">Type</th><th scope=\"col\">Meaning</th></tr></thead><tbody>{rows}</tbody></table>",
            title = escape_html(c.title()),
            desc = escape_html(c.description()),
            n = c.len(&d),
            id = c.id()
        ),
    )
}

/// A page of items: a map, a table, and links to the pages either side.
/// `page_href(offset)` gives the HTML address of the page at that offset.
#[allow(clippy::too_many_arguments)]
pub(crate) fn items(
    state: &AppState,
    dataset: &Dataset,
    c: Collection,
    page_indexes: &[usize],
    matched: usize,
    offset: usize,
    limit: usize,
    page_href: &dyn Fn(usize) -> String,
) -> Response {
    let schema = c.schema(dataset);
    // A few columns that say what each feature is.
    let wanted = [
        "name",
        "category",
        "ward_name",
        "council_name",
        "imd_score",
        "population",
        "postcode",
    ];
    let columns: Vec<usize> = wanted
        .iter()
        .filter_map(|w| schema.iter().position(|f| f.name == *w))
        .collect();
    let mut head = String::from("<th scope=\"col\">Feature</th>");
    for &k in &columns {
        if schema[k].name != "name" {
            head.push_str(&format!(
                "<th scope=\"col\">{}</th>",
                escape_html(&schema[k].name)
            ));
        }
    }
    let mut rows = String::new();
    for &i in page_indexes {
        let props = features::properties_object(c, dataset, i, None);
        let id = c.feature_id(dataset, i);
        let values = features::properties(c, dataset, i);
        rows.push_str(&format!(
            "<tr><th scope=\"row\"><a href=\"/collections/{}/items/{}?f=html\">{}</a></th>",
            c.id(),
            super::ogc::encode(id),
            escape_html(&label_of(&props, id))
        ));
        for &k in &columns {
            if schema[k].name != "name" {
                rows.push_str(&format!("<td>{}</td>", cell(&values[k])));
            }
        }
        rows.push_str("</tr>");
    }
    let first = if page_indexes.is_empty() {
        0
    } else {
        offset + 1
    };
    let last = offset + page_indexes.len();
    let mut nav = String::new();
    if offset > 0 {
        nav.push_str(&format!(
            "<a rel=\"prev\" href=\"{}\">Previous {limit}</a> ",
            escape_html(&page_href(offset.saturating_sub(limit)))
        ));
    }
    if last < matched {
        nav.push_str(&format!(
            "<a rel=\"next\" href=\"{}\">Next {limit}</a>",
            escape_html(&page_href(offset + limit))
        ));
    }
    let title = format!("{} {first}–{last} of {matched}", c.title());
    let map = svg_map(dataset, c, page_indexes, &format!("Map of {title}"));
    page(
        state,
        &title,
        format!(
            "<h1>{}</h1><p><a href=\"/collections/{id}?f=html\">About this collection</a> · <a href=\"/collections/{id}/items\">as GeoJSON</a></p>{map}<nav aria-label=\"Pages\" class=\"pager\">{nav}</nav><table><caption>{}</caption><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table><nav aria-label=\"Pages, again\" class=\"pager\">{nav}</nav>",
            escape_html(&title),
            escape_html(&title),
            id = c.id()
        ),
    )
}

/// One item: its map and every property.
pub(crate) fn item(state: &AppState, dataset: &Dataset, c: Collection, i: usize) -> Response {
    let props = features::properties_object(c, dataset, i, None);
    let id = c.feature_id(dataset, i);
    let label = label_of(&props, id);
    let mut rows = String::new();
    for (k, v) in &props {
        rows.push_str(&format!(
            "<tr><th scope=\"row\"><code>{}</code></th><td>{}</td></tr>",
            escape_html(k),
            cell(v)
        ));
    }
    let map = svg_map(dataset, c, &[i], &format!("Map of {label}"));
    page(
        state,
        &label,
        format!(
            "<h1>{}</h1><p>In <a href=\"/collections/{cid}/items?f=html\">{}</a> · <a href=\"/collections/{cid}/items/{fid}\">as GeoJSON</a></p>{map}<table><caption>Properties of {}</caption><tbody>{rows}</tbody></table>",
            escape_html(&label),
            escape_html(c.title()),
            escape_html(&label),
            cid = c.id(),
            fid = super::ogc::encode(id)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_text_is_escaped() {
        assert_eq!(
            cell(&Value::String(
                "<img src=x onerror=alert(1)> & \"q\"".into()
            )),
            "&lt;img src=x onerror=alert(1)&gt; &amp; &quot;q&quot;"
        );
        let props: serde_json::Map<String, Value> =
            serde_json::from_str(r#"{"name": "<b>Hall</b>"}"#).unwrap();
        assert_eq!(
            escape_html(&label_of(&props, "x")),
            "&lt;b&gt;Hall&lt;/b&gt;"
        );
    }
}

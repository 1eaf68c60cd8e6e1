//! Sensitive places (refuges, safe houses): their exact location and address
//! never leave the server. The demo with its advice services marked
//! sensitive: every endpoint that shows places is asked, and none carries an
//! exact coordinate, address or postcode.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use assetmap::http::AppState;
use common::live::get;
use serde_json::Value;

struct Exact {
    id: String,
    lon: f64,
    lat: f64,
    easting: f64,
    northing: f64,
    address: Option<String>,
    postcode: Option<String>,
}

fn load(place: &str) -> (tempfile::TempDir, assetmap::ingest::Loaded) {
    let dir = tempfile::tempdir().unwrap();
    assetmap::demo::write(dir.path()).unwrap();
    let path = dir.path().join("manifest.toml");
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str(&format!(
        "\n[sensitive]\ncategories = [\"advice\"]\nplace = \"{place}\"\n"
    ));
    std::fs::write(&path, text).unwrap();
    let loaded = assetmap::ingest::load_path(&path, &assetmap::ingest::Quiet).unwrap();
    (dir, loaded)
}

fn exact_places(loaded: &assetmap::ingest::Loaded) -> Vec<Exact> {
    // Addresses and postcodes other (public) places share cannot tell
    // anything: only the sensitive places' own are looked for.
    let public = |f: &dyn Fn(&assetmap::model::Asset) -> Option<String>, v: &str| {
        loaded
            .dataset
            .assets
            .iter()
            .any(|a| a.category != "advice" && f(a).is_some_and(|x| x.eq_ignore_ascii_case(v)))
    };
    loaded
        .dataset
        .assets
        .iter()
        .filter(|a| a.category == "advice")
        .map(|a| Exact {
            id: a.id.clone(),
            lon: a.lonlat.x,
            lat: a.lonlat.y,
            easting: a.bng.x,
            northing: a.bng.y,
            address: a
                .address
                .clone()
                .filter(|v| !public(&|x| x.address.clone(), v)),
            postcode: a
                .postcode
                .clone()
                .filter(|v| !public(&|x| x.postcode.clone(), v)),
        })
        .collect()
}

/// Every decimal number in a text, in order.
fn numbers(body: &str) -> Vec<f64> {
    let mut out = Vec::new();
    let mut token = String::new();
    for c in body.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_digit() || c == '.' || (c == '-' && token.is_empty()) {
            token.push(c);
        } else {
            if token.contains('.')
                && let Ok(v) = token.parse::<f64>()
            {
                out.push(v);
            }
            token.clear();
        }
    }
    out
}

fn assert_clean(what: &str, body: &str, places: &[Exact]) {
    let nums = numbers(body);
    for e in places {
        // A position is two numbers side by side (lon, lat or easting,
        // northing) within about 10 metres of the place.
        for w in nums.windows(2) {
            let degrees = (w[0] - e.lon).abs() < 1e-4 && (w[1] - e.lat).abs() < 1e-4;
            let metres = (w[0] - e.easting).abs() < 10.0 && (w[1] - e.northing).abs() < 10.0;
            assert!(
                !degrees && !metres,
                "{what} carries the position of {}: {w:?}",
                e.id
            );
        }
        // As a whole value: not inside a longer one ("149 High Street").
        let whole = |needle: &str| {
            body.match_indices(needle).any(|(i, _)| {
                !body[..i]
                    .chars()
                    .next_back()
                    .is_some_and(char::is_alphanumeric)
                    && !body[i + needle.len()..]
                        .chars()
                        .next()
                        .is_some_and(char::is_alphanumeric)
            })
        };
        if let Some(a) = &e.address {
            assert!(!whole(a), "{what} carries the address of {}", e.id);
        }
        if let Some(p) = &e.postcode {
            assert!(!whole(p), "{what} carries the full postcode of {}", e.id);
        }
    }
}

fn text(addr: std::net::SocketAddr, path: &str) -> String {
    let r = get(addr, path);
    assert!(r.status < 300, "{path}: {}", r.status);
    String::from_utf8_lossy(&r.body).into_owned()
}

fn html(addr: std::net::SocketAddr, path: &str) -> String {
    let r = common::live::request(addr, "GET", path, &[("Accept", "text/html")], b"").unwrap();
    assert!(r.status < 300, "{path}: {}", r.status);
    String::from_utf8_lossy(&r.body).into_owned()
}

/// Web Mercator tile of a position at zoom z, and the position in it (0..4096).
fn tile_of(lon: f64, lat: f64, z: u8) -> (u32, u32, f64, f64) {
    let n = f64::from(1u32 << z);
    let x = (lon + 180.0) / 360.0 * n;
    let r = lat.to_radians();
    let y = (1.0 - (r.tan() + 1.0 / r.cos()).ln() / std::f64::consts::PI) / 2.0 * n;
    (x as u32, y as u32, x.fract() * 4096.0, y.fract() * 4096.0)
}

#[test]
fn no_response_carries_a_sensitive_places_exact_location() {
    let (_dir, loaded) = load("ward");
    let places = exact_places(&loaded);
    assert!(places.len() >= 10, "the demo has advice services");
    let state = AppState::new(Arc::new(loaded.dataset));
    let addr = common::serve(state.clone());
    let pc = get(addr, "/app/config.json").json()["example_postcode"]
        .as_str()
        .unwrap()
        .replace(' ', "%20");

    // Each is still found, by phone, at its ward's point.
    let d = state.dataset();
    for e in &places {
        let a = d.entry(&e.id).expect("still listed");
        assert!(a.address.is_none());
        let ward = &d.wards[a.ward.unwrap()];
        let shown = ward.label_point.unwrap();
        assert!(
            (a.lonlat.x - shown.x).abs() < 1e-5 && (a.lonlat.y - shown.y).abs() < 1e-5,
            "at the ward point: {:?} {:?}",
            a.lonlat,
            shown
        );
    }
    drop(d);

    let mut paths = vec![
        format!("/api/nearby?postcode={pc}&category=advice&limit=100"),
        format!("/api/nearby?postcode={pc}&limit=100"),
        "/api/search?q=advice&limit=100".into(),
        "/api/search?q=clinic&limit=100".into(),
        "/api/listings?limit=100".into(),
        "/collections/assets/items?limit=10000".into(),
        "/collections/assets/items?limit=10000&crs=http://www.opengis.net/def/crs/EPSG/0/27700"
            .into(),
        "/collections/assets/items?category=advice&f=html&limit=100".into(),
        "/api/export/assets?format=geojson".into(),
        "/api/export/assets?format=geojson-27700".into(),
        "/api/export/assets?format=csv".into(),
        "/oruk/services?per_page=500".into(),
        "/oruk/service_at_locations?per_page=500".into(),
        format!("/print?postcode={pc}&category=advice"),
        "/api/gaps?category=advice&format=geojson".into(),
        "/api/gaps/suggest?category=advice&n=3".into(),
        "/api/dataset".into(),
    ];
    let wards = get(addr, "/api/wards").json();
    for w in wards["wards"].as_array().unwrap() {
        paths.push(format!("/api/wards/{}", w["code"].as_str().unwrap()));
    }
    let services = get(addr, "/oruk/services?per_page=500").json();
    for e in &places {
        let id = e.id.replace(':', "%3A");
        paths.push(format!("/collections/assets/items/{id}"));
        paths.push(format!("/collections/assets/items/{id}?f=html"));
        paths.push(format!("/api/assets/{id}/history"));
    }
    for s in services["contents"].as_array().unwrap() {
        paths.push(format!("/oruk/services/{}", s["id"].as_str().unwrap()));
    }
    for path in &paths {
        let body = if path.contains("f=html") || path.starts_with("/print") {
            html(addr, path)
        } else {
            text(addr, path)
        };
        assert_clean(path, &body, &places);
    }
    let page = html(addr, &format!("/?postcode={pc}&category=advice"));
    assert_clean("the residents' page", &page, &places);
    assert!(page.contains("Its address is not shown, for the safety of the people it helps"));

    // The GeoPackage's coordinates, read as numbers.
    let gpkg = get(addr, "/api/export/assets?format=gpkg").body;
    for e in &places {
        for v in [e.lon, e.lat, e.easting, e.northing] {
            let found = gpkg.windows(8).any(|w| {
                let x = f64::from_le_bytes(w.try_into().unwrap());
                (x - v).abs() < 1e-6
            });
            assert!(!found, "the GeoPackage holds {v} of {}", e.id);
        }
    }

    // Tiles: no marker where a sensitive place is.
    let mut tiles = Vec::new();
    for e in &places {
        let (x, y, _, _) = tile_of(e.lon, e.lat, 16);
        let bytes = get(addr, &format!("/tiles/assets/16/{x}/{y}.mvt")).body;
        tiles.push((assetmap::tiles::TileId { z: 16, x, y }, bytes));
    }
    if let Some(decoded) = common::decode_tiles(&tiles) {
        for (e, tile) in places.iter().zip(&decoded) {
            let (_, _, px, py) = tile_of(e.lon, e.lat, 16);
            let features = tile["layers"]["assets"]["features"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            for f in features {
                if f["properties"]["id"] != Value::String(e.id.clone()) {
                    continue;
                }
                let g = &f["geometry"];
                let (gx, gy) = (g[0].as_f64().unwrap(), g[1].as_f64().unwrap());
                assert!(
                    (gx - px).hypot(gy - py) > 40.0,
                    "{} is drawn where it is",
                    e.id
                );
            }
        }
    }
}

#[test]
fn hidden_places_are_listed_by_name_only_and_single_places_can_be_marked() {
    let (_dir, loaded) = load("hidden");
    let places = exact_places(&loaded);
    let state = AppState::new(Arc::new(loaded.dataset));
    let d = state.dataset();
    for e in &places {
        assert!(!d.asset_by_id.contains_key(&e.id), "not on the map");
        let listed = d.entry(&e.id).expect("listed");
        assert!(listed.unplaced && listed.address.is_none());
    }
    let addr = common::serve(state.clone());
    let listings = text(addr, "/api/listings?category=advice&limit=100");
    assert_clean("listings", &listings, &places);
    assert!(listings.contains("not shown on the map"));

    // An officer marks one GP practice sensitive: it moves to its ward's point.
    let gp = d
        .assets
        .iter()
        .find(|a| a.category == "gp")
        .unwrap()
        .clone();
    drop(d);
    let row = state.catalog.row(&gp.id).unwrap();
    let mut fields = row.fields.clone();
    fields.sensitive = true;
    state
        .catalog
        .apply(
            assetmap::catalog::Edit::Replace {
                id: gp.id.clone(),
                expected_revision: row.revision,
                fields,
            },
            "test",
            Some("a refuge's outreach surgery"),
        )
        .unwrap();
    let now = state.dataset();
    let shown = now.entry(&gp.id).unwrap();
    assert!(shown.sensitive.is_some());
    assert!(
        (shown.lonlat.x - gp.lonlat.x).abs() > 1e-5 || (shown.lonlat.y - gp.lonlat.y).abs() > 1e-5
    );
    let history = text(
        addr,
        &format!("/api/assets/{}/history", gp.id.replace(':', "%3A")),
    );
    assert!(history.contains("withheld"));
    assert!(
        !history.contains(&format!("{:.0}.", gp.bng.x.trunc())),
        "{history}"
    );
}

//! The API on the demo dataset, in-process: residents' nearby search, planners'
//! profiles, OGC API - Features, exports, and a table of bad requests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::{Arc, OnceLock};

use assetmap::http::{AppState, ROUTES, router};
use assetmap::ingest::Quiet;
use assetmap::model::Dataset;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

fn dataset() -> Arc<Dataset> {
    static DATASET: OnceLock<Arc<Dataset>> = OnceLock::new();
    DATASET
        .get_or_init(|| {
            Arc::new(
                assetmap::demo::load(&Quiet)
                    .unwrap_or_else(|f| panic!("{}", f.problem))
                    .dataset,
            )
        })
        .clone()
}

struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    bytes: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.bytes)))
    }
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

async fn call(method: &str, uri: &str) -> Answer {
    send(method, uri, Body::empty()).await
}

async fn send(method: &str, uri: &str, body: Body) -> Answer {
    let app = router(AppState::new(dataset()));
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header("host", "example.test")
        .header("content-type", "application/json")
        .body(body)
        .unwrap();
    let response = app.oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    Answer {
        status,
        headers,
        bytes,
    }
}

async fn get(uri: &str) -> Answer {
    call("GET", uri).await
}

/// A postcode of the demo town, and its position.
fn a_postcode() -> (String, geo::Coord) {
    let d = dataset();
    let mut all: Vec<(&String, &geo::Coord)> = d.postcodes.iter().collect();
    all.sort_by(|a, b| a.0.cmp(b.0));
    (all[0].0.clone(), *all[0].1)
}

#[tokio::test]
async fn nearby_by_postcode_lists_assets_nearest_first() {
    let (postcode, at) = a_postcode();
    let typed = postcode.to_lowercase().replace(' ', "");
    let a = get(&format!("/api/nearby?postcode={typed}&limit=15")).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.header("content-type"), "application/geo+json");
    let body = a.json();
    assert_eq!(body["query"]["postcode"], postcode);
    assert_eq!(body["outside_coverage"], false);
    let features = body["features"].as_array().unwrap();
    assert_eq!(features.len(), 15);
    let d = dataset();
    let mut brute: Vec<(f64, &str)> = d
        .assets
        .iter()
        .map(|x| {
            (
                ((x.bng.x - at.x).powi(2) + (x.bng.y - at.y).powi(2)).sqrt(),
                x.id.as_str(),
            )
        })
        .collect();
    brute.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(b.1)));
    for (f, (distance, id)) in features.iter().zip(&brute) {
        assert_eq!(f["id"], *id);
        assert!((f["properties"]["distance_m"].as_f64().unwrap() - distance).abs() <= 0.05);
        assert!(f["properties"]["ward_code"].is_string());
        assert!(f["properties"]["name"].is_string());
    }
}

#[tokio::test]
async fn nearby_filters_by_category_and_radius() {
    let (postcode, _) = a_postcode();
    let pc = postcode.replace(' ', "+");
    let body = get(&format!(
        "/api/nearby?postcode={pc}&category=gp&category=pharmacy&limit=100"
    ))
    .await
    .json();
    let features = body["features"].as_array().unwrap();
    assert!(!features.is_empty());
    assert!(
        features
            .iter()
            .all(|f| ["gp", "pharmacy"].contains(&f["properties"]["category"].as_str().unwrap()))
    );
    let within = get(&format!("/api/nearby?postcode={pc}&radius_m=500&limit=100"))
        .await
        .json();
    assert!(
        within["features"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["properties"]["distance_m"].as_f64().unwrap() <= 500.0)
    );
    let distances: Vec<f64> = features
        .iter()
        .map(|f| f["properties"]["distance_m"].as_f64().unwrap())
        .collect();
    assert!(distances.windows(2).all(|w| w[0] <= w[1]), "{distances:?}");
}

#[tokio::test]
async fn a_point_outside_the_town_still_answers_but_says_so() {
    let body = get("/api/nearby?lon=1.5&lat=52.2&limit=3").await.json();
    assert_eq!(body["outside_coverage"], true);
    assert_eq!(body["features"].as_array().unwrap().len(), 3);
    assert_eq!(body["ward"], Value::Null);
}

#[tokio::test]
async fn categories_are_listed_with_counts() {
    let body = get("/api/categories").await.json();
    let list = body["categories"].as_array().unwrap();
    let total: u64 = list.iter().map(|c| c["count"].as_u64().unwrap()).sum();
    assert_eq!(total as usize, dataset().assets.len());
    assert!(
        list.iter()
            .any(|c| c["id"] == "food_bank" && c["label"] == "Food bank")
    );
}

#[tokio::test]
async fn ward_profiles_carry_deprivation_assets_small_areas_and_provenance() {
    let list = get("/api/wards").await.json();
    assert_eq!(list["count"], 20);
    let first = &list["wards"][0];
    let code = first["code"].as_str().unwrap();
    let profile = get(&format!("/api/wards/{code}")).await.json();
    let d = dataset();
    let w = &d.wards[d.ward_by_code[code]];
    assert_eq!(profile["population"].as_f64(), Some(w.population));
    assert_eq!(
        profile["small_area_list"].as_array().unwrap().len(),
        w.small_areas.len()
    );
    assert_eq!(
        profile["assets"].as_array().unwrap().len(),
        d.asset_counts(d.ward_by_code[code]).values().sum::<usize>()
    );
    assert!(profile["domains"]["Income"].is_number());
    assert_eq!(
        profile["provenance"]["vintages"]["deprivation"],
        "IoD2025-like (fictional)"
    );
    assert!(
        profile["provenance"]["join_method"]["imd_score"]
            .as_str()
            .unwrap()
            .contains("population-weighted")
    );
    let sa = profile["small_area_list"][0]["code"].as_str().unwrap();
    let small = get(&format!("/api/small-areas/{sa}")).await.json();
    assert_eq!(small["ward"]["code"], code);
    assert_eq!(small["demand_point"]["source"], "area_centroid");
    assert_eq!(
        get("/api/wards?council=X06000001").await.json()["count"],
        20
    );
}

#[tokio::test]
async fn the_landing_page_links_what_qgis_needs() {
    let body = get("/").await.json();
    let rels: Vec<&str> = body["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["rel"].as_str().unwrap())
        .collect();
    for rel in ["self", "service-desc", "conformance", "data"] {
        assert!(rels.contains(&rel), "{rel} in {rels:?}");
    }
    assert!(
        body["links"][0]["href"]
            .as_str()
            .unwrap()
            .starts_with("http://example.test/")
    );
    let conformance = get("/conformance").await.json();
    assert!(
        conformance["conformsTo"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c
                .as_str()
                .unwrap()
                .ends_with("ogcapi-features-2/1.0/conf/crs"))
    );
    let collections = get("/collections").await.json();
    let ids: Vec<&str> = collections["collections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["assets", "wards", "small_areas"]);
    for c in collections["collections"].as_array().unwrap() {
        assert_eq!(
            c["storageCrs"],
            "http://www.opengis.net/def/crs/EPSG/0/27700"
        );
        assert_eq!(c["crs"].as_array().unwrap().len(), 4);
        assert_eq!(
            c["extent"]["spatial"]["bbox"][0].as_array().unwrap().len(),
            4
        );
    }
}

#[tokio::test]
async fn items_page_with_counts_and_links() {
    let a = get("/collections/small_areas/items?limit=50&offset=50").await;
    assert_eq!(
        a.header("content-crs"),
        "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"
    );
    let body = a.json();
    assert_eq!(body["numberMatched"], 116);
    assert_eq!(body["numberReturned"], 50);
    let links = body["links"].as_array().unwrap();
    let href = |rel: &str| {
        links
            .iter()
            .find(|l| l["rel"] == rel)
            .map(|l| l["href"].as_str().unwrap().to_string())
    };
    assert_eq!(
        href("next").as_deref(),
        Some("http://example.test/collections/small_areas/items?limit=50&offset=100")
    );
    assert_eq!(
        href("prev").as_deref(),
        Some("http://example.test/collections/small_areas/items?limit=50")
    );
    let last = get("/collections/small_areas/items?limit=50&offset=100")
        .await
        .json();
    assert_eq!(last["numberReturned"], 16);
    assert!(
        !last["links"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["rel"] == "next")
    );
}

#[tokio::test]
async fn items_come_in_each_crs_with_the_right_axis_order() {
    let id = "gp:Z81001";
    let d = dataset();
    let asset = &d.assets[d.asset_by_id[id]];
    let crs84 = get(&format!("/collections/assets/items/{id}")).await.json();
    assert_eq!(
        crs84["geometry"]["coordinates"][0].as_f64().unwrap(),
        (asset.lonlat.x * 1e6).round() / 1e6
    );
    let a = get(&format!(
        "/collections/assets/items/{id}?crs=http://www.opengis.net/def/crs/EPSG/0/4326"
    ))
    .await;
    assert_eq!(
        a.header("content-crs"),
        "<http://www.opengis.net/def/crs/EPSG/0/4326>"
    );
    let lat_first = a.json();
    assert_eq!(
        lat_first["geometry"]["coordinates"][0].as_f64().unwrap(),
        (asset.lonlat.y * 1e6).round() / 1e6
    );
    let bng = get(&format!("/collections/assets/items/{id}?crs=http%3A%2F%2Fwww.opengis.net%2Fdef%2Fcrs%2FEPSG%2F0%2F27700")).await.json();
    assert_eq!(
        bng["geometry"]["coordinates"][0].as_f64().unwrap(),
        (asset.bng.x * 100.0).round() / 100.0
    );
    let merc = get(&format!("/collections/assets/items/{id}?crs=EPSG:3857"))
        .await
        .json();
    let x = merc["geometry"]["coordinates"][0].as_f64().unwrap();
    assert!((x - 6_378_137.0 * asset.lonlat.x.to_radians()).abs() < 0.01);
}

#[tokio::test]
async fn items_filter_by_bbox_queryables_and_properties() {
    let d = dataset();
    let ward = &d.wards[3];
    let all_gp = get("/collections/assets/items?category=gp&limit=1000")
        .await
        .json();
    assert_eq!(
        all_gp["numberMatched"].as_u64().unwrap() as usize,
        d.category_counts()["gp"]
    );
    let in_ward = get(&format!(
        "/collections/assets/items?ward_code={}&category=gp,pharmacy&limit=1000",
        ward.code
    ))
    .await
    .json();
    let expected = d
        .assets
        .iter()
        .filter(|a| a.ward == Some(3) && (a.category == "gp" || a.category == "pharmacy"))
        .count();
    assert_eq!(
        in_ward["numberMatched"].as_u64().unwrap() as usize,
        expected
    );
    // A box around the first asset, in CRS84 and in the grid.
    let a = &d.assets[0];
    let (x, y) = (a.lonlat.x, a.lonlat.y);
    let boxed = get(&format!(
        "/collections/assets/items?bbox={},{},{},{}",
        x - 0.001,
        y - 0.001,
        x + 0.001,
        y + 0.001
    ))
    .await
    .json();
    assert!(
        boxed["features"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["id"] == a.id.as_str())
    );
    let (e, n) = (a.bng.x, a.bng.y);
    let grid = get(&format!(
        "/collections/assets/items?bbox={},{},{},{}&bbox-crs=EPSG:27700",
        e - 50.0,
        n - 50.0,
        e + 50.0,
        n + 50.0
    ))
    .await
    .json();
    let brute = d
        .assets
        .iter()
        .filter(|b| (b.bng.x - e).abs() <= 50.0 && (b.bng.y - n).abs() <= 50.0)
        .count();
    assert_eq!(grid["numberMatched"].as_u64().unwrap() as usize, brute);
    let slim = get("/collections/wards/items?limit=1&properties=code,imd_score")
        .await
        .json();
    let props = slim["features"][0]["properties"].as_object().unwrap();
    assert_eq!(props.keys().collect::<Vec<_>>(), ["code", "imd_score"]);
    let q = get("/collections/assets/queryables").await.json();
    assert_eq!(q["properties"]["category"]["type"], "string");
}

#[tokio::test]
async fn geojson_export_follows_rfc_7946() {
    let a = get("/api/export/wards?format=geojson").await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.header("content-disposition").contains("wards.geojson"));
    let body = a.json();
    assert!(body.get("crs").is_none(), "CRS84 output has no crs member");
    for f in body["features"].as_array().unwrap() {
        for polygon in f["geometry"]["coordinates"].as_array().unwrap() {
            for (r, ring) in polygon.as_array().unwrap().iter().enumerate() {
                let pts: Vec<(f64, f64)> = ring
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap()))
                    .collect();
                let twice_area: f64 = pts
                    .windows(2)
                    .map(|w| w[0].0 * w[1].1 - w[1].0 * w[0].1)
                    .sum();
                assert!(
                    if r == 0 {
                        twice_area > 0.0
                    } else {
                        twice_area < 0.0
                    },
                    "exterior rings counter-clockwise, holes clockwise"
                );
                for (x, y) in pts {
                    assert_eq!((x * 1e6).round() / 1e6, x);
                    assert_eq!((y * 1e6).round() / 1e6, y);
                }
            }
        }
    }
    let grid = get("/api/export/assets?format=geojson-27700&category=library")
        .await
        .json();
    assert_eq!(
        grid["crs"]["properties"]["name"],
        "urn:ogc:def:crs:EPSG::27700"
    );
    assert_eq!(
        grid["features"].as_array().unwrap().len(),
        dataset().category_counts()["library"]
    );
}

#[tokio::test]
async fn csv_and_geopackage_exports_hold_the_filtered_features() {
    let d = dataset();
    let ward = d.wards[5].code.clone();
    let csv = get(&format!("/api/export/assets?format=csv&ward={ward}")).await;
    assert_eq!(csv.header("content-type"), "text/csv; charset=utf-8");
    let text = String::from_utf8(csv.bytes.clone()).unwrap();
    let header = text.lines().next().unwrap();
    assert!(
        header.starts_with("id,category,") && header.ends_with(",lon,lat,easting,northing"),
        "{header}"
    );
    let expected = d.assets.iter().filter(|a| a.ward == Some(5)).count();
    assert_eq!(text.lines().count(), expected + 1);

    let gpkg = get("/api/export/all?format=gpkg&council=X06000001&category=food_bank").await;
    assert_eq!(gpkg.status, StatusCode::OK);
    assert_eq!(&gpkg.bytes[..16], b"SQLite format 3\0");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("all.gpkg");
    std::fs::write(&path, &gpkg.bytes).unwrap();
    let db = rusqlite::Connection::open(&path).unwrap();
    let count = |table: &str| -> i64 {
        db.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(
        count("assets") as usize,
        d.assets
            .iter()
            .filter(|a| a.category == "food_bank" && a.ward.is_some())
            .count()
    );
    assert_eq!(count("wards"), 20);
    assert_eq!(count("small_areas"), 116);
    let srs: i64 = db
        .query_row(
            "SELECT srs_id FROM gpkg_geometry_columns WHERE table_name = 'wards'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(srs, 27700);
    let app_id: i64 = db
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .unwrap();
    assert_eq!(app_id, 0x4750_4B47);
    let hash: String = db
        .query_row(
            "SELECT value FROM dataset_provenance WHERE key = 'content_hash_sha256'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(hash, d.info.content_hash);
}

#[tokio::test]
async fn the_openapi_document_describes_every_route() {
    let a = get("/api").await;
    assert_eq!(
        a.header("content-type"),
        "application/vnd.oai.openapi+json;version=3.0"
    );
    let doc = a.json();
    assert_eq!(doc["openapi"], "3.0.3");
    for route in ROUTES {
        assert!(
            doc["paths"].get(route).is_some(),
            "{route} is in the OpenAPI document"
        );
    }
    assert_eq!(doc["paths"].as_object().unwrap().len(), ROUTES.len());
    let nearby: Vec<&str> = doc["paths"]["/api/nearby"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        nearby,
        [
            "lon", "lat", "postcode", "category", "limit", "radius_m", "open", "at"
        ]
    );
}

/// Both OpenAPI documents (the service's and the ORUK feed's, which are
/// written by hand) are valid OpenAPI 3.0 to an independent validator.
#[tokio::test]
async fn the_openapi_documents_are_valid_to_an_independent_validator() {
    for path in ["/api", "/oruk/openapi.json"] {
        let a = get(path).await;
        assert_eq!(a.status, StatusCode::OK, "{path}");
        let doc = a.json();
        let Some(problems) = common::openapi_problems(&doc) else {
            return;
        };
        assert!(problems.is_empty(), "{path}:\n{problems}");
    }
    // The validator finds what is wrong (a response with no description).
    let mut broken = get("/api").await.json();
    broken["paths"]["/health"]["get"]["responses"]["200"]
        .as_object_mut()
        .unwrap()
        .remove("description");
    let problems = common::openapi_problems(&broken).unwrap();
    assert!(problems.contains("/health/get/responses/200"), "{problems}");
}

/// Bad requests: each gets the right status and a message naming the parameter
/// and what is allowed, in the OGC exception shape.
#[tokio::test]
async fn bad_requests_get_precise_client_errors() {
    let long = "9".repeat(2000);
    let cases: Vec<(String, u16, &str)> = vec![
        ("/api/nearby".into(), 400, "give lon and lat"),
        (
            "/api/nearby?lon=abc&lat=52.4".into(),
            400,
            "lon must be a number between -180 and 180",
        ),
        (
            "/api/nearby?lon=NaN&lat=52.4".into(),
            400,
            "lon must be a number",
        ),
        (
            "/api/nearby?lon=inf&lat=52.4".into(),
            400,
            "lon must be a number",
        ),
        (
            "/api/nearby?lon=2&lat=91".into(),
            400,
            "lat must be between -90 and 90",
        ),
        (
            "/api/nearby?lon=200&lat=52".into(),
            400,
            "lon must be between -180 and 180",
        ),
        ("/api/nearby?lon=2".into(), 400, "lat is missing"),
        (
            "/api/nearby?postcode=ZZ1+0AA&open=later".into(),
            400,
            "open must be now or today (got \"later\")",
        ),
        (
            "/api/nearby?postcode=ZZ1+0AA&at=noon".into(),
            400,
            "at \"noon\" is not a time such as 2026-12-05T18:00",
        ),
        (
            format!("/api/nearby?postcode=ZZ1+0AA&at={}", "2".repeat(41)),
            400,
            "at is longer than 40 characters",
        ),
        (
            "/api/nearby?postcode=ZZ1+0AA&at=0100-01-01T00:00".into(),
            400,
            "outside the years 1900 to 2199",
        ),
        ("/print".into(), 400, "give a postcode (or lon and lat)"),
        ("/print?postcode=12345".into(), 400, "is not a UK postcode"),
        (
            "/print?postcode=ZZ1+0AA&at=soon".into(),
            400,
            "is not a date and time",
        ),
        (
            format!("/print?postcode=ZZ1+0AA&category={}", "x".repeat(3000)),
            400,
            "longer than 2048",
        ),
        (
            "/api/nearby?lon=2&lat=52.4&postcode=ZZ1+1AA".into(),
            400,
            "not both",
        ),
        (
            "/api/nearby?lon=-40&lat=10".into(),
            400,
            "outside Great Britain",
        ),
        (
            "/api/nearby?postcode=NOTAPOSTCODE".into(),
            400,
            "is not a valid UK postcode",
        ),
        (
            "/api/nearby?postcode=ZZ9+9ZZ".into(),
            404,
            "ZZ9 9ZZ is not in this dataset's postcode list",
        ),
        (
            "/api/nearby?lon=2&lat=52.4&limit=0".into(),
            400,
            "limit must be a whole number from 1 to 100",
        ),
        (
            "/api/nearby?lon=2&lat=52.4&limit=101".into(),
            400,
            "limit must be a whole number from 1 to 100",
        ),
        (
            "/api/nearby?lon=2&lat=52.4&limit=-1".into(),
            400,
            "limit must be a whole number",
        ),
        (
            "/api/nearby?lon=2&lat=52.4&radius_m=20001".into(),
            400,
            "radius_m must be between 1 and 20000",
        ),
        (
            "/api/nearby?lon=2&lat=52.4&category=spaceport".into(),
            400,
            "unknown category \"spaceport\"",
        ),
        (
            "/api/nearby?lon=2&lat=52.4&lon=3".into(),
            400,
            "parameter lon is given more than once",
        ),
        (
            "/api/nearby?lon=2&lat=52.4&colour=red".into(),
            400,
            "unknown parameter \"colour\"",
        ),
        (
            format!("/api/nearby?lon={long}&lat=52.4"),
            400,
            "parameter lon is longer than 1024 bytes",
        ),
        (
            "/api/nearby?lon=%FF%FE&lat=52.4".into(),
            400,
            "parameter lon is not valid UTF-8",
        ),
        ("/api/wards/NOPE".into(), 404, "no ward with code NOPE"),
        (
            "/api/wards?council=E99".into(),
            400,
            "council \"E99\" has no wards",
        ),
        (
            "/api/small-areas/X01".into(),
            404,
            "no small area with code X01",
        ),
        (
            "/api/wards/%3Cscript%3E".into(),
            400,
            "an area code is at most 32",
        ),
        ("/collections/parks".into(), 404, "no collection \"parks\""),
        (
            "/collections/parks/items".into(),
            404,
            "no collection \"parks\"",
        ),
        (
            "/collections/assets/items/nope".into(),
            404,
            "no feature \"nope\" in assets",
        ),
        (
            "/collections/assets/items?limit=0".into(),
            400,
            "limit must be a whole number of at least 1",
        ),
        (
            "/collections/assets/items?limit=-3".into(),
            400,
            "limit must be a whole number of at least 1",
        ),
        (
            "/collections/assets/items?offset=-5".into(),
            400,
            "offset must be a whole number from 0 to",
        ),
        (
            "/collections/assets/items?bbox=3,52,1,53".into(),
            400,
            "bbox is inverted",
        ),
        (
            "/collections/assets/items?bbox=1,2,3".into(),
            400,
            "bbox must be 4 numbers",
        ),
        (
            "/collections/assets/items?bbox=-1000,-1000,1000,1000".into(),
            400,
            "bbox must be between -180 and 180",
        ),
        (
            "/collections/assets/items?bbox=0,0,1e9,1e9&bbox-crs=EPSG:27700".into(),
            400,
            "bbox must be between 0 and 700000",
        ),
        (
            "/collections/assets/items?bbox=a,b,c,d".into(),
            400,
            "bbox must be a number",
        ),
        (
            "/collections/assets/items?bbox-crs=EPSG:27700".into(),
            400,
            "bbox-crs is given without bbox",
        ),
        (
            "/collections/assets/items?crs=EPSG:2157".into(),
            400,
            "crs \"EPSG:2157\" is not offered",
        ),
        (
            "/collections/assets/items?crs=wgs84".into(),
            400,
            "crs \"wgs84\" is not offered",
        ),
        (
            "/collections/assets/items?properties=name,colour".into(),
            400,
            "\"colour\" is not a property of assets",
        ),
        (
            "/collections/assets/items?f=xml".into(),
            400,
            "f=\"xml\" is not offered; use f=json or f=html",
        ),
        (
            "/collections/wards/items?category=gp".into(),
            400,
            "unknown parameter \"category\"",
        ),
        (
            "/api/export/assets?format=shp".into(),
            400,
            "format \"shp\" is not offered",
        ),
        (
            "/api/export/all?format=csv".into(),
            400,
            "needs format gpkg",
        ),
        ("/api/export/parks".into(), 404, "no collection \"parks\""),
        (
            "/api/export/assets?bbox=1,2".into(),
            400,
            "bbox \"1,2\" must be min_lon,min_lat,max_lon,max_lat",
        ),
        (
            "/api/export/assets?ward=E05999999".into(),
            400,
            "ward \"E05999999\" is not in this dataset",
        ),
        ("/api/categories?x=1".into(), 400, "unknown parameter \"x\""),
        ("/nothing".into(), 404, "no resource at /nothing"),
    ];
    for (uri, status, message) in &cases {
        let a = get(uri).await;
        assert_eq!(
            a.status.as_u16(),
            *status,
            "{uri}: {}",
            String::from_utf8_lossy(&a.bytes)
        );
        let body = a.json();
        let description = body["description"].as_str().unwrap_or_default();
        assert!(
            description.contains(message),
            "{uri}: {description:?} should contain {message:?}"
        );
        assert!(body["code"].is_string(), "{uri}: OGC exception shape");
    }
    // The tile route has its own router (it skips the compression layer):
    // the same answer there.
    for uri in ["/api/nearby", "/tiles/all/1/0/0.mvt"] {
        let post = call("POST", uri).await;
        assert_eq!(post.status, StatusCode::METHOD_NOT_ALLOWED, "{uri}");
        assert!(
            post.json()["description"]
                .as_str()
                .unwrap()
                .contains("only /collections/assets/items takes writes"),
            "{uri}"
        );
    }
}

#[tokio::test]
async fn an_oversized_body_is_refused() {
    let app = router(AppState::new(dataset()));
    let body = vec![b'x'; assetmap::http::MAX_BODY_BYTES + 1];
    let request = Request::builder()
        .method("GET")
        .uri("/api/categories")
        .header("content-length", body.len())
        .body(Body::from(body))
        .unwrap();
    let response = app.oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[test]
fn the_export_command_writes_filtered_files() {
    let dir = tempfile::tempdir().unwrap();
    let binary = env!("CARGO_BIN_EXE_assetmap");
    let out = dir.path().join("gp.csv");
    let status = std::process::Command::new(binary)
        .args([
            "export",
            "--collection",
            "assets",
            "--format",
            "csv",
            "--category",
            "gp",
            "--output",
        ])
        .arg(&out)
        .env_remove("ASSETMAP_MANIFEST")
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(text.lines().count(), dataset().category_counts()["gp"] + 1);
    assert!(text.lines().skip(1).all(|l| l.contains(",gp,")));
    let bad = std::process::Command::new(binary)
        .args(["export", "--collection", "parks", "--output"])
        .arg(dir.path().join("x"))
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("no collection \"parks\""));
}

async fn post(uri: &str, body: &str) -> Answer {
    send("POST", uri, Body::from(body.to_string())).await
}

#[tokio::test]
async fn gaps_per_ward_carry_figures_and_provenance() {
    let body = get("/api/gaps?category=gp&coverage_m=900&catchment_m=2000&decay=steps")
        .await
        .json();
    assert_eq!(body["count"], 20);
    let p = &body["provenance"];
    assert_eq!(p["parameters"]["coverage_m"], 900.0);
    assert_eq!(p["parameters"]["catchment_m"], 2000.0);
    assert_eq!(p["parameters"]["decay"], "steps");
    assert_eq!(p["vintages"]["deprivation"], "IoD2025-like (fictional)");
    assert_eq!(
        p["dataset"]["content_hash"],
        dataset().info.content_hash.as_str()
    );
    assert_eq!(p["result_hash"].as_str().unwrap().len(), 64);
    let wards = body["wards"].as_array().unwrap();
    assert!(
        wards.iter().any(|w| w["underserved"] == true),
        "the demo's docks are underserved for GPs"
    );
    for w in wards {
        let gap = w["gap"].as_f64().unwrap();
        assert!((gap - (w["need"].as_f64().unwrap() - w["access"].as_f64().unwrap())).abs() < 1e-5);
        assert_eq!(w["underserved"].as_bool().unwrap(), gap >= 0.5);
        let coverage = w["coverage"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&coverage));
    }
    let geo = get("/api/gaps?category=gp&format=geojson").await;
    assert_eq!(geo.header("content-type"), "application/geo+json");
    let geo = geo.json();
    assert_eq!(geo["features"].as_array().unwrap().len(), 20);
    assert_eq!(geo["features"][0]["geometry"]["type"], "MultiPolygon");
    let small = get("/api/gaps/small-areas?category=food_bank").await.json();
    assert_eq!(small["small_areas"].as_array().unwrap().len(), 116);
    // The same request twice gives the same result hash (and comes from the cache).
    let again = get("/api/gaps?category=gp&coverage_m=900&catchment_m=2000&decay=steps")
        .await
        .json();
    assert_eq!(again["provenance"]["result_hash"], p["result_hash"]);
}

#[tokio::test]
async fn suggestions_and_scenarios_answer_planners() {
    let body = get("/api/gaps/suggest?category=gp&n=3").await.json();
    let list = body["suggestions"].as_array().unwrap();
    assert_eq!(list.len(), 3);
    let gains: Vec<f64> = list
        .iter()
        .map(|s| s["weighted_gain"].as_f64().unwrap())
        .collect();
    assert!(
        gains.windows(2).all(|w| w[0] >= w[1]),
        "greedy gains do not grow: {gains:?}"
    );
    assert!(list[0]["newly_covered_population"].as_f64().unwrap() > 0.0);
    assert!(list[0]["lon"].is_number() && !list[0]["wards"].as_array().unwrap().is_empty());

    let site = &list[0];
    let scenario = format!(
        r#"{{"category":"gp","add":[{{"lon":{},"lat":{}}}],"remove":["gp:Z81001"]}}"#,
        site["lon"], site["lat"]
    );
    let a = post("/api/gaps/scenario", &scenario).await;
    assert_eq!(
        a.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&a.bytes)
    );
    let body = a.json();
    assert!(body["wards_changed"].as_u64().unwrap() >= 1);
    let helped = body["wards"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["code"] == site["wards"][0])
        .unwrap();
    assert!(helped["coverage"][2].as_f64().unwrap() > 0.0, "{helped}");
    assert_eq!(
        dataset().assets.len(),
        dataset().asset_by_id.len(),
        "the dataset is untouched"
    );
}

#[tokio::test]
async fn bad_gap_requests_get_precise_client_errors() {
    let cases: [(&str, u16, &str); 9] = [
        ("/api/gaps", 400, "category is required"),
        (
            "/api/gaps?category=spaceport",
            400,
            "unknown category \"spaceport\"",
        ),
        (
            "/api/gaps?category=gp&coverage_m=50",
            400,
            "coverage_m must be between 100 and 10000",
        ),
        (
            "/api/gaps?category=gp&catchment_m=10001",
            400,
            "catchment_m must be between 100 and 10000",
        ),
        (
            "/api/gaps?category=gp&catchment_m=NaN",
            400,
            "catchment_m must be a number",
        ),
        (
            "/api/gaps?category=gp&decay=linear",
            400,
            "decay \"linear\" is not offered",
        ),
        (
            "/api/gaps?category=gp&council=E99",
            400,
            "council \"E99\" has no wards",
        ),
        (
            "/api/gaps?category=gp&format=shp",
            400,
            "format \"shp\" is not offered",
        ),
        (
            "/api/gaps/suggest?category=gp&n=51",
            400,
            "n must be a whole number from 1 to 50",
        ),
    ];
    for (uri, status, message) in cases {
        let a = get(uri).await;
        assert_eq!(a.status.as_u16(), status, "{uri}");
        assert!(
            a.json()["description"].as_str().unwrap().contains(message),
            "{uri}: {}",
            a.json()["description"]
        );
    }
    let bodies: [(&str, &str); 6] = [
        ("not json", "the body must be JSON"),
        (
            r#"{"category":"gp","add":[{"lon":1.9}]}"#,
            "add[0] needs lon and lat, or easting and northing",
        ),
        (
            r#"{"category":"gp","add":[{"lon":101,"lat":100}]}"#,
            "latitude 100 is outside -90..90",
        ),
        (
            r#"{"category":"gp","remove":["gp:NOPE"]}"#,
            "no asset with id \"gp:NOPE\"",
        ),
        (
            r#"{"category":"gp","remove":["pharmacy:ZA100"]}"#,
            "is a pharmacy, not a gp",
        ),
        (
            r#"{"category":"gp","colour":"red"}"#,
            "unknown field `colour`",
        ),
    ];
    for (body, message) in bodies {
        let a = post("/api/gaps/scenario", body).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{body}");
        assert!(
            a.json()["description"].as_str().unwrap().contains(message),
            "{body}: {}",
            a.json()["description"]
        );
    }
    let many: Vec<String> = (0..201)
        .map(|_| r#"{"lon":1.99,"lat":52.39}"#.to_string())
        .collect();
    let a = post(
        "/api/gaps/scenario",
        &format!(r#"{{"category":"gp","add":[{}]}}"#, many.join(",")),
    )
    .await;
    assert!(
        a.json()["description"]
            .as_str()
            .unwrap()
            .contains("at most 200")
    );
}

#[tokio::test]
async fn every_ward_has_a_label_point_inside_it_and_a_bbox_around_it() {
    use geo::Contains;
    let d = dataset();
    let a = get("/api/wards").await;
    assert_eq!(a.status, StatusCode::OK);
    let wards = a.json()["wards"].as_array().unwrap().clone();
    assert_eq!(wards.len(), d.wards.len());
    for w in &wards {
        let code = w["code"].as_str().unwrap();
        let ward = &d.wards[d.ward_by_code[code]];
        let p = w["label_point"].as_array().unwrap();
        let point = geo::Point::new(p[0].as_f64().unwrap(), p[1].as_f64().unwrap());
        assert!(
            ward.lonlat.contains(&point),
            "{code}'s label point {point:?} is outside it"
        );
        let b: Vec<f64> = w["bbox"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        assert!(b[0] <= point.x() && point.x() <= b[2] && b[1] <= point.y() && point.y() <= b[3]);
    }
}

#[tokio::test]
async fn gap_results_download_as_csv_and_geopackage() {
    let csv = get("/api/gaps?category=gp&coverage_m=1200&format=csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(csv.header("content-type"), "text/csv; charset=utf-8");
    assert!(
        csv.header("content-disposition")
            .starts_with("attachment; filename=\"ward-gaps-gp-")
    );
    let text = String::from_utf8(csv.bytes.clone()).unwrap();
    // The first line is the header (desktop GIS reads it as the field names);
    // every row carries the parameters and hashes that made it.
    let mut reader = ::csv::Reader::from_reader(text.as_bytes());
    let header = reader.headers().unwrap().clone();
    assert_eq!(&header[0], "code");
    assert!(text.starts_with("code,name,council_code,considered,population"));
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<::csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 20, "20 wards");
    for row in &rows {
        assert_eq!(&row[at("analysis_category")], "gp");
        assert_eq!(&row[at("analysis_coverage_m")], "1200");
        assert_eq!(&row[at("analysis_catchment_m")], "1600");
        assert_eq!(&row[at("analysis_decay")], "none");
        assert_eq!(row[at("result_hash")].len(), 64);
    }

    let gpkg = get("/api/gaps/small-areas?category=library&format=gpkg").await;
    assert_eq!(gpkg.status, StatusCode::OK);
    assert_eq!(
        gpkg.header("content-type"),
        "application/geopackage+sqlite3"
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gaps.gpkg");
    std::fs::write(&path, &gpkg.bytes).unwrap();
    let db = rusqlite::Connection::open(&path).unwrap();
    let n: i64 = db
        .query_row("SELECT count(*) FROM small_area_gaps", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 116);
    let covered: i64 = db
        .query_row(
            "SELECT count(*) FROM small_area_gaps WHERE covered = 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let json = get("/api/gaps/small-areas?category=library").await.json();
    let expected = json["small_areas"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["covered"] == true)
        .count();
    assert_eq!(covered as usize, expected);
    let params: String = db
        .query_row(
            "SELECT value FROM analysis_provenance WHERE key = 'parameters'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(params.contains("\"category\":\"library\""), "{params}");
    let srs: i64 = db
        .query_row(
            "SELECT srs_id FROM gpkg_geometry_columns WHERE table_name = 'small_area_gaps'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(srs, 27700);

    let bad = get("/api/gaps?category=gp&format=shp").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(
        bad.json()["description"]
            .as_str()
            .unwrap()
            .contains("json, geojson, csv or gpkg")
    );
}

#[tokio::test]
async fn a_limit_above_the_maximum_is_capped_and_the_links_carry_the_cap() {
    let r = get("/collections/assets/items?limit=20000&category=gp").await;
    assert_eq!(r.status, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_slice(&r.bytes).unwrap();
    let links = v["links"].as_array().unwrap();
    let own = links.iter().find(|l| l["rel"] == "self").unwrap()["href"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(own.contains("limit=10000"), "{own}");
    assert!(!own.contains("20000"), "{own}");
    let huge = get("/collections/assets/items?limit=99999999999999999999999").await;
    assert_eq!(huge.status, StatusCode::OK);
}

#[tokio::test]
async fn items_filter_with_cql2_text_and_json_and_sort() {
    let count = |body: &[u8]| -> (u64, Vec<serde_json::Value>) {
        let v: serde_json::Value = serde_json::from_slice(body).unwrap();
        (
            v["numberMatched"].as_u64().unwrap(),
            v["features"].as_array().unwrap().clone(),
        )
    };
    let enc = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    // category='gp' on the server matches the category parameter.
    let by_param = get("/collections/assets/items?category=gp&limit=1").await;
    let (gp_total, _) = count(&by_param.bytes);
    assert!(gp_total > 5);
    let r = get(&format!(
        "/collections/assets/items?limit=1&filter={}",
        enc("category='gp'")
    ))
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(count(&r.bytes).0, gp_total);
    // The same filter in CQL2-JSON.
    let json = r#"{"op":"=","args":[{"property":"category"},"gp"]}"#;
    let r = get(&format!(
        "/collections/assets/items?limit=1&filter-lang=cql2-json&filter={}",
        enc(json)
    ))
    .await;
    assert_eq!(count(&r.bytes).0, gp_total);
    // NOT, OR, IN, LIKE, IS NULL.
    let r = get(&format!(
        "/collections/assets/items?limit=1&filter={}",
        enc("NOT category = 'gp'")
    ))
    .await;
    let (not_gp, _) = count(&r.bytes);
    let all = count(&get("/collections/assets/items?limit=1").await.bytes).0;
    assert_eq!(not_gp + gp_total, all);
    let r = get(&format!(
        "/collections/assets/items?limit=1&filter={}",
        enc("category IN ('gp', 'pharmacy') AND name LIKE '%SURGERY%'")
    ))
    .await;
    let (surgeries, _) = count(&r.bytes);
    assert!(surgeries > 0 && surgeries < gp_total, "{surgeries}");
    // A box in the grid (filter-crs) holds fewer assets than the town.
    let r = get(&format!(
        "/collections/assets/items?limit=1&filter-crs={}&filter={}",
        enc("http://www.opengis.net/def/crs/EPSG/0/27700"),
        enc("S_INTERSECTS(geometry, BBOX(669000, 282000, 671000, 285000))")
    ))
    .await;
    let (boxed, _) = count(&r.bytes);
    assert!(boxed > 0 && boxed < all, "{boxed} of {all}");
    // Wards sorted by IMD score, highest first.
    let r = get("/collections/wards/items?sortby=-imd_score&limit=3").await;
    let (_, features) = count(&r.bytes);
    let scores: Vec<f64> = features
        .iter()
        .map(|f| f["properties"]["imd_score"].as_f64().unwrap())
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    let r = get("/collections/wards/items?sortby=%2Bname&limit=100").await;
    let (_, features) = count(&r.bytes);
    let names: Vec<String> = features
        .iter()
        .map(|f| f["properties"]["name"].as_str().unwrap().to_string())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    // Bad filters: a 400 that says where.
    for (filter, message) in [
        ("name = ", "at character 8: expected a value"),
        ("colour = 'red'", "\"colour\" is not a property"),
        ("imd_score = 'x'", "is text, but the property is a number"),
    ] {
        let r = get(&format!("/collections/wards/items?filter={}", enc(filter))).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{filter}");
        let v: serde_json::Value = serde_json::from_slice(&r.bytes).unwrap();
        let body = v["description"].as_str().unwrap();
        assert!(body.contains(message), "{filter}: {body}");
    }
    let r = get("/collections/wards/items?filter-lang=cql2-text").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = get("/collections/wards/items?sortby=colour").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // Queryables list every property with its type, and the geometry.
    let q: serde_json::Value =
        serde_json::from_slice(&get("/collections/wards/queryables").await.bytes).unwrap();
    assert_eq!(q["properties"]["imd_score"]["type"], "number");
    assert_eq!(q["properties"]["name"]["type"], "string");
    assert!(q["properties"]["geometry"].is_object());
    let conf: serde_json::Value = serde_json::from_slice(&get("/conformance").await.bytes).unwrap();
    let classes: Vec<&str> = conf["conformsTo"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    for c in [
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
        "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
        "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    ] {
        assert!(classes.contains(&c), "{c}");
    }
}

#[tokio::test]
async fn collections_and_items_browse_as_html_pages() {
    let html = |uri: &'static str| async move {
        let r = get(uri).await;
        assert_eq!(r.status, StatusCode::OK, "{uri}");
        assert!(r.header("content-type").starts_with("text/html"), "{uri}");
        assert!(
            r.header("content-security-policy")
                .contains("script-src 'self'"),
            "{uri}"
        );
        String::from_utf8(r.bytes.clone()).unwrap()
    };
    let list = html("/collections?f=html").await;
    assert!(
        list.contains("<a href=\"/collections/wards/items?f=html\">browse</a>"),
        "{list}"
    );
    let about = html("/collections/wards?f=html").await;
    assert!(about.contains("<code>imd_score</code>"), "{about}");
    let page = html("/collections/wards/items?f=html&limit=5&offset=5").await;
    assert!(page.contains("Electoral wards 6–10 of 20"), "{page}");
    assert!(
        page.contains("rel=\"prev\" href=\"/collections/wards/items?f=html&amp;limit=5\""),
        "{page}"
    );
    assert!(
        page.contains(
            "rel=\"next\" href=\"/collections/wards/items?f=html&amp;limit=5&amp;offset=10\""
        ),
        "{page}"
    );
    assert!(
        page.contains("<svg viewBox") && page.contains("<path d=\"M"),
        "a small map"
    );
    assert_eq!(page.matches("<tr><th scope=\"row\">").count(), 5);
    // Filters carry through the paging links.
    let gps = html("/collections/assets/items?f=html&category=gp&limit=2").await;
    assert!(gps.contains("category=gp"), "{gps}");
    let one = html("/collections/wards/items/X05000001?f=html").await;
    assert!(one.contains("<h1>Saltmarsh</h1>"), "{one}");
    assert!(one.contains("<circle") || one.contains("<path"), "{one}");
    // Without f, JSON stays the default for API clients.
    let r = get("/collections/wards/items?limit=1").await;
    assert_eq!(r.header("content-type"), "application/geo+json");
    assert_eq!(
        r.header("vary"),
        "Accept",
        "caches keep HTML and JSON apart"
    );
    let conf = String::from_utf8(get("/conformance").await.bytes).unwrap();
    assert!(conf.contains("ogcapi-features-1/1.0/conf/html"));
}

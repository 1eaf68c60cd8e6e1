//! The officers' write API over HTTP (OGC API - Features Part 4): who may
//! call each route, ETags and If-Match, validation, and that every reader
//! sees each change at once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use assetmap::catalog::auth;
use assetmap::catalog::store::Role;
use assetmap::http::{AppState, router};
use assetmap::ingest::Quiet;
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

struct App {
    state: AppState,
    router: Router,
    editor: String,
    admin: String,
}

fn app() -> App {
    let d = Arc::new(assetmap::demo::load(&Quiet).unwrap().dataset);
    let state = AppState::new(d);
    let (e, editor) = auth::new_token("editor-bot", Role::Editor).unwrap();
    let (a, admin) = auth::new_token("admin-bot", Role::Admin).unwrap();
    state
        .catalog
        .with_store(|s| {
            s.put_token(&e)?;
            s.put_token(&a)
        })
        .unwrap();
    App {
        router: router(state.clone()),
        state,
        editor: format!("Bearer {editor}"),
        admin: format!("Bearer {admin}"),
    }
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
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }
}

async fn call(
    app: &App,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: impl Into<Body>,
) -> Answer {
    let mut request = Request::builder()
        .method(method)
        .uri(uri)
        .header("host", "example.test");
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let response = app
        .router
        .clone()
        .oneshot(request.body(body.into()).unwrap())
        .await
        .unwrap();
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

async fn get(app: &App, uri: &str) -> Answer {
    call(app, "GET", uri, &[], Body::empty()).await
}

const GEOJSON: (&str, &str) = ("content-type", "application/geo+json");

fn feature(lon: f64, lat: f64, props: Value) -> String {
    json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": props}).to_string()
}

/// A point inside the demo's first ward.
fn inside(app: &App) -> (f64, f64) {
    let d = app.state.dataset();
    let p = d.wards[0].label_point.unwrap();
    (p.x, p.y)
}

#[tokio::test]
async fn every_write_route_answers_401_without_credentials_and_403_for_the_wrong_role() {
    let app = app();
    let id = app.state.dataset().assets[0].id.clone();
    let item = format!("/collections/assets/items/{id}");
    let (lon, lat) = inside(&app);
    let body = feature(lon, lat, json!({"category": "gp", "name": "X"}));
    let routes: Vec<(&str, &str)> = vec![
        ("POST", "/collections/assets/items"),
        ("PUT", &item),
        ("PATCH", &item),
        ("DELETE", &item),
        ("POST", "/api/sync"),
    ];
    for (method, uri) in &routes {
        let none = call(
            &app,
            method,
            uri,
            &[GEOJSON, ("if-match", "\"r1\"")],
            body.clone(),
        )
        .await;
        assert_eq!(
            none.status,
            StatusCode::UNAUTHORIZED,
            "{method} {uri}: {}",
            none.text()
        );
        assert!(
            none.header("www-authenticate").starts_with("Bearer"),
            "{method} {uri}"
        );
        let bad = call(&app, method, uri, &[GEOJSON, ("authorization", "Bearer amt_000000000000_0000000000000000000000000000000000000000000000000000000000000000")], body.clone()).await;
        assert_eq!(
            bad.status,
            StatusCode::UNAUTHORIZED,
            "{method} {uri}: a made-up token"
        );
        let basic = call(
            &app,
            method,
            uri,
            &[GEOJSON, ("authorization", "Basic YTpi")],
            body.clone(),
        )
        .await;
        assert_eq!(
            basic.status,
            StatusCode::UNAUTHORIZED,
            "{method} {uri}: not a bearer token"
        );
        let stranger = call(
            &app,
            method,
            uri,
            &[
                GEOJSON,
                ("cookie", &format!("assetmap_session={}", "0".repeat(64))),
            ],
            body.clone(),
        )
        .await;
        assert_eq!(
            stranger.status,
            StatusCode::UNAUTHORIZED,
            "{method} {uri}: an unknown session"
        );
    }
    // The wrong role: editors cannot run a sync.
    let editor = call(
        &app,
        "POST",
        "/api/sync",
        &[("authorization", &app.editor)],
        Body::empty(),
    )
    .await;
    assert_eq!(editor.status, StatusCode::FORBIDDEN);
    assert!(
        editor.json()["description"]
            .as_str()
            .unwrap()
            .contains("admin role")
    );
    let admin = call(
        &app,
        "POST",
        "/api/sync",
        &[("authorization", &app.admin)],
        Body::empty(),
    )
    .await;
    assert_eq!(
        admin.status,
        StatusCode::CONFLICT,
        "admins get past the check; the demo has no manifest"
    );
    // A signed-in session without its CSRF token is refused on every asset route.
    let user = auth::new_user("alice", Role::Editor, "a long enough password").unwrap();
    let (session, cookie) = auth::new_session(&user);
    app.state
        .catalog
        .with_store(|s| s.put_session(&session))
        .unwrap();
    let cookie = format!("assetmap_session={cookie}");
    for (method, uri) in &routes[..4] {
        let a = call(
            &app,
            method,
            uri,
            &[GEOJSON, ("if-match", "\"r1\""), ("cookie", &cookie)],
            body.clone(),
        )
        .await;
        assert_eq!(
            a.status,
            StatusCode::FORBIDDEN,
            "{method} {uri}: {}",
            a.text()
        );
        assert!(a.text().contains("CSRF"));
    }
    // Read-only collections refuse writes even with credentials.
    let wards = call(
        &app,
        "POST",
        "/collections/wards/items",
        &[GEOJSON, ("authorization", &app.admin)],
        body.clone(),
    )
    .await;
    assert_eq!(wards.status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn create_replace_update_and_retire_follow_part_4_with_etags() {
    let app = app();
    let auth = ("authorization", app.editor.as_str());
    let (lon, lat) = inside(&app);
    let created = call(&app, "POST", "/collections/assets/items", &[GEOJSON, auth, ("x-change-reason", "told at the ward forum")],
        feature(lon, lat, json!({"category": "food_bank", "name": "  Church Street pantry ", "phone": "020 7946 0000", "website": "https://pantry.example.org"}))).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    assert_eq!(created.header("etag"), "\"r1\"");
    let location = created.header("location").to_string();
    let id = created.json()["id"].as_str().unwrap().to_string();
    assert!(location.ends_with(&format!("/collections/assets/items/{id}")));
    let body = created.json();
    assert_eq!(
        body["properties"]["name"], "Church Street pantry",
        "text is trimmed"
    );
    assert_eq!(body["properties"]["source"], "local");
    assert_eq!(body["properties"]["status"], "active");
    let item = format!("/collections/assets/items/{id}");
    let got = get(&app, &item).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.header("etag"), "\"r1\"");

    // No If-Match: 428. A stale one: 412. The right one: 200 and a new ETag.
    let patch = json!({"properties": {"opening_hours": "Fri 10:00-12:00"}}).to_string();
    let merge = ("content-type", "application/merge-patch+json");
    let a = call(&app, "PATCH", &item, &[merge, auth], patch.clone()).await;
    assert_eq!(a.status, StatusCode::PRECONDITION_REQUIRED);
    let a = call(
        &app,
        "PATCH",
        &item,
        &[merge, auth, ("if-match", "W/\"r1\"")],
        patch.clone(),
    )
    .await;
    assert_eq!(
        a.status,
        StatusCode::PRECONDITION_FAILED,
        "weak ETags never match"
    );
    let a = call(
        &app,
        "PATCH",
        &item,
        &[merge, auth, ("if-match", "\"r1\"")],
        patch.clone(),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    assert_eq!(a.header("etag"), "\"r2\"");
    assert_eq!(a.json()["properties"]["opening_hours"], "Fri 10:00-12:00");
    assert_eq!(
        a.json()["properties"]["phone"],
        "020 7946 0000",
        "a merge patch keeps what it does not name"
    );
    let stale = call(
        &app,
        "PATCH",
        &item,
        &[merge, auth, ("if-match", "\"r1\"")],
        patch.clone(),
    )
    .await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    assert!(
        stale.json()["description"]
            .as_str()
            .unwrap()
            .contains("revision 2")
    );

    // PUT replaces: what it leaves out is cleared.
    let put = call(&app, "PUT", &item, &[GEOJSON, auth, ("if-match", "\"r2\"")],
        feature(lon, lat, json!({"category": "food_bank", "name": "Church Street pantry", "status": "temporarily_closed", "verified_at": "2026-11-30"}))).await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text());
    let p = &put.json()["properties"];
    assert_eq!(p["phone"], Value::Null);
    assert_eq!(p["status"], "temporarily_closed");
    assert_eq!(p["verified_at"], "2026-11-30");

    // DELETE retires.
    let del = call(
        &app,
        "DELETE",
        &item,
        &[
            auth,
            ("if-match", "\"r3\""),
            ("x-change-reason", "the church hall closed"),
        ],
        Body::empty(),
    )
    .await;
    assert_eq!(del.status, StatusCode::NO_CONTENT);
    assert_eq!(del.header("etag"), "\"r4\"");
    let gone = get(&app, &item).await;
    assert_eq!(
        gone.status,
        StatusCode::GONE,
        "retired, with its history kept"
    );
    assert_eq!(gone.header("etag"), "\"r4\"");
    let again = call(
        &app,
        "DELETE",
        &item,
        &[auth, ("if-match", "\"r4\"")],
        Body::empty(),
    )
    .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "retired already");

    let h = get(&app, &format!("/api/assets/{id}/history")).await;
    assert_eq!(h.status, StatusCode::OK);
    assert_eq!(h.header("etag"), "\"r4\"");
    let h = h.json();
    let actions: Vec<&str> = h["revisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["create", "update", "update", "retire"]);
    assert_eq!(h["status"], "retired");
    assert_eq!(h["revisions"][0]["actor"], "token:editor-bot");
    assert_eq!(h["revisions"][0]["reason"], "told at the ward forum");
    assert_eq!(h["revisions"][3]["reason"], "the church hall closed");
    assert_eq!(
        h["revisions"][1]["changes"]["opening_hours"]["before"],
        Value::Null
    );
    assert_eq!(
        h["revisions"][2]["changes"]["phone"]["before"],
        "020 7946 0000"
    );
    assert_eq!(
        get(&app, "/api/assets/gp:nope/history").await.status,
        StatusCode::NOT_FOUND
    );

    // Restore with a patch that names the status.
    let back = call(
        &app,
        "PATCH",
        &item,
        &[merge, auth, ("if-match", "\"r4\"")],
        json!({"properties": {"status": "active"}}).to_string(),
    )
    .await;
    assert_eq!(back.status, StatusCode::OK, "{}", back.text());
    assert_eq!(get(&app, &item).await.status, StatusCode::OK);
    let conformance = get(&app, "/conformance").await.json();
    assert!(
        conformance["conformsTo"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c
                .as_str()
                .unwrap()
                .contains("ogcapi-features-4/1.0/conf/create-replace-delete"))
    );
}

#[tokio::test]
async fn bad_features_get_a_4xx_that_names_the_field() {
    let app = app();
    let auth = ("authorization", app.editor.as_str());
    let (lon, lat) = inside(&app);
    let cases: Vec<(String, StatusCode, &str)> = vec![
        (feature(lon, lat, json!({"category": "gp", "name": "A", "website": "javascript:alert(1)"})), StatusCode::UNPROCESSABLE_ENTITY, "website"),
        (feature(lon, lat, json!({"category": "gp", "name": "A", "email": "not-an-email"})), StatusCode::UNPROCESSABLE_ENTITY, "email"),
        (feature(lon, lat, json!({"category": "gp", "name": "A", "phone": "ring us"})), StatusCode::UNPROCESSABLE_ENTITY, "phone"),
        (feature(lon, lat, json!({"category": "spaceport", "name": "A"})), StatusCode::UNPROCESSABLE_ENTITY, "category"),
        (feature(lon, lat, json!({"category": "gp"})), StatusCode::UNPROCESSABLE_ENTITY, "name"),
        (feature(lon, lat, json!({"category": "gp", "name": "x".repeat(201)})), StatusCode::UNPROCESSABLE_ENTITY, "name"),
        (feature(lon, lat, json!({"category": "gp", "name": "A", "colour": "red"})), StatusCode::UNPROCESSABLE_ENTITY, "colour"),
        (feature(lon, lat, json!({"category": "gp", "name": "A", "postcode": "NOT A CODE"})), StatusCode::UNPROCESSABLE_ENTITY, "postcode"),
        (feature(lon, lat, json!({"category": "gp", "name": "A", "capacity": -1})), StatusCode::UNPROCESSABLE_ENTITY, "capacity"),
        (feature(lon, lat, json!({"category": "gp", "name": "A", "verified_at": "2026-13-01"})), StatusCode::UNPROCESSABLE_ENTITY, "verified_at"),
        (feature(lon, lat, json!({"category": "gp", "name": "A", "status": "retired"})), StatusCode::UNPROCESSABLE_ENTITY, "status"),
        (feature(-0.1276, 51.5072, json!({"category": "gp", "name": "In London"})), StatusCode::UNPROCESSABLE_ENTITY, "geometry"),
        (feature(lat, lon, json!({"category": "gp", "name": "Swapped"})), StatusCode::UNPROCESSABLE_ENTITY, "geometry"),
        (json!({"type": "Feature", "geometry": null, "properties": {"category": "gp", "name": "A"}}).to_string(), StatusCode::UNPROCESSABLE_ENTITY, "geometry"),
        ("{not json".to_string(), StatusCode::BAD_REQUEST, "not JSON"),
        (json!({"type": "FeatureCollection"}).to_string(), StatusCode::BAD_REQUEST, "Feature"),
    ];
    for (body, status, field) in cases {
        let a = call(
            &app,
            "POST",
            "/collections/assets/items",
            &[GEOJSON, auth],
            body.clone(),
        )
        .await;
        assert_eq!(a.status, status, "{body}: {}", a.text());
        assert!(
            a.json()["description"].as_str().unwrap().contains(field),
            "{body}: {} should name {field}",
            a.text()
        );
    }
    // Several fields wrong: every one listed, in the order of the schema.
    let several = call(
        &app,
        "POST",
        "/collections/assets/items",
        &[GEOJSON, auth],
        feature(lon, lat, json!({"category": "gp", "name": "A", "website": "javascript:alert(1)", "phone": "ring us", "capacity": -1})),
    )
    .await;
    assert_eq!(several.status, StatusCode::UNPROCESSABLE_ENTITY);
    let body = several.json();
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["phone", "website", "capacity"], "{body}");
    let wrong_type = call(
        &app,
        "POST",
        "/collections/assets/items",
        &[("content-type", "text/plain"), auth],
        feature(lon, lat, json!({"category": "gp", "name": "A"})),
    )
    .await;
    assert_eq!(wrong_type.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let big = feature(
        lon,
        lat,
        json!({"category": "gp", "name": "A", "address": "x".repeat(70_000)}),
    );
    let a = call(
        &app,
        "POST",
        "/collections/assets/items",
        &[GEOJSON, auth],
        big,
    )
    .await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE);
    // A known postcode places a feature without geometry; British National Grid works too.
    let d = app.state.dataset();
    let (pc, at) = d
        .postcodes
        .iter()
        .find(|(_, at)| d.ward_at(**at).is_some())
        .unwrap();
    let by_postcode = json!({"type": "Feature", "geometry": null, "properties": {"category": "gp", "name": "By postcode", "postcode": pc}}).to_string();
    let a = call(
        &app,
        "POST",
        "/collections/assets/items",
        &[GEOJSON, auth],
        by_postcode,
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text());
    let bng = json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [at.x, at.y]}, "properties": {"category": "gp", "name": "In BNG"}}).to_string();
    let a = call(
        &app,
        "POST",
        "/collections/assets/items",
        &[
            GEOJSON,
            auth,
            (
                "content-crs",
                "<http://www.opengis.net/def/crs/EPSG/0/27700>",
            ),
        ],
        bng,
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text());
    let id = a.json()["id"].as_str().unwrap().to_string();
    let row = app.state.catalog.row(&id).unwrap();
    assert!(
        (row.fields.easting_m - at.x).abs() < 1e-6 && (row.fields.northing_m - at.y).abs() < 1e-6
    );
    let unknown = call(
        &app,
        "PATCH",
        "/collections/assets/items/gp:nope",
        &[GEOJSON, auth, ("if-match", "\"r1\"")],
        "{}",
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

/// Everything a reader can see of one asset, as text to search.
async fn seen(app: &App, id: &str, name: &str, lonlat: (f64, f64)) -> [bool; 5] {
    let nearby = get(
        app,
        &format!("/api/nearby?lon={}&lat={}&limit=5", lonlat.0, lonlat.1),
    )
    .await
    .text();
    let item = get(app, &format!("/collections/assets/items/{id}")).await;
    let export = get(app, "/api/export/assets?format=csv").await.text();
    let z = 16;
    let m = assetmap::tiles::normalised_mercator(geo::Coord {
        x: lonlat.0,
        y: lonlat.1,
    });
    let t = assetmap::tiles::TileId::containing(z, m.x, m.y);
    let tile = get(app, &format!("/tiles/assets/{z}/{}/{}.mvt", t.x, t.y)).await;
    // The decoded tile (mapbox-vector-tile, independent of our encoder) has
    // the asset with its name; without the decoder, its id in the string table.
    let in_tile = match common::decode_tiles(&[(t, tile.bytes.clone())]) {
        Some(decoded) => decoded[0]["layers"]["assets"]["features"]
            .as_array()
            .is_some_and(|f| {
                f.iter()
                    .any(|f| f["properties"]["id"] == id && f["properties"]["name"] == name)
            }),
        None => tile.bytes.windows(id.len()).any(|w| w == id.as_bytes()),
    };
    let first = get(app, &format!("/?f=html&lon={}&lat={}", lonlat.0, lonlat.1))
        .await
        .text();
    [
        nearby.contains(name),
        item.status == StatusCode::OK && item.text().contains(name),
        export.contains(name),
        in_tile,
        first.contains(name),
    ]
}

#[tokio::test]
async fn every_reader_sees_a_create_a_move_an_update_and_a_retire_at_once() {
    let app = app();
    let auth = ("authorization", app.editor.as_str());
    let merge = ("content-type", "application/merge-patch+json");
    // The ward with the least GP coverage gets a new practice inside it.
    let gaps = get(&app, "/api/gaps?category=gp").await.json();
    let worst = gaps["wards"]
        .as_array()
        .unwrap()
        .iter()
        .min_by(|a, b| {
            a["coverage"]
                .as_f64()
                .unwrap()
                .partial_cmp(&b["coverage"].as_f64().unwrap())
                .unwrap()
        })
        .unwrap()
        .clone();
    let code = worst["code"].as_str().unwrap().to_string();
    let profile = get(&app, &format!("/api/wards/{code}")).await.json();
    let lp = profile["label_point"].as_array().unwrap();
    let at = (lp[0].as_f64().unwrap(), lp[1].as_f64().unwrap());
    let before_dataset = get(&app, "/api/dataset").await.json();
    let count = before_dataset["assets"]["count"].as_u64().unwrap();
    let version = before_dataset["version"].as_u64().unwrap();

    // A tile far from every edit, to check it keeps its ETag.
    let far = app
        .state
        .dataset()
        .assets
        .iter()
        .map(|a| a.lonlat)
        .max_by(|a, b| {
            let da = (a.x - at.0).powi(2) + (a.y - at.1).powi(2);
            let db = (b.x - at.0).powi(2) + (b.y - at.1).powi(2);
            da.partial_cmp(&db).unwrap()
        })
        .unwrap();
    let fm = assetmap::tiles::normalised_mercator(far);
    let ft = assetmap::tiles::TileId::containing(15, fm.x, fm.y);
    let far_uri = format!("/tiles/assets/15/{}/{}.mvt", ft.x, ft.y);
    let far_etag = get(&app, &far_uri).await.header("etag").to_string();
    assert!(!far_etag.is_empty());

    let created = call(
        &app,
        "POST",
        "/collections/assets/items",
        &[GEOJSON, auth],
        feature(
            at.0,
            at.1,
            json!({"category": "gp", "name": "Harbour Health Centre"}),
        ),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let id = created.json()["id"].as_str().unwrap().to_string();
    assert_eq!(
        seen(&app, &id, "Harbour Health Centre", at).await,
        [true; 5],
        "after the create"
    );
    let after = get(&app, "/api/gaps?category=gp").await.json();
    let ward = |g: &Value| {
        g["wards"]
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["code"] == code.as_str())
            .unwrap()
            .clone()
    };
    assert!(
        ward(&after)["coverage"].as_f64().unwrap() > worst["coverage"].as_f64().unwrap(),
        "the gap analysis counts the new practice"
    );
    let ds = get(&app, "/api/dataset").await.json();
    assert_eq!(ds["assets"]["count"].as_u64().unwrap(), count + 1);
    assert!(ds["version"].as_u64().unwrap() > version);
    assert_eq!(
        ds["categories"]["gp"].as_u64().unwrap(),
        before_dataset["categories"]["gp"].as_u64().unwrap() + 1
    );
    let profile = get(&app, &format!("/api/wards/{code}")).await.json();
    assert!(
        profile["assets"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["id"] == id.as_str())
    );

    // Move it a little (still in the ward) and rename it.
    let moved = (at.0 + 0.0005, at.1 + 0.0003);
    let a = call(&app, "PATCH", &format!("/collections/assets/items/{id}"), &[merge, auth, ("if-match", "\"r1\"")],
        json!({"geometry": {"type": "Point", "coordinates": [moved.0, moved.1]}, "properties": {"name": "Harbour Medical Practice"}}).to_string()).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    assert_eq!(
        seen(&app, &id, "Harbour Medical Practice", moved).await,
        [true; 5],
        "after the move and update"
    );
    assert!(
        !get(&app, "/api/export/assets?format=csv")
            .await
            .text()
            .contains("Harbour Health Centre")
    );
    let coords = get(&app, &format!("/collections/assets/items/{id}"))
        .await
        .json()["geometry"]["coordinates"]
        .clone();
    assert!((coords[0].as_f64().unwrap() - moved.0).abs() < 1e-5);

    // Retire it: gone from every reader, and the gap is back.
    let a = call(
        &app,
        "DELETE",
        &format!("/collections/assets/items/{id}"),
        &[auth, ("if-match", "\"r2\"")],
        Body::empty(),
    )
    .await;
    assert_eq!(a.status, StatusCode::NO_CONTENT);
    let s = seen(&app, &id, "Harbour Medical Practice", moved).await;
    assert_eq!(s, [false; 5], "after the retire");
    assert_eq!(
        ward(&get(&app, "/api/gaps?category=gp").await.json())["coverage"],
        worst["coverage"]
    );
    assert_eq!(
        get(&app, "/api/dataset").await.json()["assets"]["count"]
            .as_u64()
            .unwrap(),
        count
    );

    // The far tile never changed: same ETag, 304.
    let again = call(
        &app,
        "GET",
        &far_uri,
        &[("if-none-match", &far_etag)],
        Body::empty(),
    )
    .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
}

#[tokio::test]
async fn officers_sign_in_with_a_strict_cookie_and_write_with_the_csrf_token() {
    let app = app();
    let user = auth::new_user("alice", Role::Editor, "a long enough password").unwrap();
    app.state.catalog.with_store(|s| s.put_user(&user)).unwrap();
    let form = ("content-type", "application/x-www-form-urlencoded");
    let page = get(&app, "/signin").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("<label for=\"password\">"));
    let wrong = call(
        &app,
        "POST",
        "/signin",
        &[form],
        "name=alice&password=wrong+password+here",
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.text().contains("not right"));
    let ok = call(
        &app,
        "POST",
        "/signin",
        &[form, ("x-forwarded-proto", "https")],
        "name=alice&password=a+long+enough+password",
    )
    .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text());
    let set = ok.header("set-cookie").to_string();
    for flag in ["HttpOnly", "SameSite=Strict", "Secure", "Path=/"] {
        assert!(set.contains(flag), "{set} has {flag}");
    }
    let plain = call(
        &app,
        "POST",
        "/signin",
        &[form],
        "name=alice&password=a+long+enough+password",
    )
    .await;
    assert!(
        !plain.header("set-cookie").contains("Secure"),
        "Secure only behind TLS"
    );
    let cookie = set.split(';').next().unwrap().to_string();
    let session = call(
        &app,
        "GET",
        "/api/session",
        &[("cookie", &cookie)],
        Body::empty(),
    )
    .await
    .json();
    assert_eq!(session["user"], "alice");
    let csrf = session["csrf"].as_str().unwrap().to_string();
    let account = call(
        &app,
        "GET",
        "/account",
        &[("cookie", &cookie)],
        Body::empty(),
    )
    .await
    .text();
    assert!(account.contains("alice") && account.contains(&csrf));

    let id = app.state.dataset().assets[0].id.clone();
    let etag = get(&app, &format!("/collections/assets/items/{id}"))
        .await
        .header("etag")
        .to_string();
    let merge = ("content-type", "application/merge-patch+json");
    let patch = json!({"properties": {"phone": "020 7946 0999"}}).to_string();
    let a = call(
        &app,
        "PATCH",
        &format!("/collections/assets/items/{id}"),
        &[
            merge,
            ("cookie", &cookie),
            ("if-match", &etag),
            ("x-csrf-token", "0123456789abcdef0123456789abcdef"),
        ],
        patch.clone(),
    )
    .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "a wrong CSRF token");
    let a = call(
        &app,
        "PATCH",
        &format!("/collections/assets/items/{id}"),
        &[
            merge,
            ("cookie", &cookie),
            ("if-match", &etag),
            ("x-csrf-token", &csrf),
        ],
        patch,
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    let h = get(&app, &format!("/api/assets/{id}/history")).await.json();
    assert_eq!(
        h["revisions"].as_array().unwrap().last().unwrap()["actor"],
        "user:alice"
    );

    // Another site cannot sign someone in.
    let cross = call(
        &app,
        "POST",
        "/signin",
        &[form, ("origin", "https://evil.example")],
        "name=alice&password=a+long+enough+password",
    )
    .await;
    assert_eq!(cross.status, StatusCode::FORBIDDEN);
    // Signing out needs the form's token, and ends the session.
    let out = call(
        &app,
        "POST",
        "/signout",
        &[form, ("cookie", &cookie)],
        "csrf=wrong",
    )
    .await;
    assert_eq!(out.status, StatusCode::FORBIDDEN);
    let out = call(
        &app,
        "POST",
        "/signout",
        &[form, ("cookie", &cookie)],
        format!("csrf={csrf}"),
    )
    .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(
        call(
            &app,
            "GET",
            "/api/session",
            &[("cookie", &cookie)],
            Body::empty()
        )
        .await
        .status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn sign_in_is_rate_limited_per_name() {
    let app = app();
    let form = ("content-type", "application/x-www-form-urlencoded");
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let a = call(
            &app,
            "POST",
            "/signin",
            &[form],
            "name=bob&password=guess+guess+guess",
        )
        .await;
        statuses.push(a.status);
        if a.status == StatusCode::TOO_MANY_REQUESTS {
            let wait: u64 = a.header("retry-after").parse().unwrap();
            assert!((1..=12).contains(&wait));
        }
    }
    assert_eq!(statuses[..5], [StatusCode::UNAUTHORIZED; 5]);
    assert_eq!(statuses[5], StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn public_reads_allow_other_sites_and_writes_do_not() {
    let app = app();
    let a = call(
        &app,
        "GET",
        "/collections",
        &[("origin", "https://qgis-web.example")],
        Body::empty(),
    )
    .await;
    assert_eq!(a.header("access-control-allow-origin"), "*");
    let pre = call(
        &app,
        "OPTIONS",
        "/collections/assets/items",
        &[
            ("origin", "https://evil.example"),
            ("access-control-request-method", "POST"),
        ],
        Body::empty(),
    )
    .await;
    let allowed = pre.header("access-control-allow-methods").to_string();
    assert!(
        !allowed.contains("POST") && !allowed.contains("PUT") && !allowed.contains("DELETE"),
        "{allowed}"
    );
    assert_eq!(pre.header("access-control-allow-credentials"), "");
}

#[tokio::test]
async fn names_officers_type_are_escaped_in_the_pages() {
    let app = app();
    let (lon, lat) = inside(&app);
    let a = call(
        &app,
        "POST",
        "/collections/assets/items",
        &[GEOJSON, ("authorization", app.editor.as_str())],
        feature(
            lon,
            lat,
            json!({"category": "library", "name": "<script>alert(1)</script> & Co"}),
        ),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED);
    let page = get(&app, &format!("/?f=html&lon={lon}&lat={lat}"))
        .await
        .text();
    assert!(!page.contains("<script>alert(1)"), "the name is escaped");
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co"));
}

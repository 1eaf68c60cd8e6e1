//! The HTTP API on the demo dataset: in-process with `oneshot`, and once over a real socket.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use assetmap::http::{AppState, router};
use assetmap::ingest::Quiet;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower::ServiceExt;

fn app() -> axum::Router {
    let loaded = assetmap::demo::load(&Quiet).unwrap_or_else(|f| panic!("{}", f.problem));
    router(AppState::new(Arc::new(loaded.dataset)))
}

async fn get_json(app: axum::Router, uri: &str) -> (StatusCode, serde_json::Value) {
    let response = get_with(app, uri, "application/json").await;
    let status = response.status();
    (
        status,
        serde_json::from_str(&text_of(response).await).expect("JSON body"),
    )
}

#[tokio::test]
async fn health_says_ok() {
    let (status, body) = get_json(app(), "/health").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["dataset"], "Fictionford (fictional demo town)");
}

#[tokio::test]
async fn the_dataset_summary_gives_sources_counts_vintages_and_extent() {
    let (status, body) = get_json(app(), "/api/dataset").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["wards"]["count"], 20);
    assert_eq!(body["small_areas"]["count"], 116);
    assert_eq!(body["councils"]["X06000001"], 20);
    assert_eq!(body["vintages"]["deprivation"], "IoD2025-like (fictional)");
    assert_eq!(body["sources"].as_array().map(Vec::len), Some(12));
    assert_eq!(body["sources"][0]["layer"], "wards");
    assert_eq!(body["content_hash"].as_str().map(str::len), Some(64));
    let bbox = body["wards"]["bbox"].as_array().expect("bbox");
    let (min_lon, max_lon) = (
        bbox[0].as_f64().expect("number"),
        bbox[2].as_f64().expect("number"),
    );
    assert!(
        min_lon > 1.8 && max_lon < 2.2 && min_lon < max_lon,
        "{bbox:?}"
    );
    let categories = body["categories"].as_object().expect("categories");
    assert!(categories.len() >= 6);
    let total: u64 = categories.values().filter_map(|v| v.as_u64()).sum();
    assert_eq!(body["assets"]["count"].as_u64(), Some(total));
    assert_eq!(body["domains"][0], "Income");
}

#[tokio::test]
async fn an_unknown_path_is_a_json_404() {
    let (status, body) = get_json(app(), "/api/nothing-here").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["description"], "no resource at /api/nothing-here");
}

#[tokio::test]
async fn the_server_answers_over_a_real_socket() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    let server = tokio::spawn(async move { axum::serve(listener, app()).await });
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).await.expect("read");
    assert!(response.starts_with("HTTP/1.1 200 OK"), "{response}");
    assert!(response.contains("\"status\":\"ok\""));
    server.abort();
}

async fn get_with(app: axum::Router, uri: &str, accept: &str) -> axum::response::Response {
    app.oneshot(
        Request::get(uri)
            .header("accept", accept)
            .body(Body::empty())
            .expect("request"),
    )
    .await
    .expect("response")
}

async fn text_of(response: axum::response::Response) -> String {
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    String::from_utf8(bytes.to_vec()).expect("UTF-8")
}

#[tokio::test]
async fn the_root_is_the_residents_page_for_browsers_and_the_ogc_landing_page_for_clients() {
    let browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    let page = get_with(app(), "/?postcode=ZZ1%200AA&category=gp", browser).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
    assert_eq!(page.headers()["vary"], "Accept");
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("default-src 'self'") && csp.contains("connect-src 'self';"),
        "{csp}"
    );
    let html = text_of(page).await;
    assert!(
        html.contains("<title>Find support near you – Fictionford (fictional demo town)</title>")
    );
    assert!(html.contains(r#"<script type="module" src="/app/resident.js">"#));

    for (uri, accept) in [
        ("/", "application/json"),
        ("/", "*/*"),
        ("/?f=json", browser),
    ] {
        let response = get_with(app(), uri, accept).await;
        assert_eq!(response.status(), StatusCode::OK, "{uri} {accept}");
        let landing: serde_json::Value = serde_json::from_str(&text_of(response).await).unwrap();
        assert!(
            landing["links"]
                .as_array()
                .unwrap()
                .iter()
                .any(|l| l["rel"] == "data"),
            "{uri} {accept}"
        );
    }
    let forced = get_with(app(), "/?f=html", "application/json").await;
    assert_eq!(forced.headers()["content-type"], "text/html; charset=utf-8");
    // The OGC landing page still checks its parameters.
    let (status, _) = get_json(app(), "/?f=xml").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn pages_and_their_files_are_served_from_the_binary_with_etags() {
    for (uri, kind, needle) in [
        (
            "/planner",
            "text/html; charset=utf-8",
            "Where is support missing?",
        ),
        (
            "/accessibility",
            "text/html; charset=utf-8",
            "Accessibility statement",
        ),
        (
            "/app/resident.js",
            "text/javascript; charset=utf-8",
            "/api/nearby",
        ),
        (
            "/app/planner.js",
            "text/javascript; charset=utf-8",
            "/api/gaps/scenario",
        ),
        ("/app/app.css", "text/css; charset=utf-8", ":focus-visible"),
        (
            "/app/maplibre-gl.mjs",
            "text/javascript; charset=utf-8",
            "MapLibre GL JS",
        ),
        (
            "/app/maplibre-gl-worker.mjs",
            "text/javascript; charset=utf-8",
            "",
        ),
        (
            "/app/maplibre-gl.css",
            "text/css; charset=utf-8",
            ".maplibregl-map",
        ),
        (
            "/docs/methods.md",
            "text/plain; charset=utf-8",
            "Gap analysis",
        ),
    ] {
        let response = get_with(app(), uri, "*/*").await;
        assert_eq!(response.status(), StatusCode::OK, "{uri}");
        assert_eq!(response.headers()["content-type"], kind, "{uri}");
        assert_eq!(response.headers()["x-content-type-options"], "nosniff");
        let cache = if uri.starts_with("/app/maplibre") {
            "public, max-age=86400"
        } else {
            "no-cache"
        };
        assert_eq!(response.headers()["cache-control"], cache, "{uri}");
        let etag = response.headers()["etag"].to_str().unwrap().to_string();
        assert!(text_of(response).await.contains(needle), "{uri}");
        let again = app()
            .oneshot(
                Request::get(uri)
                    .header("if-none-match", &etag)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{uri}");
    }
    let (status, body) = get_json(app(), "/app/missing.js").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        body["description"]
            .as_str()
            .unwrap()
            .contains("/app/missing.js")
    );
}

#[tokio::test]
async fn the_pages_config_names_the_example_postcode_limits_and_no_basemap() {
    let (status, config) = get_json(app(), "/app/config.json").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(config["example_postcode"], "ZZ1 0AA");
    assert_eq!(config["basemap"], serde_json::Value::Null);
    assert_eq!(config["wards"], 20);
    assert_eq!(config["limits"]["nearby_results"], 100);
    assert_eq!(config["bounds"].as_array().map(Vec::len), Some(4));
}

#[tokio::test]
async fn a_basemap_is_offered_and_allowed_by_the_content_security_policy() {
    use assetmap::http::web::{Basemap, WebOptions};
    let loaded = assetmap::demo::load(&Quiet).unwrap();
    let basemap = Basemap::new("https://tiles.example.org/{z}/{x}/{y}.png", "© Example").unwrap();
    let app = router(
        AppState::new(Arc::new(loaded.dataset)).with_web(WebOptions::new(Some(basemap), None)),
    );
    let (_, config) = get_json(app.clone(), "/app/config.json").await;
    assert_eq!(
        config["basemap"]["tiles"],
        "https://tiles.example.org/{z}/{x}/{y}.png"
    );
    let page = get_with(app, "/planner", "text/html").await;
    let csp = page.headers()["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("img-src 'self' data: blob: https://tiles.example.org;"),
        "{csp}"
    );
}

#[tokio::test]
async fn the_first_search_is_in_the_page_before_any_script_runs() {
    let html =
        text_of(get_with(app(), "/?postcode=zz10aa&category=gp,pharmacy", "text/html").await).await;
    let (_, api) = get_json(
        app(),
        "/api/nearby?postcode=ZZ1%200AA&category=gp,pharmacy&limit=10",
    )
    .await;
    let features = api["features"].as_array().unwrap();
    assert_eq!(features.len(), 10);
    let mut from = 0;
    for (i, f) in features.iter().enumerate() {
        let name = f["properties"]["display_name"]
            .as_str()
            .unwrap()
            .replace('&', "&amp;")
            .replace('\'', "&#39;");
        let heading = format!(
            "<span class=\"result-number\">{}.</span> {name}</h3>",
            i + 1
        );
        let at = html[from..]
            .find(&heading)
            .unwrap_or_else(|| panic!("result {} ({name}) in order", i + 1));
        from += at + heading.len();
    }
    assert!(html.contains(r#"id="postcode" name="postcode" value="ZZ1 0AA""#));
    assert!(html.contains(r#"value="gp" checked"#) && html.contains(r#"value="pharmacy" checked"#));
    assert!(!html.contains(r#"value="library" checked"#));
    assert!(html.contains("10 places near ZZ1 0AA (GP practice, pharmacy), closest first."));
    let first = &features[0]["properties"];
    let metres = first["distance_m"].as_f64().unwrap();
    assert!(html.contains(&format!(
        "{} m away",
        ((metres / 10.0).round() * 10.0) as i64
    )));

    let unknown = text_of(get_with(app(), "/?postcode=ZZ99%209ZZ", "text/html").await).await;
    assert!(unknown.contains("could not find the postcode ZZ99 9ZZ"));
    assert!(unknown.contains(r#"aria-invalid="true""#));
    let malformed = text_of(get_with(app(), "/?postcode=%3Cb%3E", "text/html").await).await;
    assert!(
        malformed.contains("“&lt;b&gt;” is not a UK postcode"),
        "escaped"
    );
    assert!(!malformed.contains("<b>"));
}

#[tokio::test]
async fn large_answers_are_gzipped_and_tiny_ones_are_not() {
    let small = app()
        .oneshot(
            Request::get("/health")
                .header("accept-encoding", "gzip")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert!(
        small.headers().get("content-encoding").is_none(),
        "a health check is not worth compressing"
    );
    let large = app()
        .oneshot(
            Request::get("/api/wards")
                .header("accept-encoding", "gzip")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(large.headers()["content-encoding"], "gzip");
}

#[tokio::test]
async fn embedded_files_are_sent_gzipped_once_prepared_with_one_etag() {
    let app = app();
    let get = |encoding: &'static str, etag: Option<String>| {
        let app = app.clone();
        async move {
            let mut request =
                Request::get("/app/maplibre-gl.mjs").header("accept-encoding", encoding);
            if let Some(e) = etag {
                request = request.header("if-none-match", e);
            }
            app.oneshot(request.body(Body::empty()).unwrap())
                .await
                .unwrap()
        }
    };
    let plain = get("identity", None).await;
    assert_eq!(plain.status(), StatusCode::OK);
    assert!(plain.headers().get("content-encoding").is_none());
    let etag = plain.headers()["etag"].to_str().unwrap().to_string();
    assert_eq!(plain.headers()["vary"], "Accept-Encoding");
    let raw = plain.into_body().collect().await.unwrap().to_bytes();
    assert!(raw.len() > 100_000);

    let zipped = get("gzip, br", None).await;
    assert_eq!(zipped.headers()["content-encoding"], "gzip");
    assert_eq!(zipped.headers()["etag"].to_str().unwrap(), etag);
    let body = zipped.into_body().collect().await.unwrap().to_bytes();
    assert!(
        body.len() < raw.len() / 2,
        "{} of {}",
        body.len(),
        raw.len()
    );
    let mut unzipped = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&body[..]), &mut unzipped)
        .unwrap();
    assert_eq!(unzipped, raw.to_vec(), "gzipped once, not twice");

    // q=0 refuses gzip even with a wildcard.
    let refused = get("*;q=1, gzip;q=0", None).await;
    assert!(refused.headers().get("content-encoding").is_none());
    assert_eq!(
        get("gzip", Some(etag)).await.status(),
        StatusCode::NOT_MODIFIED
    );
}

//! Small things a hostile client or a careless proxy finds: links made from
//! the Host header, bodies of the wrong type, non-canonical tile paths,
//! framework errors that are not the documented JSON, server paths in
//! `/api/dataset`, and missing security headers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use assetmap::http::{AppState, router};
use assetmap::ingest::Quiet;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

fn state() -> AppState {
    AppState::new(Arc::new(assetmap::demo::load(&Quiet).unwrap().dataset))
}

async fn call(
    state: &AppState,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: impl Into<Body>,
) -> (StatusCode, axum::http::HeaderMap, String) {
    let mut r = Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        r = r.header(*k, *v);
    }
    let response = router(state.clone())
        .oneshot(r.body(body.into()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        headers,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

#[tokio::test]
async fn a_public_url_makes_every_link_whatever_the_host_header_says() {
    let s = state()
        .with_public_url("https://maps.example.gov.uk/assetmap/")
        .unwrap();
    for uri in [
        "/?f=json",
        "/collections",
        "/collections/assets/items?limit=2",
        "/api",
        "/tiles/assets.json",
    ] {
        let (status, _, body) =
            call(&s, "GET", uri, &[("host", "evil.example")], Body::empty()).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
        assert!(
            !body.contains("evil.example"),
            "{uri} copies the Host header"
        );
        assert!(
            body.contains("https://maps.example.gov.uk/assetmap"),
            "{uri} uses the public URL"
        );
    }
    assert!(state().with_public_url("ftp://x").is_err());
    assert!(
        state()
            .with_public_url("https://x.example/<script>")
            .is_err()
    );
    // Without one, a server used directly still links to where it was asked.
    let (_, _, body) = call(
        &state(),
        "GET",
        "/collections",
        &[("host", "localhost:9000")],
        Body::empty(),
    )
    .await;
    assert!(body.contains("http://localhost:9000/collections"));
}

#[tokio::test]
async fn the_scenario_needs_json() {
    let s = state();
    let body = r#"{"category":"gp","add":[]}"#;
    for headers in [
        vec![("content-type", "text/plain")],
        vec![("content-type", "application/x-www-form-urlencoded")],
        vec![],
    ] {
        let (status, _, text) = call(&s, "POST", "/api/gaps/scenario", &headers, body).await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{headers:?}");
        assert!(text.contains("application/json"));
    }
    let (status, _, _) = call(
        &s,
        "POST",
        "/api/gaps/scenario",
        &[("content-type", "application/json; charset=utf-8")],
        body,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn only_canonical_tile_addresses_are_served() {
    let s = state();
    for uri in [
        "/tiles/assets/+1/0/0.mvt",
        "/tiles/assets/1/00000000000000000000001/0.mvt",
        "/tiles/assets/01/0/0.mvt",
        "/tiles/assets/1/0/-0.mvt",
    ] {
        let (status, _, body) = call(&s, "GET", uri, &[], Body::empty()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}");
        assert!(body.starts_with("{\"code\""), "{uri}: {body}");
    }
    let (status, _, _) = call(&s, "GET", "/tiles/assets/0/0/0.mvt", &[], Body::empty()).await;
    assert!(status.is_success());
}

#[tokio::test]
async fn the_frameworks_own_errors_are_the_documented_json() {
    let s = state();
    // A path that is not UTF-8 (axum's Path rejection).
    let (status, headers, body) = call(&s, "GET", "/api/wards/%FF%FE", &[], Body::empty()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(headers["content-type"], "application/json");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["code"], "InvalidParameterValue");
    // A body over the limit (the body-limit layer's rejection).
    let big = "x".repeat(300 * 1024);
    let (status, headers, body) = call(
        &s,
        "POST",
        "/api/gaps/scenario",
        &[("content-type", "application/json")],
        big,
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(headers["content-type"], "application/json");
    assert!(body.contains("PayloadTooLarge"), "{body}");
}

#[tokio::test]
async fn the_dataset_summary_names_files_not_server_folders() {
    let (_, _, body) = call(&state(), "GET", "/api/dataset", &[], Body::empty()).await;
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let sources = v["sources"].as_array().unwrap();
    assert!(!sources.is_empty());
    for source in sources {
        let path = source["path"].as_str().unwrap();
        assert!(!path.contains('/') && !path.contains('\\'), "{path}");
    }
}

#[tokio::test]
async fn responses_carry_security_headers() {
    let s = state();
    let (_, headers, _) = call(&s, "GET", "/api/categories", &[], Body::empty()).await;
    assert_eq!(headers["x-content-type-options"], "nosniff");
    for page in ["/?f=html", "/planner", "/signin"] {
        let (status, headers, _) = call(&s, "GET", page, &[], Body::empty()).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{page}");
        assert!(
            headers["permissions-policy"]
                .to_str()
                .unwrap()
                .contains("camera=()"),
            "{page}"
        );
        assert!(
            headers["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("frame-ancestors"),
            "{page}"
        );
        assert!(
            !headers["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("script-src 'self' 'unsafe-inline'"),
            "{page}"
        );
        assert_eq!(headers["referrer-policy"], "no-referrer", "{page}");
    }
}

#[tokio::test]
async fn costly_work_is_bounded_and_past_the_bound_answers_503() {
    let s = state().with_heavy_permits(1);
    let (status, _, _) = call(&s, "GET", "/api/gaps?category=gp", &[], Body::empty()).await;
    assert_eq!(status, StatusCode::OK);
    // Someone else holds the one turn: a new analysis waits, then 503.
    let held = s.heavy.clone().acquire_owned().await.unwrap();
    let started = std::time::Instant::now();
    let (status, headers, body) = call(
        &s,
        "GET",
        "/api/gaps?category=gp&coverage_m=901",
        &[],
        Body::empty(),
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(headers["retry-after"], "2");
    assert!(started.elapsed() >= assetmap::http::HEAVY_WAIT);
    for uri in [
        "/api/gaps/suggest?category=gp&n=2",
        "/api/export/assets?format=csv",
        "/tiles/all/3/3/2.mvt",
    ] {
        let (status, _, _) = call(&s, "GET", uri, &[], Body::empty()).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{uri}");
    }
    // Cheap reads, and costly answers already cached, are not held up.
    for uri in [
        "/health",
        "/api/nearby?postcode=ZZ1%200AA",
        "/api/gaps?category=gp",
        "/tiles/assets/16/32850/21400.mvt",
    ] {
        let (status, _, _) = call(&s, "GET", uri, &[], Body::empty()).await;
        assert!(status.is_success(), "{uri}: {status}");
    }
    drop(held);
    let (status, _, _) = call(
        &s,
        "GET",
        "/api/gaps?category=gp&coverage_m=901",
        &[],
        Body::empty(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "a turn is free again");
}

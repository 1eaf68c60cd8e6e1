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

/// A request as it arrives from `ip` over TCP (the server adds ConnectInfo).
async fn call_from(
    state: &AppState,
    ip: [u8; 4],
    uri: &str,
) -> (StatusCode, axum::http::HeaderMap) {
    let mut request = Request::get(uri).body(Body::empty()).unwrap();
    request
        .extensions_mut()
        .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
            ip, 40000,
        ))));
    let response = router(state.clone()).oneshot(request).await.unwrap();
    (response.status(), response.headers().clone())
}

#[tokio::test]
async fn each_client_gets_a_share_of_costly_work_and_then_429() {
    let s = state().with_heavy_per_client_per_minute(60);
    let burst = assetmap::http::HEAVY_BURST_PER_CLIENT as usize;
    // Uncached analyses (each distance differs) from one address.
    for i in 0..burst {
        let uri = format!("/api/gaps?category=gp&coverage_m={}", 500 + i);
        let (status, _) = call_from(&s, [10, 0, 0, 1], &uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
    }
    for uri in [
        "/api/gaps?category=gp&coverage_m=999",
        "/api/gaps/suggest?category=gp&n=2&coverage_m=998",
        "/api/export/assets?format=csv",
    ] {
        let (status, headers) = call_from(&s, [10, 0, 0, 1], uri).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{uri}");
        let wait: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=2).contains(&wait), "{wait}");
        assert_eq!(headers["content-type"], "application/json");
    }
    // Answers already computed, cheap reads, and other clients are not limited.
    for (ip, uri) in [
        ([10, 0, 0, 1], "/api/gaps?category=gp&coverage_m=500"),
        ([10, 0, 0, 1], "/health"),
        ([10, 0, 0, 1], "/api/nearby?postcode=ZZ1%200AA"),
        ([10, 0, 0, 2], "/api/gaps?category=gp&coverage_m=999"),
    ] {
        let (status, _) = call_from(&s, ip, uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
    }
    // 0 turns the limit off.
    let open = state().with_heavy_per_client_per_minute(0);
    for i in 0..burst + 5 {
        let uri = format!("/api/gaps?category=gp&coverage_m={}", 500 + i);
        assert_eq!(
            call_from(&open, [10, 0, 0, 1], &uri).await.0,
            StatusCode::OK
        );
    }
}

#[tokio::test]
async fn headers_past_the_limit_get_the_documented_json_431() {
    let s = state();
    let big = "a".repeat(assetmap::http::layers::MAX_HEADER_BYTES + 1);
    let (status, headers, body) =
        call(&s, "GET", "/health", &[("x-big", &big)], Body::empty()).await;
    assert_eq!(status, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
    assert_eq!(headers["content-type"], "application/json");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["code"], "RequestHeaderFieldsTooLarge");
    let fits = "a".repeat(1000);
    let (status, _, _) = call(&s, "GET", "/health", &[("x-big", &fits)], Body::empty()).await;
    assert_eq!(status, StatusCode::OK);
}

#[test]
fn a_cancelled_analysis_stops_and_gives_no_result() {
    use assetmap::analysis::{self, Cancel, Cancelled, GapParams};
    let dataset = assetmap::demo::load(&Quiet).unwrap().dataset;
    let params = GapParams::new("gp");
    let cancel = Cancel::default();
    let whole = analysis::analyse_cancellable(&dataset, &params, &cancel).unwrap();
    assert_eq!(
        whole.result_hash(),
        analysis::analyse(&dataset, &params).result_hash()
    );
    cancel.cancel();
    assert_eq!(
        analysis::analyse_cancellable(&dataset, &params, &cancel).err(),
        Some(Cancelled)
    );
    assert_eq!(
        analysis::suggest_cancellable(&dataset, &params, 3, &cancel).err(),
        Some(Cancelled)
    );
}

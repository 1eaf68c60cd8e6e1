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
    let response = app
        .oneshot(Request::get(uri).body(Body::empty()).expect("request"))
        .await
        .expect("response");
    let status = response.status();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (status, serde_json::from_slice(&bytes).expect("JSON body"))
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
    assert_eq!(body["sources"].as_array().map(Vec::len), Some(10));
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

//! `assetmap tiles export --format pmtiles`: the archive read back by an
//! independent reader (the protomaps `pmtiles` Python package) holds exactly
//! the tiles the server serves, byte for byte.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use assetmap::http::{AppState, router};
use assetmap::tiles::TileId;
use assetmap::tiles::pmtiles::{self, ArchiveInfo};
use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tower::ServiceExt;

/// The archive as the Python reader sees it; `None` (skip) when the package
/// is missing and the real-data variable (which CI sets) is unset.
fn read(path: &Path) -> Option<Value> {
    if !common::python_has("pmtiles.reader", "python3 -m pip install pmtiles==3.4.1") {
        return None;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/pmtiles_read.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

/// The reader's tiles: (z, x, y) to the SHA-256 and size of their bytes.
fn archived(read: &Value) -> BTreeMap<(u64, u64, u64), (String, u64)> {
    let n = |t: &Value, k: &str| t[k].as_u64().unwrap();
    read["tiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                (n(t, "z"), n(t, "x"), n(t, "y")),
                (t["sha256"].as_str().unwrap().to_string(), n(t, "bytes")),
            )
        })
        .collect()
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::test]
async fn the_exported_archive_holds_the_tiles_the_server_serves() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("demo.pmtiles");
    let out = Command::new(env!("CARGO_BIN_EXE_assetmap"))
        .args([
            "tiles",
            "export",
            "--format",
            "pmtiles",
            "--maxzoom",
            "16",
            "--output",
        ])
        .arg(&archive)
        .env_remove("ASSETMAP_MANIFEST")
        .env_remove("ASSETMAP_STORE")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.starts_with("wrote "), "{said}");
    let Some(read) = read(&archive) else { return };

    let header = &read["header"];
    assert_eq!(header["version"], 3);
    assert_eq!(
        (header["min_zoom"].as_u64(), header["max_zoom"].as_u64()),
        (Some(0), Some(16))
    );
    assert_eq!(
        (
            header["tile_type"].as_u64(),
            header["tile_compression"].as_u64()
        ),
        (Some(1), Some(2))
    );
    assert_eq!(header["clustered"], true);
    let layers: Vec<&str> = read["metadata"]["vector_layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap())
        .collect();
    assert_eq!(layers, ["small_areas", "wards", "assets"]);
    assert!(
        read["metadata"]["attribution"]
            .as_str()
            .unwrap()
            .contains("Fictional")
    );

    let in_archive = archived(&read);
    assert_eq!(
        in_archive.len() as u64,
        header["addressed_tiles_count"].as_u64().unwrap()
    );

    // Every tile over the wards' extent, asked of the server: the non-empty
    // ones are in the archive with the same bytes, and no others are.
    let loaded = assetmap::demo::load(&assetmap::ingest::Quiet).unwrap();
    let d = Arc::new(loaded.dataset);
    let bounds =
        assetmap::features::extent_lonlat(assetmap::features::Collection::Wards, &d).unwrap();
    let app = router(AppState::new(d));
    let mut served = 0;
    for z in 0..=16u8 {
        for TileId { x, y, .. } in pmtiles::tiles_over(bounds, z) {
            let response = app
                .clone()
                .oneshot(
                    Request::get(format!("/tiles/all/{z}/{x}/{y}.mvt"))
                        .body(Body::empty())
                        .unwrap(),
                )
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
            let bytes = response.into_body().collect().await.unwrap().to_bytes();
            let key = (u64::from(z), u64::from(x), u64::from(y));
            if bytes.is_empty() {
                assert!(
                    !in_archive.contains_key(&key),
                    "{key:?} is empty but archived"
                );
            } else {
                served += 1;
                let (hash, size) = in_archive
                    .get(&key)
                    .unwrap_or_else(|| panic!("{key:?} is served but not archived"));
                assert_eq!(
                    (hash.as_str(), *size),
                    (sha256(&bytes).as_str(), bytes.len() as u64),
                    "{key:?}"
                );
            }
        }
    }
    assert_eq!(served, in_archive.len());
    assert!(served > 400, "{served} tiles");
}

#[test]
fn a_large_archive_uses_leaf_directories_that_the_reader_follows() {
    // 60,000 distinct tiles do not fit a 16 KiB root directory.
    let mut tiles = Vec::new();
    let mut expected = BTreeMap::new();
    // Scattered over zoom 16, so the directory's deltas do not compress away.
    'outer: for k in 0..u32::MAX {
        {
            {
                let (z, x, y) = (
                    16u8,
                    k.wrapping_mul(7_919) % 65_536,
                    k.wrapping_mul(104_729) % 65_536,
                );
                if expected.contains_key(&(16, u64::from(x), u64::from(y))) {
                    continue;
                }
                let body = format!("{z}/{x}/{y}:{}", "x".repeat((k % 50) as usize)).into_bytes();
                let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                std::io::Write::write_all(&mut gz, &body).unwrap();
                expected.insert((u64::from(z), u64::from(x), u64::from(y)), sha256(&body));
                tiles.push((TileId { z, x, y }, gz.finish().unwrap()));
                if tiles.len() == 60_000 {
                    break 'outer;
                }
            }
        }
    }
    let info = ArchiveInfo {
        min_zoom: 16,
        max_zoom: 16,
        bounds: [-1.0, 51.0, 1.0, 53.0],
        center_zoom: 12,
        metadata: serde_json::json!({"name": "synthetic"}),
    };
    let (bytes, counts) = pmtiles::write(tiles, &info);
    assert!(counts.leaves > 1, "{counts:?}");
    assert_eq!((counts.tiles, counts.contents), (60_000, 60_000));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.pmtiles");
    std::fs::write(&path, bytes).unwrap();
    let Some(read) = read(&path) else { return };
    let got: BTreeMap<(u64, u64, u64), String> = archived(&read)
        .into_iter()
        .map(|(at, (hash, _))| (at, hash))
        .collect();
    assert_eq!(got, expected);
}

#[tokio::test]
async fn the_archive_is_served_by_byte_ranges() {
    let loaded = assetmap::demo::load(&assetmap::ingest::Quiet).unwrap();
    let snapshot = assetmap::catalog::Catalog::in_memory(loaded.dataset)
        .unwrap()
        .snapshot();
    let source =
        assetmap::tiles::TileSource::new(&snapshot, assetmap::tiles::cluster::DEFAULT_MAX_ZOOM);
    use assetmap::tiles::TileLayer;
    let (bytes, _) = pmtiles::export(
        &snapshot,
        &source,
        &[TileLayer::Wards, TileLayer::Assets],
        0,
        12,
        |_, _| {},
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.pmtiles");
    std::fs::write(&path, &bytes).unwrap();
    let not_one = dir.path().join("b.pmtiles");
    std::fs::write(&not_one, b"not an archive at all").unwrap();
    assert!(
        assetmap::http::web::WebOptions::new(None, None)
            .with_tiles_archive(not_one)
            .is_err()
    );

    let get = |app: axum::Router, range: Option<&'static str>| async move {
        let mut r = Request::get("/tiles/archive.pmtiles");
        if let Some(range) = range {
            r = r.header("range", range);
        }
        app.oneshot(r.body(Body::empty()).unwrap()).await.unwrap()
    };
    let unconfigured = router(AppState::new(snapshot.clone()));
    assert_eq!(get(unconfigured, Some("bytes=0-126")).await.status(), 404);
    let app = router(
        AppState::new(snapshot).with_web(
            assetmap::http::web::WebOptions::new(None, None)
                .with_tiles_archive(path)
                .unwrap(),
        ),
    );
    let config = app
        .clone()
        .oneshot(
            Request::get("/app/config.json")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let config: Value =
        serde_json::from_slice(&config.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert_eq!(
        config["tiles_archive"],
        serde_json::json!({"url": "/tiles/archive.pmtiles", "maxzoom": 12})
    );

    let head = get(app.clone(), Some("bytes=0-126")).await;
    assert_eq!(head.status(), 206);
    assert_eq!(
        head.headers()["content-range"],
        format!("bytes 0-126/{}", bytes.len())
    );
    assert_eq!(head.headers()["accept-ranges"], "bytes");
    let body = head.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(&body[..], &bytes[..127]);
    let tail = get(app.clone(), Some("bytes=-10")).await;
    assert_eq!(tail.status(), 206);
    assert_eq!(
        &tail.into_body().collect().await.unwrap().to_bytes()[..],
        &bytes[bytes.len() - 10..]
    );
    let open_ended = get(app.clone(), Some("bytes=100-")).await;
    assert_eq!(
        open_ended
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .len(),
        bytes.len() - 100
    );
    assert_eq!(
        get(app.clone(), Some("bytes=99999999-")).await.status(),
        416
    );
    assert_eq!(get(app.clone(), Some("items=0-5")).await.status(), 416);
    assert_eq!(get(app.clone(), Some("bytes=0-1,5-9")).await.status(), 400);
    let whole = get(app, None).await;
    assert_eq!(whole.status(), 200);
    assert_eq!(
        whole.into_body().collect().await.unwrap().to_bytes().len(),
        bytes.len()
    );
}

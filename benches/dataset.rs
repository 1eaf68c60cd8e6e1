//! Loading and querying: the built-in demo always, and the national dataset
//! (8,441 wards, 33,755 small areas with polygons, ~21k assets from
//! `manifests/england.toml`) when `ASSETMAP_REAL_DATA` points at the shared data.
//!
//! `cargo bench --bench dataset`; peak memory comes from `bench/national-load.sh`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::time::Duration;

use assetmap::ingest::{self, Quiet};
use common::real_manifest;
use criterion::{Criterion, criterion_group, criterion_main};
use geo::Coord;

/// Seeded points spread over a box.
fn points(n: usize, min: Coord, max: Coord) -> Vec<Coord> {
    let mut state: u64 = 12_345;
    let mut unit = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..n)
        .map(|_| Coord {
            x: min.x + unit() * (max.x - min.x),
            y: min.y + unit() * (max.y - min.y),
        })
        .collect()
}

fn demo(c: &mut Criterion) {
    c.bench_function("load/demo", |b| {
        b.iter(|| assetmap::demo::load(&Quiet).map(|l| l.dataset.assets.len()))
    });
}

fn national(c: &mut Criterion) {
    let Some(manifest) = real_manifest("england.toml") else {
        eprintln!("ASSETMAP_REAL_DATA is not set: skipping the national benchmarks");
        return;
    };
    let mut group = c.benchmark_group("national");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(40));
    group.bench_function("load_validate_join_index", |b| {
        b.iter(|| ingest::load_path(&manifest, &Quiet).map(|l| l.dataset.wards.len()))
    });
    group.finish();

    let dataset = match ingest::load_path(&manifest, &Quiet) {
        Ok(l) => l.dataset,
        Err(f) => panic!("{}", f.problem),
    };
    let queries = points(
        4096,
        Coord {
            x: 150_000.0,
            y: 50_000.0,
        },
        Coord {
            x: 650_000.0,
            y: 650_000.0,
        },
    );
    let mut i = 0;
    c.bench_function("national/nearest_k10", |b| {
        b.iter(|| {
            i = (i + 1) % queries.len();
            dataset.asset_index.nearest(queries[i], 10, &[], None)
        })
    });
    let gp = vec!["gp".to_string()];
    c.bench_function("national/nearest_k10_gp_only", |b| {
        b.iter(|| {
            i = (i + 1) % queries.len();
            dataset.asset_index.nearest(queries[i], 10, &gp, None)
        })
    });
    // Cold tile generation (no cache), one tile at a time, z 10..16 under
    // real assets: the distribution, then a criterion bench over the same list.
    let source =
        assetmap::tiles::TileSource::new(&dataset, assetmap::tiles::cluster::DEFAULT_MAX_ZOOM);
    let tiles: Vec<assetmap::tiles::TileId> = dataset
        .assets
        .iter()
        .step_by(7)
        .enumerate()
        .map(|(k, a)| {
            let m = assetmap::tiles::normalised_mercator(a.lonlat);
            assetmap::tiles::TileId::containing(10 + (k % 7) as u8, m.x, m.y)
        })
        .collect();
    // One pass first so the one-off per-zoom generalisation is not timed.
    for &t in &tiles {
        std::hint::black_box(source.render(
            &dataset,
            t,
            assetmap::tiles::TileLayer::All,
            &[],
            None,
        ));
    }
    let mut timed: Vec<(f64, assetmap::tiles::TileId)> = tiles
        .iter()
        .map(|&t| {
            let started = std::time::Instant::now();
            let bytes = source.render(&dataset, t, assetmap::tiles::TileLayer::All, &[], None);
            std::hint::black_box(bytes);
            (started.elapsed().as_secs_f64() * 1000.0, t)
        })
        .collect();
    timed.sort_by(|a, b| a.0.total_cmp(&b.0));
    eprintln!("slowest tiles: {:?}", &timed[timed.len() - 3..]);
    let times: Vec<f64> = timed.iter().map(|(ms, _)| *ms).collect();
    let pct = |p: f64| times[((times.len() - 1) as f64 * p) as usize];
    eprintln!(
        "cold tile generation, all layers, z10..16, {} tiles: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        times.len(),
        pct(0.5),
        pct(0.9),
        pct(0.99),
        times[times.len() - 1]
    );
    let mut k = 0;
    c.bench_function("national/tile_all_layers_z10_16", |b| {
        b.iter(|| {
            k = (k + 1) % tiles.len();
            source.render(
                &dataset,
                tiles[k],
                assetmap::tiles::TileLayer::All,
                &[],
                None,
            )
        })
    });

    let mut group = c.benchmark_group("gaps");
    group.sample_size(10);
    group.bench_function("national_all_categories", |b| {
        b.iter(|| {
            ["gp", "pharmacy", "library"].map(|category| {
                assetmap::analysis::analyse(&dataset, &assetmap::analysis::GapParams::new(category))
                    .wards
                    .len()
            })
        })
    });
    group.finish();
    c.bench_function("national/ward_point_in_polygon", |b| {
        b.iter(|| {
            i = (i + 1) % queries.len();
            dataset.ward_at(queries[i])
        })
    });
}

/// `/api/nearby` in process: the whole handler through the router, and `/health` beside it.
fn nearby(c: &mut Criterion) {
    use tower::ServiceExt;
    let dataset = match real_manifest("five-councils.toml") {
        Some(m) => ingest::load_path(&m, &Quiet).map(|l| l.dataset),
        None => assetmap::demo::load(&Quiet).map(|l| l.dataset),
    };
    let dataset = std::sync::Arc::new(dataset.unwrap_or_else(|f| panic!("{}", f.problem)));
    let app = assetmap::http::router(assetmap::http::AppState::new(dataset.clone()));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let first = dataset.assets[0].lonlat;
    let uris: Vec<String> = points(
        1024,
        Coord {
            x: first.x - 0.05,
            y: first.y - 0.03,
        },
        Coord {
            x: first.x + 0.05,
            y: first.y + 0.03,
        },
    )
    .iter()
    .map(|p| format!("/api/nearby?lon={:.5}&lat={:.5}&limit=10", p.x, p.y))
    .collect();
    // One request through the whole router, as a client would send it.
    let send = |uri: &str, gzip: bool| {
        let mut request = axum::http::Request::get(uri);
        if gzip {
            request = request.header("accept-encoding", "gzip");
        }
        let request = request.body(axum::body::Body::empty()).unwrap();
        runtime
            .block_on(app.clone().oneshot(request))
            .unwrap()
            .status()
    };
    let mut i = 0;
    let mut group = c.benchmark_group("http");
    // Plain searches, then the same judged for opening at a Saturday evening,
    // when most places are shut: with every result's state, then keeping only the open.
    for (name, suffix) in [
        ("nearby_k10", ""),
        ("nearby_k10_with_hours", "&at=2026-12-05T18:30"),
        ("nearby_k10_open_now", "&at=2026-12-05T18:30&open=now"),
    ] {
        let timed: Vec<String> = uris.iter().map(|u| format!("{u}{suffix}")).collect();
        group.bench_function(name, |b| {
            b.iter(|| {
                i = (i + 1) % timed.len();
                send(&timed[i], false)
            })
        });
    }
    group.bench_function("gaps_all_categories_uncached", |b| {
        b.iter(|| {
            dataset
                .info
                .category_labels
                .keys()
                .map(|category| {
                    assetmap::analysis::analyse(
                        &dataset,
                        &assetmap::analysis::GapParams::new(category),
                    )
                    .wards
                    .len()
                })
                .sum::<usize>()
        })
    });
    // MapLibre's 800 KB script, gzipped: made once at start-up, so a request
    // costs about what /health does.
    assetmap::http::web::prepare();
    group.bench_function("app_maplibre_gzip", |b| {
        b.iter(|| send("/app/maplibre-gl.mjs", true))
    });
    group.bench_function("health", |b| b.iter(|| send("/health", false)));
    group.finish();
}

criterion_group!(benches, demo, nearby, national);
criterion_main!(benches);

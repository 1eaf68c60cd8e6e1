//! How long one officer's edit takes to reach every reader: the store's
//! commit (SQLite on disk, `synchronous=FULL`), the catalog's new snapshot,
//! the tiles' re-clustering with exact invalidation, and the nearby JSON.
//! On the five councils and on England's data (`ASSETMAP_REAL_DATA`).
//!
//! `ASSETMAP_REAL_DATA=../shared/data cargo bench --bench catalog`
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use assetmap::catalog::{Catalog, Edit, StoreLocation};
use assetmap::http::AppState;
use assetmap::ingest::{self, Quiet};
use assetmap::tiles::{TileId, TileLayer, normalised_mercator};
use common::real_manifest;
use criterion::{Criterion, criterion_group, criterion_main};

fn edits(c: &mut Criterion, label: &str, dataset: assetmap::model::Dataset) {
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let store = StoreLocation::Sqlite(dir.path().join("bench.sqlite"))
        .open()
        .unwrap();
    let (catalog, report) = Catalog::open(dataset, store).unwrap();
    eprintln!(
        "{label}: first sync of {} assets into SQLite: {:.2} s",
        report.created.len(),
        started.elapsed().as_secs_f64()
    );
    let catalog = Arc::new(catalog);
    let started = Instant::now();
    let state = AppState::with_catalog(
        catalog.clone(),
        assetmap::tiles::cluster::DEFAULT_MAX_ZOOM,
        64 << 20,
    );
    eprintln!(
        "{label}: views (tiles, nearby JSON): {:.2} s",
        started.elapsed().as_secs_f64()
    );
    let d = state.dataset();
    // Warm the cluster hierarchies readers use: all assets, and GPs only.
    let m = normalised_mercator(d.assets[0].lonlat);
    for categories in [vec![], vec!["gp".to_string()]] {
        state.tiles.render(
            &d,
            TileId::containing(12, m.x, m.y),
            TileLayer::Assets,
            &categories,
            None,
        );
    }
    // An asset that stays inside its ward when moved 20 m west.
    let id = d.assets[d.assets.len() / 2..]
        .iter()
        .chain(&d.assets)
        .find(|a| {
            let west = geo::Coord {
                x: a.bng.x - 20.0,
                y: a.bng.y,
            };
            d.ward_at(a.bng).is_some() && d.ward_at(west).is_some()
        })
        .expect("some asset is inside a ward")
        .id
        .clone();
    let mut k = 0u64;
    let mut one_edit = || {
        k += 1;
        let row = catalog.row(&id).unwrap();
        let mut fields = row.fields.clone();
        // A move of 20 m and back, and a new phone number each time.
        fields.easting_m += if k.is_multiple_of(2) { 20.0 } else { -20.0 };
        // (it starts at its place: odd edits go west, even ones come back)
        fields.phone = Some(format!("020 7946 {:04}", k % 10_000));
        catalog
            .apply(
                Edit::Replace {
                    id: id.clone(),
                    expected_revision: row.revision,
                    fields,
                },
                "bench",
                None,
            )
            .unwrap();
    };
    let mut samples: Vec<f64> = (0..40)
        .map(|_| {
            let t = Instant::now();
            one_edit();
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    eprintln!(
        "{label}: edit visible to every reader: p50 {:.1} ms, p90 {:.1} ms, max {:.1} ms ({} assets)",
        samples[samples.len() / 2],
        samples[samples.len() * 9 / 10],
        samples[samples.len() - 1],
        d.assets.len()
    );
    let mut group = c.benchmark_group("catalog");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(10));
    group.bench_function(format!("{label}/edit_visible_to_every_reader"), |b| {
        b.iter(&mut one_edit)
    });
    group.finish();
}

fn demo(c: &mut Criterion) {
    edits(c, "demo", assetmap::demo::load(&Quiet).unwrap().dataset);
}

fn real(c: &mut Criterion) {
    for (label, name) in [
        ("five_councils", "five-councils.toml"),
        ("england", "england.toml"),
    ] {
        let Some(manifest) = real_manifest(name) else {
            eprintln!("ASSETMAP_REAL_DATA is not set: skipping {label}");
            return;
        };
        let dataset = ingest::load_path(&manifest, &Quiet)
            .unwrap_or_else(|f| panic!("{}", f.problem))
            .dataset;
        edits(c, label, dataset);
    }
}

criterion_group!(benches, demo, real);
criterion_main!(benches);

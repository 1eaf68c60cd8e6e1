//! Polygon checks and repair: assetmap's O(n log n) check and repair beside
//! geo's `Validation` and `MakeValid`, on sizes geo can still finish.
//!
//! `cargo bench --bench validity`. Full-resolution boundaries have wards of
//! 100k to 300k vertices; `bench/dense-boundaries.sh` loads a national file
//! densified to that scale.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::f64::consts::TAU;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use geo::{Coord, LineString, MakeValid, MultiPolygon, Polygon, Validation};

/// A valid, wiggly ward-like ring of `n` vertices (radius varies with angle).
fn ward(n: usize) -> MultiPolygon {
    let coords: Vec<Coord> = (0..n)
        .map(|i| {
            let a = TAU * i as f64 / n as f64;
            let r = 5000.0 + 300.0 * (37.0 * a).sin() + 40.0 * (911.0 * a).sin();
            Coord {
                x: 530_000.0 + r * a.cos(),
                y: 180_000.0 + r * a.sin(),
            }
        })
        .collect();
    let mut ring = coords;
    ring.push(ring[0]);
    MultiPolygon::new(vec![Polygon::new(LineString::from(ring), vec![])])
}

/// A star polygon {n/step}: its ring visits every `step`-th of `n` points on
/// a circle, so each edge crosses about 2·step others (n and step coprime).
fn star(n: usize, step: usize) -> MultiPolygon {
    let mut coords: Vec<Coord> = (0..n)
        .map(|i| {
            let a = TAU * ((i * step) % n) as f64 / n as f64;
            Coord {
                x: 1000.0 * a.cos(),
                y: 1000.0 * a.sin(),
            }
        })
        .collect();
    coords.push(coords[0]);
    MultiPolygon::new(vec![Polygon::new(LineString::from(coords), vec![])])
}

fn check(c: &mut Criterion) {
    let mut group = c.benchmark_group("check");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    for n in [2_000usize, 10_000] {
        let shape = ward(n);
        group.bench_with_input(BenchmarkId::new("assetmap", n), &shape, |b, s| {
            b.iter(|| assetmap::validity::is_valid(s))
        });
        group.bench_with_input(BenchmarkId::new("geo", n), &shape, |b, s| {
            b.iter(|| s.is_valid())
        });
    }
    let big = ward(300_000);
    assert!(assetmap::validity::is_valid(&big));
    group.bench_with_input(BenchmarkId::new("assetmap", 300_000), &big, |b, s| {
        b.iter(|| assetmap::validity::is_valid(s))
    });
    group.finish();
}

fn repair(c: &mut Criterion) {
    let mut group = c.benchmark_group("repair_star");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    // {201/100}: every edge crosses nearly every other (10,050 pieces);
    // {2001/7}: a 2k-vertex star, each edge crossing 12 others (6,004 pieces).
    for (n, step) in [(201usize, 100usize), (2_001, 7)] {
        let shape = star(n, step);
        let id = format!("{n}/{step}");
        group.bench_with_input(BenchmarkId::new("assetmap", &id), &shape, |b, s| {
            b.iter(|| assetmap::validity::repair(s))
        });
        group.bench_with_input(BenchmarkId::new("geo", &id), &shape, |b, s| {
            b.iter(|| s.make_valid())
        });
    }
    group.finish();
}

criterion_group!(benches, check, repair);
criterion_main!(benches);

//! Several replicas on one PostgreSQL: each serves reads from its own
//! memory, a write through one is served by the other within a second
//! (LISTEN/NOTIFY, with a periodic check behind it), and two conflicting
//! writes through different replicas cannot both win.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::live::{Server, fresh_database, get, postgres_admin, request, token};
use serde_json::json;

fn tile_path(lon: f64, lat: f64) -> String {
    let m = assetmap::tiles::normalised_mercator(geo::Coord { x: lon, y: lat });
    let t = assetmap::tiles::TileId::containing(16, m.x, m.y);
    format!("/tiles/assets/16/{}/{}.mvt", t.x, t.y)
}

#[test]
fn a_write_through_one_replica_is_served_by_the_other_within_a_second() {
    let Some(admin) = postgres_admin() else {
        return;
    };
    let store = fresh_database(&admin, "replicas");
    let auth = format!("Bearer {}", token(&store, "editor"));
    let a = Server::start(&store, &[]);
    let b = Server::start(&store, &[]);

    // Somewhere inside a ward, away from other assets' tiles being the same.
    let wards = get(b.addr, "/api/wards").json();
    let p = wards["wards"][3]["label_point"].as_array().unwrap();
    let (lon, lat) = (p[0].as_f64().unwrap(), p[1].as_f64().unwrap());
    let tile = tile_path(lon, lat);
    let tile_before = get(b.addr, &tile);
    let etag_before = tile_before.header("etag").unwrap_or("").to_string();

    let mut latencies = Vec::new();
    // A create through A, seen by B: nearby and the tile's ETag.
    let body = json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": {"category": "advice", "name": "Replica advice desk"}});
    let created = request(
        a.addr,
        "POST",
        "/collections/assets/items",
        &[
            ("authorization", &auth),
            ("content-type", "application/geo+json"),
        ],
        body.to_string().as_bytes(),
    )
    .unwrap();
    assert_eq!(
        created.status,
        201,
        "{}",
        String::from_utf8_lossy(&created.body)
    );
    let id = created.json()["id"].as_str().unwrap().to_string();
    let acked = Instant::now();
    let nearby = format!("/api/nearby?lon={lon}&lat={lat}&limit=3");
    loop {
        let seen_nearby =
            String::from_utf8_lossy(&get(b.addr, &nearby).body).contains("Replica advice desk");
        let etag_now = get(b.addr, &tile).header("etag").unwrap_or("").to_string();
        if seen_nearby && etag_now != etag_before {
            break;
        }
        assert!(
            acked.elapsed() < Duration::from_secs(1),
            "replica B did not serve the create within 1 s"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    latencies.push(acked.elapsed());

    // An update through B, seen by A.
    let patch = json!({"properties": {"name": "Replica advice centre"}});
    let updated = request(
        b.addr,
        "PATCH",
        &format!("/collections/assets/items/{id}"),
        &[
            ("authorization", &auth),
            ("content-type", "application/merge-patch+json"),
            ("if-match", "\"r1\""),
        ],
        patch.to_string().as_bytes(),
    )
    .unwrap();
    assert_eq!(
        updated.status,
        200,
        "{}",
        String::from_utf8_lossy(&updated.body)
    );
    let acked = Instant::now();
    loop {
        let item = get(a.addr, &format!("/collections/assets/items/{id}"));
        if item.header("etag") == Some("\"r2\"") {
            assert!(String::from_utf8_lossy(&item.body).contains("Replica advice centre"));
            break;
        }
        assert!(
            acked.elapsed() < Duration::from_secs(1),
            "replica A did not serve the update within 1 s"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    latencies.push(acked.elapsed());
    eprintln!("replicas: write-to-visible on the other replica: {latencies:?}");

    // Two conflicting writes at once, one through each replica, with the same If-Match.
    let both: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = [(a.addr, "From A"), (b.addr, "From B")]
            .into_iter()
            .map(|(addr, name)| {
                let auth = auth.clone();
                let id = id.clone();
                s.spawn(move || {
                    let patch = json!({"properties": {"name": name}});
                    request(
                        addr,
                        "PATCH",
                        &format!("/collections/assets/items/{id}"),
                        &[
                            ("authorization", &auth),
                            ("content-type", "application/merge-patch+json"),
                            ("if-match", "\"r2\""),
                        ],
                        patch.to_string().as_bytes(),
                    )
                    .unwrap()
                    .status
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut sorted = both.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        [200, 412],
        "exactly one of two conflicting writes wins: {both:?}"
    );
    let h = get(a.addr, &format!("/api/assets/{id}/history")).json();
    assert_eq!(h["revisions"].as_array().unwrap().len(), 3);
}

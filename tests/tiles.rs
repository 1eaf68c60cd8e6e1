//! Vector tiles: decoded with an independent decoder (Python
//! `mapbox-vector-tile`, installed by `.ci/run`) and compared with brute-force
//! selections over the real five-council data; HTTP caching behaviour; and
//! exact invalidation when an asset moves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use assetmap::http::{AppState, router};
use assetmap::ingest::Quiet;
use assetmap::model::Dataset;
use assetmap::tiles::{TileId, TileLayer, normalised_mercator};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{derived_assets, five_council_areas, load_manifest, real_data};
use geo::{
    Area, BooleanOps, Coord, LineString, MapCoords, MultiPolygon, Polygon, Rect, Validation,
};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

/// Whether a decoded point lies in its tile proper, not in the buffer it
/// shares with a neighbour (each point is in exactly one tile proper).
fn in_own_tile(feature: &Value) -> bool {
    let g = &feature["geometry"];
    let inside = |v: &Value| v.as_f64().is_some_and(|c| (0.0..4096.0).contains(&c));
    inside(&g[0]) && inside(&g[1])
}

fn decode(tiles: &[(TileId, Vec<u8>)]) -> Option<Vec<Value>> {
    common::decode_tiles(tiles)
}

fn five_councils() -> Option<Dataset> {
    let data = real_data()?;
    Some(
        load_manifest(&(five_council_areas(&data) + &derived_assets(&data)))
            .unwrap_or_else(|f| panic!("{}", f.problem))
            .dataset,
    )
}

fn demo() -> Arc<Dataset> {
    Arc::new(assetmap::demo::load(&Quiet).unwrap().dataset)
}

/// Tiles at zoom z covering a longitude/latitude box.
/// The longitude/latitude box of the dataset's assets.
fn asset_extent(d: &Dataset) -> (Coord, Coord) {
    let (mut min, mut max): (Coord, Coord) = (
        Coord { x: 180.0, y: 90.0 },
        Coord {
            x: -180.0,
            y: -90.0,
        },
    );
    for a in &d.assets {
        min = Coord {
            x: min.x.min(a.lonlat.x),
            y: min.y.min(a.lonlat.y),
        };
        max = Coord {
            x: max.x.max(a.lonlat.x),
            y: max.y.max(a.lonlat.y),
        };
    }
    (min, max)
}

fn tiles_over(z: u8, min: Coord, max: Coord) -> Vec<TileId> {
    let (a, b) = (
        normalised_mercator(Coord { x: min.x, y: max.y }),
        normalised_mercator(Coord { x: max.x, y: min.y }),
    );
    let (t0, t1) = (
        TileId::containing(z, a.x, a.y),
        TileId::containing(z, b.x, b.y),
    );
    let mut out = Vec::new();
    for x in t0.x..=t1.x {
        for y in t0.y..=t1.y {
            out.push(TileId { z, x, y });
        }
    }
    out
}

fn tile_frame(t: TileId) -> impl Fn(Coord) -> Coord {
    let n = f64::powi(2.0, i32::from(t.z));
    move |c: Coord| {
        let m = normalised_mercator(c);
        Coord {
            x: (m.x * n - f64::from(t.x)) * 4096.0,
            y: (m.y * n - f64::from(t.y)) * 4096.0,
        }
    }
}

fn rings_of(geometry: &Value, kind: &str) -> Vec<Vec<Vec<(f64, f64)>>> {
    let polygon = |p: &Value| -> Vec<Vec<(f64, f64)>> {
        p.as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r.as_array()
                    .unwrap()
                    .iter()
                    .map(|c| (c[0].as_f64().unwrap(), c[1].as_f64().unwrap()))
                    .collect()
            })
            .collect()
    };
    match kind {
        "Polygon" => vec![polygon(geometry)],
        "MultiPolygon" => geometry.as_array().unwrap().iter().map(polygon).collect(),
        other => panic!("unexpected {other}"),
    }
}

fn shoelace(ring: &[(f64, f64)]) -> f64 {
    ring.windows(2)
        .map(|w| w[0].0 * w[1].1 - w[1].0 * w[0].1)
        .sum()
}

#[test]
fn decoded_tiles_match_brute_force_selections_on_real_data() {
    let Some(d) = five_councils() else { return };
    let state = AppState::with_tiles(Arc::new(d), 13, 0);
    let d = state.dataset();
    // Westminster and central Manchester at several zooms.
    let mut tiles = Vec::new();
    for (min, max) in [
        (Coord { x: -0.19, y: 51.49 }, Coord { x: -0.13, y: 51.53 }),
        (Coord { x: -2.26, y: 53.46 }, Coord { x: -2.22, y: 53.49 }),
    ] {
        for z in [8, 11, 13, 14, 15] {
            tiles.extend(tiles_over(z, min, max));
        }
    }
    let rendered: Vec<(TileId, Vec<u8>)> = tiles
        .iter()
        .map(|&t| (t, state.tiles.render(&d, t, TileLayer::All, &[], None)))
        .collect();
    let Some(decoded) = decode(&rendered) else {
        return;
    };
    let mut checked_wards = 0;
    for ((tile, _), dec) in rendered.iter().zip(&decoded) {
        let layers = &dec["layers"];
        let to_tile = tile_frame(*tile);
        // Wards: present if they meet the tile by more than a few units; never if they miss the buffered tile.
        let got: BTreeSet<String> = layers["wards"]["features"]
            .as_array()
            .map(|f| {
                f.iter()
                    .map(|f| f["properties"]["code"].as_str().unwrap().to_string())
                    .collect()
            })
            .unwrap_or_default();
        let tile_rect = MultiPolygon(vec![
            Rect::new(
                Coord { x: 0.0, y: 0.0 },
                Coord {
                    x: 4096.0,
                    y: 4096.0,
                },
            )
            .to_polygon(),
        ]);
        let buffered = MultiPolygon(vec![
            Rect::new(
                Coord { x: -64.0, y: -64.0 },
                Coord {
                    x: 4160.0,
                    y: 4160.0,
                },
            )
            .to_polygon(),
        ]);
        for w in d.wards.iter() {
            let local = w.lonlat.map_coords(&to_tile);
            let inside = local.intersection(&tile_rect).unsigned_area();
            let near = local.intersection(&buffered).unsigned_area();
            if inside > 64.0 {
                assert!(
                    got.contains(&w.code),
                    "{tile:?}: ward {} ({inside} units² inside) is missing",
                    w.code
                );
            }
            if near == 0.0 {
                assert!(
                    !got.contains(&w.code),
                    "{tile:?}: ward {} is outside the buffered tile",
                    w.code
                );
            }
        }
        checked_wards += got.len();
        // Assets beyond the clustered zooms: exactly those whose position is in the tile.
        if tile.z > 13 {
            let got: BTreeSet<String> = layers["assets"]["features"]
                .as_array()
                .map(|f| {
                    f.iter()
                        .map(|f| f["properties"]["id"].as_str().unwrap().to_string())
                        .collect()
                })
                .unwrap_or_default();
            let expected: BTreeSet<String> = d
                .assets
                .iter()
                .filter(|a| {
                    // In the tile or its buffer, so symbols at edges are whole.
                    let m = normalised_mercator(a.lonlat);
                    TileId::holding(tile.z, m.x, m.y).any(|t| t == *tile)
                })
                .map(|a| a.id.clone())
                .collect();
            assert_eq!(got, expected, "{tile:?}");
        }
        // Every coordinate within extent + buffer; polygons valid with MVT winding.
        for (name, layer) in layers.as_object().unwrap() {
            for f in layer["features"].as_array().unwrap() {
                let kind = f["type"].as_str().unwrap();
                if kind == "Point" {
                    let (x, y) = (
                        f["geometry"][0].as_f64().unwrap(),
                        f["geometry"][1].as_f64().unwrap(),
                    );
                    // In the tile or its buffer (a symbol at an edge is whole).
                    assert!(
                        (-64.0..=4160.0).contains(&x) && (-64.0..=4160.0).contains(&y),
                        "{name} point {x},{y}"
                    );
                    continue;
                }
                for polygon in rings_of(&f["geometry"], kind) {
                    for (k, ring) in polygon.iter().enumerate() {
                        assert!(
                            ring.iter().all(|&(x, y)| (-64.0..=4160.0).contains(&x)
                                && (-64.0..=4160.0).contains(&y)),
                            "{name} {tile:?}"
                        );
                        let area = shoelace(ring);
                        assert!(
                            if k == 0 { area > 0.0 } else { area < 0.0 },
                            "{name} {tile:?}: ring {k} winding"
                        );
                    }
                    let geo_polygon = Polygon::new(
                        LineString::from(polygon[0].clone()),
                        polygon[1..]
                            .iter()
                            .map(|r| LineString::from(r.clone()))
                            .collect(),
                    );
                    assert!(
                        geo_polygon.is_valid(),
                        "{name} {tile:?} {}: {:?}",
                        f["properties"]["code"],
                        geo_polygon.validation_errors()
                    );
                }
            }
        }
    }
    assert!(checked_wards > 100, "{checked_wards}");
}

/// Below the details zoom a ward carries only its code (what the pages
/// colour it by and look the rest up by), and small areas are not drawn; at
/// it, both carry every property.
#[test]
fn low_zoom_polygons_carry_only_what_the_map_joins_by() {
    use assetmap::tiles::{SMALL_AREAS_MIN_ZOOM, WARD_DETAILS_MIN_ZOOM};
    let Some(d) = five_councils() else { return };
    let state = AppState::with_tiles(Arc::new(d), 13, 0);
    let d = state.dataset();
    let westminster = (Coord { x: -0.19, y: 51.49 }, Coord { x: -0.13, y: 51.53 });
    let zooms = [6, WARD_DETAILS_MIN_ZOOM - 1, WARD_DETAILS_MIN_ZOOM, 14];
    let tiles: Vec<(TileId, Vec<u8>)> = zooms
        .iter()
        .flat_map(|&z| tiles_over(z, westminster.0, westminster.1))
        .map(|t| (t, state.tiles.render(&d, t, TileLayer::All, &[], None)))
        .collect();
    let Some(decoded) = decode(&tiles) else {
        return;
    };
    let mut seen = BTreeMap::new();
    for ((tile, _), dec) in tiles.iter().zip(&decoded) {
        // Tiles at the box's edges can fall outside the five councils.
        let Some(wards) = dec["layers"]["wards"]["features"].as_array() else {
            continue;
        };
        for f in wards {
            let p = f["properties"].as_object().unwrap();
            let code = p["code"].as_str().unwrap();
            let w = d.wards.iter().find(|w| w.code == code).unwrap();
            let keys: Vec<&str> = p.keys().map(String::as_str).collect();
            if tile.z < WARD_DETAILS_MIN_ZOOM {
                assert_eq!(keys, ["code"], "{tile:?}");
            } else {
                assert_eq!(p["name"], w.name.as_str(), "{tile:?}");
                assert_eq!(p["population"].as_f64(), Some(w.population), "{tile:?}");
                assert!(
                    p.contains_key("council_code") && p.contains_key("imd_score"),
                    "{tile:?}"
                );
            }
        }
        let areas = dec["layers"]["small_areas"]["features"].as_array();
        if tile.z < SMALL_AREAS_MIN_ZOOM {
            assert!(
                areas.is_none(),
                "{tile:?}: no small areas below zoom {SMALL_AREAS_MIN_ZOOM}"
            );
        } else {
            for f in areas.unwrap() {
                let p = &f["properties"];
                for key in [
                    "code",
                    "name",
                    "ward_code",
                    "population",
                    "imd_score",
                    "imd_decile",
                ] {
                    assert!(!p[key].is_null(), "{tile:?}: small area without {key}: {p}");
                }
            }
        }
        *seen.entry(tile.z).or_insert(0) += wards.len();
    }
    assert_eq!(seen.len(), zooms.len(), "wards at every zoom: {seen:?}");
    // The server says so too, for GIS clients.
    let tilejson = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let r = router(state.clone())
            .oneshot(Request::get("/tiles/all.json").body(Body::empty()).unwrap())
            .await
            .unwrap();
        let body = r.into_body().collect().await.unwrap().to_bytes();
        serde_json::from_slice::<Value>(&body).unwrap()
    });
    let layer = |id: &str| {
        tilejson["vector_layers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(layer("small_areas")["minzoom"], SMALL_AREAS_MIN_ZOOM);
    assert!(
        layer("wards")["description"]
            .as_str()
            .unwrap()
            .contains(&format!(
                "Below zoom {WARD_DETAILS_MIN_ZOOM} a ward carries only its code"
            ))
    );
}

#[test]
fn each_asset_is_counted_once_across_a_zooms_tiles() {
    let Some(d) = five_councils() else { return };
    let state = AppState::with_tiles(Arc::new(d), 13, 0);
    let d = state.dataset();
    for z in [4u8, 7, 10, 12] {
        // Every tile over the assets' extent (a cluster's centre can fall in a
        // tile that holds none of its members).
        let (min, max) = asset_extent(&d);
        let tiles = tiles_over(z, min, max);
        let rendered: Vec<(TileId, Vec<u8>)> = tiles
            .iter()
            .map(|&t| (t, state.tiles.render(&d, t, TileLayer::Assets, &[], None)))
            .collect();
        let Some(decoded) = decode(&rendered) else {
            return;
        };
        let mut total = 0;
        let mut gp = 0;
        for dec in &decoded {
            for f in dec["layers"]["assets"]["features"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|f| in_own_tile(f))
            {
                let p = &f["properties"];
                match p["point_count"].as_u64() {
                    Some(n) => {
                        total += n;
                        gp += p["count_gp"].as_u64().unwrap_or(0);
                        assert!(
                            p["expansion_zoom"]
                                .as_u64()
                                .is_some_and(|e| e > u64::from(z)),
                            "a cluster expands at a deeper zoom: {p}"
                        );
                    }
                    None => {
                        total += 1;
                        gp += u64::from(p["category"] == "gp");
                    }
                }
            }
        }
        assert_eq!(total as usize, d.assets.len(), "zoom {z}");
        assert_eq!(gp, 540, "zoom {z}");
    }
}

async fn fetch(
    app: &axum::Router,
    uri: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let mut request = Request::get(uri);
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    (
        status,
        headers,
        response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
}

/// A tile of the demo town with assets in it, at zoom z.
fn demo_tile(d: &Dataset, z: u8) -> TileId {
    let m = normalised_mercator(d.assets[0].lonlat);
    TileId::containing(z, m.x, m.y)
}

#[tokio::test]
async fn tiles_have_strong_etags_revalidate_and_gzip() {
    let d = demo();
    let app = router(AppState::new(d.clone()));
    let t = demo_tile(&d, 12);
    let uri = format!("/tiles/all/{}/{}/{}.mvt", t.z, t.x, t.y);
    let (status, headers, raw) = fetch(&app, &uri, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers["content-type"],
        "application/vnd.mapbox-vector-tile"
    );
    assert_eq!(
        headers["cache-control"],
        "public, max-age=60, must-revalidate"
    );
    let etag = headers["etag"].to_str().unwrap().to_string();
    assert!(
        etag.starts_with('"') && !etag.starts_with("W/"),
        "strong ETag: {etag}"
    );
    let (status, headers, body) = fetch(&app, &uri, &[("if-none-match", &etag)]).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert!(body.is_empty());
    assert_eq!(headers["etag"].to_str().unwrap(), etag);
    let (_, headers, gz) = fetch(&app, &uri, &[("accept-encoding", "gzip, br")]).await;
    assert_eq!(headers["content-encoding"], "gzip");
    let mut unzipped = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut unzipped).unwrap();
    assert_eq!(unzipped, raw);
    let (status, headers, body) = fetch(&app, "/tiles/all/5/0/0.mvt", &[]).await;
    assert_eq!(status, StatusCode::OK, "an empty tile is 200 with no bytes");
    assert!(body.is_empty());
    assert_eq!(
        headers["content-type"],
        "application/vnd.mapbox-vector-tile"
    );
    for (uri, code, message) in [
        (
            "/tiles/all/23/0/0.mvt",
            400,
            "zoom must be a whole number from 0 to 22",
        ),
        (
            "/tiles/all/2/4/0.mvt",
            400,
            "x must be a whole number from 0 to 3 at zoom 2",
        ),
        (
            "/tiles/all/2/0/9.mvt",
            400,
            "y must be a whole number from 0 to 3 at zoom 2",
        ),
        ("/tiles/all/2/0/1.png", 400, "must be {y}.mvt"),
        ("/tiles/roads/2/0/1.mvt", 404, "no tile layer \"roads\""),
        (
            "/tiles/wards/2/0/1.mvt?category=gp",
            400,
            "category filters the assets layer",
        ),
        (
            "/tiles/assets/2/0/1.mvt?category=spaceport",
            400,
            "unknown category",
        ),
        (
            "/tiles/assets/2/0/1.mvt?gaps=gp",
            400,
            "gaps colours the wards layer",
        ),
        ("/tiles/roads.json", 404, "no tile layer \"roads\""),
    ] {
        let (status, _, body) = fetch(&app, uri, &[]).await;
        assert_eq!(status.as_u16(), code, "{uri}");
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert!(
            v["description"].as_str().unwrap().contains(message),
            "{uri}: {v}"
        );
    }
    let (_, _, body) = fetch(&app, "/tiles/all.json", &[]).await;
    let tj: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(tj["tilejson"], "3.0.0");
    assert_eq!(tj["vector_layers"].as_array().unwrap().len(), 3);
    assert_eq!(tj["vector_layers"][2]["fields"]["point_count"], "Number");
    assert!(
        tj["tiles"][0]
            .as_str()
            .unwrap()
            .ends_with("/tiles/all/{z}/{x}/{y}.mvt")
    );
    assert_eq!(tj["bounds"].as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn ward_tiles_carry_gap_figures_for_a_category() {
    let d = demo();
    let state = AppState::new(d.clone());
    let t = demo_tile(&d, 12);
    let plain = state.tiles.render(&d, t, TileLayer::Wards, &[], None);
    let gaps = assetmap::analysis::analyse(&d, &assetmap::analysis::GapParams::new("gp"));
    let coloured = state
        .tiles
        .render(&d, t, TileLayer::Wards, &[], Some(&gaps));
    assert!(coloured.len() > plain.len());
    let Some(decoded) = decode(&[(t, coloured)]) else {
        return;
    };
    let features = decoded[0]["layers"]["wards"]["features"]
        .as_array()
        .unwrap();
    for f in features {
        let code = f["properties"]["code"].as_str().unwrap();
        let w = gaps.wards.iter().find(|w| w.code == code).unwrap();
        assert_eq!(
            f["properties"]["underserved"].as_bool(),
            Some(w.underserved)
        );
        assert!((f["properties"]["gap"].as_f64().unwrap() - w.gap.unwrap()).abs() < 1e-6);
    }
}

/// Every tile of the demo town at zooms 0..=16, plus 14..=22 around some points.
fn demo_tiles(d: &Dataset, around: &[Coord]) -> Vec<TileId> {
    let (min, max) = asset_extent(d);
    let mut out: Vec<TileId> = (0..=16).flat_map(|z| tiles_over(z, min, max)).collect();
    for z in 14..=22 {
        for &p in around {
            let pad = Coord { x: 0.002, y: 0.002 };
            out.extend(tiles_over(z, p - pad, p + pad));
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The first asset from `start` on that is still inside a ward when moved by
/// (dlon, dlat) degrees: officers' edits must stay inside the coverage.
fn inside_after(d: &Dataset, start: usize, dlon: f64, dlat: f64) -> usize {
    (start..d.assets.len())
        .find(|&i| {
            let a = d.assets[i].lonlat;
            assetmap::crs::wgs84_to_bng(a.x + dlon, a.y + dlat)
                .is_ok_and(|bng| d.ward_at(bng).is_some())
        })
        .expect("some asset can move there")
}

#[test]
fn moving_an_asset_changes_exactly_the_tiles_it_affects() {
    let d = demo();
    let state = AppState::with_tiles(d.clone(), 13, 64 * 1024 * 1024);
    let k = inside_after(&d, 7, 0.004, -0.002);
    let id = d.assets[k].id.clone();
    let from = d.assets[k].lonlat;
    let to = Coord {
        x: from.x + 0.004,
        y: from.y - 0.002,
    };
    let tiles = demo_tiles(&d, &[from, to]);
    let etags = |state: &AppState| -> BTreeMap<TileId, Vec<u8>> {
        tiles
            .iter()
            .map(|&t| (t, state.tiles.render(&d, t, TileLayer::Assets, &[], None)))
            .collect()
    };
    let before = etags(&state);
    common::move_asset(&state, &id, to);
    let changes = state.take_tile_changes();
    let after = etags(&state);
    let changed: BTreeSet<TileId> = tiles
        .iter()
        .copied()
        .filter(|t| before[t] != after[t])
        .collect();
    let predicted: BTreeSet<TileId> = changes
        .tiles
        .iter()
        .filter(|(k, _)| k.is_empty())
        .map(|(_, t)| *t)
        .filter(|t| before.contains_key(t))
        .collect();
    assert!(!changed.is_empty());
    assert_eq!(
        predicted, changed,
        "the change set is exactly the tiles whose content changed"
    );
    // Beyond the clustered zooms: the old and the new tile at each zoom.
    for z in 14..=22 {
        let (a, b) = (normalised_mercator(from), normalised_mercator(to));
        assert!(
            changed.contains(&TileId::containing(z, a.x, a.y))
                && changed.contains(&TileId::containing(z, b.x, b.y)),
            "zoom {z}"
        );
    }
    assert!(
        changed.len() < tiles.len() / 4,
        "most tiles are untouched: {} of {}",
        changed.len(),
        tiles.len()
    );
}

#[tokio::test]
async fn the_tile_cache_evicts_only_the_changed_tiles() {
    let d = demo();
    let state = AppState::with_tiles(d.clone(), 13, 64 * 1024 * 1024);
    let app = router(state.clone());
    let k = inside_after(&d, 3, -0.003, 0.001);
    let from = d.assets[k].lonlat;
    let to = Coord {
        x: from.x - 0.003,
        y: from.y + 0.001,
    };
    let tiles = demo_tiles(&d, &[from, to]);
    let mut etags = BTreeMap::new();
    for t in &tiles {
        for layer in ["assets", "wards"] {
            let (status, headers, _) = fetch(
                &app,
                &format!("/tiles/{layer}/{}/{}/{}.mvt", t.z, t.x, t.y),
                &[],
            )
            .await;
            // Empty tiles (no bytes) are cached too, with their ETag.
            assert_eq!(status, StatusCode::OK);
            let etag = headers["etag"].to_str().unwrap().to_string();
            etags.insert((layer, *t), etag);
        }
    }
    let cached = state.tile_cache.len();
    assert!(cached > 100);
    common::move_asset(&state, &d.assets[k].id, to);
    let changes = state.take_tile_changes();
    let evicted = cached - state.tile_cache.len();
    let expected_evicted = etags
        .keys()
        .filter(|(layer, t)| *layer == "assets" && changes.tiles.contains(&(String::new(), *t)))
        .count();
    assert_eq!(
        evicted, expected_evicted,
        "only changed asset tiles leave the cache"
    );
    for ((layer, t), etag) in etags.iter().filter(|(_, e)| !e.is_empty()) {
        let (status, _, _) = fetch(
            &app,
            &format!("/tiles/{layer}/{}/{}/{}.mvt", t.z, t.x, t.y),
            &[("if-none-match", etag)],
        )
        .await;
        let changed = *layer == "assets" && changes.tiles.contains(&(String::new(), *t));
        if !changed {
            assert_eq!(
                status,
                StatusCode::NOT_MODIFIED,
                "{layer} {t:?} is unchanged"
            );
        }
    }
}

/// Readable text of decoded tiles: layer, feature count, then each feature's
/// id, type, first coordinate and properties.
fn snapshot_text(decoded: &[Value]) -> String {
    let mut out = String::new();
    for tile in decoded {
        let file = tile["file"].as_str().unwrap();
        out.push_str(&format!(
            "tile {}\n",
            std::path::Path::new(file)
                .file_stem()
                .unwrap()
                .to_string_lossy()
        ));
        let layers = tile["layers"].as_object().unwrap();
        for (name, layer) in layers {
            let features = layer["features"].as_array().unwrap();
            out.push_str(&format!(
                "  layer {name}: {} features, extent {}\n",
                features.len(),
                layer["extent"]
            ));
            for f in features {
                let mut first = &f["geometry"];
                while first.get(0).is_some_and(Value::is_array) {
                    first = &first[0];
                }
                let props: Vec<String> = f["properties"]
                    .as_object()
                    .unwrap()
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect();
                out.push_str(&format!(
                    "    {} {} at {} {}\n",
                    f["id"],
                    f["type"].as_str().unwrap(),
                    first,
                    props.join(" ")
                ));
            }
        }
    }
    out
}

#[test]
fn decoded_demo_tiles_match_their_snapshot() {
    let d = demo();
    let state = AppState::new(d.clone());
    let tiles: Vec<(TileId, Vec<u8>)> = [12u8, 14]
        .iter()
        .map(|&z| demo_tile(&d, z))
        .map(|t| (t, state.tiles.render(&d, t, TileLayer::All, &[], None)))
        .collect();
    let Some(decoded) = decode(&tiles) else {
        return;
    };
    let text = snapshot_text(&decoded);
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/snapshots/demo_tiles.txt"
    );
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(path, &text).unwrap();
    }
    let expected = std::fs::read_to_string(path)
        .expect("tests/snapshots/demo_tiles.txt (UPDATE_SNAPSHOTS=1 writes it)");
    assert_eq!(
        text, expected,
        "decoded tiles changed; if intended, run with UPDATE_SNAPSHOTS=1 and review the diff"
    );
}

#[test]
fn category_filters_cluster_only_the_chosen_categories() {
    let d = demo();
    let state = AppState::new(d.clone());
    let wanted = vec!["gp".to_string(), "pharmacy".to_string()];
    let (min, max) = asset_extent(&d);
    let tiles: Vec<(TileId, Vec<u8>)> = [10u8, 13, 15]
        .iter()
        .flat_map(|&z| tiles_over(z, min, max))
        .map(|t| {
            (
                t,
                state.tiles.render(&d, t, TileLayer::Assets, &wanted, None),
            )
        })
        .collect();
    let Some(decoded) = decode(&tiles) else {
        return;
    };
    let expected = d
        .assets
        .iter()
        .filter(|a| wanted.contains(&a.category))
        .count() as u64;
    let mut per_zoom: BTreeMap<u8, u64> = BTreeMap::new();
    for ((t, _), dec) in tiles.iter().zip(&decoded) {
        for f in dec["layers"]["assets"]["features"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|f| in_own_tile(f))
        {
            let p = &f["properties"];
            let n = p["point_count"].as_u64().unwrap_or(1);
            if n == 1 {
                assert!(wanted.contains(&p["category"].as_str().unwrap().to_string()));
            } else {
                assert_eq!(
                    p["count_gp"].as_u64().unwrap_or(0) + p["count_pharmacy"].as_u64().unwrap_or(0),
                    n
                );
            }
            *per_zoom.entry(t.z).or_insert(0) += n;
        }
    }
    assert_eq!(
        per_zoom.values().copied().collect::<Vec<_>>(),
        vec![expected; 3]
    );
}

#[test]
fn adding_and_removing_assets_change_exactly_the_tiles_they_affect() {
    let d = demo();
    let state = AppState::with_tiles(d.clone(), 13, 0);
    let k = inside_after(&d, 20, 0.01, 0.005);
    let gone = d.assets[k].lonlat;
    let new_at = Coord {
        x: gone.x + 0.01,
        y: gone.y + 0.005,
    };
    let tiles = demo_tiles(&d, &[gone, new_at]);
    let render = |state: &AppState, categories: &[String]| -> BTreeMap<TileId, Vec<u8>> {
        tiles
            .iter()
            .map(|&t| {
                (
                    t,
                    state
                        .tiles
                        .render(&d, t, TileLayer::Assets, categories, None),
                )
            })
            .collect()
    };
    // A filtered hierarchy exists too, so its tiles must be tracked as well.
    let category = d.assets[k].category.clone();
    let filter = vec![category.clone()];
    let check = |before: &BTreeMap<TileId, Vec<u8>>,
                 after: &BTreeMap<TileId, Vec<u8>>,
                 changes: &assetmap::tiles::Changes,
                 key: &str| {
        let changed: BTreeSet<TileId> = tiles
            .iter()
            .copied()
            .filter(|t| before[t] != after[t])
            .collect();
        let predicted: BTreeSet<TileId> = changes
            .tiles
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, t)| *t)
            .filter(|t| before.contains_key(t))
            .collect();
        assert!(!changed.is_empty(), "{key:?}");
        assert_eq!(predicted, changed, "filter {key:?}");
    };
    let (all_before, one_before) = (render(&state, &[]), render(&state, &filter));
    common::retire_asset(&state, &d.assets[k].id);
    let changes = state.take_tile_changes();
    let (all_after, one_after) = (render(&state, &[]), render(&state, &filter));
    check(&all_before, &all_after, &changes, "");
    check(&one_before, &one_after, &changes, &category);
    common::create_asset(&state, &category, "New hub", new_at);
    let changes = state.take_tile_changes();
    let (all_added, one_added) = (render(&state, &[]), render(&state, &filter));
    check(&all_after, &all_added, &changes, "");
    check(&one_after, &one_added, &changes, &category);
}

#[tokio::test]
async fn gap_colours_come_through_the_tile_endpoint_with_their_parameters() {
    let d = demo();
    let app = router(AppState::new(d.clone()));
    let t = demo_tile(&d, 12);
    let base = format!("/tiles/wards/{}/{}/{}.mvt", t.z, t.x, t.y);
    let (_, plain, _) = fetch(&app, &base, &[]).await;
    let (status, coloured, body) = fetch(
        &app,
        &format!("{base}?gaps=gp&coverage_m=900&decay=steps"),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(plain["etag"], coloured["etag"]);
    let (_, other, _) = fetch(&app, &format!("{base}?gaps=gp&coverage_m=1200"), &[]).await;
    assert_ne!(
        coloured["etag"], other["etag"],
        "parameters change the figures"
    );
    assert!(!body.is_empty());
    let (status, _, body) = fetch(&app, &format!("{base}?gaps=gp&coverage_m=50"), &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(String::from_utf8_lossy(&body).contains("coverage_m must be between 100 and 10000"));
    let (status, _, _) = fetch(&app, &format!("{base}?coverage_m=900"), &[]).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "distances without gaps= are refused"
    );
}

#[test]
fn a_point_on_a_tile_edge_is_drawn_whole_by_both_tiles() {
    let state = AppState::new(demo());
    let d = state.dataset();
    let asset = &d.assets[0];
    let z = 15u8;
    let m = normalised_mercator(asset.lonlat);
    let n = f64::powi(2.0, i32::from(z));
    // Move it exactly onto the western edge of the tile it is in.
    let edge_x = (m.x * n).floor() / n;
    let lon = edge_x * 360.0 - 180.0;
    common::move_asset(
        &state,
        &asset.id,
        Coord {
            x: lon,
            y: asset.lonlat.y,
        },
    );
    let d = state.dataset();
    let moved = &d.assets[d.asset_by_id[&asset.id]];
    let m = normalised_mercator(moved.lonlat);
    // The grid round trip may leave it a hair either side of the edge.
    assert!((m.x * n - (m.x * n).round()).abs() < 1e-3);
    let row = TileId::containing(z, m.x, m.y);
    let east = TileId {
        x: (m.x * n).round() as u32,
        ..row
    };
    let west = TileId {
        x: east.x - 1,
        ..east
    };
    let tiles: Vec<(TileId, Vec<u8>)> = [west, east]
        .iter()
        .map(|&t| (t, state.tiles.render(&d, t, TileLayer::Assets, &[], None)))
        .collect();
    let Some(decoded) = decode(&tiles) else {
        return;
    };
    let mut xs = Vec::new();
    for dec in &decoded {
        let f = dec["layers"]["assets"]["features"]
            .as_array()
            .and_then(|fs| {
                fs.iter()
                    .find(|f| f["properties"]["id"] == asset.id.as_str())
            })
            .unwrap_or_else(|| panic!("{} is in both tiles: {dec}", asset.id));
        xs.push(f["geometry"][0].as_f64().unwrap_or_else(|| panic!("{f}")));
    }
    // At x = 4096 in the western tile (its buffer) and x = 0 in the eastern.
    assert!(
        (xs[0] - 4096.0).abs() <= 1.0 && xs[1].abs() <= 1.0,
        "{xs:?}"
    );
    // A point well inside a tile is in that tile only.
    let inner = TileId {
        x: east.x + 1,
        ..east
    };
    let far = state.tiles.render(&d, inner, TileLayer::Assets, &[], None);
    let Some(far) = decode(&[(inner, far)]) else {
        return;
    };
    assert!(
        far[0]["layers"]["assets"]["features"]
            .as_array()
            .is_none_or(|fs| fs
                .iter()
                .all(|f| f["properties"]["id"] != asset.id.as_str()))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_asking_for_one_cold_tile_at_once_wait_for_one_render() {
    let d = demo();
    let state = AppState::with_tiles(d.clone(), 13, 64 * 1024 * 1024);
    let app = router(state.clone());
    let t = demo_tile(&d, 12);
    let path = format!("/tiles/all/{}/{}/{}.mvt", t.z, t.x, t.y);
    let before = state.tile_cache.renders();
    let answers = futures_join(
        (0..16)
            .map(|_| {
                let (app, path) = (app.clone(), path.clone());
                tokio::spawn(async move { fetch(&app, &path, &[]).await })
            })
            .collect(),
    )
    .await;
    assert_eq!(
        state.tile_cache.renders() - before,
        1,
        "one render for sixteen clients"
    );
    let etags: BTreeSet<String> = answers
        .iter()
        .map(|(status, headers, _)| {
            assert_eq!(*status, StatusCode::OK);
            headers["etag"].to_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(etags.len(), 1, "all got the same tile");
}

async fn futures_join<T>(handles: Vec<tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

#[tokio::test]
async fn a_hot_tile_stays_cached_while_many_cold_ones_pass_through() {
    let d = demo();
    // Room for a few dozen small tiles only.
    let state = AppState::with_tiles(d.clone(), 13, 64 * 1024);
    let app = router(state.clone());
    let hot = demo_tile(&d, 14);
    let hot_path = format!("/tiles/all/{}/{}/{}.mvt", hot.z, hot.x, hot.y);
    fetch(&app, &hot_path, &[]).await;
    let start = state.tile_cache.renders();
    let mut cold = 0;
    // Sweep the demo at zoom 15 and 16, asking for the hot tile between each.
    let first = d.assets[0].lonlat;
    let at = normalised_mercator(first);
    for z in [15u8, 16] {
        let c = TileId::containing(z, at.x, at.y);
        for dx in 0..12u32 {
            for dy in 0..12u32 {
                let path = format!("/tiles/all/{z}/{}/{}.mvt", c.x + dx - 6, c.y + dy - 6);
                fetch(&app, &path, &[]).await;
                cold += 1;
                fetch(&app, &hot_path, &[]).await;
            }
        }
    }
    let renders = state.tile_cache.renders() - start;
    eprintln!(
        "cache holds {} tiles after a sweep of {cold}",
        state.tile_cache.len()
    );
    assert!(
        state.tile_cache.len() < cold,
        "the cache is smaller than the sweep"
    );
    assert_eq!(
        renders, cold as u64,
        "every cold tile rendered once, the hot one never again"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_asking_for_one_gap_analysis_at_once_wait_for_one() {
    let d = demo();
    let state = AppState::with_tiles(d.clone(), 13, 64 * 1024 * 1024);
    let app = router(state.clone());
    let handles: Vec<_> = (0..8)
        .map(|k| {
            let app = app.clone();
            // Half ask for the gaps, half for ward tiles coloured by them.
            let path = if k % 2 == 0 {
                "/api/gaps?category=pharmacy&coverage_m=900".to_string()
            } else {
                let t = demo_tile(&d, 12);
                format!(
                    "/tiles/wards/{}/{}/{}.mvt?gaps=pharmacy&coverage_m=900",
                    t.z, t.x, t.y
                )
            };
            tokio::spawn(async move { fetch(&app, &path, &[]).await.0 })
        })
        .collect();
    for s in futures_join(handles).await {
        assert_eq!(s, StatusCode::OK);
    }
    assert_eq!(
        state
            .gap_analyses
            .load(std::sync::atomic::Ordering::Relaxed),
        1,
        "one analysis for eight clients"
    );
}

#[tokio::test]
async fn a_tile_first_asked_for_gzipped_is_gzipped_once_and_served_raw_to_others() {
    let d = demo();
    for budget in [0, 64 * 1024 * 1024] {
        let state = AppState::with_tiles(d.clone(), 13, budget);
        let app = router(state.clone());
        let t = demo_tile(&d, 13);
        let uri = format!("/tiles/all/{}/{}/{}.mvt", t.z, t.x, t.y);
        let (_, headers, gz) = fetch(&app, &uri, &[("accept-encoding", "gzip")]).await;
        assert_eq!(headers["content-encoding"], "gzip", "cache budget {budget}");
        let (_, headers, raw) = fetch(&app, &uri, &[]).await;
        assert!(headers.get("content-encoding").is_none());
        let mut unzipped = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut unzipped)
            .unwrap();
        assert_eq!(unzipped, raw);
        assert!(!raw.is_empty() && gz.len() < raw.len());
    }
}

/// Every tile a prepared source serves equals the one made in full, for
/// every layer and a category filter, before and after assets move: the
/// polygons encoded ahead join the live asset layer byte for byte.
fn prepared_tiles_match(d: &Dataset, tiles: &[TileId]) {
    use assetmap::tiles::TileSource;
    let full = TileSource::new(d, assetmap::tiles::cluster::DEFAULT_MAX_ZOOM);
    let ahead = TileSource::new(d, assetmap::tiles::cluster::DEFAULT_MAX_ZOOM);
    let made = ahead.prepare(d, assetmap::tiles::PREPARED_MAX_ZOOM, 2);
    assert!(made.tiles > 0 && made.bytes > 0 && made.largest_bytes > 0);
    assert!((0..=assetmap::tiles::PREPARED_MAX_ZOOM).all(|z| ahead.is_prepared(z)));
    assert!(!ahead.is_prepared(assetmap::tiles::PREPARED_MAX_ZOOM + 1));
    let some_category = vec![d.assets[0].category.clone()];
    let compare = |full: &TileSource, ahead: &TileSource| {
        let mut non_empty = 0;
        for &tile in tiles {
            for layer in [
                TileLayer::All,
                TileLayer::Wards,
                TileLayer::SmallAreas,
                TileLayer::Assets,
            ] {
                for categories in [&Vec::new(), &some_category] {
                    let a = full.render(d, tile, layer, categories, None);
                    let b = ahead.render(d, tile, layer, categories, None);
                    assert!(a == b, "{tile:?} {layer:?} {categories:?}");
                    non_empty += usize::from(!a.is_empty());
                }
            }
        }
        assert!(non_empty > tiles.len(), "the tiles compared hold data");
    };
    compare(&full, &ahead);
    let tagged = |s: &TileSource| -> Vec<(Vec<u8>, [u8; 16])> {
        tiles
            .iter()
            .flat_map(|&t| {
                [TileLayer::All, TileLayer::Wards, TileLayer::Assets]
                    .map(|l| s.render_tagged(d, t, l, &[], None))
            })
            .collect()
    };
    let before = tagged(&ahead);
    // Assets move and one leaves the map: polygons stay, assets follow.
    let moved: Vec<(u32, Option<assetmap::tiles::LivePoint>)> = d
        .assets
        .iter()
        .take(20)
        .enumerate()
        .map(|(i, a)| {
            let mut p = assetmap::tiles::LivePoint::of(a);
            p.at.x += 1e-6 * i as f64;
            (a.slot, (i != 0).then_some(p))
        })
        .collect();
    assert_eq!(full.apply(&moved).tiles, ahead.apply(&moved).tiles);
    compare(&full, &ahead);
    // The content tag (the ETag) changes exactly where the bytes do.
    let after = tagged(&ahead);
    let mut changed = 0;
    for ((b0, t0), (b1, t1)) in before.iter().zip(&after) {
        assert_eq!(b0 == b1, t0 == t1);
        changed += usize::from(b0 != b1);
    }
    assert!(changed > 0, "the move changed some tiles");
}

#[test]
fn tiles_with_polygons_encoded_ahead_equal_those_made_in_full() {
    let d = demo();
    let (min, max) = asset_extent(&d);
    let pad = Coord { x: 0.05, y: 0.05 };
    let tiles: Vec<TileId> = (0..=assetmap::tiles::PREPARED_MAX_ZOOM + 1)
        .flat_map(|z| tiles_over(z, min - pad, max + pad))
        .collect();
    prepared_tiles_match(&d, &tiles);
    // The five councils, spread across England: every tile to zoom 8, and
    // at 9 to 11 the tiles holding a sample of assets.
    if let Some(d) = five_councils() {
        let (min, max) = asset_extent(&d);
        let mut tiles: BTreeSet<TileId> = (0..=8).flat_map(|z| tiles_over(z, min, max)).collect();
        for a in d.assets.iter().step_by(d.assets.len().div_ceil(60)) {
            let m = normalised_mercator(a.lonlat);
            for z in 9..=assetmap::tiles::PREPARED_MAX_ZOOM {
                tiles.extend(TileId::holding(z, m.x, m.y));
            }
        }
        prepared_tiles_match(&d, &tiles.into_iter().collect::<Vec<_>>());
    }
}

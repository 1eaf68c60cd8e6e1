//! Property-based fuzzing (proptest, on stable Rust) of everything that reads
//! outside input: the manifest, CSV and GeoJSON readers, the request query
//! parsers, and the polygon check (against geo's, on small random shapes).
//!
//! Each property must hold for any input: no panic, every row accounted for,
//! no 5xx. `PROPTEST_CASES` sets the number of cases (CI runs the default,
//! a short bounded pass; `PROPTEST_CASES=20000 cargo test --test fuzz` for a
//! long one).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, OnceLock};

use assetmap::http::{AppState, router};
use assetmap::ingest::{self, Files, Quiet};
use axum::body::Body;
use axum::http::Request;
use geo::{Coord, LineString, MultiPolygon, Polygon, Validation};
use proptest::prelude::*;
use tower::ServiceExt;

/// The demo's files in memory, with some replaced.
struct Memory(Vec<(String, Vec<u8>)>);

impl Files for Memory {
    fn read(&self, path: &str) -> std::io::Result<Vec<u8>> {
        self.0
            .iter()
            .find(|(n, _)| n == path)
            .map(|(_, b)| b.clone())
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"))
    }
}

fn demo_file(name: &str) -> Vec<u8> {
    assetmap::demo::FILES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, b)| b.to_vec())
        .expect("a demo file")
}

/// Loads the demo with `name` replaced by `bytes`; checks that whatever
/// happens, every source's rows are accounted for.
fn load_with(name: &str, bytes: Vec<u8>) {
    let mut files: Vec<(String, Vec<u8>)> = assetmap::demo::FILES
        .iter()
        .map(|(n, b)| (n.to_string(), b.to_vec()))
        .collect();
    for f in files.iter_mut() {
        if f.0 == name {
            f.1 = bytes.clone();
        }
    }
    let manifest = String::from_utf8_lossy(&demo_file("manifest.toml")).into_owned();
    let report = match ingest::load(&manifest, "manifest.toml", &Memory(files), &Quiet) {
        Ok(l) => l.report,
        Err(f) => *f.report,
    };
    for s in &report.sources {
        assert!(s.balanced(), "rows unaccounted for in {}: {s:?}", s.path);
    }
}

/// Mutations of a real file: flipped bytes, inserted bytes, a cut.
fn mutated(original: Vec<u8>) -> impl Strategy<Value = Vec<u8>> {
    let len = original.len();
    (
        proptest::collection::vec((0..len, any::<u8>()), 0..8),
        proptest::collection::vec(
            (
                0..len,
                prop::sample::select(b"\",\n\r\0{}[]:-.eE \xff".to_vec()),
            ),
            0..8,
        ),
        prop::option::of(0..len),
    )
        .prop_map(move |(flips, inserts, cut)| {
            let mut bytes = original.clone();
            for (at, b) in flips {
                bytes[at] = b;
            }
            for (at, b) in inserts {
                bytes.insert(at.min(bytes.len()), b);
            }
            if let Some(at) = cut {
                bytes.truncate(at);
            }
            bytes
        })
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_manifest_text_is_read_without_panicking(
        text in prop_oneof![
            ".{0,400}",
            mutated(demo_file("manifest.toml")).prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        ]
    ) {
        let files = Memory(assetmap::demo::FILES.iter().map(|(n, b)| (n.to_string(), b.to_vec())).collect());
        let _ = ingest::load(&text, "manifest.toml", &files, &Quiet);
    }

    #[test]
    fn any_csv_is_read_with_every_row_accounted_for(
        bytes in prop_oneof![
            mutated(demo_file("gp_practices.csv")),
            mutated(demo_file("deprivation.csv")),
            proptest::collection::vec(prop::sample::select(b"ab1,\"\n\r \xef\xbb\xbf".to_vec()), 0..300),
        ],
        which in prop::sample::select(vec!["gp_practices.csv", "deprivation.csv", "population.csv", "libraries.csv"]),
    ) {
        load_with(which, bytes);
    }

    #[test]
    fn any_geojson_is_read_without_panicking(
        bytes in prop_oneof![
            mutated(demo_file("wards.geojson")),
            mutated(demo_file("food_banks.geojson")),
        ],
        which in prop::sample::select(vec!["wards.geojson", "small_areas.geojson", "food_banks.geojson"]),
    ) {
        load_with(which, bytes);
    }

    #[test]
    fn any_query_string_gets_an_answer_below_500(
        route in prop::sample::select(vec![
            "/api/nearby", "/collections/assets/items", "/collections/wards/items",
            "/api/gaps", "/api/wards", "/api/export/assets", "/tiles/assets/12/2048/1362.mvt",
            "/api/gaps/small-areas", "/api/gaps/suggest",
        ]),
        pairs in proptest::collection::vec(
            (
                prop::sample::select(vec!["lon", "lat", "postcode", "limit", "offset", "bbox", "bbox-crs", "crs", "category", "k", "radius_m", "f", "format", "coverage_m", "catchment_m", "decay", "council", "datetime", "properties", "q", "count", "filter", "filter-lang", "filter-crs", "sortby"]),
                prop_oneof!["[-0-9.,eE]{0,24}", ".{0,16}", Just("nan".to_string()), Just("1e309".to_string()), Just("-0".to_string())],
            ),
            0..5,
        ),
    ) {
        let query: String = pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>()))
            .collect::<Vec<_>>()
            .join("&");
        let uri = format!("{route}?{query}");
        let status = runtime().block_on(async {
            router(state().clone())
                .oneshot(Request::get(&uri).body(Body::empty()).unwrap())
                .await
                .unwrap()
                .status()
        });
        prop_assert!(status.as_u16() < 500, "{uri} answered {status}");
    }

    #[test]
    fn any_cql2_text_or_json_is_parsed_or_refused_with_a_position(
        text in prop_oneof![
            ".{0,200}",
            proptest::collection::vec(
                prop::sample::select(vec![
                    "name", "imd_score", "code", "=", "<>", "<", ">=", "(", ")", ",", "AND", "OR", "NOT",
                    "LIKE", "IN", "BETWEEN", "IS", "NULL", "'gp'", "'%a_'", "3", "-1.5e3", "S_INTERSECTS",
                    "geometry", "BBOX", "POLYGON", "POINT", "TRUE", "\"name\"", "'", "\"",
                ]),
                0..30,
            )
            .prop_map(|words| words.join(" ")),
        ],
        json in any::<bool>(),
    ) {
        let schema = assetmap::features::Collection::Wards.schema(&state().dataset());
        let crs = assetmap::cql2::FilterCrs::LonLat;
        let parsed = if json {
            assetmap::cql2::parse_json(&text, &schema, crs)
        } else {
            assetmap::cql2::parse_text(&text, &schema, crs)
        };
        if let Err(e) = parsed {
            prop_assert!(e.message.starts_with("filter: at "), "{}", e.message);
        }
    }

    #[test]
    fn the_polygon_check_agrees_with_geo_on_small_shapes(
        rings in proptest::collection::vec(
            proptest::collection::vec((0i32..6, 0i32..6), 3..7),
            1..3,
        ),
        parts in 1usize..3,
    ) {
        let ring = |points: &Vec<(i32, i32)>| {
            let mut c: Vec<Coord> = points.iter().map(|&(x, y)| Coord { x: x as f64, y: y as f64 }).collect();
            c.push(c[0]);
            LineString::from(c)
        };
        let polygons: Vec<Polygon> = (0..parts.min(rings.len()))
            .map(|p| if parts == 1 {
                Polygon::new(ring(&rings[0]), rings[1..].iter().map(ring).collect())
            } else {
                Polygon::new(ring(&rings[p]), vec![])
            })
            .collect();
        let shape = MultiPolygon::new(polygons);
        let ours = assetmap::validity::check(&shape);
        // geo accepts some shapes OGC forbids (a ring through its own
        // vertex, in some orders); where geo says invalid, so must we.
        if !shape.is_valid() {
            prop_assert!(ours.is_err(), "geo finds {shape:?} invalid; we found it valid");
        }
        // Whatever the input, a repair gives a valid shape.
        let fixed = assetmap::validity::repair(&shape);
        prop_assert!(assetmap::validity::check(&fixed).is_ok(), "repair of {shape:?} gave {fixed:?}: {:?}", assetmap::validity::check(&fixed));
    }
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    })
}

fn state() -> &'static AppState {
    static STATE: OnceLock<AppState> = OnceLock::new();
    STATE.get_or_init(|| AppState::new(Arc::new(assetmap::demo::load(&Quiet).unwrap().dataset)))
}

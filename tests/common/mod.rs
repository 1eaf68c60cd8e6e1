//! Helpers shared by the integration tests: the real-data folder and manifests
//! built at test time.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![allow(dead_code)]

use std::path::{Path, PathBuf};

pub mod live;

use assetmap::ingest::{self, ImportFailure, Loaded, Quiet};

/// The real-data folder from `ASSETMAP_REAL_DATA`, or `None` (tests skip) when unset.
/// When it is set, every file a test names must exist.
pub fn real_data() -> Option<PathBuf> {
    match std::env::var_os("ASSETMAP_REAL_DATA") {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            let dir = dir.canonicalize().unwrap_or_else(|e| {
                panic!("ASSETMAP_REAL_DATA={} is not readable: {e}", dir.display())
            });
            Some(dir)
        }
        None => {
            eprintln!("ASSETMAP_REAL_DATA is not set: skipping a real-data test");
            None
        }
    }
}

/// Path of a file in the real-data folder, as a TOML string; the file must exist.
pub fn file(data: &Path, relative: &str) -> String {
    let path = data.join(relative);
    assert!(
        path.is_file(),
        "ASSETMAP_REAL_DATA is set but {} is missing",
        path.display()
    );
    toml_string(&path.display().to_string())
}

/// A TOML basic string.
pub fn toml_string(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Writes a manifest into a temporary folder and loads it.
pub fn load_manifest(text: &str) -> Result<Loaded, ImportFailure> {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("manifest.toml");
    std::fs::write(&path, text).expect("write manifest");
    ingest::load_path(&path, &Quiet)
}

/// Writes files and a manifest into a temporary folder and loads it; the
/// folder is returned so its paths stay valid.
pub fn load_with_files(
    manifest: &str,
    files: &[(&str, &[u8])],
) -> (tempfile::TempDir, Result<Loaded, ImportFailure>) {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, bytes) in files {
        std::fs::write(dir.path().join(name), bytes).expect("write file");
    }
    let path = dir.path().join("manifest.toml");
    std::fs::write(&path, manifest).expect("write manifest");
    let loaded = ingest::load_path(&path, &Quiet);
    (dir, loaded)
}

/// The five councils' May 2024 wards, LSOA 2021 polygons and derived small-area table.
pub fn five_council_areas(data: &Path) -> String {
    let small = file(data, "derived/small_areas_five_councils.csv");
    format!(
        r#"
[dataset]
name = "Five councils"

[wards]
path = {wards}
code = "ward_code"
name = "ward_name"
council_code = "lad_code"
council_name = "lad_name"
vintage = "May 2024 (BSC)"

[small_areas]
path = {lsoa}
code = "lsoa21_code"
name = "lsoa21_name"
council_code = "ltla24_code"
vintage = "LSOA 2021 (BSC)"

[deprivation]
path = {small}
code = "lsoa21_code"
score = "IMD_score"
decile = "IMD_decile"
vintage = "IoD2025"

[population]
path = {small}
code = "lsoa21_code"
population = "population"
vintage = "Census 2021"

[demand_points]
path = {small}
code = "lsoa21_code"
x = "centroid_easting"
y = "centroid_northing"
crs = "EPSG:27700"
label = "area-weighted centroid (derived table)"

[postcodes]
path = {postcodes}
postcode = "postcode"
x = "easting"
y = "northing"
vintage = "Code-Point Open 2025.4"
"#,
        wards = file(data, "boundaries/wards_may2024_bsc_five_councils.geojson"),
        lsoa = file(data, "boundaries/lsoa21_bsc_five_councils.geojson"),
        postcodes = file(data, "postcodes/codepoint_open_2025q4_five_councils.csv"),
    )
}

/// The derived five-council asset table as one source.
pub fn derived_assets(data: &Path) -> String {
    format!(
        r#"
[[assets]]
source = "derived"
path = {assets}
category_field = "category"
id = "id"
id_prefix = ""
x = "easting"
y = "northing"
crs = "EPSG:27700"
name = "name"
postcode = "postcode"
"#,
        assets = file(data, "derived/assets_five_councils.csv"),
    )
}

/// Serves the app on a free loopback port from a background thread.
pub fn serve(state: assetmap::http::AppState) -> std::net::SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            axum::serve(listener, assetmap::http::router(state))
                .await
                .unwrap();
        });
    });
    rx.recv().unwrap()
}

/// Moves an asset through the catalog (as an officer's edit would).
pub fn move_asset(state: &assetmap::http::AppState, id: &str, to_lonlat: geo::Coord) {
    let row = state.catalog.row(id).expect("the asset exists");
    let mut fields = row.fields.clone();
    let bng = assetmap::crs::wgs84_to_bng(to_lonlat.x, to_lonlat.y).expect("in the grid");
    fields.easting_m = bng.x;
    fields.northing_m = bng.y;
    state
        .catalog
        .apply(
            assetmap::catalog::Edit::Replace {
                id: id.into(),
                expected_revision: row.revision,
                fields,
            },
            "test",
            None,
        )
        .expect("the move applies");
}

/// Retires an asset through the catalog.
pub fn retire_asset(state: &assetmap::http::AppState, id: &str) {
    let row = state.catalog.row(id).expect("the asset exists");
    state
        .catalog
        .apply(
            assetmap::catalog::Edit::Retire {
                id: id.into(),
                expected_revision: row.revision,
            },
            "test",
            None,
        )
        .expect("the retirement applies");
}

/// Creates an asset through the catalog; returns its id.
pub fn create_asset(
    state: &assetmap::http::AppState,
    category: &str,
    name: &str,
    at_lonlat: geo::Coord,
) -> String {
    let bng = assetmap::crs::wgs84_to_bng(at_lonlat.x, at_lonlat.y).expect("in the grid");
    let fields = assetmap::catalog::AssetFields {
        category: category.into(),
        name: name.into(),
        address: None,
        postcode: None,
        phone: None,
        email: None,
        website: None,
        opening_hours: None,
        hours: None,
        capacity: None,
        easting_m: bng.x,
        northing_m: bng.y,
        status: assetmap::model::AssetStatus::Active,
        verified_at: None,
        details: Default::default(),
        unplaced: false,
        sensitive: false,
    };
    state
        .catalog
        .apply(assetmap::catalog::Edit::Create { fields }, "test", None)
        .expect("the creation applies")
        .id
}

/// Whether `python3` can import `module`. When it cannot, that fails a
/// run with the real-data variable set (CI installs every such package, as
/// `install` says) and otherwise says the test is skipped.
pub fn python_has(module: &str, install: &str) -> bool {
    let ok = std::process::Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("ASSETMAP_REAL_DATA").is_none(),
            "{install} (CI installs it)"
        );
        eprintln!("python3 cannot import {module}: skipping");
    }
    ok
}

/// Decodes tiles with Python `mapbox-vector-tile`; `None` (skip) when it is
/// missing and the real-data variable is unset.
pub fn decode_tiles(
    tiles: &[(assetmap::tiles::TileId, Vec<u8>)],
) -> Option<Vec<serde_json::Value>> {
    if !python_has(
        "mapbox_vector_tile",
        "python3 -m pip install mapbox-vector-tile==2.1.0",
    ) {
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for (t, bytes) in tiles {
        let path = dir.path().join(format!("{}-{}-{}.mvt", t.z, t.x, t.y));
        std::fs::write(&path, bytes).unwrap();
        paths.push(path);
    }
    let mut out = Vec::new();
    for chunk in paths.chunks(500) {
        let run = std::process::Command::new("python3")
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/scripts/decode_mvt.py"
            ))
            .args(chunk)
            .output()
            .unwrap();
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        out.extend(
            String::from_utf8(run.stdout)
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()),
        );
    }
    Some(out)
}

/// Checks an OpenAPI document against the OpenAPI 3.0 schema with Python's
/// `openapi-spec-validator` (an independent reader): `None` (skip) when it
/// is missing and the real-data variable is unset; otherwise what it found.
pub fn openapi_problems(doc: &serde_json::Value) -> Option<String> {
    if !python_has(
        "openapi_spec_validator",
        "python3 -m pip install openapi-spec-validator==0.7.2",
    ) {
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("openapi.json");
    std::fs::write(&path, serde_json::to_vec(doc).unwrap()).unwrap();
    let run = std::process::Command::new("python3")
        .args([
            "-c",
            "import json, sys\n\
             from openapi_spec_validator import OpenAPIV30SpecValidator\n\
             spec = json.load(open(sys.argv[1]))\n\
             for e in OpenAPIV30SpecValidator(spec).iter_errors():\n\
             \x20   print('/'.join(str(p) for p in e.absolute_path) + ': ' + e.message[:300])\n",
        ])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    Some(String::from_utf8(run.stdout).unwrap())
}

/// Runs a future to completion on a fresh single-threaded runtime.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

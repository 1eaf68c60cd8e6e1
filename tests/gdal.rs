//! GDAL as a real GIS client: `ogrinfo` opens the GeoPackage and GeoJSON
//! exports and reads the live OGC API through the OAPIF driver, on the five
//! councils' real data. Needs `ogrinfo` (Debian `gdal-bin`, installed by
//! `.ci/run`); with `ASSETMAP_REAL_DATA` set a missing `ogrinfo` is a failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Command;
use std::sync::Arc;

use assetmap::export::{ExportRequest, export_request};
use assetmap::http::AppState;
use assetmap::model::Dataset;
use common::{derived_assets, five_council_areas, load_manifest, real_data, serve};

fn ogrinfo_available() -> bool {
    Command::new("ogrinfo")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The five councils' dataset, or `None` when the test should skip.
fn five_councils() -> Option<Dataset> {
    let data = real_data()?;
    assert!(
        ogrinfo_available(),
        "ASSETMAP_REAL_DATA is set but ogrinfo is missing: install gdal-bin"
    );
    let loaded = load_manifest(&(five_council_areas(&data) + &derived_assets(&data)))
        .unwrap_or_else(|f| panic!("{}", f.problem));
    Some(loaded.dataset)
}

fn ogrinfo(args: &[&str]) -> String {
    let out = Command::new("ogrinfo")
        .args(args)
        .output()
        .expect("ogrinfo runs");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "ogrinfo {args:?} failed:\n{text}");
    text
}

fn feature_count(summary: &str) -> usize {
    summary
        .lines()
        .find_map(|l| l.strip_prefix("Feature Count: "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no feature count in:\n{summary}"))
}

fn export_to(
    dataset: &Dataset,
    dir: &std::path::Path,
    collection: &str,
    format: &str,
    name: &str,
) -> String {
    let request = ExportRequest {
        collection: collection.into(),
        format: format.into(),
        ..Default::default()
    };
    let bytes = export_request(dataset, &request).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.display().to_string()
}

#[test]
fn ogrinfo_reads_the_geopackage_with_counts_and_british_national_grid() {
    let Some(d) = five_councils() else { return };
    let dir = tempfile::tempdir().unwrap();
    let path = export_to(&d, dir.path(), "all", "gpkg", "five.gpkg");
    let listing = ogrinfo(&["-ro", &path]);
    for layer in [
        "assets (Point)",
        "wards (Multi Polygon)",
        "small_areas (Multi Polygon)",
        "dataset_provenance (None)",
    ] {
        assert!(listing.contains(layer), "{layer} in:\n{listing}");
    }
    assert!(!listing.contains("Warning"), "{listing}");
    for (layer, n) in [("assets", 1685), ("wards", 106), ("small_areas", 733)] {
        let summary = ogrinfo(&["-ro", "-so", &path, layer]);
        assert_eq!(feature_count(&summary), n, "{layer}");
        assert!(
            summary.contains("ID[\"EPSG\",27700]"),
            "{layer} is in EPSG:27700:\n{summary}"
        );
    }
    let ward = ogrinfo(&["-ro", "-q", &path, "wards", "-where", "code = 'E05013802'"]);
    assert!(ward.contains("name (String) = "), "{ward}");
    assert!(ward.contains("imd_score (Real) = "), "{ward}");
    // Every feature table has a GeoPackage R-tree index that GDAL uses.
    for layer in ["assets", "wards", "small_areas"] {
        let answer = ogrinfo(&[
            "-ro",
            "-q",
            &path,
            "-sql",
            &format!("SELECT HasSpatialIndex('{layer}', 'geom') AS indexed"),
        ]);
        assert!(
            answer.contains("HasSpatialIndex (Integer) = 1"),
            "{layer}: {answer}"
        );
    }
    // A spatial filter through the index: the wards around Church Street, Westminster.
    let near = ogrinfo(&[
        "-ro", "-so", &path, "wards", "-spat", "526500", "181500", "527500", "182500",
    ]);
    let n = feature_count(&near);
    assert!((1..=8).contains(&n), "{near}");
    let db = rusqlite::Connection::open(&path).unwrap();
    let boxes: i64 = db
        .query_row("SELECT count(*) FROM rtree_wards_geom", [], |r| r.get(0))
        .unwrap();
    assert_eq!(boxes, 106);
}

#[test]
fn ogrinfo_reads_both_geojson_exports() {
    let Some(d) = five_councils() else { return };
    let dir = tempfile::tempdir().unwrap();
    let crs84 = export_to(&d, dir.path(), "wards", "geojson", "wards.geojson");
    let summary = ogrinfo(&["-ro", "-so", "-al", &crs84]);
    assert_eq!(feature_count(&summary), 106);
    assert!(summary.contains("GEOGCRS[\"WGS 84\""), "{summary}");
    let grid = export_to(
        &d,
        dir.path(),
        "assets",
        "geojson-27700",
        "assets-27700.geojson",
    );
    let summary = ogrinfo(&["-ro", "-so", "-al", &grid]);
    assert_eq!(feature_count(&summary), 1685);
    assert!(summary.contains("ID[\"EPSG\",27700]"), "{summary}");
    let extent = summary.lines().find(|l| l.starts_with("Extent: ")).unwrap();
    assert!(
        extent.contains("(3") && !extent.contains("(-"),
        "grid metres, not degrees: {extent}"
    );
    let csv = export_to(&d, dir.path(), "small_areas", "csv", "small_areas.csv");
    assert_eq!(feature_count(&ogrinfo(&["-ro", "-so", "-al", &csv])), 733);
}

#[test]
fn gdal_reads_the_live_ogc_api() {
    let Some(d) = five_councils() else { return };
    let assets = d.assets.len();
    let address = serve(AppState::new(Arc::new(d)));
    let base = format!("http://{address}");
    let oapif = format!("OAPIF:{base}");
    let listing = ogrinfo(&["-ro", &oapif]);
    assert!(
        listing.contains("wards (title: Electoral wards) (Multi Polygon)"),
        "{listing}"
    );
    // Paging through all wards, 7 at a time (16 pages).
    let all = ogrinfo(&["-ro", "-al", "-q", &oapif, "wards", "-oo", "PAGE_SIZE=7"]);
    assert_eq!(
        all.matches("OGRFeature(wards)").count(),
        106,
        "{}",
        &all[..all.len().min(2000)]
    );
    for code in ["E05013802", "E05015624", "E05011350"] {
        assert!(all.contains(code), "{code} was read");
    }
    // A page size above the server's maximum is capped, not refused (OGC
    // API - Features Part 1), so ogr2ogr's translation completes.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("assets.geojson");
    let status = Command::new("ogr2ogr")
        .args(["-f", "GeoJSON"])
        .arg(&out)
        .args([&oapif, "assets", "-oo", "PAGE_SIZE=20000"])
        .output()
        .expect("ogr2ogr runs");
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let copied = ogrinfo(&["-ro", "-so", "-al", &out.display().to_string()]);
    assert_eq!(feature_count(&copied), assets);
    // In British National Grid: the OAPIF driver of GDAL 3.7+ takes a CRS
    // option; GDAL 3.6 (Debian 12) does not, so read the items URL with
    // crs=EPSG:27700 through GDAL's GeoJSON driver instead.
    let supports_crs = Command::new("ogrinfo")
        .args(["--format", "OAPIF"])
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("name=\"CRS\""));
    let summary = if supports_crs {
        ogrinfo(&["-ro", "-so", &oapif, "wards", "-oo", "CRS=EPSG:27700"])
    } else {
        let url = format!(
            "/vsicurl/{base}/collections/wards/items?limit=10000&crs=http://www.opengis.net/def/crs/EPSG/0/27700"
        );
        ogrinfo(&["-ro", "-so", "-al", &url])
    };
    assert_eq!(feature_count(&summary), 106);
    assert!(summary.contains("ID[\"EPSG\",27700]"), "{summary}");
    let extent = summary.lines().find(|l| l.starts_with("Extent: ")).unwrap();
    assert!(
        extent.starts_with("Extent: (3"),
        "easting/northing in metres: {extent}"
    );
}

#[test]
fn nearby_at_a_real_postcode_matches_a_brute_force_scan() {
    let Some(d) = five_councils() else { return };
    let at = d.postcodes["SW1A 1AA"];
    let mut gps: Vec<(f64, String)> = d
        .assets
        .iter()
        .filter(|a| a.category == "gp")
        .map(|a| {
            (
                ((a.bng.x - at.x).powi(2) + (a.bng.y - at.y).powi(2)).sqrt(),
                a.id.clone(),
            )
        })
        .collect();
    gps.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let address = serve(AppState::new(Arc::new(d)));
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    use std::io::{Read, Write};
    write!(stream, "GET /api/nearby?postcode=sw1a1aa&category=gp&limit=5 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let body = &response[response.find("\r\n\r\n").unwrap() + 4..];
    let json: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(
        json["ward"]["code"], "E05013806",
        "SW1A 1AA is in Code-Point's ward"
    );
    let ids: Vec<&str> = json["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    let expected: Vec<&str> = gps[..5].iter().map(|(_, id)| id.as_str()).collect();
    assert_eq!(ids, expected);
}

#[test]
fn gdal_reads_a_gap_analysis_geopackage() {
    let Some(d) = five_councils() else { return };
    let result = assetmap::analysis::analyse(&d, &assetmap::analysis::GapParams::new("gp"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ward-gaps.gpkg");
    assetmap::export::write_gap_geopackage(&path, &d, &result, assetmap::export::GapLevel::Wards)
        .unwrap();
    let path = path.to_str().unwrap();
    let summary = ogrinfo(&["-ro", "-so", path, "ward_gaps"]);
    assert_eq!(feature_count(&summary), 106);
    assert!(summary.contains("ID[\"EPSG\",27700]"), "{summary}");
    for field in [
        "gap: Real",
        "underserved: Integer(Boolean)",
        "considered: Integer(Boolean)",
        "code: String",
        "coverage: Real",
    ] {
        assert!(summary.contains(field), "{field} in {summary}");
    }
    let under = ogrinfo(&[
        "-ro",
        "-q",
        path,
        "-sql",
        "SELECT count(*) AS n FROM ward_gaps WHERE underserved = 1",
    ]);
    let expected = result.wards.iter().filter(|w| w.underserved).count();
    assert!(
        under.contains(&format!("n (Integer) = {expected}")),
        "{under}"
    );
    let provenance = ogrinfo(&["-ro", "-q", path, "analysis_provenance"]);
    assert!(provenance.contains(&result.result_hash()), "{provenance}");
}

#[test]
fn desktop_gis_opens_the_gap_csv_with_its_header_as_field_names() {
    let Some(d) = five_councils() else { return };
    let wards = d.wards.len();
    let address = serve(AppState::new(Arc::new(d)));
    let url = format!("http://{address}/api/gaps?category=gp&format=csv");
    // GDAL's CSV driver: the first field is "code", and every ward is a feature.
    let summary = ogrinfo(&["-ro", "-so", "-al", &format!("CSV:/vsicurl/{url}")]);
    assert_eq!(feature_count(&summary), wards);
    let first_field = summary.lines().find(|l| {
        [": String (", ": Real (", ": Integer"]
            .iter()
            .any(|t| l.contains(t))
    });
    assert!(
        first_field.is_some_and(|l| l.starts_with("code: ")),
        "{summary}"
    );
    assert!(summary.contains("result_hash: String"), "{summary}");
    // Python's csv module: the first row is the header.
    let out = Command::new("python3")
        .args([
            "-c",
            "import csv,sys,urllib.request; r=list(csv.reader(urllib.request.urlopen(sys.argv[1]).read().decode().splitlines())); print(r[0][0], len(r)-1)",
            &url,
        ])
        .output()
        .expect("python3 runs");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("code {wards}"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn gdal_opens_an_empty_tile_and_a_full_one() {
    let Some(d) = five_councils() else { return };
    let address = serve(AppState::new(Arc::new(d)));
    // Mid-Atlantic: nothing there.
    let empty = ogrinfo(&[
        "-ro",
        "-al",
        "-so",
        &format!("MVT:/vsicurl/http://{address}/tiles/all/10/300/300.mvt"),
    ]);
    assert!(!empty.contains("Feature Count: 1"), "{empty}");
    // Church Street, Westminster, at z14: wards and assets.
    let full = ogrinfo(&[
        "-ro",
        "-al",
        "-so",
        &format!("MVT:/vsicurl/http://{address}/tiles/all/14/8184/5447.mvt"),
    ]);
    assert!(full.contains("Layer name: wards"), "{full}");
}

#[test]
fn csv_exports_keep_numbers_as_numbers_through_their_csvt_sidecar() {
    let Some(d) = five_councils() else { return };
    let dir = tempfile::tempdir().unwrap();
    let csv = export_to(&d, dir.path(), "wards", "csv", "wards.csv");
    let bare = ogrinfo(&["-ro", "-so", "-al", &csv]);
    assert!(
        bare.contains("imd_score: String"),
        "without a sidecar: {bare}"
    );
    export_to(&d, dir.path(), "wards", "csvt", "wards.csvt");
    let typed = ogrinfo(&["-ro", "-so", "-al", &csv]);
    for field in [
        "code: String",
        "imd_score: Real",
        "population: Real",
        "easting: Real",
        "lat: Real",
    ] {
        assert!(typed.contains(field), "{field} in {typed}");
    }
    assert_eq!(feature_count(&typed), 106);
}

#[test]
fn gdal_filters_on_the_server_with_cql2() {
    let Some(d) = five_councils() else { return };
    let deprived = d
        .wards
        .iter()
        .filter(|w| w.imd_score.is_some_and(|s| s > 40.0))
        .count();
    let address = serve(AppState::new(Arc::new(d)));
    let oapif = format!("OAPIF:http://{address}");
    // -where becomes a CQL2 filter sent to the server (CPL_CURL_VERBOSE shows
    // the URL); a comparison no simple query parameter can express.
    let out = Command::new("ogrinfo")
        .args(["-ro", "-so", &oapif, "wards", "-where", "imd_score > 40"])
        .args(["--config", "CPL_CURL_VERBOSE", "YES"])
        .output()
        .expect("ogrinfo runs");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert_eq!(feature_count(&text), deprived, "{text}");
    // GDAL 3.7+ reads /conformance and sends the CQL2 filter; GDAL 3.6
    // (Debian 12) does not ask, and filters what it pages through itself.
    let sent: Vec<&str> = text.lines().filter(|l| l.starts_with("> GET")).collect();
    if sent.iter().any(|l| l.contains("/conformance")) {
        assert!(sent.iter().any(|l| l.contains("filter=")), "{sent:#?}");
    }
    assert!(
        deprived > 0,
        "GDAL sent the filter to the server:\n{}",
        &text[..text.len().min(3000)]
    );
    // And sorting through GDAL's -sql ORDER BY is at least served correctly by hand.
    let body = Command::new("curl")
        .args([
            "-sf",
            &format!("http://{address}/collections/wards/items?sortby=-imd_score&limit=1"),
        ])
        .output()
        .expect("curl runs");
    let v: serde_json::Value = serde_json::from_slice(&body.stdout).unwrap();
    assert!(
        v["features"][0]["properties"]["imd_score"]
            .as_f64()
            .unwrap()
            > 50.0
    );
}

//! QGIS (pyqgis from Debian's `python3-qgis`, offscreen) opens assetmap's
//! GeoPackages and draws them as the web pages do: the default style in
//! each file's `layer_styles` table is the one QGIS applies.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Command;

use assetmap::export::{ExportRequest, GapLevel, export_request, write_gap_geopackage};

/// Debian's Python, which `python3-qgis` installs into (not a pyenv or venv
/// one first on PATH); `ASSETMAP_QGIS_PYTHON` overrides it.
fn python() -> String {
    std::env::var("ASSETMAP_QGIS_PYTHON").unwrap_or_else(|_| {
        if std::path::Path::new("/usr/bin/python3").exists() {
            "/usr/bin/python3".into()
        } else {
            "python3".into()
        }
    })
}

fn pyqgis_available() -> bool {
    let ok = Command::new(python())
        .args(["-c", "import qgis.core"])
        .env("QT_QPA_PLATFORM", "offscreen")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("ASSETMAP_REAL_DATA").is_none(),
            "apt-get install python3-qgis (CI installs it)"
        );
        eprintln!("pyqgis is not installed: skipping");
    }
    ok
}

fn qgis(path: &std::path::Path, layers: &[&str]) -> serde_json::Value {
    let out = Command::new(python())
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scripts/qgis_styles.py"
        ))
        .arg(path)
        .args(layers)
        .env("QT_QPA_PLATFORM", "offscreen")
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .expect("JSON from the script");
    serde_json::from_str(line).unwrap()
}

#[test]
fn qgis_draws_an_export_with_the_pages_styles() {
    if !pyqgis_available() {
        return;
    }
    let d = assetmap::demo::load(&assetmap::ingest::Quiet)
        .unwrap()
        .dataset;
    let bytes = export_request(
        &d,
        &ExportRequest {
            collection: "all".into(),
            format: "gpkg".into(),
            ..Default::default()
        },
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.gpkg");
    std::fs::write(&path, bytes).unwrap();
    let v = qgis(&path, &["assets", "wards", "small_areas"]);
    let assets = &v["assets"];
    assert_eq!(assets["renderer"], "categorizedSymbol", "{v}");
    assert_eq!(assets["attribute"], "category");
    assert_eq!(assets["categories"]["gp"], "#1d6b40");
    assert_eq!(assets["categories"]["pharmacy"], "#0b5394");
    for layer in ["wards", "small_areas"] {
        let l = &v[layer];
        assert_eq!(l["renderer"], "graduatedSymbol", "{layer}: {v}");
        assert_eq!(l["attribute"], "imd_score");
        let ranges = l["ranges"].as_array().unwrap();
        assert_eq!(ranges.len(), 5, "{layer}: quintiles");
        assert_eq!(ranges[0]["colour"], "#fbf3da");
        assert_eq!(ranges[4]["colour"], "#8f1d21");
    }
}

/// The demo and its GP gap analysis.
fn demo_gp_analysis() -> (assetmap::model::Dataset, assetmap::analysis::GapResult) {
    let d = assetmap::demo::load(&assetmap::ingest::Quiet)
        .unwrap()
        .dataset;
    let result = assetmap::analysis::analyse(&d, &assetmap::analysis::GapParams::new("gp"));
    (d, result)
}

#[test]
fn qgis_draws_a_gap_analysis_with_underserved_wards_outlined() {
    if !pyqgis_available() {
        return;
    }
    let (d, result) = demo_gp_analysis();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gaps.gpkg");
    write_gap_geopackage(&path, &d, &result, GapLevel::Wards).unwrap();
    let v = qgis(&path, &["ward_gaps"]);
    let l = &v["ward_gaps"];
    assert_eq!(l["renderer"], "graduatedSymbol", "{v}");
    assert_eq!(l["attribute"], "gap");
    assert_eq!(l["features"], 20);
    let ranges = l["ranges"].as_array().unwrap();
    assert_eq!(ranges.len(), 5);
    assert_eq!(ranges[4]["lower"], 0.5, "underserved from 0.5");
    assert_eq!(l["outline_data_defined"], true, "{v}");
}

#[test]
fn qgis_opens_the_gap_csv_with_its_header_as_fields() {
    if !pyqgis_available() {
        return;
    }
    let (d, result) = demo_gp_analysis();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ward-gaps.csv");
    std::fs::write(
        &path,
        assetmap::export::gaps_csv(&d, &result, GapLevel::Wards),
    )
    .unwrap();
    let v = qgis(&path, &[]);
    let csv = &v["csv"];
    assert_eq!(csv["valid"], true, "{v}");
    assert_eq!(csv["features"], 20, "{v}");
    assert_eq!(csv["fields"][0], "code", "{v}");
    assert!(
        csv["fields"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "result_hash")
    );
}

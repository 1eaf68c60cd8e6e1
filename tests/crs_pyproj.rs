//! Other EPSG codes in the default build, checked against PROJ (pyproj):
//! within 0.1 m for CRSs on ETRS89/WGS84 (UTM 30N and 31N, ETRS89-LAEA,
//! Irish Transverse Mercator), within the transformation's stated accuracy
//! (1 m, EPSG:1954) for the Irish Grid's datum shift, and to the millimetre
//! for OSGB36 longitude/latitude onto the National Grid.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use assetmap::crs::{self, Crs};

/// Metres between two longitude/latitude points (locally flat; fine at this scale).
fn metres(a: (f64, f64), b: (f64, f64)) -> f64 {
    let k = 111_320.0;
    let dx = (a.0 - b.0) * k * a.1.to_radians().cos();
    let dy = (a.1 - b.1) * 110_574.0;
    (dx * dx + dy * dy).sqrt()
}

#[test]
fn other_epsg_codes_match_proj() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("python3")
        .arg(root.join("scripts/crosscheck_crs.py"))
        .output()
        .expect("python3 runs");
    if !out.status.success() {
        assert!(
            std::env::var_os("ASSETMAP_REAL_DATA").is_none(),
            "pyproj is needed (python3 -m pip install pyproj==3.7.2; CI installs it):\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        eprintln!("pyproj is missing: skipping the CRS cross-check");
        return;
    }
    let mut worst: std::collections::BTreeMap<u32, f64> = Default::default();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let r: serde_json::Value = serde_json::from_str(line).unwrap();
        let code = r["code"].as_u64().unwrap() as u32;
        let (lon, lat, x, y) = (
            r["lon"].as_f64().unwrap(),
            r["lat"].as_f64().unwrap(),
            r["x"].as_f64().unwrap(),
            r["y"].as_f64().unwrap(),
        );
        let crs = Crs::parse(&format!("EPSG:{code}")).unwrap_or_else(|e| panic!("{code}: {e}"));
        let error_m = if code == 4277 {
            // Reference: PROJ's OSGB36 -> National Grid projection.
            let bng = crs.to_bng(lon, lat).unwrap();
            ((bng.x - x).powi(2) + (bng.y - y).powi(2)).sqrt()
        } else {
            let ll = crs::epsg::to_wgs84(code, x, y).unwrap().unwrap();
            metres((ll.x, ll.y), (lon, lat))
        };
        let limit = match code {
            29903 => 1.0,
            4277 => 0.001,
            _ => 0.1,
        };
        assert!(
            error_m <= limit,
            "EPSG:{code} at ({lon}, {lat}): {error_m:.4} m from PROJ ({})",
            r["operation"]
        );
        // Where the National Grid covers the point, the file's coordinates
        // land on the grid where its longitude/latitude does (OSTN15).
        if code != 4277
            && let Ok(direct) = crs::wgs84_to_bng(lon, lat)
        {
            let via = crs.to_bng(x, y).unwrap();
            let d = ((via.x - direct.x).powi(2) + (via.y - direct.y).powi(2)).sqrt();
            assert!(
                d <= limit,
                "EPSG:{code} at ({lon}, {lat}): {d:.4} m from the direct grid point"
            );
        }
        let w = worst.entry(code).or_insert(0.0);
        *w = w.max(error_m);
    }
    assert_eq!(worst.len(), 6, "every case ran: {worst:?}");
    eprintln!("largest difference from PROJ, metres: {worst:?}");
}

#[test]
fn a_source_in_utm_31n_loads_where_its_grid_twin_does() {
    let dir = tempfile::tempdir().unwrap();
    assetmap::demo::write(dir.path()).unwrap();
    let original =
        assetmap::ingest::load_path(&dir.path().join("manifest.toml"), &assetmap::ingest::Quiet)
            .unwrap_or_else(|f| panic!("{}", f.problem))
            .dataset;
    // The GP list rewritten in UTM zone 31N (EPSG:32631), as another system might export it.
    let wgs84 = proj4rs::Proj::from_proj_string("+proj=longlat +datum=WGS84 +no_defs").unwrap();
    let utm = proj4rs::Proj::from_proj_string("+proj=utm +zone=31 +datum=WGS84 +units=m +no_defs")
        .unwrap();
    let path = dir.path().join("gp_practices.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut out = String::new();
    for (k, line) in text.lines().enumerate() {
        if k == 0 {
            out.push_str(line);
        } else {
            let mut cells: Vec<String> = line.split(',').map(str::to_string).collect();
            let n = cells.len();
            let (e, no): (f64, f64) =
                (cells[n - 2].parse().unwrap(), cells[n - 1].parse().unwrap());
            let ll = crs::bng_to_wgs84(e, no).unwrap();
            let (x, y) =
                proj4rs::adaptors::transform_xy(&wgs84, &utm, ll.x.to_radians(), ll.y.to_radians())
                    .unwrap();
            cells[n - 2] = format!("{x:.3}");
            cells[n - 1] = format!("{y:.3}");
            out.push_str(&cells.join(","));
        }
        out.push('\n');
    }
    std::fs::write(&path, out).unwrap();
    let manifest = dir.path().join("manifest.toml");
    let m = std::fs::read_to_string(&manifest).unwrap();
    let at = m.find("path = \"gp_practices.csv\"").unwrap();
    let crs_at = at + m[at..].find("crs = \"EPSG:27700\"").unwrap();
    let m = format!(
        "{}crs = \"EPSG:32631\"{}",
        &m[..crs_at],
        &m[crs_at + "crs = \"EPSG:27700\"".len()..]
    );
    std::fs::write(&manifest, m).unwrap();
    let loaded = assetmap::ingest::load_path(&manifest, &assetmap::ingest::Quiet)
        .unwrap_or_else(|f| panic!("{}", f.problem))
        .dataset;
    let gps: Vec<_> = original
        .assets
        .iter()
        .filter(|a| a.category == "gp")
        .collect();
    assert!(!gps.is_empty());
    for a in gps {
        let b = &loaded.assets[loaded.asset_by_id[&a.id]];
        let d = ((a.bng.x - b.bng.x).powi(2) + (a.bng.y - b.bng.y).powi(2)).sqrt();
        assert!(d < 0.01, "{}: {d} m apart", a.id);
    }
}

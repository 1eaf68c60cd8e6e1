//! The gap analysis against an independent implementation: PySAL `access`
//! (`scripts/crosscheck_2sfca.py`, installed by `.ci/run`) on the five
//! councils' derived inputs, Euclidean cost in BNG metres. They must agree to
//! 1e-6 relative.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashMap;
use std::process::Command;

use assetmap::analysis::{GapParams, analyse};
use common::{derived_assets, five_council_areas, load_manifest, real_data};

fn agree(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6 * a.abs().max(b.abs()) || (a - b).abs() < 1e-12
}

#[test]
fn two_step_catchment_access_matches_pysal() {
    let Some(data) = real_data() else { return };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("pysal.csv");
    let run = Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scripts/crosscheck_2sfca.py"
        ))
        .arg(&data)
        .arg(&out)
        .args(["--coverage", "800", "--catchment", "1600"])
        .output()
        .expect("python3 runs");
    assert!(
        run.status.success(),
        "the PySAL cross-check failed (pip install access==1.1.10.post3):\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let loaded = load_manifest(&(five_council_areas(&data) + &derived_assets(&data)))
        .unwrap_or_else(|f| panic!("{}", f.problem));
    let d = &loaded.dataset;
    let mut ours: HashMap<(String, String), (f64, Option<f64>, bool)> = HashMap::new();
    for category in ["gp", "pharmacy", "library", "food_bank"] {
        let result = analyse(d, &GapParams::new(category));
        for (area, a) in d.small_areas.iter().zip(&result.small_areas) {
            ours.insert(
                (area.code.clone(), category.to_string()),
                (a.access_per_1000, a.nearest_m, a.covered),
            );
        }
    }
    let mut reader = csv::Reader::from_path(&out).unwrap();
    let mut compared = 0;
    let mut nonzero = 0;
    for row in reader.records() {
        let row = row.unwrap();
        let key = (row[0].to_string(), row[1].to_string());
        let theirs: (f64, f64, bool) = (
            row[2].parse().unwrap(),
            row[3].parse().unwrap(),
            &row[4] == "1",
        );
        let (access, nearest, covered) = ours[&key];
        assert!(
            agree(access, theirs.0),
            "{key:?}: access_per_1000 {access} against PySAL {}",
            theirs.0
        );
        assert!(
            agree(nearest.unwrap(), theirs.1),
            "{key:?}: nearest {nearest:?} against {}",
            theirs.1
        );
        assert_eq!(covered, theirs.2, "{key:?}: covered");
        compared += 1;
        nonzero += usize::from(access > 0.0);
    }
    assert_eq!(compared, 733 * 4);
    assert!(
        nonzero > 1500,
        "most small areas have some access ({nonzero})"
    );
}

//! Hand-built cases whose answers are worked out by hand below.
//!
//! All positions are metres from (500000, 200000) in British National Grid.
//! Wards W1 [0,2000]×[0,1000], W2 [2000,4000], W3 [4000,6000], W4 [6000,7000]
//! (W4 has no small areas). Small areas, with demand point, population, IMD:
//!   A (500,500)   1000  40   in W1
//!   B (1500,500)  2000  10   in W1
//!   C (2500,500)  1000  30   in W2
//!   D (3500,500)   500  30   in W2
//!   E (5000,500)  1000  30   in W3
//! GP assets:
//!   G1 (980,1140):  to A exactly 800 (=D, covered), to B √680000≈824.6, to C ≈1649 (> d0)
//!   G2 (10000,500): no demand within d0 — a supply with no demand in reach
//!   G3 (2500,2100): to C exactly 1600 (=d0, inside the catchment)
//! With D = 800 and d0 = 1600:
//!   R_G1 = 1/(1000+2000) = 1/3000, R_G2 = 0, R_G3 = 1/1000
//!   A_A = A_B = 1/3000, A_C = 1/1000, A_D = A_E = 0

use std::collections::HashMap;

use super::*;
use crate::ingest::{self, Files, Quiet};
use crate::model::Dataset;

struct MemoryFiles(HashMap<&'static str, String>);

impl Files for MemoryFiles {
    fn read(&self, path: &str) -> std::io::Result<Vec<u8>> {
        self.0
            .get(path)
            .map(|s| s.clone().into_bytes())
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, path.to_string()))
    }
}

const X0: f64 = 500_000.0;
const Y0: f64 = 200_000.0;

fn square(x1: f64, x2: f64) -> String {
    let (a, b, c, d) = (X0 + x1, X0 + x2, Y0, Y0 + 1000.0);
    format!("[[[{a},{c}],[{b},{c}],[{b},{d}],[{a},{d}],[{a},{c}]]]")
}

fn collection(features: Vec<String>) -> String {
    format!(
        "{{\"type\":\"FeatureCollection\",\"crs\":{{\"type\":\"name\",\"properties\":{{\"name\":\"urn:ogc:def:crs:EPSG::27700\"}}}},\"features\":[{}]}}",
        features.join(",")
    )
}

fn polygon(code: &str, council: &str, x1: f64, x2: f64) -> String {
    format!(
        "{{\"type\":\"Feature\",\"properties\":{{\"code\":\"{code}\",\"council\":\"{council}\"}},\"geometry\":{{\"type\":\"Polygon\",\"coordinates\":{}}}}}",
        square(x1, x2)
    )
}

fn fixture() -> Dataset {
    let wards = collection(vec![
        polygon("W1", "L1", 0.0, 2000.0),
        polygon("W2", "L1", 2000.0, 4000.0),
        polygon("W3", "L2", 4000.0, 6000.0),
        polygon("W4", "L2", 6000.0, 7000.0),
    ]);
    let areas = collection(vec![
        polygon("A", "L1", 0.0, 1000.0),
        polygon("B", "L1", 1000.0, 2000.0),
        polygon("C", "L1", 2000.0, 3000.0),
        polygon("D", "L1", 3000.0, 4000.0),
        polygon("E", "L2", 4000.0, 6000.0),
    ]);
    let mut table = String::from("code,population,imd,decile,x,y\n");
    for (code, x, p, imd) in [
        ("A", 500.0, 1000, 40.0),
        ("B", 1500.0, 2000, 10.0),
        ("C", 2500.0, 1000, 30.0),
        ("D", 3500.0, 500, 30.0),
        ("E", 5000.0, 1000, 30.0),
    ] {
        table.push_str(&format!(
            "{code},{p},{imd},{},{},{}\n",
            if imd >= 40.0 { 1 } else { 5 },
            X0 + x,
            Y0 + 500.0
        ));
    }
    let mut assets = String::from("id,name,x,y\n");
    for (id, x, y) in [
        ("G1", 980.0, 1140.0),
        ("G2", 10_000.0, 500.0),
        ("G3", 2500.0, 2100.0),
    ] {
        assets.push_str(&format!("{id},Practice {id},{},{}\n", X0 + x, Y0 + y));
    }
    let manifest = r#"
[dataset]
name = "hand-built"
[wards]
path = "wards.geojson"
code = "code"
council_code = "council"
[small_areas]
path = "areas.geojson"
code = "code"
[deprivation]
path = "table.csv"
code = "code"
score = "imd"
decile = "decile"
vintage = "test IMD"
[population]
path = "table.csv"
code = "code"
population = "population"
[demand_points]
path = "table.csv"
code = "code"
x = "x"
y = "y"
[[assets]]
source = "gps"
path = "assets.csv"
category = "gp"
id = "id"
x = "x"
y = "y"
name = "name"
"#;
    let files = MemoryFiles(HashMap::from([
        ("wards.geojson", wards),
        ("areas.geojson", areas),
        ("table.csv", table),
        ("assets.csv", assets),
    ]));
    match ingest::load(manifest, "test", &files, &Quiet) {
        Ok(l) => l.dataset,
        Err(f) => panic!("{}", f.problem),
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9 * b.abs().max(1.0)
}

#[test]
fn small_area_figures_match_the_hand_calculation() {
    let d = fixture();
    let r = analyse(&d, &GapParams::new("gp"));
    let [a, b, c, dd, e] = [0, 1, 2, 3, 4].map(|i| r.small_areas[i]);
    assert_eq!(a.nearest_m, Some(800.0));
    assert!(a.covered, "exactly D is covered");
    assert!(close(b.nearest_m.unwrap(), 680_000f64.sqrt()));
    assert!(!b.covered);
    assert_eq!(c.nearest_m, Some(1600.0));
    assert!(!c.covered);
    assert!(
        close(dd.nearest_m.unwrap(), 3_560_000f64.sqrt()),
        "D is nearest to G3"
    );
    assert!(close(a.access_per_1000, 1000.0 / 3000.0));
    assert!(close(b.access_per_1000, 1000.0 / 3000.0));
    assert!(
        close(c.access_per_1000, 1.0),
        "exactly d0 is inside the catchment"
    );
    assert_eq!(dd.access_per_1000, 0.0);
    assert_eq!(e.access_per_1000, 0.0);
    assert!(close(e.nearest_m.unwrap(), 8_810_000f64.sqrt()));
}

#[test]
fn ward_figures_and_ranks_match_the_hand_calculation() {
    let d = fixture();
    let r = analyse(&d, &GapParams::new("gp"));
    let w = |code: &str| r.wards.iter().find(|w| w.code == code).unwrap();
    let (w1, w2, w3, w4) = (w("W1"), w("W2"), w("W3"), w("W4"));
    assert_eq!(w1.population, 3000.0);
    assert!(close(w1.coverage.unwrap(), 1.0 / 3.0));
    assert!(close(w1.access_per_1000.unwrap(), 1.0 / 3.0));
    assert!(close(
        w1.mean_nearest_m.unwrap(),
        (1000.0 * 800.0 + 2000.0 * 680_000f64.sqrt()) / 3000.0
    ));
    assert!(close(w1.imd_score.unwrap(), 20.0));
    assert_eq!(w1.assets_per_10k, Some(0.0));
    assert!(close(w2.access_per_1000.unwrap(), 1000.0 / 1500.0));
    assert_eq!(w2.coverage, Some(0.0));
    // Need: W1 (20) rank 1; W2 and W3 tie at 30, ranks 2 and 3 -> 2.5 each.
    assert_eq!(
        (w1.need, w2.need, w3.need),
        (Some(0.0), Some(0.75), Some(0.75))
    );
    // Access: W3 (0) < W1 (1/3) < W2 (2/3).
    assert_eq!(
        (w3.access, w1.access, w2.access),
        (Some(0.0), Some(0.5), Some(1.0))
    );
    assert_eq!(
        (w1.gap, w2.gap, w3.gap),
        (Some(-0.5), Some(-0.25), Some(0.75))
    );
    assert_eq!(
        (w1.underserved, w2.underserved, w3.underserved),
        (false, false, true)
    );
    // A ward with no small areas has no figures and is not ranked.
    assert!(!w4.considered);
    assert_eq!(
        (w4.population, w4.coverage, w4.access_per_1000, w4.gap),
        (0.0, None, None, None)
    );
}

#[test]
fn one_council_is_ranked_on_its_own() {
    let d = fixture();
    let mut params = GapParams::new("gp");
    params.council = Some("L1".into());
    let r = analyse(&d, &params);
    let w = |code: &str| r.wards.iter().find(|w| w.code == code).unwrap();
    // Only W1 and W2: need W1 0, W2 1; access W1 0, W2 1.
    assert_eq!((w("W1").gap, w("W2").gap), (Some(0.0), Some(0.0)));
    assert!(!w("W3").considered && w("W3").gap.is_none());
}

#[test]
fn percentile_ranks_average_ties() {
    let ranks = percentile_ranks(&[Some(3.0), Some(1.0), None, Some(3.0), Some(2.0)]);
    assert_eq!(
        ranks,
        vec![
            Some(5.0 / 6.0),
            Some(0.0),
            None,
            Some(5.0 / 6.0),
            Some(1.0 / 3.0)
        ]
    );
    assert_eq!(percentile_ranks(&[Some(1.0)]), vec![None]);
    assert_eq!(
        percentile_ranks(&[Some(2.0), Some(2.0)]),
        vec![Some(0.5), Some(0.5)]
    );
}

#[test]
fn step_weights_cover_the_thirds_of_the_catchment() {
    assert_eq!(Decay::Steps.weight(0.0, 1500.0), 1.0);
    assert_eq!(Decay::Steps.weight(500.0, 1500.0), 1.0);
    assert_eq!(Decay::Steps.weight(500.1, 1500.0), 0.68);
    assert_eq!(Decay::Steps.weight(1000.0, 1500.0), 0.68);
    assert_eq!(Decay::Steps.weight(1500.0, 1500.0), 0.22);
    assert_eq!(Decay::None.weight(1500.0, 1500.0), 1.0);
}

#[test]
fn the_step_decay_changes_what_a_far_supply_contributes() {
    let d = fixture();
    let mut params = GapParams::new("gp");
    params.decay = Decay::Steps;
    let r = analyse(&d, &params);
    // G1: A at 800 and B at 824.6 are both in the middle third (0.68):
    // R = 1 / (0.68·3000), A_A = 0.68·R = 1/3000, as without decay.
    assert!(close(r.small_areas[0].access_per_1000, 1000.0 / 3000.0));
    // G3 reaches only C, at exactly d0 (weight 0.22): R = 1/(0.22·1000), A_C = 0.22·R.
    assert!(close(r.small_areas[2].access_per_1000, 1.0));
}

#[test]
fn a_scenario_shows_before_after_and_delta_without_changing_the_data() {
    let d = fixture();
    let params = GapParams::new("gp");
    // A new practice at E's demand point; G3 removed.
    let g3 = d.asset_by_id["gp:G3"];
    let s = scenario(
        &d,
        &params,
        &[geo::Coord {
            x: X0 + 5000.0,
            y: Y0 + 500.0,
        }],
        &[g3],
    );
    let w3 = s.wards.iter().find(|w| w.code == "W3").unwrap();
    assert_eq!(w3.coverage, [Some(0.0), Some(1.0), Some(1.0)]);
    // The new site reaches E (0 m) and D (1500 m): R = 1/1500, A_E = A_D = 1/1500.
    assert!(close(w3.access_per_1000[1].unwrap(), 1000.0 / 1500.0));
    let w2 = s.wards.iter().find(|w| w.code == "W2").unwrap();
    // Without G3, C has nothing in reach; D gains 1/1500: (500 × 2/3) / 1500.
    assert!(close(
        w2.access_per_1000[1].unwrap(),
        500.0 * (1000.0 / 1500.0) / 1500.0
    ));
    assert!(close(
        w2.access_per_1000[2].unwrap(),
        w2.access_per_1000[1].unwrap() - 1000.0 / 1500.0
    ));
    // Access ranks after: W2 < W1 < W3, so W2 becomes underserved and W3 not.
    assert_eq!(w3.underserved, [true, false]);
    assert_eq!(w2.underserved, [false, true]);
    assert_eq!(d.assets.len(), 3, "the dataset is untouched");
    assert_eq!(analyse(&d, &params).wards, s.before.wards);
}

#[test]
fn suggestions_cover_the_most_deprived_population_first() {
    let d = fixture();
    let got = suggest(&d, &GapParams::new("gp"), 10);
    // Uncovered: B (2000×10), C (1000×30), D (500×30), E (1000×30). Within 800 m
    // of a demand point: B alone; C reaches nothing else (D is 1000 away); E alone.
    // Best first: C or E (30000), tie goes to the earlier small area (C); then E;
    // then B (20000); then D (15000).
    let order: Vec<&str> = got.iter().map(|s| s.small_area.as_str()).collect();
    assert_eq!(order, ["C", "E", "B", "D"]);
    assert_eq!(got[0].newly_covered_population, 1000.0);
    assert_eq!(got[0].wards, ["W2"]);
    assert_eq!(got[2].weighted_gain, 20_000.0);
    assert_eq!(suggest(&d, &GapParams::new("gp"), 1).len(), 1);
}

#[test]
fn parameters_are_checked() {
    let d = fixture();
    let mut p = GapParams::new("dentist");
    assert!(
        p.check(&d)
            .unwrap_err()
            .to_string()
            .contains("unknown category \"dentist\"")
    );
    p = GapParams::new("gp");
    p.coverage_m = 99.0;
    assert!(
        p.check(&d)
            .unwrap_err()
            .to_string()
            .contains("coverage_m must be between 100 and 10000")
    );
    p.coverage_m = 800.0;
    p.catchment_m = f64::NAN;
    assert!(p.check(&d).is_err());
    p.catchment_m = 10_000.0;
    assert!(p.check(&d).is_ok());
    p.council = Some("L9".into());
    assert!(p.check(&d).is_err());
}

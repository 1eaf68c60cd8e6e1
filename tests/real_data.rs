//! The importer on the real ONS/MHCLG/NHS files in `ASSETMAP_REAL_DATA`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, HashMap};

use assetmap::model::{Dataset, WardAssignment};
use common::{derived_assets, file, five_council_areas, load_manifest, real_data};
use geo::{Contains, Coord, Intersects, MultiPolygon, Point};

const COUNCILS: [(&str, &str); 5] = [
    ("E09000033", "Westminster"),
    ("E09000005", "Brent"),
    ("E08000003", "Manchester"),
    ("E07000243", "Stevenage"),
    ("E07000195", "Newcastle-under-Lyme"),
];

fn council_of_asset(dataset: &Dataset, asset: usize) -> &str {
    match dataset.assets[asset].ward {
        Some(w) => dataset.wards[w].council_code.as_deref().unwrap_or("?"),
        None => "outside",
    }
}

fn brute_force_polygon(shapes: &[&MultiPolygon], at: Coord) -> Option<usize> {
    let p = Point(at);
    (0..shapes.len())
        .find(|&i| shapes[i].contains(&p))
        .or_else(|| (0..shapes.len()).find(|&i| shapes[i].intersects(&p)))
}

#[test]
fn five_councils_load_with_the_published_counts() {
    let Some(data) = real_data() else { return };
    let loaded = load_manifest(&(five_council_areas(&data) + &derived_assets(&data)))
        .unwrap_or_else(|f| panic!("{}\n{}", f.problem, f.report.to_text()));
    let d = &loaded.dataset;

    assert_eq!(d.wards.len(), 106);
    let mut wards_per_council: BTreeMap<&str, usize> = BTreeMap::new();
    for w in d.wards.iter() {
        *wards_per_council
            .entry(w.council_code.as_deref().unwrap_or("?"))
            .or_insert(0) += 1;
    }
    let expected_wards = [18, 22, 32, 13, 21];
    for ((code, name), n) in COUNCILS.iter().zip(expected_wards) {
        assert_eq!(wards_per_council.get(code), Some(&n), "{name} wards");
    }

    assert_eq!(d.small_areas.len(), 733);
    assert!(
        d.small_areas
            .iter()
            .all(|s| s.deprivation.is_some() && s.population.is_some()),
        "every small area joins IMD and population"
    );
    let population: f64 = d.wards.iter().map(|w| w.population).sum();
    assert_eq!(
        population,
        204_214.0 + 339_824.0 + 552_037.0 + 89_498.0 + 123_326.0
    );
    assert!(d.small_areas.iter().all(|s| s.ward.is_some()));

    assert_eq!(d.assets.len(), 1685);
    let counts = d.category_counts();
    assert_eq!(counts.get("gp"), Some(&540));
    assert_eq!(counts.get("pharmacy"), Some(&877));
    assert_eq!(counts.get("library"), Some(&159));
    assert_eq!(counts.get("food_bank"), Some(&109));
    // derived/README.md: assets by the council whose ward contains them.
    let table: [(&str, [usize; 6]); 4] = [
        ("gp", [40, 54, 83, 5, 18, 340]),
        ("pharmacy", [78, 78, 119, 20, 25, 557]),
        ("library", [12, 10, 21, 2, 7, 107]),
        ("food_bank", [0, 0, 81, 0, 0, 28]),
    ];
    let mut by_council: HashMap<(&str, &str), usize> = HashMap::new();
    for (i, a) in d.assets.iter().enumerate() {
        *by_council
            .entry((a.category.as_str(), council_of_asset(d, i)))
            .or_insert(0) += 1;
    }
    for (category, expected) in table {
        let codes = COUNCILS.iter().map(|c| c.0).chain(["outside"]);
        for (code, n) in codes.zip(expected) {
            assert_eq!(
                by_council.get(&(category, code)).copied().unwrap_or(0),
                n,
                "{category} in {code}"
            );
        }
    }
    assert_eq!(
        loaded.report.problems.len(),
        0,
        "{}",
        loaded.report.to_text()
    );
    assert_eq!(d.postcodes.len(), 38_394);
    assert_eq!(d.info.vintages.deprivation.as_deref(), Some("IoD2025"));
    assert_eq!(d.info.content_hash.len(), 64);
}

#[test]
fn point_in_polygon_and_nearest_agree_with_brute_force_scans() {
    let Some(data) = real_data() else { return };
    let loaded = load_manifest(&(five_council_areas(&data) + &derived_assets(&data)))
        .unwrap_or_else(|f| panic!("{}", f.problem));
    let d = &loaded.dataset;
    let wards: Vec<&MultiPolygon> = d.wards.iter().map(|w| &w.bng).collect();
    let areas: Vec<&MultiPolygon> = d.small_areas.iter().map(|s| &s.bng).collect();
    for a in &d.assets {
        assert_eq!(
            a.ward,
            brute_force_polygon(&wards, a.bng),
            "ward of {}",
            a.id
        );
        assert_eq!(
            a.small_area,
            brute_force_polygon(&areas, a.bng),
            "small area of {}",
            a.id
        );
    }
    for s in d.small_areas.iter() {
        if matches!(s.ward_assignment, WardAssignment::Contains) {
            assert_eq!(
                s.ward,
                brute_force_polygon(&wards, s.demand),
                "ward of {}",
                s.code
            );
        }
    }

    // Seeded random points over the five councils' extent.
    let mut state: u64 = 42;
    let mut unit = || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let (min, max) = (
        Coord {
            x: 380_000.0,
            y: 170_000.0,
        },
        Coord {
            x: 535_000.0,
            y: 400_000.0,
        },
    );
    for _ in 0..500 {
        let at = Coord {
            x: min.x + unit() * (max.x - min.x),
            y: min.y + unit() * (max.y - min.y),
        };
        let mut brute: Vec<(f64, usize)> = d
            .assets
            .iter()
            .enumerate()
            .map(|(i, a)| {
                (
                    ((a.bng.x - at.x).powi(2) + (a.bng.y - at.y).powi(2)).sqrt(),
                    i,
                )
            })
            .collect();
        brute.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let hits = d.asset_index.nearest(at, 10, &[], None);
        let got: Vec<(f64, usize)> = hits.iter().map(|h| (h.distance_m, h.asset)).collect();
        assert_eq!(got, brute[..10].to_vec());
        assert_eq!(
            d.ward_index.containing(|i| wards[i], at),
            brute_force_polygon(&wards, at)
        );
    }
}

#[test]
fn food_bank_positions_match_an_independent_ostn15_to_the_millimetre() {
    let Some(data) = real_data() else { return };
    let manifest = five_council_areas(&data)
        + &format!(
            r#"
[[assets]]
source = "gm_food_banks"
path = {fb}
category = "food_bank"
name = "Name"
postcode = "Postcode"
# All of Greater Manchester, not only the city: wider than the wards on purpose.
max_distance_from_wards_m = 1000000
"#,
            fb = file(&data, "assets/gm_food_banks.geojson")
        );
    let loaded = load_manifest(&manifest).unwrap_or_else(|f| panic!("{}", f.problem));
    let d = &loaded.dataset;
    assert_eq!(d.assets.len(), 171);
    let derived = std::fs::read_to_string(data.join("derived/assets_five_councils.csv"))
        .expect("derived assets");
    let mut compared = 0;
    for line in derived.lines().filter(|l| l.starts_with("food_bank:")) {
        let fields: Vec<&str> = line.split(',').collect();
        let id = fields[0];
        let n = fields.len();
        let (e, no): (f64, f64) = (
            fields[n - 5].parse().expect("easting"),
            fields[n - 4].parse().expect("northing"),
        );
        let asset = d
            .asset_by_id
            .get(id)
            .map(|&i| &d.assets[i])
            .unwrap_or_else(|| panic!("{id} has the same id here"));
        assert!(
            (asset.bng.x - e).abs() < 0.0006 && (asset.bng.y - no).abs() < 0.0006,
            "{id}: {:?} vs {e},{no}",
            asset.bng
        );
        compared += 1;
    }
    assert_eq!(compared, 109);
}

#[test]
fn raw_imd_and_census_files_join_like_the_derived_table() {
    let Some(data) = real_data() else { return };
    let derived =
        load_manifest(&five_council_areas(&data)).unwrap_or_else(|f| panic!("{}", f.problem));
    let manifest = format!(
        r#"
[dataset]
name = "Five councils, raw files"

[wards]
path = {wards}
code = "ward_code"
name = "ward_name"
council_code = "lad_code"

[small_areas]
path = {lsoa}
code = "lsoa21_code"

[deprivation]
path = {imd}
code = "lsoa21_code"
score = "IMD_score"
decile = "IMD_decile"
rank = "IMD_rank"
domains = ["Income_score", "Employment_score", "Education_score", "Health_score", "Crime_score", "Housing_and_Services_score", "Environment_score"]
vintage = "IoD2025"

[population]
path = {census}
code = "lsoa21_code"
population = "usual_residents"
vintage = "Census 2021 (TS021)"

[lookup]
path = {lookup}
code = "lsoa21_code"
ward = "ward24_code"
"#,
        wards = file(&data, "boundaries/wards_may2024_bsc_five_councils.geojson"),
        lsoa = file(&data, "boundaries/lsoa21_bsc_five_councils.geojson"),
        imd = file(&data, "deprivation/imd2025_lsoa21_england_domains.csv"),
        census = file(&data, "population/census2021_usual_residents_lsoa21_ew.csv"),
        lookup = file(&data, "lookups/lsoa21_to_ward24_to_lad24_best_fit_ew.csv"),
    );
    let raw = load_manifest(&manifest).unwrap_or_else(|f| panic!("{}", f.problem));
    let (r, d) = (&raw.dataset, &derived.dataset);
    assert_eq!(r.small_areas.len(), 733);
    assert!(r.small_areas.iter().all(|s| {
        s.deprivation
            .as_ref()
            .is_some_and(|d| d.domains.iter().all(Option::is_some))
            && s.population.is_some()
    }));
    assert_eq!(r.info.domains.len(), 7);
    assert_eq!(r.info.domains[0], "Income");
    let imd = raw
        .report
        .source("deprivation")
        .expect("deprivation report");
    assert_eq!((imd.loaded, imd.unmatched), (733, 33_755 - 733));
    let census = raw.report.source("population").expect("population report");
    assert_eq!((census.loaded, census.unmatched), (733, 35_672 - 733));
    // The lookup assigns every small area; the derived case assigns by demand point.
    assert!(
        r.small_areas
            .iter()
            .all(|s| s.ward_assignment == WardAssignment::Lookup)
    );
    let differ = r
        .small_areas
        .iter()
        .zip(d.small_areas.iter())
        .filter(|(a, b)| a.ward != b.ward)
        .count();
    assert_eq!(
        differ, 41,
        "derived/README.md: best fit differs from the demand-point ward for 41 LSOAs"
    );
    for (a, b) in r.small_areas.iter().zip(d.small_areas.iter()) {
        assert_eq!(
            a.deprivation.as_ref().map(|x| x.score),
            b.deprivation.as_ref().map(|x| x.score)
        );
        assert_eq!(a.population, b.population);
    }
    // With no demand points supplied, the area-weighted centroid is computed in
    // the grid; the derived table's (Helmert, not OSTN15) is within 2 m.
    for (a, b) in r.small_areas.iter().zip(d.small_areas.iter()) {
        let moved = ((a.demand.x - b.demand.x).powi(2) + (a.demand.y - b.demand.y).powi(2)).sqrt();
        assert!(moved < 2.5, "{} centroid moved {moved} m", a.code);
    }
}

#[test]
fn raw_nhs_gp_file_with_its_filters_gives_the_same_practices() {
    let Some(data) = real_data() else { return };
    let manifest = five_council_areas(&data)
        + &format!(
            r#"
[[assets]]
source = "nhs_epraccur"
path = {gp}
category = "gp"
id = "org_code"
x = "easting"
y = "northing"
crs = "EPSG:27700"
name = "name"
address = ["address_line_1", "address_line_2", "address_line_3", "address_line_4", "address_line_5"]
postcode = "postcode"
phone = "contact_telephone"
filter = [
  {{ field = "status_code", equals = "A" }},
  {{ field = "prescribing_setting", equals = "4" }},
]
# The whole national file, wider than the five councils on purpose.
max_distance_from_wards_m = 1000000
"#,
            gp = file(
                &data,
                "assets/gp_practices_epraccur_england_wales_geocoded.csv"
            )
        );
    let loaded = load_manifest(&manifest).unwrap_or_else(|f| panic!("{}", f.problem));
    let d = &loaded.dataset;
    let report = loaded.report.source("nhs_epraccur").expect("report");
    assert_eq!(report.read, 15_971);
    assert_eq!(report.loaded, 6_740);
    assert_eq!(report.filtered, 15_971 - 6_750);
    // Ten active practices have terminated postcodes: no coordinates, and not in Code-Point.
    assert_eq!(report.skipped, 10);
    assert_eq!(
        loaded
            .report
            .problems_mentioning("is not in the postcode file")
            .count(),
        10
    );
    let mut per_council: HashMap<&str, usize> = HashMap::new();
    for i in 0..d.assets.len() {
        *per_council.entry(council_of_asset(d, i)).or_insert(0) += 1;
    }
    for ((code, name), n) in COUNCILS.iter().zip([40, 54, 83, 5, 18]) {
        assert_eq!(per_council.get(code), Some(&n), "GP practices in {name}");
    }
    let sample = &d.assets[d.asset_by_id["gp:A81001"]];
    assert_eq!(sample.name, "THE DENSHAM SURGERY");
    assert_eq!(sample.phone.as_deref(), Some("01642 672351"));
    assert!(
        sample
            .address
            .as_deref()
            .is_some_and(|a| a.starts_with("THE HEALTH CENTRE, LAWSON STREET"))
    );
}

#[test]
fn invalid_polygons_are_repaired_and_named() {
    let Some(data) = real_data() else { return };
    let manifest = format!(
        r#"
[dataset]
name = "Greater Manchester generalised"
[wards]
path = {wards}
code = "area_code"
name = "area_name"
[small_areas]
path = {lsoa}
code = "area_code"
name = "area_name"
"#,
        wards = file(&data, "boundaries/gm_wards_2023_generalised.geojson"),
        lsoa = file(&data, "boundaries/gm_lsoa21_generalised.geojson"),
    );
    let loaded = load_manifest(&manifest).unwrap_or_else(|f| panic!("{}", f.problem));
    assert_eq!(loaded.dataset.small_areas.len(), 1_702);
    let repaired: Vec<&str> = loaded
        .report
        .problems
        .iter()
        .filter(|p| p.severity == assetmap::ingest::Severity::Repaired)
        .filter_map(|p| p.location.as_deref())
        .collect();
    for code in ["E01005866", "E01005907", "E01006012", "E01006312"] {
        assert!(
            repaired.iter().any(|l| l.contains(code)),
            "{code} is reported repaired: {repaired:?}"
        );
    }
    assert_eq!(
        loaded.report.source("small_areas").map(|s| s.repaired),
        Some(4)
    );
    use geo::Validation;
    assert!(loaded.dataset.small_areas.iter().all(|s| s.bng.is_valid()));
}

#[test]
fn a_national_dataset_loads() {
    let Some(data) = real_data() else { return };
    let manifest = format!(
        r#"
[dataset]
name = "England"
[wards]
path = {wards}
code = "WD23CD"
name = "WD23NM"
council_code = "LAD23CD"
council_name = "LAD23NM"
vintage = "December 2023 (BSC)"
[small_areas]
path = {lsoa}
code = "lsoa21_code"
council_code = "ltla24_code"
filter = [{{ field = "lsoa21_code", starts_with = "E" }}]
[deprivation]
path = {small}
code = "lsoa21_code"
score = "IMD_score"
decile = "IMD_decile"
[population]
path = {small}
code = "lsoa21_code"
population = "population"
[demand_points]
path = {small}
code = "lsoa21_code"
x = "centroid_easting"
y = "centroid_northing"
{assets}
"#,
        wards = file(&data, "boundaries/wards_dec2023_uk_bsc.geojson"),
        lsoa = file(&data, "boundaries/lsoa21_bsc_ew.geojson"),
        small = file(&data, "derived/small_areas_england.csv"),
        assets = national_assets(&data),
    );
    let loaded = load_manifest(&manifest).unwrap_or_else(|f| panic!("{}", f.problem));
    let d = &loaded.dataset;
    // One Northern Ireland ward lies west of the grid OSTN15 covers; it is
    // skipped and named, not dropped silently.
    assert_eq!(
        loaded
            .report
            .source("wards")
            .map(|s| (s.read, s.loaded, s.skipped)),
        Some((8_441, 8_440, 1))
    );
    assert!(loaded.report.problems.iter().any(|p| {
        p.location
            .as_deref()
            .is_some_and(|l| l.contains("N08000602"))
            && p.message
                .contains("outside the area the British National Grid")
    }));
    assert_eq!(d.wards.len(), 8_440);
    assert_eq!(d.small_areas.len(), 33_755);
    assert_eq!(
        loaded.report.source("small_areas").map(|s| s.filtered),
        Some(1_917),
        "Welsh LSOAs are filtered out"
    );
    assert!(
        d.small_areas
            .iter()
            .all(|s| s.deprivation.is_some() && s.population.is_some() && s.ward.is_some())
    );
    assert_eq!(d.assets.len(), 6_740 + 11_204 + 2_907);
    let total: f64 = d.wards.iter().map(|w| w.population).sum();
    assert_eq!(total, 56_490_108.0);

    // Low-zoom tiles of the national wards stay small.
    let source = assetmap::tiles::TileSource::new(d, 13);
    let mut largest = 0;
    for z in [4u8, 5, 6] {
        let (a, b) = (
            assetmap::tiles::normalised_mercator(Coord { x: -6.5, y: 55.9 }),
            assetmap::tiles::normalised_mercator(Coord { x: 1.8, y: 49.8 }),
        );
        let (t0, t1) = (
            assetmap::tiles::TileId::containing(z, a.x, a.y),
            assetmap::tiles::TileId::containing(z, b.x, b.y),
        );
        for x in t0.x..=t1.x {
            for y in t0.y..=t1.y {
                let tile = assetmap::tiles::TileId { z, x, y };
                let bytes = source.render(d, tile, assetmap::tiles::TileLayer::Wards, &[], None);
                assert!(bytes.len() < 500_000, "{tile:?} is {} bytes", bytes.len());
                largest = largest.max(bytes.len());
            }
        }
    }
    assert!(
        largest > 10_000,
        "the low-zoom tiles hold the wards ({largest} bytes)"
    );
    eprintln!("largest national ward tile at z4..6: {largest} bytes");
    // And every tile the server encodes ahead (both polygon layers, to zoom
    // 14, where tiles are largest): none near 500 KB even uncompressed. Above
    // zoom 14 a tile holds a quarter of its parent's area or less.
    let made = source.prepare(d, assetmap::tiles::PREPARED_MAX_ZOOM, 2);
    assert!(made.tiles > 100_000, "{made:?}");
    assert!(
        made.largest_bytes < 400_000,
        "polygon layers of {:?} are {} bytes",
        made.largest,
        made.largest_bytes
    );
    eprintln!("largest tile encoded ahead: {made:?}");
}

/// The national GP, pharmacy and library files with the derived table's filters.
pub fn national_assets(data: &std::path::Path) -> String {
    format!(
        r#"
[[assets]]
source = "gp"
path = {gp}
category = "gp"
id = "org_code"
x = "easting"
y = "northing"
name = "name"
postcode = "postcode"
filter = [{{ field = "status_code", equals = "A" }}, {{ field = "prescribing_setting", equals = "4" }}]
[[assets]]
source = "pharmacy"
path = {ph}
category = "pharmacy"
id = "org_code"
x = "easting"
y = "northing"
name = "name"
postcode = "postcode"
filter = [{{ field = "status_code", equals = "A" }}]
[[assets]]
source = "library"
path = {lib}
category = "library"
x = "easting"
y = "northing"
name = "name"
opening_hours = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
filter = [{{ field = "closed", empty = true }}, {{ field = "type", contains = "static" }}]
"#,
        gp = file(
            data,
            "assets/gp_practices_epraccur_england_wales_geocoded.csv"
        ),
        ph = file(data, "assets/pharmacies_edispensary_england_geocoded.csv"),
        lib = file(data, "assets/libraries_england_2023_geocoded.csv"),
    )
}

#[test]
fn the_five_councils_manifest_in_the_repository_loads() {
    let Some(data) = real_data() else { return };
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/manifests/five-councils.toml"
    ))
    .expect("manifest");
    let loaded = load_manifest(&text.replace("../../shared/data", &data.display().to_string()))
        .unwrap_or_else(|f| panic!("{}", f.problem));
    let d = &loaded.dataset;
    assert_eq!((d.wards.len(), d.small_areas.len()), (106, 733));
    assert_eq!(d.info.domains.len(), 7);
    // National files cut to 3 km around the wards; the derived table cut to 3 km
    // around the (coarser) LAD outlines, so the margins differ slightly.
    let counts = d.category_counts();
    for (category, derived) in [
        ("gp", 540),
        ("pharmacy", 877),
        ("library", 159),
        ("food_bank", 109),
    ] {
        let n = counts[category] as i64;
        assert!(
            (n - derived).abs() <= derived / 50,
            "{category}: {n} against {derived}"
        );
    }
    let food = loaded.report.source("gm_food_banks").expect("food banks");
    assert_eq!((food.read, food.loaded + food.filtered), (171, 171));
}

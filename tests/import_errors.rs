//! Bad input through the importer: each problem is named with file, row or
//! feature, and reason; fatal ones stop the import with that message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Command;

use assetmap::ingest::{ImportFailure, Loaded, Severity};
use common::{file, five_council_areas, load_manifest, load_with_files, real_data};

/// The demo dataset's files with some replaced, loaded from a temporary folder.
fn demo_with(changes: &[(&str, &str)]) -> (tempfile::TempDir, Result<Loaded, ImportFailure>) {
    let mut files: Vec<(&str, Vec<u8>)> = assetmap::demo::FILES
        .iter()
        .map(|(n, b)| (*n, b.to_vec()))
        .collect();
    let mut manifest = String::new();
    for (name, bytes) in files.iter_mut() {
        if let Some((_, text)) = changes.iter().find(|(n, _)| n == name) {
            *bytes = text.as_bytes().to_vec();
        }
        if *name == "manifest.toml" {
            manifest = String::from_utf8_lossy(bytes).into_owned();
        }
    }
    for (name, text) in changes {
        if !files.iter().any(|(n, _)| n == name) {
            files.push((name, text.as_bytes().to_vec()));
        }
    }
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .filter(|(n, _)| *n != "manifest.toml")
        .map(|(n, b)| (*n, b.as_slice()))
        .collect();
    load_with_files(&manifest, &refs)
}

fn demo_manifest() -> String {
    String::from_utf8_lossy(assetmap::demo::FILES[0].1).into_owned()
}

fn fatal(result: Result<Loaded, ImportFailure>) -> ImportFailure {
    match result {
        Ok(_) => panic!("the import should have stopped"),
        Err(f) => f,
    }
}

fn loaded(result: Result<Loaded, ImportFailure>) -> Loaded {
    result.unwrap_or_else(|f| panic!("the import stopped: {}", f.problem))
}

const EXTRA_SOURCE: &str = r#"
[[assets]]
source = "extra"
path = "extra.csv"
category = "advice"
id = "id"
x = "x"
y = "y"
crs = "EPSG:4326"
name = "name"
postcode = "postcode"
"#;

#[test]
fn the_demo_loads_cleanly() {
    let (_dir, result) = demo_with(&[]);
    let l = loaded(result);
    assert!(l.report.problems.is_empty(), "{}", l.report.to_text());
    assert_eq!(l.dataset.wards.len(), 20);
    assert_eq!(l.dataset.small_areas.len(), 116);
    assert!(l.dataset.assets.len() >= 280, "{}", l.dataset.assets.len());
    assert!(l.dataset.category_counts().len() >= 6);
}

#[test]
fn latitude_100_and_grid_numbers_as_degrees_are_named_with_a_suggestion() {
    let manifest = demo_manifest() + EXTRA_SOURCE;
    let extra = "id,name,x,y,postcode\n1,Placeholder Civic Center,101,100,\n2,Grid numbers,668500,283000,\n3,Swapped,52.3,1.75,\n4,Fine,1.958,52.392,\n";
    let (_dir, result) = demo_with(&[("manifest.toml", &manifest), ("extra.csv", extra)]);
    let l = loaded(result);
    let problems: Vec<String> = l.report.problems.iter().map(|p| p.to_string()).collect();
    assert!(
        problems.iter().any(
            |p| p.contains("extra.csv, row 2") && p.contains("latitude 100 is outside -90..90")
        ),
        "{problems:#?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("extra.csv, row 3") && p.contains("declare crs = \"EPSG:27700\"")),
        "{problems:#?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("extra.csv, row 4") && p.contains("swapped")),
        "{problems:#?}"
    );
    let source = l.report.source("extra").expect("source report");
    assert_eq!((source.read, source.loaded, source.skipped), (4, 1, 3));
    assert_eq!(
        source.skipped_by_reason.get("coordinates out of range"),
        Some(&3)
    );
}

#[test]
fn the_open_referral_example_location_is_refused() {
    let Some(data) = real_data() else { return };
    let manifest = five_council_areas(&data)
        + &format!(
            r#"
[[assets]]
source = "oruk"
path = {loc}
category = "community"
id = "id"
x = "longitude"
y = "latitude"
crs = "EPSG:4326"
name = "name"
"#,
            loc = file(
                &data,
                "directories/oruk_uk_profile/examples/csv/locations.csv"
            )
        );
    let failure_or_loaded = load_manifest(&manifest);
    let l = loaded(failure_or_loaded);
    let p = l
        .report
        .problems
        .iter()
        .find(|p| p.file.ends_with("locations.csv"))
        .expect("a problem for the ORUK file");
    assert_eq!(p.location.as_deref(), Some("row 2"));
    assert!(
        p.message.contains("latitude 100 is outside -90..90"),
        "{}",
        p.message
    );
    assert_eq!(l.report.source("oruk").map(|s| s.skipped), Some(1));
}

#[test]
fn stevenage_december_2023_wards_do_not_match_the_may_2024_lookup() {
    let Some(data) = real_data() else { return };
    let manifest = format!(
        r#"
[dataset]
name = "Old wards"
[wards]
path = {wards}
code = "WD23CD"
name = "WD23NM"
[small_areas]
path = {lsoa}
code = "lsoa21_code"
[lookup]
path = {lookup}
code = "lsoa21_code"
ward = "ward24_code"
"#,
        wards = file(&data, "boundaries/wards_dec2023_bsc_five_councils.geojson"),
        lsoa = file(&data, "boundaries/lsoa21_bsc_five_councils.geojson"),
        lookup = file(&data, "lookups/lsoa21_to_ward24_to_lad24_best_fit_ew.csv"),
    );
    let l = loaded(load_manifest(&manifest));
    let stevenage: Vec<_> = l
        .report
        .problems_mentioning("which is not in the ward file")
        .collect();
    assert_eq!(
        stevenage.len(),
        54,
        "every Stevenage LSOA is looked up to a May 2024 ward code"
    );
    assert!(stevenage.iter().all(|p| p.message.contains("E050156")));
}

#[test]
fn a_truncated_geojson_file_stops_the_import_with_its_line() {
    let wards = String::from_utf8_lossy(assetmap::demo::FILES[1].1).into_owned();
    let cut = &wards[..wards.len() / 2];
    let f = fatal(demo_with(&[("wards.geojson", cut)]).1);
    assert_eq!(f.problem.file, "wards.geojson");
    assert!(
        f.problem.message.contains("truncated"),
        "{}",
        f.problem.message
    );
    assert!(
        f.problem
            .location
            .as_deref()
            .is_some_and(|l| l.starts_with("line "))
    );
}

#[test]
fn empty_and_header_only_files_are_fatal() {
    let f = fatal(demo_with(&[("pharmacies.csv", "")]).1);
    assert_eq!(
        (f.problem.file.as_str(), f.problem.message.as_str()),
        ("pharmacies.csv", "the file is empty")
    );
    let f = fatal(demo_with(&[("population.csv", "lsoa21_code,usual_residents\n")]).1);
    assert!(f.problem.message.contains("no data rows"));
    let f = fatal(
        demo_with(&[(
            "food_banks.geojson",
            "{\"type\":\"FeatureCollection\",\"features\":[]}",
        )])
        .1,
    );
    assert!(f.problem.message.contains("no features"));
}

#[test]
fn a_ragged_row_is_skipped_with_its_row() {
    let pharmacies = String::from_utf8_lossy(assetmap::demo::FILES[7].1).into_owned();
    let mut lines: Vec<&str> = pharmacies.lines().collect();
    lines[3] = "ZA999,HALF A ROW";
    let text = lines.join("\n") + "\n";
    let l = loaded(demo_with(&[("pharmacies.csv", &text)]).1);
    let p = l
        .report
        .problems
        .iter()
        .find(|p| p.file == "pharmacies.csv")
        .expect("problem");
    assert_eq!(p.location.as_deref(), Some("row 4"));
    assert!(p.message.contains("2 fields but the header has 14"));
}

#[test]
fn a_misspelt_column_lists_the_columns_that_exist() {
    let manifest = demo_manifest().replace("score = \"IMD_score\"", "score = \"IMD_scor\"");
    let f = fatal(demo_with(&[("manifest.toml", &manifest)]).1);
    assert_eq!(f.problem.file, "deprivation.csv");
    assert_eq!(
        f.problem.location.as_deref(),
        Some("manifest key deprivation.score")
    );
    assert!(
        f.problem.message.contains("Did you mean \"IMD_score\"?"),
        "{}",
        f.problem.message
    );
    assert!(f.problem.message.contains("\"Income_score\""));
}

#[test]
fn a_wrong_manifest_key_is_named_with_its_line() {
    let manifest = demo_manifest().replace("code = \"ward_code\"", "cod = \"ward_code\"");
    let f = fatal(demo_with(&[("manifest.toml", &manifest)]).1);
    assert!(
        f.problem.message.contains("unknown field `cod`"),
        "{}",
        f.problem.message
    );
    assert!(f.problem.file.ends_with("manifest.toml"));
    let line = manifest
        .lines()
        .position(|l| l.starts_with("cod ="))
        .expect("line")
        + 1;
    assert_eq!(f.problem.location, Some(format!("line {line}")));
}

#[test]
fn a_missing_file_is_fatal_and_named() {
    let manifest = demo_manifest().replace("path = \"population.csv\"", "path = \"populaton.csv\"");
    let f = fatal(demo_with(&[("manifest.toml", &manifest)]).1);
    assert_eq!(f.problem.file, "populaton.csv");
    assert!(f.problem.message.contains("cannot read the file"));
}

#[test]
fn unknown_postcodes_duplicate_ids_and_missing_join_keys_are_reported() {
    let manifest =
        demo_manifest() + &EXTRA_SOURCE.replace("crs = \"EPSG:4326\"\n", "crs = \"EPSG:27700\"\n");
    let extra = "id,name,x,y,postcode\nA,First,668500,283000,\nA,Second,668600,283100,\nB,No place,,,ZZ9 9ZZ\nC,Bad postcode,,,not a postcode\n";
    let deprivation = String::from_utf8_lossy(assetmap::demo::FILES[3].1).into_owned();
    let without_first: String = deprivation
        .lines()
        .enumerate()
        .filter(|(i, _)| *i != 1)
        .map(|(_, l)| format!("{l}\n"))
        .collect();
    let missing_code = deprivation
        .lines()
        .nth(1)
        .and_then(|l| l.split(',').next())
        .expect("code")
        .to_string();
    let (_dir, result) = demo_with(&[
        ("manifest.toml", &manifest),
        ("extra.csv", extra),
        ("deprivation.csv", &without_first),
    ]);
    let l = loaded(result);
    let text = l.report.to_text();
    assert!(
        text.contains("extra.csv, row 3: duplicate id advice:A (first at row 2)"),
        "{text}"
    );
    assert!(
        text.contains(
            "extra.csv, row 4: no coordinates, and postcode ZZ9 9ZZ is not in the postcode file"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "extra.csv, row 5: no coordinates, and \"not a postcode\" is not a UK postcode"
        ),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "small area {missing_code} has no row in this file"
        )),
        "{text}"
    );
    let area = &l.dataset.small_areas[l.dataset.small_area_by_code[&missing_code]];
    assert!(area.deprivation.is_none());
    assert_eq!(l.report.count(Severity::Warning), 1);
}

#[test]
fn a_feature_without_usable_geometry_is_skipped() {
    let wards = String::from_utf8_lossy(assetmap::demo::FILES[1].1).into_owned();
    let broken = wards.replacen(
        "\"geometry\":{\"type\":\"Polygon\"",
        "\"geometry\":null,\"was\":{\"type\":\"Polygon\"",
        1,
    );
    assert!(broken != wards, "the fixture changed");
    let l = loaded(demo_with(&[("wards.geojson", &broken)]).1);
    let p = l
        .report
        .problems
        .iter()
        .find(|p| p.file == "wards.geojson")
        .expect("problem");
    assert_eq!(p.location.as_deref(), Some("feature 1 (X05000001)"));
    assert_eq!(p.message, "the feature has no geometry");
    assert_eq!(l.dataset.wards.len(), 19);
}

#[test]
fn check_exits_non_zero_on_a_fatal_problem_and_lists_problems_as_json() {
    let dir = tempfile::tempdir().expect("temp dir");
    assetmap::demo::write(dir.path()).expect("demo files");
    let binary = env!("CARGO_BIN_EXE_assetmap");
    let ok = Command::new(binary)
        .args(["check", "--json"])
        .arg(dir.path().join("manifest.toml"))
        .output()
        .expect("runs");
    assert!(ok.status.success());
    let report: serde_json::Value = serde_json::from_slice(&ok.stdout).expect("JSON report");
    assert_eq!(report["sources"][0]["layer"], "wards");
    assert_eq!(report["fatal"], serde_json::Value::Null);

    std::fs::write(
        dir.path().join("wards.geojson"),
        "{\"type\": \"FeatureCollection\", \"features\": [",
    )
    .expect("write");
    let bad = Command::new(binary)
        .arg("check")
        .arg(dir.path().join("manifest.toml"))
        .output()
        .expect("runs");
    assert_eq!(bad.status.code(), Some(1));
    let out = String::from_utf8_lossy(&bad.stdout);
    assert!(
        out.contains("The import stopped:")
            && out.contains("wards.geojson")
            && out.contains("truncated"),
        "{out}"
    );
}

/// The demo's file `name` with `edit` applied to its text.
fn demo_file_edited(name: &str, edit: impl Fn(&str) -> String) -> String {
    let (_, bytes) = assetmap::demo::FILES
        .iter()
        .find(|(n, _)| *n == name)
        .expect("a demo file");
    edit(&String::from_utf8_lossy(bytes))
}

/// Swaps two columns of a CSV's text (header and rows alike).
fn swap_columns(text: &str, a: &str, b: &str) -> String {
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let (i, j) = (
        header.iter().position(|h| *h == a).unwrap(),
        header.iter().position(|h| *h == b).unwrap(),
    );
    let mut out = String::new();
    for (n, line) in text.lines().enumerate() {
        let mut fields: Vec<&str> = line.split(',').collect();
        if n > 0 {
            fields.swap(i, j);
        }
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    out
}

#[test]
fn swapped_easting_and_northing_columns_are_named_as_the_likely_cause() {
    let gp = demo_file_edited("gp_practices.csv", |t| {
        swap_columns(t, "easting", "northing")
    });
    let (_dir, result) = demo_with(&[("gp_practices.csv", &gp)]);
    let l = loaded(result);
    let text = l.report.to_text();
    assert!(!text.contains("No problems found"), "{text}");
    // Shown in the text report too, after the 28 rows it explains.
    assert!(text.contains("the wrong way round"), "{text}");
    let warning = l
        .report
        .problems
        .iter()
        .find(|p| p.file == "gp_practices.csv" && p.location.is_none())
        .unwrap_or_else(|| panic!("a source-level warning: {text}"));
    assert_eq!(warning.severity, Severity::Warning);
    assert!(
        warning
            .message
            .contains("are the columns \"easting\" and \"northing\" the wrong way round"),
        "{}",
        warning.message
    );
    // Each row is reported, with where it fell, and none is placed far away.
    let source = l.report.source("gp_practices").unwrap();
    assert_eq!(source.loaded, 0, "{text}");
    assert_eq!(
        source.skipped_by_reason.get("outside the area"),
        Some(&source.skipped)
    );
    assert!(
        l.report
            .problems_mentioning("km from the nearest ward")
            .any(|p| p.location.as_deref() == Some("row 2"))
    );
    assert!(l.dataset.assets.iter().all(|a| a.category != "gp"));
}

#[test]
fn a_national_file_cut_to_the_area_is_not_mistaken_for_swapped_columns() {
    // Most rows far away, dropped by max_distance_from_wards_m on purpose.
    let manifest = demo_manifest()
        + r#"
[[assets]]
source = "national"
path = "national.csv"
category = "advice"
id = "id"
x = "x"
y = "y"
name = "name"
max_distance_from_wards_m = 2000
"#;
    let mut national = String::from("id,name,x,y\n1,In the town,670726,287036\n");
    for i in 0..20 {
        national.push_str(&format!(
            "f{i},Far away {i},{},{}\n",
            400000 + i * 1000,
            300000
        ));
    }
    let (_dir, result) = demo_with(&[("manifest.toml", &manifest), ("national.csv", &national)]);
    let l = loaded(result);
    let s = l.report.source("national").unwrap();
    assert_eq!((s.read, s.loaded, s.filtered, s.skipped), (21, 1, 20, 0));
    assert!(l.report.problems.is_empty(), "{}", l.report.to_text());
}

#[test]
fn a_stray_quote_is_reported_at_the_line_it_opened_and_every_row_is_counted() {
    // A quote opened in row 4's name and never closed swallows the rest.
    let gp = demo_file_edited("gp_practices.csv", |t| {
        let mut lines: Vec<String> = t.lines().map(str::to_string).collect();
        lines[3] = lines[3].replacen(",", ",\"", 1);
        lines.join("\n") + "\n"
    });
    let rows = gp.lines().count() - 1;
    assert_eq!(rows, 30);
    let (_dir, result) = demo_with(&[("gp_practices.csv", &gp)]);
    let l = loaded(result);
    let p = l
        .report
        .problems_mentioning("quote")
        .next()
        .unwrap_or_else(|| panic!("{}", l.report.to_text()));
    assert_eq!(p.location.as_deref(), Some("line 4"), "{p}");
    assert!(
        p.message.contains("a quote opened on line 4") && p.message.contains("27 lines"),
        "{p}"
    );
    let s = l.report.source("gp_practices").unwrap();
    assert_eq!(s.read, rows, "every row read is counted: {s:?}");
    assert_eq!(s.skipped_by_reason.get("unbalanced quote"), Some(&28));
    assert_eq!(s.loaded + s.filtered + s.skipped, s.read);
}

#[test]
fn implausible_figures_are_refused_with_their_published_ranges() {
    // Each case: which file, the row's edit, and what the report must say.
    type Edit = fn(&str) -> String;
    let cases: [(&str, Edit, &str, Severity); 5] = [
        (
            "population.csv",
            |l| l.replace(",1439", ",1e308"),
            "population 1e308 is not between 0 and 50000",
            Severity::Skipped,
        ),
        (
            "deprivation.csv",
            |l| l.replace(",6.662,", ",1e308,"),
            "outside the published range of IMD scores",
            Severity::Skipped,
        ),
        (
            "deprivation.csv",
            |l| l.replace(",6.662,", ",-1,"),
            "\"IMD_score\" is -1, outside the published range",
            Severity::Skipped,
        ),
        (
            "deprivation.csv",
            |l| l.replace(",0.066,", ",NaN,"),
            "\"Income_score\" is \"NaN\", not a number; left empty",
            Severity::Warning,
        ),
        (
            "deprivation.csv",
            |l| l.replace(",0.066,", ",inf,"),
            "\"Income_score\" is \"inf\", not a number",
            Severity::Warning,
        ),
    ];
    for (file, edit, expected, severity) in cases {
        let text = demo_file_edited(file, |t| {
            let mut lines: Vec<String> = t.lines().map(str::to_string).collect();
            lines[1] = edit(&lines[1]);
            assert_ne!(lines[1], t.lines().nth(1).unwrap(), "the edit applies");
            lines.join("\n") + "\n"
        });
        let (_dir, result) = demo_with(&[(file, &text)]);
        let l = loaded(result);
        let p = l
            .report
            .problems
            .iter()
            .find(|p| p.file == file)
            .unwrap_or_else(|| panic!("{file}: {}", l.report.to_text()));
        assert!(p.message.contains(expected), "{file}: {p}");
        assert_eq!(p.severity, severity, "{p}");
        assert_eq!(p.location.as_deref(), Some("row 2"), "{p}");
        // Nothing implausible reaches the dataset.
        for area in l.dataset.small_areas.iter() {
            assert!(area.population.is_none_or(|p| p <= 50_000.0));
            if let Some(d) = &area.deprivation {
                assert!((0.0..=100.0).contains(&d.score));
                assert!(d.domains.iter().flatten().all(|v| v.is_finite()));
            }
        }
    }
}

#[test]
fn folders_devices_pipes_and_huge_files_are_refused_by_name() {
    use assetmap::ingest::{DiskFiles, Files};
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("a_folder")).unwrap();
    let fifo = dir.path().join("a_pipe");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let huge = dir.path().join("huge.csv");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(assetmap::ingest::DEFAULT_MAX_FILE_BYTES + 1)
        .unwrap();
    std::fs::write(dir.path().join("small.csv"), "a,b\n1,2\n").unwrap();
    let files = DiskFiles::new(dir.path().to_path_buf());
    let refused = |name: &str| files.read(name).unwrap_err().to_string();
    assert_eq!(refused("a_folder"), "it is a folder; name a data file");
    assert!(refused("a_pipe").contains("not a regular file"));
    assert!(refused("/dev/zero").contains("not a regular file"));
    assert!(refused("huge.csv").contains("more than the 4295 MB a file may be"));
    let capped = DiskFiles {
        base: dir.path().to_path_buf(),
        max_bytes: 4,
    };
    assert!(
        capped
            .read("small.csv")
            .unwrap_err()
            .to_string()
            .contains("more than")
    );
    assert_eq!(files.read("small.csv").unwrap(), b"a,b\n1,2\n");

    // Through the importer: fatal, naming the file, at once.
    let manifest = demo_manifest().replace("path = \"population.csv\"", "path = \"/dev/zero\"");
    let (_dir, result) = demo_with(&[("manifest.toml", &manifest)]);
    let f = fatal(result);
    assert_eq!(f.problem.file, "/dev/zero");
    assert!(
        f.problem.message.contains("not a regular file"),
        "{}",
        f.problem
    );
}

#[test]
fn files_of_the_wrong_kind_are_named_without_echoing_their_content() {
    let secret = "SECRET-FIRST-LINE-7f3a";
    let cases: [(&str, Vec<u8>, &str); 5] = [
        (
            "population.csv",
            format!("{{\"type\":\"FeatureCollection\",\"{secret}\":1}}").into_bytes(),
            "looks like JSON",
        ),
        (
            "population.csv",
            [b"PK\x03\x04".as_slice(), secret.as_bytes()].concat(),
            "looks like a ZIP archive",
        ),
        (
            "population.csv",
            format!("<!DOCTYPE html><title>{secret}</title>").into_bytes(),
            "looks like HTML or XML",
        ),
        (
            "population.csv",
            [secret.as_bytes(), b"\0\x01\x02,\n"].concat(),
            "looks like binary data",
        ),
        (
            "wards.geojson",
            format!("ward_code,{secret}\nX1,2\n").into_bytes(),
            "this is not a GeoJSON file: it looks like text, not JSON",
        ),
    ];
    for (file, bytes, expected) in cases {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let (_dir, result) = demo_with(&[(file, &text)]);
        let f = fatal(result);
        let shown = f.problem.to_string();
        assert!(shown.contains(expected), "{shown}");
        assert!(!shown.contains(secret), "content echoed: {shown}");
        assert_eq!(f.problem.file, file);
    }
    // A text file whose first row is not a header: the columns are not listed.
    let long = format!("{}\n1\n", "x".repeat(500));
    let (_dir, result) = demo_with(&[("population.csv", &long)]);
    let shown = fatal(result).problem.to_string();
    assert!(
        shown.contains("does not look like a row of column names"),
        "{shown}"
    );
    assert!(!shown.contains("xxxxxxxxxx"), "{shown}");
}

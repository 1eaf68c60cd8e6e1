//! Opening hours on the real files: the five councils' manifest with Greater
//! Manchester's pharmacy list, checked against the file read independently,
//! and the importer's report of hours it cannot read.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use assetmap::hours::london;
use assetmap::http::{AppState, router};
use assetmap::model::Dataset;
use axum::body::Body;
use axum::http::Request;
use common::{five_council_areas, load_manifest, real_data};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

const DAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// The repository's five-councils manifest, on the real data.
fn five_councils(data: &std::path::Path) -> assetmap::ingest::Loaded {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/manifests/five-councils.toml"
    ))
    .unwrap();
    load_manifest(&text.replace("../../shared/data", &data.display().to_string()))
        .unwrap_or_else(|f| panic!("{}", f.problem))
}

/// Whether a GM pharmacy is open at a London wall time, read straight from
/// the file's value for that day and the day before (for a session past
/// midnight): `None` when the value is not `HH:MM-HH:MM[,…]` or `CLOSED`.
fn open_in_file(props: &Value, at: chrono::NaiveDateTime) -> Option<bool> {
    use chrono::{Datelike, Timelike};
    let minute = (at.hour() * 60 + at.minute()) as i32;
    let day = at.weekday().num_days_from_monday() as usize;
    let spans = |d: usize| -> Option<Vec<(i32, i32)>> {
        let v = props[format!("opening_hours_{}", DAYS[d])].as_str()?.trim();
        if v == "CLOSED" {
            return Some(vec![]);
        }
        v.split(',')
            .map(|part| {
                let (a, b) = part.split_once('-')?;
                let m = |t: &str| -> Option<i32> {
                    let (h, m) = t.trim().split_once(':')?;
                    Some(h.parse::<i32>().ok()? * 60 + m.parse::<i32>().ok()?)
                };
                let (open, close) = (m(a)?, m(b)?);
                Some((open, if close <= open { close + 1440 } else { close }))
            })
            .collect()
    };
    let today = spans(day)?;
    let yesterday = spans((day + 6) % 7).unwrap_or_default();
    Some(
        today.iter().any(|&(o, c)| o <= minute && minute < c)
            || yesterday
                .iter()
                .any(|&(o, c)| o <= minute + 1440 && minute + 1440 < c),
    )
}

async fn get(app: &axum::Router, uri: &str) -> Value {
    let response = app
        .clone()
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{uri}");
    serde_json::from_slice(&response.into_body().collect().await.unwrap().to_bytes()).unwrap()
}

#[tokio::test]
async fn the_gm_pharmacies_open_at_a_time_and_no_others_are_flagged_open() {
    let Some(data) = real_data() else { return };
    let loaded = five_councils(&data);
    let d: Arc<Dataset> = Arc::new(loaded.dataset);
    let file: Value = serde_json::from_str(
        &std::fs::read_to_string(data.join("assets/gm_pharmacies.geojson")).unwrap(),
    )
    .unwrap();
    let by_code: HashMap<String, &Value> = file["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let p = &f["properties"];
            (
                format!(
                    "pharmacy:{}",
                    p["organisation_data_service_code"].as_str().unwrap()
                ),
                p,
            )
        })
        .collect();
    let from_gm = loaded.report.source("gm_pharmacies").unwrap().loaded;
    assert!(from_gm > 200, "{from_gm} GM pharmacies loaded");

    // Saturday evening, a weekday lunchtime, Sunday morning, and the first
    // hour of summer time (10:30 BST is 09:30 UTC on 29 March 2026).
    for at in [
        "2026-12-05T18:30",
        "2026-12-02T13:10",
        "2026-12-06T11:00",
        "2026-03-29T09:30:00Z",
        "2026-10-25T08:45:00Z",
    ] {
        let local = london::parse_time(at).unwrap();
        let mut expected = BTreeSet::new();
        let mut flagged = BTreeSet::new();
        let mut checked = 0;
        for a in &d.assets {
            let opening = a.opening(local);
            let open_now = opening.state.open_now();
            let glance = match &opening.state {
                assetmap::hours::OpenState::Open { .. } => assetmap::hours::Glance::Open,
                assetmap::hours::OpenState::Unknown => assetmap::hours::Glance::Unknown,
                s if s.open_today(local) => assetmap::hours::Glance::OpensLaterToday,
                _ => assetmap::hours::Glance::Closed,
            };
            assert_eq!(a.glance(local), glance, "{} at {at}", a.id);
            match by_code.get(&a.id).filter(|_| a.source == "gm_pharmacies") {
                Some(props) => {
                    if let Some(file_says) = open_in_file(props, local) {
                        checked += 1;
                        assert_eq!(open_now, Some(file_says), "{} at {at}", a.id);
                        if file_says {
                            expected.insert(a.id.clone());
                        }
                    }
                }
                // Only the food banks' times in English are exact besides
                // (tests below); every other source has no exact hours.
                None if a.source == "gm_food_banks" => {}
                None => assert_ne!(
                    open_now,
                    Some(true),
                    "{} ({}) is flagged open but has no exact hours",
                    a.id,
                    a.source
                ),
            }
            if open_now == Some(true) && a.category == "pharmacy" {
                flagged.insert(a.id.clone());
            }
        }
        assert_eq!(
            checked, from_gm,
            "every GM pharmacy's hours were read at {at}"
        );
        assert_eq!(flagged, expected, "at {at}");
        assert!(
            !expected.is_empty() && expected.len() < from_gm,
            "{at}: {} open",
            expected.len()
        );
    }

    // The API says the same: the 100 pharmacies nearest Manchester's centre
    // (St Peter's Square), then only those open.
    let app = router(AppState::new(d.clone()));
    let at = "2026-12-05T18:30";
    let local = london::parse_time(at).unwrap();
    let base = "/api/nearby?lon=-2.2426&lat=53.4781&category=pharmacy&limit=100";
    let all = get(&app, &format!("{base}&at={at}")).await;
    let features = all["features"].as_array().unwrap();
    assert_eq!(features.len(), 100);
    let mut open_ids = Vec::new();
    for f in features {
        let p = &f["properties"];
        let id = p["id"].as_str().unwrap();
        let file_says = by_code
            .get(id)
            .filter(|_| d.assets[d.asset_by_id[id]].source == "gm_pharmacies")
            .and_then(|props| open_in_file(props, local));
        assert_eq!(p["open_now"].as_bool(), file_says, "{id}");
        match file_says {
            Some(true) => {
                open_ids.push(id.to_string());
                assert!(p["closes_at"].as_str().unwrap().starts_with("2026-12-05T"));
                assert!(
                    p["hours_text"]
                        .as_str()
                        .unwrap()
                        .starts_with("Open now, closes ")
                );
            }
            Some(false) => assert!(p["hours_text"].as_str().unwrap().starts_with("Closed")),
            None => assert_eq!(p["hours_text"], "Hours not known: call first"),
        }
    }
    let open = get(&app, &format!("{base}&at={at}&open=now")).await;
    let kept: Vec<&str> = open["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["id"].as_str().unwrap())
        .collect();
    // Every place open among the nearest 100 is kept, in the same order.
    assert_eq!(
        &kept[..open_ids.len().min(kept.len())],
        &open_ids[..open_ids.len().min(kept.len())]
    );
    let left = &open["left_out"];
    assert!(
        left["closed"].as_u64().unwrap() > 0 && left["hours_not_known"].as_u64().unwrap() > 0,
        "{left}"
    );
    assert_eq!(open["query"]["at"], "2026-12-05T18:30:00+00:00");
}

#[test]
fn hours_the_importer_cannot_read_are_reported_with_file_row_and_value() {
    let Some(data) = real_data() else { return };
    let manifest = format!(
        "{}\n[[assets]]\nsource = \"gm_pharmacies\"\npath = {:?}\ncategory = \"pharmacy\"\nid = \"organisation_data_service_code\"\nname = \"pharmacy_name\"\n\
         opening_hours = [{}]\nhours_format = \"day_times\"\nmax_distance_from_wards_m = 60000\n",
        five_council_areas(&data),
        data.join("assets/gm_pharmacies.geojson")
            .display()
            .to_string(),
        DAYS.iter()
            .map(|d| format!("\"opening_hours_{d}\""))
            .collect::<Vec<_>>()
            .join(", "),
    );
    let loaded = load_manifest(&manifest).unwrap_or_else(|f| panic!("{}", f.problem));
    assert_eq!(loaded.report.source("gm_pharmacies").unwrap().loaded, 631);
    let unread: Vec<_> = loaded
        .report
        .problems
        .iter()
        .filter(|p| p.message.contains("not understood"))
        .collect();
    // Five day values in the file read "09:00-13:00:14:00-18:00".
    assert_eq!(unread.len(), 5, "{unread:#?}");
    for p in &unread {
        assert!(p.file.ends_with("gm_pharmacies.geojson"));
        assert!(
            p.location.as_deref().unwrap().starts_with("feature "),
            "{p:?}"
        );
        assert!(
            p.message.contains("\"09:00-13:00:14:00-18:00\""),
            "{}",
            p.message
        );
        assert!(p.message.contains("\"opening_hours_"), "{}", p.message);
        assert!(p.message.contains("kept as text"));
    }
    // Those assets keep the text, and that day's hours are not known.
    let d = &loaded.dataset;
    let location = unread[0].location.clone().unwrap();
    let k: usize = location
        .trim_start_matches("feature ")
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let file: Value = serde_json::from_str(
        &std::fs::read_to_string(data.join("assets/gm_pharmacies.geojson")).unwrap(),
    )
    .unwrap();
    let props = &file["features"][k - 1]["properties"];
    let id = format!(
        "pharmacy:{}",
        props["organisation_data_service_code"].as_str().unwrap()
    );
    let a = &d.assets[d.asset_by_id[&id]];
    assert!(
        a.opening_hours
            .as_deref()
            .unwrap()
            .contains("09:00-13:00:14:00-18:00")
    );
    // Per-day columns are labelled by weekday, not by column name.
    let text = a.opening_hours.as_deref().unwrap();
    assert!(
        text.starts_with("Monday: ") && text.contains("; Sunday: "),
        "{text}"
    );
    let day = DAYS
        .iter()
        .position(|day| props[format!("opening_hours_{day}")] == "09:00-13:00:14:00-18:00")
        .unwrap();
    // 1 December 2026 is a Tuesday: the first such weekday on or after it, at 10:00.
    let date =
        chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap() + chrono::Duration::days(day as i64);
    let state = a.opening(date.and_hms_opt(10, 0, 0).unwrap()).state;
    assert_eq!(state, assetmap::hours::OpenState::Unknown);
}

/// The demo town with one asset added at the postcode ZZ1 0AA.
fn demo_with(
    name: &str,
    opening_hours: &str,
    status: assetmap::model::AssetStatus,
) -> (AppState, String) {
    let loaded =
        assetmap::demo::load(&assetmap::ingest::Quiet).unwrap_or_else(|f| panic!("{}", f.problem));
    let at = loaded.dataset.postcodes["ZZ1 0AA"];
    let state = AppState::new(Arc::new(loaded.dataset));
    let fields = assetmap::catalog::AssetFields {
        category: "warm_space".into(),
        name: name.into(),
        address: Some("1 HIGH ST".into()),
        postcode: Some("ZZ1 0AA".into()),
        phone: Some("01632 960000".into()),
        email: None,
        website: None,
        opening_hours: Some(opening_hours.into()),
        hours: Some(assetmap::hours::parse::osm(opening_hours).unwrap()),
        capacity: None,
        easting_m: at.x,
        northing_m: at.y,
        status,
        verified_at: None,
        details: Default::default(),
        unplaced: false,
        sensitive: false,
    };
    let id = state
        .catalog
        .apply(assetmap::catalog::Edit::Create { fields }, "test", None)
        .unwrap()
        .id;
    (state, id)
}

async fn text(app: &axum::Router, uri: &str) -> String {
    let response = app
        .clone()
        .oneshot(
            Request::get(uri)
                .header("accept", "text/html")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{uri}");
    body_text(response).await
}

async fn body_text(response: axum::response::Response) -> String {
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[tokio::test]
async fn a_place_open_round_the_clock_is_found_open_and_its_name_is_escaped_everywhere() {
    let hostile = "<script>alert(\"x\")</script> & =HYPERLINK(1)";
    let (state, id) = demo_with(hostile, "24/7", assetmap::model::AssetStatus::Active);
    let app = router(state);
    let open = get(
        &app,
        "/api/nearby?postcode=ZZ1+0AA&open=now&at=2026-12-06T03:00&limit=5",
    )
    .await;
    let first = &open["features"][0]["properties"];
    assert_eq!(first["id"], id);
    assert_eq!(first["open_now"], true);
    assert_eq!(first["hours_text"], "Open now, 24 hours");
    assert_eq!(first["closes_at"], Value::Null);
    assert_eq!(first["name"], hostile);
    assert_eq!(first["display_address"], "1 High St");
    for uri in [
        "/print?postcode=ZZ1+0AA&at=2026-12-06T03:00",
        "/?postcode=ZZ1+0AA&at=2026-12-06T03:00&open=now",
    ] {
        let html = text(&app, uri).await;
        assert!(
            html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; =HYPERLINK(1)"),
            "{uri}"
        );
        assert!(!html.contains("<script>alert"), "{uri}");
    }
    let sheet = text(&app, "/print?postcode=ZZ1+0AA&at=2026-12-06T03:00").await;
    assert!(
        sheet.contains("<span class=\"days\">Mon–Sun</span> 00:00-24:00"),
        "the week's hours are printed"
    );
    assert!(sheet.contains("<svg class=\"qr\""));
    assert!(
        sheet
            .contains("href=\"http://127.0.0.1:8080/?postcode=ZZ1+0AA&amp;at=2026-12-06T03%3A00\"")
    );
    assert!(!sheet.contains("<script"), "the sheet has no script");
    assert_eq!(sheet.matches("<li class=\"place\">").count(), 12);
}

#[tokio::test]
async fn a_temporarily_closed_place_is_closed_whatever_its_hours() {
    let (state, id) = demo_with(
        "Church Hall Warm Space",
        "24/7",
        assetmap::model::AssetStatus::TemporarilyClosed,
    );
    let app = router(state);
    let all = get(
        &app,
        "/api/nearby?postcode=ZZ1+0AA&at=2026-12-06T03:00&limit=1",
    )
    .await;
    let p = &all["features"][0]["properties"];
    assert_eq!(
        (p["id"].as_str().unwrap(), p["open_now"].as_bool()),
        (id.as_str(), Some(false))
    );
    assert_eq!(p["hours_text"], "Temporarily closed");
    let open = get(
        &app,
        "/api/nearby?postcode=ZZ1+0AA&open=now&at=2026-12-06T03:00&limit=1",
    )
    .await;
    assert_ne!(open["features"][0]["properties"]["id"], id);
    assert!(open["left_out"]["closed"].as_u64().unwrap() >= 1);
    // Open today: at 03:00 on a Sunday, the demo's pharmacies that open on Sundays count.
    let today = get(
        &app,
        "/api/nearby?postcode=ZZ1+0AA&category=pharmacy&open=today&at=2026-12-06T03:00&limit=50",
    )
    .await;
    let kept = today["features"].as_array().unwrap();
    assert!(!kept.is_empty());
    for f in kept {
        let p = &f["properties"];
        assert_eq!(p["hours_state"], "closed");
        assert!(
            p["opens_at"].as_str().unwrap().starts_with("2026-12-06T"),
            "{p}"
        );
    }
    let left = today["left_out"]["closed"].as_u64().unwrap() as usize;
    assert_eq!(
        kept.len() + left,
        43,
        "every demo pharmacy is kept or counted"
    );
}

#[test]
fn most_gm_food_banks_times_are_read_and_the_rest_reported() {
    let Some(data) = real_data() else { return };
    let loaded = five_councils(&data);
    let d = &loaded.dataset;
    let food: Vec<_> = d
        .assets
        .iter()
        .filter(|a| a.source == "gm_food_banks")
        .collect();
    assert_eq!(food.len(), 109);
    let with_hours = food.iter().filter(|a| a.hours.is_some()).count();
    let unread = loaded
        .report
        .problems
        .iter()
        .filter(|p| {
            p.file.ends_with("gm_food_banks.geojson") && p.message.contains("not understood")
        })
        .count();
    // Every food bank with times is either read or reported; the rest say
    // nothing to read ("Not known", "Contact for details", or no value).
    let with_digits = food
        .iter()
        .filter(|a| {
            a.opening_hours
                .as_deref()
                .is_some_and(|t| t.chars().any(|c| c.is_ascii_digit()))
        })
        .count();
    assert_eq!(
        with_hours + unread,
        with_digits,
        "{with_hours} read, {unread} reported"
    );
    eprintln!(
        "{with_hours} of {} food banks read, {unread} reported",
        food.len()
    );
    assert!(with_hours >= 60, "{with_hours} of {} read", food.len());
    // BRASS Bolton's "Wednesday 10am - 4pm" is open at 11:00 on a Wednesday, not on a Thursday.
    let at = |t: &str| london::parse_time(t).unwrap();
    let open_wednesdays: Vec<_> = food
        .iter()
        .filter(|a| a.opening_hours.as_deref() == Some("Wednesday 10am - 4pm"))
        .collect();
    for a in open_wednesdays {
        assert_eq!(
            a.opening(at("2026-12-02T11:00")).state.open_now(),
            Some(true)
        );
        assert_eq!(
            a.opening(at("2026-12-03T11:00")).state.open_now(),
            Some(false)
        );
    }
}

#[tokio::test]
async fn a_sheet_that_cannot_be_printed_says_why_to_a_browser() {
    let (state, _) = demo_with("Hall", "24/7", assetmap::model::AssetStatus::Active);
    let app = router(state);
    let response = app
        .clone()
        .oneshot(
            Request::get("/print?postcode=%3Cb%3E12345")
                .header("accept", "text/html")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = body_text(response).await;
    assert!(html.contains("This list cannot be printed"));
    assert!(
        html.contains("“&lt;b&gt;12345” is not a UK postcode"),
        "{html}"
    );
    assert!(html.contains("href=\"/\""));
    // An API client still gets JSON.
    let json = app
        .oneshot(Request::get("/print").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(json.status(), 400);
    let body: Value =
        serde_json::from_slice(&json.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert!(
        body["description"]
            .as_str()
            .unwrap()
            .contains("give a postcode")
    );
}

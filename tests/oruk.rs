//! Open Referral UK in and out, and Give Food, on the staged real files:
//! the Bristol and North Lincolnshire Open Place captures (ORUK v1), the
//! UK-profile example, the validator's pass, warn and fail mocks, the
//! ORUK 3.0 UK JSON Schemas and the Give Food dump excerpt.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::sync::{Arc, Mutex};

use assetmap::catalog::Catalog;
use assetmap::http::AppState;
use assetmap::ingest::{Loaded, SourceReport};
use assetmap::model::Asset;
use common::{file, five_council_areas, load_manifest, load_with_files, real_data};
use serde_json::{Value, json};

const BRISTOL: &str = "directories/oruk_feeds/bristol_openplace_services_list_oruk1.json";
const NORTH_LINCS: &str =
    "directories/oruk_feeds/north_lincolnshire_openplace_services_list_oruk1.json";
const EXAMPLE: &str = "directories/oruk_uk_profile/examples/service_full.json";
const GIVE_FOOD: &str = "assets/givefood/dumps_foodbanks_excerpt_first5.json";

fn oruk_source(name: &str, path: &str, extra: &str) -> String {
    format!(
        "\n[[assets]]\nsource = \"{name}\"\nformat = \"oruk\"\npath = {path}\ncategory = \"community_service\"\n{extra}\n"
    )
}

fn load(text: &str) -> Loaded {
    load_manifest(text).unwrap_or_else(|f| panic!("{}\n{:#?}", f.problem, f.report.problems))
}

fn report<'a>(loaded: &'a Loaded, source: &str) -> &'a SourceReport {
    loaded
        .report
        .source(source)
        .expect("the source is reported")
}

/// Problems of a source's file at a location that starts with `service {id}`.
fn problems_of(loaded: &Loaded, id: &str) -> Vec<String> {
    loaded
        .report
        .problems
        .iter()
        .filter(|p| {
            p.location
                .as_deref()
                .is_some_and(|l| l.starts_with(&format!("service {id}")))
        })
        .map(|p| p.message.clone())
        .collect()
}

fn everything(loaded: &Loaded) -> Vec<&Asset> {
    loaded
        .dataset
        .assets
        .iter()
        .chain(loaded.dataset.listings.iter())
        .collect()
}

fn read_json(data: &Path, relative: &str) -> Value {
    serde_json::from_slice(&std::fs::read(data.join(relative)).unwrap()).unwrap()
}

#[test]
fn the_two_council_feeds_are_accounted_for_record_by_record() {
    let Some(data) = real_data() else { return };
    let text = format!(
        "{}{}{}",
        five_council_areas(&data),
        oruk_source("bristol", &file(&data, BRISTOL), ""),
        oruk_source("north_lincs", &file(&data, NORTH_LINCS), "")
    );
    let loaded = load(&text);
    let raw = read_json(&data, BRISTOL);
    let records = raw.as_array().unwrap();

    let b = report(&loaded, "bristol");
    assert_eq!(b.read, 819);
    assert_eq!((b.loaded, b.merged, b.skipped), (817, 1, 1), "{b:?}");
    assert_eq!(b.skipped_by_reason.get("missing name"), Some(&1));
    assert_eq!((b.placed, b.unplaced), (0, 817), "list view: no locations");
    assert!(b.balanced());
    let n = report(&loaded, "north_lincs");
    assert_eq!(
        (n.read, n.loaded, n.merged, n.skipped, n.unplaced),
        (738, 738, 0, 0, 738)
    );
    for r in [b, n] {
        assert!(
            r.notes
                .iter()
                .any(|m| m.starts_with("read as Open Referral UK v1")),
            "{:?}",
            r.notes
        );
    }

    // Every loaded record is a listing: searchable, never on the map.
    assert!(
        loaded
            .dataset
            .assets
            .iter()
            .all(|a| !a.source.contains("bristol"))
    );
    assert_eq!(loaded.dataset.listings.len(), 817 + 738);

    // The id that appears twice: the later record wins, and both are named.
    let dup = "2af617e5-4532-bebe-1036-ffdf2e93ce55";
    let later = records.iter().rev().find(|r| r["id"] == dup).unwrap();
    let kept = loaded
        .dataset
        .entry(&format!("bristol:{dup}"))
        .expect("the duplicate is kept once");
    assert_eq!(kept.name, later["name"].as_str().unwrap().trim());
    assert!(
        problems_of(&loaded, dup)
            .iter()
            // Records 373 and 810 counting from 0, as the staging notes do.
            .any(|m| m.contains("duplicate id") && m.contains("record 811")),
        "{:?}",
        problems_of(&loaded, dup)
    );

    // HTML is reported per service and sanitised; images never survive.
    let with_html = records
        .iter()
        .filter(|r| {
            r["description"]
                .as_str()
                .is_some_and(|d| d.contains("</") || d.contains("<br"))
        })
        .count();
    let reported = loaded
        .report
        .problems
        .iter()
        .filter(|p| p.file.contains("bristol") && p.message.starts_with("description: HTML"))
        .count();
    assert!(
        reported + 2 >= with_html && reported <= with_html,
        "{reported} of {with_html}"
    );
    for a in loaded.dataset.listings.iter() {
        let d = a.details.description.as_deref().unwrap_or("");
        assert!(
            !d.contains("<p") && !d.contains("data:image") && !d.contains('\u{200B}'),
            "{d}"
        );
        if let Some(e) = &a.email {
            assert!(
                !e.contains(['\u{200B}', '\u{A0}', ' ']) && !e.ends_with('.'),
                "{e:?}"
            );
        }
        if let Some(w) = &a.website {
            assert!(w.starts_with("https://") || w.starts_with("http://"), "{w}");
        }
    }
    // A leading zero-width space (North Lincolnshire) and no-break space
    // and a trailing full stop (Bristol) are removed.
    let nl = read_json(&data, NORTH_LINCS);
    for (records, source, mark) in [
        (nl.as_array().unwrap(), "north_lincs", "\u{200B}"),
        (records, "bristol", "\u{A0}"),
    ] {
        let raw = records
            .iter()
            .find(|r| r["email"].as_str().is_some_and(|e| e.starts_with(mark)))
            .unwrap();
        let cleaned = loaded
            .dataset
            .entry(&format!("{source}:{}", raw["id"].as_str().unwrap()))
            .unwrap();
        assert_eq!(
            cleaned.email.as_deref(),
            Some(raw["email"].as_str().unwrap().trim_start_matches(mark))
        );
    }
    let stop = records
        .iter()
        .find(|r| r["email"].as_str().is_some_and(|e| e.ends_with(".uk.")))
        .unwrap();
    let cleaned = loaded
        .dataset
        .entry(&format!("bristol:{}", stop["id"].as_str().unwrap()))
        .unwrap();
    assert_eq!(
        cleaned.email.as_deref(),
        stop["email"].as_str().map(|e| e.trim_end_matches('.'))
    );
    // assured_date becomes verified_at; the organisation is kept.
    let first_ok = &records[1];
    let a = loaded
        .dataset
        .entry(&format!("bristol:{}", first_ok["id"].as_str().unwrap()))
        .unwrap();
    assert_eq!(a.verified_at.as_deref(), first_ok["assured_date"].as_str());
    assert_eq!(
        a.details.organisation.as_deref(),
        first_ok["organization"]["name"].as_str().map(str::trim)
    );

    // Residents find a Bristol service by name, through the API and the feed.
    let state = AppState::new(Arc::new(loaded.dataset));
    let addr = common::serve(state);
    let found = common::live::get(addr, "/api/search?q=fishponds%20activity").json();
    let first = &found["results"][0];
    assert!(
        first["id"].as_str().unwrap().starts_with("bristol:"),
        "{found}"
    );
    assert_eq!(first["on_map"], false);
    assert!(first.get("lon").is_none(), "a listing has no position");
    let feed = common::live::get(addr, "/oruk/services?search=Fishponds").json();
    assert!(feed["total_items"].as_u64().unwrap() >= 1, "{feed}");
    // …and never on the map.
    let nearby = common::live::get(addr, "/api/nearby?postcode=SW1A%201AA&limit=100").json();
    assert!(
        nearby["features"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| !f["id"].as_str().unwrap().starts_with("bristol:"))
    );
}

#[test]
fn the_example_and_the_validator_mocks_are_reported_field_by_field() {
    let Some(data) = real_data() else { return };
    let mocks = "directories/oruk_validator_mocks";
    let text = format!(
        "{}{}{}{}{}",
        five_council_areas(&data),
        oruk_source("example", &file(&data, EXAMPLE), ""),
        oruk_source(
            "fail",
            &file(&data, &format!("{mocks}/V3.0-UK-Fail/service_list.json")),
            ""
        ),
        oruk_source(
            "warn",
            &file(&data, &format!("{mocks}/V3.0-UK-Warn/service_list.json")),
            ""
        ),
        oruk_source(
            "test_mock",
            &file(&data, &format!("{mocks}/V3.0-UK-Test/service_list.json")),
            ""
        )
    );
    let loaded = load(&text);
    // The example's latitude 100, longitude 101, with the service's id.
    let id = "ac148810-d857-441c-9679-408f346de14b";
    let example: Vec<String> = loaded
        .report
        .problems
        .iter()
        .filter(|p| p.file.ends_with("service_full.json"))
        .filter_map(|p| {
            p.location
                .as_deref()
                .filter(|l| l.starts_with(&format!("service {id}")))
                .map(|_| p.message.clone())
        })
        .collect();
    assert!(
        example
            .iter()
            .any(|m| m.contains("latitude 100, longitude 101 is not a position on Earth")),
        "{example:?}"
    );
    assert!(
        example
            .iter()
            .any(|m| m.contains("postal_code \"ABC 1234\" is not a UK postcode"))
    );
    let e = report(&loaded, "example");
    assert_eq!((e.read, e.loaded, e.placed, e.unplaced), (1, 1, 0, 1));
    let kept = loaded.dataset.entry(&format!("example:{id}")).unwrap();
    assert!(kept.unplaced);
    assert_eq!(kept.verified_at.as_deref(), Some("2005-01-01"));
    assert!(
        kept.details.accessibility.is_none(),
        "accessibility belongs to a place"
    );

    // The fail mock: every wrong field, per service.
    let f = report(&loaded, "fail");
    assert_eq!(
        (f.read, f.loaded, f.merged, f.skipped),
        (4, 0, 1, 3),
        "{f:?}"
    );
    assert_eq!(f.skipped_by_reason.get("missing name"), Some(&3));
    let fail: Vec<String> = loaded
        .report
        .problems
        .iter()
        .filter(|p| p.file.contains("V3.0-UK-Fail"))
        .map(|p| {
            format!(
                "{} | {} | {:?}",
                p.location.as_deref().unwrap_or(""),
                p.message,
                p.severity
            )
        })
        .collect();
    let has = |needle: &str| fail.iter().any(|l| l.contains(needle));
    assert!(
        has("email: false is a boolean, not text; left out"),
        "{fail:#?}"
    );
    assert!(
        has("email: 12345 is a number, not text; left out"),
        "{fail:#?}"
    );
    assert!(
        has("email: \"email-example_com\" is not an e-mail address"),
        "{fail:#?}"
    );
    assert!(
        has("url: \"example_counselling\" is not a web address"),
        "{fail:#?}"
    );
    assert!(has("field name: missing (required) | Skipped"), "{fail:#?}");
    assert!(
        has("the envelope says 1 items in all, but the only page holds 4"),
        "{fail:#?}"
    );
    assert!(has("duplicate id"), "{fail:#?}");

    let w = report(&loaded, "warn");
    assert_eq!((w.read, w.loaded), (1, 1));
    // The test mock: one service 128 times.
    let t = report(&loaded, "test_mock");
    assert_eq!((t.read, t.loaded, t.merged), (128, 1, 127));
}

/// A small HSDS 3.0 UK feed built from the UK-profile example: a service
/// in Westminster (with a postcode 2.9 km away, and a second place in
/// Bristol), a phone-only helpline listed twice, a service only in
/// Bristol, and one with the example's bad coordinates but a known postcode.
fn synthetic_feed(data: &Path) -> Value {
    let example = read_json(data, EXAMPLE);
    let mut s1 = example.clone();
    s1["description"] = json!(
        "<p>Counselling &amp; <strong>support</strong></p><img src=\"data:image/png;base64,AAAA\">"
    );
    let loc = &mut s1["service_at_locations"][0]["location"];
    loc["latitude"] = json!(51.501009);
    loc["longitude"] = json!(-0.141588);
    loc["addresses"][0]["postal_code"] = json!("W2 1BA");
    loc["addresses"][0]["address_1"] = json!("1 Example Street");
    loc["addresses"][0]["city"] = json!("London");
    s1["schedules"] = json!([{"id": "sch1", "freq": "WEEKLY", "byday": "MO,TU", "opens_at": "09:00:00", "closes_at": "17:00:00"}]);
    s1["contacts"][0]["phones"] = json!([{"id": "ph1", "number": "020 7946 0000"}]);
    let mut bristol_place = s1["service_at_locations"][0].clone();
    bristol_place["id"] = json!("sal-bristol");
    bristol_place["location"]["id"] = json!("loc-bristol");
    bristol_place["location"]["latitude"] = json!(51.4545);
    bristol_place["location"]["longitude"] = json!(-2.5879);
    bristol_place["location"]["addresses"] = json!([]);
    s1["service_at_locations"]
        .as_array_mut()
        .unwrap()
        .push(bristol_place.clone());

    let helpline = |name: &str| {
        json!({
            "id": "11111111-1111-4111-8111-111111111111",
            "name": name,
            "status": "active",
            "description": "Call us",
            "email": "help@example.org",
            "attributes": [{"id": "a2", "taxonomy_term": {"id": "t-unknown", "name": "Befriending", "description": "x"}}],
            "contacts": [{"id": "c2", "phones": [{"id": "p2", "number": "0800 123 4567"}]}],
        })
    };
    let mut only_bristol = example.clone();
    only_bristol["id"] = json!("22222222-2222-4222-8222-222222222222");
    only_bristol["service_at_locations"] = json!([bristol_place]);
    let mut by_postcode = example.clone();
    by_postcode["id"] = json!("33333333-3333-4333-8333-333333333333");
    by_postcode["name"] = json!("Postcode placed");
    by_postcode["service_at_locations"][0]["location"]["id"] = json!("loc-pc");
    by_postcode["service_at_locations"][0]["location"]["addresses"][0]["postal_code"] =
        json!("SW1A 1AA");
    let contents = vec![
        s1,
        helpline("Helpline"),
        only_bristol,
        by_postcode,
        helpline("Helpline (evenings)"),
    ];
    json!({
        "total_items": contents.len(), "total_pages": 1, "page_number": 1, "size": contents.len(),
        "first_page": true, "last_page": true, "empty": false, "contents": contents,
    })
}

const TAXONOMY: &str = "taxonomy = { \"3f7b145d-84af-42d7-8fae-eaca714b02b2\" = \"advice\" }";

#[test]
fn a_3_0_feed_places_services_maps_categories_and_resyncs_exactly() {
    let Some(data) = real_data() else { return };
    let areas = five_council_areas(&data);
    let manifest = |feed: &str| format!("{areas}{}", oruk_source("feed", feed, TAXONOMY));
    let feed = synthetic_feed(&data);
    let (_dir, loaded) = load_with_files(
        &manifest("\"feed.json\""),
        &[("feed.json", feed.to_string().as_bytes())],
    );
    let loaded = loaded.unwrap_or_else(|f| panic!("{}", f.problem));
    let r = report(&loaded, "feed");
    assert_eq!(
        (r.read, r.loaded, r.merged, r.skipped),
        (5, 3, 1, 1),
        "{r:?}"
    );
    assert_eq!(r.skipped_by_reason.get("outside coverage"), Some(&1));
    assert_eq!((r.placed, r.unplaced), (2, 1));

    let s1_id = "feed:ac148810-d857-441c-9679-408f346de14b@3a19ff88-4620-4d17-9830-ac1d859eb5d5";
    let s1 = loaded.dataset.entry(s1_id).expect("placed in Westminster");
    assert_eq!(s1.category, "advice", "mapped through the taxonomy table");
    assert!((s1.lonlat.x + 0.141588).abs() < 1e-5 && (s1.lonlat.y - 51.501009).abs() < 1e-5);
    assert_eq!(
        s1.details.description.as_deref(),
        Some("Counselling & support")
    );
    assert_eq!(s1.phone.as_deref(), Some("020 7946 0000"));
    assert_eq!(s1.postcode.as_deref(), Some("W2 1BA"));
    assert!(
        s1.details
            .accessibility
            .as_deref()
            .unwrap()
            .contains("induction loops")
    );
    assert_eq!(
        s1.opening_hours.as_deref(),
        Some("Monday and Tuesday: 09:00-17:00; Wednesday to Sunday: closed")
    );
    assert!(s1.hours.is_some());
    let notes = problems_of(&loaded, "ac148810-d857-441c-9679-408f346de14b");
    let has = |needle: &str| notes.iter().any(|m| m.contains(needle));
    assert!(
        has(
            "postcode W2 1BA is 2.9 km from the coordinates (latitude 51.501009, longitude -0.141588)"
        ),
        "{notes:#?}"
    );
    assert!(
        has("location loc-bristol (latitude 51.4545, longitude -2.5879) is"),
        "{notes:#?}"
    );
    assert!(
        has("HTML was converted to plain text (1 embedded image removed)"),
        "{notes:#?}"
    );

    let helpline = loaded
        .dataset
        .entry("feed:11111111-1111-4111-8111-111111111111")
        .expect("the helpline is listed");
    assert!(helpline.unplaced);
    assert_eq!(
        helpline.name, "Helpline (evenings)",
        "the later record wins"
    );
    assert_eq!(
        helpline.category, "community_service",
        "the fallback category"
    );
    assert_eq!(helpline.phone.as_deref(), Some("0800 123 4567"));
    assert_eq!(
        loaded
            .report
            .problems_mentioning("taxonomy terms are not in the manifest's taxonomy table: \"Befriending\" (t-unknown) ×1")
            .count(),
        1
    );
    let by_postcode = loaded
        .dataset
        .entry("feed:33333333-3333-4333-8333-333333333333@loc-pc")
        .expect("placed at its postcode");
    assert_eq!(by_postcode.postcode.as_deref(), Some("SW1A 1AA"));
    assert!(
        problems_of(&loaded, "33333333-3333-4333-8333-333333333333")
            .iter()
            .any(|m| m.contains("placed at its postcode SW1A 1AA"))
    );

    // Syncs: the same feed changes nothing; a changed feed gives exactly
    // the adds, updates and retirements.
    let catalog = Catalog::in_memory(loaded.dataset).unwrap();
    let sync = |feed: &Value| {
        let (_dir, next) = load_with_files(
            &manifest("\"feed.json\""),
            &[("feed.json", feed.to_string().as_bytes())],
        );
        let next = next.unwrap();
        let imported: Vec<Asset> = everything(&next).into_iter().cloned().collect();
        catalog.sync(&imported, &["feed".to_string()]).unwrap()
    };
    let again = sync(&feed);
    assert!(
        again.created.is_empty() && again.updated.is_empty() && again.retired.is_empty(),
        "{again:?}"
    );
    assert_eq!(again.unchanged, 3);
    let mut changed = feed.clone();
    let contents = changed["contents"].as_array_mut().unwrap();
    contents[0]["name"] = json!("Community Counselling Plus");
    contents.remove(3); // the postcode-placed service is gone
    contents.push(json!({"id": "44444444-4444-4444-8444-444444444444", "name": "Text line", "status": "active"}));
    let step = sync(&changed);
    assert_eq!(step.created, ["feed:44444444-4444-4444-8444-444444444444"]);
    assert_eq!(step.updated, [s1_id]);
    assert_eq!(
        step.retired,
        ["feed:33333333-3333-4333-8333-333333333333@loc-pc"]
    );
    assert_eq!(step.unchanged, 1);
    let listed = catalog.snapshot();
    assert!(
        listed
            .entry("feed:44444444-4444-4444-8444-444444444444")
            .is_some()
    );
    assert!(
        listed
            .entry("feed:33333333-3333-4333-8333-333333333333@loc-pc")
            .is_none()
    );
}

type Route = dyn Fn(&str, &str) -> Option<(u16, Vec<u8>)> + Send + Sync;

/// A local server that replays staged pages: `route(path, query)` answers
/// each request; every request line and User-Agent is kept.
/// Request targets and User-Agents, in order.
type Seen = Arc<Mutex<Vec<(String, String)>>>;

fn replay(route: Box<Route>) -> (SocketAddr, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let seen: Seen = Arc::default();
    let log = seen.clone();
    let route: Arc<Route> = Arc::from(route);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let route = route.clone();
            let log = log.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                reader.read_line(&mut line).unwrap_or(0);
                let mut agent = String::new();
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                        break;
                    }
                    if let Some(v) = h.to_ascii_lowercase().strip_prefix("user-agent:") {
                        agent = v.trim().to_string();
                    }
                }
                let target = line.split(' ').nth(1).unwrap_or("").to_string();
                log.lock().unwrap().push((target.clone(), agent));
                let (path, query) = target.split_once('?').unwrap_or((&target, ""));
                let (status, body) = route(path, query).unwrap_or((404, b"{}".to_vec()));
                let extra = if status == 503 {
                    "Retry-After: 0\r\n"
                } else {
                    ""
                };
                let head = format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(&body);
            });
        }
    });
    (addr, seen)
}

fn page_of(query: &str) -> usize {
    form_urlencoded_pairs(query)
        .get("page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(1)
}

fn form_urlencoded_pairs(query: &str) -> HashMap<String, String> {
    query
        .split('&')
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn a_feed_is_crawled_politely_within_bounds() {
    let Some(data) = real_data() else { return };
    let areas = five_council_areas(&data);
    let records = read_json(&data, BRISTOL).as_array().unwrap().clone();
    let pages: Vec<Vec<u8>> = records
        .chunks(300)
        .enumerate()
        .map(|(k, chunk)| {
            json!({"content": chunk, "totalElements": records.len(), "totalPages": 3, "number": k,
                   "size": 300, "first": k == 0, "last": k == 2, "empty": false})
            .to_string()
            .into_bytes()
        })
        .collect();
    let failed_once = Arc::new(Mutex::new(false));
    let flag = failed_once.clone();
    let (addr, seen) = replay(Box::new(move |path, query| {
        if path != "/feed/services" {
            return None;
        }
        let n = page_of(query);
        let mut f = flag.lock().unwrap();
        if n == 2 && !*f {
            *f = true;
            return Some((503, b"{}".to_vec()));
        }
        pages.get(n - 1).map(|p| (200, p.clone()))
    }));
    let source = |extra: &str| {
        format!(
            "{areas}\n[[assets]]\nsource = \"bristol\"\nformat = \"oruk\"\nurl = \"http://{addr}/feed\"\ncategory = \"community_service\"\n{extra}\n"
        )
    };
    let loaded = load(&source(
        "fetch = { per_page = 300, requests_per_second = 50, full_records = \"never\" }",
    ));
    let r = report(&loaded, "bristol");
    assert_eq!(
        (r.read, r.loaded, r.merged, r.skipped, r.unplaced),
        (819, 817, 1, 1, 817)
    );
    let log = seen.lock().unwrap().clone();
    assert_eq!(log.len(), 4, "three pages and one retry: {log:?}");
    assert!(
        log.iter()
            .all(|(t, ua)| t.contains("per_page=300") && ua.starts_with("assetmap/")),
        "{log:?}"
    );
    assert!(
        r.notes
            .iter()
            .any(|m| m == "fetched 819 services in 3 page(s) with 4 requests (1 retried)"),
        "{:?}",
        r.notes
    );
    // The page cap stops the sync, so nothing is retired by mistake.
    let capped = load_manifest(&source(
        "fetch = { per_page = 300, max_pages = 2, requests_per_second = 50 }",
    ))
    .expect_err("more pages than the cap");
    assert!(
        capped.problem.message.contains("fetch.max_pages"),
        "{}",
        capped.problem
    );
    // Out-of-range settings are refused by name.
    let bad = load_manifest(&source("fetch = { per_page = 5000 }")).expect_err("bounded");
    assert_eq!(
        bad.problem.location.as_deref(),
        Some("key assets[0].fetch.per_page")
    );

    // A server that never answers: timeouts, retries, then a clear error.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_addr = silent.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in silent.incoming() {
            held.push(s);
        }
    });
    let text = format!(
        "{areas}\n[[assets]]\nsource = \"slow\"\nformat = \"oruk\"\nurl = \"http://{silent_addr}/feed\"\ncategory = \"x\"\nfetch = {{ timeout_s = 0.3, retries = 1, requests_per_second = 50 }}\n"
    );
    let started = std::time::Instant::now();
    let slow = load_manifest(&text).expect_err("no answer");
    assert!(
        slow.problem.message.contains("after 2 tries"),
        "{}",
        slow.problem
    );
    assert!(started.elapsed().as_secs_f64() < 10.0);
}

#[test]
fn minimal_lists_are_completed_from_each_services_record() {
    let Some(data) = real_data() else { return };
    let feed = synthetic_feed(&data);
    let full: HashMap<String, Value> = feed["contents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["id"].as_str().unwrap().to_string(), s.clone()))
        .collect();
    let list: Vec<Value> = feed["contents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| json!({"id": s["id"], "name": s["name"], "status": "active"}))
        .collect();
    let page =
        json!({"total_items": list.len(), "total_pages": 1, "page_number": 1, "size": list.len(),
                      "first_page": true, "last_page": true, "empty": false, "contents": list})
        .to_string()
        .into_bytes();
    let (addr, seen) = replay(Box::new(move |path, _| {
        if path == "/services" {
            return Some((200, page.clone()));
        }
        let id = path.strip_prefix("/services/")?;
        full.get(id).map(|s| (200, s.to_string().into_bytes()))
    }));
    let text = format!(
        "{}\n[[assets]]\nsource = \"feed\"\nformat = \"oruk\"\nurl = \"http://{addr}/\"\ncategory = \"community_service\"\n{TAXONOMY}\nfetch = {{ requests_per_second = 50 }}\n",
        five_council_areas(&data)
    );
    let loaded = load(&text);
    let r = report(&loaded, "feed");
    assert_eq!(
        (r.read, r.loaded, r.placed, r.unplaced),
        (5, 3, 2, 1),
        "{r:?}"
    );
    assert_eq!(
        seen.lock().unwrap().len(),
        1 + 5,
        "the list, then each service"
    );
}

#[test]
fn give_food_needs_are_shown_unmodified_and_credited() {
    let Some(data) = real_data() else { return };
    let source = |path: &str| {
        format!(
            "{}\n[[assets]]\nsource = \"givefood\"\nformat = \"givefood\"\npath = {path}\ncategory = \"food_bank\"\n",
            five_council_areas(&data)
        )
    };
    let loaded = load(&source(&file(&data, GIVE_FOOD)));
    let r = report(&loaded, "givefood");
    assert_eq!(
        (r.read, r.loaded, r.filtered, r.skipped),
        (5, 1, 1, 3),
        "{r:?}"
    );
    assert_eq!(r.skipped_by_reason.get("outside coverage"), Some(&3));
    let rows = read_json(&data, GIVE_FOOD);
    let bruce = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["location_slug"] == "bruce-grove")
        .unwrap();
    let a = loaded
        .dataset
        .entry("givefood:3food4u/bruce-grove")
        .expect("the Tottenham location is near enough to Brent and Westminster");
    assert_eq!(a.category, "food_bank");
    assert_eq!(
        a.details.needs.as_deref(),
        bruce["needed_items"].as_str(),
        "unmodified"
    );
    assert_eq!(a.details.organisation.as_deref(), Some("3food4u"));
    assert_eq!(
        a.details.source_url.as_deref(),
        Some("https://www.givefood.org.uk/needs/at/3food4u/bruce-grove/")
    );
    let (lat, lon) = bruce["lat_lng"].as_str().unwrap().split_once(',').unwrap();
    assert!((a.lonlat.y - lat.parse::<f64>().unwrap()).abs() < 1e-6);
    assert!((a.lonlat.x - lon.parse::<f64>().unwrap()).abs() < 1e-6);

    // A closed entry is reported, not dropped silently.
    let mut changed = rows.clone();
    for r in changed.as_array_mut().unwrap() {
        if r["location_slug"] == "bruce-grove" {
            r["closed"] = json!(true);
        }
    }
    let (_dir, closed) = load_with_files(
        &source("\"gf.json\""),
        &[("gf.json", changed.to_string().as_bytes())],
    );
    let closed = closed.unwrap();
    assert_eq!(
        report(&closed, "givefood").skipped_by_reason.get("closed"),
        Some(&1)
    );

    // On the residents' entry: the needs as published, with the credit and link.
    let state = AppState::new(Arc::new(loaded.dataset));
    let addr = common::serve(state);
    let near = common::live::get(addr, "/api/nearby?postcode=NW10%202TS&category=food_bank").json();
    let p = &near["features"][0]["properties"];
    assert_eq!(p["needs"], bruce["needed_items"]);
    assert!(p["needs_credit"].as_str().unwrap().contains("Give Food"));
    let page = common::live::request(
        addr,
        "GET",
        "/?postcode=NW10%202TS&category=food_bank",
        &[("Accept", "text/html")],
        b"",
    )
    .unwrap();
    let html = String::from_utf8(page.body).unwrap();
    assert!(html.contains("Needs now"), "the needs are on the entry");
    assert!(html.contains("href=\"https://www.givefood.org.uk/needs/at/3food4u/bruce-grove/\""));
    let first_need = bruce["needed_items"]
        .as_str()
        .unwrap()
        .lines()
        .next()
        .unwrap();
    assert!(html.contains(&assetmap_escape(first_need)));
}

fn assetmap_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Fetches a response into `dir` and returns the file's path.
fn save(addr: SocketAddr, path: &str, dir: &Path, name: &str) -> (String, Value) {
    let reply = common::live::get(addr, path);
    assert_eq!(
        reply.status,
        200,
        "{path}: {}",
        String::from_utf8_lossy(&reply.body)
    );
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some("*"),
        "{path}"
    );
    let file = dir.join(name);
    std::fs::write(&file, &reply.body).unwrap();
    (file.display().to_string(), reply.json())
}

#[test]
fn the_feed_validates_against_the_oruk_schemas_and_round_trips() {
    let Some(data) = real_data() else { return };
    let areas = five_council_areas(&data);
    let feed = synthetic_feed(&data);
    let manifest = format!(
        "{areas}{}{}\n{}",
        common::derived_assets(&data),
        oruk_source("bristol", &file(&data, BRISTOL), ""),
        oruk_source("feed", "\"feed.json\"", TAXONOMY)
    );
    let (_dir, loaded) = load_with_files(&manifest, &[("feed.json", feed.to_string().as_bytes())]);
    let loaded = loaded.unwrap();
    let mut bristol_in: Vec<String> = loaded
        .dataset
        .listings
        .iter()
        .filter(|a| a.source == "bristol")
        .map(|a| summary(&a.display_name(), a))
        .collect();
    bristol_in.sort();
    let bristol_names: std::collections::BTreeSet<String> = loaded
        .dataset
        .listings
        .iter()
        .filter(|a| a.source == "bristol")
        .map(|a| a.display_name().into_owned())
        .collect();
    let state = AppState::new(Arc::new(loaded.dataset));
    let addr = common::serve(state);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut check = |schema: &str, path: &str, name: &str| {
        let (f, v) = save(addr, path, d, name);
        pairs.push((schema.to_string(), f));
        v
    };
    let root = check("api_details.json", "/oruk/", "root.json");
    assert_eq!(root["version"], "3.0");
    let openapi = common::live::get(
        addr,
        root["openapi_url"]
            .as_str()
            .unwrap()
            .trim_start_matches(&format!("http://{addr}")),
    )
    .json();
    assert!(
        openapi["paths"]["/services"]["get"]["parameters"]
            .as_array()
            .unwrap()
            .len()
            >= 7
    );
    let first = check(
        "service_list.json",
        "/oruk/services?per_page=100",
        "services.json",
    );
    assert_eq!(first["size"], 100);
    assert_eq!(first["first_page"], true);
    let total = first["total_items"].as_u64().unwrap();
    let last_page = total.div_ceil(100);
    let last = check(
        "service_list.json",
        &format!("/oruk/services?per_page=100&page={last_page}"),
        "last.json",
    );
    assert_eq!(last["last_page"], true);
    assert_eq!(
        last["size"].as_u64().unwrap(),
        total - (last_page - 1) * 100
    );
    let ours = check(
        "service_list.json",
        "/oruk/services?search=counselling",
        "search.json",
    );
    let counselling = ours["contents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "Community Counselling")
        .expect("the synthetic service")
        .clone();
    let full = check(
        "service.json",
        &format!("/oruk/services/{}", counselling["id"].as_str().unwrap()),
        "service.json",
    );
    let place = &full["service_at_locations"][0]["location"];
    assert!((place["latitude"].as_f64().unwrap() - 51.501009).abs() < 1e-6);
    assert_eq!(full["attributes"][0]["taxonomy_term"]["term"], "advice");
    assert_eq!(
        full["service_at_locations"][0]["schedules"][0]["byday"],
        "MO,TU"
    );
    let bristol_first = check(
        "service_list.json",
        "/oruk/services?search=fishponds",
        "fishponds.json",
    );
    let listing_id = bristol_first["contents"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let listing = check(
        "service.json",
        &format!("/oruk/services/{listing_id}"),
        "listing.json",
    );
    assert_eq!(listing["service_at_locations"], json!([]));
    let sal = check(
        "service_at_location_list.json",
        "/oruk/service_at_locations?per_page=20",
        "sal.json",
    );
    let sal_id = sal["contents"][0]["id"].as_str().unwrap().to_string();
    check(
        "service_at_location.json",
        &format!("/oruk/service_at_locations/{sal_id}"),
        "sal1.json",
    );
    let tax = check("taxonomy_list.json", "/oruk/taxonomies", "taxonomies.json");
    let tax_id = tax["contents"][0]["id"].as_str().unwrap().to_string();
    check(
        "taxonomy.json",
        &format!("/oruk/taxonomies/{tax_id}"),
        "taxonomy.json",
    );
    let terms = check(
        "taxonomy_term_list.json",
        "/oruk/taxonomy_terms",
        "terms.json",
    );
    let gp = terms["contents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["term"] == "gp")
        .expect("GP practices are a term")
        .clone();
    check(
        "taxonomy_term.json",
        &format!("/oruk/taxonomy_terms/{}", gp["id"].as_str().unwrap()),
        "term.json",
    );
    let orgs = check(
        "organization_list.json",
        "/oruk/organizations?per_page=50",
        "orgs.json",
    );
    let org_id = orgs["contents"][0]["id"].as_str().unwrap().to_string();
    check(
        "organization.json",
        &format!("/oruk/organizations/{org_id}"),
        "org.json",
    );
    let gps = check(
        "service_list.json",
        &format!(
            "/oruk/services?taxonomy_term_id={}&postcode=SW1A%201AA&proximity=1500",
            gp["id"].as_str().unwrap()
        ),
        "gps.json",
    );
    assert!(gps["total_items"].as_u64().unwrap() > 0);
    let none_after = common::live::get(addr, "/oruk/services?modified_after=2999-01-01").json();
    assert_eq!(none_after["total_items"], 0);
    assert_eq!(none_after["empty"], true);

    let schemas = data.join("directories/oruk_schemas_v3_uk");
    let mut cmd = std::process::Command::new("python3");
    cmd.arg(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scripts/validate_oruk.py"
    ))
    .arg(&schemas);
    for (s, f) in &pairs {
        cmd.arg(s).arg(f);
    }
    let out = cmd.output().expect("python3 with jsonschema");
    assert!(
        out.status.success(),
        "the feed does not validate:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // The schemas do catch what is wrong: the fail mock does not validate.
    let fail = std::process::Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scripts/validate_oruk.py"
        ))
        .arg(&schemas)
        .arg("service_list.json")
        .arg(data.join("directories/oruk_validator_mocks/V3.0-UK-Fail/service_list.json"))
        .output()
        .unwrap();
    assert!(!fail.status.success());

    // Bad parameters are 400s that name them; unknown ids are 404s.
    for bad in [
        "/oruk/services?per_page=0",
        "/oruk/services?per_page=501",
        "/oruk/services?page=x",
        "/oruk/services?taxonomy_term_id=nope",
        "/oruk/services?modified_after=yesterday",
        "/oruk/services?proximity=100",
        "/oruk/services?postcode=NOT%20A%20CODE",
        "/oruk/services?colour=red",
    ] {
        assert_eq!(common::live::get(addr, bad).status, 400, "{bad}");
    }
    assert_eq!(
        common::live::get(addr, "/oruk/services/no-such-id").status,
        404
    );

    // Round trip: read back what was served, as a crawler would.
    let text = format!(
        "{areas}\n[[assets]]\nsource = \"again\"\nformat = \"oruk\"\nurl = \"http://{addr}/oruk\"\ncategory = \"community_service\"\nfetch = {{ per_page = 500, requests_per_second = 50, full_records = \"never\" }}\n"
    );
    let again = load(&text);
    let mut back: Vec<String> = again
        .dataset
        .listings
        .iter()
        .filter(|a| bristol_names.contains(&a.name))
        .map(|a| summary(&a.name, a))
        .collect();
    back.sort();
    assert_eq!(back.len(), 817, "every Bristol service comes back");
    for (b, a) in bristol_in.iter().zip(&back) {
        assert_eq!(a, b);
    }
    assert_eq!(
        report(&again, "again").merged,
        0,
        "ids are unique in the feed"
    );
}

/// What a service round-trips: its name and text fields, as JSON text.
fn summary(name: &str, a: &Asset) -> String {
    json!({
        "name": name,
        "description": a.details.description,
        "email": a.email,
        "website": a.website,
        "verified_at": a.verified_at,
        "organisation": a.details.organisation,
        "status": a.status.as_str(),
    })
    .to_string()
}

#[test]
fn a_sync_over_http_keeps_the_listings() {
    // The demo's files on disk, so POST /api/sync can read them again.
    let dir = tempfile::tempdir().unwrap();
    assetmap::demo::write(dir.path()).unwrap();
    let manifest = dir.path().join("manifest.toml");
    let loaded = assetmap::ingest::load_path(&manifest, &assetmap::ingest::Quiet).unwrap();
    let listings = loaded.dataset.listings.len();
    assert_eq!(
        listings, 4,
        "the demo directory's phone and online services"
    );
    let state = AppState::new(Arc::new(loaded.dataset)).with_manifest(manifest.clone());
    let (token, secret) =
        assetmap::catalog::auth::new_token("admin-bot", assetmap::catalog::Role::Admin).unwrap();
    state.catalog.with_store(|s| s.put_token(&token)).unwrap();
    let addr = common::serve(state.clone());
    let bearer = format!("Bearer {secret}");
    let sync = || {
        common::live::request(
            addr,
            "POST",
            "/api/sync",
            &[("Authorization", &bearer)],
            b"",
        )
        .unwrap()
    };
    let first = sync();
    assert_eq!(
        first.status,
        200,
        "{}",
        String::from_utf8_lossy(&first.body)
    );
    let report = first.json();
    assert_eq!(report["retired"], json!([]), "{report}");
    assert_eq!(state.dataset().listings.len(), listings);
    // The feed changes on disk: one listing gone, one renamed.
    let path = dir.path().join("directory_oruk.json");
    let mut feed: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let contents = feed["contents"].as_array_mut().unwrap();
    contents.retain(|s| s["name"] != "Youth Text Service");
    for s in contents.iter_mut() {
        if s["name"] == "Money Worries Webchat" {
            s["name"] = json!("Money Worries Web Chat");
        }
    }
    std::fs::write(&path, feed.to_string()).unwrap();
    let report = sync().json();
    assert_eq!(
        report["retired"],
        json!(["community_services:5e1d0c1a-0000-4000-8000-000000000006"])
    );
    assert_eq!(
        report["updated"],
        json!(["community_services:5e1d0c1a-0000-4000-8000-000000000004"])
    );
    assert!(report["created"].as_array().unwrap().is_empty());
    let now = state.dataset();
    assert_eq!(now.listings.len(), listings - 1);
    assert_eq!(
        now.entry("community_services:5e1d0c1a-0000-4000-8000-000000000004")
            .unwrap()
            .name,
        "Money Worries Web Chat"
    );
    // The history says the source did it.
    let history = common::live::get(
        addr,
        "/api/assets/community_services:5e1d0c1a-0000-4000-8000-000000000004/history",
    )
    .json();
    assert_eq!(
        history["revisions"].as_array().unwrap().len(),
        2,
        "{history}"
    );
}

#[test]
fn listings_are_served_by_kind_and_bounded() {
    let loaded = assetmap::demo::load(&assetmap::ingest::Quiet).unwrap();
    let addr = common::serve(AppState::new(Arc::new(loaded.dataset)));
    let all = common::live::get(addr, "/api/listings").json();
    assert_eq!(all["total"], 4);
    let names: Vec<&str> = all["listings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["display_name"].as_str().unwrap())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "by name");
    assert!(
        all["listings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["on_map"] == false && l.get("lon").is_none())
    );
    let advice = common::live::get(addr, "/api/listings?category=advice").json();
    assert_eq!(advice["total"], 2);
    // A listing is an entry, not a feature: 404 saying where to find it
    // (not 410, which says retired).
    let id = all["listings"][0]["id"].as_str().unwrap();
    let item = common::live::get(
        addr,
        &format!(
            "/collections/assets/items/{}",
            form_urlencoded::byte_serialize(id.as_bytes()).collect::<String>()
        ),
    );
    assert_eq!(item.status, 404);
    assert!(
        item.json()["description"]
            .as_str()
            .unwrap()
            .contains("listed without a place"),
        "{}",
        String::from_utf8_lossy(&item.body)
    );
    let paged = common::live::get(addr, "/api/listings?limit=1&offset=1").json();
    assert_eq!(paged["listings"][0]["id"], all["listings"][1]["id"]);
    for bad in [
        "/api/listings?category=nope",
        "/api/listings?limit=0",
        "/api/listings?limit=101",
        "/api/listings?offset=-1",
        "/api/listings?q=x",
        "/api/search?q=a",
        "/api/search",
        &format!("/api/search?q={}", "x".repeat(201)),
    ] {
        let r = common::live::get(addr, bad);
        assert_eq!(r.status, 400, "{bad}");
        assert!(r.json()["description"].as_str().is_some());
    }
}

//! Contributions from residents and community groups: suggest, report a
//! change or closure, follow the reference; officers decide. Checked on the
//! demo through the HTTP API, on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use assetmap::catalog::{Catalog, Role, StoreLocation, auth};
use assetmap::http::{AppState, router};
use assetmap::ingest::Quiet;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

struct App {
    state: AppState,
    editor: String,
    admin: String,
}

fn app_on(location: &StoreLocation) -> App {
    let d = assetmap::demo::load(&Quiet).unwrap().dataset;
    let (catalog, _) = Catalog::open(d, location.open().unwrap()).unwrap();
    let state =
        AppState::with_catalog(Arc::new(catalog), 14, 1 << 20).with_contribution_rate(1000.0, 0);
    let (e, editor) = auth::new_token("editor-bot", Role::Editor).unwrap();
    let (a, admin) = auth::new_token("admin-bot", Role::Admin).unwrap();
    state
        .catalog
        .with_store(|s| {
            s.put_token(&e)?;
            s.put_token(&a)
        })
        .unwrap();
    App {
        state,
        editor: format!("Bearer {editor}"),
        admin: format!("Bearer {admin}"),
    }
}

fn app() -> App {
    app_on(&StoreLocation::Memory)
}

struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.body)))
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

fn call(app: &App, method: &str, uri: &str, auth: Option<&str>, body: Option<Value>) -> Answer {
    let mut r = Request::builder().method(method).uri(uri);
    if let Some(a) = auth {
        r = r.header("authorization", a);
    }
    let body = match body {
        Some(v) => {
            r = r.header("content-type", "application/json");
            Body::from(v.to_string())
        }
        None => Body::empty(),
    };
    send(app, r.body(body).unwrap())
}

/// Runs one request through the router.
fn send(app: &App, request: Request<Body>) -> Answer {
    common::block_on(async {
        let response = router(app.state.clone()).oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec();
        Answer {
            status,
            headers,
            body,
        }
    })
}

/// The first asset of a category.
fn first_of(d: &assetmap::model::Dataset, category: &str) -> assetmap::model::Asset {
    d.assets
        .iter()
        .find(|a| a.category == category)
        .unwrap_or_else(|| panic!("the demo has a {category}"))
        .clone()
}

fn example_postcode(app: &App) -> String {
    call(app, "GET", "/app/config.json", None, None).json()["example_postcode"]
        .as_str()
        .unwrap()
        .to_string()
}

fn suggest(app: &App, body: Value) -> Answer {
    call(app, "POST", "/api/contributions", None, Some(body))
}

fn decide(app: &App, reference: &str, body: Value) -> Answer {
    call(
        app,
        "POST",
        &format!("/api/contributions/{reference}/decision"),
        Some(&app.editor),
        Some(body),
    )
}

#[test]
fn a_suggestion_is_private_until_approved_and_then_live_everywhere() {
    let app = app();
    let postcode = example_postcode(&app);
    let sent = suggest(
        &app,
        json!({"kind": "new", "name": "Tuesday Lunch Club", "category": "community_centre",
               "postcode": postcode, "note": "Hot lunches for over-60s, £3", "contact_email": "me@example.org"}),
    );
    assert_eq!(sent.status, StatusCode::CREATED, "{}", sent.text());
    let reference = sent.json()["reference"].as_str().unwrap().to_string();
    assert!(
        assetmap::catalog::contributions::is_reference(&reference),
        "{reference}"
    );
    assert_eq!(
        sent.headers["location"].to_str().unwrap(),
        format!("/contributions/{reference}")
    );
    // Not public: the status says only where it stands.
    let status = call(
        &app,
        "GET",
        &format!("/api/contributions/{reference}"),
        None,
        None,
    )
    .json();
    assert_eq!(status["status"], "pending");
    assert!(
        !status.to_string().contains("Lunch") && !status.to_string().contains("me@example.org")
    );
    let search = call(&app, "GET", "/api/search?q=tuesday%20lunch", None, None).json();
    assert_eq!(search["total"], 0);
    // The queue is for editors, and never shows the contributor's e-mail.
    assert_eq!(
        call(&app, "GET", "/api/contributions?status=pending", None, None).status,
        StatusCode::UNAUTHORIZED
    );
    let queue = call(
        &app,
        "GET",
        "/api/contributions?status=pending",
        Some(&app.editor),
        None,
    )
    .json();
    assert_eq!(queue["count"], 1);
    let item = &queue["contributions"][0];
    assert_eq!(item["proposal"]["name"], "Tuesday Lunch Club");
    assert_eq!(item["has_contact_email"], true);
    assert!(!queue.to_string().contains("me@example.org"));

    // Approved with an edit: live everywhere at once.
    let decided = decide(
        &app,
        &reference,
        json!({"decision": "approve", "edits": {"name": "Tuesday Lunch Club (St Mark's)"}}),
    );
    assert_eq!(decided.status, StatusCode::OK, "{}", decided.text());
    let d = decided.json();
    assert_eq!(d["status"], "changed_and_approved");
    let id = d["result_asset_id"].as_str().unwrap().to_string();
    let search = call(&app, "GET", "/api/search?q=tuesday%20lunch", None, None).json();
    assert_eq!(search["results"][0]["id"], id.as_str());
    let near = call(
        &app,
        "GET",
        &format!(
            "/api/nearby?postcode={}&category=community_centre&limit=100",
            postcode.replace(' ', "%20")
        ),
        None,
        None,
    )
    .json();
    assert!(
        near["features"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["id"] == id.as_str())
    );
    // The history names the contribution.
    let history = call(
        &app,
        "GET",
        &format!("/api/assets/{id}/history"),
        None,
        None,
    )
    .json();
    let reason = history["revisions"][0]["reason"].as_str().unwrap();
    assert!(reason.contains(&reference), "{reason}");
    assert_eq!(history["revisions"][0]["actor"], "token:editor-bot");
    // The contributor's page says so; a second decision is refused.
    let page = call(
        &app,
        "GET",
        &format!("/contributions/{reference}"),
        None,
        None,
    );
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("Approved with changes"));
    assert!(page.headers.contains_key("content-security-policy"));
    let again = decide(
        &app,
        &reference,
        json!({"decision": "decline", "reason": "no"}),
    );
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text());
}

#[test]
fn changes_closures_declines_and_merges_apply_through_the_catalog() {
    let app = app();
    let d = app.state.dataset();
    let gp = first_of(&d, "gp");
    let pharmacy = first_of(&d, "pharmacy");
    drop(d);

    // A new phone number.
    let r = suggest(&app, json!({"kind": "change", "asset_id": gp.id, "phone": "01632 960123", "note": "the number changed in May"})).json();
    let ok = decide(
        &app,
        r["reference"].as_str().unwrap(),
        json!({"decision": "approve"}),
    )
    .json();
    assert_eq!(ok["status"], "approved");
    assert_eq!(
        app.state.dataset().entry(&gp.id).unwrap().phone.as_deref(),
        Some("01632 960123")
    );

    // A closure.
    let r = suggest(
        &app,
        json!({"kind": "closure", "asset_id": pharmacy.id, "note": "shut for good"}),
    )
    .json();
    decide(
        &app,
        r["reference"].as_str().unwrap(),
        json!({"decision": "approve"}),
    );
    assert!(app.state.dataset().entry(&pharmacy.id).is_none(), "retired");
    let history = call(
        &app,
        "GET",
        &format!("/api/assets/{}/history", pharmacy.id),
        None,
        None,
    )
    .json();
    assert_eq!(
        history["revisions"].as_array().unwrap().last().unwrap()["action"],
        "retire"
    );

    // A decline: the reason reaches the contributor, escaped.
    let r = suggest(&app, json!({"kind": "new", "name": "<script>alert(1)</script> Club", "category": "youth_club", "postcode": example_postcode(&app)})).json();
    let reference = r["reference"].as_str().unwrap();
    let no = decide(
        &app,
        reference,
        json!({"decision": "decline", "reason": "We could not find it <b>there</b>"}),
    );
    assert_eq!(no.json()["status"], "declined");
    let page = call(
        &app,
        "GET",
        &format!("/contributions/{reference}"),
        None,
        None,
    )
    .text();
    assert!(
        page.contains("We could not find it &lt;b&gt;there&lt;/b&gt;"),
        "{page}"
    );
    assert!(!page.contains("<script>"));
    assert_eq!(
        call(
            &app,
            "GET",
            &format!("/api/contributions/{reference}"),
            None,
            None
        )
        .json()["reason"],
        "We could not find it <b>there</b>"
    );
    // A decline needs a reason.
    let r = suggest(&app, json!({"kind": "new", "name": "Another Club", "category": "youth_club", "postcode": example_postcode(&app)})).json();
    let bare = decide(
        &app,
        r["reference"].as_str().unwrap(),
        json!({"decision": "decline"}),
    );
    assert_eq!(bare.status, StatusCode::UNPROCESSABLE_ENTITY);

    // A duplicate is flagged to the officer and merged.
    let lon_lat = gp.lonlat;
    let dup = suggest(&app, json!({"kind": "new", "name": gp.name.to_lowercase(), "category": "gp", "lon": lon_lat.x + 0.0005, "lat": lon_lat.y})).json();
    let reference = dup["reference"].as_str().unwrap();
    let queue = call(
        &app,
        "GET",
        "/api/contributions?status=pending",
        Some(&app.editor),
        None,
    )
    .json();
    let listed = queue["contributions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["reference"] == reference)
        .unwrap()
        .clone();
    assert_eq!(listed["possible_duplicates"], json!([gp.id]));
    let merged = decide(
        &app,
        reference,
        json!({"decision": "merge", "into": gp.id, "reason": "already on the map"}),
    )
    .json();
    assert_eq!(merged["status"], "merged");
    assert_eq!(merged["result_asset_id"], gp.id.as_str());
    assert_eq!(
        call(
            &app,
            "GET",
            &format!("/api/contributions/{reference}"),
            None,
            None
        )
        .json()["asset_id"],
        gp.id.as_str()
    );
    // "Other" needs a real category before it can be approved.
    let other = suggest(&app, json!({"kind": "new", "name": "Repair Café", "category": "other", "other_category": "repair café", "postcode": example_postcode(&app)})).json();
    let reference = other["reference"].as_str().unwrap();
    let refused = decide(&app, reference, json!({"decision": "approve"}));
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().contains("repair café"));
    let ok = decide(
        &app,
        reference,
        json!({"decision": "approve", "edits": {"category": "community_centre"}}),
    )
    .json();
    assert_eq!(ok["status"], "changed_and_approved");
}

#[test]
fn bad_contributions_get_precise_errors() {
    let app = app();
    let pc = example_postcode(&app);
    let field = |body: Value| {
        let a = suggest(&app, body);
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text());
        a.json()["description"]
            .as_str()
            .unwrap()
            .split(':')
            .next()
            .unwrap()
            .to_string()
    };
    assert_eq!(
        field(
            json!({"kind": "new", "name": "A", "category": "gp", "postcode": pc, "leave_empty": "http://spam"})
        ),
        "leave_empty"
    );
    assert_eq!(
        field(json!({"kind": "new", "name": "A", "category": "casino", "postcode": pc})),
        "category"
    );
    assert_eq!(
        field(json!({"kind": "new", "category": "gp", "postcode": pc})),
        "name"
    );
    assert_eq!(
        field(json!({"kind": "new", "name": "A", "category": "gp", "postcode": "ZZ9 9ZZ"})),
        "postcode"
    );
    assert_eq!(
        field(json!({"kind": "new", "name": "A", "category": "gp", "lon": -2.0, "lat": 53.4})),
        "geometry"
    );
    assert_eq!(
        field(
            json!({"kind": "new", "name": "A", "category": "gp", "postcode": pc, "note": "https://a.example https://b.example https://c.example"})
        ),
        "note"
    );
    assert_eq!(
        field(json!({"kind": "new", "name": "A".repeat(201), "category": "gp", "postcode": pc})),
        "name"
    );
    assert_eq!(
        field(
            json!({"kind": "new", "name": "A", "category": "gp", "postcode": pc, "contact_email": "not an email"})
        ),
        "contact_email"
    );
    assert_eq!(
        field(
            json!({"kind": "new", "name": "A", "category": "gp", "postcode": pc, "website": "javascript:alert(1)"})
        ),
        "website"
    );
    assert_eq!(
        field(json!({"kind": "new", "name": "A", "category": "other", "postcode": pc})),
        "other_category"
    );
    assert_eq!(
        field(json!({"kind": "change", "asset_id": "gp:NOPE", "phone": "01632 960000"})),
        "asset_id"
    );
    assert_eq!(
        field(
            json!({"kind": "new", "name": "A", "category": "gp", "postcode": pc, "colour": "red"})
        ),
        "body"
    );
    assert_eq!(field(json!({"kind": "maybe"})), "body");
    // Several fields wrong at once: every one is named, in order, so a
    // resident corrects them in one go.
    let several = suggest(
        &app,
        json!({"kind": "new", "name": "A".repeat(201), "category": "gp", "postcode": pc,
               "website": "javascript:alert(1)", "email": "not an email", "contact_email": "nor this"}),
    );
    assert_eq!(several.status, StatusCode::UNPROCESSABLE_ENTITY);
    let body = several.json();
    let named: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        named,
        ["name", "contact_email", "email", "website"],
        "{body}"
    );
    // With the name and the place missing too, the other fields are still checked.
    let missing = suggest(
        &app,
        json!({"kind": "new", "category": "gp", "website": "javascript:alert(1)", "phone": "call us"}),
    )
    .json();
    let named: Vec<&str> = missing["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(named, ["name", "location", "phone", "website"], "{missing}");
    let description = body["description"].as_str().unwrap();
    assert!(
        description.starts_with("name: is 201 characters") && description.contains("; website: "),
        "{description}"
    );
    // Size and type.
    let big = suggest(&app, json!({"kind": "new", "note": "x".repeat(17 * 1024)}));
    assert_eq!(big.status, StatusCode::PAYLOAD_TOO_LARGE);
    let mut r = Request::builder().method("POST").uri("/api/contributions");
    r = r.header("content-type", "text/plain");
    let plain =
        common::block_on(router(app.state.clone()).oneshot(r.body(Body::from("hello")).unwrap()))
            .unwrap();
    assert_eq!(plain.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // References that cannot be ones are 404 before any lookup.
    for bad in [
        "/api/contributions/..%2F..%2Fetc",
        "/api/contributions/C0000-0000-0000",
        "/contributions/nope",
    ] {
        assert_eq!(
            call(&app, "GET", bad, None, None).status,
            StatusCode::NOT_FOUND,
            "{bad}"
        );
    }
    // Nothing was stored.
    let all = call(&app, "GET", "/api/contributions", Some(&app.editor), None).json();
    assert_eq!(all["count"], 0);
}

#[test]
fn each_client_is_rate_limited_with_retry_after() {
    let mut app = app();
    app.state = app.state.clone().with_contribution_rate(2.0, 6);
    let pc = example_postcode(&app);
    let body =
        json!({"kind": "new", "name": "Warm Room", "category": "warm_space", "postcode": pc});
    // A resident correcting a refused suggestion does not use up the allowance.
    for _ in 0..4 {
        let mut wrong = body.clone();
        wrong["category"] = json!("warm_room");
        assert_eq!(
            suggest(&app, wrong).status,
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }
    assert_eq!(suggest(&app, body.clone()).status, StatusCode::CREATED);
    assert_eq!(suggest(&app, body.clone()).status, StatusCode::CREATED);
    let third = suggest(&app, body);
    assert_eq!(third.status, StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = third.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=600).contains(&wait), "{wait}");
}

#[test]
fn only_editors_see_the_queue_and_decide() {
    let app = app();
    let r = suggest(&app, json!({"kind": "new", "name": "Board Games Night", "category": "community_centre", "postcode": example_postcode(&app)})).json();
    let reference = r["reference"].as_str().unwrap().to_string();
    let decision = format!("/api/contributions/{reference}/decision");
    let approve = json!({"decision": "approve"});
    for (who, auth, queue, decide) in [
        (
            "anonymous",
            None,
            StatusCode::UNAUTHORIZED,
            StatusCode::UNAUTHORIZED,
        ),
        (
            "a bad token",
            Some("Bearer am_nope_nope"),
            StatusCode::UNAUTHORIZED,
            StatusCode::UNAUTHORIZED,
        ),
        (
            "not a bearer",
            Some("Basic YTpi"),
            StatusCode::UNAUTHORIZED,
            StatusCode::UNAUTHORIZED,
        ),
    ] {
        assert_eq!(
            call(&app, "GET", "/api/contributions", auth, None).status,
            queue,
            "{who}"
        );
        assert_eq!(
            call(&app, "POST", &decision, auth, Some(approve.clone())).status,
            decide,
            "{who}"
        );
    }
    assert_eq!(
        call(&app, "GET", "/api/contributions", Some(&app.admin), None).status,
        StatusCode::OK
    );
    assert_eq!(
        call(&app, "POST", &decision, Some(&app.admin), Some(approve)).status,
        StatusCode::OK
    );
    // Anyone may contribute and follow a reference.
    assert_eq!(
        call(
            &app,
            "GET",
            &format!("/api/contributions/{reference}"),
            None,
            None
        )
        .status,
        StatusCode::OK
    );
}

#[test]
fn contributions_and_decisions_are_kept_by_both_stores() {
    let dir = tempfile::tempdir().unwrap();
    let mut stores = vec![StoreLocation::Sqlite(dir.path().join("c.sqlite"))];
    if let Some(admin) = common::live::postgres_admin() {
        stores.push(StoreLocation::Postgres(common::live::fresh_database(
            &admin, "contrib",
        )));
    }
    for location in stores {
        let reference = {
            let app = app_on(&location);
            let r = suggest(&app, json!({"kind": "new", "name": "Seed Swap", "category": "community_centre", "postcode": example_postcode(&app)})).json();
            let reference = r["reference"].as_str().unwrap().to_string();
            let second = suggest(&app, json!({"kind": "new", "name": "Plant Swap", "category": "community_centre", "postcode": example_postcode(&app)})).json();
            decide(
                &app,
                second["reference"].as_str().unwrap(),
                json!({"decision": "decline", "reason": "a one-off event"}),
            );
            reference
        };
        // Reopened: both are there, one pending, one declined.
        let app = app_on(&location);
        let pending = call(
            &app,
            "GET",
            "/api/contributions?status=pending",
            Some(&app.editor),
            None,
        )
        .json();
        assert_eq!(pending["count"], 1, "{location:?}");
        assert_eq!(pending["contributions"][0]["reference"], reference.as_str());
        let declined = call(
            &app,
            "GET",
            "/api/contributions?status=declined",
            Some(&app.editor),
            None,
        )
        .json();
        assert_eq!(declined["contributions"][0]["reason"], "a one-off event");
        let ok = decide(&app, &reference, json!({"decision": "approve"})).json();
        assert_eq!(ok["status"], "approved", "{location:?}");
        let id = ok["result_asset_id"].as_str().unwrap().to_string();
        let app = app_on(&location);
        assert!(
            app.state.dataset().entry(&id).is_some(),
            "{location:?}: the approval survives reopening"
        );
        let status = call(
            &app,
            "GET",
            &format!("/api/contributions/{reference}"),
            None,
            None,
        )
        .json();
        assert_eq!(status["status"], "approved");
    }
}

#[test]
fn a_store_made_before_contributions_is_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.sqlite");
    let location = StoreLocation::Sqlite(path.clone());
    drop(app_on(&location));
    // Make it look like a version-1 store (as the previous release left it).
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "DROP TABLE contributions; DROP TABLE stewards; DELETE FROM schema_migrations WHERE version >= 2;",
    )
    .unwrap();
    drop(conn);
    let app = app_on(&location);
    let r = suggest(
        &app,
        json!({"kind": "new", "name": "Knit and Natter", "category": "community_centre", "postcode": example_postcode(&app)}),
    );
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let conn = rusqlite::Connection::open(&path).unwrap();
    let versions: Vec<i64> = conn
        .prepare("SELECT version FROM schema_migrations ORDER BY version")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(versions, [1, 2, 3]);
}

/// A form post with these cookies and fields.
fn post_form(
    app: &App,
    cookie: Option<&str>,
    fields: &[(&str, &str)],
    extra: &[(&str, &str)],
) -> Answer {
    let body: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields.iter().copied())
        .finish();
    let mut r = Request::builder()
        .method("POST")
        .uri("/suggest")
        .header("content-type", "application/x-www-form-urlencoded");
    if let Some(c) = cookie {
        r = r.header("cookie", c);
    }
    for (k, v) in extra {
        r = r.header(*k, *v);
    }
    send(app, r.body(Body::from(body)).unwrap())
}

#[test]
fn the_form_works_without_javascript_and_refuses_forged_posts() {
    let app = app();
    let pc = example_postcode(&app);
    let page = call(&app, "GET", "/suggest", None, None);
    assert_eq!(page.status, StatusCode::OK);
    let set = page.headers["set-cookie"].to_str().unwrap().to_string();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    let token = set
        .split(';')
        .next()
        .unwrap()
        .split('=')
        .nth(1)
        .unwrap()
        .to_string();
    let html = page.text();
    assert!(html.contains(&format!("name=\"csrf\" value=\"{token}\"")));
    assert!(
        html.contains("<label for=\"field-name\">"),
        "labelled fields"
    );
    let cookie = format!("assetmap_form={token}");
    let fields = |name: &str, postcode: &str| {
        vec![
            ("csrf", token.clone()),
            ("kind", "new".into()),
            ("name", name.into()),
            ("category", "advice".into()),
            ("postcode", postcode.into()),
        ]
    };
    let as_refs = |v: &Vec<(&'static str, String)>| {
        v.iter().map(|(k, v)| (*k, v.clone())).collect::<Vec<_>>()
    };
    let send = |v: Vec<(&'static str, String)>, cookie: Option<&str>, extra: &[(&str, &str)]| {
        let owned = as_refs(&v);
        let refs: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (*k, v.as_str())).collect();
        post_form(&app, cookie, &refs, extra)
    };
    // An error is shown beside its field, with what was typed kept.
    let bad = send(fields("<b>Debt Café</b>", "NOT A CODE"), Some(&cookie), &[]);
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = bad.text();
    assert!(html.contains("id=\"postcode-error\""), "{html}");
    assert!(
        html.contains("aria-describedby=\"postcode-hint postcode-error\" aria-invalid=\"true\"")
    );
    assert!(
        html.contains("value=\"&lt;b&gt;Debt Café&lt;/b&gt;\""),
        "escaped and kept"
    );
    assert!(
        html.contains("<a href=\"#field-postcode\">"),
        "listed at the top"
    );
    // Several wrong at once: each beside its field and all listed at the top.
    let mut several = fields("Debt Café", &pc);
    several.push(("website", "javascript:alert(1)".into()));
    several.push(("phone", "call us".into()));
    let bad = send(several, Some(&cookie), &[]);
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = bad.text();
    for f in ["website", "phone"] {
        assert!(html.contains(&format!("id=\"{f}-error\"")), "{f}: {html}");
        assert!(
            html.contains(&format!("<a href=\"#field-{f}\">")),
            "{f} listed"
        );
    }
    // Sent: to the status page.
    let ok = send(fields("Debt Café", &pc), Some(&cookie), &[]);
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text());
    let location = ok.headers["location"].to_str().unwrap().to_string();
    assert!(
        location.starts_with("/contributions/C") && location.ends_with("?sent=1"),
        "{location}"
    );
    let thanks = call(&app, "GET", &location, None, None).text();
    assert!(thanks.contains("Thank you: we have received it"));
    // No cookie, a wrong token, or another site: refused, nothing stored.
    assert_eq!(
        send(fields("Forged", &pc), None, &[]).status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        send(
            fields("Forged", &pc),
            Some("assetmap_form=00000000000000000000000000000000"),
            &[]
        )
        .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        send(
            fields("Forged", &pc),
            Some(&cookie),
            &[("sec-fetch-site", "cross-site")]
        )
        .status,
        StatusCode::FORBIDDEN
    );
    // The honeypot.
    let mut trap = fields("Robot", &pc);
    trap.push(("leave_empty", "buy now".into()));
    assert_eq!(
        send(trap, Some(&cookie), &[]).status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let all = call(&app, "GET", "/api/contributions", Some(&app.editor), None).json();
    assert_eq!(all["count"], 1, "only the real one was stored");
    // "Is something wrong?" for a place: the form names it.
    let id = app.state.dataset().assets[0].id.clone();
    let report = call(
        &app,
        "GET",
        &format!("/suggest?asset={}", id.replace(':', "%3A")),
        None,
        None,
    )
    .text();
    assert!(report.contains("Is something wrong with") && report.contains("It has closed"));
    // The privacy notice says what is kept.
    let privacy = call(&app, "GET", "/privacy", None, None).text();
    assert!(privacy.contains("180 days"));
}

#[test]
fn contributors_email_addresses_are_purged_after_the_retention_period() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("purge.sqlite");
    let location = StoreLocation::Sqlite(path.clone());
    let (decided, pending) = {
        let app = app_on(&location);
        let pc = example_postcode(&app);
        let a = suggest(&app, json!({"kind": "new", "name": "Chess Club", "category": "community_centre", "postcode": pc, "contact_email": "a@example.org"})).json();
        let b = suggest(&app, json!({"kind": "new", "name": "Choir", "category": "community_centre", "postcode": pc, "contact_email": "b@example.org"})).json();
        let decided = a["reference"].as_str().unwrap().to_string();
        decide(
            &app,
            &decided,
            json!({"decision": "decline", "reason": "a duplicate"}),
        );
        (decided, b["reference"].as_str().unwrap().to_string())
    };
    let run = |days: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_assetmap"))
            .args([
                "contributions",
                "purge",
                "--older-than-days",
                days,
                "--store",
                path.to_str().unwrap(),
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    // Within the retention period: kept.
    assert!(run("180").starts_with("deleted 0 "));
    std::thread::sleep(std::time::Duration::from_millis(20));
    assert!(run("0").starts_with("deleted 1 "), "only the decided one");
    let mut store = location.open().unwrap();
    let mut body = |r: &str| store.contribution(r).unwrap().unwrap().body;
    assert!(!body(&decided).contains("a@example.org"));
    assert!(
        body(&pending).contains("b@example.org"),
        "a pending contribution keeps it"
    );
    let app = app_on(&location);
    let status = call(
        &app,
        "GET",
        &format!("/api/contributions/{decided}"),
        None,
        None,
    )
    .json();
    assert_eq!(status["status"], "declined", "the decision itself is kept");
}

#[test]
fn contributed_text_is_inert_wherever_it_is_shown() {
    let app = app();
    let pc = example_postcode(&app);
    let name = "=HYPERLINK(\"http://evil.example\")<script>alert(1)</script>";
    let r = suggest(&app, json!({"kind": "new", "name": name, "category": "advice", "postcode": pc, "note": "<img src=x onerror=alert(1)>"})).json();
    let ok = decide(
        &app,
        r["reference"].as_str().unwrap(),
        json!({"decision": "approve"}),
    )
    .json();
    let id = ok["result_asset_id"].as_str().unwrap().to_string();
    // CSV: a spreadsheet sees text, not a formula.
    let csv = call(
        &app,
        "GET",
        "/api/export/assets?format=csv&category=advice",
        None,
        None,
    )
    .text();
    let line = csv.lines().find(|l| l.contains("HYPERLINK")).unwrap();
    assert!(
        line.contains("\"'=HYPERLINK(\"\"http://evil.example\"\")"),
        "{line}"
    );
    // Pages: escaped.
    let page = {
        let mut r = Request::builder().uri(format!(
            "/?postcode={}&category=advice",
            pc.replace(' ', "%20")
        ));
        r = r.header("accept", "text/html");
        let resp =
            common::block_on(router(app.state.clone()).oneshot(r.body(Body::empty()).unwrap()))
                .unwrap();
        common::block_on(resp.into_body().collect())
            .unwrap()
            .to_bytes()
    };
    let html = String::from_utf8_lossy(&page);
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!html.contains("<script>alert(1)"));
    let print = call(
        &app,
        "GET",
        &format!("/print?postcode={}&category=advice", pc.replace(' ', "%20")),
        None,
        None,
    )
    .text();
    assert!(!print.contains("<script>alert(1)"));
    let item = call(
        &app,
        "GET",
        &format!(
            "/collections/assets/items/{}?f=html",
            id.replace(':', "%3A")
        ),
        None,
        None,
    )
    .text();
    assert!(
        !item.contains("<script>alert(1)") && item.contains("&lt;script&gt;"),
        "{}",
        item.lines()
            .filter(|l| l.contains("alert"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    // JSON carries it as data.
    let json = call(
        &app,
        "GET",
        &format!("/collections/assets/items/{}", id.replace(':', "%3A")),
        None,
        None,
    )
    .json();
    assert_eq!(json["properties"]["name"], name);
}

#[test]
fn entries_not_checked_within_the_review_interval_are_stale() {
    let mut app = app();
    app.state = app.state.clone().with_review_interval_days(120);
    let threshold = (chrono::Utc::now().date_naive() - chrono::Duration::days(120))
        .format("%Y-%m-%d")
        .to_string();
    let d = app.state.dataset();
    let expected: Vec<String> = {
        let mut v: Vec<&assetmap::model::Asset> = d
            .entries()
            .filter(|a| a.last_checked().is_some_and(|c| c < threshold.as_str()))
            .collect();
        v.sort_by(|a, b| {
            a.last_checked()
                .cmp(&b.last_checked())
                .then(a.id.cmp(&b.id))
        });
        v.iter().map(|a| a.id.clone()).collect()
    };
    assert!(
        !expected.is_empty(),
        "the demo has entries checked long ago"
    );
    assert_eq!(
        call(&app, "GET", "/api/review", None, None).status,
        StatusCode::UNAUTHORIZED
    );
    let review = call(
        &app,
        "GET",
        "/api/review?limit=500",
        Some(&app.editor),
        None,
    )
    .json();
    assert_eq!(review["stale_before"], threshold.as_str());
    let ids: Vec<&str> = review["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, expected);
    // Residents see the same: each result says whether it is stale.
    let pc = example_postcode(&app).replace(' ', "%20");
    let near = call(
        &app,
        "GET",
        &format!("/api/nearby?postcode={pc}&limit=100"),
        None,
        None,
    )
    .json();
    for f in near["features"].as_array().unwrap() {
        let id = f["id"].as_str().unwrap();
        assert_eq!(
            f["properties"]["stale"],
            expected.iter().any(|e| e == id),
            "{id}"
        );
    }
    // A place just approved is checked today.
    let r = suggest(&app, json!({"kind": "new", "name": "Fresh Club", "category": "advice", "postcode": example_postcode(&app)})).json();
    let ok = decide(
        &app,
        r["reference"].as_str().unwrap(),
        json!({"decision": "approve"}),
    )
    .json();
    let id = ok["result_asset_id"].as_str().unwrap();
    assert_eq!(
        app.state.dataset().entry(id).unwrap().last_checked(),
        Some(
            chrono::Utc::now()
                .date_naive()
                .format("%Y-%m-%d")
                .to_string()
                .as_str()
        )
    );
}

/// Signs an editor in through the form; returns the cookie header and the CSRF token.
fn sign_in(app: &App) -> (String, String) {
    let user = auth::new_user("olive", Role::Editor, "correct horse battery").unwrap();
    app.state.catalog.with_store(|s| s.put_user(&user)).unwrap();
    sign_in_as(app, "olive", "correct+horse+battery")
}

fn desk(app: &App, method: &str, uri: &str, cookie: Option<&str>, form: Option<&str>) -> Answer {
    let mut r = Request::builder().method(method).uri(uri);
    if let Some(c) = cookie {
        r = r.header("cookie", c);
    }
    let body = match form {
        Some(f) => {
            r = r.header("content-type", "application/x-www-form-urlencoded");
            Body::from(f.to_string())
        }
        None => Body::empty(),
    };
    send(app, r.body(body).unwrap())
}

#[test]
fn officers_moderate_at_the_desk_and_revert_from_the_history() {
    let app = app();
    let gp = first_of(&app.state.dataset(), "gp");
    let new = suggest(&app, json!({"kind": "new", "name": "Parent and Toddler Group", "category": "community_centre", "postcode": example_postcode(&app)})).json();
    let change = suggest(
        &app,
        json!({"kind": "change", "asset_id": gp.id, "name": "Renamed Surgery", "note": "new sign"}),
    )
    .json();
    let (new_ref, change_ref) = (
        new["reference"].as_str().unwrap(),
        change["reference"].as_str().unwrap(),
    );
    // Not signed in: no desk.
    assert_eq!(
        desk(&app, "GET", "/manage", None, None).status,
        StatusCode::UNAUTHORIZED
    );
    let (cookie, csrf) = sign_in(&app);
    let queue = desk(&app, "GET", "/manage", Some(&cookie), None);
    assert_eq!(queue.status, StatusCode::OK);
    let html = queue.text();
    assert!(
        html.contains("2 waiting") && html.contains(new_ref) && html.contains(change_ref),
        "{html}"
    );
    assert!(html.contains("<caption>Contributions waiting (2)</caption>"));
    let only_changes = desk(&app, "GET", "/manage?kind=change", Some(&cookie), None).text();
    assert!(only_changes.contains(change_ref) && !only_changes.contains(new_ref));
    let ward = app.state.dataset().wards[app.state.dataset().ward_at(gp.bng).unwrap()]
        .code
        .clone();
    let in_ward = desk(
        &app,
        "GET",
        &format!("/manage?ward={ward}"),
        Some(&cookie),
        None,
    )
    .text();
    assert!(in_ward.contains(change_ref));
    // Side by side, with the map.
    let item = desk(
        &app,
        "GET",
        &format!("/manage/{change_ref}"),
        Some(&cookie),
        None,
    )
    .text();
    assert!(
        item.contains(&format!(
            "<a href=\"/manage/assets/{}\">History of this place</a>",
            form_urlencoded::byte_serialize(gp.id.as_bytes()).collect::<String>()
        )),
        "{item}"
    );
    assert!(
        item.contains("<caption>Now and as suggested</caption>")
            && item.contains("Renamed Surgery")
            && item.contains(&gp.name)
    );
    assert!(item.contains("<svg") && item.contains("role=\"img\""));
    // A decision without the session's token is refused.
    let forged = desk(
        &app,
        "POST",
        &format!("/manage/{change_ref}"),
        Some(&cookie),
        Some("action=approve"),
    );
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    // Edit then approve.
    let form = format!(
        "csrf={csrf}&action=approve&name=Renamed+Surgery+(Mill+Street)&reason=checked+by+phone"
    );
    let done = desk(
        &app,
        "POST",
        &format!("/manage/{change_ref}"),
        Some(&cookie),
        Some(&form),
    );
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text());
    assert_eq!(
        done.headers["location"].to_str().unwrap(),
        format!("/manage?done={change_ref}")
    );
    assert_eq!(
        app.state.dataset().entry(&gp.id).unwrap().name,
        "Renamed Surgery (Mill Street)"
    );
    let status = call(
        &app,
        "GET",
        &format!("/api/contributions/{change_ref}"),
        None,
        None,
    )
    .json();
    assert_eq!(status["status"], "changed_and_approved");
    // Decline the other with a reason.
    let form =
        format!("csrf={csrf}&action=decline&reason=Runs+only+in+term+time%3B+we+list+it+elsewhere");
    assert_eq!(
        desk(
            &app,
            "POST",
            &format!("/manage/{new_ref}"),
            Some(&cookie),
            Some(&form)
        )
        .status,
        StatusCode::SEE_OTHER
    );
    assert!(
        desk(&app, "GET", "/manage", Some(&cookie), None)
            .text()
            .contains("0 waiting")
    );
    // The history, and a revert to the first revision.
    let id = gp.id.replace(':', "%3A");
    let history = desk(
        &app,
        "GET",
        &format!("/manage/assets/{id}"),
        Some(&cookie),
        None,
    )
    .text();
    assert!(
        history.contains(change_ref)
            && history.contains("user:olive")
            && history.contains("Revert to this")
    );
    let form = format!("csrf={csrf}&revision=1");
    let reverted = desk(
        &app,
        "POST",
        &format!("/manage/assets/{id}/revert"),
        Some(&cookie),
        Some(&form),
    );
    assert_eq!(reverted.status, StatusCode::OK, "{}", reverted.text());
    assert!(reverted.text().contains("Reverted to revision 1"));
    assert_eq!(app.state.dataset().entry(&gp.id).unwrap().name, gp.name);
    let h = call(
        &app,
        "GET",
        &format!("/api/assets/{id}/history"),
        None,
        None,
    )
    .json();
    let last = h["revisions"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["reason"], "reverted to revision 1");
    assert_eq!(last["actor"], "user:olive");
}

#[test]
fn the_sign_in_form_works_from_a_browser_and_not_from_another_site() {
    let app = app();
    let user = auth::new_user("olive", Role::Editor, "correct horse battery").unwrap();
    app.state.catalog.with_store(|s| s.put_user(&user)).unwrap();
    let attempt = |headers: &[(&str, &str)]| {
        let mut r = Request::builder()
            .method("POST")
            .uri("/signin")
            .header("host", "maps.example.test")
            .header("content-type", "application/x-www-form-urlencoded");
        for (k, v) in headers {
            r = r.header(*k, *v);
        }
        let r = r
            .body(Body::from("name=olive&password=correct+horse+battery"))
            .unwrap();
        common::block_on(router(app.state.clone()).oneshot(r))
            .unwrap()
            .status()
    };
    // What Chromium sends from our own page (no Referer, so Origin: null).
    assert_eq!(
        attempt(&[("origin", "null"), ("sec-fetch-site", "same-origin")]),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        attempt(&[("origin", "http://maps.example.test")]),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        attempt(&[("origin", "null"), ("sec-fetch-site", "cross-site")]),
        StatusCode::FORBIDDEN
    );
    assert_eq!(attempt(&[("origin", "null")]), StatusCode::FORBIDDEN);
    assert_eq!(
        attempt(&[("origin", "https://evil.example")]),
        StatusCode::FORBIDDEN
    );
}

/// Who is calling, for the authorisation matrix.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Caller {
    /// No credentials at all.
    Anonymous,
    /// A bearer token that is not valid.
    BadToken,
    /// A resident: the suggestion form's cookie, and no account.
    Resident,
    /// A steward of another organisation than the entry's.
    OtherSteward,
    /// The steward of the entry's organisation.
    Steward,
    /// An officer.
    Editor,
    /// An officer who may also sync.
    Admin,
}

/// A request body in the matrix.
enum Sent {
    Nothing,
    Json(Value),
    /// A form; the caller's CSRF token is added.
    Form(&'static str),
}

#[test]
fn the_authorisation_matrix_allows_only_the_allowed_cells() {
    use Caller::*;
    const ALL: [Caller; 7] = [
        Anonymous,
        BadToken,
        Resident,
        OtherSteward,
        Steward,
        Editor,
        Admin,
    ];
    let everyone: &[Caller] = &ALL;
    let signed_in: &[Caller] = &[OtherSteward, Steward, Editor, Admin];
    let stewards: &[Caller] = &[Steward, Editor, Admin];
    let only_steward: &[Caller] = &[Steward];
    let editors: &[Caller] = &[Editor, Admin];
    let org = "Fictionford Council for Voluntary Service";
    for caller in ALL {
        // A fresh server for each caller, so one caller's writes (a retired
        // entry, a decided contribution) never decide another's cells.
        let app = app();
        let pc = example_postcode(&app);
        let d = app.state.dataset();
        let own = d
            .assets
            .iter()
            .find(|a| a.details.organisation.as_deref() == Some(org))
            .unwrap()
            .id
            .clone();
        let other = d
            .assets
            .iter()
            .find(|a| a.category == "gp")
            .unwrap()
            .id
            .clone();
        drop(d);
        let enc = |id: &str| {
            form_urlencoded::byte_serialize(id.as_bytes())
                .collect::<String>()
                .replace('+', "%20")
        };
        let (own_path, other_path) = (enc(&own), enc(&other));
        let reference = |app: &App| {
            suggest(
                app,
                json!({"kind": "new", "name": "Matrix Club", "category": "advice", "postcode": pc}),
            )
            .json()["reference"]
                .as_str()
                .unwrap()
                .to_string()
        };
        let (api_ref, desk_ref) = (reference(&app), reference(&app));
        for (name, role, organisation) in [
            ("matrix-steward", Role::Steward, Some(org)),
            (
                "matrix-other",
                Role::Steward,
                Some("Fictionford Youth Trust"),
            ),
            ("matrix-editor", Role::Editor, None),
            ("matrix-admin", Role::Admin, None),
        ] {
            let user = auth::new_user(name, role, "a matrix password").unwrap();
            app.state
                .catalog
                .with_store(|s| {
                    s.put_user(&user)?;
                    match organisation {
                        Some(o) => s.put_steward(name, o),
                        None => Ok(()),
                    }
                })
                .unwrap();
        }
        let session = match caller {
            OtherSteward => Some(sign_in_as(&app, "matrix-other", "a+matrix+password")),
            Steward => Some(sign_in_as(&app, "matrix-steward", "a+matrix+password")),
            Editor => Some(sign_in_as(&app, "matrix-editor", "a+matrix+password")),
            Admin => Some(sign_in_as(&app, "matrix-admin", "a+matrix+password")),
            _ => None,
        };
        let revision = |id: &str| format!("\"r{}\"", app.state.catalog.row(id).unwrap().revision);
        // (method, path, body, If-Match of, who gets past the check). The
        // DELETE comes last: it retires the entry the rows before edit.
        type Row<'a> = (&'static str, String, Sent, Option<&'a str>, &'a [Caller]);
        let rows: Vec<Row> = vec![
            (
                "POST",
                "/api/contributions".into(),
                Sent::Json(
                    json!({"kind": "new", "name": "Matrix Club 2", "category": "advice", "postcode": pc}),
                ),
                None,
                everyone,
            ),
            (
                "GET",
                format!("/api/contributions/{api_ref}"),
                Sent::Nothing,
                None,
                everyone,
            ),
            (
                "GET",
                format!("/contributions/{api_ref}"),
                Sent::Nothing,
                None,
                everyone,
            ),
            ("GET", "/api/session".into(), Sent::Nothing, None, signed_in),
            (
                "GET",
                "/api/contributions?status=pending".into(),
                Sent::Nothing,
                None,
                editors,
            ),
            ("GET", "/api/review".into(), Sent::Nothing, None, editors),
            (
                "POST",
                format!("/api/contributions/{api_ref}/decision"),
                Sent::Json(json!({"decision": "decline", "reason": "matrix"})),
                None,
                editors,
            ),
            (
                "POST",
                "/collections/assets/items".into(),
                Sent::Json(
                    json!({"type": "Feature", "geometry": null, "properties": {"name": "X", "category": "advice", "postcode": pc}}),
                ),
                None,
                editors,
            ),
            (
                "PATCH",
                format!("/collections/assets/items/{own_path}"),
                Sent::Json(json!({"properties": {"phone": "01632 960777"}})),
                Some(&own),
                stewards,
            ),
            (
                "PUT",
                format!("/collections/assets/items/{own_path}"),
                Sent::Json(
                    json!({"type": "Feature", "geometry": null, "properties": {"name": "Own", "category": "advice", "organisation": org, "postcode": pc}}),
                ),
                Some(&own),
                stewards,
            ),
            (
                "PATCH",
                format!("/collections/assets/items/{other_path}"),
                Sent::Json(json!({"properties": {"phone": "01632 960778"}})),
                Some(&other),
                editors,
            ),
            (
                "POST",
                format!("/api/assets/{own_path}/confirm"),
                Sent::Nothing,
                None,
                stewards,
            ),
            (
                "POST",
                format!("/api/assets/{other_path}/confirm"),
                Sent::Nothing,
                None,
                editors,
            ),
            (
                "POST",
                "/api/stewards".into(),
                Sent::Json(
                    json!({"name": format!("invited-{caller:?}").to_lowercase(), "organisation": org}),
                ),
                None,
                editors,
            ),
            ("POST", "/api/sync".into(), Sent::Nothing, None, &[Admin]),
            ("GET", "/our-entries".into(), Sent::Nothing, None, signed_in),
            (
                "GET",
                format!("/our-entries/{own_path}"),
                Sent::Nothing,
                None,
                only_steward,
            ),
            (
                "POST",
                format!("/our-entries/{own_path}"),
                Sent::Form("action=confirm"),
                None,
                only_steward,
            ),
            (
                "GET",
                format!("/our-entries/{other_path}"),
                Sent::Nothing,
                None,
                &[],
            ),
            (
                "POST",
                format!("/our-entries/{other_path}"),
                Sent::Form("action=confirm"),
                None,
                &[],
            ),
            ("GET", "/manage".into(), Sent::Nothing, None, editors),
            (
                "GET",
                format!("/manage/{desk_ref}"),
                Sent::Nothing,
                None,
                editors,
            ),
            (
                "POST",
                format!("/manage/{desk_ref}"),
                Sent::Form("action=decline&reason=matrix"),
                None,
                editors,
            ),
            (
                "GET",
                format!("/manage/assets/{own_path}"),
                Sent::Nothing,
                None,
                editors,
            ),
            (
                "POST",
                format!("/manage/assets/{own_path}/revert"),
                Sent::Form("revision=1"),
                None,
                editors,
            ),
            (
                "DELETE",
                format!("/collections/assets/items/{own_path}"),
                Sent::Nothing,
                Some(&own),
                editors,
            ),
        ];
        for (method, path, body, if_match, allowed) in rows {
            let mut r = Request::builder().method(method).uri(&path);
            match (caller, &session) {
                (_, Some((cookie, csrf))) => {
                    r = r.header("cookie", cookie).header("x-csrf-token", csrf);
                }
                (BadToken, _) => r = r.header("authorization", "Bearer am_0000_0000"),
                (Resident, _) => r = r.header("cookie", "assetmap_form=0123456789abcdef"),
                _ => {}
            }
            if let Some(id) = if_match {
                r = r.header("if-match", revision(id));
            }
            let body = match body {
                Sent::Nothing => Body::empty(),
                Sent::Json(v) => {
                    let media = if method == "PATCH" {
                        "application/merge-patch+json"
                    } else {
                        "application/json"
                    };
                    r = r.header("content-type", media);
                    Body::from(v.to_string())
                }
                Sent::Form(f) => {
                    r = r.header("content-type", "application/x-www-form-urlencoded");
                    let csrf = session.as_ref().map_or("", |s| s.1.as_str());
                    Body::from(format!("{f}&csrf={csrf}"))
                }
            };
            let a = send(&app, r.body(body).unwrap());
            let refused = matches!(a.status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN);
            assert_eq!(
                !refused,
                allowed.contains(&caller),
                "{caller:?} {method} {path}: {} {}",
                a.status,
                a.text()
            );
            if refused {
                // Who they are is not known: 401. Known, not allowed: 403.
                let expected = if session.is_some() {
                    StatusCode::FORBIDDEN
                } else {
                    StatusCode::UNAUTHORIZED
                };
                assert_eq!(
                    a.status,
                    expected,
                    "{caller:?} {method} {path}: {}",
                    a.text()
                );
            }
        }
    }
}

/// Signs someone in through the form; returns the cookie header and CSRF token.
fn sign_in_as(app: &App, name: &str, password: &str) -> (String, String) {
    let r = Request::builder()
        .method("POST")
        .uri("/signin")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(format!("name={name}&password={password}")))
        .unwrap();
    let signed = send(app, r);
    assert_eq!(signed.status, StatusCode::SEE_OTHER, "{name} signs in");
    let cookie = signed.headers["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let r = Request::builder()
        .uri("/api/session")
        .header("cookie", &cookie)
        .body(Body::empty())
        .unwrap();
    let csrf = send(app, r).json()["csrf"].as_str().unwrap().to_string();
    (cookie, csrf)
}

/// A signed-in write: the session cookie and its CSRF header.
fn as_session(
    app: &App,
    (cookie, csrf): &(String, String),
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> Answer {
    let mut r = Request::builder()
        .method(method)
        .uri(uri)
        .header("cookie", cookie)
        .header("x-csrf-token", csrf);
    for (k, v) in headers {
        r = r.header(*k, *v);
    }
    let body = body.map_or(Body::empty(), |v| Body::from(v.to_string()));
    send(app, r.body(body).unwrap())
}

#[test]
fn stewards_keep_their_own_organisations_entries_current_and_nothing_else() {
    let app = app();
    let d = app.state.dataset();
    let ours = d
        .assets
        .iter()
        .find(|a| {
            a.details.organisation.as_deref() == Some("Fictionford Council for Voluntary Service")
        })
        .unwrap()
        .clone();
    let other = first_of(&d, "gp");
    drop(d);
    // Invited by an officer; nobody else may invite.
    let invite =
        json!({"name": "cvs-steward", "organisation": "Fictionford Council for Voluntary Service"});
    assert_eq!(
        call(&app, "POST", "/api/stewards", None, Some(invite.clone())).status,
        StatusCode::UNAUTHORIZED
    );
    let made = call(
        &app,
        "POST",
        "/api/stewards",
        Some(&app.editor),
        Some(invite.clone()),
    );
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text());
    let password = made.json()["password"].as_str().unwrap().to_string();
    assert_eq!(
        call(
            &app,
            "POST",
            "/api/stewards",
            Some(&app.editor),
            Some(invite)
        )
        .status,
        StatusCode::CONFLICT
    );
    let other_invite = json!({"name": "youth-steward", "organisation": "Fictionford Youth Trust"});
    let other_password = call(
        &app,
        "POST",
        "/api/stewards",
        Some(&app.admin),
        Some(other_invite),
    )
    .json()["password"]
        .as_str()
        .unwrap()
        .to_string();
    let steward = sign_in_as(&app, "cvs-steward", &password);
    let stranger = sign_in_as(&app, "youth-steward", &other_password);
    // A steward cannot invite.
    assert_eq!(
        as_session(
            &app,
            &steward,
            "POST",
            "/api/stewards",
            &[("content-type", "application/json")],
            Some(json!({"name": "x", "organisation": "y"}))
        )
        .status,
        StatusCode::FORBIDDEN
    );
    let patch = |who: &(String, String), id: &str, body: Value| {
        let rev = app.state.catalog.row(id).unwrap().revision;
        as_session(
            &app,
            who,
            "PATCH",
            &format!("/collections/assets/items/{}", id.replace(':', "%3A")),
            &[
                ("content-type", "application/merge-patch+json"),
                ("if-match", &format!("\"r{rev}\"")),
            ],
            Some(body),
        )
    };
    // Its own entry: edited directly, live at once, logged.
    let ok = patch(
        &steward,
        &ours.id,
        json!({"properties": {"phone": "01632 960444"}}),
    );
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text());
    assert_eq!(
        app.state
            .dataset()
            .entry(&ours.id)
            .unwrap()
            .phone
            .as_deref(),
        Some("01632 960444")
    );
    let h = call(
        &app,
        "GET",
        &format!("/api/assets/{}/history", ours.id.replace(':', "%3A")),
        None,
        None,
    )
    .json();
    assert_eq!(
        h["revisions"].as_array().unwrap().last().unwrap()["actor"],
        "user:cvs-steward"
    );
    // Not another organisation's, not to hand it to another, not by another steward.
    assert_eq!(
        patch(
            &steward,
            &other.id,
            json!({"properties": {"phone": "01632 960555"}})
        )
        .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        patch(
            &steward,
            &ours.id,
            json!({"properties": {"organisation": "Someone Else"}})
        )
        .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        patch(
            &stranger,
            &ours.id,
            json!({"properties": {"phone": "01632 960666"}})
        )
        .status,
        StatusCode::FORBIDDEN
    );
    // Retiring and creating are for officers.
    let rev = app.state.catalog.row(&ours.id).unwrap().revision;
    let retire = as_session(
        &app,
        &steward,
        "DELETE",
        &format!("/collections/assets/items/{}", ours.id.replace(':', "%3A")),
        &[("if-match", &format!("\"r{rev}\""))],
        None,
    );
    assert_eq!(retire.status, StatusCode::FORBIDDEN);
    // "Still correct" sets the last check to today.
    let confirm = |who: &(String, String), id: &str| {
        as_session(
            &app,
            who,
            "POST",
            &format!("/api/assets/{}/confirm", id.replace(':', "%3A")),
            &[],
            None,
        )
        .status
    };
    assert_eq!(confirm(&steward, &ours.id), StatusCode::OK);
    assert_eq!(
        app.state.dataset().entry(&ours.id).unwrap().verified_at,
        Some(
            chrono::Utc::now()
                .date_naive()
                .format("%Y-%m-%d")
                .to_string()
        )
    );
    assert_eq!(confirm(&steward, &other.id), StatusCode::FORBIDDEN);
    assert_eq!(confirm(&stranger, &ours.id), StatusCode::FORBIDDEN);
    assert_eq!(
        call(
            &app,
            "POST",
            &format!("/api/assets/{}/confirm", other.id.replace(':', "%3A")),
            None,
            None
        )
        .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        call(
            &app,
            "POST",
            &format!("/api/assets/{}/confirm", other.id.replace(':', "%3A")),
            Some(&app.editor),
            None
        )
        .status,
        StatusCode::OK
    );
    // Stewards have no moderation desk.
    assert_eq!(
        desk(&app, "GET", "/manage", Some(&steward.0), None).status,
        StatusCode::FORBIDDEN
    );
}

#[test]
fn a_place_closed_for_now_stays_on_the_map_marked_closed_and_can_open_again() {
    let app = app();
    let library = first_of(&app.state.dataset(), "library");
    let status_of = |app: &App| {
        app.state
            .dataset()
            .entry(&library.id)
            .map(|a| a.status.as_str())
    };
    // The form offers both, in plain words; "open again" only once closed.
    let page = call(
        &app,
        "GET",
        &format!("/suggest?asset={}", library.id.replace(':', "%3A")),
        None,
        None,
    );
    let html = page.text();
    assert!(html.contains("value=\"closed_for_now\"") && html.contains("It has closed for good"));
    assert!(!html.contains("value=\"reopened\""));
    // The map to show where it has moved starts where it is now.
    assert!(
        html.contains(&format!(
            "id=\"pick-map\" class=\"pick-map\" data-lon=\"{:.6}\" data-lat=\"{:.6}\"",
            library.lonlat.x, library.lonlat.y
        )),
        "{html}"
    );
    let token = page.headers["set-cookie"].to_str().unwrap();
    let token = token.split(';').next().unwrap().split('=').nth(1).unwrap();
    let cookie = format!("assetmap_form={token}");
    let sent = post_form(
        &app,
        Some(&cookie),
        &[
            ("csrf", token),
            ("asset_id", &library.id),
            ("kind", "closed_for_now"),
            ("note", "Shut for repairs until March"),
        ],
        &[],
    );
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.text());
    let reference = sent.headers["location"].to_str().unwrap()[15..30].to_string();
    // The desk shows it as closed for now, and approving keeps it on the map.
    let (desk_cookie, csrf) = sign_in(&app);
    let item = desk(
        &app,
        "GET",
        &format!("/manage/{reference}"),
        Some(&desk_cookie),
        None,
    )
    .text();
    assert!(
        item.contains("<td>Closed for now</td>")
            && item.contains("value=\"temporarily_closed\" selected"),
        "{item}"
    );
    let approved = desk(
        &app,
        "POST",
        &format!("/manage/{reference}"),
        Some(&desk_cookie),
        Some(&format!(
            "csrf={csrf}&action=approve&closed=temporarily_closed"
        )),
    );
    assert_eq!(
        approved.status,
        StatusCode::SEE_OTHER,
        "{}",
        approved.text()
    );
    assert_eq!(status_of(&app), Some("temporarily_closed"));
    let c = call(
        &app,
        "GET",
        &format!("/api/contributions/{reference}"),
        None,
        None,
    )
    .json();
    assert_eq!(c["status"], "approved", "{c}");
    let nearby = call(
        &app,
        "GET",
        &format!(
            "/api/nearby?lon={}&lat={}&radius_m=50&category=library",
            library.lonlat.x, library.lonlat.y
        ),
        None,
        None,
    )
    .json();
    assert!(
        nearby.to_string().contains("temporarily_closed"),
        "{nearby}"
    );
    // Now the form offers "open again"; a resident says so; approved, open.
    let html = call(
        &app,
        "GET",
        &format!("/suggest?asset={}", library.id.replace(':', "%3A")),
        None,
        None,
    )
    .text();
    assert!(html.contains("value=\"reopened\""), "{html}");
    let open_again = suggest(
        &app,
        json!({"kind": "change", "asset_id": library.id, "status": "active", "note": "open again from today"}),
    );
    assert_eq!(
        open_again.status,
        StatusCode::CREATED,
        "{}",
        open_again.text()
    );
    decide(
        &app,
        open_again.json()["reference"].as_str().unwrap(),
        json!({"decision": "approve"}),
    );
    assert_eq!(status_of(&app), Some("active"));
    // An officer may judge a "for now" closure to be for good.
    let r = suggest(
        &app,
        json!({"kind": "closure", "asset_id": library.id, "status": "temporarily_closed"}),
    )
    .json();
    let done = decide(
        &app,
        r["reference"].as_str().unwrap(),
        json!({"decision": "approve", "edits": {"status": "retired"}}),
    )
    .json();
    assert_eq!(done["status"], "changed_and_approved", "{done}");
    assert_eq!(status_of(&app), None, "retired: off the map");
    // Statuses that make no sense for the kind are refused, by field.
    for (body, field) in [
        (
            json!({"kind": "new", "name": "X", "category": "advice", "postcode": example_postcode(&app), "status": "temporarily_closed"}),
            "status",
        ),
        (
            json!({"kind": "change", "asset_id": app.state.dataset().assets[0].id, "status": "retired"}),
            "status",
        ),
        (
            json!({"kind": "closure", "asset_id": app.state.dataset().assets[0].id, "status": "active"}),
            "status",
        ),
        (
            json!({"kind": "closure", "asset_id": app.state.dataset().assets[0].id, "status": "shut"}),
            "body",
        ),
    ] {
        let a = suggest(&app, body.clone());
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(a.text().contains(field), "{body}: {}", a.text());
    }
}

#[test]
fn a_steward_keeps_their_entries_current_on_their_own_page() {
    let app = app();
    let d = app.state.dataset();
    let org = "Fictionford Council for Voluntary Service";
    let ours: Vec<_> = d
        .entries()
        .filter(|a| a.details.organisation.as_deref() == Some(org))
        .cloned()
        .collect();
    let other = first_of(&d, "gp");
    drop(d);
    assert!(!ours.is_empty());
    let entry = ours[0].clone();
    let seg = |id: &str| {
        form_urlencoded::byte_serialize(id.as_bytes())
            .collect::<String>()
            .replace('+', "%20")
    };
    // Not signed in: sent to sign in.
    assert_eq!(
        desk(&app, "GET", "/our-entries", None, None).status,
        StatusCode::UNAUTHORIZED
    );
    let invite = |name: &str, organisation: &str| {
        call(
            &app,
            "POST",
            "/api/stewards",
            Some(&app.editor),
            Some(json!({"name": name, "organisation": organisation})),
        )
        .json()["password"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let password = invite("cvs-steward", org);
    let other_password = invite("youth-steward", "Fictionford Youth Trust");
    let (cookie, csrf) = sign_in_as(&app, "cvs-steward", &password);
    let (stranger, stranger_csrf) = sign_in_as(&app, "youth-steward", &other_password);
    let account = desk(&app, "GET", "/account", Some(&cookie), None).text();
    assert!(account.contains("href=\"/our-entries\""), "{account}");
    // Their entries, and nobody else's.
    let list = desk(&app, "GET", "/our-entries", Some(&cookie), None);
    assert_eq!(list.status, StatusCode::OK);
    let html = list.text();
    assert!(
        html.contains(&format!(
            "<caption>Entries of {org} ({})</caption>",
            ours.len()
        )),
        "{html}"
    );
    assert!(html.contains(&format!("href=\"/our-entries/{}\"", seg(&entry.id))));
    assert!(!html.contains(&other.id));
    let theirs = desk(&app, "GET", "/our-entries", Some(&stranger), None).text();
    assert!(
        !theirs.contains(&entry.id),
        "another organisation's steward sees none of them"
    );
    // The form: theirs opens, another's is refused (reading and writing).
    let form = desk(
        &app,
        "GET",
        &format!("/our-entries/{}", seg(&entry.id)),
        Some(&cookie),
        None,
    );
    assert_eq!(form.status, StatusCode::OK);
    let revision = app.state.catalog.row(&entry.id).unwrap().revision;
    assert!(
        form.text()
            .contains(&format!("name=\"revision\" value=\"{revision}\""))
    );
    assert_eq!(
        desk(
            &app,
            "GET",
            &format!("/our-entries/{}", seg(&other.id)),
            Some(&cookie),
            None
        )
        .status,
        StatusCode::FORBIDDEN
    );
    let post = |who: &str, id: &str, fields: &[(&str, &str)]| {
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields.iter().copied())
            .finish();
        desk(
            &app,
            "POST",
            &format!("/our-entries/{}", seg(id)),
            Some(who),
            Some(&body),
        )
    };
    let rev = revision.to_string();
    let edit = |csrf: &str, phone: &str, name: &str| {
        vec![
            ("csrf", csrf.to_string()),
            ("action", "save".into()),
            ("revision", rev.clone()),
            ("name", name.into()),
            ("phone", phone.into()),
            ("status", "active".into()),
            (
                "description",
                "Help with forms, <b>benefits</b> and =SUM(A1)".into(),
            ),
        ]
    };
    let refs = |v: &Vec<(&'static str, String)>| {
        v.iter()
            .map(|(k, v)| (*k, v.clone()))
            .collect::<Vec<(&str, String)>>()
    };
    let send = |who: &str, id: &str, v: Vec<(&'static str, String)>| {
        let owned = refs(&v);
        let pairs: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (*k, v.as_str())).collect();
        post(who, id, &pairs)
    };
    assert_eq!(
        send(
            &stranger,
            &entry.id,
            edit(&stranger_csrf, "01632 960111", &entry.name)
        )
        .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        send(&cookie, &other.id, edit(&csrf, "01632 960111", &other.name)).status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        send(
            &cookie,
            &entry.id,
            edit("not-the-token", "01632 960111", &entry.name)
        )
        .status,
        StatusCode::FORBIDDEN,
        "no CSRF token, no change"
    );
    // A bad phone number: the error beside the field, what was typed kept.
    let bad = send(&cookie, &entry.id, edit(&csrf, "call us", &entry.name));
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = bad.text();
    assert!(
        html.contains("id=\"phone-error\"") && html.contains("value=\"call us\""),
        "{html}"
    );
    assert!(html.contains("&lt;b&gt;benefits&lt;/b&gt;"), "escaped");
    // Two wrong at once: both named, beside their fields and at the top.
    let mut two = edit(&csrf, "call us", &entry.name);
    two.push(("website", "javascript:alert(1)".into()));
    let bad = send(&cookie, &entry.id, two);
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = bad.text();
    for f in ["phone", "website"] {
        assert!(
            html.contains(&format!("id=\"{f}-error\""))
                && html.contains(&format!("<a href=\"#field-{f}\">")),
            "{f}: {html}"
        );
    }
    // Saved: live at once, logged with the steward's name, checked today.
    let hostile = "<script>alert(1)</script> Advice Drop-in";
    let ok = send(&cookie, &entry.id, edit(&csrf, "01632 960111", hostile));
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text());
    let now = app.state.dataset().entry(&entry.id).unwrap().clone();
    assert_eq!(now.phone.as_deref(), Some("01632 960111"));
    assert_eq!(now.name, hostile);
    assert_eq!(
        now.verified_at.as_deref(),
        Some(assetmap::catalog::time::today().as_str())
    );
    let h = call(
        &app,
        "GET",
        &format!("/api/assets/{}/history", seg(&entry.id)),
        None,
        None,
    )
    .json();
    assert_eq!(
        h["revisions"].as_array().unwrap().last().unwrap()["actor"],
        "user:cvs-steward"
    );
    let list = desk(
        &app,
        "GET",
        ok.headers["location"].to_str().unwrap(),
        Some(&cookie),
        None,
    )
    .text();
    assert!(
        list.contains("&lt;script&gt;alert(1)&lt;/script&gt; Advice Drop-in is saved"),
        "{list}"
    );
    assert!(!list.contains("<script>alert"));
    // The same form again, from before that save: refused as out of date.
    let stale = send(&cookie, &entry.id, edit(&csrf, "01632 960222", &entry.name));
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert!(
        stale
            .text()
            .contains("Someone changed this entry while you were editing it")
    );
    // Closed for now, from the form.
    let rev = app
        .state
        .catalog
        .row(&entry.id)
        .unwrap()
        .revision
        .to_string();
    let mut closing = edit(&csrf, "01632 960111", hostile);
    closing[2] = ("revision", rev);
    closing[5] = ("status", "temporarily_closed".into());
    assert_eq!(
        send(&cookie, &entry.id, closing).status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        app.state
            .dataset()
            .entry(&entry.id)
            .unwrap()
            .status
            .as_str(),
        "temporarily_closed"
    );
    // "Still correct" on another of theirs sets its last check to today.
    if let Some(second) = ours.get(1) {
        let checked = post(
            &cookie,
            &second.id,
            &[("csrf", &csrf), ("action", "confirm")],
        );
        assert_eq!(checked.status, StatusCode::SEE_OTHER);
        assert_eq!(
            app.state
                .dataset()
                .entry(&second.id)
                .unwrap()
                .verified_at
                .as_deref(),
            Some(assetmap::catalog::time::today().as_str())
        );
    }
    // An officer is pointed to the desk instead.
    let (officer, _) = sign_in(&app);
    let page = desk(&app, "GET", "/our-entries", Some(&officer), None).text();
    assert!(page.contains("href=\"/manage\"") && !page.contains(&entry.id));
}

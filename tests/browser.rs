//! The web pages in a real browser: Debian's Chromium driven by
//! playwright-core runs the end-to-end tests in `web/e2e/` against the demo
//! town served in-process. Needs `chromium` and `npm ci` in `web/` (both done
//! by `.ci/run`). With `CHROMIUM` set (as `.ci/run` does) a missing browser or
//! test package is a failure; without it, the test skips when they are missing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use assetmap::http::AppState;
use assetmap::http::web::{Basemap, WebOptions};
use assetmap::ingest::Quiet;

/// The browser to drive, or `None` (skip) when none is installed and none was asked for.
fn chromium() -> Option<PathBuf> {
    let web = Path::new(env!("CARGO_MANIFEST_DIR")).join("web");
    let playwright = web.join("node_modules/playwright-core/package.json");
    match std::env::var_os("CHROMIUM") {
        Some(path) => {
            let path = PathBuf::from(path);
            assert!(
                path.exists(),
                "CHROMIUM={} does not exist: install Debian's chromium",
                path.display()
            );
            assert!(
                playwright.exists(),
                "web/node_modules has no playwright-core: run `npm ci` in web/"
            );
            Some(path)
        }
        None => {
            let path = PathBuf::from("/usr/bin/chromium");
            if path.exists() && playwright.exists() {
                Some(path)
            } else {
                eprintln!(
                    "skipping the browser tests: no /usr/bin/chromium or no web/node_modules/playwright-core (set CHROMIUM to require them)"
                );
                None
            }
        }
    }
}

#[test]
fn web_pages_pass_their_browser_tests() {
    let Some(browser) = chromium() else { return };
    let dataset = Arc::new(
        assetmap::demo::load(&Quiet)
            .expect("the demo loads")
            .dataset,
    );
    // A base map that is configured but off: the pages must still make no
    // request to any other host until a user turns it on.
    let basemap =
        Basemap::new("https://tiles.example.org/{z}/{x}/{y}.png", "Example tiles").unwrap();
    // No per-client limit: every test here comes from one address.
    let state = AppState::new(dataset)
        .with_web(WebOptions::new(Some(basemap), None))
        .with_contribution_rate(1000.0, 0);
    // An officer's token, for the contribution tests to approve with.
    let (record, editor_token) =
        assetmap::catalog::auth::new_token("e2e-officer", assetmap::catalog::Role::Editor).unwrap();
    state.catalog.with_store(|s| s.put_token(&record)).unwrap();
    // And an officer who signs in, for the moderation desk.
    let officer = assetmap::catalog::auth::new_user(
        "e2e-desk",
        assetmap::catalog::Role::Editor,
        "a long e2e password",
    )
    .unwrap();
    state.catalog.with_store(|s| s.put_user(&officer)).unwrap();
    // And a community group's steward, who keeps its own entries current.
    let steward = assetmap::catalog::auth::new_user(
        "e2e-steward",
        assetmap::catalog::Role::Steward,
        "a long steward password",
    )
    .unwrap();
    state
        .catalog
        .with_store(|s| {
            s.put_user(&steward)?;
            s.put_steward("e2e-steward", "Fictionford Council for Voluntary Service")
        })
        .unwrap();
    let address = common::serve(state);
    // A second server whose pages draw the map from a PMTiles archive.
    let archive_dir = tempfile::tempdir().unwrap();
    let archive = archive_dir.path().join("demo.pmtiles");
    let demo = assetmap::demo::load(&Quiet)
        .expect("the demo loads")
        .dataset;
    let snapshot = assetmap::catalog::Catalog::in_memory(demo)
        .unwrap()
        .snapshot();
    let source =
        assetmap::tiles::TileSource::new(&snapshot, assetmap::tiles::cluster::DEFAULT_MAX_ZOOM);
    use assetmap::tiles::TileLayer;
    let (bytes, _) = assetmap::tiles::pmtiles::export(
        &snapshot,
        &source,
        &[TileLayer::SmallAreas, TileLayer::Wards, TileLayer::Assets],
        0,
        14,
        |_, _| {},
    );
    std::fs::write(&archive, bytes).unwrap();
    let archive_state = AppState::new(snapshot).with_web(
        WebOptions::new(None, None)
            .with_tiles_archive(archive)
            .unwrap(),
    );
    let archive_address = common::serve(archive_state);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let artifacts = root.join("target/e2e-artifacts");
    // ASSETMAP_E2E_ONLY=contribute runs only the files whose names hold it
    // (while working on one page); the screenshots are then not checked.
    let only = std::env::var("ASSETMAP_E2E_ONLY").ok();
    let mut files: Vec<String> = std::fs::read_dir(root.join("web/e2e"))
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|name| name.ends_with(".test.mjs"))
        .filter(|name| only.as_deref().is_none_or(|o| name.contains(o)))
        .map(|name| format!("e2e/{name}"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 3 || only.is_some(),
        "the browser tests are in web/e2e: {files:?}"
    );
    let output = Command::new("node")
        .args(["--test", "--test-concurrency=1", "--test-reporter=spec"])
        .args(&files)
        .current_dir(root.join("web"))
        .env("ASSETMAP_URL", format!("http://{address}"))
        .env("CHROMIUM", &browser)
        .env("ASSETMAP_ARTIFACTS", &artifacts)
        .env("ASSETMAP_ARCHIVE_URL", format!("http://{archive_address}"))
        .env("ASSETMAP_EDITOR_TOKEN", &editor_token)
        .env("ASSETMAP_DESK_USER", "e2e-desk")
        .env("ASSETMAP_DESK_PASSWORD", "a long e2e password")
        .env("ASSETMAP_STEWARD_USER", "e2e-steward")
        .env("ASSETMAP_STEWARD_PASSWORD", "a long steward password")
        // With CHROMIUM set (as CI does), the print test's tools must be there too.
        .env(
            "ASSETMAP_REQUIRE_PRINT_TOOLS",
            if std::env::var_os("CHROMIUM").is_some() {
                "1"
            } else {
                "0"
            },
        )
        .output()
        .expect("node runs (install Node.js)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}\n{stderr}");
    assert!(
        output.status.success(),
        "browser tests failed:\n{stdout}\n{stderr}"
    );
    if only.is_some() {
        return;
    }
    for name in [
        "resident-desktop",
        "resident-phone",
        "planner-desktop",
        "planner-phone",
    ] {
        let shot = artifacts.join(format!("{name}.png"));
        let size = std::fs::metadata(&shot).map(|m| m.len()).unwrap_or(0);
        assert!(
            size > 10_000,
            "screenshot {} is missing or empty",
            shot.display()
        );
    }
}

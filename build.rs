//! Makes sure the web pages' one third-party library, MapLibre GL JS, is in
//! `web/node_modules` (from npm, pinned by `web/package-lock.json`), so that
//! `src/web.rs` can embed it in the binary. Runs `npm ci` when it is missing
//! or older than the lockfile.

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo::rerun-if-changed=web/package-lock.json");
    println!("cargo::rerun-if-changed=web/node_modules/.package-lock.json");
    let web = Path::new("web");
    let installed = web.join("node_modules/.package-lock.json");
    let library = web.join("node_modules/maplibre-gl/dist/maplibre-gl.mjs");
    let stale = match (
        modified(&installed),
        modified(&web.join("package-lock.json")),
    ) {
        (Some(have), Some(want)) => have < want,
        _ => true,
    };
    let archive_reader = web.join("node_modules/pmtiles/dist/pmtiles.js");
    if library.exists() && archive_reader.exists() && !stale {
        return;
    }
    let npm = if cfg!(windows) { "npm.cmd" } else { "npm" };
    let status = Command::new(npm)
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(web)
        .status();
    match status {
        Ok(s) if s.success() && library.exists() => {}
        Ok(s) => panic!(
            "`npm ci` in web/ failed ({s}); the web pages need MapLibre GL JS from the npm registry. Run `cd web && npm ci` to see why."
        ),
        Err(e) => panic!(
            "could not run npm ({e}); the web pages need MapLibre GL JS from the npm registry: install Node.js with npm, then build again"
        ),
    }
}

fn modified(path: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).ok()?.modified().ok()
}

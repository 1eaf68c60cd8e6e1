//! What the benchmarks share.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// A manifest from `manifests/` with its paths pointed at `ASSETMAP_REAL_DATA`.
pub fn real_manifest(name: &str) -> Option<PathBuf> {
    let data = PathBuf::from(std::env::var_os("ASSETMAP_REAL_DATA")?)
        .canonicalize()
        .ok()?;
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("manifests")
            .join(name),
    )
    .ok()?;
    let path = std::env::temp_dir().join(format!("assetmap-bench-{name}"));
    std::fs::write(
        &path,
        text.replace("../../shared/data", &data.display().to_string()),
    )
    .ok()?;
    Some(path)
}

//! Fictionford, the built-in demo dataset: its generator, and the generated
//! files (checked in under `data/demo/`) compiled into the binary so that
//! `assetmap serve` works anywhere without arguments.

mod generate;

use std::path::Path;

pub use generate::generate;

use crate::ingest::{self, EmbeddedFiles, ImportFailure, Loaded, Progress};

/// Name the demo manifest is reported under.
pub const DEMO_MANIFEST: &str = "built-in demo (data/demo/manifest.toml)";

macro_rules! demo_files {
    ($($name:literal),* $(,)?) => {
        /// The checked-in demo files, by manifest path.
        pub static FILES: &[(&str, &[u8])] = &[
            $(($name, include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/data/demo/", $name)))),*
        ];
    };
}

demo_files!(
    "manifest.toml",
    "wards.geojson",
    "small_areas.geojson",
    "deprivation.csv",
    "population.csv",
    "postcodes.csv",
    "gp_practices.csv",
    "pharmacies.csv",
    "libraries.csv",
    "food_banks.geojson",
    "community_directory.geojson",
    "directory_oruk.json",
    "givefood.json",
);

/// Loads the built-in demo dataset.
pub fn load(progress: &dyn Progress) -> Result<Loaded, ImportFailure> {
    let manifest = FILES
        .iter()
        .find(|(name, _)| *name == "manifest.toml")
        .map(|(_, bytes)| String::from_utf8_lossy(bytes).into_owned())
        .unwrap_or_default();
    ingest::load(&manifest, DEMO_MANIFEST, &EmbeddedFiles(FILES), progress)
}

/// Writes freshly generated demo files into `dir`.
pub fn write(dir: &Path) -> std::io::Result<Vec<String>> {
    std::fs::create_dir_all(dir)?;
    let mut written = Vec::new();
    for (name, text) in generate() {
        std::fs::write(dir.join(name), text)?;
        written.push(name.to_string());
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checked_in_demo_is_what_the_generator_makes() {
        let fresh = generate();
        assert_eq!(fresh.len(), FILES.len(), "every generated file is embedded");
        for (name, bytes) in FILES {
            let expected = fresh
                .get(name)
                .unwrap_or_else(|| panic!("{name} is not generated"));
            assert!(
                expected.as_bytes() == *bytes,
                "data/demo/{name} differs from the generator's output: run `cargo run -- demo-data data/demo`"
            );
        }
    }
}

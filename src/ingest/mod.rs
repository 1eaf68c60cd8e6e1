//! Importing a council's files: the manifest, GeoJSON/CSV/postcode readers,
//! validation, the joins, and the import report.
//!
//! [`load`] reads every file the manifest names, checks it, joins small areas
//! to deprivation and population, assigns wards, geocodes and places assets,
//! rolls deprivation up to wards and builds the indexes. It never panics on
//! bad input: each row or feature it cannot use is skipped and reported with
//! file, row or feature, and reason; problems that make the dataset unusable
//! stop it with an [`ImportFailure`].

mod areas;
mod assets;
pub mod fetch;
mod geojson;
pub mod givefood;
mod join;
pub mod manifest;
pub mod oruk;
mod records;
pub mod report;
pub mod text;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::model::{Dataset, DatasetInfo, SourceInfo, Vintages};
pub use manifest::Manifest;
pub use report::{ImportFailure, ImportReport, Problem, Severity, SourceReport};

/// Where input files come from: the disk beside the manifest, or the binary.
pub trait Files {
    /// The bytes of a file named by a manifest path.
    fn read(&self, path: &str) -> std::io::Result<Vec<u8>>;
}

/// Largest input file read by default: 4 GiB, well above ONS's
/// full-resolution national boundaries (about 1 GB as GeoJSON).
pub const DEFAULT_MAX_FILE_BYTES: u64 = 4 << 30;

/// Largest manifest read.
pub const MAX_MANIFEST_BYTES: u64 = 1 << 20;

/// Files on disk, relative to a base folder (the manifest's). Only regular
/// files are read (not folders, devices or pipes, which could be read
/// forever), and none larger than `max_bytes`.
pub struct DiskFiles {
    /// Folder manifest paths are relative to.
    pub base: PathBuf,
    /// Largest file read, bytes.
    pub max_bytes: u64,
}

impl DiskFiles {
    /// Files under `base`, at most [`DEFAULT_MAX_FILE_BYTES`] each.
    pub fn new(base: PathBuf) -> DiskFiles {
        DiskFiles {
            base,
            max_bytes: DEFAULT_MAX_FILE_BYTES,
        }
    }
}

impl Files for DiskFiles {
    fn read(&self, path: &str) -> std::io::Result<Vec<u8>> {
        use std::io::{Error, ErrorKind, Read};
        let full = self.base.join(path);
        let metadata = std::fs::metadata(&full)?;
        if !metadata.is_file() {
            let what = if metadata.is_dir() {
                "a folder"
            } else {
                "not a regular file (a device, pipe or socket)"
            };
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!("it is {what}; name a data file"),
            ));
        }
        let too_big = |len: u64| {
            Error::new(
                ErrorKind::InvalidData,
                format!(
                    "it is {:.1} MB, more than the {:.0} MB a file may be",
                    len as f64 / 1e6,
                    self.max_bytes as f64 / 1e6
                ),
            )
        };
        if metadata.len() > self.max_bytes {
            return Err(too_big(metadata.len()));
        }
        // The file may grow while it is read: read one byte past the cap at most.
        let mut bytes = Vec::with_capacity(metadata.len() as usize);
        std::fs::File::open(&full)?
            .take(self.max_bytes + 1)
            .read_to_end(&mut bytes)?;
        if bytes.len() as u64 > self.max_bytes {
            return Err(too_big(bytes.len() as u64));
        }
        Ok(bytes)
    }
}

/// Files compiled into the binary, by manifest path.
pub struct EmbeddedFiles(pub &'static [(&'static str, &'static [u8])]);

impl Files for EmbeddedFiles {
    fn read(&self, path: &str) -> std::io::Result<Vec<u8>> {
        self.0
            .iter()
            .find(|(name, _)| *name == path)
            .map(|(_, bytes)| bytes.to_vec())
            .ok_or_else(|| {
                std::io::Error::new(std::io::ErrorKind::NotFound, "not in the built-in dataset")
            })
    }
}

/// Told about each stage of a long import, to show progress on a terminal.
pub trait Progress {
    /// Stage `step` of `total` is starting.
    fn stage(&self, step: usize, total: usize, what: &str);
}

/// Progress that shows nothing.
pub struct Quiet;

impl Progress for Quiet {
    fn stage(&self, _: usize, _: usize, _: &str) {}
}

/// A dataset and the report of loading it.
#[derive(Debug)]
pub struct Loaded {
    /// The joined, indexed dataset.
    pub dataset: Dataset,
    /// What was loaded and skipped, and why.
    pub report: ImportReport,
}

/// Shared state while loading: file access, the report, the content hash.
pub(crate) struct Ctx<'a> {
    files: &'a dyn Files,
    pub manifest: String,
    pub report: ImportReport,
    hasher: Sha256,
    progress: &'a dyn Progress,
    step: usize,
    total_steps: usize,
    pub sources: Vec<SourceInfo>,
    current: Option<(String, std::time::Instant)>,
}

impl Ctx<'_> {
    /// Reads a file; a missing or unreadable file is fatal.
    pub fn read(&mut self, path: &str) -> Result<Vec<u8>, Problem> {
        let bytes = self.files.read(path).map_err(|e| Problem {
            severity: Severity::Fatal,
            file: path.to_string(),
            location: None,
            message: format!("cannot read the file: {e}"),
        })?;
        self.hasher.update(path.as_bytes());
        self.hasher.update((bytes.len() as u64).to_le_bytes());
        self.hasher.update(&bytes);
        Ok(bytes)
    }

    /// Records a problem.
    pub fn problem(
        &mut self,
        severity: Severity,
        file: &str,
        location: Option<String>,
        message: String,
    ) {
        self.report.problems.push(Problem {
            severity,
            file: file.to_string(),
            location,
            message,
        });
    }

    /// Records a skipped row or feature and counts it under `reason`.
    pub fn skip(
        &mut self,
        source: &mut SourceReport,
        location: String,
        reason: &str,
        message: String,
    ) {
        source.skipped += 1;
        *source
            .skipped_by_reason
            .entry(reason.to_string())
            .or_insert(0) += 1;
        let file = source.path.clone();
        self.problem(Severity::Skipped, &file, Some(location), message);
    }

    /// Files a table's parse problems under a source: rows they cost are
    /// counted as read and skipped, so every row is accounted for.
    pub(crate) fn absorb(&mut self, source: &mut SourceReport, problems: records::TableProblems) {
        for p in problems.0 {
            if p.rows > 0 {
                source.read += p.rows;
                source.skipped += p.rows;
                *source
                    .skipped_by_reason
                    .entry(p.reason.to_string())
                    .or_insert(0) += p.rows;
            }
            self.report.problems.push(p.problem);
        }
    }

    /// Announces the next stage (and logs how long the previous one took).
    pub fn stage(&mut self, what: &str) {
        let now = std::time::Instant::now();
        if let Some((previous, started)) = self.current.take() {
            tracing::debug!(stage = %previous, ms = now.duration_since(started).as_millis() as u64, "import stage done");
        }
        self.current = Some((what.to_string(), now));
        self.step += 1;
        self.progress.stage(self.step, self.total_steps, what);
    }

    /// Files a finished source report (and its summary for `/api/dataset`).
    pub fn finish(&mut self, source: SourceReport, vintage: Option<String>) {
        // Every row read is loaded, filtered or skipped: checked in every
        // test (debug builds), and reported rather than hidden otherwise.
        debug_assert!(source.balanced(), "rows unaccounted for: {source:?}");
        if !source.balanced() {
            let message = format!(
                "{} rows read but {} loaded, {} filtered and {} skipped (please report this)",
                source.read, source.loaded, source.filtered, source.skipped
            );
            self.problem(Severity::Warning, &source.path, None, message);
        }
        self.sources.push(SourceInfo {
            name: source.name.clone(),
            layer: source.layer.clone(),
            path: source.path.clone(),
            loaded: source.loaded,
            vintage,
        });
        self.report.sources.push(source);
    }

    /// A fatal problem in the manifest itself.
    pub fn manifest_error(&self, key: &str, message: String) -> Problem {
        Problem {
            severity: Severity::Fatal,
            file: self.manifest.clone(),
            location: Some(format!("key {key}")),
            message,
        }
    }
}

/// Loads the dataset a manifest file describes; paths are relative to the manifest.
pub fn load_path(manifest: &Path, progress: &dyn Progress) -> Result<Loaded, ImportFailure> {
    let name = manifest.display().to_string();
    let text = DiskFiles {
        base: PathBuf::new(),
        max_bytes: MAX_MANIFEST_BYTES,
    }
    .read(&manifest.to_string_lossy())
    .and_then(|bytes| {
        String::from_utf8(bytes).map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::InvalidData, "it is not UTF-8 text")
        })
    });
    let text = text.map_err(|e| ImportFailure {
        problem: Problem {
            severity: Severity::Fatal,
            file: name.clone(),
            location: None,
            message: format!("cannot read the manifest: {e}"),
        },
        report: Box::new(ImportReport {
            manifest: name.clone(),
            ..Default::default()
        }),
    })?;
    let base = manifest.parent().map(Path::to_path_buf).unwrap_or_default();
    load(&text, &name, &DiskFiles::new(base), progress)
}

/// Loads the dataset described by manifest text; `files` resolves its paths.
pub fn load(
    manifest_text: &str,
    manifest_name: &str,
    files: &dyn Files,
    progress: &dyn Progress,
) -> Result<Loaded, ImportFailure> {
    let mut ctx = Ctx {
        files,
        manifest: manifest_name.to_string(),
        report: ImportReport {
            manifest: manifest_name.to_string(),
            ..Default::default()
        },
        hasher: Sha256::new(),
        progress,
        step: 0,
        total_steps: 0,
        sources: Vec::new(),
        current: None,
    };
    match load_inner(manifest_text, &mut ctx) {
        Ok(dataset) => Ok(Loaded {
            dataset,
            report: ctx.report,
        }),
        Err(problem) => Err(ImportFailure {
            problem,
            report: Box::new(ctx.report),
        }),
    }
}

fn parse_manifest(text: &str, ctx: &Ctx) -> Result<Manifest, Problem> {
    toml::from_str::<Manifest>(text).map_err(|e| {
        let location = e.span().map(|span| {
            let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
            format!("line {line}")
        });
        Problem {
            severity: Severity::Fatal,
            file: ctx.manifest.clone(),
            location,
            message: format!("invalid manifest: {}", e.message()),
        }
    })
}

fn load_inner(text: &str, ctx: &mut Ctx) -> Result<Dataset, Problem> {
    let manifest = parse_manifest(text, ctx)?;
    ctx.total_steps = 9 + manifest.assets.len();

    ctx.stage("wards");
    let wards = areas::load_polygons(ctx, &manifest.wards, "wards")?;
    if wards.is_empty() {
        return Err(ctx.manifest_error(
            "wards",
            "no ward could be loaded (see the problems above)".into(),
        ));
    }
    let wards = areas::into_wards(wards);

    ctx.stage("small areas");
    let mut small_areas = areas::into_small_areas(areas::load_polygons(
        ctx,
        &manifest.small_areas,
        "small_areas",
    )?);
    let by_code: HashMap<String, usize> = small_areas
        .iter()
        .enumerate()
        .map(|(i, s)| (s.code.clone(), i))
        .collect();

    ctx.stage("deprivation and population");
    let domains = match &manifest.deprivation {
        Some(table) => areas::join_deprivation(ctx, table, &by_code, &mut small_areas)?,
        None => Vec::new(),
    };
    if let Some(table) = &manifest.population {
        areas::join_population(ctx, table, &by_code, &mut small_areas)?;
    }

    ctx.stage("lookup and demand points");
    let lookup = match &manifest.lookup {
        Some(table) => areas::read_lookup(ctx, table, &by_code)?,
        None => HashMap::new(),
    };
    if let Some(table) = &manifest.demand_points {
        areas::join_demand_points(ctx, table, &by_code, &mut small_areas)?;
    }

    ctx.stage("postcodes");
    let postcodes = match &manifest.postcodes {
        Some(table) => assets::read_postcodes(ctx, table)?,
        None => HashMap::new(),
    };

    let mut assets = Vec::new();
    let mut asset_by_id: HashMap<String, usize> = HashMap::new();
    {
        let shapes: Vec<&geo::MultiPolygon> = wards.iter().map(|w| &w.bng).collect();
        let index = crate::index::PolygonIndex::new(shapes.iter().copied());
        let ward_area = assets::WardArea {
            index: &index,
            shapes: &shapes,
        };
        for (i, source) in manifest.assets.iter().enumerate() {
            ctx.stage(&format!("assets: {}", source.source));
            if manifest.assets[..i]
                .iter()
                .any(|s| s.source == source.source)
            {
                return Err(ctx.manifest_error(
                    &format!("assets[{i}].source"),
                    format!("source name {:?} is used twice", source.source),
                ));
            }
            assets::load_source(
                ctx,
                source,
                i,
                &postcodes,
                &ward_area,
                &mut assets,
                &mut asset_by_id,
            )?;
        }
    }
    if assets.len() > u32::MAX as usize {
        return Err(ctx.manifest_error("assets", "more than 4,294,967,295 assets".into()));
    }

    // Services with no place are listed, never joined to the geography.
    let (listings, assets): (Vec<_>, Vec<_>) = assets.into_iter().partition(|a| a.unplaced);

    ctx.stage("joining");
    let joined = join::join(
        ctx,
        wards,
        small_areas,
        assets,
        &lookup,
        manifest.lookup.as_ref().map(|l| l.path.as_str()),
    );

    ctx.stage("indexing");
    let demand_points = match &manifest.demand_points {
        Some(t) => format!(
            "supplied: {}",
            t.label.clone().unwrap_or_else(|| t.path.clone())
        ),
        None => "area-weighted centroid of each small-area polygon, computed in EPSG:27700".into(),
    };
    let mut category_labels = std::collections::BTreeMap::new();
    for asset in joined.assets.iter().chain(&listings) {
        if !category_labels.contains_key(&asset.category) {
            let label = manifest
                .categories
                .get(&asset.category)
                .cloned()
                .unwrap_or_else(|| default_label(&asset.category));
            category_labels.insert(asset.category.clone(), label);
        }
    }
    let info = DatasetInfo {
        name: manifest.dataset.name.clone(),
        description: manifest.dataset.description.clone(),
        attribution: manifest.dataset.attribution.clone(),
        vintages: Vintages {
            wards: manifest.wards.vintage.clone(),
            small_areas: manifest.small_areas.vintage.clone(),
            deprivation: manifest
                .deprivation
                .as_ref()
                .and_then(|d| d.vintage.clone()),
            population: manifest.population.as_ref().and_then(|p| p.vintage.clone()),
            postcodes: manifest.postcodes.as_ref().and_then(|p| p.vintage.clone()),
        },
        domains,
        category_labels,
        sources: std::mem::take(&mut ctx.sources),
        demand_points,
        content_hash: format!("{:x}", ctx.hasher.clone().finalize()),
        sensitive: crate::model::Sensitive {
            categories: manifest
                .sensitive
                .as_ref()
                .map(|s| {
                    s.categories
                        .iter()
                        .map(|c| assets::category_id(c))
                        .collect()
                })
                .unwrap_or_default(),
            place: manifest
                .sensitive
                .as_ref()
                .and_then(|s| s.place)
                .unwrap_or_default(),
        },
    };
    let dataset = join::build_dataset(info, joined, postcodes).with_listings(listings);
    ctx.stage("done");
    Ok(dataset)
}

/// A readable label for a category id: well-known ids get their usual name.
pub fn default_label(category: &str) -> String {
    match category {
        "gp" => "GP practice".into(),
        "pharmacy" => "Pharmacy".into(),
        "library" => "Library".into(),
        "food_bank" => "Food bank".into(),
        "community_centre" => "Community centre".into(),
        "advice" => "Advice service".into(),
        other => {
            let spaced = other.replace('_', " ");
            let mut chars = spaced.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect(),
                None => String::new(),
            }
        }
    }
}

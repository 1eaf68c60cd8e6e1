//! The import report: what was loaded, what was skipped and why, naming the
//! file and row or feature of every problem.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

/// How serious a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Loaded, but something was changed to make it usable (e.g. a repaired polygon).
    Repaired,
    /// Loaded, but worth a look (e.g. a small area with no deprivation row).
    Warning,
    /// The row or feature was skipped.
    Skipped,
    /// The import stopped.
    Fatal,
}

/// One problem, located precisely.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem {
    /// How serious it is.
    pub severity: Severity,
    /// The file, as written in the manifest (or the manifest itself).
    pub file: String,
    /// Where in the file: `line 12`, `feature 7 (E01005866)`, `key wards.cod`.
    pub location: Option<String>,
    /// What is wrong, and what to do when that can be guessed.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = match self.severity {
            Severity::Repaired => "repaired",
            Severity::Warning => "warning",
            Severity::Skipped => "skipped",
            Severity::Fatal => "error",
        };
        write!(f, "{label}: {}", self.file)?;
        if let Some(location) = &self.location {
            write!(f, ", {location}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Counts for one input file.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SourceReport {
    /// Source name (layer or asset source).
    pub name: String,
    /// Layer.
    pub layer: String,
    /// Path as written in the manifest.
    pub path: String,
    /// Rows or features read.
    pub read: usize,
    /// Rows or features loaded.
    pub loaded: usize,
    /// Left out by design, not a problem: by the manifest's filters, beyond
    /// `max_distance_from_wards_m`, or rows for areas outside this dataset
    /// (counted again in `unmatched`).
    pub filtered: usize,
    /// Skipped because of a problem.
    pub skipped: usize,
    /// Skipped counts by reason.
    pub skipped_by_reason: BTreeMap<String, usize>,
    /// Loaded after a repair.
    pub repaired: usize,
    /// Rows that matched nothing in the dataset (e.g. national IMD rows for
    /// other areas); part of `filtered`.
    pub unmatched: usize,
    /// Records merged into an earlier record with the same id (a directory
    /// feed that lists a service twice: the later record is used).
    pub merged: usize,
    /// Assets placed on the map from the loaded records (a directory
    /// service at several places is one asset per place).
    pub placed: usize,
    /// Loaded records with no place (by phone or online only, or no usable
    /// location): listed and searchable, never on the map.
    pub unplaced: usize,
    /// What the importer found out about the file as a whole that is not a
    /// problem (the feed's generation, how it was fetched).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl SourceReport {
    /// Whether every row read is accounted for: loaded + filtered + skipped
    /// + merged = read.
    pub fn balanced(&self) -> bool {
        self.loaded + self.filtered + self.skipped + self.merged == self.read
    }
}

/// Everything the importer noticed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    /// Manifest path.
    pub manifest: String,
    /// Per-file counts, in load order.
    pub sources: Vec<SourceReport>,
    /// Every problem, in load order.
    pub problems: Vec<Problem>,
}

/// An import that had to stop, with the report of what happened before.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{problem}")]
pub struct ImportFailure {
    /// The fatal problem.
    pub problem: Problem,
    /// Everything reported before it.
    pub report: Box<ImportReport>,
}

/// How many problems per source the text report prints before summarising.
pub const TEXT_PROBLEMS_PER_SOURCE: usize = 25;

impl ImportReport {
    /// Number of problems of a severity.
    pub fn count(&self, severity: Severity) -> usize {
        self.problems
            .iter()
            .filter(|p| p.severity == severity)
            .count()
    }

    /// The report for a source, by name.
    pub fn source(&self, name: &str) -> Option<&SourceReport> {
        self.sources.iter().find(|s| s.name == name)
    }

    /// Problems that mention `needle` in their message (for tests and tools).
    pub fn problems_mentioning<'a>(
        &'a self,
        needle: &'a str,
    ) -> impl Iterator<Item = &'a Problem> + 'a {
        self.problems
            .iter()
            .filter(move |p| p.message.contains(needle))
    }

    /// A readable report: a table of sources, then problems (at most
    /// [`TEXT_PROBLEMS_PER_SOURCE`] rows per file, and every file-wide one;
    /// `--json` lists all).
    pub fn to_text(&self) -> String {
        let mut out = format!("Import report for {}\n\n", self.manifest);
        out.push_str(&format!(
            "{:<14} {:<22} {:>8} {:>8} {:>8} {:>8} {:>8}  {}\n",
            "layer", "source", "read", "loaded", "filtered", "skipped", "repaired", "file"
        ));
        for s in &self.sources {
            out.push_str(&format!(
                "{:<14} {:<22} {:>8} {:>8} {:>8} {:>8} {:>8}  {}\n",
                s.layer, s.name, s.read, s.loaded, s.filtered, s.skipped, s.repaired, s.path
            ));
            for (reason, n) in &s.skipped_by_reason {
                out.push_str(&format!("{:<14} {:<22} {n:>8} skipped: {reason}\n", "", ""));
            }
            if s.merged > 0 {
                out.push_str(&format!(
                    "{:<14} {:<22} {:>8} merged: the same id again (the later record is used)\n",
                    "", "", s.merged
                ));
            }
            if s.placed > 0 || s.unplaced > 0 {
                out.push_str(&format!(
                    "{:<14} {:<22} {:>8} places on the map; {} listed without a place (searchable, not on the map)\n",
                    "", "", s.placed, s.unplaced
                ));
            }
            for note in &s.notes {
                out.push_str(&format!("{:<14} {:<22} {:>8} {note}\n", "", "", ""));
            }
            if s.unmatched > 0 {
                out.push_str(&format!(
                    "{:<14} {:<22} {:>8} of those filtered are rows for areas outside this dataset\n",
                    "", "", s.unmatched
                ));
            }
        }
        if self.problems.is_empty() {
            out.push_str("\nNo problems found.\n");
            return out;
        }
        out.push_str(&format!(
            "\n{} problems ({} skipped, {} warnings, {} repaired):\n",
            self.problems.len(),
            self.count(Severity::Skipped),
            self.count(Severity::Warning),
            self.count(Severity::Repaired)
        ));
        let mut shown: BTreeMap<&str, usize> = BTreeMap::new();
        let mut hidden: BTreeMap<&str, usize> = BTreeMap::new();
        for p in &self.problems {
            let n = shown.entry(p.file.as_str()).or_insert(0);
            // A problem with no row is about the whole file (a likely cause,
            // a count): always shown, however many rows came before it.
            if *n < TEXT_PROBLEMS_PER_SOURCE
                || p.severity == Severity::Fatal
                || p.location.is_none()
            {
                out.push_str(&format!("  {p}\n"));
                *n += 1;
            } else {
                *hidden.entry(p.file.as_str()).or_insert(0) += 1;
            }
        }
        for (file, n) in hidden {
            out.push_str(&format!(
                "  … and {n} more in {file} (use --json to list all)\n"
            ));
        }
        out
    }
}

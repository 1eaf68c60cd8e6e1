//! Writers for downloads and the `export` command: GeoJSON (RFC 7946 CRS84,
//! or EPSG:27700 for council GIS), CSV with coordinates, and OGC GeoPackage.

mod csv;
mod gaps;
mod geojson;
mod gpkg;
pub mod oruk;
pub mod styles;

pub use self::csv::write_csv;
pub use self::gaps::{GapLevel, gaps_csv, gaps_geojson, gaps_json, provenance, ward_properties};
pub use self::geojson::{GeoJsonCrs, feature_json, geometry_json, write_feature_collection};
pub use self::gpkg::{write_gap_geopackage, write_geopackage};

use crate::features::{self, Collection, ExportFilter};
use crate::model::Dataset;

/// A download format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// GeoJSON per RFC 7946 (CRS84, 6 decimals).
    GeoJson,
    /// GeoJSON in EPSG:27700 with a `crs` member, for council GIS.
    GeoJsonBng,
    /// CSV with lon/lat and easting/northing.
    Csv,
    /// OGC GeoPackage in EPSG:27700 (all requested layers in one file).
    GeoPackage,
    /// The GDAL `.csvt` sidecar giving the CSV's column types.
    Csvt,
}

impl ExportFormat {
    /// Every format, by the name used in URLs and on the command line.
    pub const ALL: [(&'static str, ExportFormat); 5] = [
        ("geojson", ExportFormat::GeoJson),
        ("geojson-27700", ExportFormat::GeoJsonBng),
        ("csv", ExportFormat::Csv),
        ("gpkg", ExportFormat::GeoPackage),
        ("csvt", ExportFormat::Csvt),
    ];

    /// Parses a format name.
    pub fn parse(name: &str) -> Option<ExportFormat> {
        Self::ALL.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
    }

    /// File extension.
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::GeoJson | ExportFormat::GeoJsonBng => "geojson",
            ExportFormat::Csv => "csv",
            ExportFormat::GeoPackage => "gpkg",
            ExportFormat::Csvt => "csvt",
        }
    }

    /// MIME type.
    pub fn media_type(self) -> &'static str {
        match self {
            ExportFormat::GeoJson | ExportFormat::GeoJsonBng => "application/geo+json",
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::GeoPackage => "application/geopackage+sqlite3",
            ExportFormat::Csvt => "text/plain; charset=utf-8",
        }
    }

    /// Whether one file can hold several layers.
    pub fn multi_layer(self) -> bool {
        self == ExportFormat::GeoPackage
    }
}

/// Exports collections (one, or several for a GeoPackage) with a filter.
pub fn export(
    dataset: &Dataset,
    collections: &[Collection],
    format: ExportFormat,
    filter: &ExportFilter,
) -> Result<Vec<u8>, ExportError> {
    if format == ExportFormat::Csvt {
        // The column types only: no feature needs selecting.
        return Ok(collections
            .first()
            .map(|&c| csv::write_csvt(c, dataset).into_bytes())
            .unwrap_or_default());
    }
    let selected: Vec<(Collection, Vec<usize>)> = collections
        .iter()
        .map(|&c| (c, features::select(c, dataset, &filter.for_collection(c))))
        .collect();
    let Some((first, indexes)) = selected.first() else {
        return Ok(Vec::new());
    };
    match format {
        ExportFormat::GeoJson | ExportFormat::GeoJsonBng => {
            let crs = if format == ExportFormat::GeoJson {
                GeoJsonCrs::Crs84
            } else {
                GeoJsonCrs::Bng
            };
            let mut extra = serde_json::Map::new();
            if let Some(a) = &dataset.info.attribution {
                extra.insert("attribution".into(), a.clone().into());
            }
            extra.insert(
                "content_hash".into(),
                dataset.info.content_hash.clone().into(),
            );
            Ok(write_feature_collection(*first, dataset, indexes, crs, None, &extra).into_bytes())
        }
        ExportFormat::Csv => Ok(write_csv(*first, dataset, indexes).into_bytes()),
        ExportFormat::Csvt => Ok(csv::write_csvt(*first, dataset).into_bytes()),
        ExportFormat::GeoPackage => {
            let dir = tempfile::tempdir()?;
            let path = dir.path().join("export.gpkg");
            write_geopackage(&path, dataset, &selected)?;
            Ok(std::fs::read(&path)?)
        }
    }
}

/// An export as a person asks for it: names and codes as text, checked by [`ExportRequest::resolve`].
#[derive(Debug, Clone, Default)]
pub struct ExportRequest {
    /// `assets`, `wards`, `small_areas` or `all`.
    pub collection: String,
    /// A name from [`ExportFormat::ALL`].
    pub format: String,
    /// Asset categories.
    pub categories: Vec<String>,
    /// Ward codes.
    pub wards: Vec<String>,
    /// Council (LAD) codes.
    pub councils: Vec<String>,
    /// `min_lon,min_lat,max_lon,max_lat` in CRS84 degrees.
    pub bbox: Option<String>,
}

/// Everything an export needs, checked.
pub type ResolvedExport = (Vec<Collection>, ExportFormat, ExportFilter);

impl ExportRequest {
    /// Checks every part against the dataset.
    pub fn resolve(&self, dataset: &Dataset) -> Result<ResolvedExport, ExportError> {
        let invalid = |m: String| Err(ExportError::Invalid(m));
        let Some(format) = ExportFormat::parse(&self.format) else {
            let names: Vec<&str> = ExportFormat::ALL.iter().map(|(n, _)| *n).collect();
            return invalid(format!(
                "format {:?} is not offered; use one of {}",
                self.format,
                names.join(", ")
            ));
        };
        let collections = if self.collection == "all" {
            if !format.multi_layer() {
                return invalid(
                    "all layers in one file needs format gpkg; other formats take one collection"
                        .into(),
                );
            }
            features::COLLECTIONS.to_vec()
        } else {
            match Collection::parse(&self.collection) {
                Some(c) => vec![c],
                None => {
                    return Err(ExportError::UnknownCollection(format!(
                        "no collection {:?}; use assets, wards, small_areas or all",
                        self.collection
                    )));
                }
            }
        };
        for c in &self.categories {
            dataset.check_category(c).map_err(ExportError::Invalid)?;
        }
        if let Some(bad) = self
            .wards
            .iter()
            .find(|w| !dataset.ward_by_code.contains_key(*w))
        {
            return invalid(format!("ward {bad:?} is not in this dataset"));
        }
        if let Some(bad) = self.councils.iter().find(|c| {
            !dataset
                .wards
                .iter()
                .any(|w| w.council_code.as_deref() == Some(c.as_str()))
        }) {
            return invalid(format!("council {bad:?} has no wards in this dataset"));
        }
        let bbox = match &self.bbox {
            None => None,
            Some(text) => {
                let numbers: Vec<f64> = text
                    .split(',')
                    .filter_map(|p| p.trim().parse::<f64>().ok())
                    .filter(|v| v.is_finite())
                    .collect();
                match numbers[..] {
                    [x1, y1, x2, y2]
                        if text.split(',').count() == 4
                            && x1 <= x2
                            && y1 <= y2
                            && x1 >= -180.0
                            && x2 <= 180.0
                            && y1 >= -90.0
                            && y2 <= 90.0 =>
                    {
                        Some(features::BBox::new(
                            crate::crs::Crs::Wgs84,
                            geo::Coord { x: x1, y: y1 },
                            geo::Coord { x: x2, y: y2 },
                        ))
                    }
                    _ => {
                        return invalid(format!(
                            "bbox {text:?} must be min_lon,min_lat,max_lon,max_lat in CRS84 degrees, minimum first"
                        ));
                    }
                }
            }
        };
        let filter = ExportFilter {
            categories: self.categories.clone(),
            wards: self.wards.clone(),
            councils: self.councils.clone(),
            bbox,
        };
        Ok((collections, format, filter))
    }
}

/// Checks a request and writes the file's bytes.
pub fn export_request(dataset: &Dataset, request: &ExportRequest) -> Result<Vec<u8>, ExportError> {
    let (collections, format, filter) = request.resolve(dataset)?;
    export(dataset, &collections, format, &filter)
}

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The request is wrong; the message says how.
    #[error("{0}")]
    Invalid(String),
    /// No such collection.
    #[error("{0}")]
    UnknownCollection(String),
    /// SQLite refused something while writing a GeoPackage.
    #[error("GeoPackage: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The file could not be written or read back.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Formats a number with at most `decimals` decimals and no trailing zeros.
pub(crate) fn number(value: f64, decimals: usize) -> String {
    let mut s = String::new();
    push_number(&mut s, value, decimals);
    s
}

/// Appends a number with at most `decimals` decimals and no trailing zeros.
pub fn push_number(out: &mut String, value: f64, decimals: usize) {
    use std::fmt::Write as _;
    const POWERS: [i64; 10] = [
        1,
        10,
        100,
        1_000,
        10_000,
        100_000,
        1_000_000,
        10_000_000,
        100_000_000,
        1_000_000_000,
    ];
    let scaled = value * POWERS.get(decimals).copied().unwrap_or(1) as f64;
    if decimals >= POWERS.len() || !scaled.is_finite() || scaled.abs() >= 9.0e15 {
        // Rare: fall back to the formatter.
        let start = out.len();
        let _ = write!(out, "{value:.decimals$}");
        if out[start..].contains('.') {
            while out.ends_with('0') {
                out.pop();
            }
            if out.ends_with('.') {
                out.pop();
            }
        }
        return;
    }
    let units = scaled.round() as i64;
    let scale = POWERS[decimals];
    if units < 0 {
        out.push('-');
    }
    let magnitude = units.unsigned_abs();
    let _ = write!(out, "{}", magnitude / scale as u64);
    let mut fraction = magnitude % scale as u64;
    if fraction > 0 {
        let mut width = decimals;
        while fraction.is_multiple_of(10) {
            fraction /= 10;
            width -= 1;
        }
        let _ = write!(out, ".{fraction:0width$}");
    }
}

/// Appends a JSON string literal.
pub fn push_json_str(out: &mut String, text: &str) {
    use std::fmt::Write as _;
    out.push('"');
    let mut clean_from = 0;
    for (i, b) in text.bytes().enumerate() {
        if b >= 0x20 && b != b'"' && b != b'\\' {
            continue;
        }
        out.push_str(&text[clean_from..i]);
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            other => {
                let _ = write!(out, "\\u{other:04x}");
            }
        }
        clean_from = i + 1;
    }
    out.push_str(&text[clean_from..]);
    out.push('"');
}

/// Appends a JSON string literal, or `null`.
pub fn push_json_opt(out: &mut String, text: Option<&str>) {
    match text {
        Some(t) => push_json_str(out, t),
        None => out.push_str("null"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn numbers_are_trimmed() {
        assert_eq!(super::number(1.5, 6), "1.5");
        assert_eq!(super::number(-0.1234567, 6), "-0.123457");
        assert_eq!(super::number(530000.0, 2), "530000");
        assert_eq!(super::number(-0.0000001, 6), "0");
        assert_eq!(super::number(-0.25, 1), "-0.3");
        assert_eq!(super::number(0.000_012, 6), "0.000012");
        assert_eq!(super::number(-2.5e-7, 6), "0");
        assert_eq!(super::number(1e300, 2).len(), 301);
    }

    #[test]
    fn strings_are_escaped_as_json() {
        let mut out = String::new();
        super::push_json_str(&mut out, "a \"quote\", a \\ and\na \u{1} café");
        let back: String = serde_json::from_str(&out).expect("valid JSON");
        assert_eq!(back, "a \"quote\", a \\ and\na \u{1} café");
    }
}

//! The dataset manifest: one TOML file naming every input file, its format,
//! CRS and which columns hold what. Unknown keys are errors, so a misspelt key
//! is reported with its name instead of being ignored.

use std::collections::BTreeMap;

use serde::Deserialize;

/// A whole manifest.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Name and description of the dataset.
    pub dataset: DatasetSection,
    /// Ward polygons.
    pub wards: PolygonLayer,
    /// Small-area (LSOA) polygons.
    pub small_areas: PolygonLayer,
    /// Deprivation per small area (IoD2025/IoD2019 CSV).
    pub deprivation: Option<DeprivationTable>,
    /// Population per small area (Census 2021 CSV).
    pub population: Option<PopulationTable>,
    /// Small area -> ward lookup; overrides the spatial assignment.
    pub lookup: Option<LookupTable>,
    /// Demand point per small area (e.g. ONS population-weighted centroids).
    pub demand_points: Option<PointTable>,
    /// Postcode positions for geocoding (e.g. OS Code-Point Open).
    pub postcodes: Option<PostcodeTable>,
    /// Asset sources.
    #[serde(default)]
    pub assets: Vec<AssetSource>,
    /// Display labels per category id.
    #[serde(default)]
    pub categories: BTreeMap<String, String>,
}

/// `[dataset]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatasetSection {
    /// Name shown to users.
    pub name: String,
    /// Longer description.
    pub description: Option<String>,
    /// Attribution the data's licences require.
    pub attribution: Option<String>,
}

/// File format; inferred from the extension when not given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// GeoJSON FeatureCollection.
    Geojson,
    /// Comma-separated values with a header row.
    Csv,
}

/// A row filter: `field` plus exactly one test.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    /// Column or property name.
    pub field: String,
    /// Keep rows whose value equals this (after trimming spaces).
    pub equals: Option<String>,
    /// Keep rows whose value differs from this.
    pub not_equals: Option<String>,
    /// Keep rows whose value is one of these.
    pub one_of: Option<Vec<String>>,
    /// `true`: keep rows whose value is empty; `false`: keep rows where it is not.
    pub empty: Option<bool>,
    /// Keep rows whose value contains this, ignoring case.
    pub contains: Option<String>,
    /// Keep rows whose value starts with this.
    pub starts_with: Option<String>,
}

/// `[wards]` and `[small_areas]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolygonLayer {
    /// File path, relative to the manifest.
    pub path: String,
    /// Format; default from the extension.
    pub format: Option<Format>,
    /// CRS; default: the GeoJSON file's `crs` member, else CRS84.
    pub crs: Option<String>,
    /// Property holding the area code.
    pub code: String,
    /// Property holding the name.
    pub name: Option<String>,
    /// Property holding the council (LAD) code.
    pub council_code: Option<String>,
    /// Property holding the council (LAD) name.
    pub council_name: Option<String>,
    /// Vintage, e.g. "May 2024".
    pub vintage: Option<String>,
    /// Rows to keep.
    #[serde(default)]
    pub filter: Vec<Filter>,
}

/// `[deprivation]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeprivationTable {
    /// CSV path, relative to the manifest.
    pub path: String,
    /// Column with the small-area code.
    pub code: String,
    /// Column with the IMD score.
    pub score: String,
    /// Column with the IMD decile.
    pub decile: Option<String>,
    /// Column with the IMD rank.
    pub rank: Option<String>,
    /// Domain score columns; the label is the column name without `_score`.
    #[serde(default)]
    pub domains: Vec<String>,
    /// Vintage, e.g. "IoD2025".
    pub vintage: Option<String>,
}

/// `[population]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PopulationTable {
    /// CSV path, relative to the manifest.
    pub path: String,
    /// Column with the small-area code.
    pub code: String,
    /// Column with the population count.
    pub population: String,
    /// Vintage, e.g. "Census 2021".
    pub vintage: Option<String>,
}

/// `[lookup]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LookupTable {
    /// CSV path, relative to the manifest.
    pub path: String,
    /// Column with the small-area code.
    pub code: String,
    /// Column with the ward code.
    pub ward: String,
}

/// `[demand_points]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PointTable {
    /// CSV path, relative to the manifest.
    pub path: String,
    /// Column with the small-area code.
    pub code: String,
    /// Column with x (easting or longitude).
    pub x: String,
    /// Column with y (northing or latitude).
    pub y: String,
    /// CRS of x/y; default EPSG:27700.
    pub crs: Option<String>,
    /// What the points are, e.g. "ONS population-weighted centroid".
    pub label: Option<String>,
}

/// `[postcodes]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostcodeTable {
    /// CSV path, relative to the manifest.
    pub path: String,
    /// Column with the postcode.
    pub postcode: String,
    /// Column with x (easting or longitude).
    pub x: String,
    /// Column with y (northing or latitude).
    pub y: String,
    /// CRS of x/y; default EPSG:27700.
    pub crs: Option<String>,
    /// Vintage, e.g. "Code-Point Open 2025.4".
    pub vintage: Option<String>,
}

/// A text field that is one column or several joined.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Columns {
    /// One column.
    One(String),
    /// Several columns.
    Many(Vec<String>),
}

impl Columns {
    /// The column names.
    pub fn names(&self) -> Vec<&str> {
        match self {
            Columns::One(c) => vec![c.as_str()],
            Columns::Many(cs) => cs.iter().map(String::as_str).collect(),
        }
    }
}

/// `[[assets]]`: one asset source.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssetSource {
    /// Source name, unique in the manifest (e.g. "nhs_gp").
    pub source: String,
    /// File path, relative to the manifest.
    pub path: String,
    /// Format; default from the extension.
    pub format: Option<Format>,
    /// CRS of the coordinates; default: the GeoJSON `crs` member, else EPSG:4326
    /// (GeoJSON) or EPSG:27700 (CSV).
    pub crs: Option<String>,
    /// Fixed category id for every row.
    pub category: Option<String>,
    /// Column holding the category (instead of a fixed one).
    pub category_field: Option<String>,
    /// Column holding the id.
    pub id: Option<String>,
    /// Prefix added to every id (default: the category and a colon).
    pub id_prefix: Option<String>,
    /// CSV column with x (easting or longitude).
    pub x: Option<String>,
    /// CSV column with y (northing or latitude).
    pub y: Option<String>,
    /// Column with the name.
    pub name: Option<String>,
    /// Column(s) with the address, joined with ", ".
    pub address: Option<Columns>,
    /// Column with the postcode; used to geocode rows without coordinates.
    pub postcode: Option<String>,
    /// Column with the telephone number.
    pub phone: Option<String>,
    /// Column with the email address.
    pub email: Option<String>,
    /// Column with the web site.
    pub website: Option<String>,
    /// Column(s) with opening hours; several are labelled with their column names.
    pub opening_hours: Option<Columns>,
    /// How those columns write the hours: `text` (the default: shown as
    /// published, not read), `day_times` or `library_sessions` (seven
    /// columns, Monday first), `osm` (OpenStreetMap `opening_hours`) or
    /// `oruk_schedules` (a JSON array of Open Referral UK schedules).
    pub hours_format: Option<crate::hours::parse::HoursFormat>,
    /// Column with a capacity (e.g. GP list size or FTE) used as supply in
    /// access measures instead of 1 per asset.
    pub capacity: Option<String>,
    /// Rows to keep.
    #[serde(default)]
    pub filter: Vec<Filter>,
    /// Keep only assets within this many metres of a ward (e.g. 3000 keeps a
    /// national file's assets in and just beyond the councils' borders).
    pub max_distance_from_wards_m: Option<f64>,
}

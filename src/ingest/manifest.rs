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
    /// Sensitive places (refuges, safe houses): their exact location and
    /// address never leave the server.
    pub sensitive: Option<SensitiveSection>,
}

/// `[sensitive]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SensitiveSection {
    /// Categories whose places are all sensitive (single assets can be
    /// marked too, with `sensitive: true`).
    #[serde(default)]
    pub categories: Vec<String>,
    /// Where they are shown: `ward` (the default: the ward's label point),
    /// `postcode_district` (the middle of the postcode district) or
    /// `hidden` (not on the map; listed with a phone number).
    pub place: Option<crate::model::SensitivePlace>,
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
    /// An Open Referral UK feed: HSDS 3.0 UK pages (`contents`), the older
    /// v1 pages (`content`), a bare array of services, or one full service.
    Oruk,
    /// The Give Food dump (`foodbanks.json`): food banks and their
    /// locations, with `lat_lng` as one "lat,lng" string.
    Givefood,
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

/// `[assets.fetch]`: how a feed is fetched over HTTP. Every limit is bounded.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FetchSettings {
    /// Services asked for per page (default 100, at most 1000).
    pub per_page: Option<u32>,
    /// Most pages read (default 200, at most 10000); a feed with more is
    /// reported as cut short.
    pub max_pages: Option<u32>,
    /// Seconds one request may take in all (default 30, at most 300).
    pub timeout_s: Option<f64>,
    /// Retries after a failed request or a 429/5xx answer (default 3, at most 10),
    /// with doubling waits from 0.5 s (or the server's Retry-After, up to 60 s).
    pub retries: Option<u32>,
    /// Most requests a second (default 4, at most 50).
    pub requests_per_second: Option<f64>,
    /// Fetch each service from `/services/{id}`: `auto` (the default: when
    /// the list gives no locations), `always` or `never`.
    pub full_records: Option<FullRecords>,
    /// Largest answer read, bytes (default 32 MiB, at most 512 MiB).
    pub max_response_bytes: Option<u64>,
}

/// When a crawl fetches full service records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FullRecords {
    /// When list items carry no `service_at_locations`.
    Auto,
    /// For every service.
    Always,
    /// Never: the list is taken as it is.
    Never,
}

/// `[[assets]]`: one asset source.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssetSource {
    /// Source name, unique in the manifest (e.g. "nhs_gp").
    pub source: String,
    /// File path, relative to the manifest (or `paths`, or `url`).
    #[serde(default)]
    pub path: String,
    /// Several files, each one page of the same feed (`format = "oruk"`).
    #[serde(default)]
    pub paths: Vec<String>,
    /// An Open Referral UK feed's base URL, crawled through `/services`
    /// (`format = "oruk"`).
    pub url: Option<String>,
    /// How the feed at `url` is fetched.
    pub fetch: Option<FetchSettings>,
    /// Open Referral UK taxonomy terms (by id or by name, ignoring case) to
    /// category ids. A service takes the first of its terms that maps, else
    /// `category`; unmapped terms are reported.
    #[serde(default)]
    pub taxonomy: BTreeMap<String, String>,
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

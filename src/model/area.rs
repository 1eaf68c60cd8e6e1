//! Wards and small areas (LSOAs) with their deprivation and population.

use geo::{Coord, MultiPolygon};
use serde::Serialize;

/// Deprivation of one small area, from an Indices of Deprivation file.
#[derive(Debug, Clone, Serialize)]
pub struct Deprivation {
    /// IMD score: higher is more deprived.
    pub score: f64,
    /// National IMD decile, 1 = most deprived 10%.
    pub decile: Option<u8>,
    /// National IMD rank, 1 = most deprived.
    pub rank: Option<u32>,
    /// Domain scores, in the order of [`crate::model::DatasetInfo::domains`].
    pub domains: Vec<Option<f64>>,
}

/// Where a small area's demand point came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DemandSource {
    /// Supplied by the council (e.g. an ONS population-weighted centroid).
    Supplied,
    /// The area-weighted centroid of the polygon, computed in EPSG:27700.
    AreaCentroid,
}

/// How a small area was assigned to its ward.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "method")]
pub enum WardAssignment {
    /// From the lookup file.
    Lookup,
    /// The ward polygon contains the demand point.
    Contains,
    /// No ward contains the demand point; this is the nearest ward.
    Nearest {
        /// Distance from the demand point to the ward, metres.
        distance_m: f64,
    },
    /// No ward at all (the dataset has none).
    Unassigned,
}

/// A small area (LSOA 2021): the unit deprivation and population are published for.
#[derive(Debug, Clone)]
pub struct SmallArea {
    /// ONS code, e.g. `E01000001`.
    pub code: String,
    /// Name, when the polygon file has one.
    pub name: Option<String>,
    /// Council (LAD) code, when known.
    pub council_code: Option<String>,
    /// Polygon in British National Grid metres.
    pub bng: MultiPolygon,
    /// Polygon in longitude/latitude degrees.
    pub lonlat: MultiPolygon,
    /// Demand point in British National Grid metres.
    pub demand: Coord,
    /// Where the demand point came from.
    pub demand_source: DemandSource,
    /// Index of the ward the small area belongs to.
    pub ward: Option<usize>,
    /// How that ward was chosen.
    pub ward_assignment: WardAssignment,
    /// Usual residents.
    pub population: Option<f64>,
    /// Deprivation, when the small area joined the deprivation file.
    pub deprivation: Option<Deprivation>,
}

/// An electoral ward with its deprivation rolled up from its small areas.
#[derive(Debug, Clone)]
pub struct Ward {
    /// ONS code, e.g. `E05000644`.
    pub code: String,
    /// Name.
    pub name: String,
    /// Council (LAD) code, when the ward file has one.
    pub council_code: Option<String>,
    /// Council (LAD) name, when the ward file has one.
    pub council_name: Option<String>,
    /// Polygon in British National Grid metres.
    pub bng: MultiPolygon,
    /// Polygon in longitude/latitude degrees.
    pub lonlat: MultiPolygon,
    /// Indexes of the small areas assigned to this ward.
    pub small_areas: Vec<usize>,
    /// Sum of the small areas' populations.
    pub population: f64,
    /// Population-weighted mean IMD score of the small areas.
    pub imd_score: Option<f64>,
    /// Share (0..1) of the ward's small areas in national IMD decile 1.
    pub decile1_share: Option<f64>,
    /// Population-weighted mean domain scores, in the order of the dataset's domains.
    pub domains: Vec<Option<f64>>,
    /// Where the ward's name goes on a map: an interior point of its largest
    /// part, in longitude/latitude degrees.
    pub label_point: Option<Coord>,
}

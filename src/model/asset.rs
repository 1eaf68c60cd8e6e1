//! A community asset: one place a resident can go for support.

use geo::Coord;
use serde::Serialize;

/// A community asset (GP practice, pharmacy, library, food bank, ...).
#[derive(Debug, Clone, Serialize)]
pub struct Asset {
    /// Unique, stable id within the dataset, e.g. `gp:A81001`.
    pub id: String,
    /// Category id, e.g. `gp`, `food_bank`.
    pub category: String,
    /// Name as published.
    pub name: String,
    /// Address as one line, when the source has one.
    pub address: Option<String>,
    /// Postcode as published.
    pub postcode: Option<String>,
    /// Telephone number.
    pub phone: Option<String>,
    /// Email address.
    pub email: Option<String>,
    /// Web site.
    pub website: Option<String>,
    /// Opening hours as text.
    pub opening_hours: Option<String>,
    /// Supply for access measures (S_j); `None` counts as 1.
    pub capacity: Option<f64>,
    /// Name of the manifest source the asset came from.
    pub source: String,
    /// Position in British National Grid metres.
    #[serde(skip)]
    pub bng: Coord,
    /// Position in longitude/latitude degrees.
    #[serde(skip)]
    pub lonlat: Coord,
    /// Index of the ward whose polygon contains the asset.
    #[serde(skip)]
    pub ward: Option<usize>,
    /// Index of the small area whose polygon contains the asset.
    #[serde(skip)]
    pub small_area: Option<usize>,
}

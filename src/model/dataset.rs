//! The loaded dataset and the summary `/api/dataset` serves.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use geo::Coord;
use serde::Serialize;

use super::{Asset, SmallArea, Ward};
use crate::index::{AssetIndex, PolygonIndex};

/// Data vintages, as declared in the manifest (e.g. "IoD2025", "Census 2021").
#[derive(Debug, Clone, Default, Serialize)]
pub struct Vintages {
    /// Ward boundaries, e.g. "May 2024".
    pub wards: Option<String>,
    /// Small-area boundaries, e.g. "LSOA 2021".
    pub small_areas: Option<String>,
    /// Deprivation, e.g. "IoD2025".
    pub deprivation: Option<String>,
    /// Population, e.g. "Census 2021".
    pub population: Option<String>,
    /// Postcodes, e.g. "Code-Point Open 2025.4".
    pub postcodes: Option<String>,
}

/// One input file as loaded.
#[derive(Debug, Clone, Serialize)]
pub struct SourceInfo {
    /// Source name (the layer, or the asset source's name).
    pub name: String,
    /// Layer: wards, small_areas, deprivation, population, lookup, demand_points, postcodes, assets.
    pub layer: String,
    /// Path as written in the manifest (served as the file name only, so
    /// the server's folders are not shown).
    #[serde(serialize_with = "file_name_only")]
    pub path: String,
    /// Records loaded.
    pub loaded: usize,
    /// Vintage, when declared.
    pub vintage: Option<String>,
}

fn file_name_only<S: serde::Serializer>(path: &str, s: S) -> Result<S::Ok, S::Error> {
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    s.serialize_str(name)
}

/// Counts and extent of one layer.
#[derive(Debug, Clone, Serialize)]
pub struct LayerInfo {
    /// Number of features.
    pub count: usize,
    /// `[min_lon, min_lat, max_lon, max_lat]`, when the layer is not empty.
    pub bbox: Option<[f64; 4]>,
}

/// What the dataset is: name, sources, vintages, domains and categories.
#[derive(Debug, Clone, Serialize)]
pub struct DatasetInfo {
    /// Human-readable name.
    pub name: String,
    /// Longer description.
    pub description: Option<String>,
    /// Attribution text the data's licences require.
    pub attribution: Option<String>,
    /// Vintages of each layer.
    pub vintages: Vintages,
    /// Names of the deprivation domains, in the order used everywhere.
    pub domains: Vec<String>,
    /// Display labels per category id.
    pub category_labels: BTreeMap<String, String>,
    /// Every input file.
    pub sources: Vec<SourceInfo>,
    /// Where demand points came from ("supplied" with the label, or "area-weighted centroid").
    pub demand_points: String,
    /// SHA-256 of every input file's bytes, in manifest order: identifies the data exactly.
    pub content_hash: String,
    /// Which places are sensitive (refuges, safe houses), and how they are shown.
    pub sensitive: Sensitive,
}

/// Where a sensitive place is shown instead of where it is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SensitivePlace {
    /// At its ward's label point (an interior point of the ward).
    #[default]
    Ward,
    /// At the centre of its postcode district (the mean of the district's
    /// postcodes), or its ward's point when it has no known postcode.
    PostcodeDistrict,
    /// Not on the map at all: listed by name with its phone number only.
    Hidden,
}

impl SensitivePlace {
    /// In words, for the entry's note.
    pub fn words(self) -> &'static str {
        match self {
            SensitivePlace::Ward => "shown at the middle of its ward, not where it is",
            SensitivePlace::PostcodeDistrict => {
                "shown at the middle of its postcode district, not where it is"
            }
            SensitivePlace::Hidden => "not shown on the map",
        }
    }
}

/// The sensitive places rule, from the manifest's `[sensitive]`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Sensitive {
    /// Categories whose places are all sensitive.
    pub categories: std::collections::BTreeSet<String>,
    /// How they are shown.
    pub place: SensitivePlace,
}

/// One version of everything the readers see: the geography, which stays
/// fixed while serving and is shared between versions, and the assets as they
/// are at [`Dataset::version`] (active and temporarily closed ones; retired
/// assets are left out).
///
/// A `Dataset` never changes once built; the catalog
/// ([`crate::catalog::Catalog`]) makes a new one for each change.
#[derive(Debug)]
pub struct Dataset {
    /// Name, sources, vintages.
    pub info: Arc<DatasetInfo>,
    /// Wards, in file order.
    pub wards: Arc<Vec<Ward>>,
    /// Small areas, in file order.
    pub small_areas: Arc<Vec<SmallArea>>,
    /// Assets on the map, in catalog order.
    pub assets: Vec<Asset>,
    /// Services with no place (by phone or online only), in catalog order:
    /// searchable by name and category, never on the map or in the analysis.
    pub listings: Arc<Vec<Asset>>,
    /// Postcode (normalised, `SW1A 1AA`) to British National Grid position.
    pub postcodes: Arc<HashMap<String, Coord>>,
    /// R-trees over the assets.
    pub asset_index: AssetIndex,
    /// Point-in-polygon index over the wards.
    pub ward_index: Arc<PolygonIndex>,
    /// Point-in-polygon index over the small areas.
    pub small_area_index: Arc<PolygonIndex>,
    /// R-tree of small-area demand points (data: small-area index).
    pub demand_index: Arc<rstar::RTree<rstar::primitives::GeomWithData<[f64; 2], u32>>>,
    /// Ward code to index.
    pub ward_by_code: Arc<HashMap<String, usize>>,
    /// Small-area code to index.
    pub small_area_by_code: Arc<HashMap<String, usize>>,
    /// Asset id to index in [`Dataset::assets`].
    pub asset_by_id: HashMap<String, usize>,
    /// Assets inside each ward's polygon, per category (indexed like `wards`).
    pub ward_asset_counts: Vec<BTreeMap<String, usize>>,
    /// Data version: the catalog's change sequence number this dataset reflects
    /// (0 before any change is stored).
    pub version: u64,
}

/// Summary of the dataset, as `/api/dataset` serves it.
#[derive(Debug, Clone, Serialize)]
pub struct DatasetSummary<'a> {
    /// Name, sources, vintages.
    #[serde(flatten)]
    pub info: &'a DatasetInfo,
    /// Ward count and extent.
    pub wards: LayerInfo,
    /// Small-area count and extent.
    pub small_areas: LayerInfo,
    /// Asset count and extent.
    pub assets: LayerInfo,
    /// Asset counts per category.
    pub categories: BTreeMap<String, usize>,
    /// Services with no place (listed and searchable, not on the map), per category.
    pub listings: BTreeMap<String, usize>,
    /// Number of postcodes available for search.
    pub postcodes: usize,
    /// Councils (LAD codes) present in the ward layer, with ward counts.
    pub councils: BTreeMap<String, usize>,
    /// Data version (the catalog's change sequence number).
    pub version: u64,
}

impl Dataset {
    /// The same geography with these assets (already placed in wards and
    /// small areas) at `version`: rebuilds the asset index, the id lookup and
    /// the ward counts, and shares everything else.
    pub fn with_assets(&self, assets: Vec<Asset>, version: u64) -> Dataset {
        Dataset {
            info: self.info.clone(),
            wards: self.wards.clone(),
            small_areas: self.small_areas.clone(),
            postcodes: self.postcodes.clone(),
            ward_index: self.ward_index.clone(),
            small_area_index: self.small_area_index.clone(),
            demand_index: self.demand_index.clone(),
            ward_by_code: self.ward_by_code.clone(),
            small_area_by_code: self.small_area_by_code.clone(),
            asset_index: AssetIndex::new(&assets),
            asset_by_id: assets
                .iter()
                .enumerate()
                .map(|(i, a)| (a.id.clone(), i))
                .collect(),
            ward_asset_counts: ward_counts(self.wards.len(), &assets),
            assets,
            listings: self.listings.clone(),
            version,
        }
    }

    /// The same dataset with these services that have no place.
    pub fn with_listings(self, listings: Vec<Asset>) -> Dataset {
        Dataset {
            listings: Arc::new(listings),
            ..self
        }
    }

    /// Every entry: the assets on the map, then the listings with no place
    /// (what a source gives, and what a sync compares).
    pub fn entries(&self) -> impl Iterator<Item = &Asset> {
        self.assets.iter().chain(self.listings.iter())
    }

    /// An entry by id: an asset on the map, or a listing.
    pub fn entry(&self, id: &str) -> Option<&Asset> {
        self.asset_by_id
            .get(id)
            .map(|&i| &self.assets[i])
            .or_else(|| self.listings.iter().find(|a| a.id == id))
    }

    /// Assets inside ward `i`'s polygon, per category.
    pub fn asset_counts(&self, ward: usize) -> &BTreeMap<String, usize> {
        static EMPTY: BTreeMap<String, usize> = BTreeMap::new();
        self.ward_asset_counts.get(ward).unwrap_or(&EMPTY)
    }

    /// A category's label, or its id when it has none.
    pub fn category_label<'a>(&'a self, category: &'a str) -> &'a str {
        self.info
            .category_labels
            .get(category)
            .map_or(category, String::as_str)
    }

    /// Checks a category id; the error lists the categories there are.
    pub fn check_category(&self, category: &str) -> Result<(), String> {
        if self.info.category_labels.contains_key(category) {
            return Ok(());
        }
        let known: Vec<&str> = self
            .info
            .category_labels
            .keys()
            .map(String::as_str)
            .collect();
        Err(format!(
            "unknown category {category:?}; this dataset has: {}",
            known.join(", ")
        ))
    }

    /// The ward whose polygon contains a grid point.
    pub fn ward_at(&self, at: Coord) -> Option<usize> {
        self.ward_index.containing(|i| &self.wards[i].bng, at)
    }

    /// The small area whose polygon contains a grid point.
    pub fn small_area_at(&self, at: Coord) -> Option<usize> {
        self.small_area_index
            .containing(|i| &self.small_areas[i].bng, at)
    }

    /// Category ids with their asset counts.
    pub fn category_counts(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for asset in &self.assets {
            *counts.entry(asset.category.clone()).or_insert(0) += 1;
        }
        counts
    }

    /// The summary `/api/dataset` serves.
    pub fn summary(&self) -> DatasetSummary<'_> {
        let mut councils = BTreeMap::new();
        for ward in self.wards.iter() {
            let key = ward
                .council_code
                .clone()
                .unwrap_or_else(|| "unknown".into());
            *councils.entry(key).or_insert(0) += 1;
        }
        DatasetSummary {
            info: &self.info,
            wards: layer_info(
                self.wards.iter().flat_map(|w| ring_coords(&w.lonlat)),
                self.wards.len(),
            ),
            small_areas: layer_info(
                self.small_areas.iter().flat_map(|s| ring_coords(&s.lonlat)),
                self.small_areas.len(),
            ),
            assets: layer_info(self.assets.iter().map(|a| a.lonlat), self.assets.len()),
            categories: self.category_counts(),
            listings: self.listings.iter().fold(BTreeMap::new(), |mut m, a| {
                *m.entry(a.category.clone()).or_insert(0) += 1;
                m
            }),
            postcodes: self.postcodes.len(),
            councils,
            version: self.version,
        }
    }
}

/// Assets per ward and category.
pub(crate) fn ward_counts(wards: usize, assets: &[Asset]) -> Vec<BTreeMap<String, usize>> {
    let mut counts = vec![BTreeMap::new(); wards];
    for asset in assets {
        if let Some(w) = asset.ward.and_then(|w| counts.get_mut(w)) {
            *w.entry(asset.category.clone()).or_insert(0) += 1;
        }
    }
    counts
}

fn ring_coords(polygons: &geo::MultiPolygon) -> impl Iterator<Item = Coord> + '_ {
    polygons
        .0
        .iter()
        .flat_map(|p| p.exterior().0.iter().copied())
}

fn layer_info(coords: impl Iterator<Item = Coord>, count: usize) -> LayerInfo {
    let mut bbox: Option<[f64; 4]> = None;
    for c in coords {
        let b = bbox.get_or_insert([c.x, c.y, c.x, c.y]);
        b[0] = b[0].min(c.x);
        b[1] = b[1].min(c.y);
        b[2] = b[2].max(c.x);
        b[3] = b[3].max(c.y);
    }
    LayerInfo {
        count,
        bbox: bbox.map(|b| b.map(|v| (v * 1e6).round() / 1e6)),
    }
}

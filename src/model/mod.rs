//! The loaded dataset: assets, wards and small areas held in memory, every
//! geometry in British National Grid metres with its longitude/latitude twin.

mod area;
mod asset;
mod dataset;
mod names;
mod postcode;

pub use area::{DemandSource, Deprivation, SmallArea, Ward, WardAssignment};
pub use asset::{Asset, AssetStatus, Details, Opening};
pub(crate) use dataset::ward_counts as dataset_ward_counts;
pub use dataset::{
    Dataset, DatasetInfo, DatasetSummary, LayerInfo, Sensitive, SensitivePlace, SourceInfo,
    Vintages,
};
pub use names::readable;
pub use postcode::normalise_postcode;

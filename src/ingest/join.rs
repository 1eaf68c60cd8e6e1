//! The joins (documented in docs/methods.md): demand points, small area ->
//! ward, asset -> ward and small area, and the roll-up of deprivation and
//! asset counts to wards.

use std::collections::HashMap;
use std::sync::Arc;

use geo::{Centroid, Coord, MultiPolygon};

use super::Ctx;
use super::report::Severity;
use crate::index::{AssetIndex, PolygonIndex};
use crate::model::{Asset, Dataset, DatasetInfo, DemandSource, SmallArea, Ward, WardAssignment};

/// Wards, small areas and assets after the joins, with the polygon indexes.
pub(crate) struct Joined {
    pub wards: Vec<Ward>,
    pub small_areas: Vec<SmallArea>,
    pub assets: Vec<Asset>,
    pub ward_index: PolygonIndex,
    pub small_area_index: PolygonIndex,
}

/// Runs every join and the roll-up.
pub(crate) fn join(
    ctx: &mut Ctx,
    mut wards: Vec<Ward>,
    mut small_areas: Vec<SmallArea>,
    mut assets: Vec<Asset>,
    lookup: &HashMap<usize, String>,
    lookup_path: Option<&str>,
) -> Joined {
    let ward_shapes: Vec<&MultiPolygon> = wards.iter().map(|w| &w.bng).collect();
    let ward_index = PolygonIndex::new(ward_shapes.iter().copied());
    let ward_by_code: HashMap<&str, usize> = wards
        .iter()
        .enumerate()
        .map(|(i, w)| (w.code.as_str(), i))
        .collect();

    // 1. Demand points: supplied, else the area-weighted centroid in the grid.
    for area in &mut small_areas {
        if area.demand_source == DemandSource::AreaCentroid || !area.demand.x.is_finite() {
            area.demand_source = DemandSource::AreaCentroid;
            area.demand = area.bng.centroid().map(|p| p.0).unwrap_or(Coord {
                x: f64::NAN,
                y: f64::NAN,
            });
        }
    }

    // 2. Small area -> ward: the lookup, else the ward containing the demand
    //    point, else the nearest ward.
    for (i, area) in small_areas.iter_mut().enumerate() {
        if let Some(code) = lookup.get(&i) {
            if let Some(&w) = ward_by_code.get(code.as_str()) {
                area.ward = Some(w);
                area.ward_assignment = WardAssignment::Lookup;
                continue;
            }
            let message = format!(
                "small area {} is looked up to ward {code}, which is not in the ward file; assigned spatially instead",
                area.code
            );
            ctx.problem(
                Severity::Warning,
                lookup_path.unwrap_or("lookup"),
                None,
                message,
            );
        }
        if !area.demand.x.is_finite() {
            continue;
        }
        if let Some(w) = ward_index.containing(|i| ward_shapes[i], area.demand) {
            area.ward = Some(w);
            area.ward_assignment = WardAssignment::Contains;
        } else if let Some((w, distance_m)) = ward_index.nearest(|i| ward_shapes[i], area.demand) {
            area.ward = Some(w);
            area.ward_assignment = WardAssignment::Nearest { distance_m };
        }
    }

    // 3. Asset -> ward and small area, by point in polygon.
    let area_shapes: Vec<&MultiPolygon> = small_areas.iter().map(|s| &s.bng).collect();
    let small_area_index = PolygonIndex::new(area_shapes.iter().copied());
    for asset in &mut assets {
        asset.ward = ward_index.containing(|i| ward_shapes[i], asset.bng);
        asset.small_area = small_area_index.containing(|i| area_shapes[i], asset.bng);
    }

    // 4. Roll-up to wards.
    for (i, area) in small_areas.iter().enumerate() {
        if let Some(w) = area.ward {
            wards[w].small_areas.push(i);
        }
    }
    let domain_count = small_areas
        .iter()
        .find_map(|s| s.deprivation.as_ref().map(|d| d.domains.len()))
        .unwrap_or(0);
    for ward in &mut wards {
        roll_up(ward, &small_areas, domain_count);
    }
    Joined {
        wards,
        small_areas,
        assets,
        ward_index,
        small_area_index,
    }
}

/// Population-weighted means over the ward's small areas that have both a
/// population and the figure; the decile-1 share counts small areas.
fn roll_up(ward: &mut Ward, small_areas: &[SmallArea], domain_count: usize) {
    let members: Vec<&SmallArea> = ward.small_areas.iter().map(|&i| &small_areas[i]).collect();
    ward.population = members.iter().filter_map(|s| s.population).sum();
    let weighted = |value: &dyn Fn(&SmallArea) -> Option<f64>| -> Option<f64> {
        let (mut sum, mut weight) = (0.0, 0.0);
        for s in &members {
            if let (Some(p), Some(v)) = (s.population, value(s)) {
                sum += p * v;
                weight += p;
            }
        }
        (weight > 0.0).then(|| sum / weight)
    };
    ward.imd_score = weighted(&|s| s.deprivation.as_ref().map(|d| d.score));
    ward.domains = (0..domain_count)
        .map(|k| {
            weighted(&|s| {
                s.deprivation
                    .as_ref()
                    .and_then(|d| d.domains.get(k).copied().flatten())
            })
        })
        .collect();
    let deciles: Vec<u8> = members
        .iter()
        .filter_map(|s| s.deprivation.as_ref().and_then(|d| d.decile))
        .collect();
    ward.decile1_share = (!deciles.is_empty())
        .then(|| deciles.iter().filter(|&&d| d == 1).count() as f64 / deciles.len() as f64);
}

/// Builds the dataset with its lookups and asset index.
pub(crate) fn build_dataset(
    info: DatasetInfo,
    joined: Joined,
    postcodes: HashMap<String, Coord>,
) -> Dataset {
    let Joined {
        wards,
        small_areas,
        assets,
        ward_index,
        small_area_index,
    } = joined;
    Dataset {
        ward_asset_counts: crate::model::dataset_ward_counts(wards.len(), &assets),
        version: 0,
        ward_by_code: Arc::new(
            wards
                .iter()
                .enumerate()
                .map(|(i, w)| (w.code.clone(), i))
                .collect(),
        ),
        small_area_by_code: Arc::new(
            small_areas
                .iter()
                .enumerate()
                .map(|(i, s)| (s.code.clone(), i))
                .collect(),
        ),
        asset_by_id: assets
            .iter()
            .enumerate()
            .map(|(i, a)| (a.id.clone(), i))
            .collect(),
        asset_index: AssetIndex::new(&assets),
        demand_index: Arc::new(rstar::RTree::bulk_load(
            small_areas
                .iter()
                .enumerate()
                .filter(|(_, s)| s.demand.x.is_finite() && s.demand.y.is_finite())
                .map(|(i, s)| {
                    rstar::primitives::GeomWithData::new([s.demand.x, s.demand.y], i as u32)
                })
                .collect(),
        )),
        info: Arc::new(info),
        wards: Arc::new(wards),
        small_areas: Arc::new(small_areas),
        assets,
        listings: Arc::new(Vec::new()),
        postcodes: Arc::new(postcodes),
        ward_index: Arc::new(ward_index),
        small_area_index: Arc::new(small_area_index),
    }
}

//! Access per small area and category: distance to the nearest asset,
//! coverage within D, and the two-step floating catchment (2SFCA, or the
//! enhanced E2SFCA with step weights). All distances are planar metres in
//! British National Grid, catchments and coverage inclusive.

use geo::Coord;
use rstar::RTree;
use rstar::primitives::GeomWithData;

use super::{Decay, GapParams};
use crate::model::Dataset;

/// One unit of supply: an asset (existing or hypothetical) and its capacity.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SupplyPoint {
    /// Position, British National Grid metres.
    pub bng: Coord,
    /// S_j: 1 per asset, or the asset's configured capacity.
    pub capacity: f64,
}

/// Access figures of one small area for one category.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SmallAreaAccess {
    /// Distance from the demand point to the nearest supply, metres (`None` when there is none).
    pub nearest_m: Option<f64>,
    /// Whether some supply is within D (inclusive).
    pub covered: bool,
    /// 1000 × A_i.
    pub access_per_1000: f64,
}

/// The supply points of a category: every asset of it, wherever it is.
pub fn category_supply(dataset: &Dataset, category: &str) -> Vec<SupplyPoint> {
    dataset
        .assets
        .iter()
        .filter(|a| a.category == category && a.status.supplies())
        .map(|a| SupplyPoint {
            bng: a.bng,
            capacity: a.capacity.unwrap_or(1.0),
        })
        .collect()
}

impl Decay {
    /// The weight of a distance inside the catchment (1 for plain 2SFCA).
    pub fn weight(self, distance_m: f64, catchment_m: f64) -> f64 {
        match self {
            Decay::None => 1.0,
            Decay::Steps => {
                if distance_m <= catchment_m / 3.0 {
                    1.0
                } else if distance_m <= 2.0 * catchment_m / 3.0 {
                    0.68
                } else {
                    0.22
                }
            }
        }
    }
}

type Indexed = GeomWithData<[f64; 2], u32>;

/// Computes access for every small area, in dataset order.
///
/// 1. R_j = S_j / Σ_k P_k·W(d_kj) over small areas k with d_kj ≤ d0 (R_j = 0 when the sum is 0).
/// 2. A_i = Σ_j R_j·W(d_ij) over supply j with d_ij ≤ d0.
/// 3. nearest_m and covered (nearest_m ≤ D) from an R-tree of the supply.
pub fn small_area_access(
    dataset: &Dataset,
    supply: &[SupplyPoint],
    params: &GapParams,
    cancel: &super::Cancel,
) -> Result<Vec<SmallAreaAccess>, super::Cancelled> {
    let d0 = params.catchment_m;
    let d0_2 = d0 * d0;
    let supply_tree: RTree<Indexed> = RTree::bulk_load(
        supply
            .iter()
            .enumerate()
            .map(|(j, s)| GeomWithData::new([s.bng.x, s.bng.y], j as u32))
            .collect(),
    );
    cancel.check()?;
    let ratios: Vec<f64> = supply
        .iter()
        .map(|s| {
            let demand: f64 = dataset
                .demand_index
                .locate_within_distance([s.bng.x, s.bng.y], d0_2)
                .map(|e| {
                    let area = &dataset.small_areas[e.data as usize];
                    let d = distance(area.demand, s.bng);
                    area.population.unwrap_or(0.0) * params.decay.weight(d, d0)
                })
                .sum();
            if demand > 0.0 {
                s.capacity / demand
            } else {
                0.0
            }
        })
        .collect();
    cancel.check()?;
    dataset
        .small_areas
        .iter()
        .enumerate()
        .map(|(i, area)| {
            if i % super::CANCEL_CHECK_EVERY == 0 {
                cancel.check()?;
            }
            if !area.demand.x.is_finite() {
                return Ok(SmallAreaAccess {
                    nearest_m: None,
                    covered: false,
                    access_per_1000: 0.0,
                });
            }
            let at = [area.demand.x, area.demand.y];
            let a: f64 = supply_tree
                .locate_within_distance(at, d0_2)
                .map(|e| {
                    ratios[e.data as usize]
                        * params
                            .decay
                            .weight(distance(area.demand, supply[e.data as usize].bng), d0)
                })
                .sum();
            let nearest_m = supply_tree
                .nearest_neighbor(&at)
                .map(|e| distance(area.demand, supply[e.data as usize].bng));
            Ok(SmallAreaAccess {
                nearest_m,
                covered: nearest_m.is_some_and(|d| d <= params.coverage_m),
                access_per_1000: 1000.0 * a,
            })
        })
        .collect()
}

fn distance(a: Coord, b: Coord) -> f64 {
    ((a.x - b.x).powi(2) + (a.y - b.y).powi(2)).sqrt()
}

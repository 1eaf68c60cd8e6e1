//! What-if: the analysis with hypothetical assets added or existing ones
//! removed, without touching the dataset; and greedy suggestions of sites.

use std::collections::BTreeSet;

use geo::Coord;
use serde::Serialize;

use super::access::{SupplyPoint, category_supply};
use super::gaps::{GapResult, analyse_with_supply};
use super::{GapParams, SmallAreaAccess};
use crate::model::Dataset;

/// One ward before and after a scenario.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScenarioWard {
    /// Ward code.
    pub code: String,
    /// Ward name.
    pub name: String,
    /// Coverage before, after, and the change.
    pub coverage: [Option<f64>; 3],
    /// access_per_1000 before, after, and the change.
    pub access_per_1000: [Option<f64>; 3],
    /// Gap before, after, and the change.
    pub gap: [Option<f64>; 3],
    /// Underserved before and after.
    pub underserved: [bool; 2],
}

/// A scenario's result.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The analysis as the data stands.
    pub before: GapResult,
    /// The analysis with the changes.
    pub after: GapResult,
    /// Per ward, in dataset order.
    pub wards: Vec<ScenarioWard>,
}

fn triple(before: Option<f64>, after: Option<f64>) -> [Option<f64>; 3] {
    [before, after, before.zip(after).map(|(b, a)| a - b)]
}

/// The analysis with `add` (grid points, capacity 1) added and the assets at
/// dataset indexes `remove` taken away. Removing an asset of another category
/// changes nothing.
pub fn scenario(
    dataset: &Dataset,
    params: &GapParams,
    add: &[Coord],
    remove: &[usize],
) -> Scenario {
    let before = super::analyse(dataset, params);
    let removed: BTreeSet<usize> = remove.iter().copied().collect();
    let mut supply: Vec<SupplyPoint> = dataset
        .assets
        .iter()
        .enumerate()
        .filter(|(i, a)| {
            a.category == params.category && a.status.supplies() && !removed.contains(i)
        })
        .map(|(_, a)| SupplyPoint {
            bng: a.bng,
            capacity: a.capacity.unwrap_or(1.0),
        })
        .collect();
    supply.extend(add.iter().map(|&bng| SupplyPoint { bng, capacity: 1.0 }));
    let after = analyse_with_supply(dataset, params, &supply);
    let wards = before
        .wards
        .iter()
        .zip(&after.wards)
        .map(|(b, a)| ScenarioWard {
            code: b.code.clone(),
            name: b.name.clone(),
            coverage: triple(b.coverage, a.coverage),
            access_per_1000: triple(b.access_per_1000, a.access_per_1000),
            gap: triple(b.gap, a.gap),
            underserved: [b.underserved, a.underserved],
        })
        .collect();
    Scenario {
        before,
        after,
        wards,
    }
}

/// A suggested site.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suggestion {
    /// Order chosen, from 1.
    pub rank: usize,
    /// The small area whose demand point is the site.
    pub small_area: String,
    /// Site, British National Grid metres.
    #[serde(skip)]
    pub bng: Coord,
    /// Residents newly within D of an asset.
    pub newly_covered_population: f64,
    /// Σ population × IMD score over the newly covered small areas (what the greedy choice maximises).
    pub weighted_gain: f64,
    /// Codes of the wards whose residents are newly covered.
    pub wards: Vec<String>,
    /// The newly covered small areas.
    pub small_areas: Vec<String>,
}

/// Up to `n` sites among small-area demand points (in the council, when one is
/// given), chosen one at a time to maximise the newly covered population
/// weighted by IMD score; ties go to the earlier small area. Stops early when
/// no site would cover anyone new.
pub fn suggest(dataset: &Dataset, params: &GapParams, n: usize) -> Vec<Suggestion> {
    match suggest_cancellable(dataset, params, n, &super::Cancel::default()) {
        Ok(out) => out,
        Err(super::Cancelled) => unreachable!("nothing can cancel a Cancel no one else holds"),
    }
}

/// [`suggest`], stopping early (with `Err`) once `cancel` is cancelled.
pub fn suggest_cancellable(
    dataset: &Dataset,
    params: &GapParams,
    n: usize,
    cancel: &super::Cancel,
) -> Result<Vec<Suggestion>, super::Cancelled> {
    let supply = category_supply(dataset, &params.category);
    let current: Vec<SmallAreaAccess> = super::small_area_access(dataset, &supply, params, cancel)?;
    let in_scope = |i: usize| {
        let area = &dataset.small_areas[i];
        area.demand.x.is_finite()
            && params.council.as_ref().is_none_or(|c| {
                area.ward
                    .and_then(|w| dataset.wards[w].council_code.as_ref())
                    == Some(c)
            })
    };
    let weight = |i: usize| {
        let area = &dataset.small_areas[i];
        area.population.unwrap_or(0.0) * area.deprivation.as_ref().map_or(0.0, |d| d.score)
    };
    let mut covered: Vec<bool> = current.iter().map(|a| a.covered).collect();
    let d2 = params.coverage_m * params.coverage_m;
    // Which in-scope, uncovered small areas each candidate site would reach.
    let reach: Vec<(usize, Vec<usize>)> = (0..dataset.small_areas.len())
        .filter(|&i| in_scope(i))
        .map(|i| {
            let at = dataset.small_areas[i].demand;
            let mut near: Vec<usize> = dataset
                .demand_index
                .locate_within_distance([at.x, at.y], d2)
                .map(|e| e.data as usize)
                .filter(|&k| in_scope(k) && !covered[k])
                .collect();
            near.sort_unstable();
            (i, near)
        })
        .collect();
    cancel.check()?;
    let mut out = Vec::new();
    for rank in 1..=n {
        cancel.check()?;
        let best = reach
            .iter()
            .map(|(site, near)| {
                (
                    *site,
                    near.iter()
                        .filter(|&&k| !covered[k])
                        .map(|&k| weight(k))
                        .sum::<f64>(),
                )
            })
            .filter(|(_, gain)| *gain > 0.0)
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
        let Some((site, gain)) = best else { break };
        let newly: Vec<usize> = reach
            .iter()
            .find(|(s, _)| *s == site)
            .map(|(_, near)| near.iter().copied().filter(|&k| !covered[k]).collect())
            .unwrap_or_default();
        let mut wards: Vec<String> = newly
            .iter()
            .filter_map(|&k| dataset.small_areas[k].ward)
            .map(|w| dataset.wards[w].code.clone())
            .collect();
        wards.sort();
        wards.dedup();
        for &k in &newly {
            covered[k] = true;
        }
        out.push(Suggestion {
            rank,
            small_area: dataset.small_areas[site].code.clone(),
            bng: dataset.small_areas[site].demand,
            newly_covered_population: newly
                .iter()
                .map(|&k| dataset.small_areas[k].population.unwrap_or(0.0))
                .sum(),
            weighted_gain: gain,
            wards,
            small_areas: newly
                .iter()
                .map(|&k| dataset.small_areas[k].code.clone())
                .collect(),
        });
    }
    Ok(out)
}

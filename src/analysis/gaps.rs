//! Ward roll-up of access and the gap between need and access.

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::access::{SmallAreaAccess, SupplyPoint, category_supply, small_area_access};
use super::{GapParams, UNDERSERVED_GAP};
use crate::model::Dataset;

/// Access and gap figures of one ward for one category.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WardGap {
    /// Index of the ward in the dataset.
    #[serde(skip)]
    pub ward: usize,
    /// Ward code.
    pub code: String,
    /// Ward name.
    pub name: String,
    /// Council (LAD) code.
    pub council_code: Option<String>,
    /// Whether the ward was ranked (in the council asked for, with figures).
    pub considered: bool,
    /// Population of its small areas.
    pub population: f64,
    /// Population-weighted IMD score.
    pub imd_score: Option<f64>,
    /// Assets of the category inside the ward polygon.
    pub assets_in_ward: usize,
    /// assets_in_ward per 10,000 residents.
    pub assets_per_10k: Option<f64>,
    /// Population-weighted mean distance to the nearest asset, metres.
    pub mean_nearest_m: Option<f64>,
    /// Share (0..1) of the population within D of an asset.
    pub coverage: Option<f64>,
    /// Population-weighted mean of 1000 × A_i.
    pub access_per_1000: Option<f64>,
    /// Percentile rank of the IMD score among considered wards (most deprived = 1).
    pub need: Option<f64>,
    /// Percentile rank of access_per_1000 among considered wards (best served = 1).
    pub access: Option<f64>,
    /// need − access.
    pub gap: Option<f64>,
    /// gap ≥ 0.5.
    pub underserved: bool,
}

/// A whole analysis: per small area and per ward.
#[derive(Debug, Clone)]
pub struct GapResult {
    /// The parameters used.
    pub params: GapParams,
    /// Per small area, in dataset order.
    pub small_areas: Vec<SmallAreaAccess>,
    /// Per ward, in dataset order.
    pub wards: Vec<WardGap>,
}

/// Percentile ranks `(rank − 1) / (n − 1)` of values in ascending order, ties
/// at their average rank; `None` stays `None` and is not counted in n. With
/// fewer than two values no percentile is defined.
pub fn percentile_ranks(values: &[Option<f64>]) -> Vec<Option<f64>> {
    let mut present: Vec<(f64, usize)> = values
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.map(|v| (v, i)))
        .collect();
    let n = present.len();
    let mut out = vec![None; values.len()];
    if n < 2 {
        return out;
    }
    present.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut start = 0;
    while start < n {
        let mut end = start;
        while end + 1 < n && present[end + 1].0 == present[start].0 {
            end += 1;
        }
        // Ranks start..=end (0-based) share their average, 1-based.
        let rank = (start + end) as f64 / 2.0 + 1.0;
        for item in &present[start..=end] {
            out[item.1] = Some((rank - 1.0) / (n - 1) as f64);
        }
        start = end + 1;
    }
    out
}

/// Rolls small-area access up to wards and ranks the considered wards.
pub fn ward_gaps(
    dataset: &Dataset,
    small_areas: &[SmallAreaAccess],
    params: &GapParams,
    assets_in_ward: &[usize],
) -> Vec<WardGap> {
    let mut wards: Vec<WardGap> = dataset
        .wards
        .iter()
        .enumerate()
        .map(|(w, ward)| {
            let (mut pop, mut covered, mut nearest_sum, mut nearest_pop, mut access_sum) =
                (0.0, 0.0, 0.0, 0.0, 0.0);
            for &i in &ward.small_areas {
                let p = dataset.small_areas[i].population.unwrap_or(0.0);
                let a = &small_areas[i];
                pop += p;
                if a.covered {
                    covered += p;
                }
                if let Some(d) = a.nearest_m {
                    nearest_sum += p * d;
                    nearest_pop += p;
                }
                access_sum += p * a.access_per_1000;
            }
            let in_council = params
                .council
                .as_ref()
                .is_none_or(|c| ward.council_code.as_ref() == Some(c));
            let has_figures = pop > 0.0 && ward.imd_score.is_some();
            WardGap {
                ward: w,
                code: ward.code.clone(),
                name: ward.name.clone(),
                council_code: ward.council_code.clone(),
                considered: in_council && has_figures,
                population: pop,
                imd_score: ward.imd_score,
                assets_in_ward: assets_in_ward[w],
                assets_per_10k: (pop > 0.0).then(|| assets_in_ward[w] as f64 / pop * 10_000.0),
                mean_nearest_m: (nearest_pop > 0.0).then(|| nearest_sum / nearest_pop),
                coverage: (pop > 0.0).then(|| covered / pop),
                access_per_1000: (pop > 0.0).then(|| access_sum / pop),
                need: None,
                access: None,
                gap: None,
                underserved: false,
            }
        })
        .collect();
    let need = percentile_ranks(
        &wards
            .iter()
            .map(|w| if w.considered { w.imd_score } else { None })
            .collect::<Vec<_>>(),
    );
    let access = percentile_ranks(
        &wards
            .iter()
            .map(|w| {
                if w.considered {
                    w.access_per_1000
                } else {
                    None
                }
            })
            .collect::<Vec<_>>(),
    );
    for (w, (n, a)) in wards.iter_mut().zip(need.into_iter().zip(access)) {
        w.need = n;
        w.access = a;
        w.gap = n.zip(a).map(|(n, a)| n - a);
        w.underserved = w.gap.is_some_and(|g| g >= UNDERSERVED_GAP - 1e-12);
    }
    wards
}

/// Counts supply inside each ward polygon.
fn count_in_wards(dataset: &Dataset, supply: &[SupplyPoint]) -> Vec<usize> {
    let mut counts = vec![0; dataset.wards.len()];
    for s in supply {
        if let Some(w) = dataset.ward_at(s.bng) {
            counts[w] += 1;
        }
    }
    counts
}

/// The analysis with an explicit supply (used by scenarios).
pub fn analyse_with_supply(
    dataset: &Dataset,
    params: &GapParams,
    supply: &[SupplyPoint],
) -> GapResult {
    match with_supply(dataset, params, supply, &super::Cancel::default()) {
        Ok(result) => result,
        Err(super::Cancelled) => unreachable!("nothing can cancel a Cancel no one else holds"),
    }
}

fn with_supply(
    dataset: &Dataset,
    params: &GapParams,
    supply: &[SupplyPoint],
    cancel: &super::Cancel,
) -> Result<GapResult, super::Cancelled> {
    let small_areas = small_area_access(dataset, supply, params, cancel)?;
    let counts = count_in_wards(dataset, supply);
    let wards = ward_gaps(dataset, &small_areas, params, &counts);
    Ok(GapResult {
        params: params.clone(),
        small_areas,
        wards,
    })
}

/// The analysis for a category's assets.
pub fn analyse(dataset: &Dataset, params: &GapParams) -> GapResult {
    analyse_with_supply(dataset, params, &category_supply(dataset, &params.category))
}

/// [`analyse`], stopping early (with `Err`) once `cancel` is cancelled.
pub fn analyse_cancellable(
    dataset: &Dataset,
    params: &GapParams,
    cancel: &super::Cancel,
) -> Result<GapResult, super::Cancelled> {
    with_supply(
        dataset,
        params,
        &category_supply(dataset, &params.category),
        cancel,
    )
}

impl GapResult {
    /// SHA-256 over the parameters and every figure, so two runs can be compared exactly.
    pub fn result_hash(&self) -> String {
        let mut h = Sha256::new();
        h.update(serde_json::to_vec(&self.params).unwrap_or_default());
        for a in &self.small_areas {
            h.update(format!(
                "{:?}|{}|{:.9};",
                a.nearest_m, a.covered, a.access_per_1000
            ));
        }
        for w in &self.wards {
            h.update(serde_json::to_vec(w).unwrap_or_default());
        }
        format!("{:x}", h.finalize())
    }
}

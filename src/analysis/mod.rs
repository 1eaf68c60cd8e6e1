//! Gap analysis (docs/methods.md, "Gap analysis"): access per small area and
//! category, rolled up to wards, ranked against deprivation; what-if scenarios
//! and greedy site suggestions.

mod access;
mod gaps;
mod whatif;

pub use access::{SmallAreaAccess, SupplyPoint, category_supply, small_area_access};
pub use gaps::{
    GapResult, WardGap, analyse, analyse_cancellable, analyse_with_supply, percentile_ranks,
    ward_gaps,
};
pub use whatif::{Scenario, ScenarioWard, Suggestion, scenario, suggest, suggest_cancellable};

/// A request to stop an analysis early, given from outside (when the
/// request that wanted the answer has timed out or gone away).
#[derive(Debug, Clone, Default)]
pub struct Cancel(std::sync::Arc<std::sync::atomic::AtomicBool>);

impl Cancel {
    /// Asks the work to stop.
    pub fn cancel(&self) {
        self.0.store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// `Err` once cancelled: work checks this between small steps.
    pub fn check(&self) -> Result<(), Cancelled> {
        if self.0.load(std::sync::atomic::Ordering::Relaxed) {
            Err(Cancelled)
        } else {
            Ok(())
        }
    }
}

/// The work stopped because it was cancelled; its partial result is dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the analysis was cancelled")]
pub struct Cancelled;

/// Small areas between cancellation checks.
pub(crate) const CANCEL_CHECK_EVERY: usize = 256;

/// Default coverage distance D, metres.
pub const DEFAULT_COVERAGE_M: f64 = 800.0;
/// Default 2SFCA catchment d0, metres.
pub const DEFAULT_CATCHMENT_M: f64 = 1600.0;
/// Smallest D or d0 accepted, metres.
pub const MIN_DISTANCE_M: f64 = 100.0;
/// Largest D or d0 accepted, metres.
pub const MAX_DISTANCE_M: f64 = 10_000.0;
/// A ward is underserved when its gap is at least this.
pub const UNDERSERVED_GAP: f64 = 0.5;
/// Most suggestions in one answer.
pub const MAX_SUGGESTIONS: usize = 50;

/// Distance weighting inside the catchment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decay {
    /// Plain 2SFCA: every distance up to d0 weighs 1.
    None,
    /// E2SFCA step weights 1, 0.68, 0.22 over the thirds of d0.
    Steps,
}

impl Decay {
    /// Parses `none` or `steps`.
    pub fn parse(text: &str) -> Result<Decay, ParamError> {
        match text {
            "none" => Ok(Decay::None),
            "steps" => Ok(Decay::Steps),
            _ => Err(ParamError::Invalid(format!(
                "decay {text:?} is not offered; use none or steps"
            ))),
        }
    }
}

/// The parameters of one gap analysis.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct GapParams {
    /// Asset category.
    pub category: String,
    /// D: coverage distance, metres (inclusive).
    pub coverage_m: f64,
    /// d0: 2SFCA catchment, metres (inclusive).
    pub catchment_m: f64,
    /// Rank among one council's wards (LAD code), or all wards.
    pub council: Option<String>,
    /// Distance weighting.
    pub decay: Decay,
}

/// Why parameters were refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ParamError {
    /// The message names the parameter and what is allowed.
    #[error("{0}")]
    Invalid(String),
}

impl GapParams {
    /// Parameters with the defaults for a category.
    pub fn new(category: &str) -> GapParams {
        GapParams {
            category: category.to_string(),
            coverage_m: DEFAULT_COVERAGE_M,
            catchment_m: DEFAULT_CATCHMENT_M,
            council: None,
            decay: Decay::None,
        }
    }

    /// Checks the parameters against the dataset.
    pub fn check(&self, dataset: &crate::model::Dataset) -> Result<(), ParamError> {
        dataset
            .check_category(&self.category)
            .map_err(ParamError::Invalid)?;
        for (name, v) in [
            ("coverage_m", self.coverage_m),
            ("catchment_m", self.catchment_m),
        ] {
            if !(v.is_finite() && (MIN_DISTANCE_M..=MAX_DISTANCE_M).contains(&v)) {
                return Err(ParamError::Invalid(format!(
                    "{name} must be between {MIN_DISTANCE_M} and {MAX_DISTANCE_M} metres (got {v})"
                )));
            }
        }
        if let Some(c) = &self.council
            && !dataset
                .wards
                .iter()
                .any(|w| w.council_code.as_deref() == Some(c.as_str()))
        {
            return Err(ParamError::Invalid(format!(
                "council {c:?} has no wards in this dataset"
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;

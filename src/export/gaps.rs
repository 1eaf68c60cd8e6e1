//! Gap-analysis results as JSON, GeoJSON and CSV, each with its provenance:
//! vintages, parameters, dataset summary and hashes, so a planner can
//! reproduce the numbers.

use serde_json::{Map, Value, json};

use super::geojson::{GeoJsonCrs, geometry_json};
use crate::analysis::GapResult;
use crate::features::Geometry;
use crate::model::Dataset;

/// Ward or small-area rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GapLevel {
    /// One row per ward.
    Wards,
    /// One row per small area.
    SmallAreas,
}

fn round(v: Option<f64>, places: i32) -> Value {
    let scale = 10f64.powi(places);
    v.and_then(|x| serde_json::Number::from_f64((x * scale).round() / scale))
        .map_or(Value::Null, Value::Number)
}

/// Where the numbers come from and how they were made.
pub fn provenance(dataset: &Dataset, result: &GapResult) -> Value {
    let p = &result.params;
    json!({
        "method": "docs/methods.md, \"Gap analysis\"",
        "parameters": {
            "category": p.category,
            "coverage_m": p.coverage_m,
            "catchment_m": p.catchment_m,
            "decay": p.decay,
            "decay_weights": if p.decay == crate::analysis::Decay::Steps { json!([1.0, 0.68, 0.22]) } else { Value::Null },
            "council": p.council,
            "supply": "1 per asset, or the asset's capacity where the manifest configures one",
            "distance": "planar metres in British National Grid (EPSG:27700), inclusive",
            "underserved_when_gap_at_least": crate::analysis::UNDERSERVED_GAP,
        },
        "vintages": {
            "deprivation": dataset.info.vintages.deprivation,
            "population": dataset.info.vintages.population,
            "wards": dataset.info.vintages.wards,
            "small_areas": dataset.info.vintages.small_areas,
        },
        "demand_points": dataset.info.demand_points,
        "dataset": {
            "name": dataset.info.name,
            "content_hash": dataset.info.content_hash,
            "wards": dataset.wards.len(),
            "small_areas": dataset.small_areas.len(),
            "assets_in_category": dataset.assets.iter().filter(|a| a.category == p.category).count(),
            "supply_assets": dataset.assets.iter().filter(|a| a.category == p.category && a.status.supplies()).count(),
            "data_version": dataset.version,
        },
        "result_hash": result.result_hash(),
        "generated_by": format!("assetmap {}", env!("CARGO_PKG_VERSION")),
    })
}

/// The ward row as JSON properties (rounded for reading; ranks unrounded).
pub fn ward_properties(result: &GapResult, w: usize) -> Map<String, Value> {
    let g = &result.wards[w];
    let mut m = Map::new();
    m.insert("code".into(), g.code.clone().into());
    m.insert("name".into(), g.name.clone().into());
    m.insert("council_code".into(), g.council_code.clone().into());
    m.insert("considered".into(), g.considered.into());
    m.insert("population".into(), round(Some(g.population), 0));
    m.insert("imd_score".into(), round(g.imd_score, 3));
    m.insert("assets_in_ward".into(), g.assets_in_ward.into());
    m.insert("assets_per_10k".into(), round(g.assets_per_10k, 3));
    m.insert("mean_nearest_m".into(), round(g.mean_nearest_m, 1));
    m.insert("coverage".into(), round(g.coverage, 6));
    m.insert("access_per_1000".into(), round(g.access_per_1000, 6));
    m.insert("need".into(), round(g.need, 6));
    m.insert("access".into(), round(g.access, 6));
    m.insert("gap".into(), round(g.gap, 6));
    m.insert("underserved".into(), g.underserved.into());
    m
}

/// The small-area row as JSON properties.
pub fn small_area_properties(
    dataset: &Dataset,
    result: &GapResult,
    i: usize,
) -> Map<String, Value> {
    let s = &dataset.small_areas[i];
    let a = &result.small_areas[i];
    let mut m = Map::new();
    m.insert("code".into(), s.code.clone().into());
    m.insert(
        "ward_code".into(),
        s.ward.map(|w| dataset.wards[w].code.clone()).into(),
    );
    m.insert("population".into(), round(s.population, 0));
    m.insert(
        "imd_score".into(),
        round(s.deprivation.as_ref().map(|d| d.score), 3),
    );
    m.insert("nearest_m".into(), round(a.nearest_m, 1));
    m.insert("covered".into(), a.covered.into());
    m.insert("access_per_1000".into(), round(Some(a.access_per_1000), 9));
    m
}

pub(crate) fn rows(
    dataset: &Dataset,
    result: &GapResult,
    level: GapLevel,
) -> Vec<Map<String, Value>> {
    match level {
        GapLevel::Wards => (0..result.wards.len())
            .map(|w| ward_properties(result, w))
            .collect(),
        GapLevel::SmallAreas => (0..result.small_areas.len())
            .map(|i| small_area_properties(dataset, result, i))
            .collect(),
    }
}

/// `{ "provenance": …, "wards"|"small_areas": [rows] }`
pub fn gaps_json(dataset: &Dataset, result: &GapResult, level: GapLevel) -> Value {
    let key = if level == GapLevel::Wards {
        "wards"
    } else {
        "small_areas"
    };
    let rows: Vec<Value> = rows(dataset, result, level)
        .into_iter()
        .map(Value::Object)
        .collect();
    json!({ "provenance": provenance(dataset, result), "count": rows.len(), key: rows })
}

/// A FeatureCollection (CRS84) of ward or small-area polygons with the figures.
pub fn gaps_geojson(dataset: &Dataset, result: &GapResult, level: GapLevel) -> Value {
    let features: Vec<Value> = rows(dataset, result, level)
        .into_iter()
        .enumerate()
        .map(|(i, properties)| {
            let geometry = match level {
                GapLevel::Wards => Geometry::Area { bng: &dataset.wards[i].bng, lonlat: &dataset.wards[i].lonlat },
                GapLevel::SmallAreas => Geometry::Area { bng: &dataset.small_areas[i].bng, lonlat: &dataset.small_areas[i].lonlat },
            };
            let id = properties.get("code").cloned().unwrap_or(Value::Null);
            json!({"type": "Feature", "id": id, "geometry": geometry_json(geometry, GeoJsonCrs::Crs84), "properties": properties})
        })
        .collect();
    json!({"type": "FeatureCollection", "provenance": provenance(dataset, result), "features": features})
}

/// Columns added to every CSV row so the figures carry how they were made
/// (a CSV's first line must be its header for desktop GIS to open it).
pub const CSV_PROVENANCE_COLUMNS: [&str; 7] = [
    "analysis_category",
    "analysis_coverage_m",
    "analysis_catchment_m",
    "analysis_decay",
    "analysis_council",
    "result_hash",
    "dataset_hash",
];

/// CSV rows: the header first, then one row per ward or small area, each
/// ending with the analysis' parameters and hashes
/// ([`CSV_PROVENANCE_COLUMNS`]; the whole provenance is in the JSON).
pub fn gaps_csv(dataset: &Dataset, result: &GapResult, level: GapLevel) -> String {
    let rows = rows(dataset, result, level);
    let mut out = String::new();
    let provenance = provenance(dataset, result);
    let p = &result.params;
    let decay = serde_json::to_value(p.decay)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let tail: [String; 7] = [
        p.category.clone(),
        p.coverage_m.to_string(),
        p.catchment_m.to_string(),
        decay,
        p.council.clone().unwrap_or_default(),
        provenance["result_hash"].as_str().unwrap_or("").to_string(),
        dataset.info.content_hash.clone(),
    ];
    let mut writer = csv::Writer::from_writer(Vec::new());
    if let Some(first) = rows.first() {
        let _ = writer.write_record(
            first
                .keys()
                .map(String::as_str)
                .chain(CSV_PROVENANCE_COLUMNS),
        );
    }
    for row in &rows {
        let _ = writer.write_record(
            row.values()
                .map(super::csv::value_cell)
                .chain(tail.iter().cloned()),
        );
    }
    out.push_str(&String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default());
    out
}

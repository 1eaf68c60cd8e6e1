//! CSV: one row per feature, every property, and the position both as
//! longitude/latitude and as easting/northing (the asset itself; for areas the
//! demand point of a small area and the area-weighted centroid of a ward).

use geo::Centroid;
use serde_json::Value;

use super::number;
use crate::crs;
use crate::features::{self, Collection};
use crate::model::Dataset;

fn position(collection: Collection, dataset: &Dataset, i: usize) -> Option<geo::Coord> {
    match collection {
        Collection::Assets => Some(dataset.assets[i].bng),
        Collection::Wards => dataset.wards[i].bng.centroid().map(|p| p.0),
        Collection::SmallAreas => Some(dataset.small_areas[i].demand).filter(|c| c.x.is_finite()),
    }
}

/// A text cell that a spreadsheet would not run as a formula: text that
/// starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a
/// leading `'` (OWASP's advice), so "=HYPERLINK(…)" in a name stays text.
/// Numbers are written as numbers, not through this.
pub fn text_cell(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{text}"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// A JSON value as a CSV cell: text guarded by [`text_cell`], numbers and
/// booleans as written, null as empty.
pub fn value_cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => text_cell(s).into_owned(),
        other => other.to_string(),
    }
}

/// Writes the features as CSV.
pub fn write_csv(collection: Collection, dataset: &Dataset, indexes: &[usize]) -> String {
    let schema = collection.schema(dataset);
    let mut writer = ::csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = schema.iter().map(|f| f.name.clone()).collect();
    header.extend(["lon", "lat", "easting", "northing"].map(String::from));
    let _ = writer.write_record(&header);
    for &i in indexes {
        let mut row: Vec<String> = features::properties(collection, dataset, i)
            .iter()
            .map(value_cell)
            .collect();
        match position(collection, dataset, i) {
            Some(bng) => {
                let ll = match collection {
                    Collection::Assets => Ok(dataset.assets[i].lonlat),
                    _ => crs::bng_to_wgs84(bng.x, bng.y),
                };
                let (lon, lat) = ll
                    .map(|c| (number(c.x, 6), number(c.y, 6)))
                    .unwrap_or_default();
                row.extend([lon, lat, number(bng.x, 2), number(bng.y, 2)]);
            }
            None => row.extend([String::new(), String::new(), String::new(), String::new()]),
        }
        let _ = writer.write_record(&row);
    }
    String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// The GDAL `.csvt` sidecar for [`write_csv`]'s columns: one line of types
/// (`String`, `Integer`, `Real`), so GDAL and QGIS keep numbers as numbers.
/// Saved as `NAME.csvt` beside `NAME.csv`.
pub fn write_csvt(collection: Collection, dataset: &Dataset) -> String {
    let mut types: Vec<&str> = collection
        .schema(dataset)
        .iter()
        .map(|f| match f.kind {
            features::FieldType::Text => "String",
            features::FieldType::Integer => "Integer",
            features::FieldType::Real => "Real",
        })
        .collect();
    types.extend(["Real"; 4]);
    let quoted: Vec<String> = types.iter().map(|t| format!("\"{t}\"")).collect();
    quoted.join(",") + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_that_a_spreadsheet_would_run_is_kept_as_text() {
        assert_eq!(
            text_cell("=HYPERLINK(\"http://x\")"),
            "'=HYPERLINK(\"http://x\")"
        );
        for t in ["+1", "-1+1", "@SUM(A1)", "\tx", "\rx"] {
            assert!(text_cell(t).starts_with('\''), "{t}");
        }
        assert_eq!(text_cell("St Mark's"), "St Mark's");
        assert_eq!(
            value_cell(&serde_json::json!(-0.5)),
            "-0.5",
            "numbers stay numbers"
        );
        assert_eq!(value_cell(&Value::Null), "");
    }
}

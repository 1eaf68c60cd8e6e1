//! Reading GeoJSON FeatureCollections: features with their properties, the
//! legacy `crs` member, geometries converted to British National Grid with a
//! longitude/latitude twin, and polygons checked and repaired.

use std::collections::BTreeSet;

use geo::{Coord, LineString, MapCoords, MultiPolygon, Polygon};
use geo::{MakeValid, Validation};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::report::{Problem, Severity};
use crate::crs::{self, Crs, CrsError};

#[derive(Deserialize)]
struct RawCollection {
    #[serde(rename = "type")]
    kind: Option<String>,
    crs: Option<Value>,
    features: Option<Vec<RawFeature>>,
}

#[derive(Deserialize)]
struct RawFeature {
    id: Option<Value>,
    properties: Option<Map<String, Value>>,
    geometry: Option<RawGeometry>,
}

/// A geometry as read: its type and its nested coordinate arrays.
#[derive(Deserialize)]
pub(crate) struct RawGeometry {
    #[serde(rename = "type")]
    pub kind: String,
    coordinates: Option<Value>,
}

/// One feature of a file.
pub(crate) struct GeoFeature {
    /// 1-based position in the file.
    pub number: usize,
    /// The feature's `id` member, as text.
    pub id: Option<String>,
    pub properties: Map<String, Value>,
    pub geometry: Option<RawGeometry>,
}

/// A parsed FeatureCollection.
pub(crate) struct GeoFile {
    pub path: String,
    /// The CRS named by the legacy `crs` member, when present.
    pub declared_crs: Option<Crs>,
    pub features: Vec<GeoFeature>,
    /// Every property name seen in any feature.
    pub property_names: BTreeSet<String>,
}

impl GeoFile {
    /// Parses a FeatureCollection. Invalid JSON (including a truncated file),
    /// another GeoJSON type, or an unsupported `crs` member are fatal.
    pub fn parse(path: &str, bytes: &[u8]) -> Result<GeoFile, Problem> {
        let fatal = |location: Option<String>, message: String| Problem {
            severity: Severity::Fatal,
            file: path.to_string(),
            location,
            message,
        };
        if bytes.iter().all(|b| b.is_ascii_whitespace()) {
            return Err(fatal(None, "the file is empty".into()));
        }
        let raw: RawCollection = serde_json::from_slice(bytes).map_err(|e| {
            let what = if e.is_eof() {
                "the file ends too early (truncated?)"
            } else {
                "the file is not valid GeoJSON"
            };
            fatal(
                Some(format!("line {} column {}", e.line(), e.column())),
                format!("{what}: {e}"),
            )
        })?;
        if raw.kind.as_deref() != Some("FeatureCollection") {
            return Err(fatal(
                None,
                format!(
                    "expected a GeoJSON FeatureCollection, found type {}",
                    raw.kind
                        .map(|k| format!("{k:?}"))
                        .unwrap_or_else(|| "(none)".into())
                ),
            ));
        }
        let declared_crs = match raw.crs {
            None | Some(Value::Null) => None,
            Some(member) => {
                let name = member
                    .pointer("/properties/name")
                    .and_then(Value::as_str)
                    .ok_or_else(|| {
                        fatal(
                            Some("crs member".into()),
                            format!("cannot read the crs member {member}"),
                        )
                    })?;
                Some(
                    Crs::parse(name)
                        .map_err(|e| fatal(Some("crs member".into()), e.to_string()))?,
                )
            }
        };
        let features: Vec<GeoFeature> = raw
            .features
            .ok_or_else(|| {
                fatal(
                    None,
                    "the FeatureCollection has no \"features\" array".into(),
                )
            })?
            .into_iter()
            .enumerate()
            .map(|(i, f)| GeoFeature {
                number: i + 1,
                id: f.id.map(|v| match v {
                    Value::String(s) => s,
                    other => other.to_string(),
                }),
                properties: f.properties.unwrap_or_default(),
                geometry: f.geometry,
            })
            .collect();
        if features.is_empty() {
            return Err(fatal(None, "the FeatureCollection has no features".into()));
        }
        let property_names = features
            .iter()
            .flat_map(|f| f.properties.keys().cloned())
            .collect();
        Ok(GeoFile {
            path: path.to_string(),
            declared_crs,
            features,
            property_names,
        })
    }

    /// Checks that a property exists in at least one feature.
    pub fn require(&self, property: &str, key: &str) -> Result<(), Problem> {
        if self.property_names.contains(property) {
            return Ok(());
        }
        Err(super::records::missing_field(
            &self.path,
            property,
            key,
            self.property_names.iter().map(String::as_str),
        ))
    }
}

impl GeoFeature {
    /// `feature 7` or `feature 7 (E01005866)`.
    pub fn location(&self, label: Option<&str>) -> String {
        match label {
            Some(l) => format!("feature {} ({l})", self.number),
            None => format!("feature {}", self.number),
        }
    }
}

fn number(v: &Value) -> Result<f64, String> {
    v.as_f64()
        .ok_or_else(|| format!("coordinate {v} is not a number"))
}

fn position(v: &Value) -> Result<Coord, String> {
    match v.as_array().map(Vec::as_slice) {
        Some([x, y, ..]) => Ok(Coord {
            x: number(x)?,
            y: number(y)?,
        }),
        _ => Err(format!("position {v} is not an array of two numbers")),
    }
}

fn ring(v: &Value) -> Result<LineString, String> {
    let positions = v.as_array().ok_or("a ring is not an array of positions")?;
    let coords = positions
        .iter()
        .map(position)
        .collect::<Result<Vec<_>, _>>()?;
    if coords.len() < 4 {
        return Err(format!(
            "a ring has {} positions; at least 4 are needed",
            coords.len()
        ));
    }
    let mut line = LineString::new(coords);
    line.close();
    Ok(line)
}

fn polygon(v: &Value) -> Result<Polygon, String> {
    let rings = v
        .as_array()
        .ok_or("polygon coordinates are not an array of rings")?;
    let (outer, inner) = rings.split_first().ok_or("a polygon has no rings")?;
    Ok(Polygon::new(
        ring(outer)?,
        inner.iter().map(ring).collect::<Result<_, _>>()?,
    ))
}

impl RawGeometry {
    fn coordinates(&self) -> Result<&Value, String> {
        self.coordinates
            .as_ref()
            .ok_or_else(|| format!("{} has no coordinates", self.kind))
    }

    /// A Polygon or MultiPolygon, in the file's CRS.
    pub fn to_multipolygon(&self) -> Result<MultiPolygon, String> {
        let coordinates = self.coordinates()?;
        match self.kind.as_str() {
            "Polygon" => Ok(MultiPolygon(vec![polygon(coordinates)?])),
            "MultiPolygon" => {
                let parts = coordinates
                    .as_array()
                    .ok_or("MultiPolygon coordinates are not an array")?;
                if parts.is_empty() {
                    return Err("the MultiPolygon is empty".into());
                }
                Ok(MultiPolygon(
                    parts.iter().map(polygon).collect::<Result<_, _>>()?,
                ))
            }
            other => Err(format!("expected a Polygon or MultiPolygon, found {other}")),
        }
    }

    /// A Point (or a MultiPoint of one point), or a polygon's interior point.
    /// The flag says whether a polygon was reduced to a point.
    pub fn to_point(&self) -> Result<(Coord, bool), String> {
        let coordinates = self.coordinates()?;
        match self.kind.as_str() {
            "Point" => Ok((position(coordinates)?, false)),
            "MultiPoint" => match coordinates.as_array().map(Vec::as_slice) {
                Some([only]) => Ok((position(only)?, false)),
                _ => Err("a MultiPoint with more than one point cannot be one asset".into()),
            },
            "Polygon" | "MultiPolygon" => {
                let shape = self.to_multipolygon()?;
                let point = geo::InteriorPoint::interior_point(&shape)
                    .ok_or("the polygon has no interior point")?;
                Ok((point.0, true))
            }
            other => Err(format!("expected a Point, found {other}")),
        }
    }
}

/// A polygon in both coordinate systems, and what was done to make it valid.
pub(crate) struct ProjectedPolygon {
    pub bng: MultiPolygon,
    pub lonlat: MultiPolygon,
    /// Why it was repaired, when it was.
    pub repaired: Option<String>,
}

/// Converts a polygon to British National Grid and longitude/latitude, and
/// repairs it (in the grid) when it is invalid.
pub(crate) fn project_polygon(shape: MultiPolygon, crs: Crs) -> Result<ProjectedPolygon, CrsError> {
    let (bng, mut lonlat) = match crs {
        Crs::Wgs84 => (
            shape.try_map_coords(|c| Crs::Wgs84.to_bng(c.x, c.y))?,
            Some(shape),
        ),
        Crs::Bng => (shape.try_map_coords(|c| Crs::Bng.to_bng(c.x, c.y))?, None),
        other => (shape.try_map_coords(|c| other.to_bng(c.x, c.y))?, None),
    };
    let (bng, repaired) = match bng.check_validation() {
        Ok(()) => (bng, None),
        Err(problem) => match bng.make_valid() {
            Ok(fixed) if !fixed.0.is_empty() => {
                lonlat = None;
                (fixed, Some(problem.to_string()))
            }
            _ => (
                bng,
                Some(format!("{problem} (could not be repaired; used as is)")),
            ),
        },
    };
    let lonlat = match lonlat {
        Some(ll) => ll,
        None => bng.try_map_coords(|c| {
            crs::bng_to_wgs84(c.x, c.y).map_err(|_| CrsError::OutOfRange {
                x: c.x,
                y: c.y,
                crs: "EPSG:27700",
                reason: "outside the OSTN15 grid".into(),
                suggestion: None,
            })
        })?,
    };
    Ok(ProjectedPolygon {
        bng,
        lonlat,
        repaired,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_truncated_file_names_the_line() {
        let err = GeoFile::parse(
            "t.geojson",
            b"{\"type\":\"FeatureCollection\",\n\"features\":[{\"type\":\"Feature\"",
        )
        .err()
        .expect("fails");
        assert!(err.message.contains("truncated"), "{}", err.message);
        assert_eq!(err.location.as_deref(), Some("line 2 column 29"));
    }

    #[test]
    fn the_legacy_crs_member_is_read() {
        let text = br#"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::27700"}},
            "features":[{"type":"Feature","properties":{"a":1},"geometry":{"type":"Point","coordinates":[530000,180000]}}]}"#;
        let file = GeoFile::parse("c.geojson", text).expect("parses");
        assert_eq!(file.declared_crs, Some(Crs::Bng));
        assert!(file.require("b", "assets.name").is_err());
    }

    #[test]
    fn a_bow_tie_is_repaired_in_the_grid() {
        let bow_tie = MultiPolygon(vec![Polygon::new(
            LineString::from(vec![
                (-0.10, 51.50),
                (-0.09, 51.51),
                (-0.09, 51.50),
                (-0.10, 51.51),
                (-0.10, 51.50),
            ]),
            vec![],
        )]);
        let p = project_polygon(bow_tie, Crs::Wgs84).expect("converts");
        assert!(p.repaired.is_some());
        assert!(p.bng.is_valid());
        assert_eq!(p.bng.0.len(), 2, "a bow tie becomes two triangles");
    }
}

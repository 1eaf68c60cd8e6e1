//! Reading GeoJSON FeatureCollections: features with their properties, the
//! legacy `crs` member, geometries converted to British National Grid with a
//! longitude/latitude twin, and polygons checked and repaired.

use std::collections::BTreeSet;

use geo::{Coord, LineString, MapCoords, MultiPolygon, Polygon};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::report::{Problem, Severity};
use crate::crs::{self, Crs, CrsError};

#[derive(Deserialize)]
struct RawCollection {
    #[serde(rename = "type")]
    kind: Option<String>,
    crs: Option<Value>,
    features: Option<Features>,
}

/// The `features` array, read one feature at a time: each is parsed, typed
/// by the `geojson` crate and its JSON dropped before the next is read, so
/// the whole file is never held as untyped JSON.
struct Features(Vec<GeoFeature>);

impl<'de> Deserialize<'de> for Features {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Features, D::Error> {
        struct Each;
        impl<'de> serde::de::Visitor<'de> for Each {
            type Value = Features;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an array of GeoJSON features")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Features, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                while let Some(v) = seq.next_element::<Value>()? {
                    out.push(read_feature(out.len() + 1, v));
                }
                Ok(Features(out))
            }
        }
        deserializer.deserialize_seq(Each)
    }
}

/// A feature's geometry, typed by the `geojson` crate.
pub(crate) struct RawGeometry {
    /// Its GeoJSON type name.
    pub kind: String,
    value: Result<geojson::Value, String>,
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

/// The type name of a geometry value.
fn kind_of(v: &geojson::Value) -> &'static str {
    use geojson::Value as G;
    match v {
        G::Point(_) => "Point",
        G::MultiPoint(_) => "MultiPoint",
        G::LineString(_) => "LineString",
        G::MultiLineString(_) => "MultiLineString",
        G::Polygon(_) => "Polygon",
        G::MultiPolygon(_) => "MultiPolygon",
        G::GeometryCollection(_) => "GeometryCollection",
    }
}

/// Reads one feature with the `geojson` crate. A feature whose geometry the
/// crate refuses keeps the reason, so the importer can name it.
fn read_feature(number: usize, v: Value) -> GeoFeature {
    let Value::Object(mut object) = v else {
        return GeoFeature {
            number,
            id: None,
            properties: Map::new(),
            geometry: Some(RawGeometry {
                kind: "(not an object)".into(),
                value: Err("the feature is not a JSON object".into()),
            }),
        };
    };
    let id = object.get("id").cloned().map(|v| match v {
        Value::String(s) => s,
        other => other.to_string(),
    });
    let properties = match object.remove("properties") {
        Some(Value::Object(p)) => p,
        _ => Map::new(),
    };
    let geometry = match object.remove("geometry") {
        None | Some(Value::Null) => None,
        Some(g) => {
            let kind = g
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or("(no type)")
                .to_string();
            let value = match g {
                Value::Object(o) => geojson::Geometry::from_json_object(o)
                    .map(|geometry| geometry.value)
                    .map_err(|e| e.to_string()),
                _ => Err("the geometry is not a JSON object".into()),
            };
            Some(RawGeometry { kind, value })
        }
    };
    GeoFeature {
        number,
        id,
        properties,
        geometry,
    }
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
        let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            // Say what it looks like, without echoing what it holds.
            let kind = super::records::not_text_table(bytes)
                .unwrap_or("text, not JSON (a CSV? set format = \"csv\")");
            return Err(fatal(
                None,
                format!("this is not a GeoJSON file: it looks like {kind}"),
            ));
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
            .0;
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

fn position(p: &[f64]) -> Result<Coord, String> {
    match p {
        [x, y, ..] if x.is_finite() && y.is_finite() => Ok(Coord { x: *x, y: *y }),
        _ => Err(format!("position {p:?} is not an array of two numbers")),
    }
}

fn ring(positions: &[Vec<f64>]) -> Result<LineString, String> {
    let coords = positions
        .iter()
        .map(|p| position(p))
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

fn polygon(rings: &[Vec<Vec<f64>>]) -> Result<Polygon, String> {
    let (outer, inner) = rings.split_first().ok_or("a polygon has no rings")?;
    Ok(Polygon::new(
        ring(outer)?,
        inner.iter().map(|r| ring(r)).collect::<Result<_, _>>()?,
    ))
}

impl RawGeometry {
    fn value(&self) -> Result<&geojson::Value, String> {
        self.value
            .as_ref()
            .map_err(|e| format!("{} is not valid GeoJSON: {e}", self.kind))
    }

    /// A Polygon or MultiPolygon, in the file's CRS.
    pub fn to_multipolygon(&self) -> Result<MultiPolygon, String> {
        match self.value()? {
            geojson::Value::Polygon(rings) => Ok(MultiPolygon(vec![polygon(rings)?])),
            geojson::Value::MultiPolygon(parts) => {
                if parts.is_empty() {
                    return Err("the MultiPolygon is empty".into());
                }
                Ok(MultiPolygon(
                    parts.iter().map(|p| polygon(p)).collect::<Result<_, _>>()?,
                ))
            }
            other => Err(format!(
                "expected a Polygon or MultiPolygon, found {}",
                kind_of(other)
            )),
        }
    }

    /// A Point (or a MultiPoint of one point), or a polygon's interior point.
    /// The flag says whether a polygon was reduced to a point.
    pub fn to_point(&self) -> Result<(Coord, bool), String> {
        match self.value()? {
            geojson::Value::Point(p) => Ok((position(p)?, false)),
            geojson::Value::MultiPoint(points) => match points.as_slice() {
                [only] => Ok((position(only)?, false)),
                _ => Err("a MultiPoint with more than one point cannot be one asset".into()),
            },
            geojson::Value::Polygon(_) | geojson::Value::MultiPolygon(_) => {
                let shape = self.to_multipolygon()?;
                let point = geo::InteriorPoint::interior_point(&shape)
                    .ok_or("the polygon has no interior point")?;
                Ok((point.0, true))
            }
            other => Err(format!("expected a Point, found {}", kind_of(other))),
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
    // Checked and repaired in O(n log n): full-resolution boundaries have
    // wards of hundreds of thousands of vertices.
    let (bng, repaired) = match crate::validity::check(&bng) {
        Ok(()) => (bng, None),
        Err(problem) => {
            let fixed = crate::validity::repair(&bng);
            if !fixed.0.is_empty() && crate::validity::is_valid(&fixed) {
                lonlat = None;
                (fixed, Some(problem.to_string()))
            } else {
                (
                    bng,
                    Some(format!("{problem} (could not be repaired; used as is)")),
                )
            }
        }
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
    use geo::Validation;

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
    fn a_byte_order_mark_and_bad_geometries_are_handled_per_feature() {
        let text = "\u{feff}{\"type\":\"FeatureCollection\",\"features\":[
            {\"type\":\"Feature\",\"properties\":{},\"geometry\":{\"type\":\"Point\",\"coordinates\":[1.0,52.0]}},
            {\"type\":\"Feature\",\"properties\":{},\"geometry\":{\"type\":\"Point\",\"coordinates\":\"here\"}},
            {\"type\":\"Feature\",\"properties\":{},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,0],[0,0]]]}},
            {\"type\":\"Feature\",\"properties\":{},\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[0,0],[1,1]]}}]}";
        let file = GeoFile::parse("b.geojson", text.as_bytes()).expect("a BOM is accepted");
        let g = |i: usize| file.features[i].geometry.as_ref().unwrap();
        assert_eq!(g(0).to_point().unwrap().0, Coord { x: 1.0, y: 52.0 });
        assert!(
            g(1).to_point()
                .unwrap_err()
                .contains("Point is not valid GeoJSON")
        );
        assert!(g(2).to_multipolygon().unwrap_err().contains("at least 4"));
        assert_eq!(
            g(3).to_point().unwrap_err(),
            "expected a Point, found LineString"
        );
        assert_eq!(file.features[3].number, 4);
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

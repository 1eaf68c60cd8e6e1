//! GeoJSON: CRS84 per RFC 7946 (right-hand winding, 6 decimals), or another
//! CRS with its axis order and a legacy `crs` member for desktop GIS.

use std::fmt::Write as _;

use geo::orient::{Direction, Orient};
use geo::{Coord, MultiPolygon};
use serde_json::Value;

use super::number;
use crate::crs::{Crs, wgs84_to_web_mercator};
use crate::features::{self, Collection, Geometry};
use crate::model::Dataset;

/// The CRS and axis order of GeoJSON output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GeoJsonCrs {
    /// OGC CRS84: longitude, latitude (RFC 7946).
    Crs84,
    /// EPSG:4326 with its official axis order: latitude, longitude.
    Epsg4326,
    /// EPSG:27700: easting, northing.
    Bng,
    /// EPSG:3857: x, y.
    WebMercator,
}

impl GeoJsonCrs {
    /// The OGC URI of the CRS.
    pub fn uri(self) -> &'static str {
        match self {
            GeoJsonCrs::Crs84 => "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
            GeoJsonCrs::Epsg4326 => "http://www.opengis.net/def/crs/EPSG/0/4326",
            GeoJsonCrs::Bng => "http://www.opengis.net/def/crs/EPSG/0/27700",
            GeoJsonCrs::WebMercator => "http://www.opengis.net/def/crs/EPSG/0/3857",
        }
    }

    /// The URN form GDAL and QGIS read from a legacy `crs` member.
    pub fn urn(self) -> &'static str {
        match self {
            GeoJsonCrs::Crs84 => "urn:ogc:def:crs:OGC:1.3:CRS84",
            GeoJsonCrs::Epsg4326 => "urn:ogc:def:crs:EPSG::4326",
            GeoJsonCrs::Bng => "urn:ogc:def:crs:EPSG::27700",
            GeoJsonCrs::WebMercator => "urn:ogc:def:crs:EPSG::3857",
        }
    }

    /// The CRS these coordinates are in.
    pub fn crs(self) -> Crs {
        match self {
            GeoJsonCrs::Crs84 | GeoJsonCrs::Epsg4326 => Crs::Wgs84,
            GeoJsonCrs::Bng => Crs::Bng,
            GeoJsonCrs::WebMercator => Crs::WebMercator,
        }
    }

    /// Decimals written: 6 for degrees (about 10 cm), 2 for metres.
    pub fn decimals(self) -> usize {
        match self {
            GeoJsonCrs::Crs84 | GeoJsonCrs::Epsg4326 => 6,
            GeoJsonCrs::Bng | GeoJsonCrs::WebMercator => 2,
        }
    }

    fn coord(self, bng: Coord, lonlat: Coord) -> (f64, f64) {
        match self {
            GeoJsonCrs::Crs84 => (lonlat.x, lonlat.y),
            GeoJsonCrs::Epsg4326 => (lonlat.y, lonlat.x),
            GeoJsonCrs::Bng => (bng.x, bng.y),
            GeoJsonCrs::WebMercator => {
                let m = wgs84_to_web_mercator(lonlat);
                (m.x, m.y)
            }
        }
    }
}

fn push_pair(out: &mut String, (x, y): (f64, f64), decimals: usize) {
    let _ = write!(out, "[{},{}]", number(x, decimals), number(y, decimals));
}

fn push_polygons(out: &mut String, shape: &MultiPolygon, crs: GeoJsonCrs) {
    let decimals = crs.decimals();
    // Right-hand rule: exterior rings counter-clockwise, holes clockwise.
    let oriented = shape.orient(Direction::Default);
    out.push('[');
    for (p, polygon) in oriented.0.iter().enumerate() {
        if p > 0 {
            out.push(',');
        }
        out.push('[');
        for (r, ring) in std::iter::once(polygon.exterior())
            .chain(polygon.interiors())
            .enumerate()
        {
            if r > 0 {
                out.push(',');
            }
            out.push('[');
            for (k, c) in ring.0.iter().enumerate() {
                if k > 0 {
                    out.push(',');
                }
                let pair = match crs {
                    GeoJsonCrs::Crs84 => (c.x, c.y),
                    GeoJsonCrs::Epsg4326 => (c.y, c.x),
                    GeoJsonCrs::Bng => (c.x, c.y),
                    GeoJsonCrs::WebMercator => {
                        let m = wgs84_to_web_mercator(*c);
                        (m.x, m.y)
                    }
                };
                push_pair(out, pair, decimals);
            }
            out.push(']');
        }
        out.push(']');
    }
    out.push(']');
}

/// Writes a geometry object.
fn push_geometry(out: &mut String, g: Geometry, crs: GeoJsonCrs) {
    match g {
        Geometry::Point { bng, lonlat } => {
            out.push_str("{\"type\":\"Point\",\"coordinates\":");
            push_pair(out, crs.coord(bng, lonlat), crs.decimals());
            out.push('}');
        }
        Geometry::Area { bng, lonlat } => {
            out.push_str("{\"type\":\"MultiPolygon\",\"coordinates\":");
            let source = if crs == GeoJsonCrs::Bng { bng } else { lonlat };
            push_polygons(out, source, crs);
            out.push('}');
        }
    }
}

/// A geometry as a JSON value.
pub fn geometry_json(g: Geometry, crs: GeoJsonCrs) -> Value {
    let mut out = String::new();
    push_geometry(&mut out, g, crs);
    serde_json::from_str(&out).unwrap_or(Value::Null)
}

/// Writes one feature; `only` limits the properties.
fn push_feature(
    out: &mut String,
    collection: Collection,
    dataset: &Dataset,
    i: usize,
    crs: GeoJsonCrs,
    only: Option<&[String]>,
) {
    let id = collection.feature_id(dataset, i);
    let properties = features::properties_object(collection, dataset, i, only);
    let _ = write!(
        out,
        "{{\"type\":\"Feature\",\"id\":{},\"geometry\":",
        Value::String(id.to_string())
    );
    push_geometry(out, features::geometry(collection, dataset, i), crs);
    let _ = write!(out, ",\"properties\":{}}}", Value::Object(properties));
}

/// One feature as a JSON value.
pub fn feature_json(
    collection: Collection,
    dataset: &Dataset,
    i: usize,
    crs: GeoJsonCrs,
    only: Option<&[String]>,
) -> Value {
    let mut out = String::new();
    push_feature(&mut out, collection, dataset, i, crs, only);
    serde_json::from_str(&out).unwrap_or(Value::Null)
}

/// A whole FeatureCollection. Outside CRS84 a legacy `crs` member names the
/// CRS so desktop GIS reads it; `extra` members (links, counts) are added at
/// the top level.
pub fn write_feature_collection(
    collection: Collection,
    dataset: &Dataset,
    indexes: &[usize],
    crs: GeoJsonCrs,
    only: Option<&[String]>,
    extra: &serde_json::Map<String, Value>,
) -> String {
    let mut out = String::with_capacity(256 + indexes.len() * 256);
    let _ = write!(
        out,
        "{{\"type\":\"FeatureCollection\",\"name\":\"{}\"",
        collection.id()
    );
    if crs != GeoJsonCrs::Crs84 {
        let _ = write!(
            out,
            ",\"crs\":{{\"type\":\"name\",\"properties\":{{\"name\":\"{}\"}}}}",
            crs.urn()
        );
    }
    for (k, v) in extra {
        let _ = write!(out, ",{}:{}", Value::String(k.clone()), v);
    }
    out.push_str(",\"features\":[");
    for (n, &i) in indexes.iter().enumerate() {
        if n > 0 {
            out.push(',');
        }
        out.push('\n');
        push_feature(&mut out, collection, dataset, i, crs, only);
    }
    out.push_str("\n]}\n");
    out
}

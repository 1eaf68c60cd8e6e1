//! OGC GeoPackage 1.3 in EPSG:27700: one feature table per collection, plus
//! an attributes table with the dataset's provenance. Geometries are
//! GeoPackage binary (header with envelope, then little-endian WKB).

use std::path::Path;

use geo::{BoundingRect, Coord, MultiPolygon};
use rusqlite::{Connection, params_from_iter};
use serde_json::Value;

use super::ExportError;
use super::gaps::GapLevel;
use crate::analysis::GapResult;
use crate::features::{self, Collection, FieldType, Geometry};
use crate::model::Dataset;

/// "GPKG" as the SQLite application id.
const APPLICATION_ID: i32 = 0x4750_4B47;
/// GeoPackage 1.3.0 (what GDAL 3.6, in Debian 12, reads without a warning).
const USER_VERSION: i32 = 10_300;
/// OGC WKT of OSGB36 / British National Grid.
const BNG_WKT: &str = r#"PROJCS["OSGB36 / British National Grid",GEOGCS["OSGB36",DATUM["Ordnance_Survey_of_Great_Britain_1936",SPHEROID["Airy 1830",6377563.396,299.3249646,AUTHORITY["EPSG","7001"]],AUTHORITY["EPSG","6277"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4277"]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",49],PARAMETER["central_meridian",-2],PARAMETER["scale_factor",0.9996012717],PARAMETER["false_easting",400000],PARAMETER["false_northing",-100000],UNIT["metre",1,AUTHORITY["EPSG","9001"]],AXIS["Easting",EAST],AXIS["Northing",NORTH],AUTHORITY["EPSG","27700"]]"#;
const WGS84_WKT: &str = r#"GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]"#;

const SCHEMA: &str = r#"
CREATE TABLE gpkg_spatial_ref_sys (
  srs_name TEXT NOT NULL, srs_id INTEGER NOT NULL PRIMARY KEY, organization TEXT NOT NULL,
  organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
CREATE TABLE gpkg_contents (
  table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
  description TEXT DEFAULT '', last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
CREATE TABLE gpkg_geometry_columns (
  table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
  CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
"#;

fn push_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn push_coord(out: &mut Vec<u8>, c: Coord) {
    out.extend_from_slice(&c.x.to_le_bytes());
    out.extend_from_slice(&c.y.to_le_bytes());
}

/// GeoPackage binary: `GP`, version 0, flags (little-endian, envelope kind),
/// SRS id, optional [minx, maxx, miny, maxy] envelope, then WKB.
fn gpkg_point(c: Coord) -> Vec<u8> {
    let mut out = vec![b'G', b'P', 0, 0b0000_0001];
    out.extend_from_slice(&27_700i32.to_le_bytes());
    out.push(1);
    push_u32(&mut out, 1);
    push_coord(&mut out, c);
    out
}

fn gpkg_multipolygon(shape: &MultiPolygon) -> Vec<u8> {
    let mut out = vec![b'G', b'P', 0, 0b0000_0011];
    out.extend_from_slice(&27_700i32.to_le_bytes());
    if let Some(r) = shape.bounding_rect() {
        for v in [r.min().x, r.max().x, r.min().y, r.max().y] {
            out.extend_from_slice(&v.to_le_bytes());
        }
    } else {
        out[3] = 0b0001_0001;
    }
    out.push(1);
    push_u32(&mut out, 6);
    push_u32(&mut out, shape.0.len() as u32);
    for polygon in &shape.0 {
        out.push(1);
        push_u32(&mut out, 3);
        push_u32(&mut out, 1 + polygon.interiors().len() as u32);
        for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
            push_u32(&mut out, ring.0.len() as u32);
            for c in &ring.0 {
                push_coord(&mut out, *c);
            }
        }
    }
    out
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Writes the given features of each collection into a new GeoPackage at `path`
/// (replacing any file there), in EPSG:27700.
pub fn write_geopackage(
    path: &Path,
    dataset: &Dataset,
    layers: &[(Collection, Vec<usize>)],
) -> Result<(), ExportError> {
    let mut db = create(path)?;
    let tx = db.transaction()?;
    for (collection, indexes) in layers {
        write_layer(&tx, dataset, *collection, indexes)?;
    }
    let styles: Vec<(&str, super::styles::LayerStyle)> = layers
        .iter()
        .map(|(c, indexes)| (c.id(), style_for(dataset, *c, indexes)))
        .collect();
    super::styles::write_layer_styles(&tx, &styles)?;
    write_provenance(&tx, dataset)?;
    tx.commit()?;
    Ok(())
}

/// A new, empty GeoPackage at `path` (replacing any file there) with its
/// metadata tables and the two reference systems.
fn create(path: &Path) -> Result<Connection, ExportError> {
    if path.exists() {
        std::fs::remove_file(path)?;
    }
    let mut db = Connection::open(path)?;
    db.pragma_update(None, "application_id", APPLICATION_ID)?;
    db.pragma_update(None, "user_version", USER_VERSION)?;
    let tx = db.transaction()?;
    tx.execute_batch(SCHEMA)?;
    tx.execute(
        "INSERT INTO gpkg_spatial_ref_sys VALUES ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian coordinate reference system'),
         ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system'),
         ('WGS 84 geodetic', 4326, 'EPSG', 4326, ?1, 'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid'),
         ('OSGB36 / British National Grid', 27700, 'EPSG', 27700, ?2, 'British National Grid')",
        [WGS84_WKT, BNG_WKT],
    )?;
    tx.commit()?;
    Ok(db)
}

/// Writes a gap analysis into a new GeoPackage at `path`: one feature table
/// (`ward_gaps` or `small_area_gaps`) with the figures on each area's polygon,
/// an `analysis_provenance` table with the parameters and result hash, and the
/// dataset's provenance.
pub fn write_gap_geopackage(
    path: &Path,
    dataset: &Dataset,
    result: &GapResult,
    level: GapLevel,
) -> Result<(), ExportError> {
    let mut db = create(path)?;
    let tx = db.transaction()?;
    let (table, title, shapes): (&str, &str, Vec<&MultiPolygon>) = match level {
        GapLevel::Wards => (
            "ward_gaps",
            "Gap analysis by ward",
            dataset.wards.iter().map(|w| &w.bng).collect(),
        ),
        GapLevel::SmallAreas => (
            "small_area_gaps",
            "Gap analysis by small area",
            dataset.small_areas.iter().map(|a| &a.bng).collect(),
        ),
    };
    let rows = super::gaps::rows(dataset, result, level);
    let Some(first) = rows.first() else {
        return Err(ExportError::Invalid("the analysis has no rows".into()));
    };
    let names: Vec<&String> = first.keys().collect();
    let kinds: Vec<&str> = names
        .iter()
        .map(|name| {
            let values = || {
                rows.iter()
                    .map(|r| &r[name.as_str()])
                    .filter(|v| !v.is_null())
            };
            if values().next().is_some() && values().all(Value::is_boolean) {
                "BOOLEAN"
            } else if values().all(|v| v.is_i64() || v.is_boolean()) {
                "INTEGER"
            } else if values().all(Value::is_number) {
                "REAL"
            } else {
                "TEXT"
            }
        })
        .collect();
    let columns: Vec<String> = names
        .iter()
        .zip(&kinds)
        .map(|(n, k)| format!("{} {k}", quote(n)))
        .collect();
    tx.execute_batch(&format!(
        "CREATE TABLE {table} (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, geom MULTIPOLYGON, {});",
        columns.join(", ")
    ))?;
    let quoted: Vec<String> = names.iter().map(|n| quote(n)).collect();
    let mut insert = tx.prepare(&format!(
        "INSERT INTO {table} (geom, {}) VALUES ({})",
        quoted.join(", "),
        vec!["?"; names.len() + 1].join(", ")
    ))?;
    let mut bounds: Option<geo::Rect> = None;
    let mut boxes: Vec<(i64, geo::Rect)> = Vec::with_capacity(rows.len());
    for (row, shape) in rows.iter().zip(&shapes) {
        if let Some(r) = shape.bounding_rect() {
            bounds = Some(match bounds {
                None => r,
                Some(b) => geo::Rect::new(
                    Coord {
                        x: b.min().x.min(r.min().x),
                        y: b.min().y.min(r.min().y),
                    },
                    Coord {
                        x: b.max().x.max(r.max().x),
                        y: b.max().y.max(r.max().y),
                    },
                ),
            });
        }
        let mut values = vec![rusqlite::types::Value::Blob(gpkg_multipolygon(shape))];
        values.extend(row.values().map(sql_value));
        insert.execute(params_from_iter(values))?;
        if let Some(r) = shape.bounding_rect() {
            boxes.push((tx.last_insert_rowid(), r));
        }
    }
    drop(insert);
    spatial_index(&tx, table, &boxes)?;
    let style = match level {
        GapLevel::Wards => super::styles::gap_style(table),
        GapLevel::SmallAreas => {
            let scores: Vec<f64> = rows
                .iter()
                .filter_map(|r| r.get("imd_score").and_then(Value::as_f64))
                .collect();
            super::styles::imd_style(table, &scores)
        }
    };
    super::styles::write_layer_styles(&tx, &[(table, style)])?;
    let b = bounds.map(|r| [r.min().x, r.min().y, r.max().x, r.max().y]);
    let [min_x, min_y, max_x, max_y] = b.map_or([None; 4], |b| b.map(Some));
    let description = format!(
        "assetmap gap analysis of {} (see analysis_provenance)",
        result.params.category
    );
    tx.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, min_x, min_y, max_x, max_y, srs_id)
         VALUES (?1, 'features', ?2, ?3, ?4, ?5, ?6, ?7, 27700)",
        rusqlite::params![table, title, description, min_x, min_y, max_x, max_y],
    )?;
    tx.execute(
        "INSERT INTO gpkg_geometry_columns VALUES (?1, 'geom', 'MULTIPOLYGON', 27700, 0, 0)",
        [table],
    )?;
    tx.execute_batch("CREATE TABLE analysis_provenance (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, key TEXT NOT NULL, value TEXT);")?;
    let provenance = super::gaps::provenance(dataset, result);
    let mut insert = tx.prepare("INSERT INTO analysis_provenance (key, value) VALUES (?1, ?2)")?;
    if let Value::Object(map) = &provenance {
        for (k, v) in map {
            let text = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            insert.execute([k.as_str(), text.as_str()])?;
        }
    }
    drop(insert);
    tx.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description) VALUES ('analysis_provenance', 'attributes', 'Analysis provenance', 'Method, parameters, data vintages and result hash of the gap analysis')",
        [],
    )?;
    write_provenance(&tx, dataset)?;
    tx.commit()?;
    Ok(())
}

fn sql_value(v: &Value) -> rusqlite::types::Value {
    match v {
        Value::Null => rusqlite::types::Value::Null,
        Value::Bool(b) => rusqlite::types::Value::Integer(i64::from(*b)),
        Value::String(s) => rusqlite::types::Value::Text(s.clone()),
        Value::Number(n) => match n.as_i64() {
            Some(i) => rusqlite::types::Value::Integer(i),
            None => rusqlite::types::Value::Real(n.as_f64().unwrap_or(f64::NAN)),
        },
        other => rusqlite::types::Value::Text(other.to_string()),
    }
}

fn write_layer(
    tx: &rusqlite::Transaction,
    dataset: &Dataset,
    collection: Collection,
    indexes: &[usize],
) -> Result<(), ExportError> {
    let table = collection.id();
    let schema = collection.schema(dataset);
    let geometry_type = if collection == Collection::Assets {
        "POINT"
    } else {
        "MULTIPOLYGON"
    };
    let columns: Vec<String> = schema
        .iter()
        .map(|f| {
            let kind = match f.kind {
                FieldType::Text => "TEXT",
                FieldType::Integer => "INTEGER",
                FieldType::Real => "REAL",
            };
            format!("{} {kind}", quote(&f.name))
        })
        .collect();
    tx.execute_batch(&format!(
        "CREATE TABLE {} (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, geom {geometry_type}, {});",
        quote(table),
        columns.join(", ")
    ))?;
    let mut bounds: Option<[f64; 4]> = None;
    let placeholders = vec!["?"; schema.len() + 1].join(", ");
    let names: Vec<String> = schema.iter().map(|f| quote(&f.name)).collect();
    let mut insert = tx.prepare(&format!(
        "INSERT INTO {} (geom, {}) VALUES ({placeholders})",
        quote(table),
        names.join(", ")
    ))?;
    let mut boxes: Vec<(i64, geo::Rect)> = Vec::with_capacity(indexes.len());
    for &i in indexes {
        let (blob, rect) = match features::geometry(collection, dataset, i) {
            Geometry::Point { bng, .. } => (gpkg_point(bng), Some(geo::Rect::new(bng, bng))),
            Geometry::Area { bng, .. } => (gpkg_multipolygon(bng), bng.bounding_rect()),
        };
        if let Some(r) = rect {
            let b = bounds.get_or_insert([r.min().x, r.min().y, r.max().x, r.max().y]);
            b[0] = b[0].min(r.min().x);
            b[1] = b[1].min(r.min().y);
            b[2] = b[2].max(r.max().x);
            b[3] = b[3].max(r.max().y);
        }
        let mut values: Vec<rusqlite::types::Value> = vec![rusqlite::types::Value::Blob(blob)];
        for v in features::properties(collection, dataset, i) {
            values.push(match v {
                Value::Null => rusqlite::types::Value::Null,
                Value::String(s) => rusqlite::types::Value::Text(s),
                Value::Number(n) if n.is_i64() => {
                    rusqlite::types::Value::Integer(n.as_i64().unwrap_or(0))
                }
                Value::Number(n) => rusqlite::types::Value::Real(n.as_f64().unwrap_or(f64::NAN)),
                other => rusqlite::types::Value::Text(other.to_string()),
            });
        }
        insert.execute(params_from_iter(values))?;
        if let Some(r) = rect {
            boxes.push((tx.last_insert_rowid(), r));
        }
    }
    drop(insert);
    spatial_index(tx, table, &boxes)?;
    let [min_x, min_y, max_x, max_y] = bounds.map_or([None; 4], |b| b.map(Some));
    tx.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, min_x, min_y, max_x, max_y, srs_id)
         VALUES (?1, 'features', ?2, ?3, ?4, ?5, ?6, ?7, 27700)",
        rusqlite::params![table, collection.title(), collection.description(), min_x, min_y, max_x, max_y],
    )?;
    tx.execute(
        "INSERT INTO gpkg_geometry_columns VALUES (?1, 'geom', ?2, 27700, 0, 0)",
        rusqlite::params![table, geometry_type],
    )?;
    Ok(())
}

/// The default map style of an exported layer (see [`super::styles`]).
fn style_for(
    dataset: &Dataset,
    collection: Collection,
    indexes: &[usize],
) -> super::styles::LayerStyle {
    match collection {
        Collection::Assets => {
            let mut present: Vec<&str> = indexes
                .iter()
                .map(|&i| dataset.assets[i].category.as_str())
                .collect();
            present.sort_unstable();
            present.dedup();
            let categories: Vec<(String, String)> = present
                .into_iter()
                .map(|c| {
                    let label = dataset
                        .info
                        .category_labels
                        .get(c)
                        .cloned()
                        .unwrap_or_else(|| c.to_string());
                    (c.to_string(), label)
                })
                .collect();
            super::styles::asset_style(collection.id(), &categories)
        }
        Collection::Wards => {
            let scores: Vec<f64> = indexes
                .iter()
                .filter_map(|&i| dataset.wards[i].imd_score)
                .collect();
            super::styles::imd_style(collection.id(), &scores)
        }
        Collection::SmallAreas => {
            let scores: Vec<f64> = indexes
                .iter()
                .filter_map(|&i| dataset.small_areas[i].deprivation.as_ref().map(|d| d.score))
                .collect();
            super::styles::imd_style(collection.id(), &scores)
        }
    }
}

/// The GeoPackage R-tree spatial index (`gpkg_rtree_index`, GeoPackage 1.2
/// §F.3) on a table's `geom`: the virtual table filled with each feature's
/// box, the extension registered, and the standard triggers that keep it
/// current when a GIS edits the layer (created after the rows are in, as
/// they call the GeoPackage SQL functions a GIS provides).
fn spatial_index(
    tx: &rusqlite::Transaction,
    table: &str,
    boxes: &[(i64, geo::Rect)],
) -> Result<(), ExportError> {
    let t = table;
    let rtree = format!("rtree_{t}_geom");
    tx.execute_batch(&format!(
        "CREATE TABLE IF NOT EXISTS gpkg_extensions (table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL, definition TEXT NOT NULL, scope TEXT NOT NULL, CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name));
         CREATE VIRTUAL TABLE {rtree} USING rtree(id, minx, maxx, miny, maxy);"
    ))?;
    tx.execute(
        "INSERT INTO gpkg_extensions VALUES (?1, 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only')",
        [t],
    )?;
    let mut insert = tx.prepare(&format!("INSERT INTO {rtree} VALUES (?1, ?2, ?3, ?4, ?5)"))?;
    for (fid, r) in boxes {
        insert.execute(rusqlite::params![
            fid,
            r.min().x,
            r.max().x,
            r.min().y,
            r.max().y
        ])?;
    }
    drop(insert);
    let values = "VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom))";
    tx.execute_batch(&format!(
        "CREATE TRIGGER {rtree}_insert AFTER INSERT ON {t} WHEN (NEW.geom NOT NULL AND NOT ST_IsEmpty(NEW.geom))
           BEGIN INSERT OR REPLACE INTO {rtree} {values}; END;
         CREATE TRIGGER {rtree}_update1 AFTER UPDATE OF geom ON {t} WHEN OLD.fid = NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
           BEGIN INSERT OR REPLACE INTO {rtree} {values}; END;
         CREATE TRIGGER {rtree}_update2 AFTER UPDATE OF geom ON {t} WHEN OLD.fid = NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
           BEGIN DELETE FROM {rtree} WHERE id = OLD.fid; END;
         CREATE TRIGGER {rtree}_update3 AFTER UPDATE ON {t} WHEN OLD.fid != NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
           BEGIN DELETE FROM {rtree} WHERE id = OLD.fid; INSERT OR REPLACE INTO {rtree} {values}; END;
         CREATE TRIGGER {rtree}_update4 AFTER UPDATE ON {t} WHEN OLD.fid != NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
           BEGIN DELETE FROM {rtree} WHERE id IN (OLD.fid, NEW.fid); END;
         CREATE TRIGGER {rtree}_delete AFTER DELETE ON {t} WHEN OLD.geom NOT NULL
           BEGIN DELETE FROM {rtree} WHERE id = OLD.fid; END;"
    ))?;
    Ok(())
}

/// An attributes table with the dataset's name, vintages, sources and content hash.
fn write_provenance(tx: &rusqlite::Transaction, dataset: &Dataset) -> Result<(), ExportError> {
    tx.execute_batch("CREATE TABLE dataset_provenance (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, key TEXT NOT NULL, value TEXT);")?;
    let info = &dataset.info;
    let mut rows: Vec<(String, String)> = vec![
        ("dataset".into(), info.name.clone()),
        ("content_hash_sha256".into(), info.content_hash.clone()),
        ("demand_points".into(), info.demand_points.clone()),
        (
            "generated_by".into(),
            format!("assetmap {}", env!("CARGO_PKG_VERSION")),
        ),
    ];
    if let Some(a) = &info.attribution {
        rows.push(("attribution".into(), a.clone()));
    }
    let v = &info.vintages;
    for (k, value) in [
        ("wards", &v.wards),
        ("small_areas", &v.small_areas),
        ("deprivation", &v.deprivation),
        ("population", &v.population),
        ("postcodes", &v.postcodes),
    ] {
        if let Some(value) = value {
            rows.push((format!("vintage_{k}"), value.clone()));
        }
    }
    for s in &info.sources {
        rows.push((
            format!("source_{}", s.name),
            format!("{} ({} loaded)", s.path, s.loaded),
        ));
    }
    let mut insert = tx.prepare("INSERT INTO dataset_provenance (key, value) VALUES (?1, ?2)")?;
    for (k, value) in rows {
        insert.execute([k, value])?;
    }
    tx.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description) VALUES ('dataset_provenance', 'attributes', 'Dataset provenance', 'Name, vintages, sources and content hash of the data in this file')",
        [],
    )?;
    Ok(())
}

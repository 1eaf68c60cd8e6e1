//! Wards and small areas: polygon layers, and the joins of small areas to
//! deprivation, population, a ward lookup and supplied demand points.

use std::collections::HashMap;

use geo::{Coord, MultiPolygon};

use super::geojson::{GeoFile, project_polygon};
use super::manifest::{
    DeprivationTable, Format, LookupTable, PointTable, PolygonLayer, PopulationTable,
};
use super::records::{self, Record, Table};
use super::report::{Severity, SourceReport};
use super::{Ctx, Problem};
use crate::crs::Crs;
use crate::model::{DemandSource, Deprivation, SmallArea, Ward, WardAssignment};

/// A polygon feature as loaded, before it becomes a ward or small area.
pub(crate) struct AreaRecord {
    pub code: String,
    pub name: Option<String>,
    pub council_code: Option<String>,
    pub council_name: Option<String>,
    pub bng: MultiPolygon,
    pub lonlat: MultiPolygon,
}

/// The format a path declares or implies.
pub(crate) fn format_of(path: &str, declared: Option<Format>) -> Option<Format> {
    declared.or_else(|| {
        let lower = path.to_ascii_lowercase();
        if lower.ends_with(".geojson") || lower.ends_with(".json") {
            Some(Format::Geojson)
        } else if lower.ends_with(".csv") {
            Some(Format::Csv)
        } else {
            None
        }
    })
}

/// The CRS to use for a GeoJSON file: the manifest's, else the file's `crs`
/// member, else CRS84 as RFC 7946 requires. Disagreement is reported.
pub(crate) fn geojson_crs(
    ctx: &mut Ctx,
    file: &GeoFile,
    declared: Option<&str>,
    key: &str,
) -> Result<Crs, Problem> {
    let manifest_crs = declared
        .map(|name| {
            Crs::parse(name).map_err(|e| ctx.manifest_error(&format!("{key}.crs"), e.to_string()))
        })
        .transpose()?;
    match (manifest_crs, file.declared_crs) {
        (Some(m), Some(f)) if m != f => {
            ctx.problem(
                Severity::Warning,
                &file.path,
                Some("crs member".into()),
                format!(
                    "the file says {} but the manifest says {}; using the manifest's",
                    f.name(),
                    m.name()
                ),
            );
            Ok(m)
        }
        (Some(m), _) => Ok(m),
        (None, Some(f)) => Ok(f),
        (None, None) => Ok(Crs::Wgs84),
    }
}

/// Loads a polygon layer: codes and names from properties, geometry converted
/// and repaired, duplicate codes and unusable features skipped and reported.
pub(crate) fn load_polygons(
    ctx: &mut Ctx,
    layer: &PolygonLayer,
    key: &str,
) -> Result<Vec<AreaRecord>, Problem> {
    if format_of(&layer.path, layer.format) != Some(Format::Geojson) {
        return Err(ctx.manifest_error(
            &format!("{key}.format"),
            format!(
                "{key} must be a GeoJSON file of polygons (got {:?})",
                layer.path
            ),
        ));
    }
    records::check_filters(&layer.filter, key, &ctx.manifest)?;
    let bytes = ctx.read(&layer.path)?;
    let file = GeoFile::parse(&layer.path, &bytes)?;
    drop(bytes);
    file.require(&layer.code, &format!("{key}.code"))?;
    for (field, name) in [
        ("name", &layer.name),
        ("council_code", &layer.council_code),
        ("council_name", &layer.council_name),
    ] {
        if let Some(name) = name {
            file.require(name, &format!("{key}.{field}"))?;
        }
    }
    for (i, f) in layer.filter.iter().enumerate() {
        file.require(&f.field, &format!("{key}.filter[{i}].field"))?;
    }
    let crs = geojson_crs(ctx, &file, layer.crs.as_deref(), key)?;
    let mut source = SourceReport {
        name: key.into(),
        layer: key.into(),
        path: layer.path.clone(),
        ..Default::default()
    };
    let mut out: Vec<AreaRecord> = Vec::new();
    let mut first_seen: HashMap<String, usize> = HashMap::new();
    for feature in file.features {
        source.read += 1;
        if !records::keep(&layer.filter, &feature.properties) {
            source.filtered += 1;
            continue;
        }
        let properties: &dyn Record = &feature.properties;
        let Some(code) = properties.get(&layer.code) else {
            ctx.skip(
                &mut source,
                feature.location(None),
                "missing code",
                format!("no value in {:?}", layer.code),
            );
            continue;
        };
        let location = feature.location(Some(&code));
        if let Some(first) = first_seen.get(&code) {
            let message = format!(
                "duplicate code {code} (first at feature {first}); this feature is left out"
            );
            ctx.skip(&mut source, location, "duplicate code", message);
            continue;
        }
        let shape = match feature.geometry.as_ref().map(|g| g.to_multipolygon()) {
            None => {
                ctx.skip(
                    &mut source,
                    location,
                    "no geometry",
                    "the feature has no geometry".into(),
                );
                continue;
            }
            Some(Err(e)) => {
                ctx.skip(&mut source, location, "unusable geometry", e);
                continue;
            }
            Some(Ok(shape)) => shape,
        };
        let projected = match project_polygon(shape, crs) {
            Ok(p) => p,
            Err(e) => {
                ctx.skip(
                    &mut source,
                    location,
                    "coordinates out of range",
                    e.to_string(),
                );
                continue;
            }
        };
        if let Some(reason) = &projected.repaired {
            source.repaired += 1;
            ctx.problem(
                Severity::Repaired,
                &layer.path,
                Some(location),
                format!("invalid polygon ({reason}); repaired"),
            );
        }
        first_seen.insert(code.clone(), feature.number);
        let get = |field: &Option<String>| field.as_ref().and_then(|f| properties.get(f));
        out.push(AreaRecord {
            name: get(&layer.name),
            council_code: get(&layer.council_code),
            council_name: get(&layer.council_name),
            code,
            bng: projected.bng,
            lonlat: projected.lonlat,
        });
        source.loaded += 1;
    }
    ctx.finish(source, layer.vintage.clone());
    Ok(out)
}

/// Wards from polygon records, before the roll-up.
pub(crate) fn into_wards(records: Vec<AreaRecord>) -> Vec<Ward> {
    records
        .into_iter()
        .map(|r| Ward {
            label_point: label_point(&r.lonlat),
            name: r.name.unwrap_or_else(|| r.code.clone()),
            code: r.code,
            council_code: r.council_code,
            council_name: r.council_name,
            bng: r.bng,
            lonlat: r.lonlat,
            small_areas: Vec::new(),
            population: 0.0,
            imd_score: None,
            decile1_share: None,
            domains: Vec::new(),
        })
        .collect()
}

/// An interior point of a shape's largest part (where a map puts its name).
fn label_point(shape: &MultiPolygon) -> Option<Coord> {
    use geo::{Area, InteriorPoint};
    let largest = shape
        .0
        .iter()
        .max_by(|a, b| a.unsigned_area().total_cmp(&b.unsigned_area()))?;
    Some(largest.interior_point()?.0)
}

/// Small areas from polygon records; demand points and wards come later.
pub(crate) fn into_small_areas(records: Vec<AreaRecord>) -> Vec<SmallArea> {
    records
        .into_iter()
        .map(|r| SmallArea {
            code: r.code,
            name: r.name,
            council_code: r.council_code,
            bng: r.bng,
            lonlat: r.lonlat,
            demand: Coord {
                x: f64::NAN,
                y: f64::NAN,
            },
            demand_source: DemandSource::AreaCentroid,
            ward: None,
            ward_assignment: WardAssignment::Unassigned,
            population: None,
            deprivation: None,
        })
        .collect()
}

/// A CSV keyed by small-area code, as the manifest describes it.
struct KeyedTable<'a> {
    path: &'a str,
    /// Layer name, also the manifest section its keys are reported under.
    layer: &'a str,
    code_column: &'a str,
    /// (manifest key, column) pairs that must exist.
    columns: &'a [(&'a str, &'a str)],
    vintage: Option<String>,
}

/// Reads a CSV that is keyed by small-area code, checking its columns, and
/// calls `row` for each row whose code is a loaded small area. Rows for other
/// codes are counted as unmatched; repeated codes are skipped and reported.
fn join_table(
    ctx: &mut Ctx,
    spec: KeyedTable,
    by_code: &HashMap<String, usize>,
    mut row: impl FnMut(&mut Ctx, &mut SourceReport, usize, &dyn Record, String) -> bool,
) -> Result<Vec<bool>, Problem> {
    let KeyedTable {
        path,
        layer,
        code_column,
        columns,
        vintage,
    } = spec;
    let key_prefix = layer;
    let bytes = ctx.read(path)?;
    let (table, problems) = Table::parse(path, &bytes)?;
    drop(bytes);
    table.require(code_column, &format!("{key_prefix}.code"))?;
    for (key, column) in columns {
        table.require(column, &format!("{key_prefix}.{key}"))?;
    }
    let mut source = SourceReport {
        name: layer.into(),
        layer: layer.into(),
        path: path.into(),
        ..Default::default()
    };
    ctx.absorb(&mut source, problems);
    let mut seen: Vec<bool> = vec![false; by_code.len()];
    let mut first_line: HashMap<usize, u64> = HashMap::new();
    for record in table.records() {
        source.read += 1;
        let location = format!("row {}", record.row.number);
        let Some(code) = record.get(code_column) else {
            ctx.skip(
                &mut source,
                location,
                "missing code",
                format!("no value in {code_column:?}"),
            );
            continue;
        };
        let Some(&index) = by_code.get(&code) else {
            // Another area's row (a national table): left out by design.
            source.unmatched += 1;
            source.filtered += 1;
            continue;
        };
        if let Some(first) = first_line.get(&index) {
            let message =
                format!("{code} appears again (first at row {first}); this row is left out");
            ctx.skip(&mut source, location, "duplicate code", message);
            continue;
        }
        if row(ctx, &mut source, index, &record, location) {
            first_line.insert(index, record.row.number);
            seen[index] = true;
            source.loaded += 1;
        }
    }
    ctx.finish(source, vintage);
    Ok(seen)
}

/// IMD scores as published (England 2019 and 2025: 0.2 to 94).
const IMD_SCORE_RANGE: std::ops::RangeInclusive<f64> = 0.0..=100.0;
/// Domain scores as published: rates 0 to 1, scores 0 to 100, and the
/// health and crime domains' standardised scores (about -4 to 4).
const DOMAIN_SCORE_RANGE: std::ops::RangeInclusive<f64> = -10.0..=100.0;
/// Largest rank accepted (England has 33,755 LSOAs in 2021, Wales 1,917).
const MAX_RANK: f64 = 100_000.0;
/// Largest population accepted for one small area (the largest 2021 LSOA
/// holds under 10,000 people).
const MAX_SMALL_AREA_POPULATION: f64 = 50_000.0;

/// A number as a person would write it in a message: `1e308`, not 309 digits.
fn figure(v: f64) -> String {
    if v != 0.0 && !(1e-6..1e9).contains(&v.abs()) {
        format!("{v:e}")
    } else {
        v.to_string()
    }
}

fn parse_number(text: Option<String>, column: &str) -> Result<f64, String> {
    let text = text.ok_or_else(|| format!("no value in {column:?}"))?;
    text.replace(',', "")
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| format!("{column:?} is {text:?}, not a number"))
}

fn warn_unjoined(ctx: &mut Ctx, seen: &[bool], small_areas: &[SmallArea], path: &str, what: &str) {
    for (i, area) in small_areas.iter().enumerate() {
        if !seen[i] {
            let message = format!(
                "small area {} has no row in this file, so it has no {what}",
                area.code
            );
            ctx.problem(Severity::Warning, path, None, message);
        }
    }
}

/// Joins IMD score, decile, rank and domain scores; returns the domain labels.
pub(crate) fn join_deprivation(
    ctx: &mut Ctx,
    table: &DeprivationTable,
    by_code: &HashMap<String, usize>,
    small_areas: &mut [SmallArea],
) -> Result<Vec<String>, Problem> {
    let mut columns = vec![("score", table.score.as_str())];
    columns.extend(table.decile.as_deref().map(|c| ("decile", c)));
    columns.extend(table.rank.as_deref().map(|c| ("rank", c)));
    columns.extend(table.domains.iter().map(|c| ("domains", c.as_str())));
    let seen = join_table(
        ctx,
        KeyedTable {
            path: &table.path,
            layer: "deprivation",
            code_column: &table.code,
            columns: &columns,
            vintage: table.vintage.clone(),
        },
        by_code,
        |ctx, source, i, record, location| {
            let mut domain_problems: Vec<String> = Vec::new();
            let parsed = (|| -> Result<Deprivation, String> {
                let score = parse_number(record.get(&table.score), &table.score)?;
                if !IMD_SCORE_RANGE.contains(&score) {
                    return Err(format!(
                        "{:?} is {}, outside the published range of IMD scores ({} to {})",
                        table.score,
                        figure(score),
                        IMD_SCORE_RANGE.start(),
                        IMD_SCORE_RANGE.end()
                    ));
                }
                let decile = match &table.decile {
                    Some(c) => {
                        let d = parse_number(record.get(c), c)?;
                        if !(1.0..=10.0).contains(&d) || d.fract() != 0.0 {
                            return Err(format!("{c:?} is {d}, not a decile 1..10"));
                        }
                        Some(d as u8)
                    }
                    None => None,
                };
                let rank = match &table.rank {
                    Some(c) => {
                        let r = parse_number(record.get(c), c)?;
                        if !(1.0..=MAX_RANK).contains(&r) || r.fract() != 0.0 {
                            return Err(format!(
                                "{c:?} is {r}, not a rank (a whole number from 1 to {MAX_RANK})"
                            ));
                        }
                        Some(r as u32)
                    }
                    None => None,
                };
                let domains = table
                    .domains
                    .iter()
                    .map(|c| match record.get(c) {
                        None => None,
                        Some(text) => match parse_number(Some(text), c) {
                            Ok(v) if DOMAIN_SCORE_RANGE.contains(&v) => Some(v),
                            Ok(v) => {
                                domain_problems.push(format!(
                                    "{c:?} is {}, outside the range of published domain scores ({} to {}); left empty",
                                    figure(v),
                                    DOMAIN_SCORE_RANGE.start(),
                                    DOMAIN_SCORE_RANGE.end()
                                ));
                                None
                            }
                            Err(message) => {
                                domain_problems.push(format!("{message}; left empty"));
                                None
                            }
                        },
                    })
                    .collect();
                Ok(Deprivation {
                    score,
                    decile,
                    rank,
                    domains,
                })
            })();
            match parsed {
                Ok(d) => {
                    for message in domain_problems {
                        ctx.problem(
                            Severity::Warning,
                            &table.path,
                            Some(location.clone()),
                            message,
                        );
                    }
                    small_areas[i].deprivation = Some(d);
                    true
                }
                Err(message) => {
                    ctx.skip(source, location, "bad value", message);
                    false
                }
            }
        },
    )?;
    warn_unjoined(ctx, &seen, small_areas, &table.path, "deprivation figures");
    Ok(table
        .domains
        .iter()
        .map(|c| c.strip_suffix("_score").unwrap_or(c).to_string())
        .collect())
}

/// Joins the population count.
pub(crate) fn join_population(
    ctx: &mut Ctx,
    table: &PopulationTable,
    by_code: &HashMap<String, usize>,
    small_areas: &mut [SmallArea],
) -> Result<(), Problem> {
    let columns = [("population", table.population.as_str())];
    let seen = join_table(
        ctx,
        KeyedTable {
            path: &table.path,
            layer: "population",
            code_column: &table.code,
            columns: &columns,
            vintage: table.vintage.clone(),
        },
        by_code,
        |ctx, source, i, record, location| match parse_number(
            record.get(&table.population),
            &table.population,
        ) {
            Ok(p) if (0.0..=MAX_SMALL_AREA_POPULATION).contains(&p) => {
                small_areas[i].population = Some(p);
                true
            }
            Ok(p) => {
                ctx.skip(
                    source,
                    location,
                    "implausible value",
                    format!(
                        "population {} is not between 0 and {MAX_SMALL_AREA_POPULATION} (census small areas hold about 1,000 to 10,000 people)",
                        figure(p)
                    ),
                );
                false
            }
            Err(message) => {
                ctx.skip(source, location, "bad value", message);
                false
            }
        },
    )?;
    warn_unjoined(ctx, &seen, small_areas, &table.path, "population");
    Ok(())
}

/// Reads the small area -> ward lookup (ward codes are checked at the join).
pub(crate) fn read_lookup(
    ctx: &mut Ctx,
    table: &LookupTable,
    by_code: &HashMap<String, usize>,
) -> Result<HashMap<usize, String>, Problem> {
    let mut lookup = HashMap::new();
    let columns = [("ward", table.ward.as_str())];
    join_table(
        ctx,
        KeyedTable {
            path: &table.path,
            layer: "lookup",
            code_column: &table.code,
            columns: &columns,
            vintage: None,
        },
        by_code,
        |ctx, source, i, record, location| match record.get(&table.ward) {
            Some(ward) => {
                lookup.insert(i, ward);
                true
            }
            None => {
                ctx.skip(
                    source,
                    location,
                    "missing ward code",
                    format!("no value in {:?}", table.ward),
                );
                false
            }
        },
    )?;
    Ok(lookup)
}

/// Joins supplied demand points (e.g. population-weighted centroids).
pub(crate) fn join_demand_points(
    ctx: &mut Ctx,
    table: &PointTable,
    by_code: &HashMap<String, usize>,
    small_areas: &mut [SmallArea],
) -> Result<(), Problem> {
    let crs = match &table.crs {
        Some(name) => {
            Crs::parse(name).map_err(|e| ctx.manifest_error("demand_points.crs", e.to_string()))?
        }
        None => Crs::Bng,
    };
    let columns = [("x", table.x.as_str()), ("y", table.y.as_str())];
    let seen = join_table(
        ctx,
        KeyedTable {
            path: &table.path,
            layer: "demand_points",
            code_column: &table.code,
            columns: &columns,
            vintage: table.label.clone(),
        },
        by_code,
        |ctx, source, i, record, location| {
            let point = parse_number(record.get(&table.x), &table.x)
                .and_then(|x| Ok((x, parse_number(record.get(&table.y), &table.y)?)))
                .and_then(|(x, y)| crs.to_bng(x, y).map_err(|e| e.to_string()));
            match point {
                Ok(p) => {
                    small_areas[i].demand = p;
                    small_areas[i].demand_source = DemandSource::Supplied;
                    true
                }
                Err(message) => {
                    ctx.skip(source, location, "unusable point", message);
                    false
                }
            }
        },
    )?;
    let missing = seen.iter().filter(|s| !**s).count();
    if missing > 0 {
        let message = format!(
            "{missing} small areas have no demand point here; their area-weighted centroids are used"
        );
        ctx.problem(Severity::Warning, &table.path, None, message);
    }
    Ok(())
}

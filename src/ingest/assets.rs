//! Asset sources and the postcode table used to geocode them.

use std::collections::HashMap;

use geo::{Coord, MultiPolygon};

use super::areas::{format_of, geojson_crs};
use super::geojson::{GeoFile, RawGeometry};
use super::manifest::{AssetSource, Columns, Format, PostcodeTable};
use super::records::{self, Record, Table};
use super::report::{Severity, SourceReport};
use super::{Ctx, Problem};
use crate::crs::{self, Crs};
use crate::hours::Hours;
use crate::hours::parse::{self as hours_parse, HoursFormat};
use crate::index::PolygonIndex;
use crate::model::{Asset, normalise_postcode};

/// Reads the postcode table into normalised postcode -> grid position.
pub(crate) fn read_postcodes(
    ctx: &mut Ctx,
    table: &PostcodeTable,
) -> Result<HashMap<String, Coord>, Problem> {
    let crs = match &table.crs {
        Some(name) => {
            Crs::parse(name).map_err(|e| ctx.manifest_error("postcodes.crs", e.to_string()))?
        }
        None => Crs::Bng,
    };
    let bytes = ctx.read(&table.path)?;
    let (csv, problems) = Table::parse(&table.path, &bytes)?;
    drop(bytes);
    for (key, column) in [
        ("postcode", &table.postcode),
        ("x", &table.x),
        ("y", &table.y),
    ] {
        csv.require(column, &format!("postcodes.{key}"))?;
    }
    let mut source = SourceReport {
        name: "postcodes".into(),
        layer: "postcodes".into(),
        path: table.path.clone(),
        ..Default::default()
    };
    ctx.absorb(&mut source, problems);
    let mut postcodes = HashMap::with_capacity(csv.rows.len());
    let mut first_line: HashMap<String, u64> = HashMap::new();
    for record in csv.records() {
        source.read += 1;
        let location = format!("row {}", record.row.number);
        let raw = record.get(&table.postcode).unwrap_or_default();
        let Some(postcode) = normalise_postcode(&raw) else {
            ctx.skip(
                &mut source,
                location,
                "malformed postcode",
                format!("{raw:?} is not a UK postcode"),
            );
            continue;
        };
        if let Some(first) = first_line.get(&postcode) {
            ctx.skip(
                &mut source,
                location,
                "duplicate postcode",
                format!("{postcode} appears again (first at row {first})"),
            );
            continue;
        }
        match read_xy(&record, &table.x, &table.y)
            .and_then(|(x, y)| crs.to_bng(x, y).map_err(|e| e.to_string()))
        {
            Ok(at) => {
                first_line.insert(postcode.clone(), record.row.number);
                postcodes.insert(postcode, at);
                source.loaded += 1;
            }
            Err(message) => ctx.skip(
                &mut source,
                location,
                "unusable coordinates",
                format!("{postcode}: {message}"),
            ),
        }
    }
    ctx.finish(source, table.vintage.clone());
    Ok(postcodes)
}

fn read_xy(record: &dyn Record, x: &str, y: &str) -> Result<(f64, f64), String> {
    let number = |column: &str| -> Result<f64, String> {
        let text = record
            .get(column)
            .ok_or_else(|| format!("no value in {column:?}"))?;
        text.parse::<f64>()
            .map_err(|_| format!("{column:?} is {text:?}, not a number"))
    };
    Ok((number(x)?, number(y)?))
}

/// Lower-case id with runs of other characters turned into one `_`.
pub(crate) fn category_id(text: &str) -> String {
    let mut out = String::new();
    for c in text.trim().to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    out.trim_end_matches('_').to_string()
}

/// Lower-case ASCII slug with runs of other characters turned into one `-`.
fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

fn title(column: &str) -> String {
    let spaced = column.replace('_', " ");
    let mut chars = spaced.chars();
    chars
        .next()
        .map(|f| f.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// The wards, for keeping assets near them.
pub(crate) struct WardArea<'a> {
    pub index: &'a PolygonIndex,
    pub shapes: &'a [&'a MultiPolygon],
}

/// How far outside every ward an asset may lie when its source sets no
/// `max_distance_from_wards_m`: beyond this it is not in the area the
/// dataset covers (a GP just over the boundary still serves it).
pub(crate) const COVERAGE_MARGIN_M: f64 = 10_000.0;

/// Rows outside the area before a source-wide cause is suggested (each row
/// is reported on its own anyway).
const MIN_ROWS_FOR_A_PATTERN: usize = 2;

/// Everything a source needs per row, resolved once.
struct Plan<'a> {
    source: &'a AssetSource,
    crs: Crs,
    postcodes: &'a HashMap<String, Coord>,
    wards: &'a WardArea<'a>,
    /// Where rows with coordinates fell, for the plausibility check.
    coverage: std::cell::RefCell<Coverage>,
}

/// Rows whose own coordinates (not a postcode's) placed them, and how many
/// of those lie outside the area, and would lie inside with x and y swapped.
#[derive(Default)]
struct Coverage {
    placed: usize,
    outside: usize,
    inside_if_swapped: usize,
    look_like_degrees: usize,
}

impl WardArea<'_> {
    /// Distance from a grid point to the nearest ward, metres (0 inside one).
    pub(crate) fn distance_m(&self, at: Coord) -> Option<f64> {
        self.index.nearest(|i| self.shapes[i], at).map(|(_, d)| d)
    }
}

/// What happened to one row.
enum Outcome {
    /// Loaded, with any warnings about its values.
    Loaded(Box<Asset>, Vec<String>),
    Filtered,
    Skipped {
        reason: &'static str,
        message: String,
    },
}

fn skipped(reason: &'static str, message: impl Into<String>) -> Outcome {
    Outcome::Skipped {
        reason,
        message: message.into(),
    }
}

impl Plan<'_> {
    fn text(
        &self,
        record: &dyn Record,
        columns: &Option<Columns>,
        labelled: bool,
    ) -> Option<String> {
        let columns = columns.as_ref()?;
        let parts: Vec<String> = columns
            .names()
            .into_iter()
            .filter_map(|c| {
                record.get(c).map(|v| {
                    if labelled && columns.names().len() > 1 {
                        format!("{}: {v}", title(c))
                    } else {
                        v
                    }
                })
            })
            .collect();
        (!parts.is_empty()).then(|| parts.join(if labelled { "; " } else { ", " }))
    }

    fn geocode(&self, record: &dyn Record) -> Result<Coord, Outcome> {
        let Some(column) = &self.source.postcode else {
            return Err(skipped(
                "missing coordinates",
                "no coordinates and no postcode column to geocode from",
            ));
        };
        let Some(raw) = record.get(column) else {
            return Err(skipped(
                "missing coordinates",
                "no coordinates and no postcode",
            ));
        };
        let Some(postcode) = normalise_postcode(&raw) else {
            return Err(skipped(
                "malformed postcode",
                format!("no coordinates, and {raw:?} is not a UK postcode"),
            ));
        };
        self.postcodes.get(&postcode).copied().ok_or_else(|| {
            skipped(
                "unknown postcode",
                format!("no coordinates, and postcode {postcode} is not in the postcode file"),
            )
        })
    }

    fn row(
        &self,
        record: &dyn Record,
        geometry: Option<&RawGeometry>,
        fallback_id: Option<&str>,
    ) -> Outcome {
        let s = self.source;
        if !records::keep(&s.filter, record) {
            return Outcome::Filtered;
        }
        let category = match (&s.category, &s.category_field) {
            (Some(fixed), _) => category_id(fixed),
            (None, Some(field)) => match record.get(field) {
                Some(value) => category_id(&value),
                None => return skipped("missing category", format!("no value in {field:?}")),
            },
            (None, None) => String::new(),
        };
        if category.is_empty() {
            return skipped("missing category", "the category has no letters or digits");
        }
        let Some(name) = s.name.as_ref().and_then(|c| record.get(c)) else {
            return skipped(
                "missing name",
                format!("no value in {:?}", s.name.as_deref().unwrap_or("name")),
            );
        };
        let prefix = s
            .id_prefix
            .clone()
            .unwrap_or_else(|| format!("{category}:"));
        let id = match &s.id {
            Some(column) => match record.get(column) {
                Some(v) => format!("{prefix}{v}"),
                None => return skipped("missing id", format!("no value in {column:?}")),
            },
            None => match fallback_id {
                Some(v) => format!("{prefix}{v}"),
                None => {
                    let postcode = s
                        .postcode
                        .as_ref()
                        .and_then(|c| record.get(c))
                        .unwrap_or_default();
                    format!("{prefix}{}", slug(&format!("{name} {postcode}")))
                }
            },
        };
        let bng = match self.locate(record, geometry) {
            Ok(at) => at,
            Err(outcome) => return outcome,
        };
        let distance_m = self.wards.distance_m(bng);
        match s.max_distance_from_wards_m {
            Some(max_m) => {
                if !distance_m.is_some_and(|d| d <= max_m) {
                    return Outcome::Filtered;
                }
            }
            None => {
                if let Some(d) = distance_m.filter(|d| *d > COVERAGE_MARGIN_M) {
                    return skipped(
                        "outside the area",
                        format!(
                            "the point ({:.0}, {:.0}) is {:.1} km from the nearest ward, outside the area this dataset covers",
                            bng.x,
                            bng.y,
                            d / 1000.0
                        ),
                    );
                }
            }
        }
        let capacity = match s.capacity.as_ref().map(|c| (c, record.get(c))) {
            None | Some((_, None)) => None,
            Some((column, Some(text))) => match text.parse::<f64>() {
                Ok(v) if v.is_finite() && v >= 0.0 => Some(v),
                _ => {
                    return skipped(
                        "bad capacity",
                        format!("{column:?} is {text:?}, not a number of 0 or more"),
                    );
                }
            },
        };
        let lonlat = match crs::bng_to_wgs84(bng.x, bng.y) {
            Ok(ll) => ll,
            Err(_) => {
                return skipped(
                    "coordinates out of range",
                    "the point is outside the OSTN15 grid",
                );
            }
        };
        let (hours, warnings) = self.hours(record);
        Outcome::Loaded(
            Box::new(Asset {
                id,
                category,
                name,
                address: self.text(record, &s.address, false),
                postcode: s.postcode.as_ref().and_then(|c| record.get(c)),
                phone: s.phone.as_ref().and_then(|c| record.get(c)),
                email: s.email.as_ref().and_then(|c| record.get(c)),
                website: s.website.as_ref().and_then(|c| record.get(c)),
                opening_hours: self.hours_text(record),
                hours,
                capacity,
                source: s.source.clone(),
                status: crate::model::AssetStatus::Active,
                revision: 0,
                updated_at: None,
                verified_at: None,
                details: Default::default(),
                unplaced: false,
                sensitive: None,
                bng,
                lonlat,
                ward: None,
                small_area: None,
                slot: 0,
            }),
            warnings,
        )
    }

    /// The opening hours as text. Per-day columns are labelled with their
    /// weekday ("Monday: 09:00-17:00; …"), whatever the columns are called;
    /// other columns with their names, as for any text field.
    fn hours_text(&self, record: &dyn Record) -> Option<String> {
        let s = self.source;
        if !s.hours_format.is_some_and(HoursFormat::per_day) {
            return self.text(record, &s.opening_hours, true);
        }
        let columns = s.opening_hours.as_ref()?.names();
        let parts: Vec<String> = columns
            .iter()
            .zip(hours_parse::WEEK)
            .filter_map(|(c, day)| {
                record
                    .get(c)
                    .map(|v| format!("{}: {v}", crate::hours::london::weekday_name(day)))
            })
            .collect();
        (!parts.is_empty()).then(|| parts.join("; "))
    }

    /// The row's opening hours as the source's `hours_format` reads them,
    /// and a warning for each value it could not read (kept as text).
    fn hours(&self, record: &dyn Record) -> (Option<Hours>, Vec<String>) {
        let s = self.source;
        let format = s.hours_format.unwrap_or_default();
        let Some(columns) = s.opening_hours.as_ref().map(Columns::names) else {
            return (None, Vec::new());
        };
        let unread = |column: &str, value: &str, reason: &str| {
            format!(
                "opening hours {value:?} in {column:?} not understood ({reason}); kept as text, and those hours count as not known"
            )
        };
        match format {
            HoursFormat::Text => (None, Vec::new()),
            HoursFormat::DayTimes | HoursFormat::LibrarySessions => {
                let values: Vec<Option<String>> = columns.iter().map(|c| record.get(c)).collect();
                let (hours, problems) = hours_parse::per_day(format, &values);
                let warnings = problems
                    .iter()
                    .map(|u| {
                        let column = u.day.and_then(|d| columns.get(d)).copied().unwrap_or("");
                        unread(column, &u.value, &u.reason)
                    })
                    .collect();
                (hours, warnings)
            }
            HoursFormat::Osm | HoursFormat::OrukSchedules | HoursFormat::English => {
                let column = columns.first().copied().unwrap_or("");
                let Some(value) = record.get(column) else {
                    return (None, Vec::new());
                };
                let read = match format {
                    HoursFormat::Osm => hours_parse::osm(&value).map(Some),
                    HoursFormat::OrukSchedules => hours_parse::oruk_json(&value).map(Some),
                    _ => crate::hours::english::english(&value),
                };
                match read {
                    Ok(h) => (h, Vec::new()),
                    Err(reason) => (None, vec![unread(column, &value, &reason)]),
                }
            }
        }
    }

    /// Notes where a row's own coordinates put it (`at`, in the grid), and
    /// whether swapping them would put it inside the area.
    fn observe(&self, x: f64, y: f64, at: Coord) {
        let Ok(mut c) = self.coverage.try_borrow_mut() else {
            return;
        };
        c.placed += 1;
        let margin = self
            .source
            .max_distance_from_wards_m
            .unwrap_or(COVERAGE_MARGIN_M);
        let inside = |p: Option<Coord>| {
            p.and_then(|p| self.wards.distance_m(p))
                .is_some_and(|d| d <= margin)
        };
        if inside(Some(at)) {
            return;
        }
        c.outside += 1;
        if inside(self.crs.to_bng(y, x).ok()) {
            c.inside_if_swapped += 1;
        }
        if self.crs == Crs::Bng && (-9.0..=2.5).contains(&x) && (49.0..=61.0).contains(&y) {
            c.look_like_degrees += 1;
        }
    }

    /// One warning for a source most of whose rows lie outside the area,
    /// with the likely cause; `None` when that is expected or not so.
    fn coverage_warning(&self) -> Option<String> {
        let c = self.coverage.borrow();
        if c.outside < MIN_ROWS_FOR_A_PATTERN || c.outside * 2 <= c.placed {
            return None;
        }
        let (x, y) = (
            self.source.x.as_deref().unwrap_or("x"),
            self.source.y.as_deref().unwrap_or("y"),
        );
        let margin = self
            .source
            .max_distance_from_wards_m
            .unwrap_or(COVERAGE_MARGIN_M);
        let share = format!(
            "{} of {} rows lie more than {:.0} m from every ward",
            c.outside, c.placed, margin
        );
        if c.inside_if_swapped * 2 > c.outside {
            Some(format!(
                "{share}, but {} would lie inside with the two coordinates swapped: are the columns {x:?} and {y:?} the wrong way round (x is the easting or longitude, y the northing or latitude)?",
                c.inside_if_swapped
            ))
        } else if c.look_like_degrees * 2 > c.outside {
            Some(format!(
                "{share}; their coordinates look like longitude and latitude: set crs = \"EPSG:4326\" for this source"
            ))
        } else if self.source.max_distance_from_wards_m.is_none() {
            Some(format!(
                "{share}: check the source's crs and coordinate columns, or set max_distance_from_wards_m if the file covers a wider area on purpose"
            ))
        } else {
            None // a national file cut down to the area, as intended
        }
    }

    fn locate(
        &self,
        record: &dyn Record,
        geometry: Option<&RawGeometry>,
    ) -> Result<Coord, Outcome> {
        if let Some(g) = geometry {
            let (point, _) = g.to_point().map_err(|e| skipped("unusable geometry", e))?;
            let at = self.crs.to_bng(point.x, point.y);
            if let Ok(p) = at {
                self.observe(point.x, point.y, p);
            }
            return at.map_err(|e| skipped("coordinates out of range", e.to_string()));
        }
        match (&self.source.x, &self.source.y) {
            (Some(x), Some(y)) if record.get(x).is_some() || record.get(y).is_some() => {
                let (x, y) = read_xy(record, x, y).map_err(|e| skipped("bad coordinates", e))?;
                let at = self.crs.to_bng(x, y);
                if let Ok(p) = at {
                    self.observe(x, y, p);
                }
                at.map_err(|e| skipped("coordinates out of range", e.to_string()))
            }
            _ => self.geocode(record),
        }
    }
}

/// Loads one asset source, appending its assets; ids must be unique across sources.
pub(crate) fn load_source(
    ctx: &mut Ctx,
    source: &AssetSource,
    position: usize,
    postcodes: &HashMap<String, Coord>,
    wards: &WardArea,
    assets: &mut Vec<Asset>,
    by_id: &mut HashMap<String, usize>,
) -> Result<(), Problem> {
    let key = format!("assets[{position}]");
    let declared = source
        .format
        .or_else(|| source.url.as_ref().map(|_| Format::Oruk));
    if let Some(kind @ (Format::Oruk | Format::Givefood)) = declared {
        return load_directory(ctx, source, &key, kind, postcodes, wards, assets, by_id);
    }
    if source.url.is_some()
        || !source.paths.is_empty()
        || !source.taxonomy.is_empty()
        || source.fetch.is_some()
    {
        return Err(ctx.manifest_error(
            &key,
            format!(
                "source {:?}: url, paths, taxonomy and fetch belong to format = \"oruk\" sources",
                source.source
            ),
        ));
    }
    if source.path.is_empty() {
        return Err(ctx.manifest_error(
            &format!("{key}.path"),
            format!("source {:?} needs a path", source.source),
        ));
    }
    if source.category.is_some() == source.category_field.is_some() {
        return Err(ctx.manifest_error(
            &key,
            format!(
                "source {:?} needs exactly one of category or category_field",
                source.source
            ),
        ));
    }
    if source.x.is_some() != source.y.is_some() {
        return Err(ctx.manifest_error(
            &key,
            format!("source {:?} needs both x and y, or neither", source.source),
        ));
    }
    if source.name.is_none() {
        return Err(ctx.manifest_error(
            &format!("{key}.name"),
            format!("source {:?} needs the name column", source.source),
        ));
    }
    records::check_filters(&source.filter, &key, &ctx.manifest)?;
    if let Some(m) = source.max_distance_from_wards_m
        && !(0.0..=1_000_000.0).contains(&m)
    {
        return Err(ctx.manifest_error(
            &format!("{key}.max_distance_from_wards_m"),
            format!("{m} is not between 0 and 1000000 metres"),
        ));
    }
    let format = format_of(&source.path, source.format).ok_or_else(|| {
        ctx.manifest_error(
            &format!("{key}.format"),
            format!(
                "cannot tell the format of {:?}: set format = \"csv\" or \"geojson\"",
                source.path
            ),
        )
    })?;
    if format == Format::Csv && source.x.is_none() && source.postcode.is_none() {
        return Err(ctx.manifest_error(
            &key,
            format!(
                "CSV source {:?} needs x and y columns, or a postcode column to geocode",
                source.source
            ),
        ));
    }
    if source.postcode.is_some()
        && source.x.is_none()
        && format == Format::Csv
        && postcodes.is_empty()
    {
        return Err(ctx.manifest_error(
            &key,
            format!(
                "source {:?} is geocoded by postcode but the manifest has no [postcodes] table",
                source.source
            ),
        ));
    }
    if let Some(format) = source.hours_format {
        let given = source.opening_hours.as_ref().map_or(0, |c| c.names().len());
        let wanted = if format.per_day() { 7 } else { 1 };
        if format != HoursFormat::Text && given != wanted {
            let what = if format.per_day() {
                "seven columns, Monday first"
            } else {
                "one column"
            };
            return Err(ctx.manifest_error(
                &format!("{key}.hours_format"),
                format!(
                    "hours_format {:?} reads {what} of opening_hours, but {given} are given",
                    format.as_str()
                ),
            ));
        }
    }
    let mut columns: Vec<(String, &str)> = Vec::new();
    let single = [
        ("category_field", &source.category_field),
        ("id", &source.id),
        ("name", &source.name),
        ("postcode", &source.postcode),
        ("phone", &source.phone),
        ("email", &source.email),
        ("website", &source.website),
        ("capacity", &source.capacity),
        ("x", &source.x),
        ("y", &source.y),
    ];
    for (k, c) in single {
        if let Some(c) = c {
            columns.push((format!("{key}.{k}"), c.as_str()));
        }
    }
    for (k, c) in [
        ("address", &source.address),
        ("opening_hours", &source.opening_hours),
    ] {
        for name in c.iter().flat_map(|c| c.names()) {
            columns.push((format!("{key}.{k}"), name));
        }
    }
    for (i, f) in source.filter.iter().enumerate() {
        columns.push((format!("{key}.filter[{i}].field"), f.field.as_str()));
    }

    let bytes = ctx.read(&source.path)?;
    let mut report = SourceReport {
        name: source.source.clone(),
        layer: "assets".into(),
        path: source.path.clone(),
        ..Default::default()
    };
    let mut outcomes: Vec<(String, Outcome)> = Vec::new();
    let mut polygons_as_points = 0usize;
    let coverage_warning = match format {
        Format::Csv => {
            let crs = match &source.crs {
                Some(name) => Crs::parse(name)
                    .map_err(|e| ctx.manifest_error(&format!("{key}.crs"), e.to_string()))?,
                None => Crs::Bng,
            };
            let (table, problems) = Table::parse(&source.path, &bytes)?;
            for (k, c) in &columns {
                table.require(c, k)?;
            }
            ctx.absorb(&mut report, problems);
            let plan = Plan {
                source,
                crs,
                postcodes,
                wards,
                coverage: Default::default(),
            };
            for record in table.records() {
                outcomes.push((
                    format!("row {}", record.row.number),
                    plan.row(&record, None, None),
                ));
            }
            plan.coverage_warning()
        }
        Format::Geojson => {
            let file = GeoFile::parse(&source.path, &bytes)?;
            for (k, c) in &columns {
                if !k.ends_with(".x") && !k.ends_with(".y") {
                    file.require(c, k)?;
                }
            }
            let crs = geojson_crs(ctx, &file, source.crs.as_deref(), &key)?;
            let plan = Plan {
                source,
                crs,
                postcodes,
                wards,
                coverage: Default::default(),
            };
            for feature in &file.features {
                if let Some(g) = &feature.geometry {
                    polygons_as_points +=
                        usize::from(matches!(g.kind.as_str(), "Polygon" | "MultiPolygon"));
                }
                let outcome = plan.row(
                    &feature.properties,
                    feature.geometry.as_ref(),
                    feature.id.as_deref(),
                );
                outcomes.push((feature.location(None), outcome));
            }
            plan.coverage_warning()
        }
        Format::Oruk | Format::Givefood => {
            return Err(ctx.manifest_error(&key, "a directory format read as a file".into()));
        }
    };
    drop(bytes);

    let mut first_seen: HashMap<String, String> = HashMap::new();
    for (location, outcome) in outcomes {
        report.read += 1;
        match outcome {
            Outcome::Filtered => report.filtered += 1,
            Outcome::Skipped { reason, message } => {
                ctx.skip(&mut report, location, reason, message)
            }
            Outcome::Loaded(mut asset, warnings) => {
                for w in warnings {
                    ctx.problem(Severity::Warning, &source.path, Some(location.clone()), w);
                }
                if by_id.contains_key(&asset.id) {
                    let first = first_seen
                        .get(&asset.id)
                        .cloned()
                        .unwrap_or_else(|| "an earlier source".into());
                    if source.id.is_some() {
                        let message = format!(
                            "duplicate id {} (first at {first}); this row is left out",
                            asset.id
                        );
                        ctx.skip(&mut report, location, "duplicate id", message);
                        continue;
                    }
                    // Generated ids: number repeats, as the derived tables do.
                    let base = asset.id.clone();
                    let mut n = 2;
                    while by_id.contains_key(&format!("{base}-{n}")) {
                        n += 1;
                    }
                    asset.id = format!("{base}-{n}");
                }
                first_seen.insert(asset.id.clone(), location);
                by_id.insert(asset.id.clone(), assets.len());
                assets.push(*asset);
                report.loaded += 1;
            }
        }
    }
    if let Some(message) = coverage_warning {
        ctx.problem(Severity::Warning, &source.path, None, message);
    }
    if polygons_as_points > 0 {
        let message = format!(
            "{polygons_as_points} polygon features were placed at a point inside their polygon"
        );
        ctx.problem(Severity::Warning, &source.path, None, message);
    }
    ctx.finish(report, None);
    Ok(())
}

/// Loads an Open Referral UK or Give Food source, after checking the keys
/// that apply to it.
#[allow(clippy::too_many_arguments)]
fn load_directory(
    ctx: &mut Ctx,
    source: &AssetSource,
    key: &str,
    kind: Format,
    postcodes: &HashMap<String, Coord>,
    wards: &WardArea,
    assets: &mut Vec<Asset>,
    by_id: &mut HashMap<String, usize>,
) -> Result<(), Problem> {
    let name = &source.source;
    let column_keys = [
        ("category_field", source.category_field.is_some()),
        ("id", source.id.is_some()),
        ("x", source.x.is_some()),
        ("y", source.y.is_some()),
        ("name", source.name.is_some()),
        ("address", source.address.is_some()),
        ("postcode", source.postcode.is_some()),
        ("phone", source.phone.is_some()),
        ("email", source.email.is_some()),
        ("website", source.website.is_some()),
        ("opening_hours", source.opening_hours.is_some()),
        ("hours_format", source.hours_format.is_some()),
        ("capacity", source.capacity.is_some()),
        ("crs", source.crs.is_some()),
        ("filter", !source.filter.is_empty()),
    ];
    if let Some((k, _)) = column_keys.iter().find(|(_, set)| *set) {
        return Err(ctx.manifest_error(
            &format!("{key}.{k}"),
            format!(
                "source {name:?} is read as {}, whose fields are known; {k} does not apply",
                if kind == Format::Oruk {
                    "Open Referral UK"
                } else {
                    "the Give Food dump"
                }
            ),
        ));
    }
    if let Some(m) = source.max_distance_from_wards_m
        && !(0.0..=1_000_000.0).contains(&m)
    {
        return Err(ctx.manifest_error(
            &format!("{key}.max_distance_from_wards_m"),
            format!("{m} is not between 0 and 1000000 metres"),
        ));
    }
    let placing = super::oruk::Placing {
        postcodes,
        wards,
        max_distance_m: super::oruk::margin(source),
    };
    if kind == Format::Givefood {
        if source.path.is_empty()
            || source.url.is_some()
            || !source.paths.is_empty()
            || !source.taxonomy.is_empty()
        {
            return Err(ctx.manifest_error(
                key,
                format!("Give Food source {name:?} reads one file: set path (and not url, paths or taxonomy)"),
            ));
        }
        return super::givefood::load(ctx, source, &placing, assets, by_id);
    }
    let places = usize::from(!source.path.is_empty())
        + source.paths.len()
        + usize::from(source.url.is_some());
    if source.url.is_some() && places > 1 || places == 0 {
        return Err(ctx.manifest_error(
            key,
            format!("Open Referral UK source {name:?} needs a url, or a path or paths to page files (not both)"),
        ));
    }
    if let Some(url) = &source.url
        && !(url.starts_with("https://") || url.starts_with("http://"))
    {
        return Err(ctx.manifest_error(
            &format!("{key}.url"),
            format!("{url:?} is not an http:// or https:// address"),
        ));
    }
    if source.fetch.is_some() && source.url.is_none() {
        return Err(ctx.manifest_error(
            &format!("{key}.fetch"),
            "fetch settings apply to a url".into(),
        ));
    }
    if source.category.is_none() && source.taxonomy.is_empty() {
        return Err(ctx.manifest_error(
            key,
            format!(
                "Open Referral UK source {name:?} needs a taxonomy table, a fallback category, or both"
            ),
        ));
    }
    super::oruk::load(ctx, source, key, &placing, assets, by_id)
}

#[cfg(test)]
mod tests {
    use super::{category_id, slug};

    #[test]
    fn ids_are_slugged() {
        assert_eq!(slug("4CT Limited M11 3TQ"), "4ct-limited-m11-3tq");
        assert_eq!(slug("  St. Mary's -- Hall "), "st-mary-s-hall");
        assert_eq!(category_id("Food Bank"), "food_bank");
        assert_eq!(category_id("GP"), "gp");
    }
}

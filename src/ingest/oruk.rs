//! Open Referral UK feeds as an asset source: HSDS 3.0 UK pages (the
//! `total_items … contents` envelope), the older v1 pages many council
//! directories still serve (the Spring-style `content, totalElements,
//! totalPages, number` envelope, with Placecube `pc_*` fields), a bare array
//! of services, or one full service; from files or crawled from a base URL.
//!
//! Each service at each physical location becomes one asset. A service with
//! no physical location is kept as a listing: searchable, never placed.
//! Every record is accounted for: loaded (placed or not), merged with an
//! earlier record of the same id, or skipped by reason; every field that
//! was cleaned, left out or could not be read is reported with the
//! service's id.

use std::collections::{BTreeMap, HashMap};

use geo::Coord;
use serde_json::Value;

use super::assets::{COVERAGE_MARGIN_M, WardArea, category_id};
use super::fetch::{self, Fetcher, Limits};
use super::manifest::{AssetSource, FullRecords};
use super::report::{Severity, SourceReport};
use super::text::{clean_email, clean_url, html_to_text, json_text};
use super::{Ctx, Problem};
use crate::catalog::fields::{
    MAX_ACCESSIBILITY_CHARS, MAX_ADDRESS_CHARS, MAX_DESCRIPTION_CHARS, MAX_NAME_CHARS,
    MAX_ORGANISATION_CHARS, check_date, check_email, check_phone, check_url,
};
use crate::crs;
use crate::hours::parse::{OrukSchedule, oruk_schedules};
use crate::model::{Asset, AssetStatus, Details, normalise_postcode};

/// Which generation of the standard a feed is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Generation {
    /// HSDS 3.0, UK profile.
    V3,
    /// The pre-3.0 ORUK standard (HSDS-UK 1.0 era), e.g. Placecube Open Place.
    V1,
}

impl Generation {
    /// As the import report names it.
    pub fn label(self) -> &'static str {
        match self {
            Generation::V3 => "Open Referral UK 3.0 (HSDS 3.0 UK profile)",
            Generation::V1 => "Open Referral UK v1 (pre-3.0, e.g. Placecube Open Place)",
        }
    }
}

/// One page of a feed, read from its envelope.
#[derive(Debug, Default)]
pub struct Page {
    /// The services on the page.
    pub items: Vec<Value>,
    /// The generation its envelope or items show.
    pub generation: Option<Generation>,
    /// Whether the envelope says this is the last page (`None`: no envelope).
    pub last: Option<bool>,
    /// Total pages, as the envelope says.
    pub total_pages: Option<u64>,
    /// Total items, as the envelope says.
    pub total_items: Option<u64>,
}

fn looks_v1(item: &Value) -> bool {
    let Some(o) = item.as_object() else {
        return false;
    };
    o.keys().any(|k| k.starts_with("pc_"))
        || [
            "deliverable_type",
            "attending_type",
            "attending_access",
            "service_taxonomys",
        ]
        .iter()
        .any(|k| o.contains_key(*k))
}

fn looks_v3(item: &Value) -> bool {
    let Some(o) = item.as_object() else {
        return false;
    };
    [
        "last_modified",
        "attributes",
        "schedules",
        "service_at_locations",
        "assurer_email",
    ]
    .iter()
    .any(|k| o.contains_key(*k))
}

/// Reads one page document (an envelope, a bare array, or one service).
pub fn read_page(doc: Value) -> Result<Page, String> {
    let mut page = Page::default();
    match doc {
        Value::Array(items) => page.items = items,
        Value::Object(mut o) => {
            if let Some(contents) = o.remove("contents") {
                let Value::Array(items) = contents else {
                    return Err("\"contents\" is not an array of services".into());
                };
                page.items = items;
                page.generation = Some(Generation::V3);
                page.last = o.get("last_page").and_then(Value::as_bool);
                page.total_pages = o.get("total_pages").and_then(Value::as_u64);
                page.total_items = o.get("total_items").and_then(Value::as_u64);
                if page.last.is_none()
                    && let (Some(n), Some(t)) = (
                        o.get("page_number").and_then(Value::as_u64),
                        page.total_pages,
                    )
                {
                    page.last = Some(n >= t);
                }
            } else if let Some(content) = o.remove("content") {
                let Value::Array(items) = content else {
                    return Err("\"content\" is not an array of services".into());
                };
                page.items = items;
                page.generation = Some(Generation::V1);
                page.last = o.get("last").and_then(Value::as_bool);
                page.total_pages = o.get("totalPages").and_then(Value::as_u64);
                page.total_items = o.get("totalElements").and_then(Value::as_u64);
            } else if o.contains_key("id") {
                page.items = vec![Value::Object(o)];
            } else {
                return Err(
                    "neither a page of services (\"contents\" or \"content\"), an array of services, nor one service"
                        .into(),
                );
            }
        }
        _ => return Err("not a JSON object or array".into()),
    }
    if page.generation.is_none() {
        let v1 = page.items.iter().filter(|i| looks_v1(i)).count();
        let v3 = page.items.iter().filter(|i| looks_v3(i)).count();
        page.generation = match (v1, v3) {
            (0, 0) => None,
            (a, b) if a >= b => Some(Generation::V1),
            _ => Some(Generation::V3),
        };
    }
    Ok(page)
}

/// Where a source's assets may lie, and the postcodes to check them by.
pub(crate) struct Placing<'a> {
    /// Postcode to grid position.
    pub postcodes: &'a HashMap<String, Coord>,
    /// The wards.
    pub wards: &'a WardArea<'a>,
    /// How far outside every ward a place may lie, metres.
    pub max_distance_m: f64,
}

/// How far apart a location's postcode and coordinates may be before it is
/// reported.
pub const POSTCODE_DISAGREES_M: f64 = 1_000.0;

/// A place checked against the coverage.
pub(crate) enum Placed {
    /// Inside (or near enough).
    Inside(Coord, Coord),
    /// Outside the coverage, this far from the nearest ward.
    Outside(f64),
    /// Not in Great Britain's grid at all.
    OffGrid,
}

impl Placing<'_> {
    /// Places a longitude/latitude.
    pub fn place(&self, lon: f64, lat: f64) -> Placed {
        let Ok(bng) = crs::wgs84_to_bng(lon, lat) else {
            return Placed::OffGrid;
        };
        self.check(bng)
    }

    /// Checks a grid point against the coverage.
    pub fn check(&self, bng: Coord) -> Placed {
        let Ok(lonlat) = crs::bng_to_wgs84(bng.x, bng.y) else {
            return Placed::OffGrid;
        };
        match self.wards.distance_m(bng) {
            Some(d) if d <= self.max_distance_m => Placed::Inside(bng, lonlat),
            Some(d) => Placed::Outside(d),
            None => Placed::Outside(f64::INFINITY),
        }
    }

    /// Where a postcode is.
    pub fn postcode(&self, raw: &str) -> Option<(String, Option<Coord>)> {
        let pc = normalise_postcode(raw)?;
        let at = self.postcodes.get(&pc).copied();
        Some((pc, at))
    }
}

/// Fields of a record, with every value that cannot be used noted.
struct Reader<'a> {
    notes: &'a mut Vec<(Severity, String)>,
}

impl Reader<'_> {
    /// A text field: trimmed, empty as missing; a number or boolean where
    /// text belongs is noted and left out.
    fn text(&mut self, o: &Value, key: &str, what: &str) -> Option<String> {
        match o.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => {
                let t = s.trim();
                (!t.is_empty()).then(|| t.to_string())
            }
            Some(Value::Number(n)) if key == "id" => Some(n.to_string()),
            Some(other) => {
                let kind = match other {
                    Value::Bool(_) => "a boolean",
                    Value::Number(_) => "a number",
                    Value::Array(_) => "an array",
                    _ => "an object",
                };
                self.note(format!("{what}: {other} is {kind}, not text; left out"));
                None
            }
        }
    }

    /// Something left out or not understood.
    fn note(&mut self, message: String) {
        self.notes.push((Severity::Warning, message));
    }

    /// Something cleaned so it could be used.
    fn repaired(&mut self, message: String) {
        self.notes.push((Severity::Repaired, message));
    }
}

fn list<'v>(o: &'v Value, key: &str) -> &'v [Value] {
    o.get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// Cut to `max` characters, noting it.
fn bounded(text: String, max: usize, what: &str, r: &mut Reader) -> String {
    if text.chars().count() <= max {
        return text;
    }
    r.note(format!(
        "{what}: longer than {max} characters; cut to {max}"
    ));
    let mut cut: String = text.chars().take(max - 1).collect();
    cut.push('…');
    cut
}

/// What one service record gives.
enum Mapped {
    /// Assets (placed, or one unplaced listing).
    Loaded(Vec<Asset>),
    /// Skipped, with the reason counted and a message.
    Skipped(&'static str, String),
}

/// Resolves taxonomy terms to categories, counting the ones that do not map.
struct Taxonomy<'a> {
    by_key: HashMap<String, String>,
    fallback: Option<String>,
    unmapped: BTreeMap<String, usize>,
    source: &'a AssetSource,
}

impl Taxonomy<'_> {
    fn new(source: &AssetSource) -> Taxonomy<'_> {
        Taxonomy {
            by_key: source
                .taxonomy
                .iter()
                .map(|(k, v)| (k.trim().to_lowercase(), category_id(v)))
                .collect(),
            fallback: source.category.as_deref().map(category_id),
            unmapped: BTreeMap::new(),
            source,
        }
    }

    /// The category of a service: its first term that maps, else the fallback.
    fn category(&mut self, service: &Value) -> Result<String, String> {
        let mut terms: Vec<(Option<String>, Option<String>)> = Vec::new();
        for a in list(service, "attributes") {
            if let Some(t) = a.get("taxonomy_term") {
                terms.push(term_of(t));
            } else if let Some(id) = a.get("taxonomy_term_id").and_then(Value::as_str) {
                terms.push((Some(id.to_string()), None));
            }
        }
        for t in list(service, "service_taxonomys") {
            if let Some(tax) = t.get("taxonomy") {
                terms.push(term_of(tax));
            }
        }
        let mut unmapped_here = Vec::new();
        for (id, name) in &terms {
            for key in [id, name].into_iter().flatten() {
                if let Some(c) = self.by_key.get(&key.trim().to_lowercase()) {
                    return Ok(c.clone());
                }
            }
            let label = match (name, id) {
                (Some(n), Some(i)) => format!("{n:?} ({i})"),
                (Some(n), None) => format!("{n:?}"),
                (None, Some(i)) => i.clone(),
                (None, None) => continue,
            };
            unmapped_here.push(label);
        }
        for l in &unmapped_here {
            *self.unmapped.entry(l.clone()).or_insert(0) += 1;
        }
        self.fallback.clone().ok_or_else(|| {
            format!(
                "no category: none of its taxonomy terms ({}) is in the manifest's taxonomy table of source {:?}, and the source sets no fallback category",
                if unmapped_here.is_empty() {
                    "it has none".to_string()
                } else {
                    unmapped_here.join(", ")
                },
                self.source.source
            )
        })
    }
}

fn term_of(t: &Value) -> (Option<String>, Option<String>) {
    let s = |k: &str| {
        t.get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    (s("id"), s("name").or_else(|| s("term")))
}

/// The opening hours of schedule records, as a model and readable text;
/// notes what cannot be read.
fn schedules(
    items: &[Value],
    what: &str,
    r: &mut Reader,
) -> (Option<crate::hours::Hours>, Option<String>) {
    if items.is_empty() {
        return (None, None);
    }
    let mut records = Vec::new();
    let mut words = Vec::new();
    for (k, item) in items.iter().enumerate() {
        match serde_json::from_value::<OrukSchedule>(item.clone()) {
            Ok(s) => {
                if let Some(d) = s
                    .description
                    .as_deref()
                    .map(str::trim)
                    .filter(|d| !d.is_empty())
                {
                    words.push(html_to_text(d).0);
                }
                records.push(s);
            }
            Err(e) => r.note(format!(
                "{what} schedule {}: not understood ({e}); left out",
                k + 1
            )),
        }
    }
    if records.is_empty() {
        return (None, (!words.is_empty()).then(|| words.join("; ")));
    }
    match oruk_schedules(&records) {
        Ok(hours) => {
            let today =
                chrono::NaiveDate::parse_from_str(&crate::catalog::time::today(), "%Y-%m-%d")
                    .unwrap_or_default();
            let week = crate::hours::week_summary(&hours, today, false);
            let known = week.iter().any(|(_, t)| t != "not known");
            let text = if known {
                Some(
                    week.iter()
                        .map(|(days, t)| format!("{days}: {t}"))
                        .collect::<Vec<_>>()
                        .join("; "),
                )
            } else {
                r.note(format!(
                    "{what} schedules: no schedule holds this week (see valid_from and valid_to); the hours count as not known"
                ));
                (!words.is_empty()).then(|| words.join("; "))
            };
            (Some(hours), text)
        }
        Err(e) => {
            r.note(format!(
                "{what} schedules cannot be rendered as opening hours ({e}); the hours count as not known"
            ));
            (None, (!words.is_empty()).then(|| words.join("; ")))
        }
    }
}

/// A location's address as one line, its postcode, and its phone.
fn address_of(location: &Value) -> (Option<String>, Option<String>) {
    let addresses = list(location, "addresses");
    let chosen = addresses
        .iter()
        .find(|a| a.get("address_type").and_then(Value::as_str) == Some("physical"))
        .or_else(|| addresses.first());
    let Some(a) = chosen else {
        return (None, None);
    };
    let part = |k: &str| {
        a.get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let postcode = part("postal_code").map(str::to_string);
    let parts: Vec<&str> = ["address_1", "address_2", "city", "postal_code"]
        .into_iter()
        .filter_map(part)
        .collect();
    ((!parts.is_empty()).then(|| parts.join(", ")), postcode)
}

fn phones<'v>(values: impl IntoIterator<Item = &'v Value>) -> Vec<String> {
    let mut out = Vec::new();
    for v in values {
        for p in list(v, "phones") {
            if let Some(n) = p.get("number").and_then(Value::as_str) {
                let n = n.trim();
                if !n.is_empty() {
                    out.push(n.to_string());
                }
            }
        }
    }
    out
}

/// Maps one service record.
fn map_service(
    service: &Value,
    source: &AssetSource,
    placing: &Placing,
    taxonomy: &mut Taxonomy,
    base_url: Option<&str>,
    notes: &mut Vec<(Severity, String)>,
) -> Mapped {
    let mut r = Reader { notes };
    let Some(service_id) = r.text(service, "id", "id") else {
        return Mapped::Skipped("missing id", "field id: missing (required)".into());
    };
    if service_id.len() > 200
        || service_id
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '/')
    {
        return Mapped::Skipped(
            "unusable id",
            format!(
                "field id: {service_id:?} is longer than 200 characters or holds spaces or slashes"
            ),
        );
    }
    // A missing name skips the record, but only after every other field is
    // read, so the report lists all that is wrong with it.
    let name = r
        .text(service, "name", "name")
        .map(|n| bounded(html_to_text(&n).0, MAX_NAME_CHARS, "name", &mut r))
        .filter(|n| !n.is_empty());
    let organisation_value = service.get("organization").filter(|o| o.is_object());
    let organisation = organisation_value
        .and_then(|o| o.get("name"))
        .and_then(Value::as_str)
        .map(|n| html_to_text(n).0)
        .filter(|n| !n.is_empty())
        .map(|n| bounded(n, MAX_ORGANISATION_CHARS, "organization.name", &mut r));
    let description = r.text(service, "description", "description").and_then(|d| {
        let (text, sanitised) = html_to_text(&d);
        if let Some(what) = sanitised.describe() {
            r.repaired(format!("description: {what}"));
        }
        (!text.is_empty()).then(|| bounded(text, MAX_DESCRIPTION_CHARS, "description", &mut r))
    });
    let email = r.text(service, "email", "email").and_then(|raw| {
        let (cleaned, changed) = clean_email(&raw)?;
        if check_email(&cleaned).is_err() {
            r.note(format!("email: {raw:?} is not an e-mail address; left out"));
            return None;
        }
        if changed {
            r.repaired(format!(
                "email: {raw:?} read as {cleaned:?} (stray characters removed)"
            ));
        }
        Some(cleaned)
    });
    let website = r
        .text(service, "url", "url")
        .or_else(|| {
            organisation_value.and_then(|o| {
                o.get("website")
                    .or_else(|| o.get("url"))
                    .and_then(Value::as_str)
                    .map(str::trim)
                    .filter(|u| !u.is_empty())
                    .map(str::to_string)
            })
        })
        .and_then(|raw| match clean_url(&raw) {
            Some((u, _)) if check_url(&u).is_err() => {
                r.note(format!("url: {raw:?} is not a web address; left out"));
                None
            }
            Some((u, changed)) => {
                if changed {
                    r.repaired(format!("url: {raw:?} read as {u:?}"));
                }
                Some(u)
            }
            None => {
                r.note(format!("url: {raw:?} is not a web address; left out"));
                None
            }
        });
    let Some(name) = name else {
        return Mapped::Skipped("missing name", "field name: missing (required)".into());
    };
    let status = match r.text(service, "status", "status").as_deref() {
        None | Some("active") => AssetStatus::Active,
        Some("inactive") | Some("temporarily closed") | Some("temporarily_closed") => {
            AssetStatus::TemporarilyClosed
        }
        Some("defunct") => {
            return Mapped::Skipped(
                "defunct",
                "field status: defunct (the service has ended)".into(),
            );
        }
        Some(other) => {
            r.note(format!(
                "status: {other:?} is not active, inactive or defunct; taken as active"
            ));
            AssetStatus::Active
        }
    };
    let category = match taxonomy.category(service) {
        Ok(c) => c,
        Err(message) => return Mapped::Skipped("no category", message),
    };

    let metadata = service.get("pc_metadata");
    let verified_at = r
        .text(service, "assured_date", "assured_date")
        .or_else(|| json_text(metadata.and_then(|m| m.get("date_assured"))))
        .and_then(|d| {
            let day = d.get(..10).unwrap_or(&d).to_string();
            match check_date(&day) {
                Ok(()) => Some(day),
                Err(e) => {
                    r.note(format!("assured_date: {d:?} left out ({})", e.message));
                    None
                }
            }
        });
    let source_modified_at = r
        .text(service, "last_modified", "last_modified")
        .or_else(|| json_text(metadata.and_then(|m| m.get("date_modified"))))
        .filter(|d| d.len() <= 40);
    let source_url =
        base_url.map(|b| fetch::join(b, &format!("services/{}", pct(&service_id)), &[]));
    let service_phones = phones(std::iter::once(service).chain(list(service, "contacts")));
    let (service_hours, service_hours_text) =
        schedules(list(service, "schedules"), "service", &mut r);

    let template = |id: String, bng: Coord, lonlat: Coord| {
        let mut a = Asset::new(
            id,
            category.clone(),
            name.clone(),
            source.source.clone(),
            bng,
            lonlat,
        );
        a.status = status;
        a.email = email.clone();
        a.website = website.clone();
        a.verified_at = verified_at.clone();
        a.details = Details {
            organisation: organisation.clone(),
            description: description.clone(),
            accessibility: None,
            source_url: source_url.clone(),
            source_modified_at: source_modified_at.clone(),
            needs: None,
        };
        a
    };
    let prefix = source
        .id_prefix
        .clone()
        .unwrap_or_else(|| format!("{}:", source.source));

    let mut placed = Vec::new();
    let mut outside = Vec::new();
    let mut unusable = 0usize;
    let mut physical = 0usize;
    for (k, sal) in list(service, "service_at_locations").iter().enumerate() {
        let Some(location) = sal.get("location").filter(|l| l.is_object()) else {
            continue;
        };
        let kind = location
            .get("location_type")
            .and_then(Value::as_str)
            .unwrap_or("physical");
        if kind != "physical" {
            continue;
        }
        physical += 1;
        let location_id = location
            .get("id")
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| {
                sal.get("id")
                    .and_then(Value::as_str)
                    .map(str::trim)
                    .filter(|d| !d.is_empty())
                    .map(str::to_string)
            })
            .unwrap_or_else(|| format!("{}", k + 1));
        let what = format!("location {location_id}");
        let (address, postcode_raw) = address_of(location);
        let postcode = postcode_raw.as_deref().and_then(|p| placing.postcode(p));
        if postcode_raw.is_some() && postcode.is_none() {
            r.note(format!(
                "{what}: postal_code {:?} is not a UK postcode",
                postcode_raw.as_deref().unwrap_or("")
            ));
        }
        let lat = location.get("latitude").and_then(Value::as_f64);
        let lon = location.get("longitude").and_then(Value::as_f64);
        let given = location.get("latitude").is_some_and(|v| !v.is_null())
            || location.get("longitude").is_some_and(|v| !v.is_null());
        let mut at: Option<(Coord, Coord)> = None;
        match (lat, lon) {
            (Some(lat), Some(lon))
                if (-90.0..=90.0).contains(&lat)
                    && (-180.0..=180.0).contains(&lon)
                    && !(lat == 0.0 && lon == 0.0) =>
            {
                match placing.place(lon, lat) {
                    Placed::Inside(bng, ll) => {
                        if let Some((pc, Some(pc_at))) = &postcode {
                            let d = ((pc_at.x - bng.x).powi(2) + (pc_at.y - bng.y).powi(2)).sqrt();
                            if d > POSTCODE_DISAGREES_M {
                                r.note(format!(
                                    "{what}: postcode {pc} is {:.1} km from the coordinates (latitude {lat}, longitude {lon}); the coordinates are used",
                                    d / 1000.0
                                ));
                            }
                        }
                        at = Some((bng, ll));
                    }
                    Placed::Outside(d) => {
                        outside.push(if d.is_finite() {
                            format!("{what} (latitude {lat}, longitude {lon}) is {:.1} km outside the coverage", d / 1000.0)
                        } else {
                            format!("{what} (latitude {lat}, longitude {lon}) is outside the coverage")
                        });
                        continue;
                    }
                    Placed::OffGrid => {
                        outside.push(format!(
                            "{what} (latitude {lat}, longitude {lon}) is outside Great Britain"
                        ));
                        continue;
                    }
                }
            }
            _ if given => {
                let shown = |v: Option<&Value>| v.map_or("missing".to_string(), Value::to_string);
                r.note(format!(
                    "{what}: latitude {}, longitude {} is not a position on Earth",
                    shown(location.get("latitude")),
                    shown(location.get("longitude"))
                ));
            }
            _ => {}
        }
        if at.is_none() {
            match &postcode {
                Some((pc, Some(pc_at))) => match placing.check(*pc_at) {
                    Placed::Inside(bng, ll) => {
                        r.note(format!("{what}: placed at its postcode {pc}"));
                        at = Some((bng, ll));
                    }
                    _ => {
                        outside.push(format!("{what} (postcode {pc}) is outside the coverage"));
                        continue;
                    }
                },
                Some((pc, None)) => {
                    r.note(format!("{what}: no usable coordinates, and postcode {pc} is not in the postcode table"));
                }
                None => r.note(format!("{what}: no usable coordinates and no postcode")),
            }
        }
        let Some((bng, lonlat)) = at else {
            unusable += 1;
            continue;
        };
        let (sal_hours, sal_text) = schedules(list(sal, "schedules"), &what, &mut r);
        let mut a = template(format!("{prefix}{service_id}@{location_id}"), bng, lonlat);
        a.address =
            address.map(|t| bounded(t, MAX_ADDRESS_CHARS, &format!("{what} address"), &mut r));
        a.postcode = postcode.as_ref().map(|(pc, _)| pc.clone());
        let mut numbers = phones([sal, location]);
        numbers.extend(service_phones.iter().cloned());
        a.phone = first_phone(&numbers, &mut r);
        (a.hours, a.opening_hours) = if sal_hours.is_some() || sal_text.is_some() {
            (sal_hours, sal_text)
        } else {
            (service_hours.clone(), service_hours_text.clone())
        };
        let access: Vec<String> = list(location, "accessibility")
            .iter()
            .flat_map(|x| {
                ["description", "details"]
                    .into_iter()
                    .filter_map(|k| x.get(k).and_then(Value::as_str))
                    .map(|t| html_to_text(t).0)
                    .filter(|t| !t.is_empty())
                    .collect::<Vec<_>>()
            })
            .collect();
        if !access.is_empty() {
            a.details.accessibility = Some(bounded(
                access.join("; "),
                MAX_ACCESSIBILITY_CHARS,
                &format!("{what} accessibility"),
                &mut r,
            ));
        }
        placed.push(a);
    }
    if placed.is_empty() && !outside.is_empty() && unusable == 0 {
        return Mapped::Skipped("outside coverage", outside.join("; "));
    }
    for o in outside {
        r.note(format!("{o}; that place is left out"));
    }
    if !placed.is_empty() {
        return Mapped::Loaded(placed);
    }
    if physical > 0 {
        r.note("no location could be placed; kept as a listing without a place (searchable, not on the map)".into());
    }
    let origin = Coord { x: 0.0, y: 0.0 };
    let mut a = template(format!("{prefix}{service_id}"), origin, origin);
    a.unplaced = true;
    a.phone = first_phone(&service_phones, &mut r);
    a.hours = service_hours;
    a.opening_hours = service_hours_text;
    Mapped::Loaded(vec![a])
}

fn first_phone(numbers: &[String], r: &mut Reader) -> Option<String> {
    for n in numbers {
        if check_phone(n).is_ok() {
            return Some(n.clone());
        }
        r.note(format!("phone: {n:?} is not a telephone number; left out"));
    }
    None
}

/// A record's id: text (trimmed), or a whole number written as text.
fn id_of(record: &Value) -> Option<String> {
    record.get("id").and_then(|v| {
        v.as_str()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .or_else(|| v.as_u64().map(|n| n.to_string()))
    })
}

/// Percent-encodes an id for a URL path.
fn pct(id: &str) -> String {
    form_urlencoded::byte_serialize(id.as_bytes()).collect()
}

/// Reads the feed's pages: from the files the source names, or crawled
/// from its base URL. Each service comes with where it was found.
/// The services a feed holds, each with where it was found, and the
/// generation its pages show.
struct Feed {
    services: Vec<(String, Value)>,
    generation: Option<Generation>,
    /// How the feed was fetched, when it came from a URL.
    fetched: Option<String>,
}

fn read_feed(ctx: &mut Ctx, source: &AssetSource, key: &str, file: &str) -> Result<Feed, Problem> {
    let fatal = |message: String| Problem {
        severity: Severity::Fatal,
        file: file.to_string(),
        location: None,
        message,
    };
    let mut services = Vec::new();
    let mut generation = None;
    let note_page = |ctx: &mut Ctx, page: &Page, label: Option<String>| {
        let only_page =
            page.total_pages == Some(1) || page.last == Some(true) && page.total_pages.is_none();
        if let Some(total) = page.total_items
            && only_page
            && total as usize != page.items.len()
        {
            ctx.problem(
                Severity::Warning,
                file,
                label,
                format!(
                    "the envelope says {total} items in all, but the only page holds {}",
                    page.items.len()
                ),
            );
        }
    };
    if let Some(base) = &source.url {
        let limits = Limits::of(source.fetch.as_ref())
            .map_err(|(k, m)| ctx.manifest_error(&format!("{key}.fetch.{k}"), m))?;
        let mut fetcher = Fetcher::new(limits.clone());
        let mut page_number = 1u32;
        loop {
            let url = fetch::join(
                base,
                "services",
                &[
                    ("page", page_number.to_string()),
                    ("per_page", limits.per_page.to_string()),
                ],
            );
            let bytes = fetcher.get(&url).map_err(fatal)?;
            let doc: Value = serde_json::from_slice(&bytes)
                .map_err(|e| fatal(format!("{url}: not JSON ({e})")))?;
            let page = read_page(doc).map_err(|e| fatal(format!("{url}: {e}")))?;
            if generation.is_none() {
                generation = page.generation;
            }
            let label = format!("page {page_number}");
            note_page(ctx, &page, Some(label));
            let n = page.items.len();
            let done = n == 0
                || page.last == Some(true)
                || page
                    .total_pages
                    .is_some_and(|t| u64::from(page_number) >= t)
                || page.last.is_none() && page.total_pages.is_none();
            for (i, item) in page.items.into_iter().enumerate() {
                services.push((format!("page {page_number} item {}", i + 1), item));
            }
            if done {
                break;
            }
            if page_number >= limits.max_pages {
                return Err(fatal(format!(
                    "the feed has more than {} pages of {} (fetch.max_pages); nothing was synced, so nothing is retired by mistake",
                    limits.max_pages, limits.per_page
                )));
            }
            page_number += 1;
        }
        let minimal = services
            .iter()
            .all(|(_, s)| s.get("service_at_locations").is_none());
        let full = match limits.full_records {
            FullRecords::Always => true,
            FullRecords::Never => false,
            FullRecords::Auto => minimal,
        };
        if full {
            for (label, s) in services.iter_mut() {
                let Some(id) = id_of(s) else {
                    continue;
                };
                let url = fetch::join(base, &format!("services/{}", pct(&id)), &[]);
                match fetcher.get(&url) {
                    Ok(bytes) => match serde_json::from_slice::<Value>(&bytes) {
                        Ok(v) if v.is_object() => *s = v,
                        _ => ctx.problem(
                            Severity::Warning,
                            file,
                            Some(format!("service {id}")),
                            format!("{url} is not a service record; the list's record is used"),
                        ),
                    },
                    Err(e) if e.contains("answered 404") => ctx.problem(
                        Severity::Warning,
                        file,
                        Some(format!("service {id}")),
                        format!("{e}; the list's record is used"),
                    ),
                    Err(e) => return Err(fatal(e)),
                }
                label.push_str(" (full record)");
            }
        }
        let fetched = format!(
            "fetched {} services in {page_number} page(s) with {} requests ({} retried)",
            services.len(),
            fetcher.requests,
            fetcher.retried
        );
        return Ok(Feed {
            services,
            generation,
            fetched: Some(fetched),
        });
    }
    let paths: Vec<String> = std::iter::once(source.path.clone())
        .filter(|p| !p.is_empty())
        .chain(source.paths.iter().cloned())
        .collect();
    for path in &paths {
        let bytes = ctx.read(path)?;
        let doc: Value = serde_json::from_slice(&bytes).map_err(|e| Problem {
            severity: Severity::Fatal,
            file: path.clone(),
            location: None,
            message: format!("not JSON: {e}"),
        })?;
        drop(bytes);
        let page = read_page(doc).map_err(|e| Problem {
            severity: Severity::Fatal,
            file: path.clone(),
            location: None,
            message: e,
        })?;
        if generation.is_none() {
            generation = page.generation;
        }
        note_page(ctx, &page, paths.len().gt(&1).then(|| path.clone()));
        let many = paths.len() > 1;
        for (i, item) in page.items.into_iter().enumerate() {
            let label = if many {
                format!("{path} record {}", i + 1)
            } else {
                format!("record {}", i + 1)
            };
            services.push((label, item));
        }
    }
    Ok(Feed {
        services,
        generation,
        fetched: None,
    })
}

/// Loads an Open Referral UK source.
pub(crate) fn load(
    ctx: &mut Ctx,
    source: &AssetSource,
    key: &str,
    placing: &Placing,
    assets: &mut Vec<Asset>,
    by_id: &mut HashMap<String, usize>,
) -> Result<(), Problem> {
    let file = source.url.clone().unwrap_or_else(|| {
        std::iter::once(source.path.as_str())
            .chain(source.paths.iter().map(String::as_str))
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join(", ")
    });
    let Feed {
        services,
        generation,
        fetched,
    } = read_feed(ctx, source, key, &file)?;
    let mut report = SourceReport {
        name: source.source.clone(),
        layer: "assets".into(),
        path: file.clone(),
        ..Default::default()
    };
    report.notes.push(format!(
        "read as {} ({} records)",
        generation.map_or(
            "Open Referral UK (generation not recognised: no known fields)",
            Generation::label
        ),
        services.len()
    ));
    report.notes.extend(fetched);
    let mut taxonomy = Taxonomy::new(source);
    // Last one wins: later records with an id replace earlier ones.
    let mut latest: HashMap<String, usize> = HashMap::new();
    for (i, (_, s)) in services.iter().enumerate() {
        if let Some(id) = id_of(s) {
            latest.insert(id, i);
        }
    }
    for (i, (label, service)) in services.iter().enumerate() {
        report.read += 1;
        let id = id_of(service);
        let location = match &id {
            Some(id) => format!("service {id} ({label})"),
            None => label.clone(),
        };
        if let Some(id) = &id
            && latest.get(id) != Some(&i)
        {
            report.merged += 1;
            let later = latest
                .get(id)
                .map(|&j| services[j].0.clone())
                .unwrap_or_default();
            ctx.problem(
                    Severity::Warning,
                    &file,
                    Some(location),
                    format!("duplicate id: the same service appears again at {later}; the later record is used"),
                );
            continue;
        }
        let mut notes = Vec::new();
        let mapped = map_service(
            service,
            source,
            placing,
            &mut taxonomy,
            source.url.as_deref(),
            &mut notes,
        );
        for (severity, n) in notes {
            ctx.problem(severity, &file, Some(location.clone()), n);
        }
        match mapped {
            Mapped::Skipped(reason, message) => ctx.skip(&mut report, location, reason, message),
            Mapped::Loaded(list) => {
                let mut any = false;
                for a in list {
                    if by_id.contains_key(&a.id) {
                        ctx.problem(
                            Severity::Skipped,
                            &file,
                            Some(location.clone()),
                            format!("duplicate id {}: an earlier source has it; left out", a.id),
                        );
                        continue;
                    }
                    any = true;
                    if a.unplaced {
                        report.unplaced += 1;
                    } else {
                        report.placed += 1;
                    }
                    by_id.insert(a.id.clone(), assets.len());
                    assets.push(a);
                }
                if any {
                    report.loaded += 1;
                } else {
                    *report
                        .skipped_by_reason
                        .entry("duplicate id".into())
                        .or_insert(0) += 1;
                    report.skipped += 1;
                }
            }
        }
    }
    if !taxonomy.unmapped.is_empty() {
        let shown: Vec<String> = taxonomy
            .unmapped
            .iter()
            .take(30)
            .map(|(t, n)| format!("{t} ×{n}"))
            .collect();
        let more = taxonomy.unmapped.len().saturating_sub(30);
        ctx.problem(
            Severity::Warning,
            &file,
            None,
            format!(
                "{} taxonomy terms are not in the manifest's taxonomy table: {}{}; their services took category {}",
                taxonomy.unmapped.len(),
                shown.join(", "),
                if more > 0 { format!(" and {more} more") } else { String::new() },
                taxonomy.fallback.as_deref().unwrap_or("(none)")
            ),
        );
    }
    ctx.finish(report, None);
    Ok(())
}

/// The default coverage margin, for sources that set none.
pub(crate) fn margin(source: &AssetSource) -> f64 {
    source
        .max_distance_from_wards_m
        .unwrap_or(COVERAGE_MARGIN_M)
}

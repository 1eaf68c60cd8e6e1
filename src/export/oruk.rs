//! The catalog as Open Referral UK 3.0 (HSDS 3.0, UK profile) records.
//!
//! Each asset is one service at one location (a listing with no place is a
//! service with no location). Ids are UUIDs, as the standard requires,
//! derived from the asset's id so they are stable across restarts and
//! replicas: RFC 9562 version 8 (custom), the first 16 bytes of SHA-256 of
//! a fixed namespace and the id. Categories are the terms of one taxonomy,
//! "assetmap categories"; organisations are the named organisations of the
//! assets.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::hours::{DayHours, Hours, Rule};
use crate::model::{Asset, AssetStatus, Dataset};

/// The ORUK version served.
pub const VERSION: &str = "3.0";
/// The profile served.
pub const PROFILE: &str = "https://openreferraluk.org/profile/uk/3.0";
/// The one taxonomy, whose terms are the dataset's categories.
pub const TAXONOMY_NAME: &str = "assetmap categories";

/// A stable UUID (version 8, RFC 9562) for a kind of thing and its key.
pub fn uuid(kind: &str, key: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"assetmap-oruk/");
    h.update(kind.as_bytes());
    h.update([0]);
    h.update(key.as_bytes());
    let d = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// The service id of an asset.
pub fn service_id(asset: &Asset) -> String {
    uuid("service", &asset.id)
}

/// The taxonomy's id.
pub fn taxonomy_id() -> String {
    uuid("taxonomy", TAXONOMY_NAME)
}

/// The term id of a category.
pub fn term_id(category: &str) -> String {
    uuid("term", category)
}

/// The id of an organisation, by name.
pub fn organization_id(name: &str) -> String {
    uuid("organization", name)
}

/// One entry as the feed lists it, prepared once per data version.
pub struct Prepared {
    /// Where it is: (listing?, index in `assets` or `listings`).
    pub at: (bool, usize),
    /// Its service as `/services` lists it, as JSON text.
    pub summary: String,
    /// Name, readable name, organisation and description in lower case,
    /// for `search`.
    pub text: String,
    /// The readable name in lower case, for ranking a search by name.
    pub name: String,
    /// The published name in lower case.
    pub raw_name: String,
    /// The organisation in lower case.
    pub organisation: Option<String>,
}

/// Lookups from ORUK ids to the catalog, for one data version.
pub struct Index {
    /// Every entry, assets then listings, in catalog order.
    pub entries: Vec<Prepared>,
    /// Service id to its place in `entries`.
    pub services: HashMap<String, usize>,
    /// Service-at-location id to index in `assets`.
    pub service_at_locations: HashMap<String, usize>,
    /// Organisation id to name, and the services it runs.
    pub organizations: BTreeMap<String, (String, Vec<(bool, usize)>)>,
    /// The data version it was built for.
    pub version: u64,
}

impl Index {
    /// Builds the lookups.
    pub fn new(d: &Dataset) -> Index {
        let mut entries = Vec::with_capacity(d.assets.len() + d.listings.len());
        let mut services = HashMap::with_capacity(d.assets.len() + d.listings.len());
        let service_at_locations = d
            .assets
            .iter()
            .enumerate()
            .map(|(i, a)| (uuid("service_at_location", &a.id), i))
            .collect();
        let mut organizations: BTreeMap<String, (String, Vec<(bool, usize)>)> = BTreeMap::new();
        for (listing, list) in [(false, &d.assets[..]), (true, &d.listings[..])] {
            for (i, a) in list.iter().enumerate() {
                services.insert(service_id(a), entries.len());
                if let Some(o) = &a.details.organisation {
                    organizations
                        .entry(organization_id(o))
                        .or_insert_with(|| (o.clone(), Vec::new()))
                        .1
                        .push((listing, i));
                }
                let words = [
                    Some(a.name.as_str()),
                    Some(&a.display_name()),
                    a.details.organisation.as_deref(),
                    a.details.description.as_deref(),
                ];
                let text = words
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join("\n")
                    .to_lowercase();
                entries.push(Prepared {
                    at: (listing, i),
                    summary: service_summary(a).to_string(),
                    text,
                    name: a.display_name().to_lowercase(),
                    raw_name: a.name.to_lowercase(),
                    organisation: a.details.organisation.as_deref().map(str::to_lowercase),
                });
            }
        }
        Index {
            entries,
            services,
            service_at_locations,
            organizations,
            version: d.version,
        }
    }
}

/// An entry of the catalog by its place in [`Index`].
pub fn entry(d: &Dataset, at: (bool, usize)) -> Option<&Asset> {
    if at.0 {
        d.listings.get(at.1)
    } else {
        d.assets.get(at.1)
    }
}

fn status(s: AssetStatus) -> &'static str {
    match s {
        AssetStatus::Active => "active",
        AssetStatus::TemporarilyClosed => "temporarily closed",
        AssetStatus::Retired => "defunct",
    }
}

/// `last_modified` as RFC 3339 date-time.
fn last_modified(a: &Asset) -> Option<String> {
    a.updated_at.clone()
}

fn put(o: &mut Map<String, Value>, key: &str, value: Option<impl Into<Value>>) {
    if let Some(v) = value {
        o.insert(key.into(), v.into());
    }
}

/// The organisation summary (as a list item or nested in a service).
pub fn organization(name: &str, description: Option<&str>) -> Value {
    json!({
        "id": organization_id(name),
        "name": name,
        "description": description.unwrap_or(name),
    })
}

/// A service as `/services` lists it.
pub fn service_summary(a: &Asset) -> Value {
    let mut o = Map::new();
    o.insert("id".into(), service_id(a).into());
    put(
        &mut o,
        "organization_id",
        a.details.organisation.as_deref().map(organization_id),
    );
    o.insert("name".into(), a.display_name().into_owned().into());
    put(&mut o, "description", a.details.description.clone());
    put(&mut o, "url", a.website.clone());
    put(&mut o, "email", a.email.clone());
    o.insert("status".into(), status(a.status).into());
    put(&mut o, "assured_date", a.verified_at.clone());
    put(&mut o, "last_modified", last_modified(a));
    if let Some(org) = &a.details.organisation {
        o.insert("organization".into(), organization(org, None));
    }
    Value::Object(o)
}

/// A category as a taxonomy term.
pub fn term(category: &str, label: &str) -> Value {
    json!({
        "id": term_id(category),
        "name": label,
        "description": format!("{label} ({TAXONOMY_NAME}: {category})"),
        "taxonomy_id": taxonomy_id(),
        "taxonomy": TAXONOMY_NAME,
        "term": category,
    })
}

/// The taxonomy, with its terms when asked.
pub fn taxonomy(d: &Dataset, with_terms: bool) -> Value {
    let mut t = json!({
        "id": taxonomy_id(),
        "name": TAXONOMY_NAME,
        "description": format!("The kinds of place in {}: one term per category", d.info.name),
        "version": "1",
    });
    if with_terms && let Some(o) = t.as_object_mut() {
        o.insert(
            "taxonomy_terms".into(),
            d.info
                .category_labels
                .iter()
                .map(|(c, l)| term(c, l))
                .collect::<Vec<_>>()
                .into(),
        );
    }
    t
}

const BYDAY: [&str; 7] = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];

fn hhmm(min: u16) -> String {
    let m = min % 1440;
    format!("{:02}:{:02}:00", m / 60, m % 60)
}

/// Opening hours as ORUK schedule records, for a service at a location.
fn schedules(a: &Asset, sal_id: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut push = |mut o: Map<String, Value>| {
        let n = out.len();
        o.insert(
            "id".into(),
            uuid("schedule", &format!("{sal_id}/{n}")).into(),
        );
        o.insert("service_at_location_id".into(), sal_id.into());
        out.push(Value::Object(o));
    };
    match &a.hours {
        Some(Hours::Week { rules, .. }) => {
            for r in rules {
                let DayHours::Open(spans) = &r.hours else {
                    continue;
                };
                for s in spans {
                    push(schedule_of(r, &hhmm(s.open_min), &hhmm(s.close_min)));
                }
            }
        }
        Some(Hours::Osm(osm)) => {
            let mut o = Map::new();
            o.insert(
                "description".into(),
                format!("Opening hours (OpenStreetMap syntax): {}", osm.text()).into(),
            );
            push(o);
        }
        None => {
            if let Some(t) = &a.opening_hours {
                let mut o = Map::new();
                o.insert("description".into(), t.clone().into());
                push(o);
            }
        }
    }
    out
}

fn schedule_of(r: &Rule, opens: &str, closes: &str) -> Map<String, Value> {
    let days: Vec<String> = (0..7)
        .filter(|k| r.days.0 & (1 << k) != 0)
        .map(|k| match r.nth {
            Some(n) => format!("{n}{}", BYDAY[k]),
            None => BYDAY[k].to_string(),
        })
        .collect();
    let mut o = Map::new();
    o.insert(
        "freq".into(),
        if r.nth.is_some() || r.month_days.is_some() {
            "MONTHLY"
        } else {
            "WEEKLY"
        }
        .into(),
    );
    if let Some((every, anchor)) = r.every_weeks {
        o.insert("interval".into(), every.into());
        o.insert("dtstart".into(), anchor.to_string().into());
    }
    o.insert("byday".into(), days.join(",").into());
    if let Some(mask) = r.month_days {
        let d: Vec<String> = (1..=31)
            .filter(|k| mask & (1 << k) != 0)
            .map(|k: u32| k.to_string())
            .collect();
        o.insert("bymonthday".into(), d.join(",").into());
    }
    o.insert("opens_at".into(), opens.into());
    o.insert("closes_at".into(), closes.into());
    put(&mut o, "valid_from", r.valid_from.map(|d| d.to_string()));
    put(&mut o, "valid_to", r.valid_to.map(|d| d.to_string()));
    put(&mut o, "description", r.approximate.clone());
    o
}

/// The service at a location (`None` for a listing with no place).
pub fn service_at_location(d: &Dataset, a: &Asset, with_service: bool) -> Option<Value> {
    if a.unplaced {
        return None;
    }
    let sid = service_id(a);
    let sal_id = uuid("service_at_location", &a.id);
    let location_id = uuid("location", &a.id);
    let mut loc = Map::new();
    loc.insert("id".into(), location_id.clone().into());
    loc.insert("location_type".into(), "physical".into());
    loc.insert("name".into(), a.display_name().into_owned().into());
    let round = |v: f64| (v * 1e6).round() / 1e6;
    loc.insert("latitude".into(), round(a.lonlat.y).into());
    loc.insert("longitude".into(), round(a.lonlat.x).into());
    if a.address.is_some() || a.postcode.is_some() {
        let council = a
            .ward
            .and_then(|w| d.wards.get(w))
            .and_then(|w| w.council_name.clone())
            .unwrap_or_default();
        loc.insert(
            "addresses".into(),
            json!([{
                "id": uuid("address", &a.id),
                "location_id": location_id,
                "address_1": a.display_address().map(|x| x.into_owned()).unwrap_or_default(),
                "city": council,
                "state_province": "England",
                "postal_code": a.postcode.clone().unwrap_or_default(),
                "country": "GB",
                "address_type": "physical",
            }]),
        );
    }
    if let Some(access) = &a.details.accessibility {
        loc.insert(
            "accessibility".into(),
            json!([{"id": uuid("accessibility", &a.id), "location_id": location_id, "description": access}]),
        );
    }
    let mut o = Map::new();
    o.insert("id".into(), sal_id.clone().into());
    o.insert("service_id".into(), sid.into());
    o.insert("location_id".into(), location_id.into());
    o.insert("location".into(), Value::Object(loc));
    let sched = schedules(a, &sal_id);
    if !sched.is_empty() {
        o.insert("schedules".into(), sched.into());
    }
    if with_service {
        o.insert("service".into(), service_summary(a));
    }
    Some(Value::Object(o))
}

/// A service, fully nested.
pub fn service_full(d: &Dataset, a: &Asset) -> Value {
    let mut s = service_summary(a);
    let Some(o) = s.as_object_mut() else {
        return s;
    };
    let sid = service_id(a);
    let label = d.category_label(&a.category).to_string();
    o.insert(
        "attributes".into(),
        json!([{
            "id": uuid("attribute", &a.id),
            "link_id": sid,
            "link_type": "service",
            "taxonomy_term_id": term_id(&a.category),
            "taxonomy_term": term(&a.category, &label),
        }]),
    );
    if let Some(phone) = &a.phone {
        o.insert(
            "contacts".into(),
            json!([{
                "id": uuid("contact", &a.id),
                "service_id": sid,
                "name": a.details.organisation.clone().unwrap_or_else(|| a.display_name().into_owned()),
                "phones": [{"id": uuid("phone", &a.id), "number": phone}],
            }]),
        );
    }
    let sal: Vec<Value> = service_at_location(d, a, false).into_iter().collect();
    o.insert("service_at_locations".into(), sal.into());
    if a.unplaced {
        let sched = schedules(a, &uuid("service_at_location", &a.id));
        if !sched.is_empty() {
            o.insert("schedules".into(), sched.into());
        }
    }
    s
}

/// A paging envelope around contents already written as JSON text.
pub fn page_of_json(
    contents: &[&str],
    total_items: usize,
    page_number: usize,
    per_page: usize,
) -> String {
    let total_pages = total_items.div_ceil(per_page).max(1);
    let mut out = String::with_capacity(256 + contents.iter().map(|c| c.len() + 1).sum::<usize>());
    out.push_str(&format!(
        "{{\"total_items\":{total_items},\"total_pages\":{total_pages},\"page_number\":{page_number},\"size\":{},\"first_page\":{},\"last_page\":{},\"empty\":{},\"contents\":[",
        contents.len(),
        page_number == 1,
        page_number >= total_pages,
        contents.is_empty()
    ));
    for (k, c) in contents.iter().enumerate() {
        if k > 0 {
            out.push(',');
        }
        out.push_str(c);
    }
    out.push_str("]}");
    out
}

/// A paging envelope around `contents`.
pub fn page(
    contents: Vec<Value>,
    total_items: usize,
    page_number: usize,
    per_page: usize,
) -> Value {
    let total_pages = total_items.div_ceil(per_page).max(1);
    json!({
        "total_items": total_items,
        "total_pages": total_pages,
        "page_number": page_number,
        "size": contents.len(),
        "first_page": page_number == 1,
        "last_page": page_number >= total_pages,
        "empty": contents.is_empty(),
        "contents": contents,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_version_8_uuids() {
        let a = uuid("service", "gp:A81001");
        assert_eq!(a, uuid("service", "gp:A81001"));
        assert_ne!(a, uuid("service", "gp:A81002"));
        assert_ne!(a, uuid("location", "gp:A81001"));
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "8");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"));
    }

    #[test]
    fn pages_of_json_text_match_pages_of_values() {
        let items = [json!({"id": "a"}), json!({"id": "b"})];
        let texts: Vec<String> = items.iter().map(Value::to_string).collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let text: Value = serde_json::from_str(&page_of_json(&refs, 3, 1, 2)).unwrap();
        assert_eq!(text, page(items.to_vec(), 3, 1, 2));
        let empty: Value = serde_json::from_str(&page_of_json(&[], 0, 1, 50)).unwrap();
        assert_eq!(empty, page(Vec::new(), 0, 1, 50));
    }

    #[test]
    fn pages_say_where_they_are() {
        let p = page(vec![json!(1), json!(2)], 5, 1, 2);
        assert_eq!(p["total_pages"], 3);
        assert_eq!(p["first_page"], true);
        assert_eq!(p["last_page"], false);
        let p = page(Vec::new(), 0, 1, 50);
        assert_eq!(p["total_pages"], 1);
        assert_eq!(p["empty"], true);
        assert_eq!(p["last_page"], true);
    }
}

//! The editable attributes of an asset as the catalog stores them, their
//! validation, and field-by-field differences for the history.

use std::collections::BTreeMap;

use geo::Coord;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::crs;
use crate::model::{Asset, AssetStatus, Dataset, Details, normalise_postcode};

/// Longest name, characters.
pub const MAX_NAME_CHARS: usize = 200;
/// Longest address, characters.
pub const MAX_ADDRESS_CHARS: usize = 300;
/// Longest opening-hours text, characters.
pub const MAX_OPENING_HOURS_CHARS: usize = 500;
/// Longest web address, characters.
pub const MAX_URL_CHARS: usize = 500;
/// Longest email address, characters (RFC 5321).
pub const MAX_EMAIL_CHARS: usize = 254;
/// Longest description, characters (a directory's, as plain text).
pub const MAX_DESCRIPTION_CHARS: usize = 10_000;
/// Longest organisation name, characters.
pub const MAX_ORGANISATION_CHARS: usize = 300;
/// Longest accessibility note, characters.
pub const MAX_ACCESSIBILITY_CHARS: usize = 2_000;
/// Longest needs list, characters.
pub const MAX_NEEDS_CHARS: usize = 10_000;
/// Largest capacity.
pub const MAX_CAPACITY: f64 = 1_000_000.0;

/// What an asset is, as stored: every field an officer or a source can change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssetFields {
    /// Category id.
    pub category: String,
    /// Name.
    pub name: String,
    /// Address as one line.
    pub address: Option<String>,
    /// Postcode.
    pub postcode: Option<String>,
    /// Telephone number.
    pub phone: Option<String>,
    /// Email address.
    pub email: Option<String>,
    /// Web site.
    pub website: Option<String>,
    /// Opening hours as text, as published.
    pub opening_hours: Option<String>,
    /// Opening hours as read by the source's hours format (`None`: not known).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<crate::hours::Hours>,
    /// Supply for access measures.
    pub capacity: Option<f64>,
    /// British National Grid easting, metres.
    pub easting_m: f64,
    /// British National Grid northing, metres.
    pub northing_m: f64,
    /// Active, temporarily closed or retired.
    pub status: AssetStatus,
    /// The date the information was last checked (YYYY-MM-DD).
    pub verified_at: Option<String>,
    /// Directory details, each its own field in the history.
    #[serde(flatten)]
    pub details: Details,
    /// A service with no place: listed, never mapped (`easting_m` and
    /// `northing_m` are 0).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unplaced: bool,
    /// Marked sensitive by an officer (besides the manifest's sensitive
    /// categories): its location and address never leave the server.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sensitive: bool,
}

/// One field's value before and after a change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    /// Value before (`null` when the asset is new).
    pub before: Value,
    /// Value after.
    pub after: Value,
}

/// A field that failed validation, and why; and any other fields found
/// wrong in the same check, so a form can name them all at once.
#[derive(Debug, Clone, PartialEq)]
pub struct Invalid {
    /// The field, as named in the API (`name`, `geometry`, `website`, ...).
    pub field: String,
    /// What is wrong and what is allowed.
    pub message: String,
    /// Other fields wrong too, one each, in the order found.
    pub also: Vec<Invalid>,
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (k, i) in self.each().enumerate() {
            let sep = if k == 0 { "" } else { "; " };
            write!(f, "{sep}{}: {}", i.field, i.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for Invalid {}

impl Invalid {
    /// Every field found wrong, the first one first (each with no `also`).
    pub fn each(&self) -> impl Iterator<Item = &Invalid> {
        std::iter::once(self).chain(&self.also)
    }

    /// `Ok` when nothing was found; otherwise the first problem found for
    /// each field, the first of them carrying the rest.
    pub fn all(found: Vec<Invalid>) -> Result<(), Invalid> {
        let mut out: Vec<Invalid> = Vec::new();
        for mut i in found {
            let also = std::mem::take(&mut i.also);
            for one in std::iter::once(i).chain(also) {
                if !out.iter().any(|o| o.field == one.field) {
                    out.push(one);
                }
            }
        }
        let mut rest = out.into_iter();
        match rest.next() {
            None => Ok(()),
            Some(mut first) => {
                first.also = rest.collect();
                Err(first)
            }
        }
    }
}

pub(crate) fn invalid(field: &str, message: impl Into<String>) -> Invalid {
    Invalid {
        field: field.into(),
        message: message.into(),
        also: Vec::new(),
    }
}

impl AssetFields {
    /// The fields of a loaded asset.
    pub fn of(asset: &Asset) -> AssetFields {
        AssetFields {
            category: asset.category.clone(),
            name: asset.name.clone(),
            address: asset.address.clone(),
            postcode: asset.postcode.clone(),
            phone: asset.phone.clone(),
            email: asset.email.clone(),
            website: asset.website.clone(),
            opening_hours: asset.opening_hours.clone(),
            hours: asset.hours.clone(),
            capacity: asset.capacity,
            easting_m: asset.bng.x,
            northing_m: asset.bng.y,
            status: asset.status,
            verified_at: asset.verified_at.clone(),
            details: asset.details.clone(),
            unplaced: asset.unplaced,
            sensitive: false,
        }
    }

    /// The position in British National Grid metres.
    pub fn bng(&self) -> Coord {
        Coord {
            x: self.easting_m,
            y: self.northing_m,
        }
    }

    /// Every field as JSON, by name.
    pub fn to_map(&self) -> BTreeMap<String, Value> {
        match serde_json::to_value(self) {
            Ok(Value::Object(map)) => map.into_iter().collect(),
            _ => BTreeMap::new(),
        }
    }

    /// The fields that differ from `before` (all of them when there is no before).
    pub fn diff(&self, before: Option<&AssetFields>) -> BTreeMap<String, FieldChange> {
        let after = self.to_map();
        let before = before.map(AssetFields::to_map).unwrap_or_default();
        after
            .into_iter()
            .filter_map(|(k, a)| {
                let b = before.get(&k).cloned().unwrap_or(Value::Null);
                (a != b).then_some((
                    k,
                    FieldChange {
                        before: b,
                        after: a,
                    },
                ))
            })
            .collect()
    }

    /// Checks the fields as strictly as the importer does. `before` is the
    /// asset as it is now: a position it already has is not re-checked
    /// against the coverage (imported assets may lie just outside the wards).
    pub fn validate(&self, dataset: &Dataset, before: Option<&AssetFields>) -> Result<(), Invalid> {
        let mut found: Vec<Invalid> = Vec::new();
        if let Err(e) = dataset.check_category(&self.category) {
            found.push(invalid("category", e));
        }
        found.extend(text(&self.name, "name", MAX_NAME_CHARS).err());
        if self.name.trim().is_empty() {
            found.push(invalid("name", "is required and must not be blank"));
        }
        if let Some(a) = &self.address {
            found.extend(text(a, "address", MAX_ADDRESS_CHARS).err());
        }
        if let Some(h) = &self.opening_hours {
            found.extend(text(h, "opening_hours", MAX_OPENING_HOURS_CHARS).err());
        }
        if let Some(p) = &self.postcode
            && normalise_postcode(p).is_none()
        {
            found.push(invalid(
                "postcode",
                format!("{p:?} is not a valid UK postcode"),
            ));
        }
        if let Some(p) = &self.phone {
            found.extend(check_phone(p).err());
        }
        if let Some(e) = &self.email {
            found.extend(check_email(e).err());
        }
        if let Some(w) = &self.website {
            found.extend(check_url(w).err());
        }
        if let Some(c) = self.capacity
            && !(c.is_finite() && (0.0..=MAX_CAPACITY).contains(&c))
        {
            found.push(invalid(
                "capacity",
                format!("must be a number from 0 to {MAX_CAPACITY}"),
            ));
        }
        if let Some(d) = &self.verified_at {
            found.extend(check_date(d).err());
        }
        let d = &self.details;
        for (value, field, max) in [
            (&d.organisation, "organisation", MAX_ORGANISATION_CHARS),
            (&d.description, "description", MAX_DESCRIPTION_CHARS),
            (&d.accessibility, "accessibility", MAX_ACCESSIBILITY_CHARS),
            (&d.needs, "needs", MAX_NEEDS_CHARS),
            (&d.source_modified_at, "source_modified_at", 40),
        ] {
            if let Some(v) = value {
                found.extend(text(v, field, max).err());
            }
        }
        if let Some(u) = &d.source_url
            && let Err(e) = check_url(u)
        {
            found.push(invalid("source_url", e.message));
        }
        let moved =
            before.is_none_or(|b| b.easting_m != self.easting_m || b.northing_m != self.northing_m);
        if !self.unplaced && moved {
            if !(self.easting_m.is_finite() && self.northing_m.is_finite())
                || crs::bng_to_wgs84(self.easting_m, self.northing_m).is_err()
            {
                found.push(invalid("geometry", "the point is outside Great Britain"));
            } else if dataset.ward_at(self.bng()).is_none() {
                found.push(invalid(
                    "geometry",
                    format!(
                        "the point (easting {:.0}, northing {:.0}) is outside this dataset's wards; \
                         check the coordinate order (lon, lat) and the CRS",
                        self.easting_m, self.northing_m
                    ),
                ));
            }
        }
        Invalid::all(found)
    }
}

/// A text field within `max_chars` and free of control characters (a
/// line break allowed).
pub(crate) fn text(value: &str, field: &str, max_chars: usize) -> Result<(), Invalid> {
    let n = value.chars().count();
    if n > max_chars {
        return Err(invalid(
            field,
            format!("is {n} characters; at most {max_chars} are allowed"),
        ));
    }
    if value.chars().any(|c| c.is_control() && c != '\n') {
        return Err(invalid(field, "must not contain control characters"));
    }
    Ok(())
}

pub(crate) fn check_phone(p: &str) -> Result<(), Invalid> {
    let digits = p.chars().filter(char::is_ascii_digit).count();
    let allowed = p
        .chars()
        .all(|c| c.is_ascii_digit() || " +()-.".contains(c));
    if !allowed || !(7..=15).contains(&digits) || p.len() > 30 {
        return Err(invalid(
            "phone",
            format!(
                "{p:?} is not a telephone number (7 to 15 digits, with spaces, +, (), - allowed)"
            ),
        ));
    }
    Ok(())
}

pub(crate) fn check_email(e: &str) -> Result<(), Invalid> {
    let bad = || {
        invalid(
            "email",
            format!("{e:?} is not an email address like name@example.org"),
        )
    };
    if e.len() > MAX_EMAIL_CHARS || e.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad());
    }
    let (local, domain) = e.rsplit_once('@').ok_or_else(bad)?;
    let labels_ok = domain.split('.').count() >= 2
        && domain.split('.').all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
    if local.is_empty() || local.contains('@') || !labels_ok {
        return Err(bad());
    }
    Ok(())
}

pub(crate) fn check_url(u: &str) -> Result<(), Invalid> {
    let bad = |why: &str| invalid("website", format!("{u:?} {why}"));
    if u.len() > MAX_URL_CHARS {
        return Err(bad(&format!("is longer than {MAX_URL_CHARS} characters")));
    }
    let rest = u
        .strip_prefix("https://")
        .or_else(|| u.strip_prefix("http://"))
        .ok_or_else(|| bad("must start with https:// or http://"))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    let host = host.split(':').next().unwrap_or("");
    if host.is_empty()
        || !host.contains('.')
        || u.chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>' || c == '"')
        || !host
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '.')
    {
        return Err(bad("is not a web address like https://example.org/page"));
    }
    Ok(())
}

/// Checks a calendar date written YYYY-MM-DD.
pub fn check_date(d: &str) -> Result<(), Invalid> {
    let bad = || {
        invalid(
            "verified_at",
            format!("{d:?} is not a date written YYYY-MM-DD"),
        )
    };
    let parts: Vec<&str> = d.split('-').collect();
    if parts.len() != 3 || parts[0].len() != 4 || parts[1].len() != 2 || parts[2].len() != 2 {
        return Err(bad());
    }
    let num = |s: &str| s.parse::<u32>().map_err(|_| bad());
    let (y, m, day) = (num(parts[0])?, num(parts[1])?, num(parts[2])?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Err(bad()),
    };
    if !(1900..=9999).contains(&y) || day == 0 || day > days {
        return Err(bad());
    }
    if d > super::time::today().as_str() {
        return Err(invalid("verified_at", format!("{d} is in the future")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_checked_and_name_the_field() {
        assert!(check_phone("020 7946 0000").is_ok());
        assert!(check_phone("+44 (0)20 7946-0000").is_ok());
        assert_eq!(check_phone("call us").unwrap_err().field, "phone");
        assert!(check_phone("123").is_err());
        assert!(check_email("help@example.org").is_ok());
        assert!(check_email("help@localhost").is_err());
        assert!(check_email("a b@example.org").is_err());
        assert!(check_url("https://example.org/a?b=c").is_ok());
        assert!(check_url("javascript:alert(1)").is_err());
        assert!(check_url("https://exa mple.org").is_err());
        assert!(check_url("https://").is_err());
        assert!(check_date("2024-02-29").is_ok());
        assert!(check_date("2023-02-29").is_err());
        assert!(check_date("2024-1-01").is_err());
        assert_eq!(
            check_date("9999-01-01").unwrap_err().message,
            "9999-01-01 is in the future"
        );
    }

    #[test]
    fn a_diff_lists_only_changed_fields() {
        let mut a = AssetFields {
            category: "gp".into(),
            name: "A".into(),
            address: None,
            postcode: None,
            phone: None,
            email: None,
            website: None,
            opening_hours: None,
            hours: None,
            capacity: None,
            easting_m: 1.0,
            northing_m: 2.0,
            status: AssetStatus::Active,
            verified_at: None,
            details: Details::default(),
            unplaced: false,
            sensitive: false,
        };
        let before = a.clone();
        a.name = "B".into();
        a.status = AssetStatus::Retired;
        let d = a.diff(Some(&before));
        assert_eq!(d.keys().collect::<Vec<_>>(), ["name", "status"]);
        assert_eq!(d["status"].before, "active");
        assert_eq!(d["status"].after, "retired");
        assert_eq!(
            a.diff(None).keys().collect::<Vec<_>>(),
            ["category", "easting_m", "name", "northing_m", "status"]
        );
    }
}

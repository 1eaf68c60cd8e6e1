//! The Give Food dump (`dumps/foodbanks.json`) as an asset source: one row
//! per food bank organisation and one per location where it hands out food,
//! with the position as one `"lat,lng"` string.
//!
//! A food bank with locations is mapped at its locations (its own address
//! is usually an office or warehouse, and counting both would count it
//! twice); one without is mapped at its own address. Each entry carries the
//! food bank's current needs exactly as Give Food publishes them, credited
//! and linked, as Give Food's terms ask.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::assets::category_id;
use super::manifest::AssetSource;
use super::oruk::{Placed, Placing};
use super::report::{Severity, SourceReport};
use super::text::{clean_email, clean_url, json_text, tidy};
use super::{Ctx, Problem};
use crate::catalog::fields::{MAX_NEEDS_CHARS, check_email, check_phone};
use crate::model::{Asset, Details, normalise_postcode};

/// Where Give Food's page for a food bank (or one of its locations) is.
pub fn page_url(organisation_slug: &str, location_slug: Option<&str>) -> String {
    match location_slug {
        Some(l) => format!("https://www.givefood.org.uk/needs/at/{organisation_slug}/{l}/"),
        None => format!("https://www.givefood.org.uk/needs/at/{organisation_slug}/"),
    }
}

/// The credit Give Food's terms ask for, shown beside every needs list.
pub const CREDIT: &str = "Needs list from Give Food (givefood.org.uk), CC BY 4.0";

fn text(row: &Value, key: &str) -> Option<String> {
    json_text(row.get(key))
}

/// Reads `"51.7367226,-0.165464"` as (longitude, latitude).
pub fn lat_lng(text: &str) -> Result<(f64, f64), String> {
    let (lat, lng) = text
        .split_once(',')
        .ok_or_else(|| format!("lat_lng {text:?} is not \"latitude,longitude\""))?;
    let lat: f64 = lat
        .trim()
        .parse()
        .map_err(|_| format!("lat_lng {text:?}: the latitude is not a number"))?;
    let lng: f64 = lng
        .trim()
        .parse()
        .map_err(|_| format!("lat_lng {text:?}: the longitude is not a number"))?;
    if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lng) {
        return Err(format!("lat_lng {text:?} is not a position on Earth"));
    }
    Ok((lng, lat))
}

/// Loads a Give Food source.
pub(crate) fn load(
    ctx: &mut Ctx,
    source: &AssetSource,
    placing: &Placing,
    assets: &mut Vec<Asset>,
    by_id: &mut HashMap<String, usize>,
) -> Result<(), Problem> {
    let bytes = ctx.read(&source.path)?;
    let fatal = |message: String| Problem {
        severity: Severity::Fatal,
        file: source.path.clone(),
        location: None,
        message,
    };
    let doc: Value = serde_json::from_slice(&bytes).map_err(|e| fatal(format!("not JSON: {e}")))?;
    drop(bytes);
    let rows = match doc {
        Value::Array(rows) => rows,
        _ => {
            return Err(fatal(
                "not the Give Food dump: expected an array of rows".into(),
            ));
        }
    };
    let category = category_id(source.category.as_deref().unwrap_or("food_bank"));
    let prefix = source
        .id_prefix
        .clone()
        .unwrap_or_else(|| format!("{}:", source.source));
    let mut report = SourceReport {
        name: source.source.clone(),
        layer: "assets".into(),
        path: source.path.clone(),
        ..Default::default()
    };
    // Organisations that have locations, and each organisation's row.
    let with_locations: HashSet<String> = rows
        .iter()
        .filter(|r| text(r, "location_name").is_some())
        .filter_map(|r| text(r, "organisation_slug"))
        .collect();
    let organisations: HashMap<String, &Value> = rows
        .iter()
        .filter(|r| text(r, "location_name").is_none())
        .filter_map(|r| text(r, "organisation_slug").map(|s| (s, r)))
        .collect();
    for (i, row) in rows.iter().enumerate() {
        report.read += 1;
        let org_slug = text(row, "organisation_slug");
        let loc_slug = text(row, "location_slug");
        let location_name = text(row, "location_name");
        let label = format!(
            "row {} ({})",
            i + 1,
            [org_slug.as_deref(), loc_slug.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join("/")
        );
        let Some(org_slug) = org_slug else {
            ctx.skip(
                &mut report,
                label,
                "missing organisation_slug",
                "field organisation_slug: missing (required)".into(),
            );
            continue;
        };
        let Some(org_name) = text(row, "organisation_name") else {
            ctx.skip(
                &mut report,
                label,
                "missing name",
                "field organisation_name: missing (required)".into(),
            );
            continue;
        };
        if location_name.is_none() && with_locations.contains(&org_slug) {
            report.filtered += 1;
            continue; // mapped at its locations
        }
        if row.get("closed").and_then(Value::as_bool) == Some(true) {
            ctx.skip(
                &mut report,
                label,
                "closed",
                "the food bank is marked closed".into(),
            );
            continue;
        }
        let Some(position) = text(row, "lat_lng") else {
            ctx.skip(
                &mut report,
                label,
                "missing coordinates",
                "field lat_lng: missing".into(),
            );
            continue;
        };
        let (lon, lat) = match lat_lng(&position) {
            Ok(p) => p,
            Err(e) => {
                ctx.skip(&mut report, label, "invalid coordinates", e);
                continue;
            }
        };
        let (bng, lonlat) = match placing.place(lon, lat) {
            Placed::Inside(b, l) => (b, l),
            Placed::Outside(_) | Placed::OffGrid => {
                ctx.skip(
                    &mut report,
                    label,
                    "outside coverage",
                    format!("lat_lng {position} is outside the coverage"),
                );
                continue;
            }
        };
        let organisation = organisations.get(&org_slug).copied().unwrap_or(row);
        let (id, name, page) = match &location_name {
            Some(l) => (
                format!(
                    "{prefix}{org_slug}/{}",
                    loc_slug.clone().unwrap_or_else(|| format!("{}", i + 1))
                ),
                format!("{org_name} – {l}"),
                page_url(&org_slug, loc_slug.as_deref()),
            ),
            None => (
                format!("{prefix}{org_slug}"),
                org_name.clone(),
                page_url(&org_slug, None),
            ),
        };
        if by_id.contains_key(&id) {
            ctx.skip(
                &mut report,
                label,
                "duplicate id",
                format!("duplicate id {id}; this row is left out"),
            );
            continue;
        }
        let mut warnings = Vec::new();
        let mut a = Asset::new(
            id,
            category.clone(),
            name,
            source.source.clone(),
            bng,
            lonlat,
        );
        a.address = text(row, "address").map(|t| tidy(&t).replace('\n', ", "));
        a.postcode = text(row, "postcode").and_then(|p| normalise_postcode(&p));
        if let Some((pc, Some(pc_at))) = a.postcode.as_deref().and_then(|p| placing.postcode(p)) {
            let d = ((pc_at.x - bng.x).powi(2) + (pc_at.y - bng.y).powi(2)).sqrt();
            if d > super::oruk::POSTCODE_DISAGREES_M {
                warnings.push(format!(
                    "postcode {pc} is {:.1} km from lat_lng {position}; lat_lng is used",
                    d / 1000.0
                ));
            }
        }
        let phone = text(row, "phone_number").or_else(|| text(organisation, "phone_number"));
        a.phone = phone.and_then(|p| match check_phone(&p) {
            Ok(()) => Some(p),
            Err(_) => {
                warnings.push(format!(
                    "phone_number {p:?} is not a telephone number; left out"
                ));
                None
            }
        });
        a.email = text(row, "email")
            .or_else(|| text(organisation, "email"))
            .and_then(|e| clean_email(&e))
            .and_then(|(e, _)| match check_email(&e) {
                Ok(()) => Some(e),
                Err(_) => {
                    warnings.push(format!("email {e:?} is not an e-mail address; left out"));
                    None
                }
            });
        a.website = text(organisation, "url")
            .and_then(|u| clean_url(&u))
            .map(|(u, _)| u);
        let needs = text(row, "needed_items").or_else(|| text(organisation, "needed_items"));
        let needs = needs.filter(|n| {
            let fits = n.chars().count() <= MAX_NEEDS_CHARS;
            if !fits {
                warnings.push(format!(
                    "needed_items is longer than {MAX_NEEDS_CHARS} characters; not shown (it may not be shortened)"
                ));
            }
            fits
        });
        a.details = Details {
            organisation: location_name.as_ref().map(|_| org_name.clone()),
            description: text(organisation, "network").map(|n| format!("Food bank network: {n}")),
            accessibility: None,
            source_url: Some(page),
            source_modified_at: text(row, "modified"),
            needs,
        };
        a.verified_at = text(row, "need_found")
            .or_else(|| text(organisation, "need_found"))
            .and_then(|d| d.get(..10).map(str::to_string))
            .filter(|d| crate::catalog::fields::check_date(d).is_ok());
        for w in warnings {
            ctx.problem(Severity::Warning, &source.path, Some(label.clone()), w);
        }
        report.loaded += 1;
        report.placed += 1;
        by_id.insert(a.id.clone(), assets.len());
        assets.push(a);
    }
    if report.filtered > 0 {
        report.notes.push(format!(
            "{} food banks with locations are mapped at their locations, not also at their own address (counted as filtered)",
            report.filtered
        ));
    }
    ctx.finish(report, Some("Give Food".into()));
    Ok(())
}

//! Contributions: residents and community groups suggest a place, report a
//! change or a closure; an officer approves (perhaps after editing),
//! declines with a reason, or merges a duplicate into an existing asset.
//!
//! A contribution is stored (durably) before it is acknowledged, and nothing
//! in it is public until it is approved: an approval goes through the
//! catalog like any edit, in the same transaction as the contribution's new
//! status, and the revision it makes names the contribution. The
//! contributor's e-mail address, when given, is kept with the contribution
//! and never shown or exported.

use serde::{Deserialize, Serialize};

use super::fields::{
    AssetFields, Invalid, MAX_ADDRESS_CHARS, MAX_NAME_CHARS, MAX_OPENING_HOURS_CHARS, check_email,
    invalid as problem, text,
};
use super::store::ContributionRow;
use super::{Catalog, CatalogError, Edit, auth, time};
use crate::model::{AssetStatus, Dataset, Details};

/// Longest note, characters.
pub const MAX_NOTE_CHARS: usize = 2_000;
/// Longest "other" category description, characters.
pub const MAX_OTHER_CHARS: usize = 100;
/// Most web links in a contribution's text (name, note, other category).
pub const MAX_LINKS: usize = 2;
/// How near an existing asset of the same category a new place must be, with
/// a similar name, to be flagged as a possible duplicate.
pub const DUPLICATE_RADIUS_M: f64 = 250.0;
/// How long a contributor's e-mail address is kept after the contribution
/// is decided, days (the privacy notice says so).
pub const CONTACT_RETENTION_DAYS: u32 = 180;
/// Category id of places whose kind the contributor described in words.
pub const OTHER: &str = "other";

/// What a contribution asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A place the map does not have.
    New,
    /// A correction to a place it has (moved, new hours, wrong phone...).
    Change,
    /// A place that has closed.
    Closure,
}

/// Where a contribution stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Waiting for an officer.
    Pending,
    /// Applied as it was sent.
    Approved,
    /// Applied after an officer's edits.
    ChangedAndApproved,
    /// Not applied, with a reason.
    Declined,
    /// A duplicate, merged into an existing asset.
    Merged,
}

impl Status {
    /// As stored and served.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Approved => "approved",
            Status::ChangedAndApproved => "changed_and_approved",
            Status::Declined => "declined",
            Status::Merged => "merged",
        }
    }

    /// Parses a status.
    pub fn parse(text: &str) -> Option<Status> {
        [
            Status::Pending,
            Status::Approved,
            Status::ChangedAndApproved,
            Status::Declined,
            Status::Merged,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }

    /// In words, for the contributor's status page.
    pub fn words(self) -> &'static str {
        match self {
            Status::Pending => "Received: an officer will check it soon",
            Status::Approved => "Approved: it is on the map",
            Status::ChangedAndApproved => "Approved with changes: it is on the map",
            Status::Declined => "Declined",
            Status::Merged => "Merged into a place the map already had",
        }
    }
}

/// The place as the contributor describes it (every field optional: a
/// change names only what changed).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Proposal {
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A known category id, or [`OTHER`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// With [`OTHER`]: what kind of place it is, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other_category: Option<String>,
    /// British National Grid easting, metres.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub easting_m: Option<f64>,
    /// British National Grid northing, metres.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub northing_m: Option<f64>,
    /// Postcode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postcode: Option<String>,
    /// Address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// The place's public telephone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// The place's public e-mail address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Web site.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub website: Option<String>,
    /// Opening hours, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opening_hours: Option<String>,
    /// Anything else the officer should know.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Open again, or closed for now (a change); closed for now rather than
    /// for good (a closure). A closure without it is for good.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<AssetStatus>,
}

/// A contribution, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contribution {
    /// Its reference, given to the contributor.
    pub reference: String,
    /// New, change or closure.
    pub kind: Kind,
    /// The asset a change or closure is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asset_id: Option<String>,
    /// What it says.
    pub proposal: Proposal,
    /// The contributor's e-mail address: private, never shown or exported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_email: Option<String>,
    /// Where it stands.
    pub status: Status,
    /// When it was received (RFC 3339).
    pub received_at: String,
    /// When it was decided.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<String>,
    /// Who decided it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<String>,
    /// Why (a decline's reason; a note on an approval).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The asset it created, changed, closed or was merged into.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_asset_id: Option<String>,
    /// Existing assets of the same category nearby with a similar name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub possible_duplicates: Vec<String>,
}

impl Contribution {
    /// The day it was received (YYYY-MM-DD).
    pub fn received_on(&self) -> &str {
        self.received_at.get(..10).unwrap_or(&self.received_at)
    }
}

/// An officer's decision.
#[derive(Debug, Clone)]
pub enum Decision {
    /// Apply it, with the officer's edits over the contributor's values.
    Approve {
        /// Fields the officer changed.
        edits: Proposal,
        /// A note for the history.
        reason: Option<String>,
    },
    /// Do not apply it.
    Decline {
        /// Why, shown to the contributor.
        reason: String,
    },
    /// A duplicate: the place exists as `into`; the officer's edits (if
    /// any) are applied to it.
    Merge {
        /// The existing asset.
        into: String,
        /// Fields to change on it.
        edits: Proposal,
        /// A note for the history.
        reason: Option<String>,
    },
}

fn invalid(field: &str, message: impl Into<String>) -> CatalogError {
    CatalogError::Invalid(problem(field, message))
}

fn bounded(value: &Option<String>, field: &str, max: usize) -> Result<(), Invalid> {
    value.as_deref().map_or(Ok(()), |v| text(v, field, max))
}

/// How many web links a text holds.
pub fn links(text: &str) -> usize {
    let lower = text.to_lowercase();
    lower.matches("http://").count()
        + lower.matches("https://").count()
        + lower
            .split_whitespace()
            .filter(|w| w.starts_with("www."))
            .count()
}

/// Words of a name, for comparing names: lower case, letters and digits,
/// without the words every place has.
fn words(name: &str) -> Vec<String> {
    const COMMON: [&str; 8] = ["the", "of", "and", "at", "a", "centre", "center", "st"];
    name.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && !COMMON.contains(w))
        .map(str::to_string)
        .collect()
}

/// Whether two names are alike: one holds the other's words, or they share
/// at least half of their words.
pub fn similar_names(a: &str, b: &str) -> bool {
    let (wa, wb) = (words(a), words(b));
    if wa.is_empty() || wb.is_empty() {
        return false;
    }
    let shared = wa.iter().filter(|w| wb.contains(w)).count();
    shared * 2 >= wa.len().max(wb.len()) || shared == wa.len().min(wb.len())
}

impl Proposal {
    /// Trims every text, and drops empty ones.
    fn tidy(mut self) -> Proposal {
        for v in [
            &mut self.name,
            &mut self.category,
            &mut self.other_category,
            &mut self.postcode,
            &mut self.address,
            &mut self.phone,
            &mut self.email,
            &mut self.website,
            &mut self.opening_hours,
            &mut self.note,
        ] {
            *v = v
                .take()
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty());
        }
        self
    }

    /// Checks lengths, formats and links (not yet against an asset).
    fn check(&self) -> Result<(), Invalid> {
        let mut found: Vec<Invalid> = [
            bounded(&self.name, "name", MAX_NAME_CHARS),
            bounded(&self.other_category, "other_category", MAX_OTHER_CHARS),
            bounded(&self.address, "address", MAX_ADDRESS_CHARS),
            bounded(
                &self.opening_hours,
                "opening_hours",
                MAX_OPENING_HOURS_CHARS,
            ),
            bounded(&self.note, "note", MAX_NOTE_CHARS),
            bounded(&self.category, "category", 64),
            bounded(&self.postcode, "postcode", 16),
        ]
        .into_iter()
        .filter_map(Result::err)
        .collect();
        let text: String = [&self.name, &self.other_category, &self.note, &self.address]
            .into_iter()
            .flatten()
            .cloned()
            .collect::<Vec<_>>()
            .join(" ");
        let n = links(&text);
        if n > MAX_LINKS {
            found.push(problem(
                "note",
                format!(
                    "holds {n} web links; at most {MAX_LINKS} are allowed (give the place's own site as website)"
                ),
            ));
        }
        if self.easting_m.is_some() != self.northing_m.is_some() {
            found.push(problem("location", "give both coordinates, or a postcode"));
        }
        Invalid::all(found)
    }

    /// These fields over `base`: what the asset becomes.
    fn over(&self, base: &AssetFields) -> AssetFields {
        let mut f = base.clone();
        let pick = |new: &Option<String>, old: &mut Option<String>| {
            if new.is_some() {
                old.clone_from(new);
            }
        };
        if let Some(n) = &self.name {
            f.name.clone_from(n);
        }
        if let Some(c) = &self.category {
            f.category.clone_from(c);
        }
        if let (Some(e), Some(n)) = (self.easting_m, self.northing_m) {
            f.easting_m = e;
            f.northing_m = n;
            f.unplaced = false;
        }
        pick(&self.postcode, &mut f.postcode);
        pick(&self.address, &mut f.address);
        pick(&self.phone, &mut f.phone);
        pick(&self.email, &mut f.email);
        pick(&self.website, &mut f.website);
        if self.opening_hours.is_some() && self.opening_hours != f.opening_hours {
            pick(&self.opening_hours, &mut f.opening_hours);
            f.hours = self
                .opening_hours
                .as_deref()
                .and_then(|t| crate::hours::parse::osm(t).ok());
        }
        if let Some(s) = self.status {
            f.status = s;
        }
        f
    }

    /// Whether it names any field.
    fn is_empty(&self) -> bool {
        *self == Proposal::default()
    }
}

/// Turns a stored row into a contribution.
fn from_row(row: &ContributionRow) -> Result<Contribution, CatalogError> {
    serde_json::from_str(&row.body).map_err(|e| {
        CatalogError::Store(super::StoreError::Database(format!(
            "contribution {}: unreadable: {e}",
            row.reference
        )))
    })
}

fn to_row(c: &Contribution, expected: Option<Status>) -> Result<ContributionRow, CatalogError> {
    let body = serde_json::to_string(c)
        .map_err(|e| CatalogError::Store(super::StoreError::Database(e.to_string())))?;
    Ok(ContributionRow {
        reference: c.reference.clone(),
        status: c.status.as_str().into(),
        created_at: c.received_at.clone(),
        updated_at: c
            .decided_at
            .clone()
            .unwrap_or_else(|| c.received_at.clone()),
        body,
        expected_status: expected.map(|s| s.as_str().to_string()),
    })
}

/// A new reference: 12 hexadecimal digits in three groups, `C3F9-1A7E-0B42`.
fn new_reference() -> String {
    let hex = auth::random_hex(6).to_uppercase();
    format!("C{}-{}-{}", &hex[..4], &hex[4..8], &hex[8..])
}

/// Whether text is a reference's shape (checked before any lookup).
pub fn is_reference(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 15
        && b[0] == b'C'
        && b[5] == b'-'
        && b[10] == b'-'
        && text.chars().enumerate().all(|(i, c)| {
            i == 0 || i == 5 || i == 10 || c.is_ascii_hexdigit() && !c.is_ascii_lowercase()
        })
}

impl Catalog {
    /// Receives a contribution: checks it as strictly as an officer's edit
    /// would be checked, flags possible duplicates, and stores it (durable
    /// when this returns). Returns it with its reference.
    pub fn contribute(
        &self,
        kind: Kind,
        asset_id: Option<String>,
        proposal: Proposal,
        contact_email: Option<String>,
    ) -> Result<Contribution, CatalogError> {
        let proposal = proposal.tidy();
        // Every problem at once, one per field, so a resident corrects
        // the form in one go.
        let mut found: Vec<Invalid> = proposal.check().err().into_iter().collect();
        let contact_email = contact_email
            .map(|e| e.trim().to_string())
            .filter(|e| !e.is_empty());
        if let Some(e) = &contact_email
            && let Err(mut i) = check_email(e)
        {
            i.field = "contact_email".into();
            found.push(i);
        }
        match (kind, proposal.status) {
            (Kind::New, Some(s)) if s != AssetStatus::Active => found.push(problem(
                "status",
                "a new place is suggested as open; say in the note if it is closed for now",
            )),
            (Kind::Change, Some(AssetStatus::Retired)) => found.push(problem(
                "status",
                "to say a place has closed for good, report a closure",
            )),
            (Kind::Closure, Some(AssetStatus::Active)) => found.push(problem(
                "status",
                "a closure is temporarily_closed or retired (for good); to say it is open again, report a change",
            )),
            _ => {}
        }
        let d = self.snapshot();
        let mut possible_duplicates = Vec::new();
        match kind {
            Kind::New => {
                if asset_id.is_some() {
                    found.push(problem("asset_id", "a new place has no asset id"));
                }
                // The rest of the fields are checked even when the name,
                // kind or location is missing (the first problem per field
                // is the one named).
                let (fields, missing) = draft_fields(&d, &proposal);
                let complete = missing.is_empty();
                found.extend(missing);
                let mut checked = fields.clone();
                if checked.category == OTHER {
                    // Any real category: "other" is given one on approval.
                    if let Some(c) = d.info.category_labels.keys().next() {
                        checked.category.clone_from(c);
                    }
                }
                found.extend(checked.validate(&d, None).err());
                if complete {
                    for hit in d.asset_index.within(
                        fields.bng(),
                        DUPLICATE_RADIUS_M,
                        std::slice::from_ref(&fields.category),
                    ) {
                        let a = &d.assets[hit.asset];
                        if similar_names(&a.name, &fields.name) {
                            possible_duplicates.push(a.id.clone());
                        }
                    }
                }
            }
            Kind::Change | Kind::Closure => {
                let row = match asset_id.as_deref() {
                    None => {
                        found.push(problem("asset_id", "name the place this is about"));
                        None
                    }
                    Some(id) => {
                        let row = self
                            .row(id)
                            .filter(|r| r.fields.status != AssetStatus::Retired);
                        if row.is_none() {
                            found.push(problem("asset_id", format!("no place {id:?} on the map")));
                        }
                        row
                    }
                };
                if kind == Kind::Change {
                    if proposal.is_empty() {
                        found.push(problem(
                            "note",
                            "say what is wrong, or give the right values",
                        ));
                    } else if let Some(row) = row {
                        let mut p = proposal.clone();
                        if p.category.as_deref() == Some(OTHER) {
                            p.category = None;
                        }
                        found.extend(p.over(&row.fields).validate(&d, Some(&row.fields)).err());
                    }
                }
            }
        }
        Invalid::all(found)?;
        let c = Contribution {
            reference: new_reference(),
            kind,
            asset_id,
            proposal,
            contact_email,
            status: Status::Pending,
            received_at: time::now(),
            decided_at: None,
            decided_by: None,
            reason: None,
            result_asset_id: None,
            possible_duplicates,
        };
        self.commit_with(&[], Some(&to_row(&c, None)?))?;
        Ok(c)
    }

    /// A contribution by reference.
    pub fn contribution(&self, reference: &str) -> Result<Option<Contribution>, CatalogError> {
        let row = self.with_store(|s| s.contribution(reference))?;
        row.as_ref().map(from_row).transpose()
    }

    /// Contributions with a status (all when `None`), oldest first.
    pub fn contributions(
        &self,
        status: Option<Status>,
        limit: usize,
    ) -> Result<Vec<Contribution>, CatalogError> {
        let rows = self.with_store(|s| s.contributions(status.map(Status::as_str), limit))?;
        rows.iter().map(from_row).collect()
    }

    /// Applies an officer's decision: the asset's change (if any) and the
    /// contribution's new status in one transaction. 409 (`NoChange`) when
    /// someone decided it first.
    pub fn decide(
        &self,
        reference: &str,
        decision: Decision,
        actor: &str,
    ) -> Result<Contribution, CatalogError> {
        let mut c = self
            .contribution(reference)?
            .ok_or_else(|| CatalogError::NotFound(format!("contribution {reference}")))?;
        if c.status != Status::Pending {
            return Err(CatalogError::NoChange(format!(
                "contribution {reference} is {} already",
                c.status.as_str().replace('_', " ")
            )));
        }
        let why = |what: &str, note: &Option<String>| {
            let mut r = format!("contribution {reference}: {what}");
            if let Some(n) = note {
                r.push_str(&format!(" ({n})"));
            }
            r
        };
        let d = self.snapshot();
        let mut writes = Vec::new();
        match decision {
            Decision::Decline { reason } => {
                let reason = reason.trim().to_string();
                if reason.is_empty() {
                    return Err(invalid("reason", "say why, for the contributor"));
                }
                bounded(&Some(reason.clone()), "reason", MAX_NOTE_CHARS)?;
                c.status = Status::Declined;
                c.reason = Some(reason);
            }
            Decision::Approve { edits, reason } => {
                let edits = edits.tidy();
                edits.check()?;
                bounded(&reason, "reason", MAX_NOTE_CHARS)?;
                let changed = !edits.is_empty();
                let write = match c.kind {
                    Kind::New => {
                        let mut merged = c.proposal.clone();
                        merge_into(&mut merged, &edits);
                        let fields = new_fields(&d, &merged)?;
                        if fields.category == OTHER {
                            return Err(invalid(
                                "category",
                                format!(
                                    "choose a category for this place (the contributor said {:?})",
                                    c.proposal.other_category.as_deref().unwrap_or("other")
                                ),
                            ));
                        }
                        self.write_for(
                            Edit::Create { fields },
                            actor,
                            Some(&why(
                                &format!(
                                    "suggested by a resident on {}, approved",
                                    c.received_on()
                                ),
                                &reason,
                            )),
                        )?
                    }
                    Kind::Change => {
                        let id = c.asset_id.clone().unwrap_or_default();
                        let row = self
                            .row(&id)
                            .ok_or_else(|| CatalogError::NotFound(id.clone()))?;
                        let mut merged = c.proposal.clone();
                        if merged.category.as_deref() == Some(OTHER) {
                            merged.category = None;
                        }
                        merge_into(&mut merged, &edits);
                        self.write_for(
                            Edit::Replace {
                                id,
                                expected_revision: row.revision,
                                fields: merged.over(&row.fields),
                            },
                            actor,
                            Some(&why(
                                &format!(
                                    "a change reported by a resident on {}, approved",
                                    c.received_on()
                                ),
                                &reason,
                            )),
                        )?
                    }
                    Kind::Closure => {
                        let id = c.asset_id.clone().unwrap_or_default();
                        let row = self
                            .row(&id)
                            .ok_or_else(|| CatalogError::NotFound(id.clone()))?;
                        let mut merged = c.proposal.clone();
                        merge_into(&mut merged, &edits);
                        let why = why(
                            &format!(
                                "a closure reported by a resident on {}, approved",
                                c.received_on()
                            ),
                            &reason,
                        );
                        if merged.status == Some(AssetStatus::TemporarilyClosed) {
                            // Closed for now: still on the map, marked so.
                            let mut fields = row.fields.clone();
                            fields.status = AssetStatus::TemporarilyClosed;
                            self.write_for(
                                Edit::Replace {
                                    id,
                                    expected_revision: row.revision,
                                    fields,
                                },
                                actor,
                                Some(&why),
                            )?
                        } else {
                            self.write_for(
                                Edit::Retire {
                                    id,
                                    expected_revision: row.revision,
                                },
                                actor,
                                Some(&why),
                            )?
                        }
                    }
                };
                c.result_asset_id = Some(write.asset.id.clone());
                c.status = if changed {
                    Status::ChangedAndApproved
                } else {
                    Status::Approved
                };
                c.reason = reason;
                writes.push(write);
            }
            Decision::Merge {
                into,
                edits,
                reason,
            } => {
                let edits = edits.tidy();
                edits.check()?;
                let row = self
                    .row(&into)
                    .filter(|r| r.fields.status != AssetStatus::Retired)
                    .ok_or_else(|| invalid("into", format!("no place {into:?} on the map")))?;
                if !edits.is_empty() {
                    writes.push(self.write_for(
                        Edit::Replace {
                            id: into.clone(),
                            expected_revision: row.revision,
                            fields: edits.over(&row.fields),
                        },
                        actor,
                        Some(&why("merged as a duplicate", &reason)),
                    )?);
                }
                c.result_asset_id = Some(into);
                c.status = Status::Merged;
                c.reason = reason;
            }
        }
        c.decided_at = Some(time::now());
        c.decided_by = Some(actor.to_string());
        self.commit_with(&writes, Some(&to_row(&c, Some(Status::Pending))?))?;
        Ok(c)
    }
}

/// The officer's edits over the contributor's values.
fn merge_into(base: &mut Proposal, edits: &Proposal) {
    let fields: [(&mut Option<String>, &Option<String>); 10] = [
        (&mut base.name, &edits.name),
        (&mut base.category, &edits.category),
        (&mut base.other_category, &edits.other_category),
        (&mut base.postcode, &edits.postcode),
        (&mut base.address, &edits.address),
        (&mut base.phone, &edits.phone),
        (&mut base.email, &edits.email),
        (&mut base.website, &edits.website),
        (&mut base.opening_hours, &edits.opening_hours),
        (&mut base.note, &edits.note),
    ];
    for (b, e) in fields {
        if e.is_some() {
            b.clone_from(e);
        }
    }
    if edits.status.is_some() {
        base.status = edits.status;
    }
    if edits.easting_m.is_some() {
        base.easting_m = edits.easting_m;
        base.northing_m = edits.northing_m;
    }
}

/// A new place's fields: a name, a category, and a position from the
/// coordinates or the postcode.
/// The new place a proposal describes: its fields, or what is missing.
fn new_fields(d: &Dataset, p: &Proposal) -> Result<AssetFields, CatalogError> {
    let (fields, missing) = draft_fields(d, p);
    Invalid::all(missing)?;
    Ok(fields)
}

/// The new place's fields as far as the proposal gives them, and what is
/// missing or wrong in the name, kind and location. A place with no
/// location is drafted unplaced, so its other fields can still be checked.
fn draft_fields(d: &Dataset, p: &Proposal) -> (AssetFields, Vec<Invalid>) {
    let mut found = Vec::new();
    if p.name.is_none() {
        found.push(problem("name", "is required: what is the place called?"));
    }
    match p.category.as_deref() {
        None => found.push(problem(
            "category",
            "is required: choose a kind of place, or other",
        )),
        Some(OTHER) if p.other_category.is_none() => found.push(problem(
            "other_category",
            "say what kind of place it is (for example: lunch club)",
        )),
        Some(OTHER) => {}
        Some(c) => found.extend(d.check_category(c).err().map(|e| problem("category", e))),
    }
    let at = match (p.easting_m, p.northing_m, &p.postcode) {
        (Some(e), Some(n), _) => Some((e, n)),
        (_, _, Some(pc)) => match crate::model::normalise_postcode(pc) {
            None => {
                found.push(problem("postcode", format!("{pc:?} is not a UK postcode")));
                None
            }
            Some(normal) => match d.postcodes.get(&normal) {
                Some(at) => Some((at.x, at.y)),
                None => {
                    found.push(problem(
                        "postcode",
                        format!(
                            "{normal} is not in this area; check it, or put the place on the map"
                        ),
                    ));
                    None
                }
            },
        },
        _ => {
            found.push(problem(
                "location",
                "give a postcode, or put the place on the map",
            ));
            None
        }
    };
    let category = p.category.clone().unwrap_or_default();
    let (easting_m, northing_m) = at.unwrap_or((0.0, 0.0));
    let mut f = AssetFields {
        category: category.clone(),
        name: p.name.clone().unwrap_or_default(),
        address: p.address.clone(),
        postcode: p
            .postcode
            .as_deref()
            .and_then(crate::model::normalise_postcode),
        phone: p.phone.clone(),
        email: p.email.clone(),
        website: p.website.clone(),
        opening_hours: p.opening_hours.clone(),
        hours: p
            .opening_hours
            .as_deref()
            .and_then(|t| crate::hours::parse::osm(t).ok()),
        capacity: None,
        easting_m,
        northing_m,
        status: AssetStatus::Active,
        verified_at: Some(time::today()),
        details: Details::default(),
        unplaced: at.is_none(),
        sensitive: false,
    };
    if category == OTHER {
        // Checked against a real category only when an officer approves it.
        f.category = OTHER.into();
    }
    (f, found)
}

/// Deletes the e-mail addresses of contributions decided more than `days`
/// days ago; returns how many were deleted.
pub fn forget_contact_emails(
    store: &mut dyn super::Store,
    days: u32,
) -> Result<usize, super::StoreError> {
    let cutoff = time::rfc3339(
        std::time::SystemTime::now() - std::time::Duration::from_secs(u64::from(days) * 86_400),
    );
    let mut n = 0;
    for row in store.contributions(None, usize::MAX)? {
        let Ok(mut c) = serde_json::from_str::<Contribution>(&row.body) else {
            continue;
        };
        let old = c.decided_at.as_deref().is_some_and(|d| d < cutoff.as_str());
        if !old || c.contact_email.is_none() {
            continue;
        }
        c.contact_email = None;
        let body =
            serde_json::to_string(&c).map_err(|e| super::StoreError::Database(e.to_string()))?;
        store.commit_with(
            &[],
            Some(&ContributionRow {
                body,
                expected_status: Some(row.status.clone()),
                ..row
            }),
        )?;
        n += 1;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_compared_by_their_words() {
        assert!(similar_names("St Mark's Food Bank", "St Marks food bank"));
        assert!(similar_names(
            "Harbour Food Club",
            "The Harbour Food Club (Tuesdays)"
        ));
        assert!(!similar_names("Harbour Food Club", "Beacon Youth Club"));
        assert!(!similar_names("", "Anything"));
    }

    #[test]
    fn links_and_references_are_recognised() {
        assert_eq!(links("see https://a.org and http://b.org or www.c.org"), 3);
        assert_eq!(links("no links here"), 0);
        let r = new_reference();
        assert!(is_reference(&r), "{r}");
        assert!(!is_reference("C0000-0000-000"));
        assert!(!is_reference("c0000-0000-0000"));
        assert!(!is_reference("../etc/passwd.."));
    }
}

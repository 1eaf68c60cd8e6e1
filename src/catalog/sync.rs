//! Import as a sync: the official sources, as read from the manifest,
//! compared with the store. New rows are added, changed rows updated, rows
//! gone from their source retired (never deleted). A local edit to an
//! imported asset is kept until the source changes that same field; then the
//! source wins and the conflict is reported.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;
use serde_json::Value;

use super::fields::AssetFields;
use super::store::{Action, Revision, StoredAsset, Write};
use super::{Catalog, CatalogError, time};
use crate::model::{Asset, AssetStatus};

/// A local edit that a source change replaced.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conflict {
    /// The asset.
    pub id: String,
    /// The field.
    pub field: String,
    /// The local value that was replaced.
    pub local: Value,
    /// The source's value at the previous sync.
    pub source_before: Value,
    /// The source's value now, which the asset takes.
    pub source_now: Value,
}

/// What a sync did, for the import report.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SyncReport {
    /// The sources compared.
    pub sources: Vec<String>,
    /// Assets new in a source, added.
    pub created: Vec<String>,
    /// Assets whose source changed them, updated.
    pub updated: Vec<String>,
    /// Assets gone from their source, retired.
    pub retired: Vec<String>,
    /// Assets back in their source, restored.
    pub restored: Vec<String>,
    /// Assets the source did not change.
    pub unchanged: usize,
    /// Local edits kept because the source did not change those fields: (id, field).
    pub kept_local_edits: Vec<(String, String)>,
    /// Local edits the source overwrote.
    pub conflicts: Vec<Conflict>,
    /// The data version after the sync.
    pub version: u64,
}

impl SyncReport {
    /// The report as text, listing at most `max_ids` ids per kind.
    pub fn to_text(&self, max_ids: usize) -> String {
        let mut out = format!(
            "Sync with the store (sources: {}):\n  {} added, {} updated, {} retired, {} restored, {} unchanged; data version {}\n",
            if self.sources.is_empty() {
                "none".to_string()
            } else {
                self.sources.join(", ")
            },
            self.created.len(),
            self.updated.len(),
            self.retired.len(),
            self.restored.len(),
            self.unchanged,
            self.version
        );
        for (label, ids) in [
            ("added", &self.created),
            ("updated", &self.updated),
            ("retired (gone from the source)", &self.retired),
            ("restored (back in the source)", &self.restored),
        ] {
            if !ids.is_empty() {
                let shown: Vec<&str> = ids.iter().take(max_ids).map(String::as_str).collect();
                let more = ids.len().saturating_sub(max_ids);
                out.push_str(&format!(
                    "  {label}: {}{}\n",
                    shown.join(", "),
                    if more > 0 {
                        format!(" and {more} more")
                    } else {
                        String::new()
                    }
                ));
            }
        }
        if !self.kept_local_edits.is_empty() {
            out.push_str(&format!(
                "  {} local edits kept (the source did not change those fields)\n",
                self.kept_local_edits.len()
            ));
        }
        for c in &self.conflicts {
            out.push_str(&format!(
                "  conflict: {} {}: the local value {} was replaced by the source's new value {} (it was {})\n",
                c.id, c.field, c.local, c.source_now, c.source_before
            ));
        }
        out
    }
}

/// How many rows one sync transaction writes at most (bounds its memory).
const BATCH: usize = 5_000;

impl Catalog {
    /// Syncs assets as the official sources publish them: `sources` names
    /// every source that was read (a source with no rows retires all of its
    /// assets). Assets created locally are never touched.
    pub fn sync(&self, imported: &[Asset], sources: &[String]) -> Result<SyncReport, CatalogError> {
        let now = time::now();
        let rows: HashMap<String, StoredAsset> = self
            .with_store(|s| s.load())?
            .assets
            .into_iter()
            .map(|r| (r.id.clone(), r))
            .collect();
        let mut report = SyncReport {
            sources: sources.to_vec(),
            ..SyncReport::default()
        };
        let mut writes = Vec::new();
        let mut seen = BTreeSet::new();
        for asset in imported {
            seen.insert(asset.id.as_str());
            let published = AssetFields::of(asset);
            let actor = format!("sync:{}", asset.source);
            match rows.get(&asset.id) {
                None => {
                    report.created.push(asset.id.clone());
                    writes.push(Write {
                        expected_revision: None,
                        revision: Some(Revision {
                            seq: 0,
                            asset_id: asset.id.clone(),
                            revision: 1,
                            at: now.clone(),
                            actor,
                            action: Action::Create,
                            changes: published.diff(None),
                            reason: Some(format!("new in source {}", asset.source)),
                        }),
                        asset: StoredAsset {
                            id: asset.id.clone(),
                            slot: 0,
                            revision: 1,
                            source: asset.source.clone(),
                            fields: published.clone(),
                            source_fields: Some(published),
                            created_at: now.clone(),
                            updated_at: now.clone(),
                        },
                    });
                }
                Some(row) => {
                    if let Some(w) = merge(row, published, &asset.source, &actor, &now, &mut report)
                    {
                        writes.push(w);
                    }
                }
            }
        }
        let read: BTreeSet<&str> = sources.iter().map(String::as_str).collect();
        let mut gone: Vec<&StoredAsset> = rows
            .values()
            .filter(|r| read.contains(r.source.as_str()) && !seen.contains(r.id.as_str()))
            .collect();
        gone.sort_by_key(|r| r.slot);
        for row in gone {
            let Some(before) = &row.source_fields else {
                continue;
            };
            if before.status == AssetStatus::Retired {
                report.unchanged += 1;
                continue;
            }
            let mut published = before.clone();
            published.status = AssetStatus::Retired;
            let actor = format!("sync:{}", row.source);
            if let Some(w) = merge(row, published, &row.source, &actor, &now, &mut report) {
                writes.push(w);
            }
        }
        for chunk in writes.chunks(BATCH) {
            self.commit(chunk)?;
        }
        if writes.is_empty() {
            self.refresh()?;
        }
        report.version = self.version();
        Ok(report)
    }
}

/// Merges what a source publishes now into a stored row; `None` when
/// nothing needs writing.
fn merge(
    row: &StoredAsset,
    published: AssetFields,
    source: &str,
    actor: &str,
    now: &str,
    report: &mut SyncReport,
) -> Option<Write> {
    // The usual case: the source republished what it had, and nobody edited it.
    if row.source == source
        && row.source_fields.as_ref() == Some(&published)
        && row.fields == published
    {
        report.unchanged += 1;
        return None;
    }
    let before = row
        .source_fields
        .clone()
        .unwrap_or_else(|| row.fields.clone());
    let (was, pub_map, cur) = (before.to_map(), published.to_map(), row.fields.to_map());
    let mut merged: BTreeMap<String, Value> = cur.clone();
    for (field, now_value) in &pub_map {
        let old_value = was.get(field).cloned().unwrap_or(Value::Null);
        let local = cur.get(field).cloned().unwrap_or(Value::Null);
        if *now_value != old_value {
            if local != old_value && local != *now_value {
                report.conflicts.push(super::sync::Conflict {
                    id: row.id.clone(),
                    field: field.clone(),
                    local,
                    source_before: old_value,
                    source_now: now_value.clone(),
                });
            }
            merged.insert(field.clone(), now_value.clone());
        } else if local != old_value {
            report
                .kept_local_edits
                .push((row.id.clone(), field.clone()));
        }
    }
    let fields: AssetFields = serde_json::from_value(Value::Object(merged.into_iter().collect()))
        .unwrap_or_else(|_| published.clone());
    let changes = fields.diff(Some(&row.fields));
    let source_moved = row.source_fields.as_ref() != Some(&published) || row.source != source;
    if changes.is_empty() && !source_moved {
        report.unchanged += 1;
        return None;
    }
    let revision = if changes.is_empty() {
        row.revision
    } else {
        row.revision + 1
    };
    let entry = (!changes.is_empty()).then(|| {
        let action = super::action_of(row.fields.status, fields.status);
        match action {
            Action::Retire => report.retired.push(row.id.clone()),
            Action::Restore => report.restored.push(row.id.clone()),
            _ => report.updated.push(row.id.clone()),
        }
        Revision {
            seq: 0,
            asset_id: row.id.clone(),
            revision,
            at: now.to_string(),
            actor: actor.to_string(),
            action,
            changes,
            reason: Some(match action {
                Action::Retire => format!("gone from source {source}"),
                Action::Restore => format!("back in source {source}"),
                _ => format!("changed in source {source}"),
            }),
        }
    });
    if entry.is_none() {
        report.unchanged += 1;
    }
    Some(Write {
        expected_revision: Some(row.revision),
        asset: StoredAsset {
            revision,
            source: source.to_string(),
            fields,
            source_fields: Some(published),
            updated_at: if entry.is_some() {
                now.to_string()
            } else {
                row.updated_at.clone()
            },
            ..row.clone()
        },
        revision: entry,
    })
}

//! The catalog: the one owner of the assets as they are now.
//!
//! It holds the geography, which stays fixed while serving, and a versioned
//! snapshot of the assets keyed by their stable ids, kept in a [`Store`]
//! (SQLite by default, PostgreSQL for several replicas). Every change goes
//! through [`Catalog::apply`] (officers' edits) or [`Catalog::sync`] (the
//! official sources): it is committed to the store first, then applied in
//! memory as a new [`Dataset`] that every reader sees at once, whole, and
//! announced to observers (tiles, caches) with exactly what changed.
//! Replicas that share a PostgreSQL store apply each other's changes through
//! [`Catalog::refresh`].

pub mod auth;
pub mod contributions;
pub mod fields;
pub mod postgres;
mod sql;
pub mod sqlite;
pub mod store;
pub mod sync;
pub mod time;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use arc_swap::ArcSwap;

pub use fields::{AssetFields, FieldChange, Invalid};
pub use store::{Action, Revision, Role, Store, StoreError, StoredAsset};
pub use sync::SyncReport;

use crate::crs;
use crate::model::{Asset, AssetStatus, Dataset, SensitivePlace};

/// The `source` of assets created through the API.
pub const LOCAL_SOURCE: &str = "local";

/// Where the catalog is kept.
#[derive(Debug, Clone, PartialEq)]
pub enum StoreLocation {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL database (`postgres://…`).
    Postgres(String),
    /// SQLite in memory: nothing survives the process (tests, one-off commands).
    Memory,
}

impl StoreLocation {
    /// A `--store` value: a `postgres://` or `postgresql://` URL, or a file path.
    pub fn parse(text: &str) -> StoreLocation {
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            StoreLocation::Postgres(text.to_string())
        } else if text == ":memory:" {
            StoreLocation::Memory
        } else {
            StoreLocation::Sqlite(PathBuf::from(text))
        }
    }

    /// Opens the store, creating and migrating it as needed.
    pub fn open(&self) -> Result<Box<dyn Store>, StoreError> {
        Ok(match self {
            StoreLocation::Sqlite(path) => Box::new(sqlite::SqliteStore::open(path)?),
            StoreLocation::Postgres(url) => Box::new(postgres::PostgresStore::open(url)?),
            StoreLocation::Memory => Box::new(sqlite::SqliteStore::in_memory()?),
        })
    }
}

/// An officer's change to one asset.
#[derive(Debug, Clone)]
pub enum Edit {
    /// A new asset (its id is made by the catalog).
    Create {
        /// What it is.
        fields: AssetFields,
    },
    /// New fields for an existing asset (a status of `active` restores a
    /// retired one, `retired` retires it).
    Replace {
        /// The asset.
        id: String,
        /// The revision the change was made against (from `If-Match`).
        expected_revision: u64,
        /// The asset as it should be.
        fields: AssetFields,
    },
    /// Retires an asset: it leaves the map, search and analysis.
    Retire {
        /// The asset.
        id: String,
        /// The revision the change was made against.
        expected_revision: u64,
    },
}

/// One asset an applied change touched.
#[derive(Debug, Clone)]
pub struct AssetChange {
    /// The asset's id.
    pub id: String,
    /// Its permanent slot.
    pub slot: u32,
    /// As readers saw it before (`None`: not on the map).
    pub before: Option<Asset>,
    /// As readers see it now (`None`: not on the map, e.g. retired).
    pub after: Option<Asset>,
}

/// What one step of the catalog changed: the new data version and the
/// assets whose visible state changed.
#[derive(Debug, Clone, Default)]
pub struct Change {
    /// The data version after the change.
    pub version: u64,
    /// The assets touched.
    pub assets: Vec<AssetChange>,
}

/// Why an edit was refused.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// No asset with this id.
    #[error("no asset with id {0:?}")]
    NotFound(String),
    /// The asset changed since the revision the edit was made against.
    #[error(
        "asset {id} is at revision {current}, not {expected}: someone changed it; fetch it again"
    )]
    Stale {
        /// The asset.
        id: String,
        /// The revision the edit expected.
        expected: u64,
        /// Its revision now.
        current: u64,
    },
    /// A field is invalid.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// The edit changes nothing it could (e.g. retiring a retired asset).
    #[error("{0}")]
    NoChange(String),
    /// The store failed.
    #[error("the store failed: {0}")]
    Store(#[from] StoreError),
}

/// Called after each change with the new dataset, before readers see it.
pub type Observer = Box<dyn Fn(&Arc<Dataset>, &Change) + Send + Sync>;

/// Rows and their placed assets, as applied in memory.
struct Applied {
    rows: HashMap<String, StoredAsset>,
    /// Every asset ever (retired too), placed, by slot.
    placed: BTreeMap<u32, Asset>,
}

/// The one owner of the live assets.
pub struct Catalog {
    name: String,
    current: ArcSwap<Dataset>,
    store: Mutex<Box<dyn Store>>,
    applied: Mutex<Applied>,
    observers: RwLock<Vec<Observer>>,
}

fn lock<T: ?Sized>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// Where a sensitive place is shown: its ward's label point, or the middle
/// of its postcode district; `None` when it is not shown at all.
fn public_point(geography: &Dataset, f: &AssetFields, how: SensitivePlace) -> Option<geo::Coord> {
    let ward_point = || {
        geography
            .ward_at(f.bng())
            .and_then(|w| geography.wards[w].label_point)
            .and_then(|ll| crs::wgs84_to_bng(ll.x, ll.y).ok())
    };
    match how {
        SensitivePlace::Hidden => None,
        SensitivePlace::Ward => ward_point(),
        SensitivePlace::PostcodeDistrict => {
            let district = f
                .postcode
                .as_deref()
                .and_then(crate::model::normalise_postcode)
                .and_then(|p| p.split(' ').next().map(str::to_string));
            let centre = district.and_then(|d| {
                let prefix = format!("{d} ");
                let (mut sx, mut sy, mut n) = (0.0, 0.0, 0usize);
                for (pc, at) in geography.postcodes.iter() {
                    if pc.starts_with(&prefix) {
                        sx += at.x;
                        sy += at.y;
                        n += 1;
                    }
                }
                (n > 0).then(|| geo::Coord {
                    x: sx / n as f64,
                    y: sy / n as f64,
                })
            });
            centre.or_else(ward_point)
        }
    }
}

/// Places a stored row on the geography: position, ward, small area. A
/// sensitive place is placed where it is shown (never where it is), with no
/// address and only its postcode district.
fn place(geography: &Dataset, row: &StoredAsset) -> Asset {
    let f = &row.fields;
    let rule = &geography.info.sensitive;
    let sensitive = (f.sensitive || rule.categories.contains(&f.category)).then_some(rule.place);
    let exact_ward = sensitive.and_then(|_| geography.ward_at(f.bng()));
    let shown = sensitive.map(|how| public_point(geography, f, how));
    let unplaced = f.unplaced || matches!(shown, Some(None));
    let bng = match shown {
        Some(Some(p)) => p,
        Some(None) => geo::Coord { x: 0.0, y: 0.0 },
        None => f.bng(),
    };
    let lonlat = crs::bng_to_wgs84(bng.x, bng.y).unwrap_or(geo::Coord { x: 0.0, y: 0.0 });
    let mut asset = place_fields(geography, row, bng, lonlat, unplaced);
    if sensitive.is_some() {
        asset.sensitive = sensitive;
        asset.address = None;
        asset.postcode = f
            .postcode
            .as_deref()
            .and_then(crate::model::normalise_postcode)
            .and_then(|p| p.split(' ').next().map(str::to_string));
        asset.details.accessibility = None;
        // The ward it is in stays (its counts and the analysis are right);
        // the small area does not (it could narrow the place down).
        asset.ward = if unplaced { None } else { exact_ward };
        asset.small_area = None;
    }
    asset
}

fn place_fields(
    geography: &Dataset,
    row: &StoredAsset,
    bng: geo::Coord,
    lonlat: geo::Coord,
    unplaced: bool,
) -> Asset {
    let f = &row.fields;
    Asset {
        id: row.id.clone(),
        category: f.category.clone(),
        name: f.name.clone(),
        address: f.address.clone(),
        postcode: f.postcode.clone(),
        phone: f.phone.clone(),
        email: f.email.clone(),
        website: f.website.clone(),
        opening_hours: f.opening_hours.clone(),
        hours: f.hours.clone(),
        capacity: f.capacity,
        source: row.source.clone(),
        status: f.status,
        revision: row.revision,
        updated_at: Some(row.updated_at.clone()),
        verified_at: f.verified_at.clone(),
        details: f.details.clone(),
        unplaced,
        sensitive: None,
        bng,
        lonlat,
        ward: (!unplaced).then(|| geography.ward_at(bng)).flatten(),
        small_area: (!unplaced).then(|| geography.small_area_at(bng)).flatten(),
        slot: row.slot,
    }
}

fn visible(a: &Asset) -> bool {
    a.status != AssetStatus::Retired
}

/// Visible and on the map (not a service with no place).
fn mapped(a: &Asset) -> bool {
    visible(a) && !a.unplaced
}

impl Catalog {
    /// Opens the catalog over a loaded dataset (its geography, and its
    /// assets as the official sources publish them): syncs those assets
    /// into the store, then loads what the store holds.
    pub fn open(
        loaded: Dataset,
        store: Box<dyn Store>,
    ) -> Result<(Catalog, SyncReport), CatalogError> {
        let imported: Vec<Asset> = loaded.entries().cloned().collect();
        let sources: Vec<String> = loaded
            .info
            .sources
            .iter()
            .filter(|s| s.layer == "assets")
            .map(|s| s.name.clone())
            .collect();
        let geography = loaded.with_assets(Vec::new(), 0).with_listings(Vec::new());
        let catalog = Catalog {
            name: loaded.info.name.clone(),
            current: ArcSwap::from_pointee(geography),
            store: Mutex::new(store),
            applied: Mutex::new(Applied {
                rows: HashMap::new(),
                placed: BTreeMap::new(),
            }),
            observers: RwLock::new(Vec::new()),
        };
        catalog.refresh()?;
        let report = catalog.sync(&imported, &sources)?;
        Ok((catalog, report))
    }

    /// A catalog over a dataset with a store in memory (tests, one-off commands).
    pub fn in_memory(loaded: Dataset) -> Result<Catalog, CatalogError> {
        let store = StoreLocation::Memory.open()?;
        Ok(Catalog::open(loaded, store)?.0)
    }

    /// The assets as they are now, with the geography. Cheap; hold it for
    /// the length of one request so it sees one version throughout.
    pub fn snapshot(&self) -> Arc<Dataset> {
        self.current.load_full()
    }

    /// The dataset's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The data version readers see.
    pub fn version(&self) -> u64 {
        self.current.load().version
    }

    /// What the store is, for the log.
    pub fn store_description(&self) -> String {
        lock(&self.store).describe()
    }

    /// Calls `observer` after every later change, before readers see it.
    pub fn observe(&self, observer: Observer) {
        match self.observers.write() {
            Ok(mut o) => o.push(observer),
            Err(poisoned) => poisoned.into_inner().push(observer),
        }
    }

    /// Applies whatever the store holds beyond the version in memory (other
    /// replicas' writes, or our own just committed); returns the change.
    pub fn refresh(&self) -> Result<Change, CatalogError> {
        let mut applied = lock(&self.applied);
        let since = self.current.load().version;
        let rows = if applied.rows.is_empty() && since == 0 {
            lock(&self.store).load()?
        } else {
            lock(&self.store).changed_since(since)?
        };
        if rows.version <= since && rows.assets.is_empty() {
            return Ok(Change {
                version: since,
                assets: Vec::new(),
            });
        }
        let old = self.current.load_full();
        let mut change = Change {
            version: rows.version.max(since),
            assets: Vec::new(),
        };
        for row in rows.assets {
            let asset = place(&old, &row);
            let before = applied.placed.get(&row.slot).filter(|a| mapped(a)).cloned();
            let after = mapped(&asset).then(|| asset.clone());
            let unchanged = match (&before, &after) {
                (Some(b), Some(a)) => b.revision == a.revision && b.source == a.source,
                (None, None) => true,
                _ => false,
            };
            if !unchanged || !applied.rows.contains_key(&row.id) {
                change.assets.push(AssetChange {
                    id: row.id.clone(),
                    slot: row.slot,
                    before,
                    after,
                });
            }
            applied.placed.insert(row.slot, asset);
            applied.rows.insert(row.id.clone(), row);
        }
        let assets: Vec<Asset> = applied
            .placed
            .values()
            .filter(|a| mapped(a))
            .cloned()
            .collect();
        let listings: Vec<Asset> = applied
            .placed
            .values()
            .filter(|a| visible(a) && a.unplaced)
            .cloned()
            .collect();
        let next = Arc::new(
            old.with_assets(assets, change.version)
                .with_listings(listings),
        );
        if let Ok(observers) = self.observers.read() {
            for o in observers.iter() {
                o(&next, &change);
            }
        }
        self.current.store(next);
        Ok(change)
    }

    /// The stored row of an asset (retired ones too), as applied in memory.
    pub fn row(&self, id: &str) -> Option<StoredAsset> {
        lock(&self.applied).rows.get(id).cloned()
    }

    /// An asset's history, oldest first.
    pub fn history(&self, id: &str) -> Result<Vec<Revision>, CatalogError> {
        let revisions = lock(&self.store).history(id)?;
        if revisions.is_empty() && self.row(id).is_none() {
            return Err(CatalogError::NotFound(id.to_string()));
        }
        Ok(revisions)
    }

    /// Applies an officer's edit: validates it, commits it to the store (one
    /// transaction; durable when this returns), then applies it in memory.
    /// Returns the asset's row after the edit.
    pub fn apply(
        &self,
        edit: Edit,
        actor: &str,
        reason: Option<&str>,
    ) -> Result<StoredAsset, CatalogError> {
        let write = self.write_for(edit, actor, reason)?;
        let id = write.asset.id.clone();
        self.commit(&[write])?;
        self.row(&id).ok_or(CatalogError::NotFound(id))
    }

    /// The store write an edit makes, validated against the catalog as it
    /// is now (not yet committed).
    fn write_for(
        &self,
        edit: Edit,
        actor: &str,
        reason: Option<&str>,
    ) -> Result<store::Write, CatalogError> {
        let geography = self.snapshot();
        let now = time::now();
        let write = match edit {
            Edit::Create { fields } => {
                fields.validate(&geography, None)?;
                if fields.status == AssetStatus::Retired {
                    return Err(fields::invalid("status", "a new asset cannot be retired").into());
                }
                let id = format!("{LOCAL_SOURCE}:{}", auth::random_hex(8));
                let changes = fields.diff(None);
                store::Write {
                    expected_revision: None,
                    asset: StoredAsset {
                        id: id.clone(),
                        slot: 0,
                        revision: 1,
                        source: LOCAL_SOURCE.into(),
                        fields,
                        source_fields: None,
                        created_at: now.clone(),
                        updated_at: now.clone(),
                    },
                    revision: Some(Revision {
                        seq: 0,
                        asset_id: id,
                        revision: 1,
                        at: now,
                        actor: actor.to_string(),
                        action: Action::Create,
                        changes,
                        reason: reason.map(str::to_string),
                    }),
                }
            }
            Edit::Replace {
                id,
                expected_revision,
                fields,
            } => {
                let row = self.current_row(&id, expected_revision)?;
                fields.validate(&geography, Some(&row.fields))?;
                self.update(row, fields, actor, reason, &now)?
            }
            Edit::Retire {
                id,
                expected_revision,
            } => {
                let row = self.current_row(&id, expected_revision)?;
                if row.fields.status == AssetStatus::Retired {
                    return Err(CatalogError::NoChange(format!(
                        "asset {id} is retired already"
                    )));
                }
                let mut fields = row.fields.clone();
                fields.status = AssetStatus::Retired;
                self.update(row, fields, actor, reason, &now)?
            }
        };
        Ok(write)
    }

    /// The row of `id`, checked against the revision an edit expects.
    fn current_row(&self, id: &str, expected: u64) -> Result<StoredAsset, CatalogError> {
        // Another replica may have changed it: catch up first.
        let _ = self.refresh();
        let row = self
            .row(id)
            .ok_or_else(|| CatalogError::NotFound(id.to_string()))?;
        if row.revision != expected {
            return Err(CatalogError::Stale {
                id: id.to_string(),
                expected,
                current: row.revision,
            });
        }
        Ok(row)
    }

    fn update(
        &self,
        row: StoredAsset,
        fields: AssetFields,
        actor: &str,
        reason: Option<&str>,
        now: &str,
    ) -> Result<store::Write, CatalogError> {
        let changes = fields.diff(Some(&row.fields));
        if changes.is_empty() {
            return Err(CatalogError::NoChange(format!(
                "the edit changes nothing: asset {} already has these values",
                row.id
            )));
        }
        let action = action_of(row.fields.status, fields.status);
        let revision = row.revision + 1;
        Ok(store::Write {
            expected_revision: Some(row.revision),
            revision: Some(Revision {
                seq: 0,
                asset_id: row.id.clone(),
                revision,
                at: now.to_string(),
                actor: actor.to_string(),
                action,
                changes,
                reason: reason.map(str::to_string),
            }),
            asset: StoredAsset {
                revision,
                fields,
                updated_at: now.to_string(),
                ..row
            },
        })
    }

    /// Commits writes and applies them (and anything else new) in memory.
    fn commit(&self, writes: &[store::Write]) -> Result<u64, CatalogError> {
        self.commit_with(writes, None)
    }

    /// Commits writes and a contribution in one transaction, then applies
    /// them in memory.
    fn commit_with(
        &self,
        writes: &[store::Write],
        contribution: Option<&store::ContributionRow>,
    ) -> Result<u64, CatalogError> {
        let result = lock(&self.store).commit_with(writes, contribution);
        match result {
            Ok(version) => {
                self.refresh()?;
                Ok(version)
            }
            Err(StoreError::Conflict { id, current }) => {
                let _ = self.refresh();
                let expected = writes
                    .iter()
                    .find(|w| w.asset.id == id)
                    .and_then(|w| w.expected_revision)
                    .unwrap_or(0);
                match current {
                    Some(current) => Err(CatalogError::Stale {
                        id,
                        expected,
                        current,
                    }),
                    None => Err(CatalogError::NotFound(id)),
                }
            }
            Err(StoreError::Decided {
                reference, current, ..
            }) => Err(CatalogError::NoChange(format!(
                "contribution {reference} is {} already: someone decided it first",
                current.replace('_', " ")
            ))),
            Err(e) => Err(e.into()),
        }
    }

    /// Runs `f` with the store (accounts live there too).
    pub fn with_store<T>(
        &self,
        f: impl FnOnce(&mut dyn Store) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut store = lock(&self.store);
        f(store.as_mut())
    }
}

/// The action a status change amounts to.
fn action_of(before: AssetStatus, after: AssetStatus) -> Action {
    match (
        before == AssetStatus::Retired,
        after == AssetStatus::Retired,
    ) {
        (false, true) => Action::Retire,
        (true, false) => Action::Restore,
        _ => Action::Update,
    }
}

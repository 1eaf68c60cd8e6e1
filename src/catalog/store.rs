//! What the catalog keeps in a database: assets as they are now, their
//! append-only revisions, and accounts. [`Store`] is implemented by SQLite
//! ([`super::sqlite`], embedded, the default) and PostgreSQL
//! ([`super::postgres`], for several replicas); both pass the same tests.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::fields::{AssetFields, FieldChange};

/// The schema version this build writes; older stores are migrated at start-up.
pub const SCHEMA_VERSION: i64 = 3;

/// One asset row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredAsset {
    /// Stable id, e.g. `gp:A81001` or `local:k3v9q2x7mb`.
    pub id: String,
    /// Permanent slot, assigned by the store when the asset is created.
    pub slot: u32,
    /// Revision number (1 when created).
    pub revision: u64,
    /// The manifest source it came from, or `local`.
    pub source: String,
    /// The asset as it is now.
    pub fields: AssetFields,
    /// The fields as the source last published them (imported assets only):
    /// a local edit to a field is kept until the source changes that field.
    pub source_fields: Option<AssetFields>,
    /// When it was created (RFC 3339).
    pub created_at: String,
    /// When it last changed (RFC 3339).
    pub updated_at: String,
}

/// What a revision did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// The asset was created.
    Create,
    /// Some fields changed.
    Update,
    /// The asset was retired (left the map; kept with its history).
    Retire,
    /// A retired asset came back.
    Restore,
}

impl Action {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Retire => "retire",
            Action::Restore => "restore",
        }
    }

    /// Parses a stored action.
    pub fn parse(text: &str) -> Option<Action> {
        match text {
            "create" => Some(Action::Create),
            "update" => Some(Action::Update),
            "retire" => Some(Action::Retire),
            "restore" => Some(Action::Restore),
            _ => None,
        }
    }
}

/// One entry of an asset's history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Revision {
    /// The store-wide change number (the data version this revision made).
    pub seq: u64,
    /// The asset.
    pub asset_id: String,
    /// The asset's revision number after this change.
    pub revision: u64,
    /// When (RFC 3339).
    pub at: String,
    /// Who: `user:NAME`, `token:NAME`, or `sync:SOURCE`.
    pub actor: String,
    /// What.
    pub action: Action,
    /// Each changed field, before and after.
    pub changes: BTreeMap<String, FieldChange>,
    /// Why, or which source said so.
    pub reason: Option<String>,
}

/// One asset write inside a transaction.
#[derive(Debug, Clone)]
pub struct Write {
    /// The revision the row must have now; `None` creates it (and fails if it exists).
    pub expected_revision: Option<u64>,
    /// The row as it will be (its `slot` is ignored on create).
    pub asset: StoredAsset,
    /// The history entry (its `seq` is assigned by the store); `None` when
    /// only the source's record of the fields changes.
    pub revision: Option<Revision>,
}

/// A signed-in person's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Keeps its own organisation's entries current (edits them directly,
    /// confirms they are still correct); invited by an officer.
    Steward,
    /// Creates, changes and retires assets.
    Editor,
    /// An editor who can also run a sync of the official sources.
    Admin,
}

impl Role {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Steward => "steward",
            Role::Editor => "editor",
            Role::Admin => "admin",
        }
    }

    /// Parses a role name.
    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "steward" => Some(Role::Steward),
            "editor" => Some(Role::Editor),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// A person who signs in with a password.
#[derive(Debug, Clone, PartialEq)]
pub struct UserRecord {
    /// Sign-in name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Argon2id PHC string.
    pub password_hash: String,
}

/// An API token (the secret itself is never stored).
#[derive(Debug, Clone, PartialEq)]
pub struct TokenRecord {
    /// The token's public id (its prefix).
    pub id: String,
    /// Who or what it is for.
    pub name: String,
    /// Role.
    pub role: Role,
    /// SHA-256 of the secret, hex.
    pub secret_sha256: String,
}

/// A web session (the cookie value itself is never stored).
#[derive(Debug, Clone, PartialEq)]
pub struct SessionRecord {
    /// SHA-256 of the cookie value, hex.
    pub id_sha256: String,
    /// The signed-in user.
    pub user: String,
    /// Their role when they signed in.
    pub role: Role,
    /// The token forms and scripts must send back.
    pub csrf: String,
    /// Unix seconds after which the session is over.
    pub expires_unix: i64,
}

/// What went wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// An asset with this id exists already.
    #[error("asset {0} exists already")]
    Exists(String),
    /// The asset's revision is not the expected one (someone else changed it).
    #[error("asset {id} is at revision {current:?}, not the expected one")]
    Conflict {
        /// The asset.
        id: String,
        /// Its revision now (`None`: it does not exist).
        current: Option<u64>,
    },
    /// A contribution was decided by someone else first (its status is not
    /// the one the decision was made against).
    #[error("contribution {reference} is {current}, not {expected}")]
    Decided {
        /// The contribution.
        reference: String,
        /// The status the decision expected.
        expected: String,
        /// Its status now.
        current: String,
    },
    /// The database failed or holds something this build cannot read.
    #[error("{0}")]
    Database(String),
}

/// The store's data after a read: the version it reflects, and rows.
#[derive(Debug, Clone, Default)]
pub struct Rows {
    /// The highest change number included.
    pub version: u64,
    /// Asset rows.
    pub assets: Vec<StoredAsset>,
}

/// A database that keeps the catalog. Writes are one transaction each and
/// durable when `commit` returns.
pub trait Store: Send {
    /// What it is and where, for the log (no password).
    fn describe(&self) -> String;
    /// Every asset row, with the version they reflect.
    fn load(&mut self) -> Result<Rows, StoreError>;
    /// The rows changed after `version`, with the version they reflect.
    fn changed_since(&mut self, version: u64) -> Result<Rows, StoreError>;
    /// The latest change number.
    fn version(&mut self) -> Result<u64, StoreError>;
    /// Applies writes in one transaction, all or none; returns the new version.
    fn commit(&mut self, writes: &[Write]) -> Result<u64, StoreError> {
        self.commit_with(writes, None)
    }
    /// Applies writes and stores a contribution (new, or decided: then only
    /// if it still has the status the decision was made against) in one
    /// transaction, all or none; returns the new version.
    fn commit_with(
        &mut self,
        writes: &[Write],
        contribution: Option<&ContributionRow>,
    ) -> Result<u64, StoreError>;
    /// A contribution by its reference.
    fn contribution(&mut self, reference: &str) -> Result<Option<ContributionRow>, StoreError>;
    /// Contributions with a status (all when `None`), oldest first, at most `limit`.
    fn contributions(
        &mut self,
        status: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ContributionRow>, StoreError>;
    /// An asset's revisions, oldest first.
    fn history(&mut self, id: &str) -> Result<Vec<Revision>, StoreError>;
    /// Adds or replaces a user.
    fn put_user(&mut self, user: &UserRecord) -> Result<(), StoreError>;
    /// A user by name.
    fn user(&mut self, name: &str) -> Result<Option<UserRecord>, StoreError>;
    /// Adds a token.
    fn put_token(&mut self, token: &TokenRecord) -> Result<(), StoreError>;
    /// A token by its public id.
    fn token(&mut self, id: &str) -> Result<Option<TokenRecord>, StoreError>;
    /// Adds a session.
    fn put_session(&mut self, session: &SessionRecord) -> Result<(), StoreError>;
    /// A session by the hash of its cookie value.
    fn session(&mut self, id_sha256: &str) -> Result<Option<SessionRecord>, StoreError>;
    /// Ends a session.
    fn delete_session(&mut self, id_sha256: &str) -> Result<(), StoreError>;
    /// Records the organisation a steward keeps current.
    fn put_steward(&mut self, user: &str, organisation: &str) -> Result<(), StoreError>;
    /// The organisation a steward keeps current.
    fn steward(&mut self, user: &str) -> Result<Option<String>, StoreError>;
}

/// Serialises fields for a TEXT column.
pub(crate) fn fields_json(fields: &AssetFields) -> String {
    serde_json::to_string(fields).unwrap_or_else(|_| "{}".into())
}

/// Reads fields from a TEXT column.
pub(crate) fn parse_fields(text: &str, id: &str) -> Result<AssetFields, StoreError> {
    serde_json::from_str(text)
        .map_err(|e| StoreError::Database(format!("asset {id}: unreadable fields: {e}")))
}

/// Reads a revision's changes from a TEXT column.
pub(crate) fn parse_changes(text: &str) -> Result<BTreeMap<String, FieldChange>, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Database(format!("unreadable changes: {e}")))
}

/// A contribution as the store keeps it: what the queue is sorted and
/// filtered by as columns, the rest as JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct ContributionRow {
    /// Its reference, e.g. `C7K3Q9XWM2`.
    pub reference: String,
    /// `pending`, `approved`, `changed_and_approved`, `declined` or `merged`.
    pub status: String,
    /// When it was received (RFC 3339).
    pub created_at: String,
    /// When it last changed.
    pub updated_at: String,
    /// Everything else, as JSON.
    pub body: String,
    /// When storing a decision: the status it was made against (`None`: a
    /// new contribution).
    pub expected_status: Option<String>,
}

/// The SQL that adds schema version 2: contributions from residents and
/// community groups.
pub(crate) const SCHEMA_V2: &str = "
CREATE TABLE contributions (
    reference TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX contributions_queue ON contributions (status, created_at);
";

/// The SQL that adds schema version 3: which organisation each steward
/// keeps current.
pub(crate) const SCHEMA_V3: &str = "
CREATE TABLE stewards (
    user_name TEXT PRIMARY KEY,
    organisation TEXT NOT NULL
);
";

/// The SQL that creates schema version 1; both backends run it (with their
/// own spelling of an auto-numbered key, `{SERIAL}`).
pub(crate) const SCHEMA_V1: &str = "
CREATE TABLE assets (
    id TEXT PRIMARY KEY,
    slot INTEGER NOT NULL UNIQUE,
    revision BIGINT NOT NULL,
    source TEXT NOT NULL,
    fields TEXT NOT NULL,
    source_fields TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    last_seq BIGINT NOT NULL
);
CREATE INDEX assets_last_seq ON assets (last_seq);
CREATE TABLE revisions (
    seq {SERIAL},
    asset_id TEXT NOT NULL,
    revision BIGINT NOT NULL,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    changes TEXT NOT NULL,
    reason TEXT,
    UNIQUE (asset_id, revision)
);
CREATE TABLE users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL
);
CREATE TABLE tokens (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    secret_sha256 TEXT NOT NULL
);
CREATE TABLE sessions (
    id_sha256 TEXT PRIMARY KEY,
    user_name TEXT NOT NULL,
    role TEXT NOT NULL,
    csrf TEXT NOT NULL,
    expires_unix BIGINT NOT NULL
);
";

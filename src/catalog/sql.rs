//! SQL both backends run, written with PostgreSQL's `$n` placeholders
//! (SQLite reads them as `?n`).

/// The migrations table.
pub const MIGRATIONS_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at TEXT NOT NULL)";
/// The schema's version.
pub const SCHEMA_VERSION: &str = "SELECT COALESCE(MAX(version), 0) FROM schema_migrations";
/// Records a migration.
pub const RECORD_MIGRATION: &str =
    "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)";
/// The latest change number.
pub const VERSION: &str = "SELECT COALESCE(MAX(seq), 0) FROM revisions";
/// Every asset row.
pub const LOAD: &str = "SELECT id, slot, revision, source, fields, source_fields, created_at, updated_at FROM assets ORDER BY slot";
/// Rows changed after a version.
pub const CHANGED_SINCE: &str = "SELECT id, slot, revision, source, fields, source_fields, created_at, updated_at FROM assets WHERE last_seq > $1 ORDER BY slot";
/// An asset's revision now.
pub const CURRENT_REVISION: &str = "SELECT revision FROM assets WHERE id = $1";
/// Adds a revision.
pub const INSERT_REVISION: &str = "INSERT INTO revisions (asset_id, revision, at, actor, action, changes, reason) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING seq";
/// Adds an asset in the next free slot.
pub const INSERT_ASSET: &str = "INSERT INTO assets (id, slot, revision, source, fields, source_fields, created_at, updated_at, last_seq) \
     VALUES ($1, (SELECT COALESCE(MAX(slot) + 1, 0) FROM assets), $2, $3, $4, $5, $6, $7, $8)";
/// Changes an asset if it is at the expected revision.
pub const UPDATE_ASSET: &str = "UPDATE assets SET revision = $1, source = $2, fields = $3, source_fields = $4, updated_at = $5, last_seq = $6 \
     WHERE id = $7 AND revision = $8";
/// An asset's history.
pub const HISTORY: &str = "SELECT seq, asset_id, revision, at, actor, action, changes, reason FROM revisions WHERE asset_id = $1 ORDER BY seq";
/// Adds or replaces a user.
pub const PUT_USER: &str = "INSERT INTO users (name, role, password_hash) VALUES ($1, $2, $3) \
     ON CONFLICT (name) DO UPDATE SET role = excluded.role, password_hash = excluded.password_hash";
/// A user.
pub const USER: &str = "SELECT name, role, password_hash FROM users WHERE name = $1";
/// Adds a token.
pub const PUT_TOKEN: &str =
    "INSERT INTO tokens (id, name, role, secret_sha256) VALUES ($1, $2, $3, $4)";
/// A token.
pub const TOKEN: &str = "SELECT id, name, role, secret_sha256 FROM tokens WHERE id = $1";
/// Adds a session (and clears expired ones).
pub const PUT_SESSION: &str = "INSERT INTO sessions (id_sha256, user_name, role, csrf, expires_unix) VALUES ($1, $2, $3, $4, $5)";
/// Drops expired sessions.
pub const EXPIRE_SESSIONS: &str = "DELETE FROM sessions WHERE expires_unix < $1";
/// A session.
pub const SESSION: &str =
    "SELECT id_sha256, user_name, role, csrf, expires_unix FROM sessions WHERE id_sha256 = $1";
/// Ends a session.
pub const DELETE_SESSION: &str = "DELETE FROM sessions WHERE id_sha256 = $1";

/// Adds a contribution.
pub const INSERT_CONTRIBUTION: &str = "INSERT INTO contributions (reference, status, created_at, updated_at, body) VALUES ($1, $2, $3, $4, $5)";
/// Stores a decision, if the contribution still has the expected status.
pub const DECIDE_CONTRIBUTION: &str = "UPDATE contributions SET status = $2, updated_at = $3, body = $4 WHERE reference = $1 AND status = $5";
/// A contribution's status.
pub const CONTRIBUTION_STATUS: &str = "SELECT status FROM contributions WHERE reference = $1";
/// A contribution.
pub const CONTRIBUTION: &str = "SELECT reference, status, created_at, updated_at, body FROM contributions WHERE reference = $1";
/// Contributions with a status, oldest first.
pub const CONTRIBUTIONS_WITH_STATUS: &str = "SELECT reference, status, created_at, updated_at, body FROM contributions WHERE status = $1 ORDER BY created_at, reference LIMIT $2";
/// Every contribution, oldest first.
pub const CONTRIBUTIONS: &str = "SELECT reference, status, created_at, updated_at, body FROM contributions ORDER BY created_at, reference LIMIT $1";

/// Records a steward's organisation.
pub const PUT_STEWARD: &str = "INSERT INTO stewards (user_name, organisation) VALUES ($1, $2) \
     ON CONFLICT (user_name) DO UPDATE SET organisation = excluded.organisation";
/// A steward's organisation.
pub const STEWARD: &str = "SELECT organisation FROM stewards WHERE user_name = $1";

/// The SQL in SQLite's spelling.
pub fn sqlite(sql: &str) -> String {
    sql.replace('$', "?")
}

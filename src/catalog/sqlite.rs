//! The embedded store: one SQLite file in WAL mode with `synchronous=FULL`,
//! so a commit is on disk before it returns.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::sql::{self, sqlite};
use super::store::{
    Action, ContributionRow, Revision, Role, Rows, SCHEMA_V1, SCHEMA_V2, SCHEMA_V3, SCHEMA_VERSION,
    SessionRecord, Store, StoreError, StoredAsset, TokenRecord, UserRecord, Write, fields_json,
    parse_changes, parse_fields,
};

/// A SQLite store.
pub struct SqliteStore {
    conn: Connection,
    label: String,
}

fn db(e: rusqlite::Error) -> StoreError {
    StoreError::Database(format!("SQLite: {e}"))
}

impl SqliteStore {
    /// Opens (creating if needed) the store at `path`, migrating its schema.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                StoreError::Database(format!("cannot create {}: {e}", dir.display()))
            })?;
        }
        let conn = Connection::open(path)
            .map_err(|e| StoreError::Database(format!("cannot open {}: {e}", path.display())))?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
            .map_err(db)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Database(format!(
                "{} cannot use write-ahead logging (journal mode is {mode})",
                path.display()
            )));
        }
        SqliteStore::setup(conn, format!("SQLite {}", path.display()))
    }

    /// A store in memory (for tests and one-off commands); nothing is kept.
    pub fn in_memory() -> Result<SqliteStore, StoreError> {
        let conn = Connection::open_in_memory().map_err(db)?;
        SqliteStore::setup(conn, "SQLite in memory".into())
    }

    fn setup(conn: Connection, label: String) -> Result<SqliteStore, StoreError> {
        conn.execute_batch(
            "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000;",
        )
        .map_err(db)?;
        let mut store = SqliteStore { conn, label };
        store.migrate()?;
        Ok(store)
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db)?;
        tx.execute(sql::MIGRATIONS_TABLE, []).map_err(db)?;
        let version: i64 = tx
            .query_row(sql::SCHEMA_VERSION, [], |r| r.get(0))
            .map_err(db)?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::Database(format!(
                "the store has schema version {version}, newer than this assetmap ({SCHEMA_VERSION}); upgrade assetmap"
            )));
        }
        if version < 1 {
            tx.execute_batch(&SCHEMA_V1.replace("{SERIAL}", "INTEGER PRIMARY KEY AUTOINCREMENT"))
                .map_err(db)?;
            tx.execute(
                &sqlite(sql::RECORD_MIGRATION),
                params![1, super::time::now()],
            )
            .map_err(db)?;
        }
        if version < 2 {
            tx.execute_batch(SCHEMA_V2).map_err(db)?;
            tx.execute(
                &sqlite(sql::RECORD_MIGRATION),
                params![2, super::time::now()],
            )
            .map_err(db)?;
        }
        if version < 3 {
            tx.execute_batch(SCHEMA_V3).map_err(db)?;
            tx.execute(
                &sqlite(sql::RECORD_MIGRATION),
                params![3, super::time::now()],
            )
            .map_err(db)?;
        }
        tx.commit().map_err(db)
    }
}

fn contribution_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ContributionRow> {
    Ok(ContributionRow {
        reference: r.get(0)?,
        status: r.get(1)?,
        created_at: r.get(2)?,
        updated_at: r.get(3)?,
        body: r.get(4)?,
        expected_status: None,
    })
}

/// Copies the store at `path` to `output` with `VACUUM INTO`: a consistent
/// copy even while a server writes to it. Returns the copy's data version.
pub fn backup(path: &Path, output: &Path) -> Result<u64, StoreError> {
    if !path.is_file() {
        return Err(StoreError::Database(format!(
            "{} is not a store file",
            path.display()
        )));
    }
    if output.exists() {
        return Err(StoreError::Database(format!(
            "{} exists already; choose a new file",
            output.display()
        )));
    }
    let conn = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE)
        .map_err(|e| StoreError::Database(format!("cannot open {}: {e}", path.display())))?;
    conn.execute_batch("PRAGMA busy_timeout=10000;")
        .map_err(db)?;
    let target = output
        .to_str()
        .ok_or_else(|| StoreError::Database("the output path is not UTF-8".into()))?;
    conn.execute("VACUUM INTO ?1", [target]).map_err(db)?;
    let copy = Connection::open(output).map_err(db)?;
    let version: i64 = copy.query_row(sql::VERSION, [], |r| r.get(0)).map_err(db)?;
    Ok(version as u64)
}

fn row_asset(r: &rusqlite::Row<'_>) -> rusqlite::Result<AssetColumns> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
    ))
}

/// An asset row's columns, as both backends read them.
pub(crate) type AssetColumns = (
    String,
    i64,
    i64,
    String,
    String,
    Option<String>,
    String,
    String,
);

/// Builds a [`StoredAsset`] from its columns.
pub(crate) fn asset_from(c: AssetColumns) -> Result<StoredAsset, StoreError> {
    let (id, slot, revision, source, fields, source_fields, created_at, updated_at) = c;
    Ok(StoredAsset {
        fields: parse_fields(&fields, &id)?,
        source_fields: source_fields.map(|s| parse_fields(&s, &id)).transpose()?,
        slot: u32::try_from(slot)
            .map_err(|_| StoreError::Database(format!("asset {id}: bad slot {slot}")))?,
        revision: revision as u64,
        id,
        source,
        created_at,
        updated_at,
    })
}

/// A revision row's columns.
pub(crate) type RevisionColumns = (
    i64,
    String,
    i64,
    String,
    String,
    String,
    String,
    Option<String>,
);

/// Builds a [`Revision`] from its columns.
pub(crate) fn revision_from(c: RevisionColumns) -> Result<Revision, StoreError> {
    let (seq, asset_id, revision, at, actor, action, changes, reason) = c;
    Ok(Revision {
        seq: seq as u64,
        revision: revision as u64,
        action: Action::parse(&action).ok_or_else(|| {
            StoreError::Database(format!("revision {seq}: unknown action {action:?}"))
        })?,
        changes: parse_changes(&changes)?,
        asset_id,
        at,
        actor,
        reason,
    })
}

/// Parses a stored role.
pub(crate) fn role_from(text: &str) -> Result<Role, StoreError> {
    Role::parse(text).ok_or_else(|| StoreError::Database(format!("unknown role {text:?}")))
}

impl Store for SqliteStore {
    fn describe(&self) -> String {
        self.label.clone()
    }

    fn load(&mut self) -> Result<Rows, StoreError> {
        let tx = self.conn.transaction().map_err(db)?;
        let version: i64 = tx.query_row(sql::VERSION, [], |r| r.get(0)).map_err(db)?;
        let mut stmt = tx.prepare(sql::LOAD).map_err(db)?;
        let rows = stmt.query_map([], row_asset).map_err(db)?;
        let mut assets = Vec::new();
        for row in rows {
            assets.push(asset_from(row.map_err(db)?)?);
        }
        Ok(Rows {
            version: version as u64,
            assets,
        })
    }

    fn changed_since(&mut self, version: u64) -> Result<Rows, StoreError> {
        let tx = self.conn.transaction().map_err(db)?;
        let now: i64 = tx.query_row(sql::VERSION, [], |r| r.get(0)).map_err(db)?;
        let mut assets = Vec::new();
        if now as u64 > version {
            let mut stmt = tx.prepare(&sqlite(sql::CHANGED_SINCE)).map_err(db)?;
            let rows = stmt.query_map([version as i64], row_asset).map_err(db)?;
            for row in rows {
                assets.push(asset_from(row.map_err(db)?)?);
            }
        }
        Ok(Rows {
            version: now as u64,
            assets,
        })
    }

    fn version(&mut self) -> Result<u64, StoreError> {
        let v: i64 = self
            .conn
            .query_row(sql::VERSION, [], |r| r.get(0))
            .map_err(db)?;
        Ok(v as u64)
    }

    fn commit_with(
        &mut self,
        writes: &[Write],
        contribution: Option<&ContributionRow>,
    ) -> Result<u64, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db)?;
        {
            let mut current = tx
                .prepare_cached(&sqlite(sql::CURRENT_REVISION))
                .map_err(db)?;
            let mut insert_revision = tx
                .prepare_cached(&sqlite(sql::INSERT_REVISION))
                .map_err(db)?;
            let mut insert_asset = tx.prepare_cached(&sqlite(sql::INSERT_ASSET)).map_err(db)?;
            let mut update_asset = tx.prepare_cached(&sqlite(sql::UPDATE_ASSET)).map_err(db)?;
            let mut last_seq: i64 = tx.query_row(sql::VERSION, [], |r| r.get(0)).map_err(db)?;
            for w in writes {
                let a = &w.asset;
                let now: Option<i64> = current
                    .query_row([&a.id], |r| r.get(0))
                    .optional()
                    .map_err(db)?;
                if let Some(expected) = w.expected_revision
                    && now != Some(expected as i64)
                {
                    return Err(StoreError::Conflict {
                        id: a.id.clone(),
                        current: now.map(|v| v as u64),
                    });
                }
                let seq = match &w.revision {
                    Some(r) => {
                        let changes = serde_json::to_string(&r.changes)
                            .map_err(|e| StoreError::Database(e.to_string()))?;
                        let seq: i64 = insert_revision
                            .query_row(
                                params![
                                    a.id,
                                    r.revision as i64,
                                    r.at,
                                    r.actor,
                                    r.action.as_str(),
                                    changes,
                                    r.reason
                                ],
                                |row| row.get(0),
                            )
                            .map_err(db)?;
                        last_seq = seq;
                        seq
                    }
                    None => last_seq,
                };
                let source_fields = a.source_fields.as_ref().map(fields_json);
                match w.expected_revision {
                    None => {
                        if now.is_some() {
                            return Err(StoreError::Exists(a.id.clone()));
                        }
                        insert_asset
                            .execute(params![
                                a.id,
                                a.revision as i64,
                                a.source,
                                fields_json(&a.fields),
                                source_fields,
                                a.created_at,
                                a.updated_at,
                                seq
                            ])
                            .map_err(db)?;
                    }
                    Some(expected) => {
                        let n = update_asset
                            .execute(params![
                                a.revision as i64,
                                a.source,
                                fields_json(&a.fields),
                                source_fields,
                                a.updated_at,
                                seq,
                                a.id,
                                expected as i64
                            ])
                            .map_err(db)?;
                        if n == 0 {
                            return Err(StoreError::Conflict {
                                id: a.id.clone(),
                                current: now.map(|v| v as u64),
                            });
                        }
                    }
                }
            }
        }
        if let Some(c) = contribution {
            match &c.expected_status {
                None => {
                    tx.execute(
                        &sqlite(sql::INSERT_CONTRIBUTION),
                        params![c.reference, c.status, c.created_at, c.updated_at, c.body],
                    )
                    .map_err(db)?;
                }
                Some(expected) => {
                    let n = tx
                        .execute(
                            &sqlite(sql::DECIDE_CONTRIBUTION),
                            params![c.reference, c.status, c.updated_at, c.body, expected],
                        )
                        .map_err(db)?;
                    if n == 0 {
                        let current: Option<String> = tx
                            .query_row(&sqlite(sql::CONTRIBUTION_STATUS), [&c.reference], |r| {
                                r.get(0)
                            })
                            .optional()
                            .map_err(db)?;
                        return Err(StoreError::Decided {
                            reference: c.reference.clone(),
                            expected: expected.clone(),
                            current: current.unwrap_or_else(|| "missing".into()),
                        });
                    }
                }
            }
        }
        let version: i64 = tx.query_row(sql::VERSION, [], |r| r.get(0)).map_err(db)?;
        tx.commit().map_err(db)?;
        Ok(version as u64)
    }

    fn contribution(&mut self, reference: &str) -> Result<Option<ContributionRow>, StoreError> {
        self.conn
            .query_row(&sqlite(sql::CONTRIBUTION), [reference], contribution_row)
            .optional()
            .map_err(db)
    }

    fn contributions(
        &mut self,
        status: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ContributionRow>, StoreError> {
        let limit = limit.min(i64::MAX as usize) as i64;
        let rows = match status {
            Some(st) => {
                let mut stmt = self
                    .conn
                    .prepare_cached(&sqlite(sql::CONTRIBUTIONS_WITH_STATUS))
                    .map_err(db)?;
                stmt.query_map(params![st, limit], contribution_row)
                    .map_err(db)?
                    .collect::<Result<Vec<_>, _>>()
            }
            None => {
                let mut stmt = self
                    .conn
                    .prepare_cached(&sqlite(sql::CONTRIBUTIONS))
                    .map_err(db)?;
                stmt.query_map(params![limit], contribution_row)
                    .map_err(db)?
                    .collect::<Result<Vec<_>, _>>()
            }
        };
        rows.map_err(db)
    }

    fn history(&mut self, id: &str) -> Result<Vec<Revision>, StoreError> {
        let mut stmt = self.conn.prepare(&sqlite(sql::HISTORY)).map_err(db)?;
        let rows = stmt
            .query_map([id], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                ))
            })
            .map_err(db)?;
        let mut out = Vec::new();
        for row in rows {
            out.push(revision_from(row.map_err(db)?)?);
        }
        Ok(out)
    }

    fn put_user(&mut self, user: &UserRecord) -> Result<(), StoreError> {
        self.conn
            .execute(
                &sqlite(sql::PUT_USER),
                params![user.name, user.role.as_str(), user.password_hash],
            )
            .map_err(db)?;
        Ok(())
    }

    fn user(&mut self, name: &str) -> Result<Option<UserRecord>, StoreError> {
        let row: Option<(String, String, String)> = self
            .conn
            .query_row(&sqlite(sql::USER), [name], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()
            .map_err(db)?;
        row.map(|(name, role, password_hash)| {
            Ok(UserRecord {
                name,
                role: role_from(&role)?,
                password_hash,
            })
        })
        .transpose()
    }

    fn put_token(&mut self, t: &TokenRecord) -> Result<(), StoreError> {
        self.conn
            .execute(
                &sqlite(sql::PUT_TOKEN),
                params![t.id, t.name, t.role.as_str(), t.secret_sha256],
            )
            .map_err(db)?;
        Ok(())
    }

    fn token(&mut self, id: &str) -> Result<Option<TokenRecord>, StoreError> {
        let row: Option<(String, String, String, String)> = self
            .conn
            .query_row(&sqlite(sql::TOKEN), [id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .optional()
            .map_err(db)?;
        row.map(|(id, name, role, secret_sha256)| {
            Ok(TokenRecord {
                id,
                name,
                role: role_from(&role)?,
                secret_sha256,
            })
        })
        .transpose()
    }

    fn put_session(&mut self, s: &SessionRecord) -> Result<(), StoreError> {
        self.conn
            .execute(&sqlite(sql::EXPIRE_SESSIONS), [super::auth::unix_now()])
            .map_err(db)?;
        self.conn
            .execute(
                &sqlite(sql::PUT_SESSION),
                params![s.id_sha256, s.user, s.role.as_str(), s.csrf, s.expires_unix],
            )
            .map_err(db)?;
        Ok(())
    }

    fn session(&mut self, id_sha256: &str) -> Result<Option<SessionRecord>, StoreError> {
        let row: Option<(String, String, String, String, i64)> = self
            .conn
            .query_row(&sqlite(sql::SESSION), [id_sha256], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .optional()
            .map_err(db)?;
        row.map(|(id_sha256, user, role, csrf, expires_unix)| {
            Ok(SessionRecord {
                id_sha256,
                user,
                role: role_from(&role)?,
                csrf,
                expires_unix,
            })
        })
        .transpose()
    }

    fn put_steward(&mut self, user: &str, organisation: &str) -> Result<(), StoreError> {
        self.conn
            .execute(&sqlite(sql::PUT_STEWARD), params![user, organisation])
            .map_err(db)?;
        Ok(())
    }

    fn steward(&mut self, user: &str) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row(&sqlite(sql::STEWARD), [user], |r| r.get(0))
            .optional()
            .map_err(db)
    }

    fn delete_session(&mut self, id_sha256: &str) -> Result<(), StoreError> {
        self.conn
            .execute(&sqlite(sql::DELETE_SESSION), [id_sha256])
            .map_err(db)?;
        Ok(())
    }
}

//! The PostgreSQL store, for councils that run several replicas: each write
//! is one transaction, serialised by an advisory lock so change numbers
//! commit in order, and announced with `NOTIFY` so every replica applies it.

use std::time::Duration;

use fallible_iterator::FallibleIterator;
use postgres::{Client, IsolationLevel, NoTls};

use super::sql;
use super::sqlite::{asset_from, revision_from, role_from};
use super::store::{
    ContributionRow, Revision, Rows, SCHEMA_V1, SCHEMA_V2, SCHEMA_V3, SCHEMA_VERSION,
    SessionRecord, Store, StoreError, TokenRecord, UserRecord, Write, fields_json,
};

/// The channel replicas listen on.
pub const CHANNEL: &str = "assetmap_changes";
/// Advisory lock key that serialises writes.
const WRITE_LOCK: i64 = 0x6173_7365_746d_6170; // "assetmap"
/// Advisory lock key that serialises migrations.
const MIGRATE_LOCK: i64 = WRITE_LOCK + 1;

/// A PostgreSQL store.
pub struct PostgresStore {
    client: Client,
    label: String,
}

fn db(e: postgres::Error) -> StoreError {
    StoreError::Database(format!("PostgreSQL: {e}"))
}

/// The URL without its password, for logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{}@{}", &url[..scheme + 3], user, &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

/// Connects to `url` (a `postgres://` URL).
pub fn connect(url: &str) -> Result<Client, StoreError> {
    let mut config: postgres::Config = url
        .parse()
        .map_err(|e| StoreError::Database(format!("bad PostgreSQL URL {}: {e}", redact(url))))?;
    config.connect_timeout(Duration::from_secs(10));
    config.application_name("assetmap");
    config
        .connect(NoTls)
        .map_err(|e| StoreError::Database(format!("cannot connect to {}: {e}", redact(url))))
}

impl PostgresStore {
    /// Connects and migrates the schema.
    pub fn open(url: &str) -> Result<PostgresStore, StoreError> {
        let client = connect(url)?;
        let mut store = PostgresStore {
            client,
            label: format!("PostgreSQL {}", redact(url)),
        };
        store.migrate()?;
        Ok(store)
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        let mut tx = self.client.transaction().map_err(db)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATE_LOCK])
            .map_err(db)?;
        tx.batch_execute(sql::MIGRATIONS_TABLE).map_err(db)?;
        let version: i64 = tx.query_one(sql::SCHEMA_VERSION, &[]).map_err(db)?.get(0);
        if version > SCHEMA_VERSION {
            return Err(StoreError::Database(format!(
                "the store has schema version {version}, newer than this assetmap ({SCHEMA_VERSION}); upgrade assetmap"
            )));
        }
        if version < 1 {
            tx.batch_execute(&SCHEMA_V1.replace("{SERIAL}", "BIGSERIAL PRIMARY KEY"))
                .map_err(db)?;
            tx.execute(sql::RECORD_MIGRATION, &[&1i64, &super::time::now()])
                .map_err(db)?;
        }
        if version < 2 {
            tx.batch_execute(SCHEMA_V2).map_err(db)?;
            tx.execute(sql::RECORD_MIGRATION, &[&2i64, &super::time::now()])
                .map_err(db)?;
        }
        if version < 3 {
            tx.batch_execute(SCHEMA_V3).map_err(db)?;
            tx.execute(sql::RECORD_MIGRATION, &[&3i64, &super::time::now()])
                .map_err(db)?;
        }
        tx.commit().map_err(db)
    }

    fn read(&mut self, since: Option<u64>) -> Result<Rows, StoreError> {
        let mut tx = self
            .client
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .map_err(db)?;
        let version: i64 = tx.query_one(sql::VERSION, &[]).map_err(db)?.get(0);
        let rows = match since {
            None => tx.query(sql::LOAD, &[]).map_err(db)?,
            Some(v) if version as u64 > v => {
                tx.query(sql::CHANGED_SINCE, &[&(v as i64)]).map_err(db)?
            }
            Some(_) => Vec::new(),
        };
        let mut assets = Vec::with_capacity(rows.len());
        for r in rows {
            let slot: i32 = r.get(1);
            assets.push(asset_from((
                r.get(0),
                i64::from(slot),
                r.get(2),
                r.get(3),
                r.get(4),
                r.get(5),
                r.get(6),
                r.get(7),
            ))?);
        }
        tx.commit().map_err(db)?;
        Ok(Rows {
            version: version as u64,
            assets,
        })
    }
}

impl Store for PostgresStore {
    fn describe(&self) -> String {
        self.label.clone()
    }

    fn load(&mut self) -> Result<Rows, StoreError> {
        self.read(None)
    }

    fn changed_since(&mut self, version: u64) -> Result<Rows, StoreError> {
        self.read(Some(version))
    }

    fn version(&mut self) -> Result<u64, StoreError> {
        let v: i64 = self.client.query_one(sql::VERSION, &[]).map_err(db)?.get(0);
        Ok(v as u64)
    }

    fn commit_with(
        &mut self,
        writes: &[Write],
        contribution: Option<&ContributionRow>,
    ) -> Result<u64, StoreError> {
        let mut tx = self.client.transaction().map_err(db)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])
            .map_err(db)?;
        let current = tx.prepare(sql::CURRENT_REVISION).map_err(db)?;
        let insert_revision = tx.prepare(sql::INSERT_REVISION).map_err(db)?;
        let insert_asset = tx.prepare(sql::INSERT_ASSET).map_err(db)?;
        let update_asset = tx.prepare(sql::UPDATE_ASSET).map_err(db)?;
        let mut last_seq: i64 = tx.query_one(sql::VERSION, &[]).map_err(db)?.get(0);
        for w in writes {
            let a = &w.asset;
            let now: Option<i64> = tx
                .query_opt(&current, &[&a.id])
                .map_err(db)?
                .map(|r| r.get(0));
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
                    let seq: i64 = tx
                        .query_one(
                            &insert_revision,
                            &[
                                &a.id,
                                &(r.revision as i64),
                                &r.at,
                                &r.actor,
                                &r.action.as_str(),
                                &changes,
                                &r.reason,
                            ],
                        )
                        .map_err(db)?
                        .get(0);
                    last_seq = seq;
                    seq
                }
                None => last_seq,
            };
            let source_fields = a.source_fields.as_ref().map(fields_json);
            let fields = fields_json(&a.fields);
            match w.expected_revision {
                None => {
                    if now.is_some() {
                        return Err(StoreError::Exists(a.id.clone()));
                    }
                    tx.execute(
                        &insert_asset,
                        &[
                            &a.id,
                            &(a.revision as i64),
                            &a.source,
                            &fields,
                            &source_fields,
                            &a.created_at,
                            &a.updated_at,
                            &seq,
                        ],
                    )
                    .map_err(db)?;
                }
                Some(expected) => {
                    let n = tx
                        .execute(
                            &update_asset,
                            &[
                                &(a.revision as i64),
                                &a.source,
                                &fields,
                                &source_fields,
                                &a.updated_at,
                                &seq,
                                &a.id,
                                &(expected as i64),
                            ],
                        )
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
        if let Some(c) = contribution {
            match &c.expected_status {
                None => {
                    tx.execute(
                        sql::INSERT_CONTRIBUTION,
                        &[
                            &c.reference,
                            &c.status,
                            &c.created_at,
                            &c.updated_at,
                            &c.body,
                        ],
                    )
                    .map_err(db)?;
                }
                Some(expected) => {
                    let n = tx
                        .execute(
                            sql::DECIDE_CONTRIBUTION,
                            &[&c.reference, &c.status, &c.updated_at, &c.body, expected],
                        )
                        .map_err(db)?;
                    if n == 0 {
                        let current: Option<String> = tx
                            .query_opt(sql::CONTRIBUTION_STATUS, &[&c.reference])
                            .map_err(db)?
                            .map(|r| r.get(0));
                        return Err(StoreError::Decided {
                            reference: c.reference.clone(),
                            expected: expected.clone(),
                            current: current.unwrap_or_else(|| "missing".into()),
                        });
                    }
                }
            }
        }
        let version: i64 = tx.query_one(sql::VERSION, &[]).map_err(db)?.get(0);
        tx.execute(
            "SELECT pg_notify($1, $2)",
            &[&CHANNEL, &version.to_string()],
        )
        .map_err(db)?;
        tx.commit().map_err(db)?;
        Ok(version as u64)
    }

    fn contribution(&mut self, reference: &str) -> Result<Option<ContributionRow>, StoreError> {
        Ok(self
            .client
            .query_opt(sql::CONTRIBUTION, &[&reference])
            .map_err(db)?
            .map(|r| contribution_row(&r)))
    }

    fn contributions(
        &mut self,
        status: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ContributionRow>, StoreError> {
        let limit = limit.min(i64::MAX as usize) as i64;
        let rows = match status {
            Some(st) => self
                .client
                .query(sql::CONTRIBUTIONS_WITH_STATUS, &[&st, &limit])
                .map_err(db)?,
            None => self
                .client
                .query(sql::CONTRIBUTIONS, &[&limit])
                .map_err(db)?,
        };
        Ok(rows.iter().map(contribution_row).collect())
    }

    fn put_steward(&mut self, user: &str, organisation: &str) -> Result<(), StoreError> {
        self.client
            .execute(sql::PUT_STEWARD, &[&user, &organisation])
            .map_err(db)?;
        Ok(())
    }

    fn steward(&mut self, user: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .client
            .query_opt(sql::STEWARD, &[&user])
            .map_err(db)?
            .map(|r| r.get(0)))
    }

    fn history(&mut self, id: &str) -> Result<Vec<Revision>, StoreError> {
        let rows = self.client.query(sql::HISTORY, &[&id]).map_err(db)?;
        rows.into_iter()
            .map(|r| {
                revision_from((
                    r.get(0),
                    r.get(1),
                    r.get(2),
                    r.get(3),
                    r.get(4),
                    r.get(5),
                    r.get(6),
                    r.get(7),
                ))
            })
            .collect()
    }

    fn put_user(&mut self, u: &UserRecord) -> Result<(), StoreError> {
        self.client
            .execute(
                sql::PUT_USER,
                &[&u.name, &u.role.as_str(), &u.password_hash],
            )
            .map_err(db)?;
        Ok(())
    }

    fn user(&mut self, name: &str) -> Result<Option<UserRecord>, StoreError> {
        let row = self.client.query_opt(sql::USER, &[&name]).map_err(db)?;
        row.map(|r| {
            let role: String = r.get(1);
            Ok(UserRecord {
                name: r.get(0),
                role: role_from(&role)?,
                password_hash: r.get(2),
            })
        })
        .transpose()
    }

    fn put_token(&mut self, t: &TokenRecord) -> Result<(), StoreError> {
        self.client
            .execute(
                sql::PUT_TOKEN,
                &[&t.id, &t.name, &t.role.as_str(), &t.secret_sha256],
            )
            .map_err(db)?;
        Ok(())
    }

    fn token(&mut self, id: &str) -> Result<Option<TokenRecord>, StoreError> {
        let row = self.client.query_opt(sql::TOKEN, &[&id]).map_err(db)?;
        row.map(|r| {
            let role: String = r.get(2);
            Ok(TokenRecord {
                id: r.get(0),
                name: r.get(1),
                role: role_from(&role)?,
                secret_sha256: r.get(3),
            })
        })
        .transpose()
    }

    fn put_session(&mut self, s: &SessionRecord) -> Result<(), StoreError> {
        self.client
            .execute(sql::EXPIRE_SESSIONS, &[&super::auth::unix_now()])
            .map_err(db)?;
        self.client
            .execute(
                sql::PUT_SESSION,
                &[
                    &s.id_sha256,
                    &s.user,
                    &s.role.as_str(),
                    &s.csrf,
                    &s.expires_unix,
                ],
            )
            .map_err(db)?;
        Ok(())
    }

    fn session(&mut self, id_sha256: &str) -> Result<Option<SessionRecord>, StoreError> {
        let row = self
            .client
            .query_opt(sql::SESSION, &[&id_sha256])
            .map_err(db)?;
        row.map(|r| {
            let role: String = r.get(2);
            Ok(SessionRecord {
                id_sha256: r.get(0),
                user: r.get(1),
                role: role_from(&role)?,
                csrf: r.get(3),
                expires_unix: r.get(4),
            })
        })
        .transpose()
    }

    fn delete_session(&mut self, id_sha256: &str) -> Result<(), StoreError> {
        self.client
            .execute(sql::DELETE_SESSION, &[&id_sha256])
            .map_err(db)?;
        Ok(())
    }
}

/// Listens for changes on a connection of its own and calls `on_change`
/// for each notification, and at least every `check_every` (the fallback
/// if a notification is lost or the connection drops). Runs until the
/// process ends; reconnects with a back-off.
pub fn listen(url: String, check_every: Duration, on_change: impl Fn() + Send + 'static) {
    std::thread::Builder::new()
        .name("assetmap-listen".into())
        .spawn(move || {
            let mut backoff = Duration::from_millis(200);
            loop {
                match connect(&url).and_then(|mut c| {
                    c.batch_execute(&format!("LISTEN {CHANNEL}")).map_err(db)?;
                    Ok(c)
                }) {
                    Ok(mut client) => {
                        backoff = Duration::from_millis(200);
                        on_change();
                        loop {
                            let first = {
                                let mut notes = client.notifications();
                                let first = notes.timeout_iter(check_every).next();
                                if let Ok(Some(_)) = first {
                                    // Drain what else arrived, then apply once.
                                    while let Ok(Some(_)) = notes.iter().next() {}
                                }
                                first
                            };
                            match first {
                                Ok(Some(_)) => on_change(),
                                Ok(None) => on_change(),
                                Err(e) => {
                                    tracing::warn!(error = %e, "change listener lost its connection; reconnecting");
                                    break;
                                }
                            }
                            if client.is_closed() {
                                break;
                            }
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "change listener cannot connect; retrying");
                        on_change();
                    }
                }
                std::thread::sleep(backoff);
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        })
        .map(|_| ())
        .unwrap_or_else(|e| tracing::error!(error = %e, "cannot start the change listener"));
}

fn contribution_row(r: &postgres::Row) -> ContributionRow {
    ContributionRow {
        reference: r.get(0),
        status: r.get(1),
        created_at: r.get(2),
        updated_at: r.get(3),
        body: r.get(4),
        expected_status: None,
    }
}

//! The catalog over both real stores (SQLite and PostgreSQL), one suite:
//! edits and their history, stale revisions, the sync of official sources
//! with local edits, reopening, migrations and accounts.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use assetmap::catalog::store::Role;
use assetmap::catalog::{Action, AssetFields, Catalog, CatalogError, Edit, StoreLocation, auth};
use assetmap::ingest::Quiet;
use assetmap::model::{AssetStatus, Dataset};
use common::live::{fresh_database, postgres_admin};

fn demo() -> Dataset {
    assetmap::demo::load(&Quiet).unwrap().dataset
}

fn open(location: &StoreLocation, loaded: Dataset) -> (Catalog, assetmap::catalog::SyncReport) {
    Catalog::open(loaded, location.open().unwrap()).unwrap()
}

fn fields_of(c: &Catalog, id: &str) -> AssetFields {
    c.row(id).unwrap().fields
}

fn edit(c: &Catalog, id: &str, change: impl FnOnce(&mut AssetFields)) -> u64 {
    let row = c.row(id).unwrap();
    let mut fields = row.fields.clone();
    change(&mut fields);
    c.apply(
        Edit::Replace {
            id: id.into(),
            expected_revision: row.revision,
            fields,
        },
        "user:officer",
        Some("checked by phone"),
    )
    .unwrap()
    .revision
}

/// Each backend the suite runs on: a function giving a fresh, empty store.
fn backends(label: &str) -> Vec<(&'static str, StoreLocation, tempfile::TempDir)> {
    let dir = tempfile::tempdir().unwrap();
    let mut out = vec![(
        "sqlite",
        StoreLocation::Sqlite(dir.path().join(format!("{label}.sqlite"))),
        dir,
    )];
    if let Some(admin) = postgres_admin() {
        out.push((
            "postgres",
            StoreLocation::Postgres(fresh_database(&admin, label)),
            tempfile::tempdir().unwrap(),
        ));
    }
    out
}

/// Everything a source gives: assets with places and listings without.
fn entries(d: &assetmap::model::Dataset) -> Vec<assetmap::model::Asset> {
    d.entries().cloned().collect()
}

#[test]
fn edits_are_kept_with_their_history_and_survive_reopening() {
    for (backend, location, _dir) in backends("edits") {
        let d = demo();
        let first_id = d.assets[0].id.clone();
        let (c, report) = open(&location, demo());
        assert_eq!(
            report.created.len(),
            d.assets.len() + d.listings.len(),
            "{backend}"
        );
        assert_eq!(c.snapshot().assets.len(), d.assets.len());
        let v0 = c.version();

        // Create, update, retire, restore.
        let mut new = AssetFields::of(&d.assets[1]);
        new.name = "Saltmarsh lunch club".into();
        new.category = "community_centre".into();
        new.phone = Some("01234 567890".into());
        let created = c
            .apply(Edit::Create { fields: new }, "token:ci", None)
            .unwrap();
        assert!(created.id.starts_with("local:"));
        assert_eq!(created.revision, 1);
        let r2 = edit(&c, &created.id, |f| {
            f.opening_hours = Some("Tue 12:00-14:00".into())
        });
        assert_eq!(r2, 2);
        let retired = c
            .apply(
                Edit::Retire {
                    id: created.id.clone(),
                    expected_revision: 2,
                },
                "user:officer",
                Some("closed for good"),
            )
            .unwrap();
        assert_eq!(retired.fields.status, AssetStatus::Retired);
        assert!(
            !c.snapshot().asset_by_id.contains_key(&created.id),
            "retired assets leave the map"
        );
        let restored = edit(&c, &created.id, |f| f.status = AssetStatus::Active);
        assert_eq!(restored, 4);
        assert!(c.snapshot().asset_by_id.contains_key(&created.id));
        let history = c.history(&created.id).unwrap();
        let actions: Vec<Action> = history.iter().map(|r| r.action).collect();
        assert_eq!(
            actions,
            [
                Action::Create,
                Action::Update,
                Action::Retire,
                Action::Restore
            ],
            "{backend}"
        );
        assert_eq!(history[1].changes["opening_hours"].after, "Tue 12:00-14:00");
        assert_eq!(
            history[1].changes.len(),
            1,
            "only the changed field is recorded"
        );
        assert_eq!(history[2].reason.as_deref(), Some("closed for good"));
        assert_eq!(history[2].actor, "user:officer");
        assert!(history.windows(2).all(|w| w[0].seq < w[1].seq));
        assert_eq!(c.version(), v0 + 4);
        // An officer retires an imported asset: the source still has it, and
        // did not change it, so the local decision stands.
        let gp = c.row(&first_id).unwrap();
        c.apply(
            Edit::Retire {
                id: first_id.clone(),
                expected_revision: gp.revision,
            },
            "user:officer",
            None,
        )
        .unwrap();
        let version = c.version();
        drop(c);

        let (c, report) = open(&location, demo());
        assert_eq!(report.created.len(), 0, "{backend}: nothing is added twice");
        assert!(
            report.retired.is_empty() && report.updated.is_empty(),
            "{report:?}"
        );
        assert_eq!(
            c.version(),
            version,
            "{backend}: the version survives reopening"
        );
        assert_eq!(
            fields_of(&c, &created.id).opening_hours.as_deref(),
            Some("Tue 12:00-14:00")
        );
        assert_eq!(
            fields_of(&c, &first_id).status,
            AssetStatus::Retired,
            "{backend}"
        );
        assert!(
            report
                .kept_local_edits
                .contains(&(first_id.clone(), "status".into()))
        );
        assert_eq!(
            c.snapshot().assets.len(),
            d.assets.len(),
            "one created, one retired"
        );
    }
}

#[test]
fn a_stale_revision_is_refused_and_changes_nothing() {
    for (backend, location, _dir) in backends("stale") {
        let (c, _) = open(&location, demo());
        let id = c.snapshot().assets[5].id.clone();
        let row = c.row(&id).unwrap();
        edit(&c, &id, |f| f.name = "First".into());
        let mut fields = row.fields.clone();
        fields.name = "Second".into();
        let err = c
            .apply(
                Edit::Replace {
                    id: id.clone(),
                    expected_revision: row.revision,
                    fields,
                },
                "user:b",
                None,
            )
            .unwrap_err();
        assert!(
            matches!(err, CatalogError::Stale { current, .. } if current == row.revision + 1),
            "{backend}: {err:?}"
        );
        assert_eq!(fields_of(&c, &id).name, "First");
        assert_eq!(c.history(&id).unwrap().len(), 2);
        let same = c.row(&id).unwrap();
        let err = c
            .apply(
                Edit::Replace {
                    id: id.clone(),
                    expected_revision: same.revision,
                    fields: same.fields.clone(),
                },
                "user:b",
                None,
            )
            .unwrap_err();
        assert!(matches!(err, CatalogError::NoChange(_)), "{err:?}");
        let err = c
            .apply(
                Edit::Retire {
                    id: "gp:nope".into(),
                    expected_revision: 1,
                },
                "user:b",
                None,
            )
            .unwrap_err();
        assert!(matches!(err, CatalogError::NotFound(_)));
    }
}

#[test]
fn sync_adds_updates_retires_and_keeps_local_edits_until_the_source_changes_them() {
    for (backend, location, _dir) in backends("sync") {
        let d = demo();
        let (c, _) = open(&location, demo());
        let (a, b, gone) = (
            d.assets[2].id.clone(),
            d.assets[3].id.clone(),
            d.assets[4].id.clone(),
        );
        // Officers edit: a's phone, b's name.
        edit(&c, &a, |f| f.phone = Some("020 7946 0001".into()));
        edit(&c, &b, |f| f.name = "Name fixed by an officer".into());

        // The source changes a's name (not its phone), b's name, drops `gone`
        // and adds one.
        let mut next = demo();
        let mut assets = next.assets.clone();
        let ia = assets.iter().position(|x| x.id == a).unwrap();
        assets[ia].name = "Renamed by the source".into();
        let ib = assets.iter().position(|x| x.id == b).unwrap();
        assets[ib].name = "Renamed by the source too".into();
        let mut added = assets[0].clone();
        added.id = "gp:NEW01".into();
        added.name = "New practice".into();
        assets.retain(|x| x.id != gone);
        assets.push(added);
        next = next.with_assets(assets, 0);
        let sources: Vec<String> = d
            .info
            .sources
            .iter()
            .filter(|s| s.layer == "assets")
            .map(|s| s.name.clone())
            .collect();
        let report = c.sync(&entries(&next), &sources).unwrap();
        assert_eq!(report.created, ["gp:NEW01"], "{backend}");
        assert_eq!(report.retired, std::slice::from_ref(&gone));
        let mut updated = report.updated.clone();
        updated.sort();
        let mut expected = vec![a.clone(), b.clone()];
        expected.sort();
        assert_eq!(updated, expected);
        assert_eq!(report.conflicts.len(), 1, "{report:?}");
        assert_eq!(report.conflicts[0].id, b);
        assert_eq!(report.conflicts[0].field, "name");
        assert_eq!(report.conflicts[0].local, "Name fixed by an officer");
        assert!(
            report
                .kept_local_edits
                .contains(&(a.clone(), "phone".into()))
        );
        let fa = fields_of(&c, &a);
        assert_eq!(fa.name, "Renamed by the source");
        assert_eq!(
            fa.phone.as_deref(),
            Some("020 7946 0001"),
            "the local edit is kept"
        );
        assert_eq!(
            fields_of(&c, &b).name,
            "Renamed by the source too",
            "the source changed it: the source wins"
        );
        assert_eq!(
            fields_of(&c, &gone).status,
            AssetStatus::Retired,
            "retired, never deleted"
        );
        assert!(
            c.history(&gone)
                .unwrap()
                .last()
                .unwrap()
                .actor
                .starts_with("sync:")
        );
        assert!(report.to_text(5).contains("conflict"));

        // Back in the source: restored. The same import again: nothing changes.
        let report = c.sync(&entries(&d), &sources).unwrap();
        assert_eq!(report.restored, std::slice::from_ref(&gone), "{backend}");
        assert_eq!(report.retired, ["gp:NEW01"]);
        let report = c.sync(&entries(&d), &sources).unwrap();
        assert!(
            report.created.is_empty()
                && report.updated.is_empty()
                && report.retired.is_empty()
                && report.restored.is_empty(),
            "{report:?}"
        );
    }
}

#[test]
fn accounts_are_stored_hashed() {
    for (backend, location, _dir) in backends("accounts") {
        let (c, _) = open(&location, demo());
        let user = auth::new_user("alice", Role::Editor, "a long enough password").unwrap();
        let (token, secret) = auth::new_token("ci", Role::Admin).unwrap();
        c.with_store(|s| {
            s.put_user(&user)?;
            s.put_token(&token)
        })
        .unwrap();
        let got = c.with_store(|s| s.user("alice")).unwrap().unwrap();
        assert!(got.password_hash.starts_with("$argon2id$"), "{backend}");
        assert!(auth::password_matches(&got, "a long enough password"));
        let (id, key) = auth::parse_token(&secret).unwrap();
        let t = c.with_store(|s| s.token(id)).unwrap().unwrap();
        assert!(auth::token_matches(&t, key));
        assert_ne!(t.secret_sha256, key, "{backend}: the secret is not stored");
        let (session, cookie) = auth::new_session(&got);
        c.with_store(|s| s.put_session(&session)).unwrap();
        let found = c
            .with_store(|s| s.session(&auth::sha256_hex(cookie.as_bytes())))
            .unwrap()
            .unwrap();
        assert_eq!(found.user, "alice");
        c.with_store(|s| s.delete_session(&found.id_sha256))
            .unwrap();
        assert!(
            c.with_store(|s| s.session(&found.id_sha256))
                .unwrap()
                .is_none()
        );
    }
}

#[test]
fn the_sqlite_schema_is_versioned_and_a_newer_one_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.sqlite");
    drop(StoreLocation::Sqlite(path.clone()).open().unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let version: i64 = conn
        .query_row("SELECT MAX(version) FROM schema_migrations", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(version, assetmap::catalog::store::SCHEMA_VERSION);
    conn.execute("INSERT INTO schema_migrations VALUES (99, 'later')", [])
        .unwrap();
    drop(conn);
    let err = StoreLocation::Sqlite(path).open().err().expect("refused");
    assert!(err.to_string().contains("schema version 99"), "{err}");
}

#[test]
fn the_postgres_schema_is_versioned_and_migrated_once() {
    let Some(admin) = postgres_admin() else {
        return;
    };
    let url = fresh_database(&admin, "migrate");
    // Two replicas starting at once both migrate safely.
    let a = std::thread::spawn({
        let url = url.clone();
        move || StoreLocation::Postgres(url).open().map(|_| ())
    });
    let b = StoreLocation::Postgres(url.clone()).open().map(|_| ());
    assert!(a.join().unwrap().is_ok() && b.is_ok());
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let rows = client
        .query(
            "SELECT version FROM schema_migrations ORDER BY version",
            &[],
        )
        .unwrap();
    let versions: Vec<i64> = rows.iter().map(|r| r.get(0)).collect();
    assert_eq!(versions, [1, 2, 3], "each version applied once");
    client
        .batch_execute("INSERT INTO schema_migrations VALUES (99, 'later')")
        .unwrap();
    let err = StoreLocation::Postgres(url.clone())
        .open()
        .err()
        .expect("refused");
    assert!(err.to_string().contains("schema version 99"), "{err}");
    assert!(!err.to_string().contains("password"));
}

//! The store from the command line: `assetmap sync` reports what changed
//! since the last sync, `user add` and `token add` create accounts (secrets
//! shown once, stored hashed), and `export --store` exports the live assets.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::{Command, Stdio};

fn assetmap(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_assetmap"))
        .args(args)
        .env_remove("ASSETMAP_STORE")
        .env_remove("ASSETMAP_MANIFEST")
        .output()
        .expect("assetmap runs")
}

#[test]
fn sync_reports_what_changed_since_the_last_sync() {
    let dir = tempfile::tempdir().unwrap();
    assetmap::demo::write(dir.path()).unwrap();
    let manifest = dir.path().join("manifest.toml");
    let store = dir.path().join("store.sqlite");
    let (m, s) = (manifest.to_str().unwrap(), store.to_str().unwrap());
    let first = assetmap(&["sync", m, "--store", s, "--json"]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&first.stdout).unwrap();
    let created = report["created"].as_array().unwrap().len();
    assert!(created > 200, "{created}");

    // The GP list changes: one practice renamed, one gone.
    let path = dir.path().join("gp_practices.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines[1] = lines[1].replace(
        "ORCHARD PARK MEDICAL PRACTICE",
        "ORCHARD PARK HEALTH CENTRE",
    );
    let dropped = lines.remove(2);
    let dropped_id = format!("gp:{}", dropped.split(',').next().unwrap());
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let second = assetmap(&["sync", m, "--store", s]);
    assert!(
        second.status.success(),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    let text = String::from_utf8_lossy(&second.stdout);
    assert!(
        text.contains("0 added, 1 updated, 1 retired, 0 restored"),
        "{text}"
    );
    assert!(
        text.contains(&format!("retired (gone from the source): {dropped_id}")),
        "{text}"
    );
    assert!(text.contains("updated: gp:Z81001"), "{text}");

    // A backup is a consistent copy that opens as a store.
    let copy = dir.path().join("copy.sqlite");
    let backup = assetmap(&["backup", "--store", s, copy.to_str().unwrap()]);
    assert!(
        backup.status.success(),
        "{}",
        String::from_utf8_lossy(&backup.stderr)
    );
    assert!(String::from_utf8_lossy(&backup.stdout).contains("data version"));
    let again = assetmap(&["backup", "--store", s, copy.to_str().unwrap()]);
    assert!(
        !again.status.success(),
        "an existing file is not overwritten"
    );
    let restored = assetmap(&["sync", m, "--store", copy.to_str().unwrap(), "--json"]);
    let r: serde_json::Value = serde_json::from_slice(&restored.stdout).unwrap();
    assert_eq!(
        r["created"].as_array().unwrap().len(),
        0,
        "the copy has every asset"
    );
    assert_eq!(r["retired"].as_array().unwrap().len(), 0);

    // The live export has the rename and not the retired practice.
    let out = dir.path().join("gp.csv");
    let export = assetmap(&[
        "export",
        "--manifest",
        m,
        "--store",
        s,
        "--format",
        "csv",
        "--category",
        "gp",
        "--output",
        out.to_str().unwrap(),
    ]);
    assert!(
        export.status.success(),
        "{}",
        String::from_utf8_lossy(&export.stderr)
    );
    let csv = std::fs::read_to_string(&out).unwrap();
    assert!(csv.contains("ORCHARD PARK HEALTH CENTRE"));
    assert!(!csv.contains(&dropped_id));
}

#[test]
fn accounts_are_made_from_the_command_line_and_secrets_shown_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("accounts.sqlite");
    let s = store.to_str().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_assetmap"))
        .args([
            "user",
            "add",
            "alice",
            "--role",
            "editor",
            "--password-stdin",
            "--store",
            s,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"correct horse battery staple\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("correct horse"),
        "the password is not echoed"
    );

    let short = Command::new(env!("CARGO_BIN_EXE_assetmap"))
        .args([
            "user",
            "add",
            "bob",
            "--role",
            "editor",
            "--password-stdin",
            "--store",
            s,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut short = short;
    short.stdin.take().unwrap().write_all(b"short\n").unwrap();
    assert!(
        !short.wait_with_output().unwrap().status.success(),
        "short passwords are refused"
    );

    let made = assetmap(&["user", "add", "carol", "--role", "admin", "--store", s]);
    assert!(made.status.success());
    let password = String::from_utf8_lossy(&made.stdout)
        .lines()
        .last()
        .unwrap()
        .trim()
        .to_string();
    assert!(
        password.len() >= 16,
        "a strong password is made: {password}"
    );

    let token = assetmap(&["token", "add", "ci", "--role", "admin", "--store", s]);
    assert!(token.status.success());
    let shown = String::from_utf8_lossy(&token.stdout)
        .lines()
        .last()
        .unwrap()
        .trim()
        .to_string();
    assert!(shown.starts_with("amt_"), "{shown}");
    let bad_role = assetmap(&["token", "add", "ci", "--role", "owner", "--store", s]);
    assert!(!bad_role.status.success());
    assert!(String::from_utf8_lossy(&bad_role.stderr).contains("editor or admin"));

    // At rest: hashes only.
    let conn = rusqlite::Connection::open(&store).unwrap();
    let hash: String = conn
        .query_row(
            "SELECT password_hash FROM users WHERE name = 'alice'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(hash.starts_with("$argon2id$") && !hash.contains("horse"));
    let carol: String = conn
        .query_row(
            "SELECT password_hash FROM users WHERE name = 'carol'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(!carol.contains(&password));
    let secret: String = conn
        .query_row(
            "SELECT secret_sha256 FROM tokens WHERE name = 'ci'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(!shown.contains(&secret) && secret.len() == 64);
}

#[test]
fn no_credential_reaches_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("log.sqlite");
    let s = store.to_str().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_assetmap"))
        .args([
            "user",
            "add",
            "dora",
            "--role",
            "editor",
            "--password-stdin",
            "--store",
            s,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"a secret sentence for dora\n")
        .unwrap();
    assert!(child.wait().unwrap().success());
    let token = common::live::token(s, "editor");
    let server = common::live::Server::start(s, &[]);
    let signin = common::live::request(
        server.addr,
        "POST",
        "/signin",
        &[("content-type", "application/x-www-form-urlencoded")],
        b"name=dora&password=a+secret+sentence+for+dora",
    )
    .unwrap();
    assert_eq!(signin.status, 303);
    let cookie = signin
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let value = cookie.split('=').nth(1).unwrap().to_string();
    let session = common::live::request(
        server.addr,
        "GET",
        "/api/session",
        &[("cookie", &cookie)],
        b"",
    )
    .unwrap()
    .json();
    let wrong = common::live::request(
        server.addr,
        "POST",
        "/signin",
        &[("content-type", "application/x-www-form-urlencoded")],
        b"name=dora&password=a+wrong+guess+for+dora",
    )
    .unwrap();
    assert_eq!(wrong.status, 401);
    let id = common::live::get(server.addr, "/collections/assets/items?limit=1").json()["features"]
        [0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let auth = format!("Bearer {token}");
    let patch = common::live::request(
        server.addr,
        "PATCH",
        &format!("/collections/assets/items/{id}"),
        &[
            ("authorization", &auth),
            ("content-type", "application/merge-patch+json"),
            ("if-match", "\"r1\""),
        ],
        br#"{"properties":{"phone":"01632 960000"}}"#,
    )
    .unwrap();
    assert_eq!(patch.status, 200);
    std::thread::sleep(std::time::Duration::from_millis(200));
    let log = server.log.lock().unwrap().join("\n");
    assert!(
        log.contains("signed in") && log.contains("sign-in refused"),
        "{log}"
    );
    assert!(
        log.contains("/collections/assets/items/"),
        "one access line per request: {log}"
    );
    for secret in [
        "secret sentence",
        "secret+sentence",
        "wrong guess",
        "wrong+guess",
        &token[4..],
        &value,
        session["csrf"].as_str().unwrap(),
    ] {
        assert!(!log.contains(secret), "{secret:?} reached the log");
    }
}

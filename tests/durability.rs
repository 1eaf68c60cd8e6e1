//! Nothing acknowledged is ever lost: a client streams writes (create,
//! update, retire) while the server is SIGKILLed at random moments, 20
//! times, on SQLite and on PostgreSQL. After each restart every
//! acknowledged write is there, and no revision is partial.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::live::{Server, fresh_database, get, postgres_admin, request, token};
use serde_json::{Value, json};

const CYCLES: usize = 20;

/// What an acknowledged write promised.
#[derive(Debug, Clone)]
enum Promise {
    Named(String),
    Retired,
}

#[derive(Debug, Clone)]
struct Acked {
    id: String,
    revision: u64,
    promise: Promise,
}

/// A small deterministic generator (the kill moments and the operations).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

fn point(addr: SocketAddr) -> (f64, f64) {
    let config = get(addr, "/app/config.json").json();
    let b = config["bounds"].as_array().unwrap();
    let (x0, y0, x1, y1) = (
        b[0].as_f64().unwrap(),
        b[1].as_f64().unwrap(),
        b[2].as_f64().unwrap(),
        b[3].as_f64().unwrap(),
    );
    // Somewhere inside a ward: the first ward's label point.
    let wards = get(addr, "/api/wards").json();
    let p = wards["wards"][0]["label_point"].as_array().unwrap();
    let at = (p[0].as_f64().unwrap(), p[1].as_f64().unwrap());
    assert!(at.0 > x0 && at.0 < x1 && at.1 > y0 && at.1 < y1);
    at
}

/// Streams writes until the server goes away; returns what was acknowledged.
fn stream(
    addr: SocketAddr,
    auth: String,
    live: Vec<(String, u64)>,
    stop: Arc<AtomicBool>,
    seed: u64,
) -> Vec<Acked> {
    let mut rng = Lcg(seed);
    let mut live = live;
    let mut acked = Vec::new();
    let at = point(addr);
    let mut n = 0u64;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let op = if live.len() < 3 { 0 } else { rng.next(10) };
        let result = if op < 3 {
            let name = format!("Durable {seed}-{n}");
            let body = json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [at.0, at.1]}, "properties": {"category": "warm_space", "name": name}});
            request(
                addr,
                "POST",
                "/collections/assets/items",
                &[
                    ("authorization", &auth),
                    ("content-type", "application/geo+json"),
                ],
                body.to_string().as_bytes(),
            )
            .map(|r| (r, None, Promise::Named(name)))
        } else {
            let k = rng.next(live.len() as u64) as usize;
            let (id, revision) = live[k].clone();
            let path = format!("/collections/assets/items/{id}");
            let etag = format!("\"r{revision}\"");
            if op < 9 {
                let name = format!("Renamed {seed}-{n}");
                let body = json!({"properties": {"name": name}});
                request(
                    addr,
                    "PATCH",
                    &path,
                    &[
                        ("authorization", &auth),
                        ("content-type", "application/merge-patch+json"),
                        ("if-match", &etag),
                    ],
                    body.to_string().as_bytes(),
                )
                .map(|r| (r, Some(k), Promise::Named(name)))
            } else {
                request(
                    addr,
                    "DELETE",
                    &path,
                    &[("authorization", &auth), ("if-match", &etag)],
                    b"",
                )
                .map(|r| (r, Some(k), Promise::Retired))
            }
        };
        let Ok((reply, slot, promise)) = result else {
            break;
        };
        if reply.status >= 500 || reply.status == 0 {
            break;
        }
        assert!(
            reply.status < 300,
            "a write was refused: {} {}",
            reply.status,
            String::from_utf8_lossy(&reply.body)
        );
        let revision: u64 = reply
            .header("etag")
            .unwrap()
            .trim_matches('"')
            .trim_start_matches('r')
            .parse()
            .unwrap();
        let id = match slot {
            Some(k) => live[k].0.clone(),
            None => reply.json()["id"].as_str().unwrap().to_string(),
        };
        match (&promise, slot) {
            (Promise::Retired, Some(k)) => {
                live.remove(k);
            }
            (_, Some(k)) => live[k].1 = revision,
            (_, None) => live.push((id.clone(), revision)),
        }
        acked.push(Acked {
            id,
            revision,
            promise,
        });
    }
    acked
}

/// Checks every acknowledged write against the restarted server; returns
/// the assets still on the map with their current revisions.
fn verify(addr: SocketAddr, acked: &[Acked]) -> Vec<(String, u64)> {
    let ids: BTreeSet<&str> = acked.iter().map(|a| a.id.as_str()).collect();
    let mut live = Vec::new();
    for id in ids {
        let h = get(addr, &format!("/api/assets/{id}/history"));
        assert_eq!(h.status, 200, "asset {id} is missing after a restart");
        let h = h.json();
        let revisions = h["revisions"].as_array().unwrap();
        // No partial revision: numbered 1..=n, the row at n, each with changes.
        for (k, r) in revisions.iter().enumerate() {
            assert_eq!(
                r["revision"].as_u64().unwrap(),
                k as u64 + 1,
                "{id}: revisions are contiguous"
            );
            assert!(
                !r["changes"].as_object().unwrap().is_empty(),
                "{id}: a revision without changes"
            );
        }
        assert_eq!(
            h["revision"].as_u64().unwrap(),
            revisions.len() as u64,
            "{id}: the row is at its last revision"
        );
        if h["status"] != "retired" {
            live.push((id.to_string(), h["revision"].as_u64().unwrap()));
        }
    }
    for a in acked {
        let h = get(addr, &format!("/api/assets/{}/history", a.id)).json();
        let r = h["revisions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["revision"].as_u64() == Some(a.revision));
        let r =
            r.unwrap_or_else(|| panic!("acknowledged revision {} of {} is lost", a.revision, a.id));
        match &a.promise {
            Promise::Named(name) => assert_eq!(
                r["changes"]["name"]["after"],
                Value::String(name.clone()),
                "{a:?}"
            ),
            Promise::Retired => assert_eq!(r["action"], "retire", "{a:?}"),
        }
    }
    live
}

fn run(store: &str, backend: &str) {
    let auth = format!("Bearer {}", token(store, "editor"));
    let mut rng = Lcg(0x5eed_0000 + backend.len() as u64);
    let mut acked: Vec<Acked> = Vec::new();
    let mut kills_mid_stream = 0;
    for cycle in 0..CYCLES {
        let server = Server::start(store, &[]);
        let addr = server.addr;
        let live = verify(addr, &acked);
        let stop = Arc::new(AtomicBool::new(false));
        let writer = std::thread::spawn({
            let (auth, live, stop) = (auth.clone(), live.clone(), stop.clone());
            move || stream(addr, auth, live, stop, cycle as u64)
        });
        std::thread::sleep(Duration::from_millis(50 + rng.next(450)));
        server.kill();
        stop.store(true, Ordering::Relaxed);
        let got = writer.join().unwrap();
        if !got.is_empty() {
            kills_mid_stream += 1;
        }
        acked.extend(got);
    }
    let server = Server::start(store, &[]);
    verify(server.addr, &acked);
    let creates = acked.iter().filter(|a| a.revision == 1).count();
    let retires = acked
        .iter()
        .filter(|a| matches!(a.promise, Promise::Retired))
        .count();
    eprintln!(
        "durability ({backend}): {CYCLES} SIGKILLs ({kills_mid_stream} with writes in flight), {} acknowledged writes ({creates} creates, {} updates, {retires} retires), all present after restart",
        acked.len(),
        acked.len() - creates - retires
    );
    assert!(
        acked.len() >= CYCLES,
        "writes were streamed: {}",
        acked.len()
    );
    assert!(retires > 0 && creates > 0);
}

#[test]
fn acknowledged_writes_survive_sigkill_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("durable.sqlite");
    run(store.to_str().unwrap(), "sqlite");
}

#[test]
fn acknowledged_writes_survive_sigkill_on_postgres() {
    let Some(admin) = postgres_admin() else {
        return;
    };
    run(&fresh_database(&admin, "durable"), "postgres");
}

/// A contribution or decision the server acknowledged.
#[derive(Debug, Clone)]
enum Said {
    /// Received (201) with this reference.
    Received(String),
    /// Decided (200): the reference, the status, and the asset an approval made.
    Decided(String, String, Option<String>),
}

/// Streams suggestions and decisions until the server goes away.
fn stream_contributions(
    addr: SocketAddr,
    auth: String,
    mut pending: Vec<String>,
    stop: Arc<AtomicBool>,
    seed: u64,
) -> Vec<Said> {
    let mut rng = Lcg(seed);
    let mut said = Vec::new();
    let postcode = get(addr, "/app/config.json").json()["example_postcode"]
        .as_str()
        .unwrap()
        .to_string();
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let reply = if pending.is_empty() || rng.next(3) > 0 {
            let body = json!({"kind": "new", "name": format!("Suggested {seed}-{n}"), "category": "warm_space", "postcode": postcode});
            request(
                addr,
                "POST",
                "/api/contributions",
                &[("content-type", "application/json")],
                body.to_string().as_bytes(),
            )
            .map(|r| (r, None))
        } else {
            let reference = pending.remove(rng.next(pending.len() as u64) as usize);
            let body = if rng.next(2) == 0 {
                json!({"decision": "approve"})
            } else {
                json!({"decision": "decline", "reason": format!("declined {seed}-{n}")})
            };
            request(
                addr,
                "POST",
                &format!("/api/contributions/{reference}/decision"),
                &[
                    ("content-type", "application/json"),
                    ("authorization", &auth),
                ],
                body.to_string().as_bytes(),
            )
            .map(|r| (r, Some(reference)))
        };
        let Ok((reply, decided)) = reply else { break };
        if reply.status >= 500 || reply.status == 0 {
            break;
        }
        assert!(
            reply.status < 300,
            "refused: {} {}",
            reply.status,
            String::from_utf8_lossy(&reply.body)
        );
        let v = reply.json();
        match decided {
            None => {
                let r = v["reference"].as_str().unwrap().to_string();
                pending.push(r.clone());
                said.push(Said::Received(r));
            }
            Some(r) => said.push(Said::Decided(
                r,
                v["status"].as_str().unwrap().to_string(),
                v["result_asset_id"].as_str().map(str::to_string),
            )),
        }
    }
    said
}

/// Checks every acknowledged contribution and decision; returns the pending ones.
fn verify_contributions(addr: SocketAddr, said: &[Said]) -> Vec<String> {
    let mut last: std::collections::BTreeMap<String, &Said> = Default::default();
    for s in said {
        let r = match s {
            Said::Received(r) | Said::Decided(r, _, _) => r.clone(),
        };
        last.insert(r, s);
    }
    let mut pending = Vec::new();
    for (reference, s) in last {
        let reply = get(addr, &format!("/api/contributions/{reference}"));
        assert_eq!(reply.status, 200, "contribution {reference} is lost");
        let v = reply.json();
        match s {
            Said::Received(_) => {
                // Acknowledged as received; a decision may have been made
                // and lost with its answer only if it was never acknowledged.
                if v["status"] == "pending" {
                    pending.push(reference.clone());
                }
            }
            Said::Decided(_, status, asset) => {
                assert_eq!(
                    v["status"],
                    status.as_str(),
                    "{reference}: the decision is lost"
                );
                if let Some(id) = asset {
                    let h = get(addr, &format!("/api/assets/{id}/history"));
                    assert_eq!(h.status, 200, "{reference}: its asset {id} is lost");
                    let h = h.json();
                    assert!(
                        h["revisions"][0]["reason"]
                            .as_str()
                            .unwrap()
                            .contains(&reference),
                        "{reference}: the revision names it"
                    );
                }
            }
        }
    }
    pending
}

fn run_contributions(store: &str, backend: &str) {
    let auth = format!("Bearer {}", token(store, "editor"));
    let mut rng = Lcg(0xc0de_0000 + backend.len() as u64);
    let mut said: Vec<Said> = Vec::new();
    let cycles = CYCLES / 2;
    for cycle in 0..cycles {
        let server = Server::start(store, &["--contributions-per-hour", "0"]);
        let addr = server.addr;
        let pending = verify_contributions(addr, &said);
        let stop = Arc::new(AtomicBool::new(false));
        let writer = std::thread::spawn({
            let (auth, stop) = (auth.clone(), stop.clone());
            move || stream_contributions(addr, auth, pending, stop, cycle as u64)
        });
        std::thread::sleep(Duration::from_millis(50 + rng.next(450)));
        server.kill();
        stop.store(true, Ordering::Relaxed);
        said.extend(writer.join().unwrap());
    }
    let server = Server::start(store, &[]);
    verify_contributions(server.addr, &said);
    let received = said
        .iter()
        .filter(|s| matches!(s, Said::Received(_)))
        .count();
    let decided = said.len() - received;
    eprintln!(
        "contributions ({backend}): {cycles} SIGKILLs, {received} acknowledged contributions and {decided} decisions, all present after restart"
    );
    assert!(received >= cycles && decided > 0, "{received} {decided}");
}

#[test]
fn acknowledged_contributions_and_decisions_survive_sigkill_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("contributions.sqlite");
    run_contributions(store.to_str().unwrap(), "sqlite");
}

#[test]
fn acknowledged_contributions_and_decisions_survive_sigkill_on_postgres() {
    let Some(admin) = postgres_admin() else {
        return;
    };
    run_contributions(&fresh_database(&admin, "contrib_durable"), "postgres");
}

//! SIGTERM (systemd, Docker, Kubernetes) and SIGINT stop the server cleanly:
//! new connections are refused, a request in flight is answered, a stalled
//! client does not hold the process past the grace period, and it exits 0.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::live::Server;

fn signal(server: &Server, name: &str) {
    let status = std::process::Command::new("kill")
        .args([&format!("-{name}"), &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

fn stops_cleanly(name: &str) {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.sqlite");
    let mut server = Server::start(store.to_str().unwrap(), &["--shutdown-grace-s", "2"]);
    // A client that sends half a request header and stalls.
    let mut stalled = TcpStream::connect(server.addr).unwrap();
    stalled
        .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    // A request in flight: its body arrives after the signal.
    let body = br#"{"category":"gp","add":[]}"#;
    let mut in_flight = TcpStream::connect(server.addr).unwrap();
    in_flight
        .write_all(
            format!("POST /api/gaps/scenario HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len())
                .as_bytes(),
        )
        .unwrap();
    in_flight.write_all(&body[..5]).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let signalled = Instant::now();
    signal(&server, name);
    std::thread::sleep(Duration::from_millis(300));
    in_flight.write_all(&body[5..]).unwrap();
    let mut answer = String::new();
    in_flight
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    in_flight.read_to_string(&mut answer).unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 200"),
        "{name}: the request in flight is answered: {answer:.80}"
    );
    // New connections are refused once it is shutting down.
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        TcpStream::connect_timeout(&server.addr, Duration::from_millis(500))
            .and_then(|mut s| {
                s.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")?;
                let mut out = String::new();
                s.read_to_string(&mut out)?;
                Ok(out)
            })
            .map(|out| !out.starts_with("HTTP/1.1 200"))
            .unwrap_or(true),
        "{name}: no new request is served"
    );
    // The stalled client does not keep it up past the grace period.
    let status = loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            signalled.elapsed() < Duration::from_secs(8),
            "{name}: still running after the grace period"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{name}: exit status {status:?}");
    drop(stalled);
    let log = server.log.lock().unwrap().join("\n");
    assert!(log.contains("shutting down"), "{log}");
}

#[test]
fn sigterm_drains_and_exits_zero() {
    stops_cleanly("TERM");
}

#[test]
fn sigint_drains_and_exits_zero() {
    stops_cleanly("INT");
}

//! Connections a hostile client cannot hold: half-sent headers and idle
//! keep-alive connections are closed after the header timeout, a body that
//! stops arriving is refused, and past the connection cap a client gets 503
//! at once while the server keeps serving.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::live::{Server, get};

fn start(extra: &[&str]) -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.sqlite");
    let server = Server::start(store.to_str().unwrap(), extra);
    (dir, server)
}

/// Reads until the server closes the connection; returns what it sent.
fn until_closed(s: &mut TcpStream, within: Duration) -> Option<String> {
    s.set_read_timeout(Some(within)).unwrap();
    let mut out = Vec::new();
    match s.read_to_end(&mut out) {
        Ok(_) => Some(String::from_utf8_lossy(&out).into_owned()),
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
            Some(String::from_utf8_lossy(&out).into_owned())
        }
        Err(_) => None,
    }
}

#[test]
fn half_sent_headers_and_idle_connections_are_closed_after_the_header_timeout() {
    let (_dir, server) = start(&["--header-timeout-s", "1"]);
    let mut slow: Vec<TcpStream> = (0..30)
        .map(|_| {
            let mut s = TcpStream::connect(server.addr).unwrap();
            s.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                .unwrap();
            s
        })
        .collect();
    let mut idle = TcpStream::connect(server.addr).unwrap();
    idle.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let started = Instant::now();
    for s in &mut slow {
        assert!(
            until_closed(s, Duration::from_secs(5)).is_some(),
            "a slowloris connection is closed"
        );
    }
    let answered = until_closed(&mut idle, Duration::from_secs(5))
        .expect("an idle keep-alive connection is closed");
    assert!(answered.starts_with("HTTP/1.1 200"), "{answered}");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(
        get(server.addr, "/health").status,
        200,
        "the server still serves"
    );
}

#[test]
fn past_the_connection_cap_a_client_gets_503_at_once() {
    let (_dir, server) = start(&["--max-connections", "3", "--header-timeout-s", "30"]);
    let held: Vec<TcpStream> = (0..3)
        .map(|_| {
            let mut s = TcpStream::connect(server.addr).unwrap();
            s.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n").unwrap();
            s
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let mut extra = TcpStream::connect(server.addr).unwrap();
    let _ = extra.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    let answer = until_closed(&mut extra, Duration::from_secs(3)).expect("answered and closed");
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(
        answer.contains("Retry-After: 1") && answer.contains("ServiceUnavailable"),
        "{answer}"
    );
    drop(held);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        get(server.addr, "/health").status,
        200,
        "slots come back when connections close"
    );
    let log = server.log.lock().unwrap().join("\n");
    assert!(log.contains("too many open"), "the refusal is logged");
}

#[test]
fn a_body_that_stops_arriving_is_refused() {
    let (_dir, server) = start(&[]);
    let mut s = TcpStream::connect(server.addr).unwrap();
    s.write_all(b"POST /api/gaps/scenario HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"category\"").unwrap();
    let started = Instant::now();
    let answer = until_closed(&mut s, Duration::from_secs(20)).expect("answered");
    let elapsed = started.elapsed();
    let status: u16 = answer
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    assert!((400..500).contains(&status), "{answer}");
    assert!(answer.contains("\"code\""), "the documented JSON: {answer}");
    assert!(
        elapsed < Duration::from_secs(15),
        "refused after the body timeout, not the request timeout: {elapsed:?}"
    );
}

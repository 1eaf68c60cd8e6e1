//! The accept loop: HTTP/1.1 connections with bounds a hostile client cannot
//! stretch. A request's headers (and an idle keep-alive connection's next
//! request) must arrive within `header_read_timeout`; at most
//! `max_connections` are open at once, and one more is answered 503 and
//! closed; on shutdown, connections finish their requests and close, for up
//! to `grace`.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};

/// Default time a client has to send a request's headers, and that an idle
/// keep-alive connection is kept.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Default most open connections.
pub const DEFAULT_MAX_CONNECTIONS: usize = 2048;

/// The connection's read buffer, bytes: a request line and headers
/// larger than this are refused by hyper with a bare 431 (those between
/// [`super::layers::MAX_HEADER_BYTES`] and this get the JSON 431).
pub const MAX_READ_BUFFER_BYTES: usize = 256 * 1024;

/// How the server treats connections.
#[derive(Debug, Clone, Copy)]
pub struct ServeOptions {
    /// Time to send a request's headers (also the keep-alive idle time).
    pub header_read_timeout: Duration,
    /// Most open connections; one more gets 503 and is closed.
    pub max_connections: usize,
    /// After the shutdown signal, how long open requests may take.
    pub grace: Duration,
}

impl Default for ServeOptions {
    fn default() -> ServeOptions {
        ServeOptions {
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            grace: Duration::from_secs(10),
        }
    }
}

const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\nConnection: close\r\nContent-Length: 85\r\n\r\n{\"code\":\"ServiceUnavailable\",\"description\":\"too many open connections; try again soon\"}";

/// Serves `app` on `listener` until `shutdown` resolves, then drains.
/// Returns how many connections were still open when the grace period ended.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    options: ServeOptions,
    shutdown: impl Future<Output = ()>,
) -> usize {
    let slots = Arc::new(Semaphore::new(options.max_connections));
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let (mut stream, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // Out of file descriptors, or a connection reset before accept:
                // back off a moment rather than spin.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tokio::spawn(async move {
                let _ = tokio::time::timeout(Duration::from_secs(1), stream.write_all(BUSY)).await;
                let _ = stream.shutdown().await;
            });
            tracing::warn!(client = %peer.ip(), max = options.max_connections, "connection refused: too many open");
            continue;
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(tower::ServiceExt::map_request(
            app.clone(),
            move |mut request: axum::extract::Request<hyper::body::Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                request.map(axum::body::Body::new)
            },
        ));
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(options.header_read_timeout)
                .max_buf_size(MAX_READ_BUFFER_BYTES)
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service);
            tokio::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                () = async {
                    while !*stop.borrow_and_update() {
                        if stop.changed().await.is_err() {
                            break;
                        }
                    }
                } => {
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.as_mut().await;
                }
            }
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    let all = u32::try_from(options.max_connections).unwrap_or(u32::MAX);
    match tokio::time::timeout(options.grace, slots.acquire_many(all)).await {
        Ok(_) => 0,
        Err(_) => options.max_connections - slots.available_permits(),
    }
}

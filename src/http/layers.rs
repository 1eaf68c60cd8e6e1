//! The layer every request passes through first: one access-log line per
//! request (method, path, status, time; never the query or headers, so no
//! credential or postcode reaches the log), and CORS for public reads
//! (`GET` and `HEAD` from any origin, without credentials; writes are not
//! offered to other sites). It also gives every response
//! `X-Content-Type-Options: nosniff`, and turns the plain-text or empty error
//! answers of the framework's own rejections (a path that is not UTF-8, a
//! body over the limit, a request that timed out) into the documented JSON
//! `{code, description}`. Written as a plain tower service, with no boxing,
//! because it is on the path of every tile.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::body::Body;
use axum::http::{HeaderValue, Method, Request, Response, StatusCode, header};
use axum::response::IntoResponse;
use tower::{Layer, Service};

/// Headers other sites' scripts may read.
const EXPOSED: &str = "etag, link, content-crs, location";

/// Adds the access log and CORS.
#[derive(Clone, Copy, Default)]
pub struct AccessLayer;

impl<S> Layer<S> for AccessLayer {
    type Service = Access<S>;
    fn layer(&self, inner: S) -> Access<S> {
        Access { inner }
    }
}

/// The service [`AccessLayer`] makes.
#[derive(Clone)]
pub struct Access<S> {
    inner: S,
}

/// Largest request line plus headers answered (with the documented JSON
/// 431 past it). The connection reads up to
/// [`super::server::MAX_READ_BUFFER_BYTES`]; beyond that hyper itself
/// answers a bare 431.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;

/// What the log line needs, kept only when the line will be written.
struct Seen {
    started: Instant,
    method: Method,
    path: String,
}

/// The JSON body for an error answer that has none of its own.
fn json_error(status: StatusCode) -> Option<Response<Body>> {
    let (code, description) = match status.as_u16() {
        400 => (
            "InvalidParameterValue",
            "the request could not be read: a path segment or the query is not valid (percent-encoded UTF-8)",
        ),
        404 => ("NotFound", "no resource at this address"),
        405 => ("MethodNotAllowed", "this method is not allowed here"),
        408 => (
            "RequestTimeout",
            "the request took too long to answer; try a smaller one",
        ),
        413 => (
            "PayloadTooLarge",
            "the request body is larger than this server accepts (see the route's limit)",
        ),
        415 => (
            "UnsupportedMediaType",
            "the body's Content-Type is not one this route accepts",
        ),
        422 => ("InvalidValue", "the body could not be read"),
        s if s >= 500 => ("ServerError", "internal error"),
        s if s >= 400 => ("BadRequest", "the request could not be answered"),
        _ => return None,
    };
    // The one error shape the API documents (`ApiError`).
    Some(super::ApiError::status(status, code, description).into_response())
}

/// Whether an error answer lacks a body of the documented kind.
fn plain_error(response: &Response<Body>) -> bool {
    response.status().as_u16() >= 400
        && response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_none_or(|t| t.starts_with("text/plain"))
}

fn logging() -> bool {
    tracing::enabled!(target: "assetmap::access", tracing::Level::INFO)
}

impl<S> Service<Request<Body>> for Access<S>
where
    S: Service<Request<Body>, Response = Response<Body>>,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = AccessFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        let seen = logging().then(|| Seen {
            started: Instant::now(),
            method: request.method().clone(),
            path: request.uri().path().to_string(),
        });
        let header_bytes: usize = request
            .headers()
            .iter()
            .map(|(k, v)| k.as_str().len() + v.len() + 4)
            .sum::<usize>()
            + request
                .uri()
                .path_and_query()
                .map_or(0, |p| p.as_str().len());
        if header_bytes > MAX_HEADER_BYTES {
            let r = super::ApiError::status(
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                "RequestHeaderFieldsTooLarge",
                format!(
                    "the request line and headers are {header_bytes} bytes; at most {MAX_HEADER_BYTES} are accepted"
                ),
            )
            .into_response();
            return AccessFuture {
                inner: None,
                ready: Some(r),
                seen,
                cors: false,
            };
        }
        let cross_site = request.headers().contains_key(header::ORIGIN);
        if cross_site && request.method() == Method::OPTIONS {
            // A preflight: only simple reads are offered to other sites.
            let mut r = Response::new(Body::empty());
            *r.status_mut() = StatusCode::NO_CONTENT;
            let h = r.headers_mut();
            h.insert(
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                HeaderValue::from_static("*"),
            );
            h.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static("GET, HEAD"),
            );
            h.insert(
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from_static("86400"),
            );
            return AccessFuture {
                inner: None,
                ready: Some(r),
                seen,
                cors: false,
            };
        }
        let cors = cross_site && matches!(*request.method(), Method::GET | Method::HEAD);
        AccessFuture {
            inner: Some(self.inner.call(request)),
            ready: None,
            seen,
            cors,
        }
    }
}

pin_project_lite::pin_project! {
    /// The response future of [`Access`].
    pub struct AccessFuture<F> {
        #[pin]
        inner: Option<F>,
        ready: Option<Response<Body>>,
        seen: Option<Seen>,
        cors: bool,
    }
}

impl<F, E> Future for AccessFuture<F>
where
    F: Future<Output = Result<Response<Body>, E>>,
{
    type Output = Result<Response<Body>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut response = match this.ready.take() {
            Some(r) => r,
            None => match this.inner.as_pin_mut() {
                Some(f) => match f.poll(cx) {
                    Poll::Ready(Ok(r)) => r,
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Pending => return Poll::Pending,
                },
                None => Response::new(Body::empty()),
            },
        };
        if plain_error(&response)
            && let Some(mut json) = json_error(response.status())
        {
            for name in [header::RETRY_AFTER, header::ALLOW, header::WWW_AUTHENTICATE] {
                if let Some(v) = response.headers().get(&name) {
                    json.headers_mut().insert(name, v.clone());
                }
            }
            response = json;
        }
        response.headers_mut().insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        if *this.cors {
            let h = response.headers_mut();
            h.insert(
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                HeaderValue::from_static("*"),
            );
            h.insert(
                header::ACCESS_CONTROL_EXPOSE_HEADERS,
                HeaderValue::from_static(EXPOSED),
            );
        }
        if let Some(seen) = this.seen.take() {
            tracing::info!(
                target: "assetmap::access",
                method = %seen.method,
                path = %seen.path,
                status = response.status().as_u16(),
                ms = (seen.started.elapsed().as_secs_f64() * 10_000.0).round() / 10.0,
                "request"
            );
        }
        Poll::Ready(Ok(response))
    }
}

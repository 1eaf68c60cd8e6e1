//! Fetching a directory feed over HTTP, politely and within bounds: a time
//! limit per request, retries with doubling waits (or the server's
//! `Retry-After`), a cap on requests per second and on answer size, and a
//! User-Agent that says who is asking.

use std::time::{Duration, Instant};

use super::manifest::{FetchSettings, FullRecords};

/// The User-Agent every request sends.
pub const USER_AGENT: &str = concat!(
    "assetmap/",
    env!("CARGO_PKG_VERSION"),
    " (community asset map; +https://github.com/assetmap)"
);

/// Fetch settings with defaults filled in and bounds checked.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Services asked for per page.
    pub per_page: u32,
    /// Most pages read.
    pub max_pages: u32,
    /// Time one request may take in all.
    pub timeout: Duration,
    /// Retries after a failure.
    pub retries: u32,
    /// Shortest time between two requests.
    pub interval: Duration,
    /// When to fetch full records.
    pub full_records: FullRecords,
    /// Largest answer read, bytes.
    pub max_response_bytes: u64,
}

impl Limits {
    /// The settings, or the name and bounds of the first that is out of range.
    pub fn of(settings: Option<&FetchSettings>) -> Result<Limits, (String, String)> {
        let s = settings.cloned().unwrap_or(FetchSettings {
            per_page: None,
            max_pages: None,
            timeout_s: None,
            retries: None,
            requests_per_second: None,
            full_records: None,
            max_response_bytes: None,
        });
        let bad = |k: &str, m: &str| Err((k.to_string(), m.to_string()));
        let per_page = s.per_page.unwrap_or(100);
        if !(1..=1000).contains(&per_page) {
            return bad("per_page", "must be from 1 to 1000");
        }
        let max_pages = s.max_pages.unwrap_or(200);
        if !(1..=10_000).contains(&max_pages) {
            return bad("max_pages", "must be from 1 to 10000");
        }
        let timeout_s = s.timeout_s.unwrap_or(30.0);
        if !(timeout_s.is_finite() && (0.1..=300.0).contains(&timeout_s)) {
            return bad("timeout_s", "must be from 0.1 to 300 seconds");
        }
        let retries = s.retries.unwrap_or(3);
        if retries > 10 {
            return bad("retries", "must be at most 10");
        }
        let rate = s.requests_per_second.unwrap_or(4.0);
        if !(rate.is_finite() && (0.01..=50.0).contains(&rate)) {
            return bad("requests_per_second", "must be from 0.01 to 50");
        }
        let max_response_bytes = s.max_response_bytes.unwrap_or(32 << 20);
        if !(1024..=512 << 20).contains(&max_response_bytes) {
            return bad("max_response_bytes", "must be from 1024 to 536870912");
        }
        Ok(Limits {
            per_page,
            max_pages,
            timeout: Duration::from_secs_f64(timeout_s),
            retries,
            interval: Duration::from_secs_f64(1.0 / rate),
            full_records: s.full_records.unwrap_or(FullRecords::Auto),
            max_response_bytes,
        })
    }
}

/// A polite HTTP client for one feed.
pub struct Fetcher {
    agent: ureq::Agent,
    limits: Limits,
    last: Option<Instant>,
    /// Requests made, retries included.
    pub requests: usize,
    /// Retries made.
    pub retried: usize,
}

/// The longest wait a `Retry-After` may ask for.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

impl Fetcher {
    /// A client with these limits.
    pub fn new(limits: Limits) -> Fetcher {
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(limits.timeout))
            .user_agent(USER_AGENT)
            .http_status_as_error(false)
            .max_redirects(5)
            .build();
        Fetcher {
            agent: config.into(),
            limits,
            last: None,
            requests: 0,
            retried: 0,
        }
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Waits until the next request is allowed by the rate limit.
    fn pace(&mut self) {
        if let Some(last) = self.last {
            let due = last + self.limits.interval;
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
        }
        self.last = Some(Instant::now());
    }

    /// GETs `url` as JSON bytes, retrying failures and 429/5xx answers.
    /// The error says what happened on the last try.
    pub fn get(&mut self, url: &str) -> Result<Vec<u8>, String> {
        let mut wait = Duration::from_millis(500);
        let mut attempt = 0;
        loop {
            self.pace();
            self.requests += 1;
            let (message, retry_after) = match self.try_get(url) {
                Ok((body, _)) => return Ok(body),
                Err(Failure::Final(message)) => return Err(message),
                Err(Failure::Transient {
                    message,
                    retry_after,
                }) => (message, retry_after),
            };
            if attempt >= self.limits.retries {
                return Err(format!(
                    "{message} (after {} tr{})",
                    attempt + 1,
                    if attempt == 0 { "y" } else { "ies" }
                ));
            }
            attempt += 1;
            self.retried += 1;
            let pause = retry_after.unwrap_or(wait).min(MAX_RETRY_AFTER);
            tracing::info!(
                url,
                attempt,
                wait_ms = pause.as_millis() as u64,
                "retrying a feed request"
            );
            std::thread::sleep(pause);
            wait *= 2;
        }
    }

    fn try_get(&mut self, url: &str) -> Result<(Vec<u8>, u16), Failure> {
        let response = self
            .agent
            .get(url)
            .header("Accept", "application/json")
            .call();
        let mut response = match response {
            Ok(r) => r,
            Err(e) => {
                let message = format!("GET {url} failed: {e}");
                return Err(match e {
                    ureq::Error::Timeout(_) | ureq::Error::Io(_) | ureq::Error::HostNotFound => {
                        Failure::Transient {
                            message,
                            retry_after: None,
                        }
                    }
                    _ => Failure::Final(message),
                });
            }
        };
        let status = response.status().as_u16();
        if status == 429 || status >= 500 {
            let retry_after = response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            return Err(Failure::Transient {
                message: format!("GET {url} answered {status}"),
                retry_after,
            });
        }
        if status != 200 {
            return Err(Failure::Final(format!("GET {url} answered {status}")));
        }
        let limit = self.limits.max_response_bytes;
        let body = response
            .body_mut()
            .with_config()
            .limit(limit)
            .read_to_vec()
            .map_err(|e| match e {
                ureq::Error::BodyExceedsLimit(_) => Failure::Final(format!(
                    "GET {url}: the answer is larger than {limit} bytes (max_response_bytes)"
                )),
                other => Failure::Transient {
                    message: format!("GET {url}: reading the answer failed: {other}"),
                    retry_after: None,
                },
            })?;
        Ok((body, status))
    }
}

enum Failure {
    /// Worth trying again (a timeout, a dropped connection, 429, 5xx).
    Transient {
        message: String,
        retry_after: Option<Duration>,
    },
    /// Not worth trying again (404, a bad URL, an answer too large).
    Final(String),
}

/// `base` with `path` and query parameters appended.
pub fn join(base: &str, path: &str, query: &[(&str, String)]) -> String {
    let mut url = format!(
        "{}/{}",
        base.trim_end_matches('/'),
        path.trim_start_matches('/')
    );
    if !query.is_empty() {
        let q: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())))
            .finish();
        url.push(if url.contains('?') { '&' } else { '?' });
        url.push_str(&q);
    }
    url
}

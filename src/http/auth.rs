//! Who is calling: API tokens (`Authorization: Bearer`), and web sessions
//! (an HttpOnly, SameSite=Strict cookie, Secure behind TLS, with a CSRF
//! token that forms and scripts send back). Sign-in is rate-limited per
//! client and per name; no credential is ever logged.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde_json::json;

use super::web::escape_html;
use super::{ApiError, AppState};
use crate::catalog::auth::{self as accounts, Principal};
use crate::catalog::store::Role;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "assetmap_session";
/// The header scripts send the CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Sign-in attempts allowed in a burst, per client and per name.
pub const SIGNIN_BURST: f64 = 5.0;
/// One more attempt is allowed after this long.
pub const SIGNIN_REFILL: Duration = Duration::from_secs(12);
/// Most clients and names whose attempts are tracked at once.
const MAX_TRACKED: usize = 10_000;

/// A token bucket per key.
#[derive(Default)]
pub struct RateLimiter {
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl RateLimiter {
    /// Takes one token from `key`'s bucket (`burst` tokens, one more every
    /// `refill`), or says how many seconds until one is free.
    pub fn take(&self, key: &str, burst: f64, refill: Duration) -> Result<(), u64> {
        let now = Instant::now();
        let Ok(mut b) = self.buckets.lock() else {
            return Ok(());
        };
        if b.len() >= MAX_TRACKED && !b.contains_key(key) {
            // Forget buckets that are full again; if none are, refuse new keys
            // rather than grow without bound.
            b.retain(|_, (tokens, at)| {
                *tokens + at.elapsed().as_secs_f64() / refill.as_secs_f64() < burst
            });
            if b.len() >= MAX_TRACKED {
                return Err(refill.as_secs().max(1));
            }
        }
        let (tokens, at) = b.entry(key.to_string()).or_insert((burst, now));
        let refilled =
            (*tokens + now.duration_since(*at).as_secs_f64() / refill.as_secs_f64()).min(burst);
        if refilled >= 1.0 {
            *tokens = refilled - 1.0;
            *at = now;
            Ok(())
        } else {
            *tokens = refilled;
            *at = now;
            Err(((1.0 - refilled) * refill.as_secs_f64()).ceil() as u64)
        }
    }

    /// Gives back a token taken for work that was then refused (a
    /// contribution with an invalid field: the resident corrects it and
    /// sends it again, which should not use up their allowance).
    pub fn give_back(&self, key: &str, burst: f64) {
        if let Ok(mut b) = self.buckets.lock()
            && let Some((tokens, _)) = b.get_mut(key)
        {
            *tokens = (*tokens + 1.0).min(burst);
        }
    }
}

/// How sign-in behaves.
#[derive(Default)]
pub struct AuthOptions {
    /// Always mark the session cookie Secure (behind a TLS-terminating proxy
    /// that does not send `X-Forwarded-Proto`).
    pub secure_cookies: bool,
    /// Sign-in attempts.
    pub limiter: RateLimiter,
}

/// The client's address, when the server knows it.
pub struct ClientIp(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}

pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (k, v) = pair.trim().split_once('=')?;
            (k == name).then(|| v.to_string())
        })
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))
}

/// The session behind a request's cookie, if it is current.
pub(crate) async fn session(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<crate::catalog::store::SessionRecord>, ApiError> {
    let Some(value) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    if value.len() != 64 {
        return Ok(None);
    }
    let catalog = state.catalog.clone();
    let id = accounts::sha256_hex(value.as_bytes());
    let found = blocking(move || catalog.with_store(|s| s.session(&id)))
        .await?
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(found.filter(|s| s.expires_unix > accounts::unix_now()))
}

/// Who is calling a write route: a valid bearer token, or a signed-in
/// session that sent its CSRF token. 401 without valid credentials.
pub async fn principal(state: &AppState, headers: &HeaderMap) -> Result<Principal, ApiError> {
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let text = value.to_str().unwrap_or("");
        let Some(presented) = text.strip_prefix("Bearer ").map(str::trim) else {
            return Err(ApiError::Unauthorized(
                "the Authorization header must be `Bearer <token>` (see `assetmap token add`)"
                    .into(),
            ));
        };
        let invalid = || ApiError::Unauthorized("the token is not valid".into());
        let (id, secret) = accounts::parse_token(presented).ok_or_else(invalid)?;
        let (id, secret) = (id.to_string(), secret.to_string());
        let catalog = state.catalog.clone();
        let record = blocking(move || catalog.with_store(|s| s.token(&id)))
            .await?
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        return match record {
            Some(r) if accounts::token_matches(&r, &secret) => Ok(Principal {
                actor: format!("token:{}", r.name),
                role: r.role,
                organisation: None,
            }),
            _ => Err(invalid()),
        };
    }
    match session(state, headers).await? {
        Some(s) => {
            let sent = headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !accounts::same_digest(sent, &s.csrf) {
                return Err(ApiError::Forbidden(format!(
                    "a signed-in request must send the session's CSRF token in the {CSRF_HEADER} header (see /api/session)"
                )));
            }
            session_principal(state, &s).await
        }
        None => Err(ApiError::Unauthorized(
            "sign in (/signin) or send `Authorization: Bearer <token>`".into(),
        )),
    }
}

/// Who a signed-in session is: its user, role and (a steward's) organisation.
pub(crate) async fn session_principal(
    state: &AppState,
    s: &crate::catalog::store::SessionRecord,
) -> Result<Principal, ApiError> {
    let organisation = if s.role == Role::Steward {
        let catalog = state.catalog.clone();
        let user = s.user.clone();
        blocking(move || catalog.with_store(|st| st.steward(&user)))
            .await?
            .map_err(|e| ApiError::Internal(e.to_string()))?
    } else {
        None
    };
    Ok(Principal {
        actor: format!("user:{}", s.user),
        role: s.role,
        organisation,
    })
}

/// 403 unless the caller has at least `role`.
pub fn require(p: &Principal, role: Role) -> Result<(), ApiError> {
    if p.role >= role {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!(
            "this needs the {} role; {} is {}",
            role.as_str(),
            p.actor,
            p.role.as_str()
        )))
    }
}

fn signin_html(state: &AppState, message: Option<&str>, name: &str) -> String {
    let error = message
        .map(|m| {
            format!(
                "<p class=\"error\" id=\"signin-error\" role=\"alert\">{}</p>",
                escape_html(m)
            )
        })
        .unwrap_or_default();
    let described = if message.is_some() {
        " aria-describedby=\"signin-error\""
    } else {
        ""
    };
    shell(
        state,
        "Sign in",
        &format!(
            "<h1>Sign in</h1>\n<p>For council officers who keep the map up to date.</p>\n{error}\
             <form method=\"post\" action=\"/signin\">\n\
             <p><label for=\"name\">Name</label><br><input id=\"name\" name=\"name\" autocomplete=\"username\" required maxlength=\"64\" value=\"{}\"{described}></p>\n\
             <p><label for=\"password\">Password</label><br><input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required maxlength=\"256\"{described}></p>\n\
             <p><button type=\"submit\">Sign in</button></p>\n</form>",
            escape_html(name)
        ),
    )
}

/// A page in the site's frame; `title` is plain text (escaped here).
pub(crate) fn shell(state: &AppState, title: &str, main: &str) -> String {
    let title = escape_html(title);
    format!(
        "<!doctype html>\n<html lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title} – {dataset}</title>\n<link rel=\"icon\" href=\"/app/icon.svg\" type=\"image/svg+xml\">\n\
         <link rel=\"stylesheet\" href=\"/app/app.css\">\n</head>\n<body>\n\
         <a class=\"skip-link\" href=\"#main\">Skip to main content</a>\n\
         <header class=\"site-header\">\n  <p class=\"brand\"><a href=\"/\">Find support near you</a> <span class=\"place\">{dataset}</span></p>\n\
         <nav aria-label=\"Other pages\">\n    <ul>\n      <li><a href=\"/\">Residents' search</a></li>\n      <li><a href=\"/planner\">For planners</a></li>\n    </ul>\n  </nav>\n</header>\n\
         <main id=\"main\" class=\"prose\">\n{main}\n</main>\n</body>\n</html>\n",
        dataset = escape_html(&state.dataset().info.name),
    )
}

pub(crate) fn html_page(state: &AppState, status: StatusCode, body: String) -> Response {
    let mut r = (status, Html(body)).into_response();
    let h = r.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let Ok(v) = HeaderValue::from_str(&super::web::content_security_policy(state)) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(
        axum::http::HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static(super::web::PERMISSIONS_POLICY),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    r
}

/// `GET /signin`
pub async fn signin_page(State(state): State<AppState>) -> Response {
    html_page(&state, StatusCode::OK, signin_html(&state, None, ""))
}

pub(crate) fn form_fields(body: &[u8]) -> HashMap<String, String> {
    form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

pub(crate) fn is_tls(state: &AppState, headers: &HeaderMap) -> bool {
    state.auth.secure_cookies
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

/// Refuses a form posted from another site (login CSRF).
fn same_origin(headers: &HeaderMap) -> Result<(), ApiError> {
    let (Some(origin), Some(host)) = (
        headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()),
        headers.get(header::HOST).and_then(|v| v.to_str().ok()),
    ) else {
        return Ok(());
    };
    let origin_host = origin.split("://").nth(1).unwrap_or("");
    // The pages send no Referer (Referrer-Policy: no-referrer), so browsers
    // send `Origin: null` with their forms; `Sec-Fetch-Site` then says
    // whether the form is this site's own.
    let same_site_fetch = headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("same-origin"));
    if origin == "null" && same_site_fetch {
        return Ok(());
    }
    if origin == "null" || origin_host != host {
        return Err(ApiError::Forbidden(format!(
            "a form from {origin} cannot sign in here"
        )));
    }
    Ok(())
}

/// `POST /signin` (form: `name`, `password`): starts a session.
pub async fn signin(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    same_origin(&headers)?;
    let form = form_fields(&body);
    let name = form
        .get("name")
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    let password = form.get("password").cloned().unwrap_or_default();
    if name.is_empty() || password.is_empty() || name.len() > 64 || password.len() > 1024 {
        return Ok(html_page(
            &state,
            StatusCode::BAD_REQUEST,
            signin_html(&state, Some("Enter your name and password."), &name),
        ));
    }
    let client = ip.map_or_else(|| "unknown".to_string(), |ip| ip.to_string());
    for key in [
        format!("ip:{client}"),
        format!("name:{}", name.to_lowercase()),
    ] {
        state
            .auth
            .limiter
            .take(&key, SIGNIN_BURST, SIGNIN_REFILL)
            .map_err(ApiError::TooManyRequests)?;
    }
    let catalog = state.catalog.clone();
    let lookup = name.clone();
    let user = blocking(move || {
        let user = catalog.with_store(|s| s.user(&lookup))?;
        Ok::<_, crate::catalog::StoreError>(match user {
            Some(u) if accounts::password_matches(&u, &password) => Some(u),
            Some(_) => None,
            None => {
                accounts::dummy_password_check(&password);
                None
            }
        })
    })
    .await?
    .map_err(|e| ApiError::Internal(e.to_string()))?;
    let Some(user) = user else {
        tracing::info!(user = %name, client = %client, "sign-in refused");
        return Ok(html_page(
            &state,
            StatusCode::UNAUTHORIZED,
            signin_html(&state, Some("The name or password is not right."), &name),
        ));
    };
    let (record, value) = accounts::new_session(&user);
    let catalog = state.catalog.clone();
    blocking(move || catalog.with_store(|s| s.put_session(&record)))
        .await?
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    tracing::info!(user = %user.name, client = %client, "signed in");
    let secure = if is_tls(&state, &headers) {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        accounts::SESSION_SECONDS
    );
    let mut r = (StatusCode::SEE_OTHER, [(header::LOCATION, "/account")]).into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

/// `GET /account`: who is signed in, and a sign-out button.
pub async fn account(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let body = match session(&state, &headers).await? {
        Some(s) => format!(
            "<h1>Signed in</h1>\n<p>You are signed in as <strong>{}</strong> ({}).</p>\n{}\n\
             <p>Scripts acting for you send the header <code>X-CSRF-Token</code> with the token from <a href=\"/api/session\">/api/session</a>.</p>\n\
             <form method=\"post\" action=\"/signout\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><button type=\"submit\">Sign out</button></form>",
            escape_html(&s.user),
            s.role.as_str(),
            if s.role == Role::Steward {
                "<p><a href=\"/our-entries\">Your organisation's entries</a>: keep them current.</p>"
            } else {
                "<p><a href=\"/manage\">The moderation desk</a>: residents' suggestions and reports waiting for a decision.</p>"
            },
            escape_html(&s.csrf)
        ),
        None => "<h1>Not signed in</h1>\n<p><a href=\"/signin\">Sign in</a> to keep the map up to date.</p>".to_string(),
    };
    Ok(html_page(
        &state,
        StatusCode::OK,
        shell(&state, "Your account", &body),
    ))
}

/// `GET /api/session`: the signed-in user, role and CSRF token (401 when not signed in).
pub async fn session_json(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let s = session(&state, &headers)
        .await?
        .ok_or_else(|| ApiError::Unauthorized("not signed in".into()))?;
    let mut r = Json(
        json!({"user": s.user, "role": s.role, "csrf": s.csrf, "expires_unix": s.expires_unix}),
    )
    .into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

/// `POST /signout` (form: `csrf`): ends the session.
pub async fn signout(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let s = session(&state, &headers)
        .await?
        .ok_or_else(|| ApiError::Unauthorized("not signed in".into()))?;
    let form = form_fields(&body);
    let sent = form.get("csrf").map(String::as_str).unwrap_or("");
    if !accounts::same_digest(sent, &s.csrf) {
        return Err(ApiError::Forbidden(
            "the form's CSRF token is missing or wrong; reload the page".into(),
        ));
    }
    let catalog = state.catalog.clone();
    let id = s.id_sha256.clone();
    blocking(move || catalog.with_store(|st| st.delete_session(&id)))
        .await?
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let mut r = (StatusCode::SEE_OTHER, [(header::LOCATION, "/signin")]).into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("assetmap_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_empties_then_says_when_to_retry() {
        let l = RateLimiter::default();
        for _ in 0..5 {
            assert!(l.take("k", 5.0, Duration::from_secs(12)).is_ok());
        }
        let wait = l.take("k", 5.0, Duration::from_secs(12)).unwrap_err();
        assert!((1..=12).contains(&wait), "{wait}");
        assert!(l.take("other", 5.0, Duration::from_secs(12)).is_ok());
    }

    #[test]
    fn cookies_are_found_by_name() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; assetmap_session=abc; b=2"),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE).as_deref(), Some("abc"));
        assert_eq!(cookie(&h, "c"), None);
    }
}

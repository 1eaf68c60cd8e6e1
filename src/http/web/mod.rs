//! The web pages: the residents' search at `/`, the planners' map at
//! `/planner`, the accessibility statement, and the files they load. Every file
//! is embedded in the binary, MapLibre GL JS included (from npm, see
//! `build.rs`), so a page makes no request to any other host unless a base map
//! is configured.

use std::path::PathBuf;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::{ApiError, AppState, ogc};

mod first;
pub mod manage;
pub mod print;
pub mod steward;
pub mod suggest;

/// A raster base map the pages may show under the data (off until the user turns it on).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Basemap {
    /// XYZ tile URL template with `{z}`, `{x}` and `{y}`.
    pub tiles: String,
    /// Attribution shown on the map.
    pub attribution: String,
}

impl Basemap {
    /// Checks a tile URL template: http(s), with `{z}`, `{x}` and `{y}`.
    pub fn new(tiles: &str, attribution: &str) -> Result<Basemap, String> {
        let origin = origin_of(tiles).ok_or_else(|| {
            format!("base map URL {tiles:?} must start with http:// or https:// and name a host")
        })?;
        for part in ["{z}", "{x}", "{y}"] {
            if !tiles.contains(part) {
                return Err(format!(
                    "base map URL {tiles:?} has no {part}; give an XYZ template like https://tiles.example.org/{{z}}/{{x}}/{{y}}.png"
                ));
            }
        }
        if origin.contains(['"', '\'', ';', ' ']) {
            return Err(format!(
                "base map URL {tiles:?} has a character not allowed in a host"
            ));
        }
        if attribution.trim().is_empty() {
            return Err("a base map needs an attribution (--basemap-attribution)".into());
        }
        Ok(Basemap {
            tiles: tiles.to_string(),
            attribution: attribution.to_string(),
        })
    }

    /// `scheme://host[:port]` of the tiles, for the Content-Security-Policy.
    fn origin(&self) -> String {
        origin_of(&self.tiles).unwrap_or_default()
    }
}

fn origin_of(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("https://")
        .map(|r| ("https://", r))
        .or_else(|| url.strip_prefix("http://").map(|r| ("http://", r)))?;
    let host = rest.1.split('/').next().filter(|h| !h.is_empty())?;
    Some(format!("{}{host}", rest.0))
}

/// What the pages are served with.
#[derive(Clone, Debug, Default)]
pub struct WebOptions {
    /// Optional base map.
    pub basemap: Option<Basemap>,
    /// Serve the project's own page files from this folder instead of the
    /// embedded copies (for developing the pages without rebuilding).
    pub dev_dir: Option<PathBuf>,
    /// The first postcode of the dataset, shown as an example (found once).
    example_postcode: std::sync::OnceLock<Option<String>>,
    /// A PMTiles archive (`assetmap tiles export`) the pages draw the map
    /// from instead of the live tile endpoint, served at [`ARCHIVE_PATH`].
    pub tiles_archive: Option<PathBuf>,
    /// The archive's highest zoom (the map overzooms beyond it).
    archive_max_zoom: u8,
}

/// Where the tile archive is served.
pub const ARCHIVE_PATH: &str = "/tiles/archive.pmtiles";

impl WebOptions {
    /// Options with an optional base map and development folder.
    pub fn new(basemap: Option<Basemap>, dev_dir: Option<PathBuf>) -> WebOptions {
        WebOptions {
            basemap,
            dev_dir,
            example_postcode: std::sync::OnceLock::new(),
            tiles_archive: None,
            archive_max_zoom: 0,
        }
    }

    /// The pages draw the map from this PMTiles archive (checked to be one).
    pub fn with_tiles_archive(mut self, path: PathBuf) -> Result<WebOptions, String> {
        let mut head = [0u8; 127];
        std::fs::File::open(&path)
            .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head))
            .map_err(|e| format!("{}: {e}", path.display()))?;
        if &head[..7] != b"PMTiles" || head[7] != 3 {
            return Err(format!(
                "{} is not a PMTiles version 3 archive",
                path.display()
            ));
        }
        self.archive_max_zoom = head[101];
        self.tiles_archive = Some(path);
        Ok(self)
    }
}

/// Longest byte range one archive request may ask for.
pub const MAX_RANGE_BYTES: u64 = 16 * 1024 * 1024;

/// `GET /tiles/archive.pmtiles`: the configured archive, by byte ranges
/// (`Range: bytes=a-b`, one range, at most 16 MiB) as PMTiles readers ask.
pub async fn archive(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(path) = state.web.tiles_archive.clone() else {
        return ApiError::NotFound(
            "no tile archive is configured (serve --tiles-archive FILE)".into(),
        )
        .into_response();
    };
    let range = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let answer = tokio::task::spawn_blocking(move || read_range(&path, range.as_deref())).await;
    match answer {
        Ok(Ok((status, body, content_range))) => {
            let mut response = (
                status,
                [(header::CONTENT_TYPE, "application/vnd.pmtiles")],
                body,
            )
                .into_response();
            let h = response.headers_mut();
            h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
            h.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=60"),
            );
            if let Some(cr) = content_range.and_then(|c| HeaderValue::from_str(&c).ok()) {
                h.insert(header::CONTENT_RANGE, cr);
            }
            response
        }
        Ok(Err(e)) => e.into_response(),
        Err(e) => ApiError::Internal(format!("archive read: {e}")).into_response(),
    }
}

/// Status, bytes, and `Content-Range` for a part.
type RangeAnswer = (StatusCode, Vec<u8>, Option<String>);

fn read_range(path: &std::path::Path, range: Option<&str>) -> Result<RangeAnswer, ApiError> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = std::fs::File::open(path)
        .map_err(|e| ApiError::Internal(format!("the tile archive: {e}")))?;
    let total = file
        .metadata()
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .len();
    let Some(range) = range else {
        if total > MAX_RANGE_BYTES {
            return Err(ApiError::bad(format!(
                "the archive is {total} bytes: ask for byte ranges (Range: bytes=0-16383) of at most {MAX_RANGE_BYTES}"
            )));
        }
        let mut body = Vec::with_capacity(total as usize);
        file.read_to_end(&mut body)
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        return Ok((StatusCode::OK, body, None));
    };
    let unsatisfiable = || ApiError::Status {
        status: StatusCode::RANGE_NOT_SATISFIABLE,
        code: "RangeNotSatisfiable",
        message: format!("give one range as bytes=START-END within the archive's {total} bytes"),
    };
    let spec = range
        .trim()
        .strip_prefix("bytes=")
        .ok_or_else(unsatisfiable)?;
    if spec.contains(',') {
        return Err(ApiError::bad("ask for one byte range at a time"));
    }
    let (a, b) = spec.split_once('-').ok_or_else(unsatisfiable)?;
    let (start, end) = match (a.trim(), b.trim()) {
        ("", suffix) => {
            let n: u64 = suffix.parse().map_err(|_| unsatisfiable())?;
            (total.saturating_sub(n), total.saturating_sub(1))
        }
        (a, "") => (
            a.parse().map_err(|_| unsatisfiable())?,
            total.saturating_sub(1),
        ),
        (a, b) => (
            a.parse().map_err(|_| unsatisfiable())?,
            b.parse::<u64>()
                .map_err(|_| unsatisfiable())?
                .min(total.saturating_sub(1)),
        ),
    };
    if total == 0 || start >= total || end < start {
        return Err(unsatisfiable());
    }
    let length = end - start + 1;
    if length > MAX_RANGE_BYTES {
        return Err(ApiError::bad(format!(
            "a range may be at most {MAX_RANGE_BYTES} bytes"
        )));
    }
    file.seek(SeekFrom::Start(start))
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let mut body = vec![0; length as usize];
    file.read_exact(&mut body)
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok((
        StatusCode::PARTIAL_CONTENT,
        body,
        Some(format!("bytes {start}-{end}/{total}")),
    ))
}

/// A file the pages load.
struct Asset {
    name: &'static str,
    media_type: &'static str,
    body: &'static [u8],
    /// Our own file (may be served from `dev_dir`), not a library's.
    own: bool,
}

macro_rules! own {
    ($name:literal, $type:expr) => {
        Asset {
            name: $name,
            media_type: $type,
            body: include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/web/static/", $name)),
            own: true,
        }
    };
}

macro_rules! library {
    ($name:literal, $path:literal, $type:expr) => {
        Asset {
            name: $name,
            media_type: $type,
            body: include_bytes!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/web/node_modules/",
                $path
            )),
            own: false,
        }
    };
}

const JS: &str = "text/javascript; charset=utf-8";
/// `Cache-Control` of MapLibre's files; the project's own files are revalidated every time.
pub const LIBRARY_CACHE_CONTROL: &str = "public, max-age=86400";
const CSS: &str = "text/css; charset=utf-8";
const HTML: &str = "text/html; charset=utf-8";

/// Files under `/app/`.
static ASSETS: [Asset; 13] = [
    own!("app.css", CSS),
    own!("print.css", CSS),
    own!("icon.svg", "image/svg+xml"),
    own!("common.js", JS),
    own!("resident.js", JS),
    own!("planner.js", JS),
    own!("symbols.js", JS),
    own!("suggest.js", JS),
    own!("desk.js", JS),
    library!("maplibre-gl.mjs", "maplibre-gl/dist/maplibre-gl.mjs", JS),
    library!(
        "maplibre-gl-worker.mjs",
        "maplibre-gl/dist/maplibre-gl-worker.mjs",
        JS
    ),
    library!("maplibre-gl.css", "maplibre-gl/dist/maplibre-gl.css", CSS),
    library!("pmtiles.js", "pmtiles/dist/pmtiles.js", JS),
];

/// The pages, by path.
static PAGES: [(&str, Asset); 4] = [
    ("/", own!("index.html", HTML)),
    ("/planner", own!("planner.html", HTML)),
    ("/accessibility", own!("accessibility.html", HTML)),
    ("/privacy", own!("privacy.html", HTML)),
];

/// `GET /`: the residents' page for browsers; the OGC API landing page (JSON)
/// for `?f=json` or a client that does not ask for HTML (GDAL, QGIS, curl).
pub async fn home(
    state: State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let f = raw.as_deref().and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "f")
            .map(|(_, v)| v.into_owned())
    });
    let html = match f.as_deref() {
        Some("html") => true,
        Some(_) => false,
        None => accepts_html(&headers),
    };
    let mut response = if html {
        let search = first::server_search(&state, raw.as_deref());
        page_with(&state, "/", &headers, |text| {
            first::fill_search(&state, text, &search)
        })
    } else {
        ogc::landing(state, headers, RawQuery(raw)).await?
    };
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept"));
    Ok(response)
}

/// True when the client lists `text/html` in `Accept` (browsers do).
pub(crate) fn accepts_html(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';');
            let kind = parts.next().unwrap_or("").trim();
            let refused = parts.any(|p| matches!(p.trim(), "q=0" | "q=0.0" | "q=0.00" | "q=0.000"));
            kind.eq_ignore_ascii_case("text/html") && !refused
        })
}

/// The methods document planners are pointed to, as text.
static METHODS: &[u8] = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/methods.md"));

/// `GET /docs/methods.md`
pub async fn methods(State(state): State<AppState>, headers: HeaderMap) -> Response {
    respond(
        &state,
        "text/plain; charset=utf-8",
        METHODS.to_vec(),
        &headers,
    )
}

/// `GET /planner`
pub async fn planner(State(state): State<AppState>, headers: HeaderMap) -> Response {
    page(&state, "/planner", &headers)
}

/// `GET /privacy`: what contributions keep about people, and for how long.
pub async fn privacy(State(state): State<AppState>, headers: HeaderMap) -> Response {
    page(&state, "/privacy", &headers)
}

/// `GET /accessibility`
pub async fn accessibility(State(state): State<AppState>, headers: HeaderMap) -> Response {
    page(&state, "/accessibility", &headers)
}

fn page(state: &AppState, path: &str, headers: &HeaderMap) -> Response {
    page_with(state, path, headers, |text| text)
}

fn page_with(
    state: &AppState,
    path: &str,
    headers: &HeaderMap,
    fill: impl FnOnce(String) -> String,
) -> Response {
    let Some((_, asset)) = PAGES.iter().find(|(p, _)| *p == path) else {
        return ApiError::NotFound(format!("no page at {path}")).into_response();
    };
    let body = match load(state, asset) {
        Ok(body) => body,
        Err(e) => return e.into_response(),
    };
    let text = String::from_utf8_lossy(&body)
        .replace("{{dataset}}", &escape_html(&state.dataset().info.name))
        .replace("{{version}}", env!("CARGO_PKG_VERSION"));
    respond(state, asset.media_type, fill(text).into_bytes(), headers)
}

/// An embedded file's ETag and gzip, made once per process.
struct Prepared {
    etag: String,
    gzip: Option<axum::body::Bytes>,
}

static PREPARED: std::sync::OnceLock<std::collections::HashMap<&'static str, Prepared>> =
    std::sync::OnceLock::new();

fn etag_of(body: &[u8]) -> String {
    format!("\"{}\"", &crate::catalog::auth::sha256_hex(body)[..20])
}

/// Works out every embedded file's ETag and gzip (at start-up, so no
/// request pays for it); returns how many bytes the gzips take.
pub fn prepare() -> usize {
    prepared()
        .values()
        .map(|p| p.gzip.as_ref().map_or(0, |g| g.len()))
        .sum()
}

fn prepared() -> &'static std::collections::HashMap<&'static str, Prepared> {
    PREPARED.get_or_init(|| {
        ASSETS
            .iter()
            .map(|a| {
                let gzip = (a.body.len() >= usize::from(super::MIN_COMPRESS_BYTES)
                    && !a.media_type.starts_with("image/png"))
                .then(|| crate::tiles::gzip(a.body, flate2::Compression::best()))
                .filter(|g| !g.is_empty() && g.len() < a.body.len())
                .map(axum::body::Bytes::from);
                (
                    a.name,
                    Prepared {
                        etag: etag_of(a.body),
                        gzip,
                    },
                )
            })
            .collect()
    })
}

/// `GET /app/{file}`
pub async fn app_file(
    State(state): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Response {
    if file == "config.json" {
        return config(&state);
    }
    let Some(asset) = ASSETS.iter().find(|a| a.name == file) else {
        return ApiError::NotFound(format!("no file /app/{file}")).into_response();
    };
    let from_disk = state.web.dev_dir.is_some() && asset.own;
    let ready = if from_disk {
        None
    } else {
        prepared().get(asset.name)
    };
    let body = match ready {
        Some(_) => Ok(axum::body::Bytes::from_static(asset.body)),
        None => load(&state, asset).map(axum::body::Bytes::from),
    };
    match body {
        Ok(body) => {
            let mut response = match ready {
                Some(p) => respond_prepared(&state, asset.media_type, body, p, &headers),
                None => respond_tagged(
                    &state,
                    asset.media_type,
                    etag_of(&body).as_str(),
                    body,
                    &headers,
                ),
            };
            if !asset.own {
                // The library changes only with the lockfile; its worker URL
                // carries the version. A day's caching saves a cheap phone
                // three revalidations per page.
                response.headers_mut().insert(
                    header::CACHE_CONTROL,
                    HeaderValue::from_static(LIBRARY_CACHE_CONTROL),
                );
            }
            response
        }
        Err(e) => e.into_response(),
    }
}

/// `GET /app/config.json`: what the pages need to know about this server.
fn config(state: &AppState) -> Response {
    let d = &state.dataset();
    let basemap = state
        .web
        .basemap
        .as_ref()
        .map(|b| json!({ "tiles": b.tiles, "attribution": b.attribution }));
    let mut response = axum::Json(json!({
        "dataset": d.info.name,
        "attribution": d.info.attribution,
        "bounds": crate::features::extent_lonlat(crate::features::Collection::Wards, d),
        "cluster_max_zoom": state.tiles.cluster_max_zoom(),
        "small_areas_min_zoom": crate::tiles::SMALL_AREAS_MIN_ZOOM,
        "basemap": basemap,
        "wards": d.wards.len(),
        "example_postcode": state.web.example_postcode.get_or_init(|| d.postcodes.keys().min().cloned()),
        "tiles_archive": state.web.tiles_archive.as_ref().map(|_| json!({"url": ARCHIVE_PATH, "maxzoom": state.web.archive_max_zoom})),
        "limits": {
            "nearby_results": super::nearby::MAX_LIMIT,
            "radius_m": super::nearby::MAX_RADIUS_M,
            "gap_distance_m": crate::analysis::MAX_DISTANCE_M,
            "scenario_added": super::gaps::MAX_ADDED,
        },
        "version": env!("CARGO_PKG_VERSION"),
    }))
    .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

fn load(state: &AppState, asset: &Asset) -> Result<Vec<u8>, ApiError> {
    match (&state.web.dev_dir, asset.own) {
        (Some(dir), true) => std::fs::read(dir.join(asset.name))
            .map_err(|e| ApiError::Internal(format!("{}: {e}", dir.join(asset.name).display()))),
        _ => Ok(asset.body.to_vec()),
    }
}

/// An embedded file with its ETag and gzip made at start-up: gzip when the
/// client takes it (the compression layer leaves an encoded body alone).
fn respond_prepared(
    state: &AppState,
    media_type: &'static str,
    body: axum::body::Bytes,
    prepared: &Prepared,
    headers: &HeaderMap,
) -> Response {
    let gzip = prepared
        .gzip
        .as_ref()
        .filter(|_| super::tiles::accepts_gzip(headers));
    let mut response = match gzip {
        Some(g) => respond_tagged(state, media_type, &prepared.etag, g.clone(), headers),
        None => respond_tagged(state, media_type, &prepared.etag, body, headers),
    };
    let h = response.headers_mut();
    if gzip.is_some() && h.get(header::CONTENT_TYPE).is_some() {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    if prepared.gzip.is_some() {
        h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    }
    response
}

/// Sends a file with an ETag (answering 304 when it matches), revalidated on
/// every use, and the security headers that keep the page on this host.
fn respond(
    state: &AppState,
    media_type: &'static str,
    body: Vec<u8>,
    headers: &HeaderMap,
) -> Response {
    let etag = etag_of(&body);
    respond_tagged(state, media_type, &etag, body.into(), headers)
}

fn respond_tagged(
    state: &AppState,
    media_type: &'static str,
    etag: &str,
    body: axum::body::Bytes,
    headers: &HeaderMap,
) -> Response {
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, media_type)], body).into_response()
    };
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if media_type == HTML {
        if let Ok(v) = HeaderValue::from_str(&content_security_policy(state)) {
            h.insert(header::CONTENT_SECURITY_POLICY, v);
        }
        h.insert(
            HeaderName::from_static("permissions-policy"),
            HeaderValue::from_static(PERMISSIONS_POLICY),
        );
    }
    response
}

/// What the pages may use: the residents' "use my location", nothing else.
pub const PERMISSIONS_POLICY: &str =
    "geolocation=(self), camera=(), microphone=(), payment=(), usb=()";

/// Scripts, styles, workers and data only from this host (and the base map's
/// tiles when one is configured).
pub fn content_security_policy(state: &AppState) -> String {
    let extra = state
        .web
        .basemap
        .as_ref()
        .map(|b| format!(" {}", b.origin()))
        .unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self'; worker-src 'self' blob:; child-src 'self' blob:; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:{extra}; \
         connect-src 'self'{extra}; font-src 'self'; object-src 'none'; base-uri 'none'; \
         frame-ancestors 'self'; form-action 'self'"
    )
}

/// Text made safe for HTML (for pages written outside this module).
pub(crate) fn escape(text: &str) -> String {
    escape_html(text)
}

pub(super) fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A posted form's field, trimmed; `None` when missing or blank.
pub(crate) fn form_text(f: &std::collections::HashMap<String, String>, k: &str) -> Option<String> {
    f.get(k)
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// An id as one percent-encoded URL path segment (a space as `%20`, not `+`).
pub(crate) fn path_segment(id: &str) -> String {
    form_urlencoded::byte_serialize(id.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basemap_templates_are_checked() {
        let b = Basemap::new("https://tiles.example.org/{z}/{x}/{y}.png", "© Example").unwrap();
        assert_eq!(b.origin(), "https://tiles.example.org");
        assert!(
            Basemap::new("ftp://x/{z}/{x}/{y}", "a")
                .unwrap_err()
                .contains("http")
        );
        assert!(
            Basemap::new("https://x.org/{z}/{x}.png", "a")
                .unwrap_err()
                .contains("{y}")
        );
        assert!(
            Basemap::new("https://x.org/{z}/{x}/{y}", " ")
                .unwrap_err()
                .contains("attribution")
        );
    }

    #[test]
    fn html_is_chosen_only_when_asked_for() {
        let mut h = HeaderMap::new();
        assert!(!accepts_html(&h));
        h.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        assert!(!accepts_html(&h));
        h.insert(
            header::ACCEPT,
            HeaderValue::from_static("text/html,application/xhtml+xml,*/*;q=0.8"),
        );
        assert!(accepts_html(&h));
        h.insert(
            header::ACCEPT,
            HeaderValue::from_static("text/html;q=0, */*"),
        );
        assert!(!accepts_html(&h));
    }

    #[test]
    fn names_are_escaped() {
        assert_eq!(escape_html("A & <b>\"'"), "A &amp; &lt;b&gt;&quot;&#39;");
    }
}

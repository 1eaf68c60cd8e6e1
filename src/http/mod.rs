//! The HTTP API: the router, shared state, one file per resource, and the one
//! error type every handler returns.

mod areas;
pub mod auth;
pub mod contributions;
mod dataset;
pub mod edit;
mod error;
mod export;
pub mod gaps;
pub mod layers;
pub mod nearby;
pub mod ogc;
mod ogc_html;
pub mod openapi;
pub mod oruk;
pub mod params;
pub mod server;
pub mod tiles;
pub mod web;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutLayer};

pub use error::ApiError;

use arc_swap::ArcSwap;

use crate::catalog::Catalog;
use crate::model::Dataset;

/// Longest time a request may take before it is answered 408.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Longest gap between the pieces of a request body before it is refused.
pub const BODY_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Smallest response body that is gzipped, bytes.
pub const MIN_COMPRESS_BYTES: u16 = 1024;
/// Largest request body accepted, bytes.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// What readers see of one data version: the dataset and the nearby-search
/// JSON rendered from it, swapped together so they always agree.
pub struct View {
    /// The assets and geography at one version.
    pub dataset: Arc<Dataset>,
    /// Each asset's nearby-search GeoJSON, indexed like `dataset.assets`.
    pub asset_json: Vec<Arc<nearby::AssetJson>>,
}

/// What every handler can see: one pointer, cloned per request.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Shared>,
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.inner
    }
}

/// The parts of [`AppState`].
#[derive(Clone)]
pub struct Shared {
    /// The one owner of the assets; every change goes through it.
    pub catalog: Arc<Catalog>,
    view: Arc<ArcSwap<View>>,
    /// Projected geometry and cluster hierarchies for vector tiles.
    pub tiles: Arc<crate::tiles::TileSource>,
    /// Rendered tiles.
    pub tile_cache: Arc<tiles::TileCache>,
    /// Gap analyses by data version and parameters, the most used
    /// [`GAP_CACHE_ENTRIES`] kept; clients asking for one at once wait for
    /// one analysis.
    pub gap_cache: Arc<quick_cache::sync::Cache<String, Arc<crate::analysis::GapResult>>>,
    /// Gap analyses run (cache misses), since start.
    pub gap_analyses: Arc<std::sync::atomic::AtomicU64>,
    /// How the web pages are served.
    pub web: Arc<web::WebOptions>,
    /// Sign-in rate limits and cookie settings.
    pub auth: Arc<auth::AuthOptions>,
    /// The manifest `POST /api/sync` reads again (none: the demo, built in).
    pub manifest: Option<Arc<std::path::PathBuf>>,
    /// Bounds the costly work running at once (gap analyses, scenarios,
    /// suggestions, exports, cold tiles): past it, requests wait briefly,
    /// then get 503 with Retry-After, so cheap reads stay fast.
    pub heavy: Arc<tokio::sync::Semaphore>,
    /// The public base URL links are made with (`--public-url`), when set.
    pub public_url: Option<Arc<str>>,
    /// Open Referral UK ids for the latest data version.
    pub oruk: Arc<oruk::Lookups>,
    /// How often each client may contribute.
    pub contribution_limits: Arc<contributions::ContributionLimits>,
    /// Days after which an entry not checked again is stale.
    pub review_interval_days: u32,
    /// The tiles the catalog's latest change touched (see [`AppState::take_tile_changes`]).
    tile_changes: Arc<std::sync::Mutex<crate::tiles::Changes>>,
    /// Costly work each client may start: a token bucket per address.
    heavy_per_client: Arc<auth::RateLimiter>,
    /// The bucket's size, and how often it gains a token (`None`: no limit).
    heavy_rate: Option<(f64, Duration)>,
}

/// Default tile cache budget, bytes.
pub const DEFAULT_TILE_CACHE_BYTES: usize = 128 * 1024 * 1024;

/// Costly requests that may run at once (a few per core of a small server).
pub const DEFAULT_HEAVY_PERMITS: usize = 8;
/// What a 503 tells the client to wait, seconds.
pub const HEAVY_RETRY_AFTER_S: u64 = 2;
/// How long a costly request waits for its turn before 503.
pub const HEAVY_WAIT: Duration = Duration::from_secs(2);

/// Costly requests one client may make in a burst before 429.
pub const HEAVY_BURST_PER_CLIENT: f64 = 30.0;
/// Costly requests one client may make per minute, sustained.
pub const DEFAULT_HEAVY_PER_CLIENT_PER_MINUTE: u32 = 300;

/// Days after which an entry not checked again is stale (12 months).
pub const DEFAULT_REVIEW_INTERVAL_DAYS: u32 = 365;

/// How many gap analyses are kept.
pub const GAP_CACHE_ENTRIES: usize = 64;

impl AppState {
    /// State for a dataset with the default tile options, its assets kept
    /// in a catalog in memory (tests and benchmarks).
    pub fn new(dataset: Arc<Dataset>) -> AppState {
        AppState::with_tiles(
            dataset,
            crate::tiles::cluster::DEFAULT_MAX_ZOOM,
            DEFAULT_TILE_CACHE_BYTES,
        )
    }

    /// State for a dataset kept in a catalog in memory: assets cluster up to
    /// `cluster_max_zoom`; rendered tiles are cached up to `tile_cache_bytes`
    /// (0 turns the cache off).
    pub fn with_tiles(
        dataset: Arc<Dataset>,
        cluster_max_zoom: u8,
        tile_cache_bytes: usize,
    ) -> AppState {
        let loaded = dataset.with_assets(dataset.assets.clone(), dataset.version);
        match Catalog::in_memory(loaded) {
            Ok(catalog) => {
                AppState::with_catalog(Arc::new(catalog), cluster_max_zoom, tile_cache_bytes)
            }
            Err(e) => panic!("an in-memory catalog cannot fail to open: {e}"),
        }
    }

    /// State over a catalog: derives the readers' views from it and keeps
    /// them (tiles, caches, pre-rendered JSON) in step with every change.
    pub fn with_catalog(
        catalog: Arc<Catalog>,
        cluster_max_zoom: u8,
        tile_cache_bytes: usize,
    ) -> AppState {
        let dataset = catalog.snapshot();
        let asset_json = dataset
            .assets
            .iter()
            .map(|a| Arc::new(nearby::render_asset(&dataset, a)))
            .collect();
        let tiles = Arc::new(crate::tiles::TileSource::new(&dataset, cluster_max_zoom));
        let state = Shared {
            catalog: catalog.clone(),
            view: Arc::new(ArcSwap::from_pointee(View {
                dataset,
                asset_json,
            })),
            tiles,
            tile_cache: Arc::new(tiles::TileCache::new(tile_cache_bytes)),
            gap_cache: Arc::new(quick_cache::sync::Cache::new(GAP_CACHE_ENTRIES)),
            gap_analyses: Arc::default(),
            web: Arc::default(),
            auth: Arc::default(),
            manifest: None,
            public_url: None,
            oruk: Arc::default(),
            contribution_limits: Arc::default(),
            review_interval_days: DEFAULT_REVIEW_INTERVAL_DAYS,
            heavy: Arc::new(tokio::sync::Semaphore::new(DEFAULT_HEAVY_PERMITS)),
            tile_changes: Arc::default(),
            heavy_per_client: Arc::default(),
            heavy_rate: heavy_rate(DEFAULT_HEAVY_PER_CLIENT_PER_MINUTE),
        };
        let (view, tiles, tile_cache, touched) = (
            state.view.clone(),
            state.tiles.clone(),
            state.tile_cache.clone(),
            state.tile_changes.clone(),
        );
        catalog.observe(Box::new(move |next, change| {
            let updates: Vec<(u32, Option<crate::tiles::LivePoint>)> = change
                .assets
                .iter()
                .map(|c| (c.slot, c.after.as_ref().map(crate::tiles::LivePoint::of)))
                .collect();
            if !updates.is_empty() {
                let changes = tiles.apply(&updates);
                let evicted = tile_cache.invalidate(&changes);
                tracing::debug!(
                    version = change.version,
                    assets = updates.len(),
                    tiles = changes.tiles.len(),
                    evicted,
                    "tiles follow the catalog"
                );
                if let Ok(mut t) = touched.lock() {
                    // Only the latest change is kept, so this never grows.
                    *t = changes;
                }
            }
            let old = view.load();
            let changed: std::collections::HashSet<&str> =
                change.assets.iter().map(|c| c.id.as_str()).collect();
            let asset_json = next
                .assets
                .iter()
                .map(|a| match old.dataset.asset_by_id.get(&a.id) {
                    Some(&i) if !changed.contains(a.id.as_str()) => old.asset_json[i].clone(),
                    _ => Arc::new(nearby::render_asset(next, a)),
                })
                .collect();
            view.store(Arc::new(View {
                dataset: next.clone(),
                asset_json,
            }));
        }));
        AppState {
            inner: Arc::new(state),
        }
    }

    /// The same state with these web page options.
    pub fn with_web(mut self, options: web::WebOptions) -> AppState {
        Arc::make_mut(&mut self.inner).web = Arc::new(options);
        self
    }

    /// The same state with these sign-in options.
    pub fn with_auth(mut self, options: auth::AuthOptions) -> AppState {
        Arc::make_mut(&mut self.inner).auth = Arc::new(options);
        self
    }

    /// The same state with links made from this public base URL (checked:
    /// `http(s)://host[:port][/path]`, no query; a trailing `/` is dropped).
    pub fn with_public_url(mut self, url: &str) -> Result<AppState, String> {
        let trimmed = url.trim().trim_end_matches('/');
        let rest = trimmed
            .strip_prefix("https://")
            .or_else(|| trimmed.strip_prefix("http://"))
            .ok_or_else(|| format!("--public-url {url:?} must start with https:// or http://"))?;
        let host = rest.split('/').next().unwrap_or("");
        let ok = !host.is_empty()
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
            && rest
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-:[]/_~%".contains(c));
        if !ok {
            return Err(format!(
                "--public-url {url:?} is not a base URL like https://maps.example.gov.uk or https://example.gov.uk/assetmap"
            ));
        }
        Arc::make_mut(&mut self.inner).public_url = Some(Arc::from(trimmed));
        Ok(self)
    }

    /// The same state, able to sync this manifest again on `POST /api/sync`.
    pub fn with_manifest(mut self, manifest: std::path::PathBuf) -> AppState {
        Arc::make_mut(&mut self.inner).manifest = Some(Arc::new(manifest));
        self
    }

    /// The same state letting each client send `burst` contributions at
    /// once, then `per_hour` an hour (0: no limit).
    pub fn with_contribution_rate(mut self, burst: f64, per_hour: u32) -> AppState {
        Arc::make_mut(&mut self.inner).contribution_limits =
            Arc::new(contributions::ContributionLimits::per_hour(burst, per_hour));
        self
    }

    /// Encodes the tiles' polygon layers up to `max_zoom` ahead, on a
    /// thread of its own, zoom by zoom (see [`crate::tiles::TileSource::prepare`]);
    /// tiles are made in full until their zoom is done. Logs the tiles,
    /// bytes and time taken.
    pub fn prepare_tiles_in_background(&self, max_zoom: u8) {
        let (tiles, dataset) = (self.tiles.clone(), self.dataset());
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let spawned = std::thread::Builder::new()
            .name("tile-prepare".into())
            .spawn(move || {
                let started = std::time::Instant::now();
                let made = tiles.prepare(&dataset, max_zoom, threads);
                tracing::info!(
                    tiles = made.tiles,
                    mib = made.bytes / (1024 * 1024),
                    largest = %made.largest.map(|t| format!("{}/{}/{}", t.z, t.x, t.y)).unwrap_or_default(),
                    largest_kb = made.largest_bytes / 1024,
                    max_zoom,
                    ms = started.elapsed().as_millis() as u64,
                    "tile polygon layers encoded ahead"
                );
            });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "cannot encode tile polygons ahead; tiles are made in full");
        }
    }

    /// The same state flagging entries not checked for `days` days as stale.
    pub fn with_review_interval_days(mut self, days: u32) -> AppState {
        Arc::make_mut(&mut self.inner).review_interval_days = days.max(1);
        self
    }

    /// The date (YYYY-MM-DD) before which a last check makes an entry stale.
    pub fn stale_before(&self) -> String {
        let today = chrono::Utc::now().date_naive();
        (today - chrono::Duration::days(i64::from(self.review_interval_days)))
            .format("%Y-%m-%d")
            .to_string()
    }

    /// The same state with at most `permits` costly requests at once.
    pub fn with_heavy_permits(mut self, permits: usize) -> AppState {
        Arc::make_mut(&mut self.inner).heavy =
            Arc::new(tokio::sync::Semaphore::new(permits.max(1)));
        self
    }

    /// The same state letting each client start `per_minute` costly
    /// requests a minute (bursts of [`HEAVY_BURST_PER_CLIENT`]); 0 for no limit.
    pub fn with_heavy_per_client_per_minute(mut self, per_minute: u32) -> AppState {
        Arc::make_mut(&mut self.inner).heavy_rate = heavy_rate(per_minute);
        self
    }

    /// A turn at costly work for `client`: 429 with Retry-After when that
    /// client has used its share, else a wait of up to [`HEAVY_WAIT`] for a
    /// free slot, and 503 with Retry-After when the server is too busy.
    pub async fn heavy_turn(
        &self,
        client: &auth::ClientIp,
    ) -> Result<tokio::sync::OwnedSemaphorePermit, ApiError> {
        if let (Some(ip), Some((burst, refill))) = (client.0, self.heavy_rate)
            && let Err(wait_s) = self.heavy_per_client.take(&ip.to_string(), burst, refill)
        {
            return Err(ApiError::TooManyRequests(wait_s));
        }
        match tokio::time::timeout(HEAVY_WAIT, self.heavy.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(ApiError::Busy(HEAVY_RETRY_AFTER_S)),
        }
    }

    /// The tiles (per asset filter) whose content the catalog's latest change
    /// altered (empty once taken).
    pub fn take_tile_changes(&self) -> crate::tiles::Changes {
        self.tile_changes
            .lock()
            .map(|mut t| std::mem::take(&mut *t))
            .unwrap_or_default()
    }

    /// What readers see now: one version, whole. Hold it for one request.
    pub fn view(&self) -> Arc<View> {
        self.view.load_full()
    }

    /// The dataset readers see now.
    pub fn dataset(&self) -> Arc<Dataset> {
        self.view.load().dataset.clone()
    }
}

/// Cancels its analysis when dropped: held by the request's future, so
/// when the request times out (408) or the client goes away, the work on
/// the blocking pool stops at its next check instead of running on.
pub(crate) struct CancelOnDrop(pub crate::analysis::Cancel);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

fn heavy_rate(per_minute: u32) -> Option<(f64, Duration)> {
    (per_minute > 0).then(|| {
        (
            HEAVY_BURST_PER_CLIENT,
            Duration::from_secs_f64(60.0 / per_minute as f64),
        )
    })
}

/// Every route, as OpenAPI writes it (the test checks the document lists them all).
pub const ROUTES: [&str; 36] = [
    "/",
    "/conformance",
    "/collections",
    "/collections/{collectionId}",
    "/collections/{collectionId}/queryables",
    "/collections/{collectionId}/items",
    "/collections/{collectionId}/items/{featureId}",
    "/api",
    "/health",
    "/api/dataset",
    "/api/categories",
    "/api/nearby",
    "/api/wards",
    "/api/wards/{code}",
    "/api/small-areas/{code}",
    "/api/export/{collection}",
    "/api/gaps",
    "/api/gaps/small-areas",
    "/api/gaps/suggest",
    "/api/gaps/scenario",
    "/tiles/{layer}/{z}/{x}/{y}.mvt",
    "/tiles/{layer}.json",
    "/api/assets/{id}/history",
    "/api/sync",
    "/api/session",
    "/signin",
    "/print",
    "/api/search",
    "/api/listings",
    "/api/contributions",
    "/api/contributions/{reference}",
    "/api/contributions/{reference}/decision",
    "/contributions/{reference}",
    "/api/review",
    "/api/stewards",
    "/api/assets/{id}/confirm",
];

/// The whole API.
pub fn router(state: AppState) -> Router {
    // Tiles are gzipped once each, by their own route: they skip the
    // compression layer (the busiest route need not pass through it).
    let tiles = Router::new()
        .route("/tiles/{layer}/{z}/{x}/{file}", get(tiles::tile))
        .method_not_allowed_fallback(error::method_not_allowed)
        .with_state(state.clone());
    Router::new()
        .route(ROUTES[0], get(web::home))
        .route(ROUTES[1], get(ogc::conformance))
        .route(ROUTES[2], get(ogc::collections))
        .route(ROUTES[3], get(ogc::collection))
        .route(ROUTES[4], get(ogc::queryables))
        .route(ROUTES[5], get(ogc::items).post(edit::create))
        .route(
            ROUTES[6],
            get(ogc::item)
                .put(edit::replace)
                .patch(edit::update)
                .delete(edit::retire),
        )
        .route(ROUTES[7], get(openapi::openapi))
        .route(ROUTES[8], get(dataset::health))
        .route(ROUTES[9], get(dataset::summary))
        .route(ROUTES[10], get(nearby::categories_list))
        .route(ROUTES[11], get(nearby::nearby))
        .route(ROUTES[12], get(areas::list))
        .route(ROUTES[13], get(areas::ward))
        .route(ROUTES[14], get(areas::small_area))
        .route(ROUTES[15], get(export::download))
        .route(ROUTES[16], get(gaps::wards))
        .route(ROUTES[17], get(gaps::small_areas))
        .route(ROUTES[18], get(gaps::suggest))
        .route(ROUTES[19], axum::routing::post(gaps::scenario))
        .route("/tiles/archive.pmtiles", get(web::archive))
        .route("/tiles/{file}", get(tiles::tilejson))
        .route(ROUTES[22], get(edit::history))
        .route(ROUTES[23], axum::routing::post(edit::sync))
        .route(ROUTES[24], get(auth::session_json))
        .route(ROUTES[25], get(auth::signin_page).post(auth::signin))
        .route("/account", get(auth::account))
        .route("/signout", axum::routing::post(auth::signout))
        .route("/planner", get(web::planner))
        .route("/accessibility", get(web::accessibility))
        .route(ROUTES[26], get(web::print::print))
        .route(ROUTES[27], get(nearby::search_entries))
        .route(ROUTES[28], get(nearby::listings))
        .route(
            ROUTES[29],
            get(contributions::queue).post(contributions::submit),
        )
        .route(ROUTES[30], get(contributions::status))
        .route(ROUTES[31], axum::routing::post(contributions::decide))
        .route(ROUTES[32], get(contributions::page))
        .route(ROUTES[33], get(contributions::review))
        .route(ROUTES[34], axum::routing::post(edit::invite_steward))
        .route(ROUTES[35], axum::routing::post(edit::confirm))
        .route("/suggest", get(web::suggest::form).post(web::suggest::send))
        .route("/our-entries", get(web::steward::list))
        .route(
            "/our-entries/{id}",
            get(web::steward::edit_form).post(web::steward::save),
        )
        .route("/manage", get(web::manage::queue))
        .route(
            "/manage/{reference}",
            get(web::manage::item).post(web::manage::decide),
        )
        .route("/manage/assets/{id}", get(web::manage::history))
        .route(
            "/manage/assets/{id}/revert",
            axum::routing::post(web::manage::revert),
        )
        .route("/privacy", get(web::privacy))
        .route("/oruk", get(oruk::root))
        .route("/oruk/", get(oruk::root))
        .route("/oruk/openapi.json", get(oruk::openapi))
        .route("/oruk/services", get(oruk::services))
        .route("/oruk/services/{id}", get(oruk::service))
        .route(
            "/oruk/service_at_locations",
            get(oruk::service_at_locations),
        )
        .route(
            "/oruk/service_at_locations/{id}",
            get(oruk::service_at_location),
        )
        .route("/oruk/taxonomies", get(oruk::taxonomies))
        .route("/oruk/taxonomies/{id}", get(oruk::taxonomy))
        .route("/oruk/taxonomy_terms", get(oruk::taxonomy_terms))
        .route("/oruk/taxonomy_terms/{id}", get(oruk::taxonomy_term))
        .route("/oruk/organizations", get(oruk::organizations))
        .route("/oruk/organizations/{id}", get(oruk::organization))
        .route("/docs/methods.md", get(web::methods))
        .route("/app/{file}", get(web::app_file))
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .with_state(state)
        .layer(
            CompressionLayer::new().compress_when(
                // Not worth a gzip header and a deflate pass below a kilobyte
                // (health checks, errors, small answers); tiles come gzipped already.
                SizeAbove::new(MIN_COMPRESS_BYTES)
                    .and(NotForContentType::GRPC)
                    .and(NotForContentType::IMAGES)
                    .and(NotForContentType::const_new("text/event-stream")),
            ),
        )
        .merge(tiles)
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        // A body that stops arriving (a Content-Length larger than what is sent).
        .layer(RequestBodyTimeoutLayer::new(BODY_READ_TIMEOUT))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(layers::AccessLayer)
}

/// A download: the body with its media type and a file name to save it as.
pub(crate) fn attachment(media_type: &str, filename: &str, body: Vec<u8>) -> Response {
    IntoResponse::into_response((
        [
            (header::CONTENT_TYPE, media_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        body,
    ))
}

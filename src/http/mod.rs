//! The HTTP API: the router, shared state, one file per resource, and the one
//! error type every handler returns.

mod areas;
mod dataset;
mod error;
mod export;
pub mod gaps;
pub mod nearby;
pub mod ogc;
pub mod openapi;
pub mod params;
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
use tower_http::timeout::TimeoutLayer;

pub use error::ApiError;

use crate::model::Dataset;

/// Longest time a request may take before it is answered 408.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Smallest response body that is gzipped, bytes.
pub const MIN_COMPRESS_BYTES: u16 = 1024;
/// Largest request body accepted, bytes.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// What every handler can see.
#[derive(Clone)]
pub struct AppState {
    /// The loaded dataset, read-only.
    pub dataset: Arc<Dataset>,
    /// Each asset's nearby-search GeoJSON, rendered once (see [`nearby::AssetJson`]).
    pub asset_json: Arc<Vec<nearby::AssetJson>>,
    /// Projected geometry and cluster hierarchies for vector tiles.
    pub tiles: Arc<crate::tiles::TileSource>,
    /// Rendered tiles.
    pub tile_cache: Arc<tiles::TileCache>,
    /// Gap analyses by parameters (cleared when it reaches [`GAP_CACHE_ENTRIES`]).
    pub gap_cache:
        Arc<std::sync::Mutex<std::collections::HashMap<String, Arc<crate::analysis::GapResult>>>>,
    /// How the web pages are served.
    pub web: Arc<web::WebOptions>,
}

/// Default tile cache budget, bytes.
pub const DEFAULT_TILE_CACHE_BYTES: usize = 128 * 1024 * 1024;

/// How many gap analyses are kept.
pub const GAP_CACHE_ENTRIES: usize = 64;

impl AppState {
    /// State for a dataset with the default tile options.
    pub fn new(dataset: Arc<Dataset>) -> AppState {
        AppState::with_tiles(
            dataset,
            crate::tiles::cluster::DEFAULT_MAX_ZOOM,
            DEFAULT_TILE_CACHE_BYTES,
        )
    }

    /// State for a dataset: assets cluster up to `cluster_max_zoom`; rendered
    /// tiles are cached up to `tile_cache_bytes` (0 turns the cache off).
    pub fn with_tiles(
        dataset: Arc<Dataset>,
        cluster_max_zoom: u8,
        tile_cache_bytes: usize,
    ) -> AppState {
        let asset_json = Arc::new(nearby::render_assets(&dataset));
        let tiles = Arc::new(crate::tiles::TileSource::new(&dataset, cluster_max_zoom));
        AppState {
            dataset,
            asset_json,
            tiles,
            tile_cache: Arc::new(tiles::TileCache::new(tile_cache_bytes)),
            gap_cache: Arc::default(),
            web: Arc::default(),
        }
    }

    /// The same state with these web page options.
    pub fn with_web(mut self, options: web::WebOptions) -> AppState {
        self.web = Arc::new(options);
        self
    }

    /// Moves an asset (the internal editing API): re-clusters, and evicts
    /// exactly the cached tiles whose content changed.
    pub fn move_asset(&self, id: &str, lonlat: geo::Coord) -> Option<crate::tiles::Changes> {
        let &i = self.dataset.asset_by_id.get(id)?;
        let changes = self.tiles.move_asset(i, lonlat);
        self.tile_cache.invalidate(&changes);
        Some(changes)
    }

    /// Removes an asset from the tiles (the internal editing API).
    pub fn remove_asset(&self, id: &str) -> Option<crate::tiles::Changes> {
        let &i = self.dataset.asset_by_id.get(id)?;
        let changes = self.tiles.remove_asset(i);
        self.tile_cache.invalidate(&changes);
        Some(changes)
    }

    /// Adds an asset to the tiles (the internal editing API).
    pub fn add_asset(&self, point: crate::tiles::LivePoint) -> crate::tiles::Changes {
        let (_, changes) = self.tiles.add_asset(point);
        self.tile_cache.invalidate(&changes);
        changes
    }
}

/// Every route, as OpenAPI writes it (the test checks the document lists them all).
pub const ROUTES: [&str; 22] = [
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
];

/// The whole API.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route(ROUTES[0], get(web::home))
        .route(ROUTES[1], get(ogc::conformance))
        .route(ROUTES[2], get(ogc::collections))
        .route(ROUTES[3], get(ogc::collection))
        .route(ROUTES[4], get(ogc::queryables))
        .route(ROUTES[5], get(ogc::items))
        .route(ROUTES[6], get(ogc::item))
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
        .route("/tiles/{layer}/{z}/{x}/{file}", get(tiles::tile))
        .route("/tiles/{file}", get(tiles::tilejson))
        .route("/planner", get(web::planner))
        .route("/accessibility", get(web::accessibility))
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
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
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

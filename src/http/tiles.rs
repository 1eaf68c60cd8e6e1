//! `/tiles/{layer}/{z}/{x}/{y}.mvt` and `/tiles/{layer}.json` (TileJSON 3.0.0):
//! strong ETags from content, `If-None-Match` -> 304, gzip when accepted, 200 with no bytes
//! for an empty tile, and a bounded in-memory cache that asset edits
//! invalidate exactly.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawPathParams, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};

use super::params::{self, Query};
use super::{ApiError, AppState, gaps};
use crate::features::{self, Collection};
use crate::tiles::{Changes, MAX_ZOOM, TileId, TileLayer};

/// `Cache-Control` of a tile: browsers revalidate with the ETag after a minute.
pub const CACHE_CONTROL: &str = "public, max-age=60, must-revalidate";
/// MVT media type.
pub const MVT_TYPE: &str = "application/vnd.mapbox-vector-tile";
/// Cold tiles below this zoom count as costly work (see [`AppState::heavy_turn`]).
pub const COSTLY_BELOW_ZOOM: u8 = 10;

/// Tiles up to this size are gzipped on the request's own task; larger ones
/// on a blocking thread (each blocking thread holds an allocator heap, so a
/// burst of hand-offs holds far more memory than the work needs).
const GZIP_HERE_MAX_BYTES: usize = 32 * 1024;
/// `gaps` (category whose gap figures ward tiles carry)
pub const GAPS: &str = "gaps";

/// A rendered tile: its bytes, gzipped once when a client first takes
/// gzip (not for clients that do not), and its ETag.
pub struct CachedTile {
    raw: Bytes,
    gzip: std::sync::OnceLock<Bytes>,
    etag: String,
    /// The ETag as a header value, made once.
    etag_header: Option<HeaderValue>,
}

impl CachedTile {
    /// Bytes it holds, counting a gzip made later as a third of the raw
    /// size when there is none yet (MVT compresses about threefold).
    fn weight(&self) -> u64 {
        let gzip = self.gzip.get().map_or(self.raw.len() / 3, Bytes::len);
        (self.raw.len() + gzip + 64) as u64
    }
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct TileKey {
    layer: TileLayer,
    tile: TileId,
    filter: String,
    gaps: String,
}

#[derive(Clone)]
struct TileWeight;

impl quick_cache::Weighter<TileKey, Arc<CachedTile>> for TileWeight {
    fn weight(&self, _key: &TileKey, tile: &Arc<CachedTile>) -> u64 {
        tile.weight()
    }
}

/// Rendered tiles within a byte budget. Hot tiles stay (quick_cache's
/// CLOCK-Pro-style policy, not first in first out); clients asking for the
/// same cold tile at once wait for one render; an edit drops exactly the
/// asset-bearing tiles it changed, found through an index by tile, not by a
/// scan of the cache.
pub struct TileCache {
    cache: Option<quick_cache::sync::Cache<TileKey, Arc<CachedTile>, TileWeight>>,
    /// Bumped by every invalidation: a tile rendered from older data is not kept.
    generation: std::sync::atomic::AtomicU64,
    /// Held for reading while a fresh tile goes in, for writing while an
    /// invalidation runs, so no stale tile slips in between.
    epoch: std::sync::RwLock<()>,
    /// Cached asset-bearing keys by (filter, tile).
    by_tile: Mutex<HashMap<(String, TileId), Vec<TileKey>>>,
    /// Renders done (cache misses that rendered), for tests and the log.
    renders: std::sync::atomic::AtomicU64,
}

impl Default for TileCache {
    fn default() -> TileCache {
        TileCache::new(0)
    }
}

impl TileCache {
    /// A cache holding at most `budget` bytes (0 turns it off).
    pub fn new(budget: usize) -> TileCache {
        let cache = (budget > 0).then(|| {
            // Tiles average a few kilobytes; the estimate only sizes the table.
            let items = (budget / 4096).clamp(64, 1 << 20);
            quick_cache::sync::Cache::with_weighter(items, budget as u64, TileWeight)
        });
        TileCache {
            cache,
            generation: Default::default(),
            epoch: Default::default(),
            by_tile: Mutex::default(),
            renders: Default::default(),
        }
    }

    /// The cached tile, or `render`'s; concurrent callers for the same key
    /// wait for one render instead of each doing it.
    async fn get_or_render<F, Fut>(
        &self,
        key: TileKey,
        render: F,
    ) -> Result<Arc<CachedTile>, ApiError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<CachedTile, ApiError>>,
    {
        use std::sync::atomic::Ordering;
        let Some(cache) = &self.cache else {
            self.renders.fetch_add(1, Ordering::Relaxed);
            return render().await.map(Arc::new);
        };
        match cache.get_value_or_guard_async(&key).await {
            Ok(tile) => Ok(tile),
            Err(guard) => {
                let started = self.generation.load(Ordering::Acquire);
                self.renders.fetch_add(1, Ordering::Relaxed);
                // On an error the guard drops and a waiting caller renders.
                let tile = Arc::new(render().await?);
                let _fresh = self.epoch.read();
                if self.generation.load(Ordering::Acquire) == started
                    && tile.weight() <= cache.capacity()
                {
                    if key.layer.has_assets() {
                        self.index(&key);
                    }
                    let _ = guard.insert(tile.clone());
                }
                Ok(tile)
            }
        }
    }

    fn index(&self, key: &TileKey) {
        let Ok(mut by_tile) = self.by_tile.lock() else {
            return;
        };
        by_tile
            .entry((key.filter.clone(), key.tile))
            .or_default()
            .push(key.clone());
        // Entries of tiles the cache has since evicted: drop them now and then.
        let cached = self.len();
        if by_tile.len() > 2 * cached + 1024
            && let Some(cache) = &self.cache
        {
            by_tile.retain(|_, keys| {
                keys.retain(|k| cache.contains_key(k));
                !keys.is_empty()
            });
        }
    }

    /// Drops exactly the cached asset-bearing tiles an edit changed; returns how many.
    pub fn invalidate(&self, changes: &Changes) -> usize {
        use std::sync::atomic::Ordering;
        let _writing = self.epoch.write();
        self.generation.fetch_add(1, Ordering::AcqRel);
        let Some(cache) = &self.cache else { return 0 };
        let Ok(mut by_tile) = self.by_tile.lock() else {
            return 0;
        };
        let mut dropped = 0;
        for changed in &changes.tiles {
            for key in by_tile.remove(changed).unwrap_or_default() {
                dropped += usize::from(cache.remove(&key).is_some());
            }
        }
        dropped
    }

    /// Number of cached tiles.
    pub fn len(&self) -> usize {
        self.cache.as_ref().map_or(0, |c| c.len())
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many tiles have been rendered (misses), since start.
    pub fn renders(&self) -> u64 {
        self.renders.load(std::sync::atomic::Ordering::Relaxed)
    }
}

fn etag_of(tag: &[u8; 16]) -> String {
    let mut out = String::with_capacity(34);
    out.push('"');
    for b in tag {
        out.push_str(&format!("{b:02x}"));
    }
    out.push('"');
    out
}

fn gzip(bytes: &[u8]) -> Bytes {
    Bytes::from(crate::tiles::gzip(bytes, flate2::Compression::fast()))
}

/// Whether the client takes gzip (RFC 9110 §12.5.3): an explicit `gzip`
/// entry decides by its weight (`q=0`, `q=0.000` refuse it), else `*` does;
/// with neither, it does not.
pub(crate) fn accepts_gzip(headers: &HeaderMap) -> bool {
    let mut gzip: Option<bool> = None;
    let mut any: Option<bool> = None;
    for part in headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
    {
        let mut pieces = part.trim().split(';');
        let coding = pieces.next().unwrap_or("").trim();
        let weight = pieces
            .filter_map(|p| {
                let (k, v) = p.split_once('=')?;
                (k.trim().eq_ignore_ascii_case("q")).then(|| v.trim().parse::<f32>().ok())?
            })
            .next()
            .unwrap_or(1.0);
        let wanted = weight > 0.0;
        if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") {
            gzip = Some(gzip.unwrap_or(false) || wanted);
        } else if coding == "*" {
            any = Some(any.unwrap_or(false) || wanted);
        }
    }
    gzip.or(any).unwrap_or(false)
}

/// `GET /tiles/{layer}/{z}/{x}/{y}.mvt`
pub async fn tile(
    State(state): State<AppState>,
    client: super::auth::ClientIp,
    // Borrowed as the router found them (`Path` would copy each to a String).
    path: RawPathParams,
    RawQuery(raw): RawQuery,
    request: axum::extract::Request,
) -> Result<Response, ApiError> {
    // The request's headers, read in place (the `HeaderMap` extractor copies them).
    let headers = request.headers();
    let mut params = path.iter().map(|(_, v)| v);
    let (Some(layer), Some(z), Some(x), Some(file)) =
        (params.next(), params.next(), params.next(), params.next())
    else {
        return Err(ApiError::NotFound("no such tile".into()));
    };
    let layer = TileLayer::parse(layer).ok_or_else(|| {
        ApiError::NotFound(format!(
            "no tile layer {layer:?}; layers are assets, wards, small_areas, all"
        ))
    })?;
    let y = file
        .strip_suffix(".mvt")
        .ok_or_else(|| ApiError::bad(format!("tile {file:?} must be {{y}}.mvt")))?;
    let tile = TileId::parse(z, x, y).map_err(|e| ApiError::bad(e.to_string()))?;
    let q = Query::parse(
        raw.as_deref(),
        &[
            params::CATEGORY,
            GAPS,
            gaps::COVERAGE_M,
            gaps::CATCHMENT_M,
            params::COUNCIL,
            gaps::DECAY,
        ],
        &[params::CATEGORY],
    )?;
    if !layer.has_assets() && q.has(params::CATEGORY) {
        return Err(ApiError::bad(
            "category filters the assets layer; use it with assets or all",
        ));
    }
    let view = state.view();
    let categories = super::nearby::categories(&view.dataset, &q)?;
    let gap_result = match q.get(GAPS) {
        Some(category) if matches!(layer, TileLayer::Wards | TileLayer::All) => Some(
            gaps::cached(
                &state,
                &view.dataset,
                gaps::gap_params_for(&state, &q, category)?,
                &client,
            )
            .await?,
        ),
        Some(_) => {
            return Err(ApiError::bad(
                "gaps colours the wards layer; use it with wards or all",
            ));
        }
        None if q.has(gaps::COVERAGE_M)
            || q.has(gaps::CATCHMENT_M)
            || q.has(gaps::DECAY)
            || q.has(params::COUNCIL) =>
        {
            return Err(ApiError::bad(
                "coverage_m, catchment_m, council and decay go with gaps=<category>",
            ));
        }
        None => None,
    };
    let key = TileKey {
        layer,
        tile,
        filter: crate::tiles::TileSource::filter_key(&categories),
        gaps: gap_result
            .as_ref()
            .map(|r| format!("{}:{:?}", view.dataset.version, r.params))
            .unwrap_or_default(),
    };
    let cached = state
        .tile_cache
        .get_or_render(key, || async {
            // Low zooms cover much of the data: a cold one is costly work.
            // Unless its polygons were encoded ahead.
            let prepared = gap_result.is_none() && state.tiles.is_prepared(tile.z);
            // Asked only on a miss: a cache hit takes no lock.
            let clusters_built = state
                .tiles
                .has_clusters(&crate::tiles::TileSource::filter_key(&categories));
            let turn = if tile.z < COSTLY_BELOW_ZOOM && !prepared {
                Some(state.heavy_turn(&client).await?)
            } else {
                None
            };
            let (dataset, source) = (view.dataset.clone(), state.tiles.clone());
            let wants_gzip = accepts_gzip(headers);
            let make = move || {
                let _turn = turn;
                let (raw, tag) =
                    source.render_tagged(&dataset, tile, layer, &categories, gap_result.as_deref());
                let etag = etag_of(&tag);
                let rendered = CachedTile {
                    etag_header: HeaderValue::from_str(&etag).ok(),
                    etag,
                    gzip: std::sync::OnceLock::new(),
                    raw: Bytes::from(raw),
                };
                if wants_gzip && !rendered.raw.is_empty() {
                    let _ = rendered.gzip.set(gzip(&rendered.raw));
                }
                rendered
            };
            if prepared && clusters_built {
                // Polygons encoded ahead and the assets clustered: a
                // fraction of a millisecond at any zoom, cheaper made here
                // than handed to a thread. (Handed-off low-zoom tiles each
                // took a blocking thread of their own, and a burst of them
                // took over 2 GB, with about a third of this throughput.)
                Ok(make())
            } else {
                tokio::task::spawn_blocking(make)
                    .await
                    .map_err(|e| ApiError::Internal(e.to_string()))
            }
        })
        .await?;
    // An empty tile is a valid MVT of no layers: 200 with no bytes (and its
    // ETag), which every client reads; GDAL's MVT driver cannot open a 204.
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim() == cached.etag || t.trim() == "*")
        });
    let gzip_body = if matches || cached.raw.is_empty() || !accepts_gzip(headers) {
        None
    } else {
        Some(match cached.gzip.get() {
            Some(gz) => gz.clone(),
            // The first client to take gzip for a tile rendered raw: a
            // small tile is compressed here (tens of microseconds), a large
            // one on a blocking thread.
            None if cached.raw.len() <= GZIP_HERE_MAX_BYTES => {
                cached.gzip.get_or_init(|| gzip(&cached.raw)).clone()
            }
            None => {
                let tile = cached.clone();
                tokio::task::spawn_blocking(move || {
                    tile.gzip.get_or_init(|| gzip(&tile.raw)).clone()
                })
                .await
                .map_err(|e| ApiError::Internal(e.to_string()))?
            }
        })
    };
    // Built in place, room made once for every header the answer and the
    // layers around it add: this is the hottest route.
    let mut response = match (matches, &gzip_body) {
        (true, _) => Response::new(axum::body::Body::empty()),
        (false, Some(gz)) => Response::new(axum::body::Body::from(gz.clone())),
        (false, None) => Response::new(axum::body::Body::from(cached.raw.clone())),
    };
    if matches {
        *response.status_mut() = StatusCode::NOT_MODIFIED;
    }
    let h = response.headers_mut();
    h.reserve(8);
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    );
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    if let Some(v) = &cached.etag_header {
        h.insert(header::ETAG, v.clone());
    }
    if !matches {
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(MVT_TYPE));
    }
    if gzip_body.is_some() {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    Ok(response)
}

/// `GET /tiles/{layer}.json`: TileJSON 3.0.0.
pub async fn tilejson(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(file): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    Query::parse(raw.as_deref(), &[], &[])?;
    let name = file
        .strip_suffix(".json")
        .ok_or_else(|| ApiError::NotFound(format!("no resource /tiles/{file}")))?;
    let layer = TileLayer::parse(name).ok_or_else(|| {
        ApiError::NotFound(format!(
            "no tile layer {name:?}; layers are assets, wards, small_areas, all"
        ))
    })?;
    let d = &state.dataset();
    let collections: Vec<Collection> = match layer {
        TileLayer::Assets => vec![Collection::Assets],
        TileLayer::Wards => vec![Collection::Wards],
        TileLayer::SmallAreas => vec![Collection::SmallAreas],
        TileLayer::All => vec![
            Collection::SmallAreas,
            Collection::Wards,
            Collection::Assets,
        ],
    };
    let bounds =
        features::extent_lonlat(Collection::Wards, d).unwrap_or([-180.0, -85.0, 180.0, 85.0]);
    let base = super::ogc::base_url(&state, &headers);
    let vector_layers: Vec<Value> = collections
        .iter()
        .map(|c| {
            let minzoom = if *c == Collection::SmallAreas { crate::tiles::SMALL_AREAS_MIN_ZOOM } else { 0 };
            json!({"id": c.id(), "description": crate::tiles::layer_description(*c), "minzoom": minzoom, "maxzoom": MAX_ZOOM, "fields": crate::tiles::layer_fields(*c, &state.tiles)})
        })
        .collect();
    Ok(Json(json!({
        "tilejson": "3.0.0",
        "name": format!("{} – {}", d.info.name, layer.name()),
        "description": format!("assetmap {} tiles; assets cluster up to zoom {}", layer.name(), state.tiles.cluster_max_zoom()),
        "version": env!("CARGO_PKG_VERSION"),
        "attribution": d.info.attribution,
        "scheme": "xyz",
        "tiles": [format!("{base}/tiles/{}/{{z}}/{{x}}/{{y}}.mvt", layer.name())],
        "minzoom": 0,
        "maxzoom": MAX_ZOOM,
        "bounds": bounds,
        "center": [(bounds[0] + bounds[2]) / 2.0, (bounds[1] + bounds[3]) / 2.0, 11],
        "vector_layers": vector_layers,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(
                header::ACCEPT_ENCODING,
                HeaderValue::from_str(v).unwrap_or(HeaderValue::from_static("")),
            );
        }
        h
    }

    #[test]
    fn gzip_is_sent_only_when_accepted() {
        assert!(accepts_gzip(&with(&["gzip, deflate, br"])));
        assert!(accepts_gzip(&with(&["br;q=1.0, gzip;q=0.8"])));
        assert!(accepts_gzip(&with(&["*"])));
        assert!(accepts_gzip(&with(&["deflate", "GZIP"])));
        assert!(!accepts_gzip(&with(&[])));
        assert!(!accepts_gzip(&with(&["identity"])));
        assert!(!accepts_gzip(&with(&["gzip;q=0"])));
        assert!(!accepts_gzip(&with(&["gzip; q=0.000"])));
        // An explicit refusal beats the wildcard, whichever comes first.
        assert!(!accepts_gzip(&with(&["*;q=1, gzip;q=0"])));
        assert!(!accepts_gzip(&with(&["gzip;q=0, *"])));
        assert!(!accepts_gzip(&with(&["*;q=0"])));
        assert!(accepts_gzip(&with(&["*;q=0.5, br"])));
    }
}

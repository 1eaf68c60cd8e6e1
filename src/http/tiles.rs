//! `/tiles/{layer}/{z}/{x}/{y}.mvt` and `/tiles/{layer}.json` (TileJSON 3.0.0):
//! strong ETags from content, `If-None-Match` -> 304, gzip when accepted, 200 with no bytes
//! for an empty tile, and a bounded in-memory cache that asset edits
//! invalidate exactly.

use std::collections::{HashMap, VecDeque};
use std::io::Write as _;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

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
/// `gaps` (category whose gap figures ward tiles carry)
pub const GAPS: &str = "gaps";

/// A rendered tile.
pub struct CachedTile {
    raw: Bytes,
    gzip: Bytes,
    etag: String,
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct TileKey {
    layer: TileLayer,
    tile: TileId,
    filter: String,
    gaps: String,
}

/// A bounded cache of rendered tiles (first in, first out by bytes).
#[derive(Default)]
pub struct TileCache {
    budget: usize,
    inner: Mutex<CacheInner>,
}

/// The cache's generation when a render started: a tile rendered before an
/// invalidation is not kept after it.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Generation(u64);

#[derive(Default)]
struct CacheInner {
    generation: u64,
    tiles: HashMap<TileKey, Arc<CachedTile>>,
    order: VecDeque<TileKey>,
    bytes: usize,
}

impl TileCache {
    /// A cache holding at most `budget` bytes (0 turns it off).
    pub fn new(budget: usize) -> TileCache {
        TileCache {
            budget,
            inner: Mutex::default(),
        }
    }

    fn get(&self, key: &TileKey) -> Option<Arc<CachedTile>> {
        self.inner.lock().ok()?.tiles.get(key).cloned()
    }

    fn generation(&self) -> Generation {
        Generation(self.inner.lock().map(|c| c.generation).unwrap_or(0))
    }

    fn put(&self, started: Generation, key: TileKey, tile: Arc<CachedTile>) {
        let size = tile.raw.len() + tile.gzip.len() + 64;
        if self.budget == 0 || size > self.budget {
            return;
        }
        let Ok(mut c) = self.inner.lock() else { return };
        if c.generation != started.0 {
            // The data changed while this tile was rendered.
            return;
        }
        while c.bytes + size > self.budget {
            let Some(old) = c.order.pop_front() else {
                break;
            };
            if let Some(t) = c.tiles.remove(&old) {
                c.bytes -= t.raw.len() + t.gzip.len() + 64;
            }
        }
        if let Some(previous) = c.tiles.insert(key.clone(), tile) {
            c.bytes -= previous.raw.len() + previous.gzip.len() + 64;
        } else {
            c.order.push_back(key);
        }
        c.bytes += size;
    }

    /// Drops exactly the cached asset-bearing tiles an edit changed; returns how many.
    pub fn invalidate(&self, changes: &Changes) -> usize {
        let Ok(mut c) = self.inner.lock() else {
            return 0;
        };
        c.generation += 1;
        let doomed: Vec<TileKey> = c
            .tiles
            .keys()
            .filter(|k| k.layer.has_assets() && changes.tiles.contains(&(k.filter.clone(), k.tile)))
            .cloned()
            .collect();
        for k in &doomed {
            if let Some(t) = c.tiles.remove(k) {
                c.bytes -= t.raw.len() + t.gzip.len() + 64;
            }
        }
        c.order.retain(|k| !doomed.contains(k));
        doomed.len()
    }

    /// Number of cached tiles.
    pub fn len(&self) -> usize {
        self.inner.lock().map(|c| c.tiles.len()).unwrap_or(0)
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn etag_of(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

fn gzip(bytes: &[u8]) -> Bytes {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    if encoder.write_all(bytes).is_err() {
        return Bytes::new();
    }
    encoder.finish().map(Bytes::from).unwrap_or_default()
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
        let coding = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
        let weight = pieces
            .filter_map(|p| {
                let (k, v) = p.split_once('=')?;
                (k.trim().eq_ignore_ascii_case("q")).then(|| v.trim().parse::<f32>().ok())?
            })
            .next()
            .unwrap_or(1.0);
        let wanted = weight > 0.0;
        match coding.as_str() {
            "gzip" | "x-gzip" => gzip = Some(gzip.unwrap_or(false) || wanted),
            "*" => any = Some(any.unwrap_or(false) || wanted),
            _ => {}
        }
    }
    gzip.or(any).unwrap_or(false)
}

/// `GET /tiles/{layer}/{z}/{x}/{y}.mvt`
pub async fn tile(
    State(state): State<AppState>,
    client: super::auth::ClientIp,
    Path((layer, z, x, file)): Path<(String, String, String, String)>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let layer = TileLayer::parse(&layer).ok_or_else(|| {
        ApiError::NotFound(format!(
            "no tile layer {layer:?}; layers are assets, wards, small_areas, all"
        ))
    })?;
    let y = file
        .strip_suffix(".mvt")
        .ok_or_else(|| ApiError::bad(format!("tile {file:?} must be {{y}}.mvt")))?;
    let tile = TileId::parse(&z, &x, y).map_err(|e| ApiError::bad(e.to_string()))?;
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
    let cached = match state.tile_cache.get(&key) {
        Some(t) => t,
        None => {
            // Low zooms cover much of the data: a cold one is costly work.
            let turn = if tile.z < COSTLY_BELOW_ZOOM {
                Some(state.heavy_turn(&client).await?)
            } else {
                None
            };
            let started = state.tile_cache.generation();
            let (dataset, source) = (view.dataset.clone(), state.tiles.clone());
            let rendered = tokio::task::spawn_blocking(move || {
                let _turn = turn;
                let raw = source.render(&dataset, tile, layer, &categories, gap_result.as_deref());
                let gz = if raw.is_empty() {
                    Bytes::new()
                } else {
                    gzip(&raw)
                };
                CachedTile {
                    etag: etag_of(&raw),
                    raw: Bytes::from(raw),
                    gzip: gz,
                }
            })
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))?;
            let t = Arc::new(rendered);
            state.tile_cache.put(started, key, t.clone());
            t
        }
    };
    // An empty tile is a valid MVT of no layers: 200 with no bytes (and its
    // ETag), which every client reads; GDAL's MVT driver cannot open a 204.
    let mut response_headers = HeaderMap::new();
    response_headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    );
    response_headers.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    if let Ok(v) = HeaderValue::from_str(&cached.etag) {
        response_headers.insert(header::ETAG, v);
    }
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim() == cached.etag || t.trim() == "*")
        });
    if matches {
        return Ok((StatusCode::NOT_MODIFIED, response_headers).into_response());
    }
    response_headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(MVT_TYPE));
    if accepts_gzip(&headers) && !cached.gzip.is_empty() {
        response_headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        return Ok((response_headers, cached.gzip.clone()).into_response());
    }
    Ok((response_headers, cached.raw.clone()).into_response())
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
            json!({"id": c.id(), "description": c.description(), "minzoom": minzoom, "maxzoom": MAX_ZOOM, "fields": crate::tiles::layer_fields(*c, &state.tiles)})
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

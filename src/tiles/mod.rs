//! Mapbox Vector Tiles of the dataset: clustered assets, and ward and
//! small-area choropleths.
//!
//! A tile is made in steps: select from an R-tree (polygons by bounding box,
//! leaving out those less than a pixel across,
//! points from the zoom's cluster level), clip, simplify, quantise and fix
//! rings ([`polygon`]), then encode ([`mvt`]). Assets are clustered per zoom
//! over the whole dataset ([`cluster`]) so clusters agree across tile edges.
//! The catalog's changes are applied as they happen ([`TileSource::apply`]);
//! each returns exactly the tiles whose content changed.

pub mod cluster;

/// Gzip of some bytes at a compression level (tiles, archive directories,
/// the pages' files).
pub fn gzip(bytes: &[u8], level: flate2::Compression) -> Vec<u8> {
    use std::io::Write as _;
    let mut e = flate2::write::GzEncoder::new(Vec::with_capacity(bytes.len() / 2 + 64), level);
    // Writing to a Vec cannot fail.
    let _ = e.write_all(bytes);
    e.finish().unwrap_or_default()
}

pub mod mvt;
pub mod pmtiles;
pub mod polygon;

use std::collections::{BTreeSet, HashMap};
use std::hash::{Hash, Hasher};
use std::sync::{Arc, RwLock};

use geo::{BoundingRect, Coord, MapCoords, MultiPolygon};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

use crate::analysis::GapResult;
use crate::crs::WEB_MERCATOR_MAX_LAT;
use crate::model::Dataset;
use cluster::{Hierarchy, Input};
use mvt::{Geometry, Layer, Value};
use polygon::{Frame, tile_polygon};

/// Highest zoom served.
pub const MAX_ZOOM: u8 = 22;
/// Lowest zoom of the small-area layer. Below it an urban LSOA is a few
/// pixels and a tile holds thousands (a z10 tile of London held 3,052, 284
/// KB); the planners' page draws them from zoom 13, the residents' page never.
pub const SMALL_AREAS_MIN_ZOOM: u8 = 12;
/// Lowest zoom at which ward features carry every property. Below it they
/// carry only `code`, which the pages colour them by (feature state from
/// `/api/gaps`) and look the rest up by: names and figures were two thirds
/// of a low-zoom tile's bytes (a z6 tile of 3,136 wards was 286 KB, 183 KB
/// of it properties). Gap-coloured tiles still carry their gap figures.
pub const WARD_DETAILS_MIN_ZOOM: u8 = SMALL_AREAS_MIN_ZOOM;

/// A tile address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TileId {
    /// Zoom.
    pub z: u8,
    /// Column.
    pub x: u32,
    /// Row.
    pub y: u32,
}

/// Why a tile address was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TileError {
    /// Zoom out of 0..=22.
    #[error("zoom must be a whole number from 0 to {MAX_ZOOM} (got {0})")]
    Zoom(String),
    /// Column or row out of range for the zoom.
    #[error("{axis} must be a whole number from 0 to {max} at zoom {z} (got {got})")]
    Range {
        /// x or y
        axis: &'static str,
        /// largest allowed
        max: u64,
        /// zoom
        z: u8,
        /// what was given
        got: String,
    },
}

impl TileId {
    /// Checks a tile address given as text.
    pub fn parse(z: &str, x: &str, y: &str) -> Result<TileId, TileError> {
        // Only the canonical spelling: digits, no sign, no leading zeros.
        let canonical = |t: &str| {
            !t.is_empty()
                && t.len() <= 10
                && t.bytes().all(|b| b.is_ascii_digit())
                && (t == "0" || !t.starts_with('0'))
        };
        let z: u8 = Some(z)
            .filter(|t| canonical(t))
            .and_then(|t| t.parse().ok())
            .filter(|z| *z <= MAX_ZOOM)
            .ok_or_else(|| TileError::Zoom(z.to_string()))?;
        let max = (1u64 << z) - 1;
        let coord = |axis: &'static str, text: &str| {
            Some(text)
                .filter(|t| canonical(t))
                .and_then(|t| t.parse::<u64>().ok())
                .filter(|v| *v <= max)
                .map(|v| v as u32)
                .ok_or(TileError::Range {
                    axis,
                    max,
                    z,
                    got: text.to_string(),
                })
        };
        Ok(TileId {
            z,
            x: coord("x", x)?,
            y: coord("y", y)?,
        })
    }

    fn frame(self) -> Frame {
        Frame {
            scale: f64::powi(2.0, i32::from(self.z)),
            x: f64::from(self.x),
            y: f64::from(self.y),
        }
    }

    /// The tile's box in normalised Web Mercator, grown by `margin` tile units.
    fn bounds(self, margin: f64) -> ([f64; 2], [f64; 2]) {
        let size = 1.0 / f64::powi(2.0, i32::from(self.z));
        let m = margin / f64::from(mvt::EXTENT) * size;
        let (x0, y0) = (f64::from(self.x) * size, f64::from(self.y) * size);
        ([x0 - m, y0 - m], [x0 + size + m, y0 + size + m])
    }

    /// Every tile at zoom `z` whose box grown by [`polygon::BUFFER`] holds
    /// the point: the one containing it, and neighbours when it lies within
    /// their buffer (so a symbol drawn across an edge is whole in both).
    /// Allocation-free: change tracking asks this for every node of every
    /// zoom on each edit.
    pub fn holding(z: u8, x: f64, y: f64) -> impl Iterator<Item = TileId> {
        let home = TileId::containing(z, x, y);
        let max = i64::from((1u32 << z) - 1);
        (-1i64..=1)
            .flat_map(|dy| (-1i64..=1).map(move |dx| (dx, dy)))
            .filter_map(move |(dx, dy)| {
                let (tx, ty) = (i64::from(home.x) + dx, i64::from(home.y) + dy);
                ((0..=max).contains(&tx) && (0..=max).contains(&ty)).then_some(TileId {
                    z,
                    x: tx as u32,
                    y: ty as u32,
                })
            })
            .filter(move |tile| {
                let (min, max_corner) = tile.bounds(polygon::BUFFER);
                (min[0]..=max_corner[0]).contains(&x) && (min[1]..=max_corner[1]).contains(&y)
            })
    }

    /// The tile containing a normalised Web Mercator point at zoom `z`.
    pub fn containing(z: u8, x: f64, y: f64) -> TileId {
        let n = f64::powi(2.0, i32::from(z));
        let max = (1u32 << z) - 1;
        TileId {
            z,
            x: ((x * n).floor().max(0.0) as u32).min(max),
            y: ((y * n).floor().max(0.0) as u32).min(max),
        }
    }
}

/// The layers a tile can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TileLayer {
    /// Clustered assets.
    Assets,
    /// Ward polygons.
    Wards,
    /// Small-area polygons.
    SmallAreas,
    /// All three in one tile.
    All,
}

impl TileLayer {
    /// Parses a layer name.
    pub fn parse(name: &str) -> Option<TileLayer> {
        match name {
            "assets" => Some(TileLayer::Assets),
            "wards" => Some(TileLayer::Wards),
            "small_areas" => Some(TileLayer::SmallAreas),
            "all" => Some(TileLayer::All),
            _ => None,
        }
    }

    /// The layer name.
    pub fn name(self) -> &'static str {
        match self {
            TileLayer::Assets => "assets",
            TileLayer::Wards => "wards",
            TileLayer::SmallAreas => "small_areas",
            TileLayer::All => "all",
        }
    }

    /// Whether asset edits can change it.
    pub fn has_assets(self) -> bool {
        matches!(self, TileLayer::Assets | TileLayer::All)
    }
}

/// Longitude/latitude to normalised Web Mercator (0..1, y down).
pub fn normalised_mercator(lonlat: Coord) -> Coord {
    let lat = lonlat
        .y
        .clamp(-WEB_MERCATOR_MAX_LAT, WEB_MERCATOR_MAX_LAT)
        .to_radians();
    Coord {
        x: (lonlat.x + 180.0) / 360.0,
        y: (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0,
    }
}

/// An asset as the tiles know it.
#[derive(Debug, Clone, PartialEq)]
pub struct LivePoint {
    /// Asset id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Category id.
    pub category: String,
    /// The name in readable case, when it differs from the published one.
    pub display_name: Option<String>,
    /// Normalised Web Mercator position.
    pub at: Coord,
}

impl LivePoint {
    /// The point of an asset.
    pub fn of(asset: &crate::model::Asset) -> LivePoint {
        LivePoint {
            id: asset.id.clone(),
            name: asset.name.clone(),
            category: asset.category.clone(),
            display_name: match asset.display_name() {
                std::borrow::Cow::Owned(readable) => Some(readable),
                std::borrow::Cow::Borrowed(_) => None,
            },
            at: normalised_mercator(asset.lonlat),
        }
    }
}

struct LiveAssets {
    points: Vec<Option<LivePoint>>,
    hierarchies: HashMap<String, Arc<Hierarchy>>,
}

/// Most category filters whose cluster hierarchies are kept.
const MAX_HIERARCHIES: usize = 32;

type BoxTree = RTree<GeomWithData<Rectangle<[f64; 2]>, u32>>;

fn box_tree(shapes: &[MultiPolygon]) -> BoxTree {
    RTree::bulk_load(
        shapes
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                let r = s.bounding_rect()?;
                Some(GeomWithData::new(
                    Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                    i as u32,
                ))
            })
            .collect(),
    )
}

/// Tiles whose content an edit changed, per asset filter key (`""` = all categories).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Changes {
    /// (filter key, tile)
    pub tiles: BTreeSet<(String, TileId)>,
}

/// MVT rings of one shape in one tile (exteriors followed by their holes).
type Rings = Vec<Vec<(i32, i32)>>;

/// Shapes pre-generalised for one zoom (built on first use).
type Generalised = std::sync::OnceLock<Vec<MultiPolygon>>;

/// Zooms up to this one get pre-generalised shapes.
const GENERALISE_UP_TO_ZOOM: u8 = 13;
/// Zooms up to this one have their polygon layers encoded ahead (see
/// [`TileSource::prepare`]): the tiles that cover most data, and are the
/// costliest to make, are few (about 13,000 for England at zooms 0 to 12).
pub const PREPARED_MAX_ZOOM: u8 = 14;

/// What [`TileSource::prepare`] encoded ahead.
#[derive(Debug, Default, Clone, Copy)]
pub struct Prepared {
    /// Tiles with polygons.
    pub tiles: usize,
    /// Their polygon layers' bytes, uncompressed.
    pub bytes: usize,
    /// The tile whose polygon layers are largest.
    pub largest: Option<TileId>,
    /// Bytes of that tile's polygon layers, uncompressed.
    pub largest_bytes: usize,
}

/// A tile's polygon layers, encoded ahead: each an MVT `layers` field,
/// empty when the tile has none of that layer.
#[derive(Debug, Default)]
struct PreparedTile {
    small_areas: Vec<u8>,
    wards: Vec<u8>,
    /// Digests of the two, made once, for the tiles' ETags.
    small_areas_digest: [u8; 16],
    wards_digest: [u8; 16],
}

/// The first 16 bytes of the SHA-256 of some bytes: a tile's content tag.
pub fn digest16(parts: &[&[u8]]) -> [u8; 16] {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    let mut out = [0u8; 16];
    out.copy_from_slice(&h.finalize()[..16]);
    out
}

/// One zoom's prepared tiles; a tile not in the map has no polygons.
type PreparedZoom = HashMap<(u32, u32), PreparedTile>;

/// Everything needed to make tiles, built once per dataset.
pub struct TileSource {
    wards: Vec<MultiPolygon>,
    ward_tree: BoxTree,
    areas: Vec<MultiPolygon>,
    area_tree: BoxTree,
    ward_levels: Vec<Generalised>,
    area_levels: Vec<Generalised>,
    categories: Vec<String>,
    cluster_max_zoom: u8,
    live: RwLock<LiveAssets>,
    /// Polygon layers encoded ahead, per zoom up to [`PREPARED_MAX_ZOOM`]
    /// (each set once [`TileSource::prepare`] has made it).
    prepared: Vec<std::sync::OnceLock<PreparedZoom>>,
}

fn mercator_shape(shape: &MultiPolygon) -> MultiPolygon {
    shape.map_coords(normalised_mercator)
}

impl TileSource {
    /// Projects the dataset for tiles; assets cluster up to `cluster_max_zoom`.
    pub fn new(dataset: &Dataset, cluster_max_zoom: u8) -> TileSource {
        let wards: Vec<MultiPolygon> = dataset
            .wards
            .iter()
            .map(|w| mercator_shape(&w.lonlat))
            .collect();
        let areas: Vec<MultiPolygon> = dataset
            .small_areas
            .iter()
            .map(|s| mercator_shape(&s.lonlat))
            .collect();
        let mut points = vec![
            None;
            dataset
                .assets
                .iter()
                .map(|a| a.slot as usize + 1)
                .max()
                .unwrap_or(0)
        ];
        for a in &dataset.assets {
            points[a.slot as usize] = Some(LivePoint::of(a));
        }
        TileSource {
            ward_tree: box_tree(&wards),
            area_tree: box_tree(&areas),
            ward_levels: (0..=GENERALISE_UP_TO_ZOOM)
                .map(|_| Generalised::new())
                .collect(),
            area_levels: (0..=GENERALISE_UP_TO_ZOOM)
                .map(|_| Generalised::new())
                .collect(),
            wards,
            areas,
            categories: dataset.info.category_labels.keys().cloned().collect(),
            cluster_max_zoom: cluster_max_zoom.min(MAX_ZOOM - 1),
            live: RwLock::new(LiveAssets {
                points,
                hierarchies: HashMap::new(),
            }),
            prepared: (0..=PREPARED_MAX_ZOOM)
                .map(|_| std::sync::OnceLock::new())
                .collect(),
        }
    }

    /// Encodes the polygon layers (small areas and wards, without gap
    /// figures) of every tile up to `max_zoom` (at most
    /// [`PREPARED_MAX_ZOOM`]) that meets a ward, on `threads` threads, zoom
    /// by zoom from the lowest, then generalises the shapes of the zooms
    /// above that still get generalised shapes (so no request waits for it): once a zoom is done its tiles join those
    /// bytes to a live asset layer instead of clipping polygons. Boundaries
    /// change only with a new source, so this is done once (the server does
    /// it in the background after start-up; until then tiles are made in
    /// full). Returns how many tiles it encoded, their bytes and the largest.
    pub fn prepare(&self, dataset: &Dataset, max_zoom: u8, threads: usize) -> Prepared {
        let mut out = Prepared::default();
        if self.wards.is_empty() {
            return out;
        }
        let mut extent = self.ward_tree.root().envelope();
        if !self.areas.is_empty() {
            rstar::Envelope::merge(&mut extent, &self.area_tree.root().envelope());
        }
        for z in 0..=max_zoom.min(PREPARED_MAX_ZOOM) {
            if self.prepared[z as usize].get().is_some() {
                continue;
            }
            // Every tile that meets the shapes, and the ring of tiles
            // around, whose buffers may hold their edges.
            let (lo, hi) = (extent.lower(), extent.upper());
            let first = TileId::containing(z, lo[0], lo[1]);
            let last = TileId::containing(z, hi[0], hi[1]);
            let max = (1u32 << z) - 1;
            let (x0, y0) = (first.x.saturating_sub(1), first.y.saturating_sub(1));
            let (x1, y1) = ((last.x + 1).min(max), (last.y + 1).min(max));
            let all: Vec<(u32, u32)> = (y0..=y1)
                .flat_map(|y| (x0..=x1).map(move |x| (x, y)))
                .collect();
            let chunk = all.len().div_ceil(threads.max(1)).max(1);
            let made: Vec<((u32, u32), PreparedTile)> = std::thread::scope(|scope| {
                let workers: Vec<_> = all
                    .chunks(chunk)
                    .map(|part| {
                        scope.spawn(move || {
                            part.iter()
                                .filter_map(|&(x, y)| {
                                    let tile = TileId { z, x, y };
                                    let p = self.polygon_layers(dataset, tile);
                                    (!p.small_areas.is_empty() || !p.wards.is_empty())
                                        .then_some(((x, y), p))
                                })
                                .collect::<Vec<_>>()
                        })
                    })
                    .collect();
                workers
                    .into_iter()
                    .flat_map(|w| w.join().unwrap_or_default())
                    .collect()
            });
            out.tiles += made.len();
            for ((x, y), p) in &made {
                let size = p.small_areas.len() + p.wards.len();
                out.bytes += size;
                if size > out.largest_bytes {
                    out.largest_bytes = size;
                    out.largest = Some(TileId { z, x: *x, y: *y });
                }
            }
            let _ = self.prepared[z as usize].set(made.into_iter().collect());
        }
        for z in max_zoom.min(PREPARED_MAX_ZOOM) + 1..=GENERALISE_UP_TO_ZOOM {
            std::thread::scope(|scope| {
                scope.spawn(|| self.shape(&self.wards, &self.ward_levels, z, 0));
                if !self.areas.is_empty() {
                    scope.spawn(|| self.shape(&self.areas, &self.area_levels, z, 0));
                }
            });
        }
        out
    }

    /// A tile's polygon layers, encoded.
    fn polygon_layers(&self, dataset: &Dataset, tile: TileId) -> PreparedTile {
        let mut p = PreparedTile::default();
        if tile.z >= SMALL_AREAS_MIN_ZOOM {
            mvt::append_layer(&mut p.small_areas, &self.small_area_layer(dataset, tile));
        }
        mvt::append_layer(&mut p.wards, &self.ward_layer(dataset, tile, None));
        p.small_areas_digest = digest16(&[&p.small_areas]);
        p.wards_digest = digest16(&[&p.wards]);
        p
    }

    /// Whether a zoom's polygon layers are encoded ahead.
    pub fn is_prepared(&self, z: u8) -> bool {
        self.prepared
            .get(z as usize)
            .is_some_and(|p| p.get().is_some())
    }

    /// Whether the asset clusters for a category filter (a
    /// [`Self::filter_key`]) are built; a filter's first tile builds them.
    pub fn has_clusters(&self, filter_key: &str) -> bool {
        self.live
            .read()
            .is_ok_and(|l| l.hierarchies.contains_key(filter_key))
    }

    /// Shape `i` for zoom `z`: at low zooms pre-generalised once with half the
    /// tile tolerance (the tile pipeline still simplifies, quantises and fixes
    /// it), so a dense tile does not simplify thousands of full-detail rings.
    fn shape<'a>(
        &self,
        full: &'a [MultiPolygon],
        levels: &'a [Generalised],
        z: u8,
        i: usize,
    ) -> &'a MultiPolygon {
        match levels.get(z as usize) {
            Some(level) => {
                let epsilon = 0.5 * polygon::tolerance(z)
                    / (f64::from(mvt::EXTENT) * f64::powi(2.0, i32::from(z)));
                &level.get_or_init(|| {
                    full.iter()
                        .map(|s| geo::Simplify::simplify(s, epsilon))
                        .collect()
                })[i]
            }
            None => &full[i],
        }
    }

    /// The highest clustered zoom.
    pub fn cluster_max_zoom(&self) -> u8 {
        self.cluster_max_zoom
    }

    /// The categories, in the order cluster counts use.
    pub fn categories(&self) -> &[String] {
        &self.categories
    }

    /// The filter key of a category list (sorted, comma-joined; empty = all).
    pub fn filter_key(categories: &[String]) -> String {
        let mut sorted: Vec<&str> = categories.iter().map(String::as_str).collect();
        sorted.sort_unstable();
        sorted.dedup();
        sorted.join(",")
    }

    fn build_hierarchy(&self, points: &[Option<LivePoint>], key: &str) -> Hierarchy {
        let wanted: Vec<&str> = if key.is_empty() {
            Vec::new()
        } else {
            key.split(',').collect()
        };
        let inputs: Vec<Input> = points
            .iter()
            .enumerate()
            .filter_map(|(i, p)| p.as_ref().map(|p| (i, p)))
            .filter(|(_, p)| wanted.is_empty() || wanted.contains(&p.category.as_str()))
            .map(|(i, p)| Input {
                x: p.at.x,
                y: p.at.y,
                category: self
                    .categories
                    .iter()
                    .position(|c| *c == p.category)
                    .unwrap_or(0) as u32,
                asset: i as u32,
            })
            .collect();
        Hierarchy::build(&inputs, self.categories.len(), self.cluster_max_zoom)
    }

    fn hierarchy(&self, key: &str) -> Arc<Hierarchy> {
        if let Some(h) = self
            .live
            .read()
            .ok()
            .and_then(|l| l.hierarchies.get(key).cloned())
        {
            return h;
        }
        let mut live = match self.live.write() {
            Ok(l) => l,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some(h) = live.hierarchies.get(key) {
            return h.clone();
        }
        let h = Arc::new(self.build_hierarchy(&live.points, key));
        if live.hierarchies.len() >= MAX_HIERARCHIES {
            live.hierarchies.retain(|k, _| k.is_empty());
        }
        live.hierarchies.insert(key.to_string(), h.clone());
        h
    }

    /// Renders a tile; an empty tile is an empty vector.
    pub fn render(
        &self,
        dataset: &Dataset,
        tile: TileId,
        layer: TileLayer,
        categories: &[String],
        gaps: Option<&GapResult>,
    ) -> Vec<u8> {
        self.render_tagged(dataset, tile, layer, categories, gaps).0
    }

    /// Renders a tile, with a tag of its content for its ETag: equal
    /// content, equal tag. Where polygons were encoded ahead the tag comes
    /// from their digests (made once) and the live asset layer's bytes, so
    /// a large tile is not hashed whole for each render.
    pub fn render_tagged(
        &self,
        dataset: &Dataset,
        tile: TileId,
        layer: TileLayer,
        categories: &[String],
        gaps: Option<&GapResult>,
    ) -> (Vec<u8>, [u8; 16]) {
        let small_areas = matches!(layer, TileLayer::SmallAreas | TileLayer::All);
        let wards = matches!(layer, TileLayer::Wards | TileLayer::All);
        if gaps.is_none()
            && let Some(zoom) = self.prepared.get(tile.z as usize).and_then(|p| p.get())
        {
            // Polygons encoded ahead, joined to the live asset layer.
            let mut out = Vec::new();
            let none = [0u8; 16];
            let (mut sa, mut w) = (&none, &none);
            if let Some(p) = zoom.get(&(tile.x, tile.y)) {
                if small_areas {
                    out.extend_from_slice(&p.small_areas);
                    sa = &p.small_areas_digest;
                }
                if wards {
                    out.extend_from_slice(&p.wards);
                    w = &p.wards_digest;
                }
            }
            let polygons_end = out.len();
            if layer.has_assets() {
                mvt::append_layer(&mut out, &self.asset_layer(tile, categories));
            }
            let tag = digest16(&[b"prepared", sa, w, &out[polygons_end..]]);
            return (out, tag);
        }
        let mut layers = Vec::new();
        if small_areas && tile.z >= SMALL_AREAS_MIN_ZOOM {
            layers.push(self.small_area_layer(dataset, tile));
        }
        if wards {
            layers.push(self.ward_layer(dataset, tile, gaps));
        }
        if layer.has_assets() {
            layers.push(self.asset_layer(tile, categories));
        }
        let out = mvt::encode_tile(&layers);
        let tag = digest16(&[&out]);
        (out, tag)
    }

    fn polygons_in(&self, tree: &BoxTree, tile: TileId) -> Vec<usize> {
        let (min, max) = tile.bounds(polygon::BUFFER);
        // Shapes less than a pixel across both ways are not drawn (as tile
        // generalisation usually does): skip them before any work.
        let pixel = polygon::tolerance(tile.z)
            / (f64::from(mvt::EXTENT) * f64::powi(2.0, i32::from(tile.z)));
        let mut out: Vec<usize> = tree
            .locate_in_envelope_intersecting(&AABB::from_corners(min, max))
            .filter(|e| {
                let (lo, hi) = (e.geom().lower(), e.geom().upper());
                hi[0] - lo[0] >= pixel || hi[1] - lo[1] >= pixel
            })
            .map(|e| e.data as usize)
            .collect();
        out.sort_unstable();
        out
    }

    /// Steps 1–5 for every shape of a polygon layer that meets the tile:
    /// (index, MVT rings), shapes that vanish left out.
    fn tile_shapes(
        &self,
        full: &[MultiPolygon],
        levels: &[Generalised],
        tree: &BoxTree,
        tile: TileId,
    ) -> Vec<(usize, Rings)> {
        self.polygons_in(tree, tile)
            .into_iter()
            .map(|i| {
                let shape = self.shape(full, levels, tile.z, i);
                (
                    i,
                    tile_polygon(shape, tile.frame(), polygon::tolerance(tile.z))
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>(),
                )
            })
            .filter(|(_, rings)| !rings.is_empty())
            .collect()
    }

    fn ward_layer(&self, d: &Dataset, tile: TileId, gaps: Option<&GapResult>) -> Layer {
        let mut layer = Layer::new("wards");
        for (i, rings) in self.tile_shapes(&self.wards, &self.ward_levels, &self.ward_tree, tile) {
            let w = &d.wards[i];
            let mut props: Vec<(&str, Option<Value>)> =
                vec![("code", Some(Value::String(&w.code)))];
            if tile.z >= WARD_DETAILS_MIN_ZOOM {
                props.extend([
                    ("name", Some(Value::String(&w.name))),
                    ("council_code", w.council_code.as_deref().map(Value::String)),
                    ("population", Some(Value::Double(w.population))),
                    (
                        "imd_score",
                        w.imd_score
                            .map(|v| Value::Double((v * 1000.0).round() / 1000.0)),
                    ),
                    (
                        "decile1_share",
                        w.decile1_share
                            .map(|v| Value::Double((v * 10_000.0).round() / 10_000.0)),
                    ),
                ]);
            }
            if let Some(r) = gaps {
                let g = &r.wards[i];
                let round = |v: Option<f64>| v.map(|x| Value::Double((x * 1e6).round() / 1e6));
                props.push(("gap_category", Some(Value::String(&r.params.category))));
                props.push(("coverage", round(g.coverage)));
                props.push(("access_per_1000", round(g.access_per_1000)));
                props.push(("need", round(g.need)));
                props.push(("access", round(g.access)));
                props.push(("gap", round(g.gap)));
                props.push(("underserved", Some(Value::Bool(g.underserved))));
            }
            layer.add(Some(i as u64), &Geometry::Polygon(rings), &props);
        }
        layer
    }

    fn small_area_layer(&self, d: &Dataset, tile: TileId) -> Layer {
        let mut layer = Layer::new("small_areas");
        for (i, rings) in self.tile_shapes(&self.areas, &self.area_levels, &self.area_tree, tile) {
            let s = &d.small_areas[i];
            let dep = s.deprivation.as_ref();
            let props: [(&str, Option<Value>); 6] = [
                ("code", Some(Value::String(&s.code))),
                ("name", s.name.as_deref().map(Value::String)),
                ("ward_code", s.ward.map(|w| Value::String(&d.wards[w].code))),
                ("population", s.population.map(Value::Double)),
                ("imd_score", dep.map(|x| Value::Double(x.score))),
                (
                    "imd_decile",
                    dep.and_then(|x| x.decile).map(|v| Value::Int(i64::from(v))),
                ),
            ];
            layer.add(Some(i as u64), &Geometry::Polygon(rings), &props);
        }
        layer
    }

    fn asset_layer(&self, tile: TileId, categories: &[String]) -> Layer {
        let mut layer = Layer::new("assets");
        let key = Self::filter_key(categories);
        let h = self.hierarchy(&key);
        // Points in the tile and in its buffer, as for polygons: a symbol
        // near an edge is drawn whole by both tiles.
        let (min, max) = tile.bounds(polygon::BUFFER);
        let live = match self.live.read() {
            Ok(l) => l,
            Err(poisoned) => poisoned.into_inner(),
        };
        let frame = tile.frame();
        for i in h.in_box(tile.z, min, max) {
            let node = &h.level(tile.z)[i];
            let p = frame.to_tile(Coord {
                x: node.x,
                y: node.y,
            });
            let geometry = Geometry::Point(p.x.round() as i32, p.y.round() as i32);
            match node.asset.filter(|_| node.count == 1) {
                Some(a) => {
                    let Some(point) = live.points.get(a as usize).and_then(Option::as_ref) else {
                        continue;
                    };
                    layer.add(
                        Some(u64::from(a)),
                        &geometry,
                        &[
                            ("id", Some(Value::String(&point.id))),
                            ("name", Some(Value::String(&point.name))),
                            ("category", Some(Value::String(&point.category))),
                            (
                                "display_name",
                                point.display_name.as_deref().map(Value::String),
                            ),
                        ],
                    );
                }
                None => {
                    let mut props: Vec<(String, Option<Value>)> = vec![
                        ("cluster".into(), Some(Value::Bool(true))),
                        (
                            "point_count".into(),
                            Some(Value::Int(i64::from(node.count))),
                        ),
                        (
                            "expansion_zoom".into(),
                            Some(Value::Int(i64::from(h.expansion_zoom(tile.z, i)))),
                        ),
                    ];
                    for (c, n) in self.categories.iter().zip(&node.categories) {
                        if *n > 0 {
                            props.push((format!("count_{c}"), Some(Value::Int(i64::from(*n)))));
                        }
                    }
                    let borrowed: Vec<(&str, Option<Value>)> =
                        props.iter().map(|(k, v)| (k.as_str(), *v)).collect();
                    let id = (1u64 << 40)
                        | (u64::from(node_first(&h, tile.z, i)) << 5)
                        | u64::from(tile.z);
                    layer.add(Some(id), &geometry, &borrowed);
                }
            }
        }
        layer
    }

    /// Applies the catalog's changes: each slot's point as it is now
    /// (`None`: off the map). Returns exactly the tiles whose content changed.
    pub fn apply(&self, updates: &[(u32, Option<LivePoint>)]) -> Changes {
        self.edit(|points| {
            for (slot, point) in updates {
                let slot = *slot as usize;
                if slot >= points.len() {
                    points.resize(slot + 1, None);
                }
                points[slot] = point.clone();
            }
        })
        .1
    }

    /// Applies an edit and diffs every kept hierarchy zoom by zoom.
    fn edit<T>(&self, change: impl FnOnce(&mut Vec<Option<LivePoint>>) -> T) -> (T, Changes) {
        let mut live = match self.live.write() {
            Ok(l) => l,
            Err(poisoned) => poisoned.into_inner(),
        };
        let before_points = live.points.clone();
        let out = change(&mut live.points);
        let mut changes = Changes::default();
        let keys: Vec<String> = if live.hierarchies.contains_key("") {
            live.hierarchies.keys().cloned().collect()
        } else {
            let mut k: Vec<String> = live.hierarchies.keys().cloned().collect();
            k.push(String::new());
            k
        };
        for key in keys {
            let old = live
                .hierarchies
                .get(&key)
                .cloned()
                .unwrap_or_else(|| Arc::new(self.build_hierarchy(&before_points, &key)));
            let new = Arc::new(self.build_hierarchy(&live.points, &key));
            for tile in diff(&old, &new, &before_points, &live.points) {
                changes.tiles.insert((key.clone(), tile));
            }
            live.hierarchies.insert(key, new);
        }
        (out, changes)
    }
}

fn node_first(h: &Hierarchy, z: u8, i: usize) -> u32 {
    // The smallest asset index in the node: follow the first child down.
    let (mut level, mut idx) = ((z as usize).min(h.max_zoom as usize + 1), i);
    while level <= h.max_zoom as usize {
        idx = h.levels[level][idx]
            .children
            .iter()
            .copied()
            .min()
            .unwrap_or(0) as usize;
        level += 1;
    }
    h.levels[level][idx].asset.unwrap_or(0)
}

/// Fingerprints of every tile's asset content at zoom `z`.
fn fingerprints(h: &Hierarchy, z: u8, points: &[Option<LivePoint>]) -> HashMap<TileId, u64> {
    let mut per_tile: HashMap<TileId, Vec<u64>> = HashMap::new();
    for (i, node) in h.level(z).iter().enumerate() {
        let tile = TileId::containing(z, node.x, node.y);
        // The position as its own tile encodes it (which fixes it in the
        // neighbours' too).
        let at = tile.frame().to_tile(Coord {
            x: node.x,
            y: node.y,
        });
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        (at.x.round() as i64, at.y.round() as i64).hash(&mut hasher);
        node.count.hash(&mut hasher);
        node.categories.hash(&mut hasher);
        if node.count == 1 {
            node.asset.hash(&mut hasher);
            node.asset
                .and_then(|a| points.get(a as usize).cloned().flatten())
                .map(|p| (p.id, p.name, p.category))
                .hash(&mut hasher);
        } else {
            h.expansion_zoom(z, i).hash(&mut hasher);
            node_first(h, z, i).hash(&mut hasher);
        }
        let fingerprint = hasher.finish();
        for t in TileId::holding(z, node.x, node.y) {
            per_tile.entry(t).or_default().push(fingerprint);
        }
    }
    per_tile
        .into_iter()
        .map(|(t, mut v)| {
            v.sort_unstable();
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            v.hash(&mut hasher);
            (t, hasher.finish())
        })
        .collect()
}

/// The tiles, over every zoom, whose asset content differs between two states.
fn diff(
    old: &Hierarchy,
    new: &Hierarchy,
    old_points: &[Option<LivePoint>],
    new_points: &[Option<LivePoint>],
) -> BTreeSet<TileId> {
    let mut out = BTreeSet::new();
    for z in 0..=old.max_zoom {
        let (a, b) = (
            fingerprints(old, z, old_points),
            fingerprints(new, z, new_points),
        );
        for (t, fa) in &a {
            if b.get(t) != Some(fa) {
                out.insert(*t);
            }
        }
        for t in b.keys() {
            if !a.contains_key(t) {
                out.insert(*t);
            }
        }
    }
    // Beyond the clustered zooms each point is drawn alone in its own tile.
    let max_len = old_points.len().max(new_points.len());
    for i in 0..max_len {
        let (p, q) = (
            old_points.get(i).cloned().flatten(),
            new_points.get(i).cloned().flatten(),
        );
        if p == q {
            continue;
        }
        for z in old.max_zoom + 1..=MAX_ZOOM {
            for point in [&p, &q].into_iter().flatten() {
                out.extend(TileId::holding(z, point.at.x, point.at.y));
            }
        }
    }
    out
}

/// A tile layer's description for TileJSON and archive metadata: the
/// collection's, and what its features leave out at low zooms.
pub fn layer_description(collection: crate::features::Collection) -> String {
    match collection {
        crate::features::Collection::Wards => format!(
            "{} Below zoom {WARD_DETAILS_MIN_ZOOM} a ward carries only its code (and, with gaps, its gap figures); the rest is at /collections/wards/items/{{code}}.",
            collection.description()
        ),
        _ => collection.description().to_string(),
    }
}

/// The properties a tile layer's features carry, as TileJSON `fields`.
pub fn layer_fields(
    collection: crate::features::Collection,
    tiles: &TileSource,
) -> serde_json::Value {
    let mut out = serde_json::Map::new();
    let kinds: Vec<(String, &str)> = match collection {
        crate::features::Collection::Assets => {
            let mut v = vec![
                ("id".to_string(), "String"),
                ("name".to_string(), "String"),
                ("display_name".to_string(), "String"),
                ("category".to_string(), "String"),
                ("cluster".to_string(), "Boolean"),
                ("point_count".to_string(), "Number"),
                ("expansion_zoom".to_string(), "Number"),
            ];
            v.extend(
                tiles
                    .categories()
                    .iter()
                    .map(|c| (format!("count_{c}"), "Number")),
            );
            v
        }
        crate::features::Collection::Wards => ["code", "name", "council_code", "gap_category"]
            .iter()
            .map(|n| (n.to_string(), "String"))
            .chain(
                [
                    "population",
                    "imd_score",
                    "decile1_share",
                    "coverage",
                    "access_per_1000",
                    "need",
                    "access",
                    "gap",
                ]
                .iter()
                .map(|n| (n.to_string(), "Number")),
            )
            .chain(std::iter::once(("underserved".to_string(), "Boolean")))
            .collect(),
        crate::features::Collection::SmallAreas => ["code", "name", "ward_code"]
            .iter()
            .map(|n| (n.to_string(), "String"))
            .chain(
                ["population", "imd_score", "imd_decile"]
                    .iter()
                    .map(|n| (n.to_string(), "Number")),
            )
            .collect(),
    };
    for (name, kind) in kinds {
        out.insert(name, serde_json::Value::String(kind.into()));
    }
    serde_json::Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tile_addresses_are_checked() {
        assert_eq!(
            TileId::parse("3", "7", "0"),
            Ok(TileId { z: 3, x: 7, y: 0 })
        );
        assert!(
            TileId::parse("23", "0", "0")
                .unwrap_err()
                .to_string()
                .contains("0 to 22")
        );
        assert!(
            TileId::parse("3", "8", "0")
                .unwrap_err()
                .to_string()
                .contains("x must be a whole number from 0 to 7 at zoom 3")
        );
        assert!(TileId::parse("3", "0", "-1").is_err());
        assert!(TileId::parse("x", "0", "0").is_err());
        for (z, x, y) in [
            ("+1", "0", "0"),
            ("1", "00000000000000000000001", "0"),
            ("01", "0", "0"),
            ("1", "0", "+0"),
            ("1", " 0", "0"),
        ] {
            assert!(
                TileId::parse(z, x, y).is_err(),
                "{z}/{x}/{y} is not canonical"
            );
        }
    }

    #[test]
    fn mercator_matches_the_tile_scheme() {
        // London is in tile 0/0/0, 1/0/0 and 10/511/340.
        let london = normalised_mercator(Coord {
            x: -0.1276,
            y: 51.5072,
        });
        assert_eq!(
            TileId::containing(1, london.x, london.y),
            TileId { z: 1, x: 0, y: 0 }
        );
        assert_eq!(
            TileId::containing(10, london.x, london.y),
            TileId {
                z: 10,
                x: 511,
                y: 340
            }
        );
    }
}

//! Spatial indexes over projected coordinates (British National Grid metres):
//! R-trees of asset points for k-nearest, within-radius and bounding-box
//! queries, and R-trees of polygon bounding boxes for point-in-polygon and
//! nearest-polygon queries. Distances are planar metres; nothing here ever
//! measures on longitude/latitude.

use std::collections::BTreeMap;

use geo::{Contains, Coord, Distance, Euclidean, Intersects, MultiPolygon, Point};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

use crate::model::Asset;

type AssetPoint = GeomWithData<[f64; 2], u32>;
type PolygonBox = GeomWithData<Rectangle<[f64; 2]>, u32>;

/// One asset found by a query, with its distance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    /// Index into the dataset's assets.
    pub asset: usize,
    /// Planar distance in metres.
    pub distance_m: f64,
}

/// R-trees over asset positions: one over all assets and one per category.
#[derive(Debug, Default)]
pub struct AssetIndex {
    all: RTree<AssetPoint>,
    by_category: BTreeMap<String, RTree<AssetPoint>>,
}

fn point_entry(asset: &Asset, index: usize) -> AssetPoint {
    // Asset indexes fit in u32: the loader refuses more than u32::MAX assets.
    GeomWithData::new([asset.bng.x, asset.bng.y], index as u32)
}

impl AssetIndex {
    /// Bulk-loads the trees.
    pub fn new(assets: &[Asset]) -> Self {
        let all = RTree::bulk_load(
            assets
                .iter()
                .enumerate()
                .map(|(i, a)| point_entry(a, i))
                .collect(),
        );
        let mut grouped: BTreeMap<String, Vec<AssetPoint>> = BTreeMap::new();
        for (i, asset) in assets.iter().enumerate() {
            grouped
                .entry(asset.category.clone())
                .or_default()
                .push(point_entry(asset, i));
        }
        let by_category = grouped
            .into_iter()
            .map(|(k, v)| (k, RTree::bulk_load(v)))
            .collect();
        AssetIndex { all, by_category }
    }

    fn trees<'a>(&'a self, categories: &'a [String]) -> Vec<&'a RTree<AssetPoint>> {
        if categories.is_empty() {
            vec![&self.all]
        } else {
            categories
                .iter()
                .filter_map(|c| self.by_category.get(c))
                .collect()
        }
    }

    /// The `k` nearest assets to `at`, nearest first, optionally only of the given
    /// categories (empty = all) and within `max_distance_m` (inclusive). Ties in
    /// distance are broken by asset index, so answers are deterministic.
    pub fn nearest(
        &self,
        at: Coord,
        k: usize,
        categories: &[String],
        max_distance_m: Option<f64>,
    ) -> Vec<Hit> {
        self.nearest_where(at, k, categories, max_distance_m, usize::MAX, |_| true)
            .0
    }

    /// As [`AssetIndex::nearest`], keeping only assets `keep` accepts (it
    /// sees each candidate, nearest first, with its distance). At most
    /// `max_examined` candidates per category are looked at; the second
    /// value is how many were.
    pub fn nearest_where(
        &self,
        at: Coord,
        k: usize,
        categories: &[String],
        max_distance_m: Option<f64>,
        max_examined: usize,
        mut keep: impl FnMut(&Hit) -> bool,
    ) -> (Vec<Hit>, usize) {
        let query = [at.x, at.y];
        let limit2 = max_distance_m.map(|d| d * d);
        let mut hits = Vec::with_capacity(k);
        let mut examined = 0;
        for tree in self.trees(categories) {
            let mut last_d2 = f64::NEG_INFINITY;
            let mut taken = 0;
            for (seen, (entry, d2)) in tree
                .nearest_neighbor_iter_with_distance_2(&query)
                .enumerate()
            {
                if limit2.is_some_and(|l| d2 > l) || seen >= max_examined {
                    break;
                }
                // Keep going past k while distances tie, so tie-breaking by index is exact.
                if taken >= k && d2 > last_d2 {
                    break;
                }
                examined += 1;
                let hit = Hit {
                    asset: entry.data as usize,
                    distance_m: d2.sqrt(),
                };
                if keep(&hit) {
                    hits.push(hit);
                    taken += 1;
                    last_d2 = d2;
                }
            }
        }
        sort_hits(&mut hits);
        hits.truncate(k);
        (hits, examined)
    }

    /// Every asset within `radius_m` (inclusive) of `at`, nearest first.
    pub fn within(&self, at: Coord, radius_m: f64, categories: &[String]) -> Vec<Hit> {
        let query = [at.x, at.y];
        let mut hits: Vec<Hit> = self
            .trees(categories)
            .into_iter()
            .flat_map(|tree| tree.locate_within_distance(query, radius_m * radius_m))
            .map(|e| Hit {
                asset: e.data as usize,
                distance_m: ((e.geom()[0] - at.x).powi(2) + (e.geom()[1] - at.y).powi(2)).sqrt(),
            })
            .collect();
        sort_hits(&mut hits);
        hits
    }

    /// Every asset inside the box (edges inclusive), in index order.
    pub fn in_bbox(&self, min: Coord, max: Coord, categories: &[String]) -> Vec<usize> {
        let envelope = AABB::from_corners([min.x, min.y], [max.x, max.y]);
        let mut found: Vec<usize> = self
            .trees(categories)
            .into_iter()
            .flat_map(|tree| tree.locate_in_envelope(&envelope))
            .map(|e| e.data as usize)
            .collect();
        found.sort_unstable();
        found
    }
}

fn sort_hits(hits: &mut [Hit]) {
    hits.sort_by(|a, b| {
        a.distance_m
            .total_cmp(&b.distance_m)
            .then(a.asset.cmp(&b.asset))
    });
}

/// An R-tree of polygon bounding boxes; exact tests run on the polygons the
/// caller passes in, in the same order as at construction.
#[derive(Debug, Default)]
pub struct PolygonIndex {
    tree: RTree<PolygonBox>,
}

impl PolygonIndex {
    /// Indexes the bounding boxes of `polygons` (empty polygons are left out).
    pub fn new<'a>(polygons: impl Iterator<Item = &'a MultiPolygon>) -> Self {
        let boxes = polygons
            .enumerate()
            .filter_map(|(i, p)| {
                let rect = geo::BoundingRect::bounding_rect(p)?;
                Some(GeomWithData::new(
                    Rectangle::from_corners(
                        [rect.min().x, rect.min().y],
                        [rect.max().x, rect.max().y],
                    ),
                    i as u32,
                ))
            })
            .collect();
        PolygonIndex {
            tree: RTree::bulk_load(boxes),
        }
    }

    /// The polygon containing `at`: the lowest-indexed polygon whose interior
    /// contains it, else the lowest-indexed one whose boundary it lies on.
    pub fn containing<'a>(
        &self,
        polygons: impl Fn(usize) -> &'a MultiPolygon,
        at: Coord,
    ) -> Option<usize> {
        let point = Point(at);
        let mut candidates: Vec<usize> = self
            .tree
            .locate_all_at_point(&[at.x, at.y])
            .map(|e| e.data as usize)
            .collect();
        candidates.sort_unstable();
        candidates
            .iter()
            .copied()
            .find(|&i| polygons(i).contains(&point))
            .or_else(|| {
                candidates
                    .iter()
                    .copied()
                    .find(|&i| polygons(i).intersects(&point))
            })
    }

    /// The nearest polygon to `at` and its distance in metres (0 when inside);
    /// ties go to the lowest index.
    pub fn nearest<'a>(
        &self,
        polygons: impl Fn(usize) -> &'a MultiPolygon,
        at: Coord,
    ) -> Option<(usize, f64)> {
        let point = Point(at);
        let mut best: Option<(usize, f64)> = None;
        for (entry, box_d2) in self
            .tree
            .nearest_neighbor_iter_with_distance_2(&[at.x, at.y])
        {
            if let Some((_, best_d)) = best
                && box_d2.sqrt() > best_d
            {
                break;
            }
            let i = entry.data as usize;
            let d = Euclidean.distance(&point, polygons(i));
            let better = match best {
                None => true,
                Some((bi, bd)) => d < bd || (d == bd && i < bi),
            };
            if better {
                best = Some((i, d));
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    fn asset(i: usize, x: f64, y: f64, category: &str) -> Asset {
        Asset::new(
            format!("a{i}"),
            category.into(),
            format!("Asset {i}"),
            "test".into(),
            Coord { x, y },
            Coord { x: 0.0, y: 0.0 },
        )
    }

    /// A small deterministic generator (SplitMix64) so the test needs no crate.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> f64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    fn brute_force(assets: &[Asset], at: Coord, category: Option<&str>) -> Vec<Hit> {
        let mut hits: Vec<Hit> = assets
            .iter()
            .enumerate()
            .filter(|(_, a)| category.is_none_or(|c| a.category == c))
            .map(|(i, a)| Hit {
                asset: i,
                distance_m: ((a.bng.x - at.x).powi(2) + (a.bng.y - at.y).powi(2)).sqrt(),
            })
            .collect();
        sort_hits(&mut hits);
        hits
    }

    #[test]
    fn nearest_matches_a_brute_force_scan() {
        let mut rng = Rng(7);
        let assets: Vec<Asset> = (0..2000)
            .map(|i| {
                // Snap to a 10 m grid so distance ties really happen.
                let x = (rng.next() * 500.0).round() * 10.0;
                let y = (rng.next() * 500.0).round() * 10.0;
                asset(i, x, y, if i % 3 == 0 { "gp" } else { "pharmacy" })
            })
            .collect();
        let index = AssetIndex::new(&assets);
        for _ in 0..200 {
            let at = Coord {
                x: rng.next() * 5000.0,
                y: rng.next() * 5000.0,
            };
            let expected = brute_force(&assets, at, None);
            assert_eq!(index.nearest(at, 10, &[], None), expected[..10].to_vec());
            let gp = brute_force(&assets, at, Some("gp"));
            assert_eq!(index.nearest(at, 5, &["gp".into()], None), gp[..5].to_vec());
            let radius = 300.0;
            let inside: Vec<Hit> = expected
                .iter()
                .copied()
                .filter(|h| h.distance_m <= radius)
                .collect();
            assert_eq!(index.within(at, radius, &[]), inside);
            let capped: Vec<Hit> = inside.iter().copied().take(10).collect();
            assert_eq!(index.nearest(at, 10, &[], Some(radius)), capped);
        }
    }

    #[test]
    fn several_categories_merge_in_distance_order() {
        let assets = vec![
            asset(0, 0.0, 0.0, "gp"),
            asset(1, 5.0, 0.0, "library"),
            asset(2, 2.0, 0.0, "pharmacy"),
        ];
        let index = AssetIndex::new(&assets);
        let hits = index.nearest(
            Coord { x: 0.0, y: 0.0 },
            10,
            &["library".into(), "gp".into()],
            None,
        );
        assert_eq!(hits.iter().map(|h| h.asset).collect::<Vec<_>>(), vec![0, 1]);
        assert!(
            index
                .nearest(Coord { x: 0.0, y: 0.0 }, 3, &["none".into()], None)
                .is_empty()
        );
    }

    #[test]
    fn bbox_edges_are_inclusive() {
        let assets = vec![
            asset(0, 0.0, 0.0, "gp"),
            asset(1, 10.0, 10.0, "gp"),
            asset(2, 10.1, 5.0, "gp"),
        ];
        let index = AssetIndex::new(&assets);
        assert_eq!(
            index.in_bbox(Coord { x: 0.0, y: 0.0 }, Coord { x: 10.0, y: 10.0 }, &[]),
            vec![0, 1]
        );
    }

    #[test]
    fn point_in_polygon_prefers_interiors_then_boundaries() {
        let left = MultiPolygon(vec![
            polygon![(x: 0.0, y: 0.0), (x: 10.0, y: 0.0), (x: 10.0, y: 10.0), (x: 0.0, y: 10.0)],
        ]);
        let right = MultiPolygon(vec![
            polygon![(x: 10.0, y: 0.0), (x: 20.0, y: 0.0), (x: 20.0, y: 10.0), (x: 10.0, y: 10.0)],
        ]);
        let polys = [&left, &right];
        let index = PolygonIndex::new(polys.iter().copied());
        let polys = |i: usize| polys[i];
        assert_eq!(index.containing(polys, Coord { x: 15.0, y: 5.0 }), Some(1));
        assert_eq!(
            index.containing(polys, Coord { x: 10.0, y: 5.0 }),
            Some(0),
            "shared edge goes to the lower index"
        );
        assert_eq!(index.containing(polys, Coord { x: 25.0, y: 5.0 }), None);
        assert_eq!(
            index.nearest(polys, Coord { x: 25.0, y: 5.0 }),
            Some((1, 5.0))
        );
        assert_eq!(
            index.nearest(polys, Coord { x: -3.0, y: 5.0 }),
            Some((0, 3.0))
        );
    }
}

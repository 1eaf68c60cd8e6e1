//! Zoom-wide point clustering in the manner of supercluster: one level per
//! zoom, built from the level below by greedily absorbing neighbours within a
//! radius given in screen pixels, so a cluster is the same on both sides of a
//! tile edge and each point is in exactly one cluster per zoom.

use rstar::RTree;
use rstar::primitives::GeomWithData;

/// Cluster radius in pixels of a 512-pixel tile.
pub const RADIUS_PX: f64 = 40.0;
/// Tile size the radius refers to.
pub const TILE_PX: f64 = 512.0;
/// Highest zoom that is clustered by default.
pub const DEFAULT_MAX_ZOOM: u8 = 13;

/// A point or cluster at one zoom.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Position, normalised Web Mercator (0..1, y down).
    pub x: f64,
    /// See `x`.
    pub y: f64,
    /// Points inside.
    pub count: u32,
    /// Points per category, in the order of the categories given to [`Hierarchy::build`].
    pub categories: Vec<u32>,
    /// The asset when this is a single point.
    pub asset: Option<u32>,
    /// Indexes of the nodes one zoom deeper that this node is made of.
    pub children: Vec<u32>,
}

/// One point to cluster.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Input {
    /// Normalised Web Mercator x.
    pub x: f64,
    /// Normalised Web Mercator y.
    pub y: f64,
    /// Category index.
    pub category: u32,
    /// Asset index.
    pub asset: u32,
}

/// Every zoom's nodes; `levels[z]` for z in 0..=max_zoom, `levels[max_zoom + 1]` the points.
#[derive(Debug, Clone)]
pub struct Hierarchy {
    /// Highest clustered zoom.
    pub max_zoom: u8,
    /// Nodes per zoom.
    pub levels: Vec<Vec<Node>>,
    trees: Vec<RTree<GeomWithData<[f64; 2], u32>>>,
}

fn tree(nodes: &[Node]) -> RTree<GeomWithData<[f64; 2], u32>> {
    RTree::bulk_load(
        nodes
            .iter()
            .enumerate()
            .map(|(i, n)| GeomWithData::new([n.x, n.y], i as u32))
            .collect(),
    )
}

impl Hierarchy {
    /// Clusters the points for zooms 0..=max_zoom.
    pub fn build(points: &[Input], categories: usize, max_zoom: u8) -> Hierarchy {
        let leaves: Vec<Node> = points
            .iter()
            .map(|p| {
                let mut c = vec![0; categories];
                if let Some(slot) = c.get_mut(p.category as usize) {
                    *slot = 1;
                }
                Node {
                    x: p.x,
                    y: p.y,
                    count: 1,
                    categories: c,
                    asset: Some(p.asset),
                    children: Vec::new(),
                }
            })
            .collect();
        let mut levels = vec![Vec::new(); max_zoom as usize + 2];
        let mut trees = vec![RTree::new(); max_zoom as usize + 2];
        trees[max_zoom as usize + 1] = tree(&leaves);
        levels[max_zoom as usize + 1] = leaves;
        for z in (0..=max_zoom as usize).rev() {
            let below = &levels[z + 1];
            let below_tree = &trees[z + 1];
            let r = RADIUS_PX / (TILE_PX * f64::powi(2.0, z as i32));
            let mut taken = vec![false; below.len()];
            let mut level = Vec::new();
            for (i, p) in below.iter().enumerate() {
                if taken[i] {
                    continue;
                }
                taken[i] = true;
                let mut members: Vec<u32> = below_tree
                    .locate_within_distance([p.x, p.y], r * r)
                    .map(|e| e.data)
                    .filter(|&j| !taken[j as usize])
                    .collect();
                members.sort_unstable();
                if members.is_empty() {
                    level.push(Node {
                        children: vec![i as u32],
                        ..p.clone()
                    });
                    continue;
                }
                let (mut wx, mut wy, mut count) =
                    (p.x * f64::from(p.count), p.y * f64::from(p.count), p.count);
                let mut cats = p.categories.clone();
                for &j in &members {
                    taken[j as usize] = true;
                    let q = &below[j as usize];
                    wx += q.x * f64::from(q.count);
                    wy += q.y * f64::from(q.count);
                    count += q.count;
                    for (a, b) in cats.iter_mut().zip(&q.categories) {
                        *a += b;
                    }
                }
                let mut children = vec![i as u32];
                children.extend(members);
                level.push(Node {
                    x: wx / f64::from(count),
                    y: wy / f64::from(count),
                    count,
                    categories: cats,
                    asset: None,
                    children,
                });
            }
            trees[z] = tree(&level);
            levels[z] = level;
        }
        Hierarchy {
            max_zoom,
            levels,
            trees,
        }
    }

    /// The nodes at zoom `z` (points beyond the clustered zooms) whose position is in the box.
    pub fn in_box(&self, z: u8, min: [f64; 2], max: [f64; 2]) -> Vec<usize> {
        let level = (z as usize).min(self.max_zoom as usize + 1);
        let envelope = rstar::AABB::from_corners(min, max);
        let mut out: Vec<usize> = self.trees[level]
            .locate_in_envelope(&envelope)
            .map(|e| e.data as usize)
            .collect();
        out.sort_unstable();
        out
    }

    /// The node list used at zoom `z`.
    pub fn level(&self, z: u8) -> &[Node] {
        &self.levels[(z as usize).min(self.max_zoom as usize + 1)]
    }

    /// The zoom at which a cluster at zoom `z` first splits into several nodes.
    pub fn expansion_zoom(&self, z: u8, index: usize) -> u8 {
        let (mut level, mut i) = (z as usize, index);
        while level <= self.max_zoom as usize {
            let children = &self.levels[level][i].children;
            if children.len() != 1 {
                break;
            }
            i = children[0] as usize;
            level += 1;
        }
        (level + 1).min(self.max_zoom as usize + 1) as u8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(x: f64, y: f64, category: u32, asset: u32) -> Input {
        Input {
            x,
            y,
            category,
            asset,
        }
    }

    #[test]
    fn every_point_is_in_exactly_one_node_per_zoom() {
        let mut points = Vec::new();
        let mut s: u64 = 1;
        for i in 0..500 {
            s = s.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let x = 0.5 + ((s >> 20) % 10_000) as f64 * 1e-6;
            let y = 0.3 + ((s >> 40) % 10_000) as f64 * 1e-6;
            points.push(input(x, y, i % 3, i));
        }
        let h = Hierarchy::build(&points, 3, 13);
        for z in 0..=14u8 {
            let level = h.level(z);
            assert_eq!(level.iter().map(|n| n.count).sum::<u32>(), 500, "zoom {z}");
            let per_category: Vec<u32> = (0..3)
                .map(|c| level.iter().map(|n| n.categories[c]).sum())
                .collect();
            assert_eq!(per_category.iter().sum::<u32>(), 500);
        }
        assert!(h.level(0).len() < h.level(14).len());
    }

    #[test]
    fn close_points_cluster_and_expand_where_they_split() {
        // Two points 1e-5 apart (about 400 m): together at low zooms, apart at high ones.
        let points = [input(0.5, 0.5, 0, 0), input(0.50001, 0.5, 1, 1)];
        let h = Hierarchy::build(&points, 2, 13);
        assert_eq!(h.level(5).len(), 1);
        assert_eq!(h.level(5)[0].count, 2);
        assert_eq!(h.level(5)[0].categories, vec![1, 1]);
        assert_eq!(h.level(14).len(), 2);
        let split = (0..=14u8).find(|&z| h.level(z).len() == 2).expect("splits");
        assert_eq!(h.expansion_zoom(0, 0), split);
    }
}

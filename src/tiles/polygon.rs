//! Polygons for a tile: the pipeline from normalised Web Mercator to valid
//! MVT rings.
//!
//! 1. Transform to tile units (0..4096, y down).
//! 2. Clip to the tile plus its buffer (only polygons that cross it).
//! 3. Simplify (Ramer–Douglas–Peucker, a pixel of a 512-pixel tile; two below zoom 8).
//! 4. Quantise to integers; drop repeated points and rings with no area.
//! 5. Fix rings: exteriors positive area and holes negative (MVT 2.1), and
//!    resolve any self-intersection quantisation made; drop what stays invalid.

use geo::{BooleanOps, BoundingRect, Coord, LineString, MultiPolygon, Polygon, Rect, Simplify};

use super::mvt::EXTENT;

/// Buffer around the tile, tile units.
pub const BUFFER: f64 = 64.0;
/// Simplification tolerance, tile units (one pixel of a 512-pixel tile).
pub const SIMPLIFY: f64 = EXTENT as f64 / 512.0;
/// Below this zoom polygons are generalised twice as hard (a country's
/// wards in one tile must stay small).
pub const COARSE_BELOW_ZOOM: u8 = 8;

/// The simplification tolerance at a zoom, tile units.
pub fn tolerance(z: u8) -> f64 {
    if z < COARSE_BELOW_ZOOM {
        2.0 * SIMPLIFY
    } else {
        SIMPLIFY
    }
}

/// A tile's placement in normalised Web Mercator.
#[derive(Debug, Clone, Copy)]
pub struct Frame {
    /// 2^z
    pub scale: f64,
    /// Tile column.
    pub x: f64,
    /// Tile row.
    pub y: f64,
}

impl Frame {
    /// Normalised Web Mercator to tile units.
    pub fn to_tile(&self, c: Coord) -> Coord {
        Coord {
            x: (c.x * self.scale - self.x) * EXTENT as f64,
            y: (c.y * self.scale - self.y) * EXTENT as f64,
        }
    }
}

fn signed_area(ring: &[(i32, i32)]) -> i64 {
    let n = ring.len();
    (0..n)
        .map(|i| {
            let (x1, y1) = ring[i];
            let (x2, y2) = ring[(i + 1) % n];
            i64::from(x1) * i64::from(y2) - i64::from(x2) * i64::from(y1)
        })
        .sum()
}

fn quantise_ring(ring: &LineString) -> Option<Vec<(i32, i32)>> {
    let mut out: Vec<(i32, i32)> = Vec::with_capacity(ring.0.len());
    for c in &ring.0 {
        let p = (c.x.round() as i32, c.y.round() as i32);
        if out.last() != Some(&p) {
            out.push(p);
        }
    }
    while out.len() > 1 && out.first() == out.last() {
        out.pop();
    }
    (out.len() >= 3 && signed_area(&out) != 0).then_some(out)
}

fn to_geo(rings: &[Vec<(i32, i32)>]) -> Polygon {
    let line = |r: &Vec<(i32, i32)>| {
        let mut l = LineString::from(
            r.iter()
                .map(|&(x, y)| (f64::from(x), f64::from(y)))
                .collect::<Vec<_>>(),
        );
        l.close();
        l
    };
    Polygon::new(line(&rings[0]), rings[1..].iter().map(line).collect())
}

fn orient(a: (i32, i32), b: (i32, i32), c: (i32, i32)) -> i64 {
    (i64::from(b.0) - i64::from(a.0)) * (i64::from(c.1) - i64::from(a.1))
        - (i64::from(b.1) - i64::from(a.1)) * (i64::from(c.0) - i64::from(a.0))
}

fn on_segment(a: (i32, i32), b: (i32, i32), p: (i32, i32)) -> bool {
    p.0 >= a.0.min(b.0) && p.0 <= a.0.max(b.0) && p.1 >= a.1.min(b.1) && p.1 <= a.1.max(b.1)
}

/// Whether closed segments ab and cd share any point (exact, integers).
fn segments_meet(a: (i32, i32), b: (i32, i32), c: (i32, i32), d: (i32, i32)) -> bool {
    let (o1, o2, o3, o4) = (
        orient(a, b, c),
        orient(a, b, d),
        orient(c, d, a),
        orient(c, d, b),
    );
    if o1.signum() * o2.signum() < 0 && o3.signum() * o4.signum() < 0 {
        return true;
    }
    (o1 == 0 && on_segment(a, b, c))
        || (o2 == 0 && on_segment(a, b, d))
        || (o3 == 0 && on_segment(c, d, a))
        || (o4 == 0 && on_segment(c, d, b))
}

/// Rings this long or longer are checked by geo's validation instead.
const FAST_CHECK_MAX: usize = 64;

/// Whether a single ring (open, distinct consecutive points, non-zero area)
/// is simple: no two non-adjacent edges meet and no edge folds back on the
/// next. `None` when the ring is too long for the pairwise check.
fn simple_ring(ring: &[(i32, i32)]) -> Option<bool> {
    let n = ring.len();
    if n >= FAST_CHECK_MAX {
        return None;
    }
    let edge = |i: usize| (ring[i], ring[(i + 1) % n]);
    for i in 0..n {
        let (a, b) = edge(i);
        let (_, c) = edge((i + 1) % n);
        // Fold-back at the shared vertex b.
        if orient(a, b, c) == 0
            && (i64::from(b.0 - a.0) * i64::from(c.0 - b.0)
                + i64::from(b.1 - a.1) * i64::from(c.1 - b.1))
                < 0
        {
            return Some(false);
        }
        for j in i + 2..n {
            if i == 0 && j == n - 1 {
                continue;
            }
            let (c, d) = edge(j);
            if segments_meet(a, b, c, d) {
                return Some(false);
            }
        }
    }
    Some(true)
}

/// Whether a quantised polygon is valid: the exact fast check for a single
/// ring, geo's full validation otherwise.
fn valid(rings: &[Vec<(i32, i32)>]) -> bool {
    if rings.len() == 1
        && let Some(simple) = simple_ring(&rings[0])
    {
        return simple;
    }
    crate::validity::is_valid(&MultiPolygon(vec![to_geo(rings)]))
}

/// Quantises polygons and orders their rings for MVT; `None` parts are dropped.
fn quantise(shape: &MultiPolygon) -> Vec<Vec<Vec<(i32, i32)>>> {
    let mut out = Vec::new();
    for polygon in &shape.0 {
        let Some(mut exterior) = quantise_ring(polygon.exterior()) else {
            continue;
        };
        if signed_area(&exterior) < 0 {
            exterior.reverse();
        }
        let mut rings = vec![exterior];
        for hole in polygon.interiors() {
            if let Some(mut h) = quantise_ring(hole) {
                if signed_area(&h) > 0 {
                    h.reverse();
                }
                rings.push(h);
            }
        }
        out.push(rings);
    }
    out
}

/// One ring clipped to the square `lo..=hi` both ways (Sutherland–Hodgman).
fn clip_ring(ring: &LineString, lo: f64, hi: f64) -> Option<LineString> {
    let mut points: Vec<Coord> = ring.0.clone();
    if points.len() > 1 && points.first() == points.last() {
        points.pop();
    }
    // Each edge of the window: is a point inside it, and where a segment crosses it.
    type Inside = fn(Coord, f64) -> bool;
    type Cross = fn(Coord, Coord, f64) -> Coord;
    let at_x = |a: Coord, b: Coord, x: f64| Coord {
        x,
        y: a.y + (b.y - a.y) * (x - a.x) / (b.x - a.x),
    };
    let at_y = |a: Coord, b: Coord, y: f64| Coord {
        x: a.x + (b.x - a.x) * (y - a.y) / (b.y - a.y),
        y,
    };
    let edges: [(Inside, Cross, f64); 4] = [
        (|c, v| c.x >= v, at_x, lo),
        (|c, v| c.x <= v, at_x, hi),
        (|c, v| c.y >= v, at_y, lo),
        (|c, v| c.y <= v, at_y, hi),
    ];
    for (inside, cross, v) in edges {
        if points.is_empty() {
            return None;
        }
        let mut out = Vec::with_capacity(points.len() + 4);
        let mut previous = points[points.len() - 1];
        for &current in &points {
            match (inside(current, v), inside(previous, v)) {
                (true, true) => out.push(current),
                (true, false) => {
                    out.push(cross(previous, current, v));
                    out.push(current);
                }
                (false, true) => out.push(cross(previous, current, v)),
                (false, false) => {}
            }
            previous = current;
        }
        points = out;
    }
    if points.len() < 3 {
        return None;
    }
    points.push(points[0]);
    Some(LineString(points))
}

/// Every ring of a shape clipped to the square window; rings and polygons
/// left with nothing are dropped.
fn clip_to_window(shape: &MultiPolygon, lo: f64, hi: f64) -> MultiPolygon {
    let window = Rect::new(Coord { x: lo, y: lo }, Coord { x: hi, y: hi });
    let meets = |r: &LineString| {
        r.bounding_rect().is_some_and(|b| {
            b.max().x >= window.min().x
                && b.min().x <= window.max().x
                && b.max().y >= window.min().y
                && b.min().y <= window.max().y
        })
    };
    MultiPolygon(
        shape
            .0
            .iter()
            .filter(|p| meets(p.exterior()))
            .filter_map(|p| {
                let exterior = clip_ring(p.exterior(), lo, hi)?;
                let holes = p
                    .interiors()
                    .iter()
                    .filter(|r| meets(r))
                    .filter_map(|r| clip_ring(r, lo, hi))
                    .collect();
                Some(Polygon::new(exterior, holes))
            })
            .collect(),
    )
}

/// Runs the pipeline on one (multi)polygon given in normalised Web Mercator.
/// Returns MVT polygons (each: exterior, then holes) or nothing when the
/// shape vanishes at this zoom.
pub fn tile_polygon(
    shape: &MultiPolygon,
    frame: Frame,
    tolerance: f64,
) -> Vec<Vec<Vec<(i32, i32)>>> {
    // 1. Transform.
    let mut local = shape.clone();
    for polygon in &mut local.0 {
        polygon.exterior_mut(|r| r.0.iter_mut().for_each(|c| *c = frame.to_tile(*c)));
        polygon.interiors_mut(|rs| {
            rs.iter_mut()
                .for_each(|r| r.0.iter_mut().for_each(|c| *c = frame.to_tile(*c)))
        });
    }
    // 2. Clip, when the shape crosses the buffered tile.
    let (lo, hi) = (-BUFFER, EXTENT as f64 + BUFFER);
    let Some(bounds) = local.bounding_rect() else {
        return Vec::new();
    };
    if bounds.max().x < lo || bounds.min().x > hi || bounds.max().y < lo || bounds.min().y > hi {
        return Vec::new();
    }
    let inside = bounds.min().x >= lo
        && bounds.max().x <= hi
        && bounds.min().y >= lo
        && bounds.max().y <= hi;
    let clipped = if inside {
        local
    } else {
        // A rectangle clip of each ring (Sutherland–Hodgman) is a fraction
        // of a general boolean intersection's cost. Where a concave ring
        // leaves and re-enters the window it joins its pieces along the
        // window's edge with zero-width corridors, which step 5 finds and
        // resolves, so the result covers the same area.
        clip_to_window(&local, lo, hi)
    };
    // 3. Simplify.
    let simple = clipped.simplify(tolerance);
    // 4. and 5. Quantise and fix.
    let mut out = Vec::new();
    for rings in quantise(&simple) {
        if valid(&rings) {
            out.push(rings);
            continue;
        }
        // Quantisation made it invalid: resolve with a union, quantise again.
        let resolved = MultiPolygon(vec![to_geo(&rings)]).union(&MultiPolygon(Vec::new()));
        out.extend(
            quantise(&resolved)
                .into_iter()
                .filter(|r| crate::validity::is_valid(&MultiPolygon(vec![to_geo(r)]))),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Validation;
    use geo::polygon;

    #[test]
    fn a_polygon_crossing_the_edge_is_clipped_to_the_buffer() {
        let frame = Frame {
            scale: 1.0,
            x: 0.0,
            y: 0.0,
        };
        // A square from the middle of the tile to well beyond its right edge.
        let shape = MultiPolygon(vec![
            polygon![(x: 0.5, y: 0.25), (x: 2.0, y: 0.25), (x: 2.0, y: 0.75), (x: 0.5, y: 0.75)],
        ]);
        let out = tile_polygon(&shape, frame, SIMPLIFY);
        assert_eq!(out.len(), 1);
        let max_x = out[0][0].iter().map(|p| p.0).max().expect("points");
        assert_eq!(max_x, EXTENT as i32 + BUFFER as i32);
        assert!(
            signed_area(&out[0][0]) > 0,
            "exterior has positive area (clockwise, y down)"
        );
    }

    #[test]
    fn a_polygon_smaller_than_a_unit_vanishes() {
        let frame = Frame {
            scale: 1.0,
            x: 0.0,
            y: 0.0,
        };
        let tiny = MultiPolygon(vec![
            polygon![(x: 0.5, y: 0.5), (x: 0.50001, y: 0.5), (x: 0.50001, y: 0.50001)],
        ]);
        assert!(tile_polygon(&tiny, frame, SIMPLIFY).is_empty());
    }

    #[test]
    fn the_fast_ring_check_agrees_with_geo() {
        let cases: [&[(i32, i32)]; 5] = [
            &[(0, 0), (10, 0), (10, 10), (0, 10)],
            &[(0, 0), (10, 10), (10, 0), (0, 10)],
            &[(0, 0), (10, 0), (10, 10), (5, 0), (0, 10)],
            &[(0, 0), (10, 0), (5, 0), (5, 10)],
            &[(0, 0), (4, 0), (4, 4), (2, 4), (2, 0), (1, 0), (0, 3)],
        ];
        for ring in cases {
            let rings = vec![ring.to_vec()];
            assert_eq!(
                simple_ring(ring),
                Some(to_geo(&rings).is_valid()),
                "{ring:?}"
            );
        }
    }

    #[test]
    fn holes_wind_the_other_way() {
        let frame = Frame {
            scale: 1.0,
            x: 0.0,
            y: 0.0,
        };
        let with_hole = MultiPolygon(vec![polygon!(
            exterior: [(x: 0.1, y: 0.1), (x: 0.9, y: 0.1), (x: 0.9, y: 0.9), (x: 0.1, y: 0.9)],
            interiors: [[(x: 0.4, y: 0.4), (x: 0.6, y: 0.4), (x: 0.6, y: 0.6), (x: 0.4, y: 0.6)]],
        )]);
        let out = tile_polygon(&with_hole, frame, SIMPLIFY);
        assert_eq!(out[0].len(), 2);
        assert!(signed_area(&out[0][0]) > 0 && signed_area(&out[0][1]) < 0);
    }
}

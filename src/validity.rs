//! Polygon validity and repair in O(n log n).
//!
//! [`check`] applies the OGC Simple Features rules that geo's `Validation`
//! applies, without comparing every segment with every other:
//!
//! - every coordinate is finite, and every ring has at least three distinct points;
//! - a ring does not cross or touch itself, other than where consecutive
//!   segments meet;
//! - two rings of a polygon, or two polygons of a multipolygon, meet at most
//!   at points: they never cross and never share a stretch of boundary;
//! - each hole lies inside its exterior, no hole lies inside another, and no
//!   polygon lies inside another (unless in one of its holes).
//!
//! Segments go into an R-tree (bulk-loaded, O(n log n)); each segment is
//! tested only against those whose bounding boxes meet its own, so a check
//! costs O(n log n + k) for k nearby pairs. Containment is decided by casting
//! a ray from one vertex through the same tree.
//!
//! [`repair`] rebuilds an invalid shape with i_overlay's sweep-line overlay
//! (also O(n log n)): each polygon under the even-odd rule, so a ring that
//! crosses itself becomes the pieces it encloses, then the polygons' union.

use geo::algorithm::bool_ops::FillRule;
use geo::algorithm::line_intersection::{LineIntersection, line_intersection};
use geo::{BooleanOps, Coord, Line, LineString, MultiPolygon, Polygon};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

/// Why a shape is invalid, and roughly where (in its own coordinates).
#[derive(Debug, Clone, PartialEq)]
pub struct Invalid {
    /// What is wrong, in words.
    pub reason: String,
    /// A coordinate at or near the problem.
    pub near: Option<Coord>,
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)?;
        if let Some(c) = self.near {
            write!(f, " near ({:.1}, {:.1})", c.x, c.y)?;
        }
        Ok(())
    }
}

/// Which ring of which polygon a segment belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct RingId {
    part: u32,
    ring: u32,
}

impl RingId {
    fn describe(self, parts: usize) -> String {
        let ring = match self.ring {
            0 => "the exterior ring".to_string(),
            n => format!("hole {n}"),
        };
        if parts > 1 {
            format!("{ring} of polygon {}", self.part + 1)
        } else {
            ring
        }
    }
}

struct Segment {
    line: Line,
    ring: RingId,
    /// Position in its ring's segment sequence.
    index: u32,
    /// Number of segments in its ring.
    ring_len: u32,
}

type Entry = GeomWithData<Rectangle<[f64; 2]>, u32>;

/// The segments of a shape, indexed by their bounding boxes.
struct Segments {
    segments: Vec<Segment>,
    tree: RTree<Entry>,
}

/// A ring's coordinates with consecutive repeats removed, closed.
fn distinct(ring: &LineString) -> Vec<Coord> {
    let mut out: Vec<Coord> = Vec::with_capacity(ring.0.len());
    for &c in &ring.0 {
        if out.last() != Some(&c) {
            out.push(c);
        }
    }
    if out.len() > 1 && out.first() != out.last() {
        let first = out[0];
        out.push(first);
    }
    out
}

impl Segments {
    fn new(rings: &[(RingId, Vec<Coord>)]) -> Segments {
        let mut segments = Vec::new();
        for (id, coords) in rings {
            let n = coords.len().saturating_sub(1) as u32;
            for (i, w) in coords.windows(2).enumerate() {
                segments.push(Segment {
                    line: Line::new(w[0], w[1]),
                    ring: *id,
                    index: i as u32,
                    ring_len: n,
                });
            }
        }
        let entries = segments
            .iter()
            .enumerate()
            .map(|(i, s)| {
                Entry::new(
                    Rectangle::from_corners(
                        [s.line.start.x, s.line.start.y],
                        [s.line.end.x, s.line.end.y],
                    ),
                    i as u32,
                )
            })
            .collect();
        Segments {
            segments,
            tree: RTree::bulk_load(entries),
        }
    }

    /// Whether `at` is inside the ring (`None` when it lies on the ring),
    /// by counting the ring's segments a ray towards +x crosses.
    /// `max_x`: the ring's largest x, where the ray can stop.
    fn inside_ring(&self, ring: RingId, max_x: f64, at: Coord) -> Option<bool> {
        if at.x > max_x {
            return Some(false);
        }
        let envelope = AABB::from_corners([at.x, at.y], [max_x, at.y]);
        let mut inside = false;
        for e in self.tree.locate_in_envelope_intersecting(&envelope) {
            let s = &self.segments[e.data as usize];
            if s.ring != ring {
                continue;
            }
            let (a, b) = (s.line.start, s.line.end);
            if on_segment(a, b, at) {
                return None;
            }
            if (a.y > at.y) != (b.y > at.y) {
                let x = a.x + (at.y - a.y) * (b.x - a.x) / (b.y - a.y);
                if x > at.x {
                    inside = !inside;
                }
            }
        }
        Some(inside)
    }
}

fn on_segment(a: Coord, b: Coord, p: Coord) -> bool {
    use geo::algorithm::kernels::{Kernel, Orientation, RobustKernel};
    RobustKernel::orient2d(a, b, p) == Orientation::Collinear
        && p.x >= a.x.min(b.x)
        && p.x <= a.x.max(b.x)
        && p.y >= a.y.min(b.y)
        && p.y <= a.y.max(b.y)
}

/// Checks a multipolygon; the first problem found is returned.
pub fn check(shape: &MultiPolygon) -> Result<(), Invalid> {
    let parts = shape.0.len();
    let mut rings: Vec<(RingId, Vec<Coord>)> = Vec::new();
    for (p, polygon) in shape.0.iter().enumerate() {
        for (r, ring) in std::iter::once(polygon.exterior())
            .chain(polygon.interiors())
            .enumerate()
        {
            let id = RingId {
                part: p as u32,
                ring: r as u32,
            };
            if ring.0.is_empty() {
                if r == 0 {
                    return Err(Invalid {
                        reason: format!("{} is empty", id.describe(parts)),
                        near: None,
                    });
                }
                continue;
            }
            if let Some(c) = ring
                .0
                .iter()
                .find(|c| !(c.x.is_finite() && c.y.is_finite()))
            {
                return Err(Invalid {
                    reason: format!(
                        "{} has a coordinate that is not a number",
                        id.describe(parts)
                    ),
                    near: Some(*c),
                });
            }
            let coords = distinct(ring);
            if coords.len() < 4 {
                return Err(Invalid {
                    reason: format!(
                        "{} has fewer than three distinct points",
                        id.describe(parts)
                    ),
                    near: coords.first().copied(),
                });
            }
            rings.push((id, coords));
        }
    }
    let index = Segments::new(&rings);
    let touching = check_crossings(&index, parts)?;
    check_nesting(&index, &rings, shape, parts, &touching)
}

/// No two segments meet except where the rules allow.
/// Returns the pairs of rings that touch at a point.
fn check_crossings(
    index: &Segments,
    parts: usize,
) -> Result<std::collections::HashSet<(RingId, RingId)>, Invalid> {
    let mut touching = std::collections::HashSet::new();
    for (i, s) in index.segments.iter().enumerate() {
        let envelope = AABB::from_corners(
            [
                s.line.start.x.min(s.line.end.x),
                s.line.start.y.min(s.line.end.y),
            ],
            [
                s.line.start.x.max(s.line.end.x),
                s.line.start.y.max(s.line.end.y),
            ],
        );
        for e in index.tree.locate_in_envelope_intersecting(&envelope) {
            let j = e.data as usize;
            if j <= i {
                continue;
            }
            let t = &index.segments[j];
            let Some(meet) = line_intersection(s.line, t.line) else {
                continue;
            };
            if s.ring == t.ring {
                let adjacent =
                    t.index == s.index + 1 || (s.index == 0 && t.index + 1 == t.ring_len);
                match meet {
                    LineIntersection::Collinear { intersection } => {
                        return Err(Invalid {
                            reason: format!(
                                "{} folds back on itself (a spike or a repeated stretch)",
                                s.ring.describe(parts)
                            ),
                            near: Some(intersection.start),
                        });
                    }
                    LineIntersection::SinglePoint {
                        intersection,
                        is_proper,
                    } if !adjacent => {
                        let how = if is_proper {
                            "crosses itself"
                        } else {
                            "touches itself"
                        };
                        return Err(Invalid {
                            reason: format!("{} {how}", s.ring.describe(parts)),
                            near: Some(intersection),
                        });
                    }
                    LineIntersection::SinglePoint { .. } => {}
                }
                continue;
            }
            let pair = || format!("{} and {}", s.ring.describe(parts), t.ring.describe(parts));
            match meet {
                LineIntersection::Collinear { intersection } => {
                    return Err(Invalid {
                        reason: format!("{} share a stretch of boundary", pair()),
                        near: Some(intersection.start),
                    });
                }
                LineIntersection::SinglePoint {
                    intersection,
                    is_proper: true,
                } => {
                    return Err(Invalid {
                        reason: format!("{} cross", pair()),
                        near: Some(intersection),
                    });
                }
                LineIntersection::SinglePoint { .. } => {
                    // Touching at a point is allowed. Whether the rings
                    // pass through each other there is decided by which
                    // side their other points are on (see check_nesting).
                    touching.insert((s.ring.min(t.ring), s.ring.max(t.ring)));
                }
            }
        }
    }
    Ok(touching)
}

/// Holes inside their exteriors and not in each other; polygons not inside
/// one another. With no crossings found, a ring that does not touch another
/// is wholly on one side of it, so one point decides. For rings that touch,
/// every vertex is tested (and the midpoint of a segment whose ends both lie
/// on the other ring), so rings that pass through each other at a shared
/// vertex are found too.
fn check_nesting(
    index: &Segments,
    rings: &[(RingId, Vec<Coord>)],
    shape: &MultiPolygon,
    parts: usize,
    touching: &std::collections::HashSet<(RingId, RingId)>,
) -> Result<(), Invalid> {
    let max_x: std::collections::HashMap<RingId, f64> = rings
        .iter()
        .map(|(id, c)| (*id, c.iter().map(|p| p.x).fold(f64::NEG_INFINITY, f64::max)))
        .collect();
    let inside = |ring: RingId, at: Coord| {
        index.inside_ring(ring, max_x.get(&ring).copied().unwrap_or(f64::INFINITY), at)
    };
    // The sides of `of`'s points relative to `other`: Some(true) inside.
    let points_of =
        |of_id: RingId, of: &[Coord], other: RingId, f: &mut dyn FnMut(bool, Coord) -> bool| {
            let every = touching.contains(&(of_id.min(other), of_id.max(other)));
            let mut previous_on = false;
            for (k, &c) in of.iter().enumerate() {
                match inside(other, c) {
                    Some(side) => {
                        if f(side, c) || !every {
                            return;
                        }
                        previous_on = false;
                    }
                    None => {
                        if previous_on && k > 0 {
                            let mid = Coord {
                                x: (of[k - 1].x + c.x) / 2.0,
                                y: (of[k - 1].y + c.y) / 2.0,
                            };
                            if let Some(side) = inside(other, mid)
                                && (f(side, mid) || !every)
                            {
                                return;
                            }
                        }
                        previous_on = true;
                    }
                }
            }
        };
    let boxes: Vec<Option<geo::Rect>> = rings
        .iter()
        .map(|(_, c)| geo::BoundingRect::bounding_rect(&LineString::from(c.clone())))
        .collect();
    let overlaps_box = |a: usize, b: usize| match (boxes[a], boxes[b]) {
        (Some(a), Some(b)) => geo::Intersects::intersects(&a, &b),
        _ => false,
    };
    // Rings by part; ring 0 of each part is its exterior.
    let mut by_part: Vec<Vec<usize>> = vec![Vec::new(); shape.0.len()];
    for (k, (id, _)) in rings.iter().enumerate() {
        by_part[id.part as usize].push(k);
    }
    let mut found: Option<Invalid> = None;
    for members in &by_part {
        let Some((&exterior, holes)) = members.split_first() else {
            continue;
        };
        // Hole bounding boxes, to find which holes a hole might touch.
        let hole_tree: RTree<GeomWithData<Rectangle<[f64; 2]>, usize>> = RTree::bulk_load(
            holes
                .iter()
                .filter_map(|&h| {
                    let b = boxes[h]?;
                    Some(GeomWithData::new(
                        Rectangle::from_corners([b.min().x, b.min().y], [b.max().x, b.max().y]),
                        h,
                    ))
                })
                .collect(),
        );
        for &h in holes {
            let (id, coords) = &rings[h];
            points_of(*id, coords, rings[exterior].0, &mut |inside, at| {
                if !inside {
                    found = Some(Invalid {
                        reason: format!("{} lies outside its exterior ring", id.describe(parts)),
                        near: Some(at),
                    });
                }
                !inside
            });
            if let Some(problem) = found.take() {
                return Err(problem);
            }
            let Some(b) = boxes[h] else { continue };
            let envelope = AABB::from_corners([b.min().x, b.min().y], [b.max().x, b.max().y]);
            for other in hole_tree.locate_in_envelope_intersecting(&envelope) {
                let other = other.data;
                if other == h || !overlaps_box(other, h) {
                    continue;
                }
                let other_id = rings[other].0;
                points_of(*id, coords, other_id, &mut |inside, at| {
                    if inside {
                        found = Some(Invalid {
                            reason: format!(
                                "{} and {} overlap",
                                id.describe(parts),
                                other_id.describe(parts)
                            ),
                            near: Some(at),
                        });
                    }
                    inside
                });
                if let Some(problem) = found.take() {
                    return Err(problem);
                }
            }
        }
    }
    if by_part.len() > 1 {
        // Which polygons' exteriors might hold a point, by bounding box.
        let exteriors: RTree<GeomWithData<Rectangle<[f64; 2]>, usize>> = RTree::bulk_load(
            by_part
                .iter()
                .enumerate()
                .filter_map(|(p, m)| {
                    let b = boxes[*m.first()?]?;
                    Some(GeomWithData::new(
                        Rectangle::from_corners([b.min().x, b.min().y], [b.max().x, b.max().y]),
                        p,
                    ))
                })
                .collect(),
        );
        for (p, members) in by_part.iter().enumerate() {
            let Some(&exterior) = members.first() else {
                continue;
            };
            let Some(b) = boxes[exterior] else { continue };
            let envelope = AABB::from_corners([b.min().x, b.min().y], [b.max().x, b.max().y]);
            for container in exteriors.locate_in_envelope_intersecting(&envelope) {
                let q = container.data;
                if q == p {
                    continue;
                }
                let coords = &rings[exterior].1;
                points_of(
                    rings[exterior].0,
                    coords,
                    rings[by_part[q][0]].0,
                    &mut |is_in, at| {
                        let inside_q = is_in;
                        if !inside_q {
                            return false;
                        }
                        // Inside q's exterior: fine only inside one of q's holes.
                        let in_hole = by_part[q][1..].iter().any(|&h| {
                            boxes[h].is_some_and(|b| geo::Intersects::intersects(&b, &at))
                                && inside(rings[h].0, at) != Some(false)
                        });
                        if !in_hole {
                            found = Some(Invalid {
                                reason: format!("polygons {} and {} overlap", q + 1, p + 1),
                                near: Some(at),
                            });
                        }
                        !in_hole
                    },
                );
                if let Some(problem) = found.take() {
                    return Err(problem);
                }
            }
        }
    }
    Ok(())
}

/// Whether the shape is valid (see [`check`]).
pub fn is_valid(shape: &MultiPolygon) -> bool {
    check(shape).is_ok()
}

/// Rebuilds an invalid shape as a valid one covering what its rings enclose:
/// each polygon by the even-odd rule (a bow tie becomes two triangles, a
/// spike vanishes), then the union of the polygons. Parts with no area are
/// dropped, so the result may be empty.
pub fn repair(shape: &MultiPolygon) -> MultiPolygon {
    let empty = MultiPolygon::<f64>::new(Vec::new());
    let clean: Vec<Polygon> = shape
        .0
        .iter()
        .filter(|p| {
            std::iter::once(p.exterior())
                .chain(p.interiors())
                .all(|r| r.0.iter().all(|c| c.x.is_finite() && c.y.is_finite()))
        })
        .flat_map(|p| p.union_with_fill_rule(&empty, FillRule::EvenOdd).0)
        .collect();
    // One polygon's pieces under even-odd are already disjoint; only
    // several polygons need their union.
    let out = if shape.0.len() <= 1 || clean.len() <= 1 {
        MultiPolygon::new(clean)
    } else {
        MultiPolygon::new(clean).union_with_fill_rule(&empty, FillRule::NonZero)
    };
    if check(&out).is_ok() {
        return out;
    }
    // The overlay can give a ring that passes through one of its own
    // vertices twice (a pinch), which OGC forbids: split such rings into
    // the loops they are made of, and keep that only if it is valid.
    let split = unpinch(&out);
    if check(&split).is_ok() { split } else { out }
}

/// Splits a closed ring at every vertex it passes through twice into simple
/// closed loops (each with at least three distinct points).
fn loops(ring: &LineString) -> Vec<LineString> {
    let mut points: Vec<Coord> = ring.0.clone();
    if points.len() > 1 && points.first() == points.last() {
        points.pop();
    }
    let mut out = Vec::new();
    let mut stack: Vec<Coord> = Vec::with_capacity(points.len());
    for p in points {
        if let Some(k) = stack.iter().position(|q| *q == p) {
            let mut lp: Vec<Coord> = stack.split_off(k + 1);
            lp.insert(0, p);
            lp.push(p);
            if lp.len() >= 4 {
                out.push(LineString::new(lp));
            }
        } else {
            stack.push(p);
        }
    }
    if stack.len() >= 3 {
        let first = stack[0];
        stack.push(first);
        out.push(LineString::new(stack));
    }
    out
}

/// Every ring split into its simple loops: a pinched hole becomes several
/// holes, a pinched exterior several polygons (each hole goes to the loop
/// that holds one of its vertices strictly inside, or on its boundary).
fn unpinch(shape: &MultiPolygon) -> MultiPolygon {
    use geo::{Contains, Intersects};
    let mut polygons = Vec::new();
    for p in &shape.0 {
        let exteriors: Vec<Polygon> = loops(p.exterior())
            .into_iter()
            .map(|l| Polygon::new(l, vec![]))
            .collect();
        let holes: Vec<LineString> = p.interiors().iter().flat_map(loops).collect();
        let mut holes_of: Vec<Vec<LineString>> = vec![Vec::new(); exteriors.len()];
        for h in holes {
            let at = exteriors.iter().position(|e| {
                h.0.iter().any(|c| e.contains(c)) || h.0.iter().all(|c| e.intersects(c))
            });
            if let Some(k) = at {
                holes_of[k].push(h);
            }
        }
        for (e, hs) in exteriors.into_iter().zip(holes_of) {
            polygons.push(Polygon::new(e.exterior().clone(), hs));
        }
    }
    MultiPolygon::new(polygons)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Area, Validation, wkt};

    fn agree(shape: MultiPolygon, valid: bool) {
        assert_eq!(
            check(&shape).is_ok(),
            valid,
            "{:?}: {:?}",
            shape,
            check(&shape)
        );
        assert_eq!(shape.is_valid(), valid, "geo agrees on {shape:?}");
    }

    #[test]
    fn a_repair_that_pinches_a_hole_is_split_into_valid_loops() {
        // Found by the property test: the overlay's union of these two
        // self-crossing rings has a hole through one of its own vertices.
        let shape: MultiPolygon = wkt!(MULTIPOLYGON(((3. 4.,2. 1.,0. 4.,2. 0.,3. 4.)),((4. 2.,1. 0.,4. 5.,3. 0.,0. 4.,4. 2.))));
        let fixed = repair(&shape);
        assert_eq!(check(&fixed), Ok(()), "{fixed:?}");
        // The area is the same as the overlay's: only the rings are split.
        let empty = MultiPolygon::<f64>::new(Vec::new());
        let overlay: f64 = shape
            .0
            .iter()
            .flat_map(|p| p.union_with_fill_rule(&empty, FillRule::EvenOdd).0)
            .map(|p| p.unsigned_area())
            .sum();
        assert!(fixed.unsigned_area() > 0.0 && fixed.unsigned_area() <= overlay + 1e-9);
    }

    #[test]
    fn the_rules_agree_with_geo() {
        agree(
            wkt!(MULTIPOLYGON(((0. 0., 4. 0., 4. 4., 0. 4., 0. 0.)))),
            true,
        );
        // Collinear and repeated points.
        agree(
            wkt!(MULTIPOLYGON(((0. 0., 2. 0., 2. 0., 4. 0., 4. 4., 0. 4., 0. 0.)))),
            true,
        );
        // A ring through its own vertex.
        agree(
            wkt!(MULTIPOLYGON(((0. 0., 4. 0., 2. 2., 4. 4., 0. 4., 2. 2., 0. 0.)))),
            false,
        );
        // A bow tie.
        agree(
            wkt!(MULTIPOLYGON(((0. 0., 4. 4., 4. 0., 0. 4., 0. 0.)))),
            false,
        );
        // A hole touching the exterior at a point, and one crossing it.
        agree(
            wkt!(MULTIPOLYGON(((0. 0., 4. 1., 4. 4., 0. 4., 0. 0.), (0. 2., 2. 1., 3. 2., 2. 3., 0. 2.)))),
            true,
        );
        agree(
            wkt!(MULTIPOLYGON(((0. 0., 4. 0., 4. 4., 0. 4., 0. 0.), (2. 2., 5. 2., 5. 3., 2. 3., 2. 2.)))),
            false,
        );
        // A hole outside its exterior; a hole inside another.
        agree(
            wkt!(MULTIPOLYGON(((0. 0., 4. 0., 4. 4., 0. 4., 0. 0.), (5. 5., 6. 5., 6. 6., 5. 6., 5. 5.)))),
            false,
        );
        agree(
            wkt!(MULTIPOLYGON(((0. 0., 9. 0., 9. 9., 0. 9., 0. 0.), (1. 1., 8. 1., 8. 8., 1. 8., 1. 1.), (2. 2., 3. 2., 3. 3., 2. 3., 2. 2.)))),
            false,
        );
        // Holes sharing an edge.
        agree(
            wkt!(MULTIPOLYGON(((0. 0., 9. 0., 9. 9., 0. 9., 0. 0.), (1. 1., 4. 1., 4. 4., 1. 4., 1. 1.), (4. 1., 7. 1., 7. 4., 4. 4., 4. 1.)))),
            false,
        );
        // Two polygons: apart, touching at a corner, sharing an edge, overlapping, nested.
        agree(
            wkt!(MULTIPOLYGON(((0. 0., 1. 0., 1. 1., 0. 1., 0. 0.)), ((2. 2., 3. 2., 3. 3., 2. 3., 2. 2.)))),
            true,
        );
        agree(
            wkt!(MULTIPOLYGON(((0. 0., 1. 0., 1. 1., 0. 1., 0. 0.)), ((1. 1., 2. 1., 2. 2., 1. 2., 1. 1.)))),
            true,
        );
        agree(
            wkt!(MULTIPOLYGON(((0. 0., 1. 0., 1. 1., 0. 1., 0. 0.)), ((1. 0., 2. 0., 2. 1., 1. 1., 1. 0.)))),
            false,
        );
        agree(
            wkt!(MULTIPOLYGON(((0. 0., 2. 0., 2. 2., 0. 2., 0. 0.)), ((1. 1., 3. 1., 3. 3., 1. 3., 1. 1.)))),
            false,
        );
        agree(
            wkt!(MULTIPOLYGON(((0. 0., 9. 0., 9. 9., 0. 9., 0. 0.)), ((1. 1., 2. 1., 2. 2., 1. 2., 1. 1.)))),
            false,
        );
        // An island in a lake is fine.
        agree(
            wkt!(MULTIPOLYGON(((0. 0., 9. 0., 9. 9., 0. 9., 0. 0.), (1. 1., 8. 1., 8. 8., 1. 8., 1. 1.)), ((2. 2., 3. 2., 3. 3., 2. 3., 2. 2.)))),
            true,
        );
        // Too few points.
        agree(wkt!(MULTIPOLYGON(((0. 0., 1. 0., 0. 0., 0. 0.)))), false);
    }

    #[test]
    fn problems_are_described_with_a_place() {
        let bow_tie = wkt!(MULTIPOLYGON(((0. 0., 4. 4., 4. 0., 0. 4., 0. 0.))));
        let problem = check(&bow_tie).unwrap_err();
        assert_eq!(problem.reason, "the exterior ring crosses itself");
        assert_eq!(problem.near, Some(Coord { x: 2.0, y: 2.0 }));
        assert_eq!(
            problem.to_string(),
            "the exterior ring crosses itself near (2.0, 2.0)"
        );
    }

    #[test]
    fn a_bow_tie_is_repaired_into_two_triangles() {
        let bow_tie = wkt!(MULTIPOLYGON(((0. 0., 4. 4., 4. 0., 0. 4., 0. 0.))));
        let fixed = repair(&bow_tie);
        assert!(check(&fixed).is_ok(), "{fixed:?}");
        assert_eq!(fixed.0.len(), 2);
        assert!((fixed.unsigned_area() - 8.0).abs() < 1e-9);
    }

    #[test]
    fn overlapping_polygons_are_repaired_into_their_union() {
        let overlap = wkt!(MULTIPOLYGON(((0. 0., 2. 0., 2. 2., 0. 2., 0. 0.)), ((1. 1., 3. 1., 3. 3., 1. 3., 1. 1.))));
        let fixed = repair(&overlap);
        assert!(check(&fixed).is_ok());
        assert_eq!(fixed.0.len(), 1);
        assert!((fixed.unsigned_area() - 7.0).abs() < 1e-9);
    }

    /// A star of `n` points whose ring crosses itself n times per point.
    pub(crate) fn star(n: usize) -> MultiPolygon {
        let step = (n / 2 - 1).max(2);
        let mut coords: Vec<Coord> = (0..n)
            .map(|i| {
                let a = std::f64::consts::TAU * ((i * step) % n) as f64 / n as f64;
                Coord {
                    x: 1000.0 * a.cos(),
                    y: 1000.0 * a.sin(),
                }
            })
            .collect();
        coords.push(coords[0]);
        MultiPolygon::new(vec![Polygon::new(LineString::from(coords), vec![])])
    }

    #[test]
    fn a_self_crossing_star_is_found_and_repaired() {
        let s = star(201);
        assert!(check(&s).is_err());
        let fixed = repair(&s);
        assert!(check(&fixed).is_ok(), "{:?}", check(&fixed));
        assert!(fixed.unsigned_area() > 0.0);
    }
}

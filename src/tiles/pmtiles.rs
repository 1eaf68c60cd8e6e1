//! PMTiles version 3 archives: every tile of a pyramid in one file that a
//! CDN or object store can serve with HTTP range requests
//! (<https://github.com/protomaps/PMTiles/blob/main/spec/v3/spec.md>).
//!
//! Layout: the 127-byte header, the root directory, the JSON metadata, the
//! leaf directories, then the tile data. Tiles are addressed by a Hilbert
//! curve index per zoom; identical tiles are stored once and consecutive
//! identical tiles share one directory entry (a run). Directories and the
//! metadata are gzip-compressed; tiles are stored as given (gzip-compressed
//! MVT here).

use std::collections::HashMap;

use flate2::Compression;
use sha2::{Digest, Sha256};

use super::TileId;

/// Header length, bytes.
pub const HEADER_BYTES: usize = 127;
/// The header and root directory must fit in the first 16 KiB.
pub const ROOT_BYTES: usize = 16_384;

/// The Hilbert-curve tile id: tiles of lower zooms first, then the position
/// of (x, y) along the curve at zoom z.
pub fn tile_id(tile: TileId) -> u64 {
    let z = u32::from(tile.z);
    let before: u64 = (0..z).map(|k| 1u64 << (2 * k)).sum();
    let (mut x, mut y) = (u64::from(tile.x), u64::from(tile.y));
    let mut d = 0u64;
    let mut s = if z == 0 { 0 } else { 1u64 << (z - 1) };
    while s > 0 {
        let rx = u64::from(x & s != 0);
        let ry = u64::from(y & s != 0);
        d += s * s * ((3 * rx) ^ ry);
        // Rotate the quadrant so the curve runs on.
        if ry == 0 {
            if rx == 1 {
                // Only the bits below s matter from here on.
                x = (s - 1).wrapping_sub(x);
                y = (s - 1).wrapping_sub(y);
            }
            std::mem::swap(&mut x, &mut y);
        }
        s /= 2;
    }
    before + d
}

/// One directory entry: `run_length` tiles from `tile_id` with the same
/// bytes at `offset`, or (run 0) a leaf directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    tile_id: u64,
    offset: u64,
    length: u32,
    run_length: u32,
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    super::gzip(bytes, Compression::default())
}

fn directory(entries: &[Entry]) -> Vec<u8> {
    let mut out = Vec::with_capacity(entries.len() * 6 + 8);
    varint(&mut out, entries.len() as u64);
    let mut last = 0;
    for e in entries {
        varint(&mut out, e.tile_id - last);
        last = e.tile_id;
    }
    for e in entries {
        varint(&mut out, u64::from(e.run_length));
    }
    for e in entries {
        varint(&mut out, u64::from(e.length));
    }
    for (i, e) in entries.iter().enumerate() {
        let follows = i > 0 && e.offset == entries[i - 1].offset + u64::from(entries[i - 1].length);
        varint(&mut out, if follows { 0 } else { e.offset + 1 });
    }
    gzip(&out)
}

/// What the header says besides the layout.
#[derive(Debug, Clone)]
pub struct ArchiveInfo {
    /// Lowest zoom held.
    pub min_zoom: u8,
    /// Highest zoom held.
    pub max_zoom: u8,
    /// West, south, east, north, degrees.
    pub bounds: [f64; 4],
    /// The zoom a viewer starts at.
    pub center_zoom: u8,
    /// JSON metadata (TileJSON-like: name, attribution, vector_layers).
    pub metadata: serde_json::Value,
}

/// Counts of what an archive holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArchiveCounts {
    /// Tiles addressed (runs counted in full).
    pub tiles: u64,
    /// Directory entries.
    pub entries: u64,
    /// Distinct tile contents stored.
    pub contents: u64,
    /// Leaf directories.
    pub leaves: u64,
}

/// Writes an archive of gzip-compressed MVT tiles (empty tiles left out).
pub fn write(tiles: Vec<(TileId, Vec<u8>)>, info: &ArchiveInfo) -> (Vec<u8>, ArchiveCounts) {
    let mut tiles: Vec<(u64, Vec<u8>)> = tiles
        .into_iter()
        .filter(|(_, bytes)| !bytes.is_empty())
        .map(|(t, bytes)| (tile_id(t), bytes))
        .collect();
    tiles.sort_by_key(|(id, _)| *id);
    tiles.dedup_by_key(|(id, _)| *id);
    // Tile data in id order, each distinct content once.
    let mut data: Vec<u8> = Vec::new();
    let mut seen: HashMap<[u8; 32], (u64, u32)> = HashMap::new();
    let mut entries: Vec<Entry> = Vec::with_capacity(tiles.len());
    for (id, bytes) in &tiles {
        let key: [u8; 32] = Sha256::digest(bytes).into();
        let (offset, length) = *seen.entry(key).or_insert_with(|| {
            let at = (data.len() as u64, bytes.len() as u32);
            data.extend_from_slice(bytes);
            at
        });
        match entries.last_mut() {
            Some(last)
                if last.offset == offset && last.tile_id + u64::from(last.run_length) == *id =>
            {
                last.run_length += 1;
            }
            _ => entries.push(Entry {
                tile_id: *id,
                offset,
                length,
                run_length: 1,
            }),
        }
    }
    let counts = |leaves: u64| ArchiveCounts {
        tiles: tiles.len() as u64,
        entries: entries.len() as u64,
        contents: seen.len() as u64,
        leaves,
    };
    // The root directory, or leaves of growing size until the root fits.
    let mut root = directory(&entries);
    let mut leaves: Vec<u8> = Vec::new();
    let mut leaf_count = 0u64;
    if HEADER_BYTES + root.len() > ROOT_BYTES {
        let mut per_leaf = 4096usize;
        loop {
            leaves.clear();
            let mut root_entries = Vec::new();
            for chunk in entries.chunks(per_leaf) {
                let leaf = directory(chunk);
                root_entries.push(Entry {
                    tile_id: chunk[0].tile_id,
                    offset: leaves.len() as u64,
                    length: leaf.len() as u32,
                    run_length: 0,
                });
                leaves.extend_from_slice(&leaf);
            }
            root = directory(&root_entries);
            leaf_count = root_entries.len() as u64;
            if HEADER_BYTES + root.len() <= ROOT_BYTES {
                break;
            }
            per_leaf *= 2;
        }
    }
    let metadata = gzip(info.metadata.to_string().as_bytes());
    let root_offset = HEADER_BYTES as u64;
    let metadata_offset = root_offset + root.len() as u64;
    let leaves_offset = metadata_offset + metadata.len() as u64;
    let data_offset = leaves_offset + leaves.len() as u64;
    let c = counts(leaf_count);

    let mut out = Vec::with_capacity(data_offset as usize + data.len());
    out.extend_from_slice(b"PMTiles");
    out.push(3);
    for v in [
        root_offset,
        root.len() as u64,
        metadata_offset,
        metadata.len() as u64,
        leaves_offset,
        leaves.len() as u64,
        data_offset,
        data.len() as u64,
        c.tiles,
        c.entries,
        c.contents,
    ] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    // Clustered (data in id order); gzip directories; gzip tiles; MVT.
    out.extend_from_slice(&[1, 2, 2, 1, info.min_zoom, info.max_zoom]);
    let e7 = |deg: f64| ((deg * 1e7).round() as i32).to_le_bytes();
    let [w, s, e, n] = info.bounds;
    for v in [w, s, e, n] {
        out.extend_from_slice(&e7(v));
    }
    out.push(info.center_zoom);
    out.extend_from_slice(&e7((w + e) / 2.0));
    out.extend_from_slice(&e7((s + n) / 2.0));
    debug_assert_eq!(out.len(), HEADER_BYTES);
    out.extend_from_slice(&root);
    out.extend_from_slice(&metadata);
    out.extend_from_slice(&leaves);
    out.extend_from_slice(&data);
    (out, c)
}

/// The tiles at zoom `z` that cover `bounds` (west, south, east, north, degrees).
pub fn tiles_over(bounds: [f64; 4], z: u8) -> impl Iterator<Item = TileId> {
    let corner = |lon: f64, lat: f64| super::normalised_mercator(geo::Coord { x: lon, y: lat });
    let (nw, se) = (corner(bounds[0], bounds[3]), corner(bounds[2], bounds[1]));
    let (a, b) = (
        TileId::containing(z, nw.x, nw.y),
        TileId::containing(z, se.x, se.y),
    );
    (a.x..=b.x).flat_map(move |x| (a.y..=b.y).map(move |y| TileId { z, x, y }))
}

/// Renders every tile of the dataset's extent (its wards' bounds) from
/// `min_zoom` to `max_zoom` with the given layers, as the server would serve
/// them, into an archive. `progress` hears each zoom's tile count.
pub fn export(
    dataset: &crate::model::Dataset,
    source: &super::TileSource,
    layers: &[super::TileLayer],
    min_zoom: u8,
    max_zoom: u8,
    mut progress: impl FnMut(u8, usize),
) -> (Vec<u8>, ArchiveCounts) {
    use crate::features::{Collection, extent_lonlat};
    let bounds = extent_lonlat(Collection::Wards, dataset).unwrap_or([-180.0, -85.0, 180.0, 85.0]);
    let mut tiles = Vec::new();
    for z in min_zoom..=max_zoom {
        let before = tiles.len();
        for tile in tiles_over(bounds, z) {
            let mut bytes = Vec::new();
            for layer in layers {
                // An MVT tile is a sequence of layers: rendered layers join as they are.
                bytes.extend(source.render(dataset, tile, *layer, &[], None));
            }
            if !bytes.is_empty() {
                tiles.push((tile, gzip(&bytes)));
            }
        }
        progress(z, tiles.len() - before);
    }
    let collections: Vec<Collection> = [
        Collection::SmallAreas,
        Collection::Wards,
        Collection::Assets,
    ]
    .into_iter()
    .filter(|c| {
        layers
            .iter()
            .any(|l| *l == super::TileLayer::All || l.name() == c.id())
    })
    .collect();
    let vector_layers: Vec<serde_json::Value> = collections
        .iter()
        .map(|c| {
            let minzoom = if *c == Collection::SmallAreas { super::SMALL_AREAS_MIN_ZOOM } else { 0 };
            serde_json::json!({"id": c.id(), "description": super::layer_description(*c), "minzoom": minzoom.max(min_zoom), "maxzoom": max_zoom, "fields": super::layer_fields(*c, source)})
        })
        .collect();
    let info = ArchiveInfo {
        min_zoom,
        max_zoom,
        bounds,
        center_zoom: max_zoom.min(11).max(min_zoom),
        metadata: serde_json::json!({
            "name": dataset.info.name,
            "description": format!("assetmap tiles: {}; assets cluster up to zoom {}", layers.iter().map(|l| l.name()).collect::<Vec<_>>().join(", "), source.cluster_max_zoom()),
            "attribution": dataset.info.attribution,
            "version": env!("CARGO_PKG_VERSION"),
            "generator": "assetmap",
            "data_version": dataset.info.content_hash,
            "vector_layers": vector_layers,
        }),
    };
    write(tiles, &info)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(z: u8, x: u32, y: u32) -> u64 {
        tile_id(TileId { z, x, y })
    }

    #[test]
    fn tile_ids_follow_the_hilbert_curve_zoom_by_zoom() {
        // Values from the PMTiles reference implementation.
        assert_eq!(id(0, 0, 0), 0);
        assert_eq!(
            [id(1, 0, 0), id(1, 0, 1), id(1, 1, 1), id(1, 1, 0)],
            [1, 2, 3, 4]
        );
        assert_eq!(id(2, 0, 0), 5);
        assert_eq!(id(3, 5, 2), 76);
        assert_eq!(id(12, 2070, 1345), 19_853_420);
        assert_eq!(id(16, 33_100, 21_500), 5_083_120_885);
        // Every tile of a zoom gets its own id, within that zoom's range.
        let mut ids: Vec<u64> = (0..8)
            .flat_map(|x| (0..8).map(move |y| id(3, x, y)))
            .collect();
        ids.sort_unstable();
        assert_eq!(ids, (21..85).collect::<Vec<u64>>());
    }

    #[test]
    fn varints_are_little_endian_groups_of_seven_bits() {
        let mut out = Vec::new();
        for v in [0u64, 1, 127, 128, 300, u64::from(u32::MAX)] {
            varint(&mut out, v);
        }
        assert_eq!(
            out,
            vec![0, 1, 127, 0x80, 1, 0xac, 2, 0xff, 0xff, 0xff, 0xff, 0x0f]
        );
    }

    #[test]
    fn identical_tiles_are_stored_once_and_runs_share_an_entry() {
        let info = ArchiveInfo {
            min_zoom: 1,
            max_zoom: 1,
            bounds: [-1.0, 50.0, 1.0, 52.0],
            center_zoom: 1,
            metadata: serde_json::json!({"name": "t"}),
        };
        let same = vec![1u8, 2, 3];
        let tiles = vec![
            (TileId { z: 1, x: 0, y: 0 }, same.clone()),
            (TileId { z: 1, x: 0, y: 1 }, same.clone()),
            (TileId { z: 1, x: 1, y: 1 }, vec![9u8]),
            (TileId { z: 1, x: 1, y: 0 }, same),
            (TileId { z: 0, x: 0, y: 0 }, vec![]),
        ];
        let (bytes, counts) = write(tiles, &info);
        assert_eq!(&bytes[..7], b"PMTiles");
        assert_eq!(bytes[7], 3);
        assert_eq!(
            counts,
            ArchiveCounts {
                tiles: 4,
                entries: 3,
                contents: 2,
                leaves: 0
            }
        );
        // Tile data: the repeated tile once, then the other.
        assert!(bytes.ends_with(&[1, 2, 3, 9]));
    }
}

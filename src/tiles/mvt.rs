//! A Mapbox Vector Tile 2.1 encoder: the protobuf wire format written by hand
//! (layers, features, deduplicated keys and values, zig-zag delta geometry
//! commands). Decoding is left to independent decoders in the tests.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// FNV-1a: keys and values are short, and SipHash showed in profiles.
#[derive(Default)]
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h = (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<Fnv>>;

/// Tile extent: coordinates run 0..EXTENT across a tile.
pub const EXTENT: u32 = 4096;

/// A property value (strings borrowed; the layer keeps its own copy once).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    /// string_value (1)
    String(&'a str),
    /// double_value (3)
    Double(f64),
    /// uint_value (5) for non-negative integers, sint_value (6) otherwise
    Int(i64),
    /// bool_value (7)
    Bool(bool),
}

/// A value as the layer stores it.
#[derive(Debug, Clone, PartialEq)]
enum Stored {
    String(String),
    Double(f64),
    Int(i64),
    Bool(bool),
}

/// Geometry of one feature, in tile coordinates.
#[derive(Debug, Clone, PartialEq)]
pub enum Geometry {
    /// One point.
    Point(i32, i32),
    /// Polygons as rings (first exterior, positive area; then its holes);
    /// each ring is open (the first point is not repeated).
    Polygon(Vec<Vec<(i32, i32)>>),
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn key(out: &mut Vec<u8>, field: u32, wire: u32) {
    varint(out, u64::from((field << 3) | wire));
}

fn bytes_field(out: &mut Vec<u8>, field: u32, bytes: &[u8]) {
    key(out, field, 2);
    varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn zigzag(v: i32) -> u32 {
    ((v << 1) ^ (v >> 31)) as u32
}

fn command(id: u32, count: u32) -> u32 {
    (id & 7) | (count << 3)
}

/// Geometry command integers, written into `out` (cleared first).
fn geometry_commands(g: &Geometry, out: &mut Vec<u32>) {
    out.clear();
    let (mut cx, mut cy) = (0i32, 0i32);
    let move_to = |out: &mut Vec<u32>, cx: &mut i32, cy: &mut i32, x: i32, y: i32| {
        out.push(zigzag(x - *cx));
        out.push(zigzag(y - *cy));
        *cx = x;
        *cy = y;
    };
    match g {
        Geometry::Point(x, y) => {
            out.push(command(1, 1));
            move_to(out, &mut cx, &mut cy, *x, *y);
        }
        Geometry::Polygon(rings) => {
            for ring in rings {
                if ring.len() < 3 {
                    continue;
                }
                out.push(command(1, 1));
                move_to(out, &mut cx, &mut cy, ring[0].0, ring[0].1);
                out.push(command(2, (ring.len() - 1) as u32));
                for &(x, y) in &ring[1..] {
                    move_to(out, &mut cx, &mut cy, x, y);
                }
                out.push(command(7, 1));
            }
        }
    }
}

/// One layer being built.
pub struct Layer {
    name: String,
    keys: Vec<String>,
    key_index: FastMap<String, u32>,
    values: Vec<Stored>,
    string_index: FastMap<String, u32>,
    scalar_index: FastMap<(u8, u64), u32>,
    /// Encoded `features` fields, already framed.
    features: Vec<u8>,
    count: usize,
    // Buffers reused from feature to feature.
    tags: Vec<u32>,
    commands: Vec<u32>,
    feature: Vec<u8>,
    packed: Vec<u8>,
}

impl Layer {
    /// An empty layer.
    pub fn new(name: &str) -> Layer {
        Layer {
            name: name.into(),
            keys: Vec::new(),
            key_index: FastMap::default(),
            values: Vec::new(),
            string_index: FastMap::default(),
            scalar_index: FastMap::default(),
            features: Vec::new(),
            count: 0,
            tags: Vec::new(),
            commands: Vec::new(),
            feature: Vec::new(),
            packed: Vec::new(),
        }
    }

    /// Whether the layer has no features.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    fn key_id(&mut self, name: &str) -> u32 {
        if let Some(&i) = self.key_index.get(name) {
            return i;
        }
        let i = self.keys.len() as u32;
        self.keys.push(name.to_string());
        self.key_index.insert(name.to_string(), i);
        i
    }

    fn value_id(&mut self, v: Value) -> u32 {
        let next = self.values.len() as u32;
        match v {
            Value::String(text) => {
                if let Some(&i) = self.string_index.get(text) {
                    return i;
                }
                self.string_index.insert(text.to_string(), next);
                self.values.push(Stored::String(text.to_string()));
            }
            scalar => {
                let (kind, bits, stored) = match scalar {
                    Value::Double(d) => (0u8, d.to_bits(), Stored::Double(d)),
                    Value::Int(i) => (1, i as u64, Stored::Int(i)),
                    Value::Bool(b) => (2, u64::from(b), Stored::Bool(b)),
                    Value::String(_) => return next,
                };
                if let Some(&i) = self.scalar_index.get(&(kind, bits)) {
                    return i;
                }
                self.scalar_index.insert((kind, bits), next);
                self.values.push(stored);
            }
        }
        next
    }

    /// Adds a feature; properties with `None` are left out.
    pub fn add(
        &mut self,
        id: Option<u64>,
        geometry: &Geometry,
        properties: &[(&str, Option<Value>)],
    ) {
        let mut commands = std::mem::take(&mut self.commands);
        geometry_commands(geometry, &mut commands);
        if commands.is_empty() {
            self.commands = commands;
            return;
        }
        let mut tags = std::mem::take(&mut self.tags);
        tags.clear();
        for (name, value) in properties {
            if let Some(v) = value {
                tags.push(self.key_id(name));
                tags.push(self.value_id(*v));
            }
        }
        let (mut f, mut packed) = (
            std::mem::take(&mut self.feature),
            std::mem::take(&mut self.packed),
        );
        f.clear();
        if let Some(id) = id {
            key(&mut f, 1, 0);
            varint(&mut f, id);
        }
        packed.clear();
        for &t in &tags {
            varint(&mut packed, u64::from(t));
        }
        if !packed.is_empty() {
            bytes_field(&mut f, 2, &packed);
        }
        key(&mut f, 3, 0);
        varint(
            &mut f,
            if matches!(geometry, Geometry::Point(..)) {
                1
            } else {
                3
            },
        );
        packed.clear();
        for &c in &commands {
            varint(&mut packed, u64::from(c));
        }
        bytes_field(&mut f, 4, &packed);
        bytes_field(&mut self.features, 2, &f);
        self.count += 1;
        (self.commands, self.tags, self.feature, self.packed) = (commands, tags, f, packed);
    }

    /// The layer message.
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.features.len() + 1024);
        key(&mut out, 15, 0);
        varint(&mut out, 2);
        bytes_field(&mut out, 1, self.name.as_bytes());
        out.extend_from_slice(&self.features);
        for k in &self.keys {
            bytes_field(&mut out, 3, k.as_bytes());
        }
        for v in &self.values {
            let mut m = Vec::new();
            match v {
                Stored::String(s) => bytes_field(&mut m, 1, s.as_bytes()),
                Stored::Double(d) => {
                    key(&mut m, 3, 1);
                    m.extend_from_slice(&d.to_le_bytes());
                }
                Stored::Int(i) if *i >= 0 => {
                    key(&mut m, 5, 0);
                    varint(&mut m, *i as u64);
                }
                Stored::Int(i) => {
                    key(&mut m, 6, 0);
                    varint(&mut m, ((i << 1) ^ (i >> 63)) as u64);
                }
                Stored::Bool(b) => {
                    key(&mut m, 7, 0);
                    varint(&mut m, u64::from(*b));
                }
            }
            bytes_field(&mut out, 4, &m);
        }
        key(&mut out, 5, 0);
        varint(&mut out, u64::from(EXTENT));
        out
    }
}

/// Encodes the non-empty layers into one tile.
pub fn encode_tile(layers: &[Layer]) -> Vec<u8> {
    let mut out = Vec::new();
    for layer in layers {
        append_layer(&mut out, layer);
    }
    out
}

/// Appends one layer to an encoded tile (nothing when it is empty). A tile
/// is a sequence of layers, so layers encoded ahead and a live layer join
/// by concatenation, byte for byte as [`encode_tile`] would make them.
pub fn append_layer(out: &mut Vec<u8>, layer: &Layer) {
    if !layer.is_empty() {
        bytes_field(out, 3, &layer.encode());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spec_example_point_encodes_as_published() {
        // MVT 2.1 spec, 4.3.5.1: a point at (25, 17) is [9, 50, 34].
        let mut out = Vec::new();
        geometry_commands(&Geometry::Point(25, 17), &mut out);
        assert_eq!(out, vec![9, 50, 34]);
    }

    #[test]
    fn the_spec_example_polygon_encodes_as_published() {
        // MVT 2.1 spec, 4.3.5.3: polygon (3,6) (8,12) (20,34) -> [9, 6, 12, 18, 10, 12, 24, 44, 15].
        let g = Geometry::Polygon(vec![vec![(3, 6), (8, 12), (20, 34)]]);
        let mut out = Vec::new();
        geometry_commands(&g, &mut out);
        assert_eq!(out, vec![9, 6, 12, 18, 10, 12, 24, 44, 15]);
    }

    #[test]
    fn keys_and_values_are_shared() {
        let mut layer = Layer::new("l");
        for i in 0..3 {
            layer.add(
                Some(i),
                &Geometry::Point(1, 1),
                &[("k", Some(Value::String("same"))), ("n", None)],
            );
        }
        assert_eq!(layer.keys, vec!["k"]);
        assert_eq!(layer.values.len(), 1);
        assert!(encode_tile(&[Layer::new("empty")]).is_empty());
    }
}

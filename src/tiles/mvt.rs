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

/// A property value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// string_value (1)
    String(String),
    /// double_value (3)
    Double(f64),
    /// uint_value (5) for non-negative integers, sint_value (6) otherwise
    Int(i64),
    /// bool_value (7)
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

/// Geometry command integers.
fn geometry_commands(g: &Geometry) -> Vec<u32> {
    let mut out = Vec::new();
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
            move_to(&mut out, &mut cx, &mut cy, *x, *y);
        }
        Geometry::Polygon(rings) => {
            for ring in rings {
                if ring.len() < 3 {
                    continue;
                }
                out.push(command(1, 1));
                move_to(&mut out, &mut cx, &mut cy, ring[0].0, ring[0].1);
                out.push(command(2, (ring.len() - 1) as u32));
                for &(x, y) in &ring[1..] {
                    move_to(&mut out, &mut cx, &mut cy, x, y);
                }
                out.push(command(7, 1));
            }
        }
    }
    out
}

#[derive(Hash, PartialEq, Eq)]
enum ValueKey {
    String(String),
    Double(u64),
    Int(i64),
    Bool(bool),
}

/// One layer being built.
pub struct Layer {
    name: String,
    keys: Vec<String>,
    key_index: FastMap<String, u32>,
    values: Vec<Value>,
    value_index: FastMap<ValueKey, u32>,
    features: Vec<Vec<u8>>,
}

impl Layer {
    /// An empty layer.
    pub fn new(name: &str) -> Layer {
        Layer {
            name: name.into(),
            keys: Vec::new(),
            key_index: FastMap::default(),
            values: Vec::new(),
            value_index: FastMap::default(),
            features: Vec::new(),
        }
    }

    /// Whether the layer has no features.
    pub fn is_empty(&self) -> bool {
        self.features.is_empty()
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

    fn value_id(&mut self, v: &Value) -> u32 {
        let k = match v {
            Value::String(s) => ValueKey::String(s.clone()),
            Value::Double(d) => ValueKey::Double(d.to_bits()),
            Value::Int(i) => ValueKey::Int(*i),
            Value::Bool(b) => ValueKey::Bool(*b),
        };
        if let Some(&i) = self.value_index.get(&k) {
            return i;
        }
        let i = self.values.len() as u32;
        self.values.push(v.clone());
        self.value_index.insert(k, i);
        i
    }

    /// Adds a feature; properties with `None` are left out.
    pub fn add(
        &mut self,
        id: Option<u64>,
        geometry: &Geometry,
        properties: &[(&str, Option<Value>)],
    ) {
        let commands = geometry_commands(geometry);
        if commands.is_empty() {
            return;
        }
        let mut tags = Vec::with_capacity(properties.len() * 2);
        for (name, value) in properties {
            if let Some(v) = value {
                tags.push(self.key_id(name));
                tags.push(self.value_id(v));
            }
        }
        let mut f = Vec::new();
        if let Some(id) = id {
            key(&mut f, 1, 0);
            varint(&mut f, id);
        }
        let mut packed = Vec::new();
        for t in tags {
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
        let mut packed = Vec::new();
        for c in commands {
            varint(&mut packed, u64::from(c));
        }
        bytes_field(&mut f, 4, &packed);
        self.features.push(f);
    }

    /// The layer message.
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        key(&mut out, 15, 0);
        varint(&mut out, 2);
        bytes_field(&mut out, 1, self.name.as_bytes());
        for f in &self.features {
            bytes_field(&mut out, 2, f);
        }
        for k in &self.keys {
            bytes_field(&mut out, 3, k.as_bytes());
        }
        for v in &self.values {
            let mut m = Vec::new();
            match v {
                Value::String(s) => bytes_field(&mut m, 1, s.as_bytes()),
                Value::Double(d) => {
                    key(&mut m, 3, 1);
                    m.extend_from_slice(&d.to_le_bytes());
                }
                Value::Int(i) if *i >= 0 => {
                    key(&mut m, 5, 0);
                    varint(&mut m, *i as u64);
                }
                Value::Int(i) => {
                    key(&mut m, 6, 0);
                    varint(&mut m, ((i << 1) ^ (i >> 63)) as u64);
                }
                Value::Bool(b) => {
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
    for layer in layers.iter().filter(|l| !l.is_empty()) {
        bytes_field(&mut out, 3, &layer.encode());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spec_example_point_encodes_as_published() {
        // MVT 2.1 spec, 4.3.5.1: a point at (25, 17) is [9, 50, 34].
        assert_eq!(geometry_commands(&Geometry::Point(25, 17)), vec![9, 50, 34]);
    }

    #[test]
    fn the_spec_example_polygon_encodes_as_published() {
        // MVT 2.1 spec, 4.3.5.3: polygon (3,6) (8,12) (20,34) -> [9, 6, 12, 18, 10, 12, 24, 44, 15].
        let g = Geometry::Polygon(vec![vec![(3, 6), (8, 12), (20, 34)]]);
        assert_eq!(
            geometry_commands(&g),
            vec![9, 6, 12, 18, 10, 12, 24, 44, 15]
        );
    }

    #[test]
    fn keys_and_values_are_shared() {
        let mut layer = Layer::new("l");
        for i in 0..3 {
            layer.add(
                Some(i),
                &Geometry::Point(1, 1),
                &[("k", Some(Value::String("same".into()))), ("n", None)],
            );
        }
        assert_eq!(layer.keys, vec!["k"]);
        assert_eq!(layer.values.len(), 1);
        assert!(encode_tile(&[Layer::new("empty")]).is_empty());
    }
}

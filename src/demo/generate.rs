//! The generator of Fictionford, a fictional town, written in the same file
//! formats councils supply (ONS-style boundaries, IoD-style deprivation,
//! Census-style population, Code-Point-style postcodes, NHS-style GP and
//! pharmacy lists, a library list, a food bank GeoJSON, a community directory).
//!
//! The town sits in the North Sea off the Suffolk coast, so it can never be
//! mistaken for a real place; its codes start with `X` (no ONS code does) and
//! its postcodes with `ZZ` (no Royal Mail postcode area does). Everything is
//! drawn from a seeded generator, so the output is the same on every run.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use geo::{Centroid, Coord, LineString, Polygon};
use serde_json::{Value, json};

use crate::crs;

/// South-west corner of the town grid, British National Grid metres.
const ORIGIN: Coord = Coord {
    x: 668_000.0,
    y: 282_000.0,
};
/// Small-area grid: columns, rows and cell size.
const COLUMNS: usize = 13;
const ROWS: usize = 10;
const CELL_M: f64 = 600.0;
/// Lower bounds of IMD 2025 national deciles 1..10 (scores at or above are in the decile).
const DECILE_FLOORS: [f64; 10] = [
    44.914, 33.514, 26.605, 21.54, 17.451, 14.14, 11.135, 8.379, 5.463, 0.0,
];
/// Ward blocks: column and row ranges of the small-area grid.
const WARD_COLUMNS: [(usize, usize); 5] = [(0, 3), (3, 6), (6, 9), (9, 11), (11, 13)];
const WARD_ROWS: [(usize, usize); 4] = [(0, 3), (3, 5), (5, 8), (8, 10)];
const WARD_NAMES: [&str; 20] = [
    "Saltmarsh",
    "Foundry",
    "Canal Basin",
    "Eastquay",
    "Lighthouse",
    "Tanners Row",
    "Market",
    "Old Town",
    "Docklands",
    "Harbour",
    "Westfield",
    "Castle Hill",
    "Station",
    "Ropewalk",
    "Shipyard",
    "Larkrise",
    "Orchard Park",
    "Kingsmead",
    "Beacon",
    "Cliff Top",
];
const DOMAINS: [&str; 7] = [
    "Income",
    "Employment",
    "Education",
    "Health",
    "Crime",
    "Housing_and_Services",
    "Environment",
];

/// SplitMix64: small, fast and the same everywhere.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Uniform in [-1, 1).
    fn signed(&mut self) -> f64 {
        self.unit() * 2.0 - 1.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.unit() * n as f64) as usize % n.max(1)
    }
}

/// A repeatable jitter for a grid vertex, independent of visiting order.
fn jitter(kind: u64, i: usize, j: usize, scale: f64) -> Coord {
    let mut rng = Rng(kind.wrapping_mul(1_000_003) ^ ((i as u64) << 20) ^ (j as u64));
    rng.next_u64();
    Coord {
        x: rng.signed() * scale,
        y: rng.signed() * scale,
    }
}

fn corner(i: usize, j: usize) -> Coord {
    let base = Coord {
        x: ORIGIN.x + i as f64 * CELL_M,
        y: ORIGIN.y + j as f64 * CELL_M,
    };
    base + jitter(1, i, j, CELL_M * 0.18)
}

/// Midpoint of the edge from corner a to corner b, pushed sideways.
fn midpoint(kind: u64, i: usize, j: usize, a: Coord, b: Coord) -> Coord {
    let mid = Coord {
        x: (a.x + b.x) / 2.0,
        y: (a.y + b.y) / 2.0,
    };
    let d = jitter(kind, i, j, CELL_M * 0.12);
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let len = (dx * dx + dy * dy).sqrt();
    mid + Coord {
        x: -dy / len * d.x,
        y: dx / len * d.x,
    }
}

/// Whether grid cell (column, row) is part of the town (corners are cut off).
fn in_town(c: usize, r: usize) -> bool {
    let cut = |a: usize, b: usize| a + b < 2;
    !(cut(c, r)
        || cut(COLUMNS - 1 - c, r)
        || cut(c, ROWS - 1 - r)
        || cut(COLUMNS - 1 - c, ROWS - 1 - r)
        || (c == 12 && r == 5)
        || (c == 0 && r == 2))
}

/// Vertex ids of a cell's boundary, counter-clockwise from its south-west corner.
type VertexId = (u8, usize, usize);

fn cell_ring(c: usize, r: usize) -> [VertexId; 8] {
    [
        (0, c, r),
        (1, c, r),
        (0, c + 1, r),
        (2, c + 1, r),
        (0, c + 1, r + 1),
        (1, c, r + 1),
        (0, c, r + 1),
        (2, c, r),
    ]
}

fn vertex(id: VertexId) -> Coord {
    match id {
        (0, i, j) => corner(i, j),
        (1, i, j) => midpoint(2, i, j, corner(i, j), corner(i + 1, j)),
        (_, i, j) => midpoint(3, i, j, corner(i, j), corner(i, j + 1)),
    }
}

/// The outline of a set of cells: their directed edges minus the shared ones, chained.
fn outline(cells: &[(usize, usize)]) -> Vec<Coord> {
    let mut edges: Vec<(VertexId, VertexId)> = Vec::new();
    for &(c, r) in cells {
        let ring = cell_ring(c, r);
        for k in 0..8 {
            edges.push((ring[k], ring[(k + 1) % 8]));
        }
    }
    let all: std::collections::HashSet<(VertexId, VertexId)> = edges.iter().copied().collect();
    let next: BTreeMap<VertexId, VertexId> = edges
        .iter()
        .copied()
        .filter(|(a, b)| !all.contains(&(*b, *a)))
        .collect();
    let Some((&start, _)) = next.iter().next() else {
        return Vec::new();
    };
    let mut ring = vec![vertex(start)];
    let mut at = start;
    while let Some(&to) = next.get(&at) {
        if to == start || ring.len() > next.len() {
            break;
        }
        ring.push(vertex(to));
        at = to;
    }
    ring.push(ring[0]);
    ring
}

struct Area {
    code: String,
    name: String,
    ward: usize,
    ring: Vec<Coord>,
    centre: Coord,
    score: f64,
    population: u32,
}

fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

fn lonlat(p: Coord) -> Coord {
    // The town is inside the OSTN15 grid by construction.
    crs::bng_to_wgs84(p.x, p.y).unwrap_or(Coord {
        x: f64::NAN,
        y: f64::NAN,
    })
}

fn ring_json(ring: &[Coord]) -> Value {
    Value::Array(
        ring.iter()
            .map(|p| {
                let ll = lonlat(*p);
                json!([round6(ll.x), round6(ll.y)])
            })
            .collect(),
    )
}

fn feature_collection(name: &str, crs_urn: &str, features: Vec<Value>) -> String {
    let mut out = format!(
        "{{\n\"type\": \"FeatureCollection\",\n\"name\": \"{name}\",\n\"crs\": {{ \"type\": \"name\", \"properties\": {{ \"name\": \"{crs_urn}\" }} }},\n\"features\": [\n"
    );
    for (i, f) in features.iter().enumerate() {
        out.push_str(&f.to_string());
        out.push_str(if i + 1 < features.len() { ",\n" } else { "\n" });
    }
    out.push_str("]\n}\n");
    out
}

fn decile(score: f64) -> usize {
    DECILE_FLOORS
        .iter()
        .position(|&floor| score >= floor)
        .map_or(10, |i| i + 1)
}

fn csv_line(fields: &[String]) -> String {
    let quoted: Vec<String> = fields
        .iter()
        .map(|f| {
            if f.contains([',', '"', '\n']) {
                format!("\"{}\"", f.replace('"', "\"\""))
            } else {
                f.clone()
            }
        })
        .collect();
    quoted.join(",") + "\n"
}

/// Deprivation around the docks in the east and an estate in the north-west.
fn score_at(p: Coord, rng: &mut Rng) -> f64 {
    let rel = |fx: f64, fy: f64| {
        let dx = p.x - (ORIGIN.x + fx * COLUMNS as f64 * CELL_M);
        let dy = p.y - (ORIGIN.y + fy * ROWS as f64 * CELL_M);
        dx * dx + dy * dy
    };
    let docks = 48.0 * (-rel(0.78, 0.35) / (2.0 * 1600.0f64.powi(2))).exp();
    let estate = 30.0 * (-rel(0.18, 0.82) / (2.0 * 800.0f64.powi(2))).exp();
    (6.0 + docks + estate + rng.signed() * 4.0).max(1.5)
}

/// The demo files, by name, as bytes.
pub fn generate() -> BTreeMap<&'static str, String> {
    let mut rng = Rng(20_261_128);
    let mut areas: Vec<Area> = Vec::new();
    let mut ward_cells: Vec<Vec<(usize, usize)>> = vec![Vec::new(); 20];
    for r in 0..ROWS {
        for c in 0..COLUMNS {
            if !in_town(c, r) {
                continue;
            }
            let wc = WARD_COLUMNS
                .iter()
                .position(|&(a, b)| (a..b).contains(&c))
                .unwrap_or(0);
            let wr = WARD_ROWS
                .iter()
                .position(|&(a, b)| (a..b).contains(&r))
                .unwrap_or(0);
            let ward = wr * WARD_COLUMNS.len() + wc;
            ward_cells[ward].push((c, r));
            let ring: Vec<Coord> = cell_ring(c, r)
                .iter()
                .map(|&v| vertex(v))
                .chain(std::iter::once(vertex((0, c, r))))
                .collect();
            let centre = Polygon::new(LineString::new(ring.clone()), vec![])
                .centroid()
                .map(|p| p.0)
                .unwrap_or(ring[0]);
            let score = score_at(centre, &mut rng);
            let population = (1_250.0 + score * 14.0 + rng.unit() * 700.0).round() as u32;
            areas.push(Area {
                code: String::new(),
                name: String::new(),
                ward,
                ring,
                centre,
                score,
                population,
            });
        }
    }
    // Codes in ward order, as ONS numbers LSOAs within their parent areas.
    areas.sort_by_key(|a| a.ward);
    let mut per_ward: HashMap<usize, usize> = HashMap::new();
    for (i, a) in areas.iter_mut().enumerate() {
        let n = per_ward.entry(a.ward).or_insert(0);
        a.code = format!("X01{:06}", i + 1);
        a.name = format!("Fictionford {:03}{}", a.ward + 1, (b'A' + *n as u8) as char);
        *n += 1;
    }

    let mut files = BTreeMap::new();
    files.insert("manifest.toml", MANIFEST.to_string());
    files.insert("wards.geojson", wards_file(&ward_cells));
    files.insert("small_areas.geojson", small_areas_file(&areas));
    files.insert("deprivation.csv", deprivation_file(&areas, &mut rng));
    let mut population = String::from("lsoa21_code,usual_residents\n");
    for a in &areas {
        population.push_str(&format!("{},{}\n", a.code, a.population));
    }
    files.insert("population.csv", population);
    let postcodes = postcodes(&areas, &mut rng);
    let mut postcode_csv =
        String::from("postcode,positional_quality,easting,northing,admin_ward_code\n");
    for p in &postcodes {
        postcode_csv.push_str(&format!(
            "{},10,{:.0},{:.0},X05{:06}\n",
            p.0,
            p.1.x,
            p.1.y,
            areas[p.2].ward + 1
        ));
    }
    files.insert("postcodes.csv", postcode_csv);
    assets(&areas, &postcodes, &mut rng, &mut files);
    directories(&areas, &postcodes, &mut files);
    files
}

/// The place and nearest postcode at a small area's centre, moved a little.
fn spot(
    areas: &[Area],
    postcodes: &[(String, Coord, usize)],
    area: usize,
    dx: f64,
) -> (Coord, String) {
    let at = areas[area % areas.len()].centre
        + Coord {
            x: dx,
            y: -dx / 2.0,
        };
    let postcode = postcodes
        .iter()
        .min_by(|a, b| {
            (a.1.x - at.x)
                .hypot(a.1.y - at.y)
                .total_cmp(&(b.1.x - at.x).hypot(b.1.y - at.y))
        })
        .map(|p| p.0.clone())
        .unwrap_or_default();
    (lonlat(at), postcode)
}

/// Fictionford's community directory as an Open Referral UK 3.0 feed (two
/// services with places, four by phone or online only), and its food banks'
/// needs as a Give Food dump. Fixed content, so the generated town above is
/// unchanged.
fn directories(
    areas: &[Area],
    postcodes: &[(String, Coord, usize)],
    files: &mut BTreeMap<&'static str, String>,
) {
    let term = |id: &str, name: &str| {
        json!([{"id": format!("attr-{id}"), "taxonomy_term_id": id,
                "taxonomy_term": {"id": id, "name": name, "description": name}}])
    };
    let organisation = json!({"id": "0c9f3b1e-5d2a-4c8e-9f10-000000000001", "name": "Fictionford Council for Voluntary Service",
                              "description": "The umbrella body for Fictionford's voluntary and community groups (fictional)."});
    let weekly = |byday: &str, opens: &str, closes: &str| {
        json!([{"id": format!("sched-{byday}-{opens}"), "freq": "WEEKLY", "byday": byday,
                "opens_at": format!("{opens}:00"), "closes_at": format!("{closes}:00")}])
    };
    let placed = |n: usize, area: usize, name: &str, street: &str, access: &str| {
        let (ll, postcode) = spot(areas, postcodes, area, 60.0);
        json!([{
            "id": format!("sal-{n:04}"),
            "location": {
                "id": format!("loc-{n:04}"),
                "location_type": "physical",
                "name": name,
                "latitude": round6(ll.y),
                "longitude": round6(ll.x),
                "addresses": [{"id": format!("addr-{n:04}"), "address_1": street, "city": "Fictionford",
                               "state_province": "Suffolk", "postal_code": postcode, "country": "GB", "address_type": "physical"}],
                "accessibility": [{"id": format!("acc-{n:04}"), "description": access}],
            }
        }])
    };
    let services = vec![
        json!({
            "id": "5e1d0c1a-0000-4000-8000-000000000001", "name": "Harbour Memory Café", "status": "active",
            "description": "A friendly afternoon for people living with dementia and the people who care for them.\n\nTea and cake, music and memories.",
            "email": "memorycafe@fictionford.example", "url": "https://cvs.fictionford.example/memory-cafe",
            "assured_date": "2026-09-14", "last_modified": "2026-09-14T10:00:00Z",
            "organization": organisation,
            "attributes": term("t-befriending", "Befriending"),
            "schedules": weekly("WE", "14:00", "16:00"),
            "contacts": [{"id": "contact-0001", "phones": [{"id": "phone-0001", "number": "01632 960901"}]}],
            "service_at_locations": placed(1, 17, "Harbour Hall", "4 Harbour Parade", "Step-free entrance and an accessible toilet; hearing loop in the main hall."),
        }),
        json!({
            "id": "5e1d0c1a-0000-4000-8000-000000000002", "name": "Men's Shed", "status": "active",
            "description": "Woodwork, repairs and a cuppa: somewhere to make things and make friends.",
            "email": "shed@fictionford.example",
            "assured_date": "2026-06-02", "last_modified": "2026-06-02T09:30:00Z",
            "organization": organisation,
            "attributes": term("t-befriending", "Befriending"),
            "schedules": weekly("TU,TH", "10:00", "15:00"),
            "service_at_locations": placed(2, 63, "The Old Boathouse", "Quay Road", "Ground floor workshop; ramp at the side door."),
        }),
        json!({
            "id": "5e1d0c1a-0000-4000-8000-000000000003", "name": "Fictionford Befriending Line", "status": "active",
            "description": "A weekly friendly phone call from a volunteer, for anyone who feels lonely.",
            "assured_date": "2026-10-01", "organization": organisation,
            "attributes": term("t-befriending", "Befriending"),
            "schedules": weekly("MO,TU,WE,TH,FR", "09:00", "17:00"),
            "contacts": [{"id": "contact-0003", "phones": [{"id": "phone-0003", "number": "0800 160 0903"}]}],
        }),
        json!({
            "id": "5e1d0c1a-0000-4000-8000-000000000004", "name": "Money Worries Webchat", "status": "active",
            "description": "Free, confidential online chat about debt, benefits and bills.",
            "url": "https://advice.fictionford.example/webchat", "assured_date": "2026-08-20",
            "attributes": term("t-advice", "Advice and guidance"),
        }),
        json!({
            "id": "5e1d0c1a-0000-4000-8000-000000000005", "name": "Carers' Advice Line", "status": "active",
            "description": "Advice and a listening ear for unpaid carers.",
            "email": "carers@fictionford.example", "assured_date": "2025-07-11",
            "attributes": term("t-advice", "Advice and guidance"),
            "schedules": weekly("MO,WE,FR", "10:00", "14:00"),
            "contacts": [{"id": "contact-0005", "phones": [{"id": "phone-0005", "number": "01632 960905"}]}],
        }),
        json!({
            "id": "5e1d0c1a-0000-4000-8000-000000000006", "name": "Youth Text Service", "status": "active",
            "description": "Young people aged 11 to 19 can text a youth worker for support.",
            "attributes": term("t-young-people", "Young people"),
            "contacts": [{"id": "contact-0006", "phones": [{"id": "phone-0006", "number": "07700 900906"}]}],
        }),
    ];
    let feed = json!({
        "total_items": services.len(), "total_pages": 1, "page_number": 1, "size": services.len(),
        "first_page": true, "last_page": true, "empty": false, "contents": services,
    });
    files.insert("directory_oruk.json", format!("{feed:#}\n"));

    // Give Food's dump: one food bank with two distribution points (so its
    // own address is not mapped), and one without.
    let row = |org: &str, slug: &str, location: Option<(&str, &str)>, area: usize, needs: &str| {
        let (ll, postcode) = spot(areas, postcodes, area, -80.0);
        json!({
            "id": format!("gf-{slug}-{}", location.map_or("", |l| l.1)),
            "organisation_name": org, "organisation_slug": slug,
            "location_name": location.map_or("", |l| l.0), "location_slug": location.map_or("", |l| l.1),
            "url": format!("https://{slug}.fictionford.example/"),
            "phone_number": "01632 960950", "email": format!("info@{slug}.fictionford.example"),
            "address": format!("{}\r\nFictionford", location.map_or("1 Mill Street", |l| l.0)),
            "postcode": postcode, "country": "England",
            "lat_lng": format!("{},{}", round6(ll.y), round6(ll.x)),
            "network": "Independent", "closed": false,
            "needed_items": needs, "need_found": "2026-11-20T09:00:00",
            "modified": "2026-11-20T09:00:00",
        })
    };
    let needs = "Tinned tomatoes\nUHT milk\nRice (500g)\nToiletries & nappies (size 5)\nTea bags";
    let rows = vec![
        row(
            "Fictionford Food Network",
            "fictionford-food-network",
            None,
            40,
            needs,
        ),
        row(
            "Fictionford Food Network",
            "fictionford-food-network",
            Some(("St Brendan's Hall", "st-brendans-hall")),
            52,
            needs,
        ),
        row(
            "Fictionford Food Network",
            "fictionford-food-network",
            Some(("Beacon Way Centre", "beacon-way-centre")),
            88,
            needs,
        ),
        row(
            "Quayside Larder",
            "quayside-larder",
            None,
            101,
            "Cooking oil\nTinned fish\nLong-life juice",
        ),
    ];
    files.insert("givefood.json", format!("{:#}\n", Value::Array(rows)));
}

fn wards_file(ward_cells: &[Vec<(usize, usize)>]) -> String {
    let features = ward_cells
        .iter()
        .enumerate()
        .map(|(w, cells)| {
            json!({
                "type": "Feature",
                "properties": {
                    "ward_code": format!("X05{:06}", w + 1),
                    "ward_name": WARD_NAMES[w],
                    "lad_code": "X06000001",
                    "lad_name": "Fictionford",
                },
                "geometry": { "type": "Polygon", "coordinates": [ring_json(&outline(cells))] },
            })
        })
        .collect();
    feature_collection(
        "fictionford_wards",
        "urn:ogc:def:crs:OGC:1.3:CRS84",
        features,
    )
}

fn small_areas_file(areas: &[Area]) -> String {
    let features = areas
        .iter()
        .map(|a| {
            json!({
                "type": "Feature",
                "properties": { "lsoa21_code": a.code, "lsoa21_name": a.name, "ltla24_code": "X06000001" },
                "geometry": { "type": "Polygon", "coordinates": [ring_json(&a.ring)] },
            })
        })
        .collect();
    feature_collection(
        "fictionford_small_areas",
        "urn:ogc:def:crs:OGC:1.3:CRS84",
        features,
    )
}

fn deprivation_file(areas: &[Area], rng: &mut Rng) -> String {
    let mut out = String::from("lsoa21_code,IMD_decile,IMD_score");
    for d in DOMAINS {
        let _ = write!(out, ",{d}_score");
    }
    out.push('\n');
    for a in areas {
        let s = a.score;
        let domains = [
            (s / 110.0 + rng.signed() * 0.02).clamp(0.005, 0.6),
            (s / 140.0 + rng.signed() * 0.015).clamp(0.005, 0.45),
            (s * 0.9 + rng.signed() * 6.0).max(0.5),
            (s - 22.0) / 16.0 + rng.signed() * 0.3,
            (s - 22.0) / 20.0 + rng.signed() * 0.4,
            18.0 + rng.signed() * 8.0 + s * 0.15,
            12.0 + rng.signed() * 9.0 + s * 0.2,
        ];
        let _ = write!(out, "{},{},{:.3}", a.code, decile(s), s);
        for v in domains {
            let _ = write!(out, ",{v:.3}");
        }
        out.push('\n');
    }
    out
}

/// Three postcodes per small area, near its centre: (postcode, position, area index).
fn postcodes(areas: &[Area], rng: &mut Rng) -> Vec<(String, Coord, usize)> {
    let mut out = Vec::new();
    for (i, a) in areas.iter().enumerate() {
        let district = 1 + (a.ward % 9);
        for k in 0..3 {
            let sector = (i * 3 + k) / 26 % 10;
            let unit = format!(
                "{}{}",
                (b'A' + ((i * 3 + k) % 26) as u8) as char,
                (b'A' + (a.ward % 26) as u8) as char
            );
            let at = a.centre
                + Coord {
                    x: rng.signed() * 180.0,
                    y: rng.signed() * 180.0,
                };
            out.push((
                format!("ZZ{district} {sector}{unit}"),
                Coord {
                    x: at.x.round(),
                    y: at.y.round(),
                },
                i,
            ));
        }
    }
    out
}

/// How many of each category, and how they favour places: (category, count,
/// weight for the town centre, weight for deprivation).
const ASSET_PLAN: [(&str, usize, f64, f64); 8] = [
    ("gp", 30, 2.0, -0.6),
    ("pharmacy", 44, 1.6, -0.3),
    ("library", 9, 2.5, 0.0),
    ("food_bank", 24, 0.0, 1.6),
    ("community_centre", 80, 0.4, 0.6),
    ("advice", 28, 1.2, 0.8),
    ("warm_space", 55, 0.3, 0.9),
    ("youth_club", 24, 0.2, 0.5),
];

const STREETS: [&str; 12] = [
    "High Street",
    "Quay Road",
    "Chapel Lane",
    "Mill Street",
    "Station Road",
    "Church Walk",
    "Harbour Parade",
    "Ropewalk",
    "Victoria Road",
    "Kiln Lane",
    "Fishmarket",
    "Beacon Way",
];

fn pick_area(areas: &[Area], centre_w: f64, need_w: f64, rng: &mut Rng) -> usize {
    let town_centre = Coord {
        x: ORIGIN.x + 0.45 * COLUMNS as f64 * CELL_M,
        y: ORIGIN.y + 0.5 * ROWS as f64 * CELL_M,
    };
    let weights: Vec<f64> = areas
        .iter()
        .map(|a| {
            let d = ((a.centre.x - town_centre.x).powi(2) + (a.centre.y - town_centre.y).powi(2))
                .sqrt();
            let central = (-d / 1500.0).exp();
            let need = a.score / 30.0;
            (1.0 + centre_w * central * 3.0) * (need.max(0.05)).powf(need_w)
        })
        .collect();
    let total: f64 = weights.iter().sum();
    let mut target = rng.unit() * total;
    for (i, w) in weights.iter().enumerate() {
        target -= w;
        if target <= 0.0 {
            return i;
        }
    }
    areas.len() - 1
}

fn assets(
    areas: &[Area],
    postcodes: &[(String, Coord, usize)],
    rng: &mut Rng,
    files: &mut BTreeMap<&'static str, String>,
) {
    let mut gp = String::from(
        "org_code,name,address_line_1,address_line_2,postcode,status_code,prescribing_setting,contact_telephone,easting,northing\n",
    );
    let mut pharmacy = String::from(
        "org_code,name,address_line_1,address_line_2,postcode,status_code,contact_telephone,\
         opening_hours_monday,opening_hours_tuesday,opening_hours_wednesday,opening_hours_thursday,\
         opening_hours_friday,opening_hours_saturday,opening_hours_sunday\n",
    );
    let mut library = String::from(
        "name,address1,postcode,closed,lon,lat,monday,tuesday,wednesday,thursday,friday,saturday,sunday,email\n",
    );
    let mut food_banks = Vec::new();
    let mut directory = Vec::new();
    for (category, count, centre_w, need_w) in ASSET_PLAN {
        for n in 0..count {
            let i = pick_area(areas, centre_w, need_w, rng);
            let area = &areas[i];
            let at = area.centre
                + Coord {
                    x: rng.signed() * 220.0,
                    y: rng.signed() * 220.0,
                };
            let at = Coord {
                x: (at.x * 10.0).round() / 10.0,
                y: (at.y * 10.0).round() / 10.0,
            };
            let nearest = postcodes
                .iter()
                .min_by(|a, b| {
                    (a.1.x - at.x)
                        .hypot(a.1.y - at.y)
                        .total_cmp(&(b.1.x - at.x).hypot(b.1.y - at.y))
                })
                .map(|p| (p.0.clone(), p.1))
                .unwrap_or_default();
            let street = format!(
                "{} {}",
                1 + rng.below(180),
                STREETS[rng.below(STREETS.len())]
            );
            let place = WARD_NAMES[area.ward];
            let phone = format!("01632 {:06}", 960_000 + rng.below(1000));
            match category {
                "gp" => {
                    let code = format!("Z{:05}", 81_001 + n);
                    let name = if n % 2 == 0 {
                        format!("{place} Medical Practice")
                    } else {
                        format!("{} Surgery", STREETS[n % STREETS.len()])
                    };
                    let status = if n == 7 { "C" } else { "A" };
                    let setting = if n == 12 { "8" } else { "4" };
                    let _ = write!(
                        gp,
                        "{}",
                        csv_line(&[
                            code,
                            name.to_uppercase(),
                            street.to_uppercase(),
                            "FICTIONFORD".into(),
                            nearest.0.clone(),
                            status.into(),
                            setting.into(),
                            phone,
                            format!("{:.0}", at.x),
                            format!("{:.0}", at.y)
                        ])
                    );
                }
                "pharmacy" => {
                    let code = format!("ZA{:03}", 100 + n);
                    let name = [
                        "Harbour Chemist",
                        "Fictionford Pharmacy",
                        "Quayside Pharmacy",
                        "Kiln Lane Chemist",
                    ][n % 4];
                    let status = if n == 5 { "C" } else { "A" };
                    // Hours as the NHS pharmacy lists give them: one column a day.
                    let (weekday, saturday, sunday) = [
                        ("09:00-13:00,14:00-18:00", "09:00-13:00", "CLOSED"),
                        ("08:00-22:00", "08:00-22:00", "10:00-16:00"),
                        ("09:00-18:30", "09:00-17:30", "CLOSED"),
                        ("08:30-19:00", "09:00-18:00", "11:00-15:00"),
                    ][n % 4];
                    let mut fields = vec![
                        code,
                        format!("{} ({place})", name).to_uppercase(),
                        street.to_uppercase(),
                        "FICTIONFORD".into(),
                        nearest.0.clone(),
                        status.into(),
                        phone,
                    ];
                    fields.extend([weekday; 5].map(String::from));
                    fields.extend([saturday, sunday].map(String::from));
                    let _ = write!(pharmacy, "{}", csv_line(&fields));
                }
                "library" => {
                    let ll = lonlat(at);
                    let closed = if n == 8 { "2019" } else { "" };
                    let hours = [
                        "9:00-17:00",
                        "9:00-19:00",
                        "Closed",
                        "9:00-17:00",
                        "9:00-17:00",
                        "10:00-13:00",
                        "Closed",
                    ];
                    let mut fields = vec![
                        format!("{place} Library"),
                        street.clone(),
                        nearest.0.clone(),
                        closed.into(),
                        format!("{:.6}", ll.x),
                        format!("{:.6}", ll.y),
                    ];
                    fields.extend(hours.iter().map(|h| h.to_string()));
                    fields.push(format!(
                        "{}.library@fictionford.example",
                        place.to_lowercase().replace(' ', "")
                    ));
                    let _ = write!(library, "{}", csv_line(&fields));
                }
                "food_bank" => {
                    let ll = lonlat(at);
                    let name = [
                        "Fictionford Food Bank",
                        "Community Pantry",
                        "Harbour Food Club",
                        "St Brendan's Food Bank",
                    ][n % 4];
                    food_banks.push(json!({
                        "type": "Feature",
                        "properties": {
                            "Name": format!("{name} ({place})"),
                            "Address": format!("{street}, Fictionford"),
                            "Postcode": nearest.0,
                            "Opening times": (["Tuesday 10am - 1pm", "Friday 12noon - 3pm", "Monday and Thursday 9:30am - 12noon"][n % 3]),
                            "Contact": phone,
                            "Website": "https://foodbank.fictionford.example/",
                        },
                        "geometry": { "type": "Point", "coordinates": [round6(ll.x), round6(ll.y)] },
                    }));
                }
                _ => {
                    let label = match category {
                        "community_centre" => [
                            "Community Centre",
                            "Neighbourhood Hub",
                            "Village Hall",
                            "Family Centre",
                        ][n % 4],
                        "advice" => [
                            "Advice Centre",
                            "Money Advice Drop-in",
                            "Housing Advice",
                            "Welfare Rights Clinic",
                        ][n % 4],
                        "warm_space" => {
                            ["Warm Space", "Warm Welcome Café", "Winter Warm Room"][n % 3]
                        }
                        _ => ["Youth Club", "Youth Project", "Young People's Hub"][n % 3],
                    };
                    directory.push(json!({
                        "type": "Feature",
                        "id": format!("dir-{:04}", directory.len() + 1),
                        "properties": {
                            "service_name": format!("{place} {label}"),
                            "service_type": category,
                            "address": format!("{street}, Fictionford"),
                            "postcode": nearest.0,
                            "phone": phone,
                            "email": format!("hello@{}.fictionford.example", category.replace('_', "")),
                            "opening_hours": (["Mo-Fr 09:00-17:00", "Tu,Th 18:00-21:00", "Mo-Fr 10:00-16:00; Sa 10:00-13:00", "Sa 10:00-14:00"][n % 4]),
                        },
                        "geometry": { "type": "Point", "coordinates": [at.x, at.y] },
                    }));
                }
            }
        }
    }
    files.insert("gp_practices.csv", gp);
    files.insert("pharmacies.csv", pharmacy);
    files.insert("libraries.csv", library);
    files.insert(
        "food_banks.geojson",
        feature_collection(
            "fictionford_food_banks",
            "urn:ogc:def:crs:OGC:1.3:CRS84",
            food_banks,
        ),
    );
    files.insert(
        "community_directory.geojson",
        feature_collection(
            "fictionford_directory",
            "urn:ogc:def:crs:EPSG::27700",
            directory,
        ),
    );
}

/// The demo manifest: the same keys a council's manifest uses.
const MANIFEST: &str = r#"# Fictionford: a FICTIONAL demo town generated by `assetmap demo-data`.
# No place, person, code or postcode here is real. Codes start with X and
# postcodes with ZZ so they can never match real ONS or Royal Mail data.

[dataset]
name = "Fictionford (fictional demo town)"
description = "A generated town with 20 wards, 120 small areas and about 290 community assets, for trying assetmap. None of it is real."
attribution = "Fictional data generated by assetmap; free to use for any purpose."

[wards]
path = "wards.geojson"
code = "ward_code"
name = "ward_name"
council_code = "lad_code"
council_name = "lad_name"
vintage = "Fictionford 2026 (fictional)"

[small_areas]
path = "small_areas.geojson"
code = "lsoa21_code"
name = "lsoa21_name"
council_code = "ltla24_code"
vintage = "Fictionford 2026 (fictional)"

[deprivation]
path = "deprivation.csv"
code = "lsoa21_code"
score = "IMD_score"
decile = "IMD_decile"
domains = ["Income_score", "Employment_score", "Education_score", "Health_score", "Crime_score", "Housing_and_Services_score", "Environment_score"]
vintage = "IoD2025-like (fictional)"

[population]
path = "population.csv"
code = "lsoa21_code"
population = "usual_residents"
vintage = "Census 2021-like (fictional)"

[postcodes]
path = "postcodes.csv"
postcode = "postcode"
x = "easting"
y = "northing"
crs = "EPSG:27700"
vintage = "fictional"

[[assets]]
source = "gp_practices"
path = "gp_practices.csv"
category = "gp"
id = "org_code"
x = "easting"
y = "northing"
crs = "EPSG:27700"
name = "name"
address = ["address_line_1", "address_line_2"]
postcode = "postcode"
phone = "contact_telephone"
filter = [
  { field = "status_code", equals = "A" },
  { field = "prescribing_setting", equals = "4" },
]

[[assets]]
source = "pharmacies"
path = "pharmacies.csv"
category = "pharmacy"
id = "org_code"
name = "name"
address = ["address_line_1", "address_line_2"]
postcode = "postcode"
phone = "contact_telephone"
opening_hours = ["opening_hours_monday", "opening_hours_tuesday", "opening_hours_wednesday", "opening_hours_thursday", "opening_hours_friday", "opening_hours_saturday", "opening_hours_sunday"]
hours_format = "day_times"
filter = [{ field = "status_code", equals = "A" }]

[[assets]]
source = "libraries"
path = "libraries.csv"
category = "library"
x = "lon"
y = "lat"
crs = "EPSG:4326"
name = "name"
address = "address1"
postcode = "postcode"
email = "email"
opening_hours = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
hours_format = "day_times"
filter = [{ field = "closed", empty = true }]

[[assets]]
source = "food_banks"
path = "food_banks.geojson"
category = "food_bank"
name = "Name"
address = "Address"
postcode = "Postcode"
phone = "Contact"
website = "Website"
opening_hours = "Opening times"
hours_format = "english"

[[assets]]
source = "community_directory"
path = "community_directory.geojson"
category_field = "service_type"
id_prefix = "dir:"
name = "service_name"
address = "address"
postcode = "postcode"
phone = "phone"
email = "email"
opening_hours = "opening_hours"
hours_format = "osm"

[[assets]]
source = "community_services"
format = "oruk"
path = "directory_oruk.json"
category = "community_centre"
taxonomy = { "t-advice" = "advice", "t-young-people" = "youth_club", "Befriending" = "community_centre" }

[[assets]]
source = "givefood"
format = "givefood"
path = "givefood.json"
category = "food_bank"

[categories]
gp = "GP practice"
pharmacy = "Pharmacy"
library = "Library"
food_bank = "Food bank"
community_centre = "Community centre"
advice = "Advice service"
warm_space = "Warm space"
youth_club = "Youth club"
"#;

//! The dataset seen as three feature collections — `assets`, `wards`,
//! `small_areas` — each with a fixed schema of properties, filters and
//! geometry in any supported CRS. The OGC API, the exports and the ward and
//! small-area profiles all read features through here, so they agree.

use geo::{BoundingRect, Coord, Intersects, MultiPolygon, Rect};
use serde_json::{Map, Value};

use crate::crs::Crs;
use crate::model::{Dataset, DemandSource, WardAssignment};

/// One of the dataset's feature collections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Collection {
    /// Community assets (points).
    Assets,
    /// Electoral wards with deprivation and asset counts (polygons).
    Wards,
    /// Small areas (LSOAs) with deprivation and population (polygons).
    SmallAreas,
}

/// Every collection, in the order they are listed.
pub const COLLECTIONS: [Collection; 3] = [
    Collection::Assets,
    Collection::Wards,
    Collection::SmallAreas,
];

/// The type of a property, for schemas (GeoPackage columns, OpenAPI, TileJSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// Text.
    Text,
    /// Whole number.
    Integer,
    /// Real number.
    Real,
}

/// A property of a collection: name, type, description.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// Property name.
    pub name: String,
    /// Its type.
    pub kind: FieldType,
    /// What it is.
    pub description: String,
}

fn field(name: &str, kind: FieldType, description: &str) -> Field {
    Field {
        name: name.into(),
        kind,
        description: description.into(),
    }
}

impl Collection {
    /// Parses a collection id.
    pub fn parse(id: &str) -> Option<Collection> {
        COLLECTIONS.into_iter().find(|c| c.id() == id)
    }

    /// The id used in URLs and layer names.
    pub fn id(self) -> &'static str {
        match self {
            Collection::Assets => "assets",
            Collection::Wards => "wards",
            Collection::SmallAreas => "small_areas",
        }
    }

    /// A title for people.
    pub fn title(self) -> &'static str {
        match self {
            Collection::Assets => "Community assets",
            Collection::Wards => "Electoral wards",
            Collection::SmallAreas => "Small areas (LSOA 2021)",
        }
    }

    /// A description for people.
    pub fn description(self) -> &'static str {
        match self {
            Collection::Assets => {
                "Places residents can go for support: GP practices, pharmacies, libraries, food banks and more, with their ward."
            }
            Collection::Wards => {
                "Electoral wards with population, population-weighted IMD score and domain scores, share of small areas in national IMD decile 1, and asset counts per category."
            }
            Collection::SmallAreas => {
                "Lower-layer super output areas with population, IMD score, decile and rank, domain scores, demand point and ward."
            }
        }
    }

    /// Properties that can be used as equality filters (OGC queryables).
    pub fn queryables(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Collection::Assets => &[
                ("category", "asset category id, e.g. gp"),
                ("ward_code", "code of the ward containing the asset"),
                ("council_code", "code of the council (LAD) of that ward"),
                (
                    "small_area_code",
                    "code of the small area containing the asset",
                ),
                ("source", "manifest source the asset came from"),
                ("status", "active or temporarily_closed"),
            ],
            Collection::Wards => &[
                ("council_code", "council (LAD) code"),
                ("code", "ward code"),
            ],
            Collection::SmallAreas => &[
                ("council_code", "council (LAD) code"),
                (
                    "ward_code",
                    "code of the ward the small area is assigned to",
                ),
                ("imd_decile", "national IMD decile, 1 = most deprived"),
            ],
        }
    }

    /// Number of features.
    pub fn len(self, dataset: &Dataset) -> usize {
        match self {
            Collection::Assets => dataset.assets.len(),
            Collection::Wards => dataset.wards.len(),
            Collection::SmallAreas => dataset.small_areas.len(),
        }
    }

    /// The property schema; [`properties`] gives values in this order.
    pub fn schema(self, dataset: &Dataset) -> Vec<Field> {
        use FieldType::{Integer, Real, Text};
        let domains = |out: &mut Vec<Field>| {
            for d in &dataset.info.domains {
                out.push(field(
                    &format!("{}_score", d.to_lowercase()),
                    Real,
                    &format!("{d} domain score"),
                ));
            }
        };
        match self {
            Collection::Assets => vec![
                field("id", Text, "asset id"),
                field("category", Text, "category id"),
                field("category_label", Text, "category name"),
                field("name", Text, "name as published"),
                field("display_name", Text, "name in readable case"),
                field("address", Text, "address as published"),
                field("display_address", Text, "address in readable case"),
                field("postcode", Text, "postcode"),
                field("phone", Text, "telephone"),
                field("email", Text, "email"),
                field("website", Text, "web site"),
                field("opening_hours", Text, "opening hours"),
                field("ward_code", Text, "ward containing the asset"),
                field("ward_name", Text, "name of that ward"),
                field("council_code", Text, "council (LAD) of that ward"),
                field("small_area_code", Text, "small area containing the asset"),
                field("source", Text, "manifest source, or local (added here)"),
                field("status", Text, "active or temporarily_closed"),
                field("revision", Integer, "revision number (the ETag)"),
                field("updated_at", Text, "when it last changed (RFC 3339)"),
                field("verified_at", Text, "date the information was last checked"),
            ],
            Collection::Wards => {
                let mut out = vec![
                    field("code", Text, "ward code"),
                    field("name", Text, "ward name"),
                    field("council_code", Text, "council (LAD) code"),
                    field("council_name", Text, "council name"),
                    field("population", Real, "sum of small-area populations"),
                    field("imd_score", Real, "population-weighted mean IMD score"),
                    field(
                        "decile1_share",
                        Real,
                        "share of small areas in national IMD decile 1",
                    ),
                    field("small_areas", Integer, "number of small areas assigned"),
                    field("assets_total", Integer, "assets inside the ward"),
                ];
                domains(&mut out);
                for category in dataset.info.category_labels.keys() {
                    out.push(field(
                        &format!("assets_{category}"),
                        Integer,
                        &format!("{category} assets inside the ward"),
                    ));
                }
                out
            }
            Collection::SmallAreas => {
                let mut out = vec![
                    field("code", Text, "small-area code"),
                    field("name", Text, "small-area name"),
                    field("council_code", Text, "council (LAD) code"),
                    field("ward_code", Text, "assigned ward"),
                    field("ward_name", Text, "assigned ward's name"),
                    field("ward_assignment", Text, "lookup, contains or nearest"),
                    field("population", Real, "usual residents"),
                    field("imd_score", Real, "IMD score"),
                    field("imd_decile", Integer, "national IMD decile"),
                    field("imd_rank", Integer, "national IMD rank"),
                ];
                domains(&mut out);
                out.push(field(
                    "demand_easting",
                    Real,
                    "demand point easting (EPSG:27700)",
                ));
                out.push(field(
                    "demand_northing",
                    Real,
                    "demand point northing (EPSG:27700)",
                ));
                out.push(field("demand_source", Text, "supplied or area_centroid"));
                out
            }
        }
    }

    /// The feature id of feature `i`.
    pub fn feature_id(self, dataset: &Dataset, i: usize) -> &str {
        match self {
            Collection::Assets => &dataset.assets[i].id,
            Collection::Wards => &dataset.wards[i].code,
            Collection::SmallAreas => &dataset.small_areas[i].code,
        }
    }

    /// The index of the feature with this id.
    pub fn find(self, dataset: &Dataset, id: &str) -> Option<usize> {
        match self {
            Collection::Assets => dataset.asset_by_id.get(id).copied(),
            Collection::Wards => dataset.ward_by_code.get(id).copied(),
            Collection::SmallAreas => dataset.small_area_by_code.get(id).copied(),
        }
    }
}

fn text(v: &Option<String>) -> Value {
    v.as_ref().map_or(Value::Null, |s| Value::String(s.clone()))
}

fn real(v: Option<f64>) -> Value {
    v.and_then(|x| serde_json::Number::from_f64((x * 1e6).round() / 1e6))
        .map_or(Value::Null, Value::Number)
}

/// Property values of feature `i`, in the order of [`Collection::schema`].
pub fn properties(collection: Collection, dataset: &Dataset, i: usize) -> Vec<Value> {
    let ward_field = |w: Option<usize>, f: &dyn Fn(usize) -> Option<String>| {
        w.and_then(f).map_or(Value::Null, Value::String)
    };
    match collection {
        Collection::Assets => {
            let a = &dataset.assets[i];
            vec![
                Value::String(a.id.clone()),
                Value::String(a.category.clone()),
                text(&dataset.info.category_labels.get(&a.category).cloned()),
                Value::String(a.name.clone()),
                Value::String(a.display_name().into_owned()),
                text(&a.address),
                text(&a.display_address().map(|c| c.into_owned())),
                text(&a.postcode),
                text(&a.phone),
                text(&a.email),
                text(&a.website),
                text(&a.opening_hours),
                ward_field(a.ward, &|w| Some(dataset.wards[w].code.clone())),
                ward_field(a.ward, &|w| Some(dataset.wards[w].name.clone())),
                ward_field(a.ward, &|w| dataset.wards[w].council_code.clone()),
                a.small_area.map_or(Value::Null, |s| {
                    Value::String(dataset.small_areas[s].code.clone())
                }),
                Value::String(a.source.clone()),
                Value::String(a.status.as_str().into()),
                Value::from(a.revision),
                text(&a.updated_at),
                text(&a.verified_at),
            ]
        }
        Collection::Wards => {
            let w = &dataset.wards[i];
            let mut out = vec![
                Value::String(w.code.clone()),
                Value::String(w.name.clone()),
                text(&w.council_code),
                text(&w.council_name),
                real(Some(w.population)),
                real(w.imd_score),
                real(w.decile1_share),
                Value::from(w.small_areas.len()),
                Value::from(dataset.asset_counts(i).values().sum::<usize>()),
            ];
            out.extend(
                (0..dataset.info.domains.len()).map(|k| real(w.domains.get(k).copied().flatten())),
            );
            out.extend(
                dataset
                    .info
                    .category_labels
                    .keys()
                    .map(|c| Value::from(dataset.asset_counts(i).get(c).copied().unwrap_or(0))),
            );
            out
        }
        Collection::SmallAreas => {
            let s = &dataset.small_areas[i];
            let d = s.deprivation.as_ref();
            let assignment = match s.ward_assignment {
                WardAssignment::Lookup => "lookup",
                WardAssignment::Contains => "contains",
                WardAssignment::Nearest { .. } => "nearest",
                WardAssignment::Unassigned => "unassigned",
            };
            let mut out = vec![
                Value::String(s.code.clone()),
                text(&s.name),
                text(&s.council_code),
                ward_field(s.ward, &|w| Some(dataset.wards[w].code.clone())),
                ward_field(s.ward, &|w| Some(dataset.wards[w].name.clone())),
                Value::String(assignment.into()),
                real(s.population),
                real(d.map(|d| d.score)),
                d.and_then(|d| d.decile).map_or(Value::Null, Value::from),
                d.and_then(|d| d.rank).map_or(Value::Null, Value::from),
            ];
            out.extend(
                (0..dataset.info.domains.len())
                    .map(|k| real(d.and_then(|d| d.domains.get(k).copied().flatten()))),
            );
            out.push(real(Some(s.demand.x).filter(|v| v.is_finite())));
            out.push(real(Some(s.demand.y).filter(|v| v.is_finite())));
            out.push(Value::String(
                if s.demand_source == DemandSource::Supplied {
                    "supplied"
                } else {
                    "area_centroid"
                }
                .into(),
            ));
            out
        }
    }
}

/// Property values as a JSON object, optionally only the named properties.
pub fn properties_object(
    collection: Collection,
    dataset: &Dataset,
    i: usize,
    only: Option<&[String]>,
) -> Map<String, Value> {
    collection
        .schema(dataset)
        .into_iter()
        .zip(properties(collection, dataset, i))
        .filter(|(f, _)| only.is_none_or(|names| names.contains(&f.name)))
        .map(|(f, v)| (f.name, v))
        .collect()
}

/// A feature's geometry, borrowed from the dataset.
#[derive(Debug, Clone, Copy)]
pub enum Geometry<'a> {
    /// A point, in both systems.
    Point {
        /// British National Grid.
        bng: Coord,
        /// Longitude/latitude.
        lonlat: Coord,
    },
    /// A (multi)polygon, in both systems.
    Area {
        /// British National Grid.
        bng: &'a MultiPolygon,
        /// Longitude/latitude.
        lonlat: &'a MultiPolygon,
    },
}

/// The geometry of feature `i`.
pub fn geometry(collection: Collection, dataset: &Dataset, i: usize) -> Geometry<'_> {
    match collection {
        Collection::Assets => Geometry::Point {
            bng: dataset.assets[i].bng,
            lonlat: dataset.assets[i].lonlat,
        },
        Collection::Wards => Geometry::Area {
            bng: &dataset.wards[i].bng,
            lonlat: &dataset.wards[i].lonlat,
        },
        Collection::SmallAreas => Geometry::Area {
            bng: &dataset.small_areas[i].bng,
            lonlat: &dataset.small_areas[i].lonlat,
        },
    }
}

/// A bounding box in longitude/latitude or in the grid.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BBox {
    /// Longitude/latitude degrees (also what a Web Mercator box is).
    LonLat(Rect),
    /// British National Grid metres.
    Bng(Rect),
}

impl BBox {
    /// A box given in `crs`, as (min x, min y, max x, max y) in that CRS's
    /// own axis order already swapped to x/y by the caller.
    pub fn new(crs: Crs, min: Coord, max: Coord) -> BBox {
        match crs {
            Crs::Bng => BBox::Bng(Rect::new(min, max)),
            Crs::WebMercator => BBox::LonLat(Rect::new(
                crate::crs::web_mercator_to_wgs84(min),
                crate::crs::web_mercator_to_wgs84(max),
            )),
            _ => BBox::LonLat(Rect::new(min, max)),
        }
    }

    fn hits(&self, g: Geometry) -> bool {
        match (self, g) {
            (BBox::LonLat(r), Geometry::Point { lonlat, .. }) => r.intersects(&lonlat),
            (BBox::Bng(r), Geometry::Point { bng, .. }) => r.intersects(&bng),
            (BBox::LonLat(r), Geometry::Area { lonlat, .. }) => {
                lonlat.bounding_rect().is_some_and(|b| b.intersects(r)) && lonlat.intersects(r)
            }
            (BBox::Bng(r), Geometry::Area { bng, .. }) => {
                bng.bounding_rect().is_some_and(|b| b.intersects(r)) && bng.intersects(r)
            }
        }
    }
}

/// Which features to return.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only features meeting this box.
    pub bbox: Option<BBox>,
    /// Property equality tests; a property given several times matches any of its values.
    pub properties: Vec<(String, Vec<String>)>,
}

fn value_matches(value: &Value, wanted: &[String]) -> bool {
    let as_text = match value {
        Value::String(s) => s.clone(),
        Value::Null => return false,
        other => other.to_string(),
    };
    wanted.contains(&as_text)
}

/// Indexes of the features that pass the filter, in collection order.
pub fn select(collection: Collection, dataset: &Dataset, filter: &Filter) -> Vec<usize> {
    let schema = collection.schema(dataset);
    let positions: Vec<(usize, &[String])> = filter
        .properties
        .iter()
        .filter_map(|(name, wanted)| {
            schema
                .iter()
                .position(|f| f.name == *name)
                .map(|p| (p, wanted.as_slice()))
        })
        .collect();
    (0..collection.len(dataset))
        .filter(|&i| {
            filter
                .bbox
                .is_none_or(|b| b.hits(geometry(collection, dataset, i)))
        })
        .filter(|&i| {
            positions.is_empty() || {
                let values = properties(collection, dataset, i);
                positions
                    .iter()
                    .all(|(p, wanted)| value_matches(&values[*p], wanted))
            }
        })
        .collect()
}

/// The bounding box of a collection in longitude/latitude, `[min_lon, min_lat, max_lon, max_lat]`.
pub fn extent_lonlat(collection: Collection, dataset: &Dataset) -> Option<[f64; 4]> {
    let mut out: Option<[f64; 4]> = None;
    let mut add = |r: Rect| {
        let b = out.get_or_insert([r.min().x, r.min().y, r.max().x, r.max().y]);
        b[0] = b[0].min(r.min().x);
        b[1] = b[1].min(r.min().y);
        b[2] = b[2].max(r.max().x);
        b[3] = b[3].max(r.max().y);
    };
    for i in 0..collection.len(dataset) {
        match geometry(collection, dataset, i) {
            Geometry::Point { lonlat, .. } => add(Rect::new(lonlat, lonlat)),
            Geometry::Area { lonlat, .. } => {
                if let Some(r) = lonlat.bounding_rect() {
                    add(r)
                }
            }
        }
    }
    out.map(|b| b.map(|v| (v * 1e6).round() / 1e6))
}

/// The export filters (category, ward, council, bbox) for one collection;
/// each applies where the collection has the property.
#[derive(Debug, Clone, Default)]
pub struct ExportFilter {
    /// Asset categories.
    pub categories: Vec<String>,
    /// Ward codes.
    pub wards: Vec<String>,
    /// Council (LAD) codes.
    pub councils: Vec<String>,
    /// A bounding box.
    pub bbox: Option<BBox>,
}

impl ExportFilter {
    /// The filter as it applies to one collection.
    pub fn for_collection(&self, collection: Collection) -> Filter {
        let mut properties = Vec::new();
        let ward_property = if collection == Collection::Wards {
            "code"
        } else {
            "ward_code"
        };
        if collection == Collection::Assets && !self.categories.is_empty() {
            properties.push(("category".to_string(), self.categories.clone()));
        }
        if !self.wards.is_empty() {
            properties.push((ward_property.to_string(), self.wards.clone()));
        }
        if !self.councils.is_empty() {
            properties.push(("council_code".to_string(), self.councils.clone()));
        }
        Filter {
            bbox: self.bbox,
            properties,
        }
    }
}

//! Any other EPSG code, in pure Rust: the code's PROJ.4 definition (from
//! `crs-definitions`) run by `proj4rs` (a port of proj4js) to longitude and
//! latitude, then OSTN15 to the British National Grid.
//!
//! The definitions carry no datum transformation, so this module decides:
//! - CRSs on **ETRS89 or WGS84** (GRS80 or WGS84 ellipsoid: UTM, ETRS89-LAEA,
//!   ETRS89-LCC, Irish Transverse Mercator, ...) need none: WGS84 and ETRS89
//!   agree to well under a metre in these islands, as for EPSG:4326.
//! - CRSs on **OSGB36** (Airy ellipsoid) are projected onto the National Grid
//!   itself and so take OSTN15, as EPSG:27700 does: no Helmert.
//! - CRSs on **TM65 and TM75** (the Irish Grids, modified Airy ellipsoid) use
//!   the 7-parameter Helmert of EPSG:1954 (TM75 to WGS 84 (2)) and EPSG:1641
//!   (TM65 to WGS 84 (2)), whose stated accuracy is 1 m.
//! - Any other datum is refused with a message, rather than converted with an
//!   error of tens or hundreds of metres.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use geo::Coord;
use proj4rs::Proj;

use super::CrsError;

/// The Helmert the Irish Grids use (EPSG:1954 / EPSG:1641; 1 m).
const IRISH_TOWGS84: &str = "+towgs84=482.5,-130.6,564.6,-1.042,-0.214,-0.631,8.15";
/// The National Grid's projection on OSGB36 (EPSG:27700).
const NATIONAL_GRID: &str = "+proj=tmerc +lat_0=49 +lon_0=-2 +k=0.9996012717 +x_0=400000 +y_0=-100000 +ellps=airy +units=m +no_defs";
/// Longitude/latitude on WGS84.
const WGS84: &str = "+proj=longlat +datum=WGS84 +no_defs";
/// Most EPSG codes kept ready at once.
const MAX_CACHED: usize = 64;

/// How a code reaches the grid.
#[derive(Clone)]
enum Route {
    /// To WGS84 longitude/latitude (then OSTN15).
    ViaWgs84 {
        from: Arc<Proj>,
        to: Arc<Proj>,
        degrees: bool,
    },
    /// Straight onto the National Grid (same datum, OSGB36).
    OnOsgb36 {
        from: Arc<Proj>,
        to: Arc<Proj>,
        degrees: bool,
    },
}

fn cache() -> &'static Mutex<HashMap<u32, Result<Route, String>>> {
    static CACHE: OnceLock<Mutex<HashMap<u32, Result<Route, String>>>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

fn proj(text: &str) -> Result<Arc<Proj>, String> {
    Proj::from_proj_string(text)
        .map(Arc::new)
        .map_err(|e| format!("{e:?}"))
}

/// The definition of a code, as `crs-definitions` has it.
pub fn definition(code: u32) -> Option<&'static str> {
    let code = u16::try_from(code).ok()?;
    crs_definitions::from_code(code).map(|d| d.proj4)
}

fn has(def: &str, key: &str) -> bool {
    def.split_whitespace()
        .any(|t| t == key || t.starts_with(&format!("{key}=")))
}

fn param<'a>(def: &'a str, key: &str) -> Option<&'a str> {
    def.split_whitespace()
        .find_map(|t| t.strip_prefix(key).and_then(|r| r.strip_prefix('=')))
}

fn route(code: u32) -> Result<Route, String> {
    let def = definition(code)
        .ok_or_else(|| format!("EPSG:{code} is not in the built-in EPSG definitions"))?;
    let projection = param(def, "+proj").unwrap_or("");
    if matches!(projection, "geocent" | "") {
        return Err(format!("EPSG:{code} is not a 2D coordinate system ({def})"));
    }
    if has(def, "+nadgrids") || has(def, "+geoidgrids") {
        return Err(format!(
            "EPSG:{code} needs a grid shift file, which this build does not have"
        ));
    }
    let degrees = projection == "longlat";
    let ellps = param(def, "+ellps");
    let datum = param(def, "+datum");
    let a = param(def, "+a");
    if has(def, "+towgs84")
        || matches!(datum, Some("WGS84"))
        || matches!(ellps, Some("GRS80" | "WGS84"))
    {
        return Ok(Route::ViaWgs84 {
            from: proj(def)?,
            to: proj(WGS84)?,
            degrees,
        });
    }
    if matches!(ellps, Some("airy")) || matches!(datum, Some("OSGB36")) {
        let def = def.replace("+datum=OSGB36", "+ellps=airy");
        return Ok(Route::OnOsgb36 {
            from: proj(&def)?,
            to: proj(NATIONAL_GRID)?,
            degrees,
        });
    }
    if a == Some("6377340.189") || matches!(ellps, Some("mod_airy")) {
        let with_shift = format!("{def} {IRISH_TOWGS84}");
        return Ok(Route::ViaWgs84 {
            from: proj(&with_shift)?,
            to: proj(WGS84)?,
            degrees,
        });
    }
    Err(format!(
        "EPSG:{code} is on a datum this build has no transformation for ({def}); convert the file to EPSG:27700 or EPSG:4326 first"
    ))
}

fn ready(code: u32) -> Result<Route, String> {
    let Ok(mut c) = cache().lock() else {
        return route(code);
    };
    if let Some(r) = c.get(&code) {
        return r.clone();
    }
    let r = route(code);
    if c.len() >= MAX_CACHED {
        c.clear();
    }
    c.insert(code, r.clone());
    r
}

/// Whether a code can be converted (its definition is known and its datum handled).
pub fn check(code: u32) -> Result<(), String> {
    ready(code).map(|_| ())
}

fn fail(code: u32, x: f64, y: f64, message: impl Into<String>) -> CrsError {
    CrsError::Proj {
        code,
        x,
        y,
        message: message.into(),
    }
}

/// Converts (x, y) in EPSG:`code` to WGS84 longitude/latitude, degrees
/// (`None`: the code goes straight to the grid; see [`to_bng`]).
pub fn to_wgs84(code: u32, x: f64, y: f64) -> Result<Option<Coord>, CrsError> {
    match ready(code).map_err(|m| fail(code, x, y, m))? {
        Route::ViaWgs84 { from, to, degrees } => {
            let (px, py) = if degrees {
                (x.to_radians(), y.to_radians())
            } else {
                (x, y)
            };
            let (lon, lat) = proj4rs::adaptors::transform_xy(&from, &to, px, py)
                .map_err(|e| fail(code, x, y, format!("{e:?}")))?;
            let (lon, lat) = (lon.to_degrees(), lat.to_degrees());
            if !(lon.is_finite() && lat.is_finite()) {
                return Err(fail(
                    code,
                    x,
                    y,
                    "the point has no position on the earth in this CRS",
                ));
            }
            Ok(Some(Coord { x: lon, y: lat }))
        }
        Route::OnOsgb36 { .. } => Ok(None),
    }
}

/// Converts (x, y) in EPSG:`code` to British National Grid metres.
pub fn to_bng(code: u32, x: f64, y: f64) -> Result<Coord, CrsError> {
    let route = ready(code).map_err(|m| fail(code, x, y, m))?;
    let name = "the declared EPSG code";
    match route {
        Route::ViaWgs84 { .. } => {
            let ll = to_wgs84(code, x, y)?.ok_or_else(|| fail(code, x, y, "no route"))?;
            super::wgs84_to_bng(ll.x, ll.y).map_err(|_| super::outside_grid(x, y, name, false))
        }
        Route::OnOsgb36 { from, to, degrees } => {
            let (px, py) = if degrees {
                (x.to_radians(), y.to_radians())
            } else {
                (x, y)
            };
            let (e, n) = proj4rs::adaptors::transform_xy(&from, &to, px, py)
                .map_err(|e| fail(code, x, y, format!("{e:?}")))?;
            super::check_bng(e, n)?;
            Ok(Coord { x: e, y: n })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datums_are_routed_or_refused() {
        assert!(check(32630).is_ok(), "UTM 30N on WGS84");
        assert!(check(2157).is_ok(), "ITM on ETRS89 (GRS80)");
        assert!(check(3035).is_ok(), "ETRS89-LAEA");
        assert!(check(29903).is_ok(), "Irish Grid on TM75, with its Helmert");
        assert!(
            matches!(ready(4277), Ok(Route::OnOsgb36 { .. })),
            "OSGB36 longitude/latitude"
        );
        let ed50 = check(23030).unwrap_err();
        assert!(ed50.contains("no transformation"), "{ed50}");
        assert!(check(4978).is_err(), "geocentric");
        assert!(check(999_999).unwrap_err().contains("not in the built-in"));
    }

    #[test]
    fn osgb36_degrees_are_projected_onto_the_grid_without_a_datum_shift() {
        // pyproj (PROJ 9) EPSG:4277 -> EPSG:27700 of (-0.0015, 51.4778).
        let bng = to_bng(4277, -0.0015, 51.4778).unwrap();
        assert!(
            (bng.x - 538_769.139_793).abs() < 1e-3 && (bng.y - 177_374.592_262).abs() < 1e-3,
            "{bng:?}"
        );
    }
}

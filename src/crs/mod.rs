//! Coordinate reference systems: the one place that converts coordinates.
//!
//! Everything assetmap measures is measured in British National Grid metres
//! (EPSG:27700). Longitude/latitude (EPSG:4326, taken as ETRS89, which WGS84
//! matches to well under a metre in Great Britain) is converted to the grid
//! with the Ordnance Survey's OSTN15 transformation: a Transverse Mercator
//! projection on the GRS80 ellipsoid followed by the OSTN15 grid shifts,
//! bilinearly interpolated from the 1 km shift grid. The inverse iterates the
//! shift until it is stable to 0.1 mm and then inverts the projection; a
//! round trip agrees to the millimetre. This is
//! the transformation the OS defines as *the* national grid, not the 7-parameter
//! Helmert approximation (which differs by a few metres).
//!
//! Web Mercator (EPSG:3857) is converted through longitude/latitude. Any other
//! EPSG code goes through [`epsg`]: its PROJ.4 definition, run in pure Rust,
//! on the datums that module lists.

pub mod epsg;

use geo::Coord;

/// Semi-major axis of GRS80, metres.
const GRS80_A: f64 = 6_378_137.0;
/// Semi-minor axis of GRS80, metres.
const GRS80_B: f64 = 6_356_752.314_140;
/// National Grid scale factor on the central meridian.
const NG_F0: f64 = 0.999_601_271_7;
/// National Grid true origin latitude (49°N), radians.
const NG_LAT0: f64 = 49.0 * std::f64::consts::PI / 180.0;
/// National Grid true origin longitude (2°W), radians.
const NG_LON0: f64 = -2.0 * std::f64::consts::PI / 180.0;
/// National Grid false easting, metres.
const NG_E0: f64 = 400_000.0;
/// National Grid false northing, metres.
const NG_N0: f64 = -100_000.0;
/// Extent of the OSTN15 shift grid, metres (701 x 1251 nodes, 1 km apart).
const OSTN15_MAX_E: f64 = 700_000.0;
const OSTN15_MAX_N: f64 = 1_250_000.0;
/// Web Mercator sphere radius, metres.
const WEB_MERCATOR_R: f64 = 6_378_137.0;
/// Latitude limit of Web Mercator, degrees.
pub const WEB_MERCATOR_MAX_LAT: f64 = 85.051_128_779_806_6;

/// A coordinate reference system assetmap can read and write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Crs {
    /// Longitude/latitude in degrees, x = longitude (EPSG:4326 / OGC CRS84).
    Wgs84,
    /// British National Grid, OSGB36 / EPSG:27700, metres.
    Bng,
    /// Web Mercator, EPSG:3857, metres.
    WebMercator,
    /// Any other EPSG code, converted by [`epsg`].
    Epsg(u32),
}

/// Why a coordinate or CRS name could not be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CrsError {
    /// The CRS name was not understood or is not supported.
    #[error("unsupported CRS {name:?}: {reason}")]
    Unsupported {
        /// The name as given.
        name: String,
        /// Why, and what is supported.
        reason: String,
    },
    /// A coordinate is not a finite number.
    #[error("coordinate is not a finite number ({x}, {y})")]
    NotFinite {
        /// x as read
        x: f64,
        /// y as read
        y: f64,
    },
    /// A coordinate lies outside the valid range of its declared CRS.
    #[error("({x}, {y}) is out of range for {crs}: {reason}{}", suggestion.as_ref().map(|s| format!("; {s}")).unwrap_or_default())]
    OutOfRange {
        /// x as read
        x: f64,
        /// y as read
        y: f64,
        /// the declared CRS
        crs: &'static str,
        /// what is wrong
        reason: String,
        /// the likely fix, when one can be guessed
        suggestion: Option<String>,
    },
    /// The conversion of another EPSG code failed.
    #[error("could not convert ({x}, {y}) from EPSG:{code}: {message}")]
    Proj {
        /// EPSG code
        code: u32,
        /// x
        x: f64,
        /// y
        y: f64,
        /// what went wrong
        message: String,
    },
}

fn unsupported(name: &str, reason: &str) -> CrsError {
    CrsError::Unsupported {
        name: name.to_string(),
        reason: reason.to_string(),
    }
}

/// What the message for an unknown CRS says is supported.
const SUPPORTED: &str = "use an EPSG code such as EPSG:4326, EPSG:27700 or EPSG:3857 (any EPSG code on ETRS89/WGS84, OSGB36 or the Irish Grids' TM65/TM75 works)";

impl Crs {
    /// Parses the usual spellings: `EPSG:27700`, `27700`, `urn:ogc:def:crs:EPSG::27700`,
    /// `http://www.opengis.net/def/crs/EPSG/0/27700`, `CRS84`, `OGC:CRS84`,
    /// `urn:ogc:def:crs:OGC:1.3:CRS84`.
    pub fn parse(name: &str) -> Result<Crs, CrsError> {
        let trimmed = name.trim();
        let upper = trimmed.to_ascii_uppercase();
        if upper.ends_with("CRS84") {
            return Ok(Crs::Wgs84);
        }
        let code = upper
            .rsplit([':', '/'])
            .next()
            .and_then(|tail| tail.parse::<u32>().ok())
            .filter(|_| {
                upper.chars().all(|c| c.is_ascii_digit())
                    || upper.starts_with("EPSG:")
                    || upper.contains("EPSG")
            });
        match code {
            Some(4326) => Ok(Crs::Wgs84),
            Some(27700) => Ok(Crs::Bng),
            Some(3857) | Some(900913) => Ok(Crs::WebMercator),
            Some(other) => epsg::check(other)
                .map(|()| Crs::Epsg(other))
                .map_err(|why| unsupported(trimmed, &why)),
            None => Err(unsupported(trimmed, SUPPORTED)),
        }
    }

    /// The EPSG code.
    pub fn epsg(self) -> u32 {
        match self {
            Crs::Wgs84 => 4326,
            Crs::Bng => 27700,
            Crs::WebMercator => 3857,
            Crs::Epsg(code) => code,
        }
    }

    /// `EPSG:nnnn`, for messages and reports.
    pub fn name(self) -> &'static str {
        match self {
            Crs::Wgs84 => "EPSG:4326",
            Crs::Bng => "EPSG:27700",
            Crs::WebMercator => "EPSG:3857",
            Crs::Epsg(_) => "the declared EPSG code",
        }
    }

    /// Converts (x, y) in this CRS to British National Grid metres, checking
    /// that it is in range for the CRS and inside the grid's coverage.
    pub fn to_bng(self, x: f64, y: f64) -> Result<Coord, CrsError> {
        if !x.is_finite() || !y.is_finite() {
            return Err(CrsError::NotFinite { x, y });
        }
        match self {
            Crs::Wgs84 => {
                check_lon_lat(x, y)?;
                wgs84_to_bng(x, y).map_err(|_| outside_grid(x, y, "EPSG:4326", true))
            }
            Crs::Bng => {
                check_bng(x, y)?;
                Ok(Coord { x, y })
            }
            Crs::WebMercator => {
                check_web_mercator(x, y)?;
                let ll = web_mercator_to_wgs84(Coord { x, y });
                wgs84_to_bng(ll.x, ll.y).map_err(|_| outside_grid(x, y, "EPSG:3857", false))
            }
            Crs::Epsg(code) => epsg::to_bng(code, x, y),
        }
    }
}

fn check_lon_lat(lon: f64, lat: f64) -> Result<(), CrsError> {
    if (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat) {
        return Ok(());
    }
    let reason = if !(-90.0..=90.0).contains(&lat) {
        format!("latitude {lat} is outside -90..90")
    } else {
        format!("longitude {lon} is outside -180..180")
    };
    Err(CrsError::OutOfRange {
        x: lon,
        y: lat,
        crs: "EPSG:4326",
        reason,
        suggestion: guess_projected(lon, lat),
    })
}

/// Guesses which projected CRS numbers came from when they were declared as degrees.
fn guess_projected(x: f64, y: f64) -> Option<String> {
    if (0.0..=OSTN15_MAX_E).contains(&x) && (0.0..=OSTN15_MAX_N).contains(&y) {
        Some("these look like British National Grid metres: declare crs = \"EPSG:27700\"".into())
    } else if (-1_500_000.0..=500_000.0).contains(&x) && (6_000_000.0..=9_000_000.0).contains(&y) {
        Some("these look like Web Mercator metres: declare crs = \"EPSG:3857\"".into())
    } else {
        None
    }
}

fn check_bng(e: f64, n: f64) -> Result<(), CrsError> {
    if (0.0..=OSTN15_MAX_E).contains(&e) && (0.0..=OSTN15_MAX_N).contains(&n) {
        return Ok(());
    }
    let suggestion = if (-180.0..=180.0).contains(&e) && (-90.0..=90.0).contains(&n) {
        Some("these look like longitude/latitude degrees: declare crs = \"EPSG:4326\"".to_string())
    } else if (-1_500_000.0..=500_000.0).contains(&e) && (6_000_000.0..=9_000_000.0).contains(&n) {
        Some("these look like Web Mercator metres: declare crs = \"EPSG:3857\"".to_string())
    } else {
        None
    };
    Err(CrsError::OutOfRange {
        x: e,
        y: n,
        crs: "EPSG:27700",
        reason: "easting must be 0..700000 and northing 0..1250000".into(),
        suggestion,
    })
}

fn check_web_mercator(x: f64, y: f64) -> Result<(), CrsError> {
    const LIMIT: f64 = 20_037_508.342_789_244;
    if x.abs() <= LIMIT && y.abs() <= LIMIT {
        return Ok(());
    }
    Err(CrsError::OutOfRange {
        x,
        y,
        crs: "EPSG:3857",
        reason: format!("both values must be within ±{LIMIT}"),
        suggestion: None,
    })
}

fn outside_grid(x: f64, y: f64, crs: &'static str, degrees: bool) -> CrsError {
    let swapped_fits = degrees && wgs84_to_bng(y, x).is_ok();
    CrsError::OutOfRange {
        x,
        y,
        crs,
        reason: "the point is outside the area the British National Grid (OSTN15) covers".into(),
        suggestion: swapped_fits.then(|| {
            "longitude and latitude look swapped: check which column is which".to_string()
        }),
    }
}

/// The point is outside the OSTN15 grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutsideGrid;

/// Longitude/latitude (ETRS89 ≈ WGS84, degrees) to British National Grid metres, per OSTN15.
pub fn wgs84_to_bng(lon: f64, lat: f64) -> Result<Coord, OutsideGrid> {
    if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
        return Err(OutsideGrid);
    }
    let etrs = project_grs80(lon.to_radians(), lat.to_radians());
    let (se, sn) = ostn15_shift(etrs.x, etrs.y).ok_or(OutsideGrid)?;
    Ok(Coord {
        x: etrs.x + se,
        y: etrs.y + sn,
    })
}

/// British National Grid metres to longitude/latitude (ETRS89 ≈ WGS84, degrees), per OSTN15.
pub fn bng_to_wgs84(e: f64, n: f64) -> Result<Coord, OutsideGrid> {
    let (mut se, mut sn) = ostn15_shift(e, n).ok_or(OutsideGrid)?;
    let mut etrs = Coord {
        x: e - se,
        y: n - sn,
    };
    for _ in 0..20 {
        (se, sn) = ostn15_shift(etrs.x, etrs.y).ok_or(OutsideGrid)?;
        let next = Coord {
            x: e - se,
            y: n - sn,
        };
        let moved = (next.x - etrs.x).abs().max((next.y - etrs.y).abs());
        etrs = next;
        if moved < 1e-4 {
            break;
        }
    }
    let (lon, lat) = unproject_grs80(etrs.x, etrs.y);
    Ok(Coord {
        x: lon.to_degrees(),
        y: lat.to_degrees(),
    })
}

/// Longitude/latitude (degrees) to Web Mercator metres; latitude is clamped to the
/// projection's limit.
pub fn wgs84_to_web_mercator(ll: Coord) -> Coord {
    let lat = ll.y.clamp(-WEB_MERCATOR_MAX_LAT, WEB_MERCATOR_MAX_LAT);
    Coord {
        x: WEB_MERCATOR_R * ll.x.to_radians(),
        y: WEB_MERCATOR_R
            * (std::f64::consts::FRAC_PI_4 + lat.to_radians() / 2.0)
                .tan()
                .ln(),
    }
}

/// Web Mercator metres to longitude/latitude (degrees).
pub fn web_mercator_to_wgs84(m: Coord) -> Coord {
    Coord {
        x: (m.x / WEB_MERCATOR_R).to_degrees(),
        y: (2.0 * (m.y / WEB_MERCATOR_R).exp().atan() - std::f64::consts::FRAC_PI_2).to_degrees(),
    }
}

fn grs80_consts() -> (f64, f64) {
    let n = (GRS80_A - GRS80_B) / (GRS80_A + GRS80_B);
    let e2 = (GRS80_A * GRS80_A - GRS80_B * GRS80_B) / (GRS80_A * GRS80_A);
    (n, e2)
}

/// Meridional arc from the true origin to latitude `lat` (radians), scaled by F0.
fn meridional_arc(lat: f64, n: f64) -> f64 {
    let n2 = n * n;
    let n3 = n2 * n;
    let d = lat - NG_LAT0;
    let s = lat + NG_LAT0;
    GRS80_B
        * NG_F0
        * ((1.0 + n + 1.25 * n2 + 1.25 * n3) * d
            - (3.0 * n + 3.0 * n2 + 21.0 / 8.0 * n3) * d.sin() * s.cos()
            + (15.0 / 8.0 * n2 + 15.0 / 8.0 * n3) * (2.0 * d).sin() * (2.0 * s).cos()
            - 35.0 / 24.0 * n3 * (3.0 * d).sin() * (3.0 * s).cos())
}

/// Transverse Mercator on GRS80 with the National Grid's origin and scale
/// (ETRS89 grid coordinates, before the OSTN15 shift). Radians in, metres out.
fn project_grs80(lon: f64, lat: f64) -> Coord {
    let (n, e2) = grs80_consts();
    let (sin, cos) = lat.sin_cos();
    let tan2 = (sin / cos).powi(2);
    let nu = GRS80_A * NG_F0 / (1.0 - e2 * sin * sin).sqrt();
    let rho = GRS80_A * NG_F0 * (1.0 - e2) / (1.0 - e2 * sin * sin).powf(1.5);
    let eta2 = nu / rho - 1.0;
    let m = meridional_arc(lat, n);
    let i = m + NG_N0;
    let ii = nu / 2.0 * sin * cos;
    let iii = nu / 24.0 * sin * cos.powi(3) * (5.0 - tan2 + 9.0 * eta2);
    let iiia = nu / 720.0 * sin * cos.powi(5) * (61.0 - 58.0 * tan2 + tan2 * tan2);
    let iv = nu * cos;
    let v = nu / 6.0 * cos.powi(3) * (nu / rho - tan2);
    let vi = nu / 120.0
        * cos.powi(5)
        * (5.0 - 18.0 * tan2 + tan2 * tan2 + 14.0 * eta2 - 58.0 * tan2 * eta2);
    let dl = lon - NG_LON0;
    Coord {
        x: NG_E0 + iv * dl + v * dl.powi(3) + vi * dl.powi(5),
        y: i + ii * dl.powi(2) + iii * dl.powi(4) + iiia * dl.powi(6),
    }
}

/// Inverse of [`project_grs80`]: metres in, (lon, lat) radians out.
fn unproject_grs80(e: f64, north: f64) -> (f64, f64) {
    let (n, e2) = grs80_consts();
    let mut lat = (north - NG_N0) / (GRS80_A * NG_F0) + NG_LAT0;
    for _ in 0..50 {
        let residual = north - NG_N0 - meridional_arc(lat, n);
        if residual.abs() < 1e-5 {
            break;
        }
        lat += residual / (GRS80_A * NG_F0);
    }
    let (sin, cos) = lat.sin_cos();
    let tan = sin / cos;
    let tan2 = tan * tan;
    let tan4 = tan2 * tan2;
    let sec = 1.0 / cos;
    let nu = GRS80_A * NG_F0 / (1.0 - e2 * sin * sin).sqrt();
    let rho = GRS80_A * NG_F0 * (1.0 - e2) / (1.0 - e2 * sin * sin).powf(1.5);
    let eta2 = nu / rho - 1.0;
    let vii = tan / (2.0 * rho * nu);
    let viii = tan / (24.0 * rho * nu.powi(3)) * (5.0 + 3.0 * tan2 + eta2 - 9.0 * tan2 * eta2);
    let ix = tan / (720.0 * rho * nu.powi(5)) * (61.0 + 90.0 * tan2 + 45.0 * tan4);
    let x = sec / nu;
    let xi = sec / (6.0 * nu.powi(3)) * (nu / rho + 2.0 * tan2);
    let xii = sec / (120.0 * nu.powi(5)) * (5.0 + 28.0 * tan2 + 24.0 * tan4);
    let xiia =
        sec / (5040.0 * nu.powi(7)) * (61.0 + 662.0 * tan2 + 1320.0 * tan4 + 720.0 * tan4 * tan2);
    let de = e - NG_E0;
    let lat_out = lat - vii * de.powi(2) + viii * de.powi(4) - ix * de.powi(6);
    let lon_out = NG_LON0 + x * de - xi * de.powi(3) + xii * de.powi(5) - xiia * de.powi(7);
    (lon_out, lat_out)
}

/// OSTN15 easting/northing shift at an ETRS89 grid position, bilinearly
/// interpolated between the four surrounding 1 km nodes.
fn ostn15_shift(e: f64, n: f64) -> Option<(f64, f64)> {
    if !(0.0..OSTN15_MAX_E).contains(&e) || !(0.0..OSTN15_MAX_N).contains(&n) {
        return None;
    }
    let east_index = (e / 1000.0).floor();
    let north_index = (n / 1000.0).floor();
    let t = (e - east_index * 1000.0) / 1000.0;
    let u = (n - north_index * 1000.0) / 1000.0;
    // Both indexes are proven in range by the check above.
    let (ei, ni) = (east_index as i32, north_index as i32);
    let node = |de: i32, dn: i32| -> Option<(f64, f64)> {
        let record = (ei + de) + (ni + dn) * 701 + 1;
        let (se, sn, _height) = ostn15_phf::ostn15_lookup(&record)?;
        (se.is_finite() && sn.is_finite()).then_some((se, sn))
    };
    let s0 = node(0, 0)?;
    let s1 = node(1, 0)?;
    let s2 = node(1, 1)?;
    let s3 = node(0, 1)?;
    let w0 = (1.0 - t) * (1.0 - u);
    let w1 = t * (1.0 - u);
    let w2 = t * u;
    let w3 = (1.0 - t) * u;
    Some((
        w0 * s0.0 + w1 * s1.0 + w2 * s2.0 + w3 * s3.0,
        w0 * s0.1 + w1 * s1.1 + w2 * s2.1 + w3 * s3.1,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_usual_spellings() {
        for (text, crs) in [
            ("EPSG:4326", Crs::Wgs84),
            ("epsg:27700", Crs::Bng),
            ("27700", Crs::Bng),
            ("urn:ogc:def:crs:OGC:1.3:CRS84", Crs::Wgs84),
            ("urn:ogc:def:crs:EPSG::27700", Crs::Bng),
            (
                "http://www.opengis.net/def/crs/EPSG/0/3857",
                Crs::WebMercator,
            ),
            ("OGC:CRS84", Crs::Wgs84),
        ] {
            assert_eq!(Crs::parse(text), Ok(crs), "{text}");
        }
        assert!(Crs::parse("WGS 84 please").is_err());
        assert!(Crs::parse("").is_err());
    }

    #[test]
    fn the_projection_inverts_itself() {
        let lat: f64 = 52.0 + 39.0 / 60.0 + 27.2531 / 3600.0;
        let lon: f64 = 1.0 + 43.0 / 60.0 + 4.5177 / 3600.0;
        let p = project_grs80(lon.to_radians(), lat.to_radians());
        let (lon2, lat2) = unproject_grs80(p.x, p.y);
        let (dlon, dlat) = (
            (lon2.to_degrees() - lon).abs(),
            (lat2.to_degrees() - lat).abs(),
        );
        assert!(dlon < 1e-8 && dlat < 1e-8, "{dlon:e} {dlat:e}");
    }

    // Food banks from shared/data/derived, whose grid positions were computed
    // from their longitude/latitude with the `osgb` package's OSTN15
    // (`ll_to_grid`) and rounded to the millimetre.
    #[test]
    fn ostn15_matches_an_independent_implementation() {
        for (lon, lat, e, n) in [
            (-2.2006207, 53.4796617, 386_782.896, 398_121.231),
            (-2.2276445, 53.4865882, 384_991.851, 398_897.236),
            (-2.2023702, 53.4293681, 386_650.903, 392_526.192),
        ] {
            let bng = wgs84_to_bng(lon, lat).expect("inside grid");
            assert!(
                (bng.x - e).abs() < 0.0006 && (bng.y - n).abs() < 0.0006,
                "{bng:?}"
            );
            let back = bng_to_wgs84(e, n).expect("inside grid");
            assert!(
                (back.x - lon).abs() < 1e-7 && (back.y - lat).abs() < 1e-7,
                "{back:?}"
            );
        }
    }

    #[test]
    fn bng_round_trips_to_the_millimetre() {
        for (lon, lat) in [
            (-0.1276, 51.5072),
            (-2.2426, 53.4808),
            (-3.1883, 55.9533),
            (1.29, 52.63),
        ] {
            let bng = wgs84_to_bng(lon, lat).expect("inside grid");
            let back = bng_to_wgs84(bng.x, bng.y).expect("inside grid");
            let again = wgs84_to_bng(back.x, back.y).expect("inside grid");
            assert!(
                (again.x - bng.x).abs() < 1e-3 && (again.y - bng.y).abs() < 1e-3,
                "{bng:?} {again:?}"
            );
        }
    }

    #[test]
    fn web_mercator_round_trips() {
        let ll = Coord {
            x: -0.1276,
            y: 51.5072,
        };
        let m = wgs84_to_web_mercator(ll);
        assert!((m.x - -14_204.3).abs() < 1.0, "{m:?}");
        let back = web_mercator_to_wgs84(m);
        assert!((back.x - ll.x).abs() < 1e-9 && (back.y - ll.y).abs() < 1e-9);
    }

    #[test]
    fn latitude_100_is_out_of_range() {
        let err = Crs::Wgs84.to_bng(101.0, 100.0).unwrap_err();
        assert!(
            err.to_string().contains("latitude 100 is outside -90..90"),
            "{err}"
        );
    }

    #[test]
    fn grid_numbers_declared_as_degrees_suggest_the_grid() {
        let err = Crs::Wgs84.to_bng(529_090.0, 179_645.0).unwrap_err();
        assert!(err.to_string().contains("EPSG:27700"), "{err}");
    }

    #[test]
    fn degrees_declared_as_grid_suggest_degrees() {
        let err = Crs::Bng.to_bng(-0.1276, 51.5072).unwrap_err();
        assert!(err.to_string().contains("EPSG:4326"), "{err}");
    }

    #[test]
    fn other_epsg_codes_are_parsed_when_they_can_be_converted() {
        assert_eq!(Crs::parse("EPSG:32630"), Ok(Crs::Epsg(32630)));
        assert_eq!(
            Crs::parse("urn:ogc:def:crs:EPSG::2157"),
            Ok(Crs::Epsg(2157))
        );
        let err = Crs::parse("EPSG:23030").unwrap_err().to_string();
        assert!(
            err.contains("EPSG:23030") && err.contains("no transformation"),
            "{err}"
        );
        // London, in UTM 30N from its WGS84 position, comes back to the same grid point.
        // London in UTM 30N, from pyproj's forward transform of (-0.1276, 51.5072).
        let london = epsg::to_wgs84(32630, 699_330.983_944, 5_710_142.066_598)
            .unwrap()
            .unwrap();
        assert!(
            (london.x - -0.1276).abs() < 1e-8 && (london.y - 51.5072).abs() < 1e-8,
            "{london:?}"
        );
    }

    #[test]
    fn swapped_axes_are_pointed_out() {
        let err = Crs::Wgs84.to_bng(51.5072, -0.1276).unwrap_err();
        assert!(err.to_string().contains("swapped"), "{err}");
    }
}

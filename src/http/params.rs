//! Query-string parsing with every value checked and bounded: unknown,
//! repeated, over-long and non-UTF-8 parameters are refused with a message
//! that names the parameter and what is allowed. Parameter names live here.

use super::ApiError;

/// `lon`
pub const LON: &str = "lon";
/// `lat`
pub const LAT: &str = "lat";
/// `postcode`
pub const POSTCODE: &str = "postcode";
/// `category` (repeatable; also comma-separated)
pub const CATEGORY: &str = "category";
/// `limit`
pub const LIMIT: &str = "limit";
/// `offset`
pub const OFFSET: &str = "offset";
/// `radius_m`
pub const RADIUS_M: &str = "radius_m";
/// `bbox`
pub const BBOX: &str = "bbox";
/// `bbox-crs`
pub const BBOX_CRS: &str = "bbox-crs";
/// `crs`
pub const CRS: &str = "crs";
/// `properties`
pub const PROPERTIES: &str = "properties";
/// `f` (output format)
pub const F: &str = "f";
/// `format` (export format)
pub const FORMAT: &str = "format";
/// `ward`
pub const WARD: &str = "ward";
/// `council`
pub const COUNCIL: &str = "council";
/// `open` (`now` or `today`)
pub const OPEN: &str = "open";
/// `at` (a time: RFC 3339, or London wall time)
pub const AT: &str = "at";

/// Longest parameter name accepted.
pub const MAX_NAME_LEN: usize = 64;
/// Longest parameter value accepted.
pub const MAX_VALUE_LEN: usize = 1024;
/// Most parameters in one query string.
pub const MAX_PARAMS: usize = 64;

/// A checked query string.
#[derive(Debug, Default)]
pub struct Query {
    pairs: Vec<(String, String)>,
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// Decodes `application/x-www-form-urlencoded` text; `None` if the bytes are not UTF-8.
fn decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

impl Query {
    /// Parses and checks a raw query string. `allowed` lists the parameters
    /// this resource takes; those in `repeatable` may appear more than once.
    pub fn parse(
        raw: Option<&str>,
        allowed: &[&str],
        repeatable: &[&str],
    ) -> Result<Query, ApiError> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        for part in raw.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            let name =
                decode(k).ok_or_else(|| ApiError::bad("a parameter name is not valid UTF-8"))?;
            if name.len() > MAX_NAME_LEN {
                return Err(ApiError::bad(format!(
                    "a parameter name is longer than {MAX_NAME_LEN} bytes"
                )));
            }
            let value = decode(v)
                .ok_or_else(|| ApiError::bad(format!("parameter {name} is not valid UTF-8")))?;
            if value.len() > MAX_VALUE_LEN {
                return Err(ApiError::bad(format!(
                    "parameter {name} is longer than {MAX_VALUE_LEN} bytes"
                )));
            }
            if !allowed.contains(&name.as_str()) {
                let mut names = allowed.to_vec();
                names.sort_unstable();
                return Err(ApiError::bad(format!(
                    "unknown parameter {name:?}; this resource takes: {}",
                    names.join(", ")
                )));
            }
            if !repeatable.contains(&name.as_str()) && pairs.iter().any(|(n, _)| *n == name) {
                return Err(ApiError::bad(format!(
                    "parameter {name} is given more than once"
                )));
            }
            pairs.push((name, value));
            if pairs.len() > MAX_PARAMS {
                return Err(ApiError::bad(format!("more than {MAX_PARAMS} parameters")));
            }
        }
        Ok(Query { pairs })
    }

    /// The value of a single-valued parameter.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a repeatable parameter, comma-separated values split, empty ones dropped.
    pub fn list(&self, name: &str) -> Vec<String> {
        self.pairs
            .iter()
            .filter(|(n, _)| n == name)
            .flat_map(|(_, v)| v.split(','))
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    }

    /// Whether a parameter was given.
    pub fn has(&self, name: &str) -> bool {
        self.pairs.iter().any(|(n, _)| n == name)
    }

    /// Every (name, value) pair, in order.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    /// A finite number in `min..=max`.
    pub fn number(&self, name: &str, min: f64, max: f64) -> Result<Option<f64>, ApiError> {
        let Some(text) = self.get(name) else {
            return Ok(None);
        };
        parse_number(name, text, min, max).map(Some)
    }

    /// A whole number of at least `min`; larger than `max` is taken as
    /// `max` (OGC API - Features Part 1, requirement /req/core/fc-limit-response-1:
    /// a server caps a limit above its maximum rather than refusing it).
    pub fn integer_capped(
        &self,
        name: &str,
        min: usize,
        max: usize,
    ) -> Result<Option<usize>, ApiError> {
        let Some(text) = self.get(name) else {
            return Ok(None);
        };
        let digits = text.trim();
        if !digits.is_empty() && digits.len() <= 100 && digits.bytes().all(|b| b.is_ascii_digit()) {
            let v = digits.parse::<u64>().unwrap_or(u64::MAX);
            if v >= min as u64 {
                return Ok(Some(v.min(max as u64) as usize));
            }
        }
        Err(ApiError::bad(format!(
            "{name} must be a whole number of at least {min} (larger than {max} is taken as {max}; got {text:?})"
        )))
    }

    /// A whole number in `min..=max`.
    pub fn integer(&self, name: &str, min: usize, max: usize) -> Result<Option<usize>, ApiError> {
        let Some(text) = self.get(name) else {
            return Ok(None);
        };
        match text.trim().parse::<u64>() {
            Ok(v) if (min as u64..=max as u64).contains(&v) => Ok(Some(v as usize)),
            _ => Err(ApiError::bad(format!(
                "{name} must be a whole number from {min} to {max} (got {text:?})"
            ))),
        }
    }
}

/// A finite number in `min..=max`, named in the error.
pub fn parse_number(name: &str, text: &str, min: f64, max: f64) -> Result<f64, ApiError> {
    match text.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && (min..=max).contains(&v) => Ok(v),
        Ok(v) if v.is_finite() => Err(ApiError::bad(format!(
            "{name} must be between {min} and {max} (got {v})"
        ))),
        _ => Err(ApiError::bad(format!(
            "{name} must be a number between {min} and {max} (got {text:?})"
        ))),
    }
}

/// A request's media type, lowercased, without parameters (`None` when it sent none).
pub(crate) fn media_type(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_decoded_and_checked() {
        let q = Query::parse(
            Some("postcode=sw1a+1aa&category=gp%2Cpharmacy&category=library"),
            &["postcode", "category"],
            &["category"],
        )
        .expect("parses");
        assert_eq!(q.get("postcode"), Some("sw1a 1aa"));
        assert_eq!(q.list("category"), vec!["gp", "pharmacy", "library"]);
        assert!(
            Query::parse(Some("x=1"), &["lon"], &[])
                .unwrap_err()
                .to_string()
                .contains("unknown parameter \"x\"")
        );
        assert!(
            Query::parse(Some("lon=1&lon=2"), &["lon"], &[])
                .unwrap_err()
                .to_string()
                .contains("more than once")
        );
        assert!(
            Query::parse(Some("lon=%FF"), &["lon"], &[])
                .unwrap_err()
                .to_string()
                .contains("UTF-8")
        );
        let long = format!("lon={}", "1".repeat(2000));
        assert!(
            Query::parse(Some(&long), &["lon"], &[])
                .unwrap_err()
                .to_string()
                .contains("longer than")
        );
    }

    #[test]
    fn numbers_are_bounded() {
        let q = Query::parse(
            Some("lon=NaN&lat=inf&limit=0&r=5"),
            &["lon", "lat", "limit", "r"],
            &[],
        )
        .expect("parses");
        assert!(q.number("lon", -180.0, 180.0).is_err());
        assert!(q.number("lat", -90.0, 90.0).is_err());
        assert!(
            q.integer("limit", 1, 100)
                .unwrap_err()
                .to_string()
                .contains("from 1 to 100")
        );
        assert_eq!(q.number("r", 0.0, 10.0).expect("in range"), Some(5.0));
    }
}

//! CQL2 filters (OGC 21-065r2) for the feature collections: the text and
//! JSON encodings of Basic CQL2 (comparisons, `AND`/`OR`/`NOT`, `IS NULL`),
//! the advanced comparison operators `LIKE`, `IN` and `BETWEEN`, and
//! `S_INTERSECTS` with a point, box or polygon in the filter's CRS.
//!
//! A filter is parsed against a collection's schema, so an unknown property
//! or a literal of the wrong type is refused with its position before any
//! feature is read. Expressions are bounded in length and depth.

use geo::{Coord, Intersects, LineString, MultiPolygon, Point, Polygon, Rect};
use serde_json::Value;

use crate::features::{Field, FieldType, Geometry};

/// Longest filter accepted, characters.
pub const MAX_FILTER_CHARS: usize = 8192;
/// Deepest nesting accepted.
pub const MAX_DEPTH: usize = 32;
/// Most values in one `IN` list, and most vertices in one polygon.
pub const MAX_LIST: usize = 10_000;

/// Why a filter was refused, and where.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct FilterError {
    /// What is wrong, with the character position for the text encoding.
    pub message: String,
}

fn error<T>(at: usize, message: impl Into<String>) -> Result<T, FilterError> {
    Err(FilterError {
        message: format!("filter: at character {}: {}", at + 1, message.into()),
    })
}

/// Which coordinates the filter's geometries are in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterCrs {
    /// Longitude/latitude (OGC:CRS84, the default).
    LonLat,
    /// British National Grid metres (EPSG:27700).
    Bng,
}

/// A literal value.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// Text.
    Text(String),
    /// A number.
    Number(f64),
    /// True or false.
    Bool(bool),
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `=`
    Eq,
    /// `<>`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

/// A geometry literal.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// A point.
    Point(Coord),
    /// A box.
    Rect(Rect),
    /// A polygon (or several).
    Polygon(MultiPolygon),
}

/// A parsed filter; property references are schema positions.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// All must hold.
    And(Vec<Expr>),
    /// Any must hold.
    Or(Vec<Expr>),
    /// Must not hold.
    Not(Box<Expr>),
    /// A property compared with a literal.
    Compare(usize, Op, Literal),
    /// A text property matching a pattern (`%` any run, `_` one character).
    Like(usize, String),
    /// A property equal to one of the literals.
    In(usize, Vec<Literal>),
    /// A property between two literals, inclusive.
    Between(usize, Literal, Literal),
    /// A property with no value.
    IsNull(usize),
    /// The feature's geometry meets the shape.
    Intersects(Shape, FilterCrs),
    /// A constant.
    Const(bool),
}

/// Parses a filter in the text encoding.
pub fn parse_text(text: &str, schema: &[Field], crs: FilterCrs) -> Result<Expr, FilterError> {
    if text.chars().count() > MAX_FILTER_CHARS {
        return error(0, format!("longer than {MAX_FILTER_CHARS} characters"));
    }
    let tokens = tokenize(text)?;
    let mut p = Parser {
        tokens,
        at: 0,
        schema,
        crs,
        depth: 0,
        end: text.len(),
    };
    let expr = p.or()?;
    if let Some(t) = p.tokens.get(p.at) {
        return error(
            t.at,
            format!(
                "unexpected {} after a complete expression",
                t.kind.describe()
            ),
        );
    }
    Ok(expr)
}

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Word(String),
    Quoted(String),
    Text(String),
    Number(f64),
    Symbol(&'static str),
}

impl Kind {
    fn describe(&self) -> String {
        match self {
            Kind::Word(w) | Kind::Quoted(w) => format!("{w:?}"),
            Kind::Text(t) => format!("'{t}'"),
            Kind::Number(n) => n.to_string(),
            Kind::Symbol(s) => format!("{s:?}"),
        }
    }
}

#[derive(Debug, Clone)]
struct Token {
    kind: Kind,
    at: usize,
}

fn tokenize(text: &str) -> Result<Vec<Token>, FilterError> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let (at, c) = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let next = chars.get(i + 1).map(|&(_, d)| d);
        let pair = match (c, next) {
            ('<', Some('>')) => Some("<>"),
            ('<', Some('=')) => Some("<="),
            ('>', Some('=')) => Some(">="),
            _ => None,
        };
        if let Some(s) = pair {
            out.push(Token {
                kind: Kind::Symbol(s),
                at,
            });
            i += 2;
            continue;
        }
        if let Some(s) = ["=", "<", ">", "(", ")", ","]
            .into_iter()
            .find(|s| s.starts_with(c))
        {
            out.push(Token {
                kind: Kind::Symbol(s),
                at,
            });
            i += 1;
            continue;
        }
        if c == '\'' || c == '"' {
            let mut s = String::new();
            let mut j = i + 1;
            loop {
                match chars.get(j) {
                    None => return error(at, format!("the {c} opened here is not closed")),
                    Some(&(_, d)) if d == c => {
                        if chars.get(j + 1).is_some_and(|&(_, e)| e == c) {
                            s.push(c);
                            j += 2;
                        } else {
                            j += 1;
                            break;
                        }
                    }
                    Some(&(_, d)) => {
                        s.push(d);
                        j += 1;
                    }
                }
            }
            out.push(Token {
                kind: if c == '\'' {
                    Kind::Text(s)
                } else {
                    Kind::Quoted(s)
                },
                at,
            });
            i = j;
            continue;
        }
        if c.is_ascii_digit()
            || ((c == '-' || c == '+' || c == '.')
                && chars
                    .get(i + 1)
                    .is_some_and(|&(_, d)| d.is_ascii_digit() || d == '.'))
        {
            let mut j = i + 1;
            while chars.get(j).is_some_and(|&(_, d)| {
                d.is_ascii_digit()
                    || d == '.'
                    || d == 'e'
                    || d == 'E'
                    || ((d == '-' || d == '+') && matches!(chars[j - 1].1, 'e' | 'E'))
            }) {
                j += 1;
            }
            let s: String = chars[i..j].iter().map(|(_, c)| c).collect();
            match s.parse::<f64>() {
                Ok(n) if n.is_finite() => out.push(Token {
                    kind: Kind::Number(n),
                    at,
                }),
                _ => return error(at, format!("{s:?} is not a number")),
            }
            i = j;
            continue;
        }
        if c.is_alphabetic() || c == '_' {
            let mut j = i + 1;
            while chars
                .get(j)
                .is_some_and(|&(_, d)| d.is_alphanumeric() || d == '_' || d == '.' || d == ':')
            {
                j += 1;
            }
            out.push(Token {
                kind: Kind::Word(chars[i..j].iter().map(|(_, c)| c).collect()),
                at,
            });
            i = j;
            continue;
        }
        return error(at, format!("unexpected character {c:?}"));
    }
    Ok(out)
}

struct Parser<'a> {
    tokens: Vec<Token>,
    at: usize,
    schema: &'a [Field],
    crs: FilterCrs,
    depth: usize,
    end: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn position(&self) -> usize {
        self.peek().map_or(self.end, |t| t.at)
    }

    fn keyword(&mut self, word: &str) -> bool {
        match self.peek() {
            Some(Token {
                kind: Kind::Word(w),
                ..
            }) if w.eq_ignore_ascii_case(word) => {
                self.at += 1;
                true
            }
            _ => false,
        }
    }

    fn symbol(&mut self, s: &str) -> bool {
        match self.peek() {
            Some(Token {
                kind: Kind::Symbol(t),
                ..
            }) if *t == s => {
                self.at += 1;
                true
            }
            _ => false,
        }
    }

    fn expect(&mut self, s: &str) -> Result<(), FilterError> {
        if self.symbol(s) {
            return Ok(());
        }
        let found = self
            .peek()
            .map_or("the end".to_string(), |t| t.kind.describe());
        error(self.position(), format!("expected \"{s}\", found {found}"))
    }

    fn deeper(&mut self) -> Result<(), FilterError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return error(
                self.position(),
                format!("nested more than {MAX_DEPTH} deep"),
            );
        }
        Ok(())
    }

    fn or(&mut self) -> Result<Expr, FilterError> {
        self.deeper()?;
        let mut parts = vec![self.and()?];
        while self.keyword("OR") {
            parts.push(self.and()?);
        }
        self.depth -= 1;
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::Or(parts)
        })
    }

    fn and(&mut self) -> Result<Expr, FilterError> {
        let mut parts = vec![self.not()?];
        while self.keyword("AND") {
            parts.push(self.not()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::And(parts)
        })
    }

    fn not(&mut self) -> Result<Expr, FilterError> {
        if self.keyword("NOT") {
            self.deeper()?;
            let inner = self.not()?;
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(inner)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, FilterError> {
        let at = self.position();
        if self.symbol("(") {
            let inner = self.or()?;
            self.expect(")")?;
            return Ok(inner);
        }
        if self.keyword("TRUE") {
            return Ok(Expr::Const(true));
        }
        if self.keyword("FALSE") {
            return Ok(Expr::Const(false));
        }
        if self.keyword("S_INTERSECTS") {
            self.expect("(")?;
            let shape = if self.is_geometry_property() {
                self.at += 1;
                self.expect(",")?;
                self.shape()?
            } else {
                let shape = self.shape()?;
                self.expect(",")?;
                if !self.is_geometry_property() {
                    return error(
                        self.position(),
                        "S_INTERSECTS compares the feature's geometry (name it geometry) with a shape",
                    );
                }
                self.at += 1;
                shape
            };
            self.expect(")")?;
            return Ok(Expr::Intersects(shape, self.crs));
        }
        let property = self.property()?;
        let kind = self.schema[property].kind;
        let negated = self.keyword("NOT");
        let expr = if self.keyword("LIKE") {
            if kind != FieldType::Text {
                return error(
                    at,
                    format!(
                        "LIKE needs a text property; {} is a number",
                        self.schema[property].name
                    ),
                );
            }
            match self.literal(kind)? {
                Literal::Text(pattern) => Expr::Like(property, pattern),
                _ => return error(at, "LIKE needs a text pattern in single quotes"),
            }
        } else if self.keyword("IN") {
            self.expect("(")?;
            let mut values = vec![self.literal(kind)?];
            while self.symbol(",") {
                if values.len() >= MAX_LIST {
                    return error(
                        self.position(),
                        format!("more than {MAX_LIST} values in IN"),
                    );
                }
                values.push(self.literal(kind)?);
            }
            self.expect(")")?;
            Expr::In(property, values)
        } else if self.keyword("BETWEEN") {
            let low = self.literal(kind)?;
            if !self.keyword("AND") {
                return error(self.position(), "expected AND in BETWEEN … AND …");
            }
            Expr::Between(property, low, self.literal(kind)?)
        } else if !negated && self.keyword("IS") {
            let not_null = self.keyword("NOT");
            if !self.keyword("NULL") {
                return error(self.position(), "expected NULL after IS");
            }
            let e = Expr::IsNull(property);
            return Ok(if not_null { Expr::Not(Box::new(e)) } else { e });
        } else if negated {
            return error(self.position(), "expected LIKE, IN or BETWEEN after NOT");
        } else {
            let op = match self.peek().map(|t| t.kind.clone()) {
                Some(Kind::Symbol("=")) => Op::Eq,
                Some(Kind::Symbol("<>")) => Op::Ne,
                Some(Kind::Symbol("<")) => Op::Lt,
                Some(Kind::Symbol("<=")) => Op::Le,
                Some(Kind::Symbol(">")) => Op::Gt,
                Some(Kind::Symbol(">=")) => Op::Ge,
                other => {
                    let found = other.map_or("the end".to_string(), |k| k.describe());
                    return error(
                        self.position(),
                        format!(
                            "expected a comparison (=, <>, <, <=, >, >=), LIKE, IN, BETWEEN or IS NULL, found {found}"
                        ),
                    );
                }
            };
            self.at += 1;
            Expr::Compare(property, op, self.literal(kind)?)
        };
        Ok(if negated {
            Expr::Not(Box::new(expr))
        } else {
            expr
        })
    }

    fn is_geometry_property(&self) -> bool {
        matches!(self.peek(), Some(Token { kind: Kind::Word(w) | Kind::Quoted(w), .. }) if w.eq_ignore_ascii_case("geometry") || w.eq_ignore_ascii_case("geom"))
    }

    fn property(&mut self) -> Result<usize, FilterError> {
        let at = self.position();
        let name = match self.peek().map(|t| t.kind.clone()) {
            Some(Kind::Word(w)) | Some(Kind::Quoted(w)) => w,
            other => {
                let found = other.map_or("the end".to_string(), |k| k.describe());
                return error(at, format!("expected a property name, found {found}"));
            }
        };
        self.at += 1;
        match self.schema.iter().position(|f| f.name == name) {
            Some(i) => Ok(i),
            None => {
                let names: Vec<&str> = self.schema.iter().map(|f| f.name.as_str()).collect();
                error(
                    at,
                    format!(
                        "{name:?} is not a property; the queryables are {}",
                        names.join(", ")
                    ),
                )
            }
        }
    }

    fn literal(&mut self, kind: FieldType) -> Result<Literal, FilterError> {
        let at = self.position();
        let value = match self.peek().map(|t| t.kind.clone()) {
            Some(Kind::Text(t)) => Literal::Text(t),
            Some(Kind::Number(n)) => Literal::Number(n),
            Some(Kind::Word(w)) if w.eq_ignore_ascii_case("true") => Literal::Bool(true),
            Some(Kind::Word(w)) if w.eq_ignore_ascii_case("false") => Literal::Bool(false),
            other => {
                let found = other.map_or("the end".to_string(), |k| k.describe());
                return error(
                    at,
                    format!("expected a value ('text' or a number), found {found}"),
                );
            }
        };
        self.at += 1;
        check_type(&value, kind).or_else(|m| error(at, m))?;
        Ok(value)
    }

    fn number(&mut self) -> Result<f64, FilterError> {
        match self.peek().map(|t| t.kind.clone()) {
            Some(Kind::Number(n)) => {
                self.at += 1;
                Ok(n)
            }
            other => {
                let found = other.map_or("the end".to_string(), |k| k.describe());
                error(
                    self.position(),
                    format!("expected a coordinate, found {found}"),
                )
            }
        }
    }

    fn coord(&mut self) -> Result<Coord, FilterError> {
        let x = self.number()?;
        let y = self.number()?;
        Ok(Coord { x, y })
    }

    fn ring(&mut self) -> Result<LineString, FilterError> {
        self.expect("(")?;
        let mut coords = vec![self.coord()?];
        while self.symbol(",") {
            if coords.len() >= MAX_LIST {
                return error(self.position(), format!("more than {MAX_LIST} vertices"));
            }
            coords.push(self.coord()?);
        }
        self.expect(")")?;
        if coords.len() < 4 || coords.first() != coords.last() {
            return error(
                self.position(),
                "a polygon ring needs at least 4 positions, the last equal to the first",
            );
        }
        Ok(LineString::from(coords))
    }

    fn polygon(&mut self) -> Result<Polygon, FilterError> {
        self.expect("(")?;
        let exterior = self.ring()?;
        let mut holes = Vec::new();
        while self.symbol(",") {
            holes.push(self.ring()?);
        }
        self.expect(")")?;
        Ok(Polygon::new(exterior, holes))
    }

    fn shape(&mut self) -> Result<Shape, FilterError> {
        let at = self.position();
        if self.keyword("BBOX") {
            self.expect("(")?;
            let mut v = vec![self.number()?];
            while self.symbol(",") {
                v.push(self.number()?);
            }
            self.expect(")")?;
            return match v.as_slice() {
                [x1, y1, x2, y2] if x1 <= x2 && y1 <= y2 => Ok(Shape::Rect(Rect::new(
                    Coord { x: *x1, y: *y1 },
                    Coord { x: *x2, y: *y2 },
                ))),
                [_, _, _, _] => error(at, "BBOX needs minx, miny, maxx, maxy with min <= max"),
                _ => error(at, "BBOX needs four numbers: minx, miny, maxx, maxy"),
            };
        }
        if self.keyword("POINT") {
            self.expect("(")?;
            let c = self.coord()?;
            self.expect(")")?;
            return Ok(Shape::Point(c));
        }
        if self.keyword("POLYGON") {
            return Ok(Shape::Polygon(MultiPolygon::new(vec![self.polygon()?])));
        }
        if self.keyword("MULTIPOLYGON") {
            self.expect("(")?;
            let mut parts = vec![self.polygon()?];
            while self.symbol(",") {
                parts.push(self.polygon()?);
            }
            self.expect(")")?;
            return Ok(Shape::Polygon(MultiPolygon::new(parts)));
        }
        let found = self
            .peek()
            .map_or("the end".to_string(), |t| t.kind.describe());
        error(
            at,
            format!("expected a shape (BBOX, POINT, POLYGON or MULTIPOLYGON), found {found}"),
        )
    }
}

fn check_type(value: &Literal, kind: FieldType) -> Result<(), String> {
    match (value, kind) {
        (Literal::Text(_), FieldType::Text) => Ok(()),
        (Literal::Number(_), FieldType::Integer | FieldType::Real) => Ok(()),
        (Literal::Bool(_), _) => {
            Err("no property is true or false; compare with text or a number".into())
        }
        (Literal::Text(t), _) => Err(format!("'{t}' is text, but the property is a number")),
        (Literal::Number(n), FieldType::Text) => Err(format!(
            "{n} is a number, but the property is text (quote it: '{n}')"
        )),
    }
}

/// Parses a filter in the JSON encoding.
pub fn parse_json(text: &str, schema: &[Field], crs: FilterCrs) -> Result<Expr, FilterError> {
    if text.chars().count() > MAX_FILTER_CHARS {
        return error(0, format!("longer than {MAX_FILTER_CHARS} characters"));
    }
    let value: Value = serde_json::from_str(text).map_err(|e| FilterError {
        message: format!(
            "filter: at line {} column {}: not JSON: {e}",
            e.line(),
            e.column()
        ),
    })?;
    json_expr(&value, schema, crs, 0)
}

fn json_error<T>(path: &str, message: impl Into<String>) -> Result<T, FilterError> {
    Err(FilterError {
        message: format!("filter: at {path}: {}", message.into()),
    })
}

fn json_expr(
    v: &Value,
    schema: &[Field],
    crs: FilterCrs,
    depth: usize,
) -> Result<Expr, FilterError> {
    let path = "the expression";
    if depth > MAX_DEPTH {
        return json_error(path, format!("nested more than {MAX_DEPTH} deep"));
    }
    if let Value::Bool(b) = v {
        return Ok(Expr::Const(*b));
    }
    let Some(op) = v.get("op").and_then(Value::as_str) else {
        return json_error(path, "expected an object with \"op\" and \"args\"");
    };
    let args = v
        .get("args")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let property = |a: &Value| -> Result<usize, FilterError> {
        let Some(name) = a.get("property").and_then(Value::as_str) else {
            return json_error(op, "expected {\"property\": name} as the first argument");
        };
        schema
            .iter()
            .position(|f| f.name == name)
            .map_or_else(|| json_error(op, format!("{name:?} is not a property")), Ok)
    };
    let literal = |a: &Value, p: usize| -> Result<Literal, FilterError> {
        let lit = match a {
            Value::String(s) => Literal::Text(s.clone()),
            Value::Number(n) => Literal::Number(n.as_f64().unwrap_or(f64::NAN)),
            Value::Bool(b) => Literal::Bool(*b),
            _ => return json_error(op, "expected a text or number value"),
        };
        check_type(&lit, schema[p].kind).or_else(|m| json_error(op, m))?;
        Ok(lit)
    };
    let two = || -> Result<(&Value, &Value), FilterError> {
        match args {
            [a, b] => Ok((a, b)),
            _ => json_error(op, "expected two arguments"),
        }
    };
    let compare = |o: Op| -> Result<Expr, FilterError> {
        let (a, b) = two()?;
        let p = property(a)?;
        Ok(Expr::Compare(p, o, literal(b, p)?))
    };
    match op.to_ascii_lowercase().as_str() {
        "and" | "or" => {
            if args.is_empty() {
                return json_error(op, "expected at least one argument");
            }
            let parts = args
                .iter()
                .map(|a| json_expr(a, schema, crs, depth + 1))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(if op.eq_ignore_ascii_case("and") {
                Expr::And(parts)
            } else {
                Expr::Or(parts)
            })
        }
        "not" => match args {
            [a] => Ok(Expr::Not(Box::new(json_expr(a, schema, crs, depth + 1)?))),
            _ => json_error(op, "expected one argument"),
        },
        "=" => compare(Op::Eq),
        "<>" => compare(Op::Ne),
        "<" => compare(Op::Lt),
        "<=" => compare(Op::Le),
        ">" => compare(Op::Gt),
        ">=" => compare(Op::Ge),
        "like" => {
            let (a, b) = two()?;
            let p = property(a)?;
            match (schema[p].kind, b) {
                (FieldType::Text, Value::String(s)) => Ok(Expr::Like(p, s.clone())),
                _ => json_error(op, "LIKE needs a text property and a text pattern"),
            }
        }
        "in" => {
            let (a, b) = two()?;
            let p = property(a)?;
            let Some(list) = b
                .as_array()
                .filter(|l| !l.is_empty() && l.len() <= MAX_LIST)
            else {
                return json_error(op, format!("expected a list of 1 to {MAX_LIST} values"));
            };
            Ok(Expr::In(
                p,
                list.iter()
                    .map(|x| literal(x, p))
                    .collect::<Result<_, _>>()?,
            ))
        }
        "between" => match args {
            [a, lo, hi] => {
                let p = property(a)?;
                Ok(Expr::Between(p, literal(lo, p)?, literal(hi, p)?))
            }
            _ => json_error(op, "expected a property and two values"),
        },
        "isnull" => match args {
            [a] => Ok(Expr::IsNull(property(a)?)),
            _ => json_error(op, "expected one property"),
        },
        "s_intersects" => {
            let (a, b) = two()?;
            let shape_arg = if a.get("property").is_some() { b } else { a };
            Ok(Expr::Intersects(json_shape(shape_arg)?, crs))
        }
        other => json_error(
            other,
            "is not an operator this server supports (Basic CQL2, LIKE, IN, BETWEEN, S_INTERSECTS)",
        ),
    }
}

fn json_shape(v: &Value) -> Result<Shape, FilterError> {
    let op = "s_intersects";
    if let Some(b) = v.get("bbox").and_then(Value::as_array) {
        let n: Vec<f64> = b.iter().filter_map(Value::as_f64).collect();
        return match n.as_slice() {
            [x1, y1, x2, y2] if x1 <= x2 && y1 <= y2 => Ok(Shape::Rect(Rect::new(
                Coord { x: *x1, y: *y1 },
                Coord { x: *x2, y: *y2 },
            ))),
            _ => json_error(op, "bbox needs minx, miny, maxx, maxy"),
        };
    }
    let geometry = geojson::Geometry::from_json_value(v.clone()).map_err(|e| FilterError {
        message: format!("filter: at {op}: not a GeoJSON geometry: {e}"),
    })?;
    match geo::Geometry::<f64>::try_from(geometry.value) {
        Ok(geo::Geometry::Point(p)) => Ok(Shape::Point(p.0)),
        Ok(geo::Geometry::Polygon(p)) => Ok(Shape::Polygon(MultiPolygon::new(vec![p]))),
        Ok(geo::Geometry::MultiPolygon(m)) => Ok(Shape::Polygon(m)),
        _ => json_error(op, "expected a Point, Polygon or MultiPolygon"),
    }
}

/// The expression with every shape's axes swapped (a filter given in
/// EPSG:4326, latitude first, read as longitude/latitude).
pub fn swap_axes(expr: Expr) -> Expr {
    use geo::MapCoords;
    let swap = |c: Coord| Coord { x: c.y, y: c.x };
    match expr {
        Expr::And(p) => Expr::And(p.into_iter().map(swap_axes).collect()),
        Expr::Or(p) => Expr::Or(p.into_iter().map(swap_axes).collect()),
        Expr::Not(e) => Expr::Not(Box::new(swap_axes(*e))),
        Expr::Intersects(shape, crs) => Expr::Intersects(
            match shape {
                Shape::Point(c) => Shape::Point(swap(c)),
                Shape::Rect(r) => Shape::Rect(Rect::new(swap(r.min()), swap(r.max()))),
                Shape::Polygon(m) => Shape::Polygon(m.map_coords(swap)),
            },
            crs,
        ),
        other => other,
    }
}

/// Whether a feature's values and geometry pass the filter. Comparisons
/// with a missing value are false (as in SQL).
pub fn matches(expr: &Expr, values: &[Value], geometry: Geometry) -> bool {
    match expr {
        Expr::And(parts) => parts.iter().all(|e| matches(e, values, geometry)),
        Expr::Or(parts) => parts.iter().any(|e| matches(e, values, geometry)),
        Expr::Not(inner) => !matches(inner, values, geometry),
        Expr::Const(b) => *b,
        Expr::IsNull(p) => values.get(*p).is_none_or(Value::is_null),
        Expr::Compare(p, op, lit) => compare(values.get(*p), lit).is_some_and(|o| match op {
            Op::Eq => o.is_eq(),
            Op::Ne => o.is_ne(),
            Op::Lt => o.is_lt(),
            Op::Le => o.is_le(),
            Op::Gt => o.is_gt(),
            Op::Ge => o.is_ge(),
        }),
        Expr::In(p, list) => list
            .iter()
            .any(|l| compare(values.get(*p), l).is_some_and(|o| o.is_eq())),
        Expr::Between(p, lo, hi) => {
            compare(values.get(*p), lo).is_some_and(|o| o.is_ge())
                && compare(values.get(*p), hi).is_some_and(|o| o.is_le())
        }
        Expr::Like(p, pattern) => match values.get(*p) {
            Some(Value::String(s)) => like(s, pattern),
            _ => false,
        },
        Expr::Intersects(shape, crs) => intersects(shape, *crs, geometry),
    }
}

fn compare(value: Option<&Value>, lit: &Literal) -> Option<std::cmp::Ordering> {
    match (value?, lit) {
        (Value::String(s), Literal::Text(t)) => Some(s.as_str().cmp(t.as_str())),
        (Value::Number(n), Literal::Number(m)) => n.as_f64()?.partial_cmp(m),
        _ => None,
    }
}

/// `%` matches any run of characters and `_` one; `\` escapes either.
fn like(text: &str, pattern: &str) -> bool {
    let t: Vec<char> = text.chars().collect();
    let mut p: Vec<(char, bool)> = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => p.push((chars.next().unwrap_or('\\'), true)),
            other => p.push((other, false)),
        }
    }
    // Iterative wildcard matching with backtracking to the last `%`: O(n·m).
    let (mut ti, mut pi) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && !p[pi].1 && p[pi].0 == '%' {
            star = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && ((!p[pi].1 && p[pi].0 == '_') || p[pi].0 == t[ti]) {
            pi += 1;
            ti += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    while pi < p.len() && !p[pi].1 && p[pi].0 == '%' {
        pi += 1;
    }
    pi == p.len()
}

fn intersects(shape: &Shape, crs: FilterCrs, geometry: Geometry) -> bool {
    match geometry {
        Geometry::Point { lonlat, bng } => {
            let at = Point(if crs == FilterCrs::LonLat {
                lonlat
            } else {
                bng
            });
            match shape {
                Shape::Point(c) => at.0 == *c,
                Shape::Rect(r) => r.intersects(&at),
                Shape::Polygon(m) => m.intersects(&at),
            }
        }
        Geometry::Area { lonlat, bng } => {
            let area = if crs == FilterCrs::LonLat {
                lonlat
            } else {
                bng
            };
            match shape {
                Shape::Point(c) => area.intersects(&Point(*c)),
                Shape::Rect(r) => area.intersects(r),
                Shape::Polygon(m) => area.intersects(m),
            }
        }
    }
}

/// One sort key: a property, ascending or descending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortKey {
    /// Schema position.
    pub property: usize,
    /// Largest first.
    pub descending: bool,
}

/// Parses `sortby` (`+name,-imd_score`; a `+` decoded from a URL as a space
/// is accepted too).
pub fn parse_sortby(text: &str, schema: &[Field]) -> Result<Vec<SortKey>, FilterError> {
    let mut keys = Vec::new();
    for part in text.split(',') {
        let part = part.trim_start_matches(' ');
        let (descending, name) = match part.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, part.strip_prefix('+').unwrap_or(part)),
        };
        let name = name.trim();
        let Some(property) = schema.iter().position(|f| f.name == name) else {
            let names: Vec<&str> = schema.iter().map(|f| f.name.as_str()).collect();
            return Err(FilterError {
                message: format!(
                    "sortby: {name:?} is not a property; properties are {}",
                    names.join(", ")
                ),
            });
        };
        if keys.len() >= 8 {
            return Err(FilterError {
                message: "sortby: at most 8 keys".into(),
            });
        }
        keys.push(SortKey {
            property,
            descending,
        });
    }
    Ok(keys)
}

/// Orders two features' values by the keys; missing values sort last.
pub fn order(keys: &[SortKey], a: &[Value], b: &[Value]) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    for k in keys {
        let (x, y) = (a.get(k.property), b.get(k.property));
        let o = match (x.filter(|v| !v.is_null()), y.filter(|v| !v.is_null())) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => return Ordering::Greater,
            (Some(_), None) => return Ordering::Less,
            (Some(Value::Number(m)), Some(Value::Number(n))) => m
                .as_f64()
                .partial_cmp(&n.as_f64())
                .unwrap_or(Ordering::Equal),
            (Some(Value::String(s)), Some(Value::String(t))) => s.cmp(t),
            (Some(p), Some(q)) => p.to_string().cmp(&q.to_string()),
        };
        let o = if k.descending { o.reverse() } else { o };
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> Vec<Field> {
        vec![
            Field {
                name: "name".into(),
                kind: FieldType::Text,
                description: String::new(),
            },
            Field {
                name: "category".into(),
                kind: FieldType::Text,
                description: String::new(),
            },
            Field {
                name: "imd_score".into(),
                kind: FieldType::Real,
                description: String::new(),
            },
        ]
    }

    fn run(filter: &str, name: &str, category: &str, score: Option<f64>) -> bool {
        let e = parse_text(filter, &schema(), FilterCrs::LonLat).unwrap_or_else(|e| panic!("{e}"));
        let values = vec![
            Value::String(name.into()),
            Value::String(category.into()),
            score.map_or(Value::Null, |s| serde_json::json!(s)),
        ];
        let p = Coord { x: -0.17, y: 51.52 };
        matches(
            &e,
            &values,
            Geometry::Point {
                lonlat: p,
                bng: Coord {
                    x: 527_000.0,
                    y: 181_800.0,
                },
            },
        )
    }

    #[test]
    fn hand_worked_filters() {
        let cases: [(&str, bool); 16] = [
            ("category='gp'", true),
            ("category = 'pharmacy'", false),
            ("category <> 'gp'", false),
            ("\"category\" = 'gp' AND imd_score > 40", true),
            ("imd_score >= 45.5 OR name LIKE 'Church%'", true),
            ("NOT (category = 'gp')", false),
            ("category IN ('library', 'gp')", true),
            ("category NOT IN ('library', 'gp')", false),
            ("name LIKE '%Street_Surgery'", true),
            ("name like '%street%'", false),
            ("imd_score BETWEEN 40 AND 50", true),
            ("imd_score IS NULL", false),
            ("imd_score IS NOT NULL and true", true),
            ("S_INTERSECTS(geometry, BBOX(-0.2, 51.5, -0.1, 51.6))", true),
            (
                "S_INTERSECTS(geometry, POLYGON((-1 50, 1 50, 1 52, -1 52, -1 50)))",
                true,
            ),
            ("s_intersects(geometry, POINT(0 0)) OR FALSE", false),
        ];
        for (filter, expected) in cases {
            assert_eq!(
                run(filter, "Church Street Surgery", "gp", Some(45.5)),
                expected,
                "{filter}"
            );
        }
        // A missing value: comparisons are false, IS NULL true.
        assert!(!run("imd_score < 100", "x", "gp", None));
        assert!(run("imd_score IS NULL", "x", "gp", None));
    }

    #[test]
    fn bad_filters_say_where() {
        let s = schema();
        let err = |f: &str| parse_text(f, &s, FilterCrs::LonLat).unwrap_err().message;
        assert_eq!(
            err("category = "),
            "filter: at character 12: expected a value ('text' or a number), found the end"
        );
        assert!(
            err("colour = 'red'")
                .starts_with("filter: at character 1: \"colour\" is not a property")
        );
        assert!(err("category = 'gp").contains("the ' opened here is not closed"));
        assert!(err("imd_score = 'high'").contains("is text, but the property is a number"));
        assert!(err("category = 'gp' AND").contains("expected a property name, found the end"));
        assert!(err("category = 'gp' )").contains("unexpected \")\" after a complete expression"));
        assert!(err("name LIKE 3").contains("number, but the property is text"));
        let deep = "(".repeat(40) + "category = 'gp'" + &")".repeat(40);
        assert!(err(&deep).contains("nested more than 32 deep"));
        assert!(err(&"a".repeat(9000)).contains("longer than 8192"));
    }

    #[test]
    fn the_json_encoding_gives_the_same_filters() {
        let s = schema();
        let json = r#"{"op":"and","args":[{"op":"=","args":[{"property":"category"},"gp"]},
            {"op":"in","args":[{"property":"name"},["a","b"]]},
            {"op":"s_intersects","args":[{"property":"geometry"},{"bbox":[-1,50,1,52]}]}]}"#;
        let e = parse_json(json, &s, FilterCrs::LonLat).unwrap();
        let text = parse_text("category = 'gp' AND name IN ('a', 'b') AND S_INTERSECTS(geometry, BBOX(-1, 50, 1, 52))", &s, FilterCrs::LonLat).unwrap();
        assert_eq!(e, text);
        assert!(
            parse_json(r#"{"op":"~","args":[]}"#, &s, FilterCrs::LonLat)
                .unwrap_err()
                .message
                .contains("not an operator")
        );
    }

    #[test]
    fn like_handles_wildcards_and_escapes() {
        assert!(like("abc", "a%c"));
        assert!(like("abc", "___"));
        assert!(!like("abc", "__"));
        assert!(like("100%", "100\\%"));
        assert!(!like("1000", "100\\%"));
        assert!(like("", "%"));
    }

    #[test]
    fn sortby_orders_with_missing_values_last() {
        let s = schema();
        let keys = parse_sortby("-imd_score, name", &s).unwrap();
        assert_eq!(
            keys,
            vec![
                SortKey {
                    property: 2,
                    descending: true
                },
                SortKey {
                    property: 0,
                    descending: false
                }
            ]
        );
        let row = |n: &str, v: Option<f64>| {
            vec![
                Value::String(n.into()),
                Value::Null,
                v.map_or(Value::Null, |v| serde_json::json!(v)),
            ]
        };
        let mut rows = [
            row("b", Some(1.0)),
            row("a", None),
            row("c", Some(9.0)),
            row("a", Some(1.0)),
        ];
        rows.sort_by(|a, b| order(&keys, a, b));
        let names: Vec<&str> = rows.iter().map(|r| r[0].as_str().unwrap()).collect();
        assert_eq!(names, ["c", "a", "b", "a"]);
        assert!(
            parse_sortby("+colour", &s)
                .unwrap_err()
                .message
                .contains("\"colour\" is not a property")
        );
        // "+name" arrives as " name" when a URL's + is decoded as a space.
        assert_eq!(parse_sortby(" name", &s).unwrap()[0].property, 0);
    }
}

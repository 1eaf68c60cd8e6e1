//! Reading records: CSV tables and GeoJSON properties behind one interface,
//! column checks that list what exists, and the manifest's row filters.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::manifest::Filter;
use super::report::{Problem, Severity};

/// Something with named text fields: a CSV row or a GeoJSON feature's properties.
pub(crate) trait Record {
    /// The field's value, trimmed; `None` when absent or empty.
    fn get(&self, field: &str) -> Option<String>;
}

/// A parsed CSV file.
#[derive(Debug)]
pub(crate) struct Table {
    pub path: String,
    pub headers: Vec<String>,
    index: HashMap<String, usize>,
    pub rows: Vec<Row>,
}

/// One CSV data row.
#[derive(Debug)]
pub(crate) struct Row {
    /// Row number as a spreadsheet shows it (the header is row 1).
    pub number: u64,
    pub fields: Vec<String>,
}

/// A row seen through its table's header.
pub(crate) struct RowRef<'a> {
    pub table: &'a Table,
    pub row: &'a Row,
}

impl Record for RowRef<'_> {
    fn get(&self, field: &str) -> Option<String> {
        let i = *self.table.index.get(field)?;
        let value = self.row.fields.get(i)?.trim();
        (!value.is_empty()).then(|| value.to_string())
    }
}

impl Record for Map<String, Value> {
    fn get(&self, field: &str) -> Option<String> {
        let text = match self.get(field)? {
            Value::Null => return None,
            Value::String(s) => s.trim().to_string(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            other => other.to_string(),
        };
        (!text.is_empty()).then_some(text)
    }
}

/// A problem found while parsing a table that is not fatal, with the number
/// of rows it cost (0 for a warning) and the reason it is counted under.
#[derive(Debug)]
pub(crate) struct TableProblem {
    pub problem: Problem,
    pub rows: usize,
    pub reason: &'static str,
}

/// Problems found while parsing a table that are not fatal.
#[derive(Debug)]
pub(crate) struct TableProblems(pub Vec<TableProblem>);

/// Lines taken into one quoted field that make it a runaway quote rather than
/// a multi-line address: this many lines, or any line holding enough
/// delimiters to be a row of its own.
const RUNAWAY_QUOTE_LINES: usize = 5;

/// What a file that is not CSV looks like, from its first bytes, so the
/// error can say so without echoing the content.
pub(crate) fn not_text_table(bytes: &[u8]) -> Option<&'static str> {
    let head = &bytes[..bytes.len().min(8192)];
    let start = head
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .map(|i| &head[i..])
        .unwrap_or_default();
    let start = start.strip_prefix("\u{feff}".as_bytes()).unwrap_or(start);
    let kind = if start.starts_with(b"PK\x03\x04") {
        "a ZIP archive (an Excel .xlsx workbook, or a zipped download to unpack)"
    } else if start.starts_with(b"SQLite format 3\0") {
        "an SQLite database or GeoPackage"
    } else if start.starts_with(b"%PDF") {
        "a PDF document"
    } else if start.starts_with(b"\x89PNG")
        || start.starts_with(b"GIF8")
        || start.starts_with(b"\xff\xd8\xff")
    {
        "an image"
    } else if start.starts_with(b"\xd0\xcf\x11\xe0") {
        "an old Excel .xls workbook (save it as CSV)"
    } else if start.starts_with(b"\x1f\x8b") {
        "a gzip file (unpack it first)"
    } else if start.first() == Some(&b'<') {
        "HTML or XML (a web page saved instead of the data?)"
    } else if head.contains(&0) {
        "binary data"
    } else {
        return None;
    };
    Some(kind)
}

impl Table {
    /// Parses CSV bytes. An empty file or one with only a header is fatal; rows
    /// whose field count differs from the header's are reported and left out;
    /// bytes that are not UTF-8 are read as Windows-1252/Latin-1 and reported once.
    pub fn parse(path: &str, bytes: &[u8]) -> Result<(Table, TableProblems), Problem> {
        let fatal = |message: String| Problem {
            severity: Severity::Fatal,
            file: path.to_string(),
            location: None,
            message,
        };
        if bytes.iter().all(|b| b.is_ascii_whitespace()) {
            return Err(fatal("the file is empty".into()));
        }
        if let Some(kind) = not_text_table(bytes) {
            return Err(fatal(format!(
                "this is not a CSV file: it looks like {kind}"
            )));
        }
        let first_non_space = bytes.iter().find(|b| !b.is_ascii_whitespace());
        if matches!(first_non_space, Some(b'{') | Some(b'[')) {
            return Err(fatal(
                "this is not a CSV file: it looks like JSON (GeoJSON? set format = \"geojson\")"
                    .into(),
            ));
        }
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
        let header_record = reader
            .byte_headers()
            .map_err(|e| fatal(format!("cannot read the header row: {e}")))?
            .clone();
        let mut problems = Vec::new();
        let mut latin1_lines = 0usize;
        let decode = |field: &[u8], latin1: &mut bool| -> String {
            match std::str::from_utf8(field) {
                Ok(s) => s.to_string(),
                Err(_) => {
                    *latin1 = true;
                    field.iter().map(|&b| b as char).collect()
                }
            }
        };
        let mut header_latin1 = false;
        let headers: Vec<String> = header_record
            .iter()
            .map(|h| {
                decode(h, &mut header_latin1)
                    .trim()
                    .trim_start_matches('\u{feff}')
                    .to_string()
            })
            .collect();
        let index = headers
            .iter()
            .enumerate()
            .map(|(i, h)| (h.clone(), i))
            .collect();
        let mut rows = Vec::new();
        let mut record = csv::ByteRecord::new();
        loop {
            match reader.read_byte_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) => {
                    let row = e.position().map(|p| p.record() + 1).unwrap_or(0);
                    problems.push(TableProblem {
                        problem: Problem {
                            severity: Severity::Skipped,
                            file: path.to_string(),
                            location: Some(format!("row {row}")),
                            message: format!("unreadable row: {e}"),
                        },
                        rows: 1,
                        reason: "unreadable row",
                    });
                    continue;
                }
            }
            let row = record.position().map(|p| p.record() + 1).unwrap_or(0);
            if let Some(runaway) = runaway_quote(&record, headers.len()) {
                let line =
                    record.position().map(|p| p.line()).unwrap_or(0) + runaway.opened_after_lines;
                let last = line + runaway.lines_taken as u64;
                problems.push(TableProblem {
                    problem: Problem {
                        severity: Severity::Skipped,
                        file: path.to_string(),
                        location: Some(format!("line {line}")),
                        message: format!(
                            "a quote opened on line {line} is not closed until line {last}, so {} lines that look like rows were read as one field and are not loaded; check the quote marks on line {line}",
                            runaway.lines_taken
                        ),
                    },
                    rows: 1 + runaway.lines_taken,
                    reason: "unbalanced quote",
                });
                continue;
            }
            if record.len() == 1
                && record
                    .get(0)
                    .is_some_and(|f| f.iter().all(u8::is_ascii_whitespace))
            {
                continue; // a blank line
            }
            if record.len() != headers.len() {
                problems.push(TableProblem {
                    problem: Problem {
                        severity: Severity::Skipped,
                        file: path.to_string(),
                        location: Some(format!("row {row}")),
                        message: format!(
                            "row has {} fields but the header has {} (a truncated or badly quoted row?)",
                            record.len(),
                            headers.len()
                        ),
                    },
                    rows: 1,
                    reason: "wrong number of fields",
                });
                continue;
            }
            let mut latin1 = false;
            let fields = record.iter().map(|f| decode(f, &mut latin1)).collect();
            if latin1 {
                latin1_lines += 1;
                if latin1_lines == 1 {
                    problems.push(TableProblem {
                        problem: Problem {
                            severity: Severity::Warning,
                            file: path.to_string(),
                            location: Some(format!("row {row}")),
                            message: "text is not UTF-8; read as Windows-1252/Latin-1 (save the file as UTF-8 to be sure of accents)".into(),
                        },
                        rows: 0,
                        reason: "",
                    });
                }
            }
            rows.push(Row {
                number: row,
                fields,
            });
        }
        if rows.is_empty() && problems.is_empty() {
            return Err(fatal("the file has a header row but no data rows".into()));
        }
        let table = Table {
            path: path.to_string(),
            headers,
            index,
            rows,
        };
        Ok((table, TableProblems(problems)))
    }

    /// Checks that a column exists; the error names the manifest key and lists
    /// the columns that do exist, with the closest as a suggestion.
    pub fn require(&self, column: &str, key: &str) -> Result<(), Problem> {
        if self.index.contains_key(column) {
            return Ok(());
        }
        Err(missing_field(
            &self.path,
            column,
            key,
            self.headers.iter().map(String::as_str),
        ))
    }

    /// Iterates rows as records.
    pub fn records(&self) -> impl Iterator<Item = RowRef<'_>> {
        self.rows.iter().map(move |row| RowRef { table: self, row })
    }
}

/// Most column names an error lists.
const MAX_LISTED_COLUMNS: usize = 200;

/// A quoted field that ran on over lines that look like rows.
struct Runaway {
    /// Line breaks before the field that holds the runaway quote.
    opened_after_lines: u64,
    /// Lines (not blank) inside that field after the first.
    lines_taken: usize,
}

/// Finds a field that spans many lines, or lines holding enough delimiters
/// to be rows of their own: a quote that was opened and not closed.
fn runaway_quote(record: &csv::ByteRecord, columns: usize) -> Option<Runaway> {
    let row_like_commas = (columns.saturating_sub(1) / 2).max(2);
    let mut lines_before = 0u64;
    for field in record.iter() {
        let breaks = field.iter().filter(|&&b| b == b'\n').count();
        if breaks > 0 {
            // Lines with something on them (a file's final line break ends no row).
            let taken = field
                .split(|&b| b == b'\n')
                .skip(1)
                .filter(|line| !line.iter().all(u8::is_ascii_whitespace))
                .count();
            let row_like = field
                .split(|&b| b == b'\n')
                .skip(1)
                .any(|line| line.iter().filter(|&&b| b == b',').count() >= row_like_commas);
            if taken >= RUNAWAY_QUOTE_LINES || (row_like && record.len() != columns) {
                return Some(Runaway {
                    opened_after_lines: lines_before,
                    lines_taken: taken,
                });
            }
        }
        lines_before += breaks as u64;
    }
    None
}

/// A fatal problem for a configured column or property that is not in the file.
pub(crate) fn missing_field<'a>(
    path: &str,
    column: &str,
    key: &str,
    existing: impl Iterator<Item = &'a str>,
) -> Problem {
    let existing: Vec<&str> = existing.collect();
    // Names worth listing look like names: short and printable. A file that
    // is not the expected kind has no such header, and its content is not
    // echoed.
    let plausible = existing.len() <= MAX_LISTED_COLUMNS
        && existing
            .iter()
            .all(|c| c.chars().count() <= 100 && !c.chars().any(char::is_control));
    if !plausible {
        return Problem {
            severity: Severity::Fatal,
            file: path.to_string(),
            location: Some(format!("manifest key {key}")),
            message: format!(
                "column {column:?} is not in the file, and its first row does not look like a row of column names ({} fields); is this the right file?",
                existing.len()
            ),
        };
    }
    let suggestion = closest(column, &existing)
        .map(|c| format!(" Did you mean {c:?}?"))
        .unwrap_or_default();
    Problem {
        severity: Severity::Fatal,
        file: path.to_string(),
        location: Some(format!("manifest key {key}")),
        message: format!(
            "column {column:?} is not in the file.{suggestion} The file has: {}",
            existing
                .iter()
                .map(|c| format!("{c:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// The existing name closest to `wanted` (case-insensitive edit distance of at most a third of its length).
fn closest<'a>(wanted: &str, existing: &[&'a str]) -> Option<&'a str> {
    let wanted_lower = wanted.to_lowercase();
    existing
        .iter()
        .map(|c| (edit_distance(&wanted_lower, &c.to_lowercase()), *c))
        .filter(|(d, _)| *d <= (wanted.chars().count() / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            current.push(
                (previous[j] + cost)
                    .min(previous[j + 1] + 1)
                    .min(current[j] + 1),
            );
        }
        previous = current;
    }
    previous[b.len()]
}

/// Checks that every filter has exactly one test; `key` names it in the manifest.
pub(crate) fn check_filters(filters: &[Filter], key: &str, manifest: &str) -> Result<(), Problem> {
    for (i, f) in filters.iter().enumerate() {
        let tests = [
            f.equals.is_some(),
            f.not_equals.is_some(),
            f.one_of.is_some(),
            f.empty.is_some(),
            f.contains.is_some(),
            f.starts_with.is_some(),
        ]
        .iter()
        .filter(|t| **t)
        .count();
        if tests != 1 {
            return Err(Problem {
                severity: Severity::Fatal,
                file: manifest.to_string(),
                location: Some(format!("key {key}.filter[{i}]")),
                message: format!(
                    "a filter needs exactly one of equals, not_equals, one_of, empty, contains, starts_with (found {tests})"
                ),
            });
        }
    }
    Ok(())
}

/// Whether a record passes every filter.
pub(crate) fn keep(filters: &[Filter], record: &dyn Record) -> bool {
    filters.iter().all(|f| {
        let value = record.get(&f.field);
        if let Some(want) = &f.equals {
            value.as_deref() == Some(want.trim())
        } else if let Some(not) = &f.not_equals {
            value.as_deref() != Some(not.trim())
        } else if let Some(options) = &f.one_of {
            value.is_some_and(|v| options.iter().any(|o| o.trim() == v))
        } else if let Some(empty) = f.empty {
            value.is_none() == empty
        } else if let Some(part) = &f.contains {
            value.is_some_and(|v| v.to_lowercase().contains(&part.to_lowercase()))
        } else if let Some(prefix) = &f.starts_with {
            value.is_some_and(|v| v.starts_with(prefix.as_str()))
        } else {
            true
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_misspelt_column_is_named_with_a_suggestion() {
        let (table, _) =
            Table::parse("x.csv", b"lsoa21_code,IMD_score\nE01,1.5\n").expect("parses");
        let err = table.require("IMD_scor", "deprivation.score").unwrap_err();
        assert!(
            err.message.contains("\"IMD_scor\" is not in the file"),
            "{}",
            err.message
        );
        assert!(
            err.message.contains("Did you mean \"IMD_score\"?"),
            "{}",
            err.message
        );
        assert!(err.message.contains("\"lsoa21_code\""), "{}", err.message);
        assert_eq!(
            err.location.as_deref(),
            Some("manifest key deprivation.score")
        );
    }

    #[test]
    fn empty_and_header_only_files_are_fatal() {
        assert!(
            Table::parse("e.csv", b"")
                .unwrap_err()
                .message
                .contains("empty")
        );
        assert!(
            Table::parse("h.csv", b"a,b\n")
                .unwrap_err()
                .message
                .contains("no data rows")
        );
    }

    #[test]
    fn ragged_rows_are_reported_with_their_row() {
        let (table, problems) = Table::parse("t.csv", b"a,b,c\n1,2,3\n4,5\n").expect("parses");
        assert_eq!(table.rows.len(), 1);
        assert_eq!(problems.0.len(), 1);
        assert_eq!(problems.0[0].problem.location.as_deref(), Some("row 3"));
        assert!(
            problems.0[0]
                .problem
                .message
                .contains("2 fields but the header has 3")
        );
    }

    #[test]
    fn latin1_text_is_read_and_reported() {
        let (table, problems) = Table::parse("l.csv", b"name\nCaf\xe9\n").expect("parses");
        assert_eq!(table.rows[0].fields[0], "Café");
        assert_eq!(problems.0[0].problem.severity, Severity::Warning);
    }

    #[test]
    fn filters_test_trimmed_values() {
        let (table, _) = Table::parse(
            "f.csv",
            b"status,closed,type\nA,,Static library\nC, 2013 ,Mobile\n",
        )
        .expect("parses");
        let rows: Vec<RowRef> = table.records().collect();
        let f = |field: &str| Filter {
            field: field.into(),
            equals: None,
            not_equals: None,
            one_of: None,
            empty: None,
            contains: None,
            starts_with: None,
        };
        let active = Filter {
            equals: Some("A".into()),
            ..f("status")
        };
        let open = Filter {
            empty: Some(true),
            ..f("closed")
        };
        let stat = Filter {
            contains: Some("STATIC".into()),
            ..f("type")
        };
        assert!(keep(
            &[active.clone(), open.clone(), stat.clone()],
            &rows[0]
        ));
        assert!(!keep(&[active], &rows[1]));
        assert!(!keep(&[open], &rows[1]));
        assert!(!keep(&[stat], &rows[1]));
    }
}

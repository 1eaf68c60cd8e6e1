//! Readers for each source's way of writing opening hours, into [`Hours`].
//!
//! - [`HoursFormat::DayTimes`]: one value per weekday, `08:30-13:00,14:00-17:30`
//!   or `CLOSED` (the NHS pharmacy lists);
//! - [`HoursFormat::LibrarySessions`]: one value per weekday naming parts of
//!   the day, `AM & PM (continuous)` (Arts Council England's library dataset);
//! - [`HoursFormat::Osm`]: OpenStreetMap `opening_hours`;
//! - [`HoursFormat::OrukSchedules`]: Open Referral UK `schedule` records.

use chrono::{NaiveDate, Weekday};
use serde::Deserialize;
use serde_json::Value;

use super::{DayHours, Days, Hours, Osm, Rule, Span};

/// How a source writes its opening hours (the manifest's `hours_format`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HoursFormat {
    /// Free text, shown as published; the hours are not known to the model.
    #[default]
    Text,
    /// Seven columns, Monday first, each `HH:MM-HH:MM[,HH:MM-HH:MM…]` or `CLOSED`.
    DayTimes,
    /// Seven columns, Monday first, each a part-of-day session value.
    LibrarySessions,
    /// One column in OpenStreetMap `opening_hours` syntax.
    Osm,
    /// One column holding a JSON array of Open Referral UK schedule records.
    OrukSchedules,
    /// One column of opening times in English ("Monday - Friday 10am - 4pm"),
    /// read only when all of it is understood (see [`super::english`]).
    English,
}

impl HoursFormat {
    /// The name the manifest uses.
    pub fn as_str(self) -> &'static str {
        match self {
            HoursFormat::Text => "text",
            HoursFormat::DayTimes => "day_times",
            HoursFormat::LibrarySessions => "library_sessions",
            HoursFormat::Osm => "osm",
            HoursFormat::OrukSchedules => "oruk_schedules",
            HoursFormat::English => "english",
        }
    }

    /// Whether the format takes one column per weekday.
    pub fn per_day(self) -> bool {
        matches!(self, HoursFormat::DayTimes | HoursFormat::LibrarySessions)
    }
}

/// The weekdays, Monday first.
pub const WEEK: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

/// A value that could not be read: which one and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Unread {
    /// Index of the weekday column (per-day formats), else `None`.
    pub day: Option<usize>,
    /// The value as given.
    pub value: String,
    /// Why it was not understood.
    pub reason: String,
}

/// Longest value read, characters (longer ones are reported, not parsed).
pub const MAX_VALUE_CHARS: usize = 2000;

/// `HH:MM` (or `H:MM`, `HH.MM`, `24:00`) as minutes after midnight.
fn clock(text: &str) -> Option<u16> {
    let text = text.trim();
    let (h, m) = text.split_once([':', '.'])?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    let h: u16 = h.parse().ok()?;
    let m: u16 = m.parse().ok()?;
    if m >= 60 || h > 24 || (h == 24 && m != 0) {
        return None;
    }
    Some(h * 60 + m)
}

/// One exact day value: `08:30-13:00,14:00-17:30`, `CLOSED`, `17:00-01:00`
/// (past midnight), `00:00-24:00`.
pub fn day_times(value: &str) -> Result<DayHours, String> {
    let v = value.trim();
    if v.eq_ignore_ascii_case("closed") {
        return Ok(DayHours::Open(Vec::new()));
    }
    let mut spans = Vec::new();
    for part in v.split(',') {
        let part = part.trim();
        let Some((a, b)) = part.split_once('-') else {
            return Err(format!("{part:?} is not a time range like 09:00-17:30"));
        };
        let (Some(open), Some(close)) = (clock(a), clock(b)) else {
            return Err(format!("{part:?} is not a time range like 09:00-17:30"));
        };
        if open == close && !(open == 0 && close == 0) {
            return Err(format!("{part:?} opens and closes at the same time"));
        }
        let close = if open == 0 && close == 0 { 1440 } else { close };
        let span = Span::new(open, close).ok_or_else(|| format!("{part:?} is out of range"))?;
        if spans
            .last()
            .is_some_and(|last: &Span| span.open_min < last.close_min)
        {
            return Err(format!("{part:?} starts before the range before it ends"));
        }
        spans.push(span);
    }
    Ok(DayHours::Open(spans))
}

/// The parts of the day a library session value names, as approximate times
/// (see docs/methods.md): morning 09:00-13:00, afternoon 13:00-17:00, evening
/// 17:00-19:00; "with closure" closes 13:00-14:00 between morning and
/// afternoon (17:00-18:00 between afternoon and evening).
/// `Ok(None)`: a value that says the hours are not regular or not known.
pub fn library_session(value: &str) -> Result<(DayHours, Option<&'static str>), String> {
    let norm: String = value
        .trim()
        .to_lowercase()
        .replace(" and ", " & ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    const AM: Span = Span {
        open_min: 9 * 60,
        close_min: 13 * 60,
    };
    const PM: Span = Span {
        open_min: 13 * 60,
        close_min: 17 * 60,
    };
    const EVE: Span = Span {
        open_min: 17 * 60,
        close_min: 19 * 60,
    };
    let span = |a: u16, b: u16| Span {
        open_min: a * 60,
        close_min: b * 60,
    };
    let (spans, words): (Vec<Span>, &'static str) = match norm.as_str() {
        "closed" | "n/a closed" => return Ok((DayHours::Open(Vec::new()), None)),
        "[unknown]" | "unknown" | "varied by schedule" | "no regular opening"
        | "appointment only" => {
            return Ok((DayHours::Unknown, None));
        }
        "24 hours" => return Ok((DayHours::Open(vec![span(0, 24)]), None)),
        "am only" => (vec![AM], "in the morning"),
        "pm only" => (vec![PM], "in the afternoon"),
        "eve only" => (vec![EVE], "in the evening"),
        "am & pm (continuous)" | "am & pm" => (vec![span(9, 17)], "morning and afternoon"),
        "am & pm (with closure)" | "am & pm with closure" => (
            vec![AM, span(14, 17)],
            "morning and afternoon, closed at lunchtime",
        ),
        "pm & eve (continuous)" | "pm & eve" => (vec![span(13, 19)], "afternoon and evening"),
        "pm & eve (with closure)" | "pm & eve with closure" => (
            vec![PM, span(18, 19)],
            "afternoon and evening, with a break",
        ),
        "am & eve" | "am & eve (with closure)" => (vec![AM, EVE], "morning and evening"),
        "all day (continuous)" | "all day" => (vec![span(9, 19)], "all day, into the evening"),
        "all day (with closure)" | "all day with closure" => {
            (vec![AM, span(14, 19)], "all day, closed at lunchtime")
        }
        _ => {
            return Err(format!(
                "{:?} is not one of the dataset's session values (such as \"AM & PM (continuous)\" or \"Closed\")",
                value.trim()
            ));
        }
    };
    Ok((DayHours::Open(spans), Some(words)))
}

/// Seven per-day values (Monday first; `None` for an empty cell) in one of
/// the per-day formats. Values not understood are returned, and their days'
/// hours are unknown. `None` when every day is empty.
pub fn per_day(format: HoursFormat, values: &[Option<String>]) -> (Option<Hours>, Vec<Unread>) {
    let mut rules = Vec::new();
    let mut unread = Vec::new();
    let mut any = false;
    for (k, value) in values.iter().enumerate().take(7) {
        let day = Days::one(WEEK[k]);
        let Some(value) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) else {
            rules.push(Rule::weekly(day, DayHours::Unknown));
            continue;
        };
        any = true;
        let read = match format {
            HoursFormat::LibrarySessions => library_session(value),
            _ => day_times(value).map(|h| (h, None)),
        };
        match read {
            Ok((hours, approximate)) => {
                let mut rule = Rule::weekly(day, hours);
                rule.approximate = approximate.map(str::to_string);
                rules.push(rule);
            }
            Err(reason) => {
                rules.push(Rule::weekly(day, DayHours::Unknown));
                unread.push(Unread {
                    day: Some(k),
                    value: value.to_string(),
                    reason,
                });
            }
        }
    }
    if !any {
        return (None, unread);
    }
    (
        Some(Hours::Week {
            rules,
            exceptions: Vec::new(),
        }),
        unread,
    )
}

/// One OpenStreetMap `opening_hours` value.
pub fn osm(value: &str) -> Result<Hours, String> {
    if value.chars().count() > MAX_VALUE_CHARS {
        return Err(format!("longer than {MAX_VALUE_CHARS} characters"));
    }
    Osm::parse(value.trim()).map(Hours::Osm)
}

/// An Open Referral UK schedule record (the fields the model uses).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct OrukSchedule {
    /// First date the schedule holds.
    pub valid_from: Option<String>,
    /// Last date the schedule holds.
    pub valid_to: Option<String>,
    /// Start of the recurrence (anchors `interval`).
    pub dtstart: Option<String>,
    /// `WEEKLY` or `MONTHLY` (iCalendar).
    pub freq: Option<String>,
    /// Every this many weeks or months.
    pub interval: Option<Value>,
    /// Days: `MO,TU`, or with a week of the month, `1SA`, `-1FR`.
    pub byday: Option<String>,
    /// Days of the month: `1,15`.
    pub bymonthday: Option<String>,
    /// Opens, `HH:MM[:SS]`.
    pub opens_at: Option<String>,
    /// Closes, `HH:MM[:SS]`.
    pub closes_at: Option<String>,
    /// Words, shown when the times are missing.
    pub description: Option<String>,
}

fn date(field: &str, text: &Option<String>) -> Result<Option<NaiveDate>, String> {
    match text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => NaiveDate::parse_from_str(t.get(..10).unwrap_or(t), "%Y-%m-%d")
            .map(Some)
            .map_err(|_| format!("{field} {t:?} is not a date (YYYY-MM-DD)")),
    }
}

fn oruk_time(field: &str, text: &str) -> Result<u16, String> {
    // "10:00", "10:00:00", "10:00:00+01:00" or "10:00:00Z": local wall time.
    let t = text.trim();
    let core = t.get(..5).filter(|c| c.len() == 5).unwrap_or(t);
    clock(core).ok_or_else(|| format!("{field} {t:?} is not a time (HH:MM)"))
}

fn weekday(code: &str) -> Option<Weekday> {
    Some(match code {
        "MO" => Weekday::Mon,
        "TU" => Weekday::Tue,
        "WE" => Weekday::Wed,
        "TH" => Weekday::Thu,
        "FR" => Weekday::Fri,
        "SA" => Weekday::Sat,
        "SU" => Weekday::Sun,
        _ => return None,
    })
}

/// One schedule record as rules (one per week-of-month prefix in `byday`).
fn oruk_rules(s: &OrukSchedule) -> Result<Vec<Rule>, String> {
    let valid_from = date("valid_from", &s.valid_from)?;
    let valid_to = date("valid_to", &s.valid_to)?;
    if let (Some(f), Some(t)) = (valid_from, valid_to)
        && t < f
    {
        return Err(format!("valid_to {t} is before valid_from {f}"));
    }
    let freq = s.freq.as_deref().map(|f| f.trim().to_ascii_uppercase());
    let monthly = match freq.as_deref() {
        None | Some("") | Some("WEEKLY") => false,
        Some("MONTHLY") => true,
        Some(other) => return Err(format!("freq {other:?} is not WEEKLY or MONTHLY")),
    };
    let interval = match &s.interval {
        None | Some(Value::Null) => 1,
        Some(Value::Number(n)) => n
            .as_u64()
            .filter(|n| (1..=52).contains(n))
            .ok_or("interval must be a whole number from 1 to 52")?,
        Some(Value::String(t)) => t
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|n| (1..=52).contains(n))
            .ok_or("interval must be a whole number from 1 to 52")?,
        Some(_) => return Err("interval must be a whole number from 1 to 52".into()),
    };
    if monthly && interval > 1 {
        return Err("a MONTHLY schedule with an interval over 1 is not supported".into());
    }
    let every_weeks = if !monthly && interval > 1 {
        let anchor = date("dtstart", &s.dtstart)?
            .or(valid_from)
            .ok_or("a schedule every few weeks needs dtstart or valid_from")?;
        Some((interval as u8, anchor))
    } else {
        None
    };
    let month_days = match s
        .bymonthday
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        None => None,
        Some(list) => {
            let mut mask = 0u32;
            for d in list.split(',') {
                let n: u32 = d
                    .trim()
                    .parse()
                    .ok()
                    .filter(|n| (1..=31).contains(n))
                    .ok_or_else(|| format!("bymonthday {d:?} is not a day of the month"))?;
                mask |= 1 << n;
            }
            Some(mask)
        }
    };
    let hours = match (s.opens_at.as_deref(), s.closes_at.as_deref()) {
        (Some(o), Some(c)) if !o.trim().is_empty() && !c.trim().is_empty() => {
            let open = oruk_time("opens_at", o)?;
            let close = oruk_time("closes_at", c)?;
            if open == close {
                return Err("opens_at and closes_at are the same".into());
            }
            DayHours::Open(vec![
                Span::new(open, close).ok_or("the times are out of range")?,
            ])
        }
        (None, None) => DayHours::Unknown,
        (Some(o), Some(c)) if o.trim().is_empty() && c.trim().is_empty() => DayHours::Unknown,
        _ => return Err("gives opens_at or closes_at without the other".into()),
    };
    // Days, grouped by week-of-month prefix.
    let mut groups: Vec<(Option<i8>, Days)> = Vec::new();
    let byday = s.byday.as_deref().map(str::trim).unwrap_or("");
    if byday.is_empty() {
        if month_days.is_none() {
            return Err("byday is empty: which days does it hold?".into());
        }
        groups.push((None, Days::ALL));
    }
    for code in byday.split(',').map(str::trim).filter(|c| !c.is_empty()) {
        let code = code.to_ascii_uppercase();
        let split = code.len().saturating_sub(2);
        let (prefix, day) = code.split_at(split);
        let day =
            weekday(day).ok_or_else(|| format!("byday {code:?} is not a day such as MO or 1SA"))?;
        let nth = if prefix.is_empty() {
            None
        } else {
            let n: i8 = prefix
                .trim_start_matches('+')
                .parse()
                .map_err(|_| format!("byday {code:?} is not a day such as MO or 1SA"))?;
            if !(n == -1 || (1..=5).contains(&n)) {
                return Err(format!(
                    "byday {code:?}: the week of the month must be 1 to 5 or -1"
                ));
            }
            if !monthly {
                return Err(format!(
                    "byday {code:?} names a week of the month, but freq is not MONTHLY"
                ));
            }
            Some(n)
        };
        match groups.iter_mut().find(|(p, _)| *p == nth) {
            Some((_, days)) => *days = days.with(day),
            None => groups.push((nth, Days::one(day))),
        }
    }
    Ok(groups
        .into_iter()
        .map(|(nth, days)| Rule {
            days,
            nth,
            month_days,
            every_weeks,
            hours: hours.clone(),
            valid_from,
            valid_to,
            approximate: None,
        })
        .collect())
}

/// Open Referral UK schedules (a JSON array of schedule records, or one).
/// Dates outside every schedule's `valid_from`..`valid_to` are unknown;
/// days no schedule names, on dates some schedule holds, are closed.
pub fn oruk_schedules(schedules: &[OrukSchedule]) -> Result<Hours, String> {
    let mut rules = Vec::new();
    for (k, s) in schedules.iter().enumerate() {
        let mut r = oruk_rules(s).map_err(|e| format!("schedule {}: {e}", k + 1))?;
        rules.append(&mut r);
    }
    Ok(Hours::Week {
        rules,
        exceptions: Vec::new(),
    })
}

/// Open Referral UK schedules as JSON text.
pub fn oruk_json(text: &str) -> Result<Hours, String> {
    if text.len() > 64 * 1024 {
        return Err("longer than 64 KiB".into());
    }
    let value: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let list = match value {
        Value::Array(items) => items,
        one @ Value::Object(_) => vec![one],
        _ => return Err("not a schedule record or an array of them".into()),
    };
    let schedules: Vec<OrukSchedule> = list
        .into_iter()
        .map(serde_json::from_value)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("not a schedule record: {e}"))?;
    oruk_schedules(&schedules)
}

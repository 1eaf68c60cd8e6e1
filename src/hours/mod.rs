//! Opening hours as one model: a week of rules (days, times, the dates they
//! hold) plus dated exceptions, or an OpenStreetMap `opening_hours`
//! expression, each answering the same question: what are the opening
//! intervals on a given date, or are they not known? Whether a place is open
//! at an instant, when it closes and when it next opens all follow from that,
//! in Europe/London wall-clock time (see [`london`]).
//!
//! Every source's format is read into this model by [`parse`]; see
//! `docs/methods.md` ("Opening hours") for what each source's values are
//! taken to mean.

pub mod english;
pub mod london;
pub mod parse;

use std::fmt;
use std::sync::Arc;

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Timelike, Weekday};
use serde::{Deserialize, Serialize};

/// Minutes in a day.
pub const DAY_MIN: u16 = 1440;

/// How many days ahead the next opening is looked for (five weeks, so a
/// monthly session is found).
pub const LOOKAHEAD_DAYS: i64 = 35;

/// One opening interval on a day, in minutes after local midnight. The close
/// may pass midnight (`close_min` > 1440) into the next day. Stored as text,
/// `09:00-17:30` (a close at or before the open is after midnight).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Span {
    /// Opens, minutes after midnight (0..1440).
    pub open_min: u16,
    /// Closes, minutes after the same midnight (open_min < close_min <= open_min + 1440).
    pub close_min: u16,
}

impl Span {
    /// A span from clock times; a close at or before the open is taken to
    /// be after midnight. `None` when the times are out of range.
    pub fn new(open_min: u16, close_min: u16) -> Option<Span> {
        if open_min >= DAY_MIN || close_min > DAY_MIN {
            return None;
        }
        let close_min = if close_min <= open_min {
            close_min + DAY_MIN
        } else {
            close_min
        };
        Some(Span {
            open_min,
            close_min,
        })
    }
}

impl TryFrom<String> for Span {
    type Error = String;
    fn try_from(text: String) -> Result<Span, String> {
        match parse::day_times(&text)? {
            DayHours::Open(spans) if spans.len() == 1 => Ok(spans[0]),
            _ => Err(format!("{text:?} is not one time range")),
        }
    }
}

impl From<Span> for String {
    fn from(s: Span) -> String {
        s.to_string()
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hm = |m: u16| format!("{:02}:{:02}", (m / 60) % 24, m % 60);
        let close = if self.close_min == DAY_MIN {
            "24:00".to_string()
        } else {
            hm(self.close_min)
        };
        write!(f, "{}-{close}", hm(self.open_min))
    }
}

/// A set of weekdays, Monday in bit 0.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Days(pub u8);

impl Days {
    /// Every day.
    pub const ALL: Days = Days(0x7f);

    /// One day.
    pub fn one(day: Weekday) -> Days {
        Days(1 << day.num_days_from_monday())
    }

    /// Whether it holds a day.
    pub fn has(self, day: Weekday) -> bool {
        self.0 & (1 << day.num_days_from_monday()) != 0
    }

    /// Adds a day.
    pub fn with(self, day: Weekday) -> Days {
        Days(self.0 | Days::one(day).0)
    }
}

/// What a rule says of the days it covers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayHours {
    /// Open in these intervals (none: closed all day).
    Open(Vec<Span>),
    /// The source says something, but not when (e.g. "Varied by schedule").
    Unknown,
}

/// A weekly rule: these days, these hours, between these dates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    /// The weekdays it covers.
    pub days: Days,
    /// Only that week of the month: 1 to 5, or -1 for the last (ORUK
    /// `byday` such as `1SA`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nth: Option<i8>,
    /// Only these days of the month (bit 1 for the 1st).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub month_days: Option<u32>,
    /// Every this many weeks counted from `anchor` (fortnightly is 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub every_weeks: Option<(u8, NaiveDate)>,
    /// The hours on those days.
    pub hours: DayHours,
    /// First date it holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<NaiveDate>,
    /// Last date it holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<NaiveDate>,
    /// When the source gives only parts of the day (mornings, afternoons),
    /// those words: the times are then the documented approximations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approximate: Option<String>,
}

impl Rule {
    /// A rule for some weekdays, at all dates.
    pub fn weekly(days: Days, hours: DayHours) -> Rule {
        Rule {
            days,
            nth: None,
            month_days: None,
            every_weeks: None,
            hours,
            valid_from: None,
            valid_to: None,
            approximate: None,
        }
    }

    fn in_force(&self, date: NaiveDate) -> bool {
        self.valid_from.is_none_or(|f| date >= f) && self.valid_to.is_none_or(|t| date <= t)
    }

    fn covers(&self, date: NaiveDate) -> bool {
        if !self.days.has(date.weekday()) {
            return false;
        }
        if let Some(nth) = self.nth {
            let week = (date.day0() / 7) as i8 + 1;
            let last = (date + Duration::days(7)).month() != date.month();
            if !(week == nth || (nth == -1 && last)) {
                return false;
            }
        }
        if let Some(mask) = self.month_days
            && mask & (1 << date.day()) == 0
        {
            return false;
        }
        if let Some((every, anchor)) = self.every_weeks {
            let weeks = (date - anchor).num_days().div_euclid(7);
            if every > 1 && weeks.rem_euclid(i64::from(every)) != 0 {
                return false;
            }
        }
        true
    }
}

/// Dates with their own hours (a bank holiday, a closure for works).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exception {
    /// First date.
    pub from: NaiveDate,
    /// Last date.
    pub to: NaiveDate,
    /// The hours on those dates.
    pub hours: DayHours,
}

/// An OpenStreetMap `opening_hours` expression, kept with its text.
#[derive(Clone)]
pub struct Osm {
    text: String,
    parsed: Arc<opening_hours::OpeningHours>,
}

impl fmt::Debug for Osm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Osm({:?})", self.text)
    }
}

impl PartialEq for Osm {
    fn eq(&self, other: &Osm) -> bool {
        self.text == other.text
    }
}

impl Osm {
    /// Parses an expression; the error is one line.
    pub fn parse(text: &str) -> Result<Osm, String> {
        let parsed = text.parse::<opening_hours::OpeningHours>().map_err(|e| {
            let message = e.to_string();
            let last = message
                .lines()
                .map(str::trim)
                .rfind(|l| l.starts_with('='))
                .map(|l| l.trim_start_matches('=').trim().to_string());
            last.unwrap_or_else(|| "not OpenStreetMap opening_hours syntax".into())
        })?;
        Ok(Osm {
            text: text.to_string(),
            parsed: Arc::new(parsed),
        })
    }

    /// The expression as given.
    pub fn text(&self) -> &str {
        &self.text
    }

    fn day(&self, date: NaiveDate) -> Day {
        use opening_hours::RuleKind;
        let start = date.and_hms_opt(0, 0, 0).unwrap_or_default();
        let end = start + Duration::days(1);
        let mut spans = Vec::new();
        for range in self.parsed.iter_range(start, end) {
            let from = (range.range.start - start).num_minutes().clamp(0, 1440) as u16;
            let to = (range.range.end - start).num_minutes().clamp(0, 1440) as u16;
            match range.kind {
                RuleKind::Open if to > from => spans.push(Span {
                    open_min: from,
                    close_min: to,
                }),
                RuleKind::Unknown => return Day::Unknown,
                _ => {}
            }
        }
        Day::Known {
            spans,
            approximate: None,
        }
    }
}

/// A place's opening hours.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Stored", into = "Stored")]
pub enum Hours {
    /// Weekly rules and exceptions.
    Week {
        /// The rules; where several cover a date their intervals add up.
        rules: Vec<Rule>,
        /// Dates whose hours replace the rules'.
        exceptions: Vec<Exception>,
    },
    /// An OpenStreetMap expression.
    Osm(Osm),
}

/// How hours are stored in the catalog (JSON).
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Stored {
    Week {
        rules: Vec<Rule>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        exceptions: Vec<Exception>,
    },
    Osm(String),
}

impl TryFrom<Stored> for Hours {
    type Error = String;
    fn try_from(s: Stored) -> Result<Hours, String> {
        Ok(match s {
            Stored::Week { rules, exceptions } => Hours::Week { rules, exceptions },
            Stored::Osm(text) => Hours::Osm(Osm::parse(&text)?),
        })
    }
}

impl From<Hours> for Stored {
    fn from(h: Hours) -> Stored {
        match h {
            Hours::Week { rules, exceptions } => Stored::Week { rules, exceptions },
            Hours::Osm(o) => Stored::Osm(o.text),
        }
    }
}

/// What the hours say of one date.
#[derive(Debug, Clone, PartialEq)]
pub enum Day {
    /// Not known.
    Unknown,
    /// Open in these intervals, sorted and merged (none: closed).
    Known {
        /// The intervals.
        spans: Vec<Span>,
        /// Set when the times are approximations of parts of the day.
        approximate: Option<String>,
    },
}

/// A quick look at a moment: open, opening later that day, closed, or not
/// known (exact and approximate hours alike).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Glance {
    /// Open.
    Open,
    /// Closed now, opening later the same day.
    OpensLaterToday,
    /// Closed for the rest of the day.
    Closed,
    /// Not known.
    Unknown,
}

/// Whether a place is open at a moment, and until or from when.
#[derive(Debug, Clone, PartialEq)]
pub enum OpenState {
    /// Open now.
    Open {
        /// When it closes (local time); `None` when it does not within a week.
        closes_at: Option<NaiveDateTime>,
        /// Set when the hours are approximate (the parts of the day).
        approximate: Option<String>,
    },
    /// Closed now.
    Closed {
        /// When it next opens (local time); `None` when not known within
        /// five weeks.
        opens_at: Option<NaiveDateTime>,
        /// Set when being closed now is itself an approximation (between
        /// approximate sessions); a day the source says is closed is not.
        approximate: Option<String>,
        /// Set when the next opening is an approximate time.
        opens_approximately: bool,
    },
    /// The hours are not known for now.
    Unknown,
}

impl OpenState {
    /// `Some(true)` open, `Some(false)` closed, `None` not known, by exact hours.
    /// Approximate hours give `None`: they cannot say "open" for certain.
    pub fn open_now(&self) -> Option<bool> {
        match self {
            OpenState::Open {
                approximate: None, ..
            } => Some(true),
            OpenState::Closed {
                approximate: None, ..
            } => Some(false),
            _ => None,
        }
    }

    /// The state's name as served: `open`, `closed`, `probably_open`,
    /// `probably_closed` or `unknown`.
    pub fn name(&self) -> &'static str {
        match self {
            OpenState::Open {
                approximate: None, ..
            } => "open",
            OpenState::Open { .. } => "probably_open",
            OpenState::Closed {
                approximate: None, ..
            } => "closed",
            OpenState::Closed { .. } => "probably_closed",
            OpenState::Unknown => "unknown",
        }
    }

    /// Whether it is open now or opens later on the same date as `now`.
    pub fn open_today(&self, now: NaiveDateTime) -> bool {
        match self {
            OpenState::Open { .. } => true,
            OpenState::Closed {
                opens_at: Some(at), ..
            } => at.date() == now.date(),
            _ => false,
        }
    }

    /// A sentence for residents: "Open now, closes 17:30", "Closed, opens
    /// Monday 09:00", "Hours not known: call first".
    pub fn sentence(&self, now: NaiveDateTime) -> String {
        let when = |at: NaiveDateTime| -> String {
            let time = format!("{:02}:{:02}", at.hour(), at.minute());
            let days = (at.date() - now.date()).num_days();
            match days {
                0 => time,
                1 => format!("tomorrow {time}"),
                2..=6 => format!("{} {time}", london::weekday_name(at.weekday())),
                _ => format!(
                    "{} {} {time}",
                    london::weekday_name(at.weekday()),
                    at.format("%-d %B")
                ),
            }
        };
        match self {
            OpenState::Open {
                closes_at,
                approximate: None,
            } => match closes_at {
                Some(at) => format!("Open now, closes {}", when(*at)),
                None => "Open now, 24 hours".into(),
            },
            OpenState::Closed {
                opens_at,
                approximate: None,
                opens_approximately,
            } => match opens_at {
                Some(at) if *opens_approximately => format!(
                    "Closed, usually opens {} (times not published)",
                    approximate_day(*at, now)
                ),
                Some(at) => format!("Closed, opens {}", when(*at)),
                None => "Closed, next opening not known: call first".into(),
            },
            OpenState::Open {
                approximate: Some(parts),
                ..
            } => {
                format!("Probably open now: usually open {parts} (times not published), call first")
            }
            OpenState::Closed {
                approximate: Some(_),
                opens_at,
                ..
            } => match opens_at {
                Some(at) => format!(
                    "Probably closed: usually opens {} (times not published), call first",
                    approximate_day(*at, now)
                ),
                None => "Probably closed: call first".into(),
            },
            OpenState::Unknown => "Hours not known: call first".into(),
        }
    }
}

/// "later today in the afternoon", "tomorrow morning", "on Monday morning",
/// for approximate next openings.
fn approximate_day(at: NaiveDateTime, now: NaiveDateTime) -> String {
    let part = match at.hour() {
        0..=11 => "morning",
        12..=16 => "afternoon",
        _ => "evening",
    };
    match (at.date() - now.date()).num_days() {
        0 => format!("later today, in the {part}"),
        1 => format!("tomorrow {part}"),
        _ => format!("on {} {part}", london::weekday_name(at.weekday())),
    }
}

fn merge(mut spans: Vec<Span>) -> Vec<Span> {
    spans.sort();
    let mut out: Vec<Span> = Vec::with_capacity(spans.len());
    for s in spans {
        match out.last_mut() {
            Some(last) if s.open_min <= last.close_min => {
                last.close_min = last.close_min.max(s.close_min);
            }
            _ => out.push(s),
        }
    }
    out
}

impl Hours {
    /// What the hours say of a date.
    pub fn day(&self, date: NaiveDate) -> Day {
        match self {
            Hours::Osm(o) => o.day(date),
            Hours::Week { rules, exceptions } => {
                if let Some(e) = exceptions.iter().find(|e| e.from <= date && date <= e.to) {
                    return match &e.hours {
                        DayHours::Open(spans) => Day::Known {
                            spans: merge(spans.clone()),
                            approximate: None,
                        },
                        DayHours::Unknown => Day::Unknown,
                    };
                }
                let mut in_force = rules.iter().filter(|r| r.in_force(date)).peekable();
                if in_force.peek().is_none() {
                    return Day::Unknown;
                }
                let mut spans = Vec::new();
                let mut approximate = None;
                for rule in in_force.filter(|r| r.covers(date)) {
                    match &rule.hours {
                        DayHours::Unknown => return Day::Unknown,
                        DayHours::Open(s) => spans.extend_from_slice(s),
                    }
                    if rule.approximate.is_some()
                        && !matches!(&rule.hours, DayHours::Open(s) if s.is_empty())
                    {
                        approximate.clone_from(&rule.approximate);
                    }
                }
                Day::Known {
                    spans: merge(spans),
                    approximate,
                }
            }
        }
    }

    /// Whether the place is open at a local time, looking only at that day
    /// and the day before (no search for the next opening or closing): what
    /// a filter needs, for every candidate it looks at.
    pub fn glance(&self, now: NaiveDateTime) -> Glance {
        self.look(now).0
    }

    /// The glance, with the approximation words of the day it comes from.
    fn look(&self, now: NaiveDateTime) -> (Glance, Option<String>) {
        let today = now.date();
        let minute = (now.hour() * 60 + now.minute()) as u16;
        // Open since yesterday, past midnight?
        if let Some(Day::Known { spans, approximate }) = today.pred_opt().map(|d| self.day(d))
            && spans
                .iter()
                .any(|s| minute + DAY_MIN >= s.open_min && minute + DAY_MIN < s.close_min)
        {
            return (Glance::Open, approximate);
        }
        match self.day(today) {
            Day::Unknown => (Glance::Unknown, None),
            Day::Known { spans, approximate } => {
                let glance = if spans
                    .iter()
                    .any(|s| s.open_min <= minute && minute < s.close_min)
                {
                    Glance::Open
                } else if spans.iter().any(|s| s.open_min > minute) {
                    Glance::OpensLaterToday
                } else {
                    Glance::Closed
                };
                (glance, approximate)
            }
        }
    }

    /// Whether the place is open at a local time, and until or from when.
    pub fn state_at(&self, now: NaiveDateTime) -> OpenState {
        match self.look(now) {
            (Glance::Unknown, _) => OpenState::Unknown,
            (Glance::Open, approximate) => OpenState::Open {
                closes_at: self.closing(now),
                approximate,
            },
            (Glance::OpensLaterToday | Glance::Closed, approximate) => {
                let (opens_at, later) = self.opening(now);
                OpenState::Closed {
                    opens_at,
                    approximate,
                    opens_approximately: later.is_some(),
                }
            }
        }
    }

    /// The open intervals from the day before `now` to `days` days after,
    /// as local times, merged across midnight; stops at an unknown day.
    fn timeline(
        &self,
        now: NaiveDateTime,
        days: i64,
    ) -> Vec<(NaiveDateTime, NaiveDateTime, Option<String>)> {
        let mut out: Vec<(NaiveDateTime, NaiveDateTime, Option<String>)> = Vec::new();
        for k in -1..=days {
            let date = now.date() + Duration::days(k);
            let Day::Known { spans, approximate } = self.day(date) else {
                if k >= 0 {
                    break;
                }
                continue;
            };
            let midnight = date.and_hms_opt(0, 0, 0).unwrap_or_default();
            for s in spans {
                let from = midnight + Duration::minutes(i64::from(s.open_min));
                let to = midnight + Duration::minutes(i64::from(s.close_min));
                match out.last_mut() {
                    Some(last) if from <= last.1 => last.1 = last.1.max(to),
                    _ => out.push((from, to, approximate.clone())),
                }
            }
        }
        out
    }

    fn closing(&self, now: NaiveDateTime) -> Option<NaiveDateTime> {
        let horizon = now + Duration::days(7);
        self.timeline(now, 8)
            .into_iter()
            .find(|(from, to, _)| *from <= now && now < *to)
            .map(|(_, to, _)| to)
            .filter(|to| *to < horizon)
    }

    fn opening(&self, now: NaiveDateTime) -> (Option<NaiveDateTime>, Option<String>) {
        match self
            .timeline(now, LOOKAHEAD_DAYS)
            .into_iter()
            .find(|(from, _, _)| *from > now)
        {
            Some((from, _, approximate)) => (Some(from), approximate),
            None => (None, None),
        }
    }

    /// The hours of the week that holds `date` (Monday first), for printing:
    /// each day's intervals, or `None` when not known.
    pub fn week_of(&self, date: NaiveDate) -> Vec<(NaiveDate, Day)> {
        let monday = date - Duration::days(i64::from(date.weekday().num_days_from_monday()));
        (0..7)
            .map(|k| {
                let d = monday + Duration::days(k);
                (d, self.day(d))
            })
            .collect()
    }
}

/// The week holding `date`, days with the same hours run together:
/// [("Monday to Friday", "08:30-13:00, 14:00-17:30"), ("Saturday", "09:00-12:30"),
/// ("Sunday", "closed")].
/// With `short`, days are abbreviated: ("Mon–Fri", …), ("Sat", …).
pub fn week_summary(hours: &Hours, date: NaiveDate, short: bool) -> Vec<(String, String)> {
    let days: Vec<(NaiveDate, String)> = hours
        .week_of(date)
        .into_iter()
        .map(|(d, day)| (d, day_text(&day)))
        .collect();
    let mut out: Vec<(String, String)> = Vec::new();
    let mut k = 0;
    while k < days.len() {
        let mut j = k;
        while j + 1 < days.len() && days[j + 1].1 == days[k].1 {
            j += 1;
        }
        let name = |d: NaiveDate| {
            let full = london::weekday_name(d.weekday());
            if short { &full[..3] } else { full }
        };
        let (first, last) = (name(days[k].0), name(days[j].0));
        let label = match (j - k, short) {
            (0, _) => first.to_string(),
            (1, false) => format!("{first} and {last}"),
            (1, true) => format!("{first}, {last}"),
            (_, false) => format!("{first} to {last}"),
            (_, true) => format!("{first}–{last}"),
        };
        out.push((label, days[k].1.clone()));
        k = j + 1;
    }
    out
}

/// One day's hours as text: "09:00-13:00, 14:00-17:30", "closed", "not known"
/// (approximate ones name the parts of the day).
pub fn day_text(day: &Day) -> String {
    match day {
        Day::Unknown => "not known".into(),
        Day::Known { spans, .. } if spans.is_empty() => "closed".into(),
        Day::Known {
            approximate: Some(parts),
            ..
        } => parts.clone(),
        Day::Known { spans, .. } => spans
            .iter()
            .map(Span::to_string)
            .collect::<Vec<_>>()
            .join(", "),
    }
}

#[cfg(test)]
mod tests;

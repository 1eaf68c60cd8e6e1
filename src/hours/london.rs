//! Europe/London wall-clock time.
//!
//! Great Britain keeps GMT in winter and BST (GMT+1) in summer. By the Summer
//! Time Order 2002, summer time begins at 01:00 GMT on the last Sunday of
//! March and ends at 01:00 GMT on the last Sunday of October; the rule has
//! been the same since 1998 (1996 in the EU). Opening hours are wall-clock
//! times, so every comparison is made in local time and only the answers are
//! turned back into instants.

use chrono::{
    DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveDateTime, Offset, Utc, Weekday,
};

const HOUR_S: i32 = 3600;

fn last_sunday(year: i32, month: u32) -> NaiveDate {
    // The last day of the month, then back to a Sunday.
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    };
    let last = next.and_then(|d| d.pred_opt()).unwrap_or(NaiveDate::MIN);
    let back = last.weekday().num_days_from_sunday();
    last - Duration::days(i64::from(back))
}

/// When summer time begins and ends in `year`, as UTC wall times.
pub fn summer_time(year: i32) -> (NaiveDateTime, NaiveDateTime) {
    let at_one = |d: NaiveDate| d.and_hms_opt(1, 0, 0).unwrap_or_default();
    (at_one(last_sunday(year, 3)), at_one(last_sunday(year, 10)))
}

/// The offset from UTC in force at a UTC time.
pub fn offset_at(utc: NaiveDateTime) -> FixedOffset {
    let (begins, ends) = summer_time(utc.year());
    if utc >= begins && utc < ends {
        FixedOffset::east_opt(HOUR_S).unwrap_or(Utc.fix())
    } else {
        Utc.fix()
    }
}

/// The London wall-clock time at an instant.
pub fn to_local(at: DateTime<Utc>) -> NaiveDateTime {
    let utc = at.naive_utc();
    utc + Duration::seconds(i64::from(offset_at(utc).local_minus_utc()))
}

/// The instant a London wall-clock time names, with its offset. In October's
/// repeated hour the first (BST) is meant; a time in March's skipped hour is
/// read as GMT, which is an hour later on the clock (01:30 is 02:30 BST), as
/// a clock put forward shows.
pub fn from_local(local: NaiveDateTime) -> DateTime<FixedOffset> {
    let if_bst = local - Duration::seconds(i64::from(HOUR_S));
    let utc = if offset_at(if_bst).local_minus_utc() == HOUR_S {
        if_bst
    } else {
        local
    };
    DateTime::<Utc>::from_naive_utc_and_offset(utc, Utc).with_timezone(&offset_at(utc))
}

/// Reads a time for "open at": RFC 3339 with an offset or `Z`
/// (`2026-12-05T18:00:00Z`), or a London wall time without one
/// (`2026-12-05T18:00`), as London wall time. Years 1900 to 2199.
pub fn parse_time(text: &str) -> Result<NaiveDateTime, String> {
    let t = text.trim();
    if t.len() > 40 {
        return Err("is longer than 40 characters".into());
    }
    let local = if let Ok(at) = DateTime::parse_from_rfc3339(t) {
        to_local(at.with_timezone(&Utc))
    } else {
        [
            "%Y-%m-%dT%H:%M:%S",
            "%Y-%m-%dT%H:%M",
            "%Y-%m-%d %H:%M:%S",
            "%Y-%m-%d %H:%M",
        ]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())
        .ok_or_else(|| {
            format!(
                "{t:?} is not a time such as 2026-12-05T18:00 (London time) or 2026-12-05T18:00:00Z"
            )
        })?
    };
    if !(1900..2200).contains(&local.year()) {
        return Err(format!("{t:?} is outside the years 1900 to 2199"));
    }
    Ok(local)
}

/// The English name of a weekday.
pub fn weekday_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        text.parse::<DateTime<Utc>>()
            .unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn local(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M")
            .unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn summer_time_begins_and_ends_on_the_last_sundays() {
        // 2026: 29 March and 25 October; 2027: 28 March and 31 October.
        assert_eq!(
            summer_time(2026),
            (local("2026-03-29T01:00"), local("2026-10-25T01:00"))
        );
        assert_eq!(
            summer_time(2027),
            (local("2027-03-28T01:00"), local("2027-10-31T01:00"))
        );
    }

    #[test]
    fn local_time_follows_the_clock_changes() {
        assert_eq!(
            to_local(utc("2026-03-29T00:59:00Z")),
            local("2026-03-29T00:59")
        );
        assert_eq!(
            to_local(utc("2026-03-29T01:00:00Z")),
            local("2026-03-29T02:00")
        );
        assert_eq!(
            to_local(utc("2026-07-01T12:00:00Z")),
            local("2026-07-01T13:00")
        );
        assert_eq!(
            to_local(utc("2026-10-25T00:59:00Z")),
            local("2026-10-25T01:59")
        );
        assert_eq!(
            to_local(utc("2026-10-25T01:00:00Z")),
            local("2026-10-25T01:00")
        );
        assert_eq!(
            to_local(utc("2026-12-05T18:00:00Z")),
            local("2026-12-05T18:00")
        );
    }

    #[test]
    fn times_are_read_as_london_time() {
        assert_eq!(
            parse_time("2026-07-01T12:00:00Z"),
            Ok(local("2026-07-01T13:00"))
        );
        assert_eq!(
            parse_time("2026-07-01T13:00:00+01:00"),
            Ok(local("2026-07-01T13:00"))
        );
        assert_eq!(
            parse_time("2026-07-01T13:00"),
            Ok(local("2026-07-01T13:00"))
        );
        assert_eq!(
            parse_time("2026-12-05 18:00"),
            Ok(local("2026-12-05T18:00"))
        );
        assert!(parse_time("tomorrow").is_err());
        assert!(parse_time("0001-01-01T00:00").is_err());
        assert!(parse_time(&"9".repeat(41)).is_err());
    }

    #[test]
    fn wall_times_name_one_instant() {
        assert_eq!(
            from_local(local("2026-07-01T09:00")).to_rfc3339(),
            "2026-07-01T09:00:00+01:00"
        );
        assert_eq!(
            from_local(local("2026-12-01T09:00")).to_rfc3339(),
            "2026-12-01T09:00:00+00:00"
        );
        // October's repeated hour: the first one, in BST.
        assert_eq!(
            from_local(local("2026-10-25T01:30")).to_rfc3339(),
            "2026-10-25T01:30:00+01:00"
        );
        assert_eq!(
            from_local(local("2026-10-25T02:30")).to_rfc3339(),
            "2026-10-25T02:30:00+00:00"
        );
        // March's skipped hour is read as GMT: 01:30 GMT is 02:30 BST.
        assert_eq!(
            from_local(local("2026-03-29T01:30")).to_rfc3339(),
            "2026-03-29T02:30:00+01:00"
        );
        assert_eq!(
            from_local(local("2026-03-29T03:00")).to_rfc3339(),
            "2026-03-29T03:00:00+01:00"
        );
    }
}

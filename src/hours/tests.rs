//! Hand-worked cases for each format of hours.

use chrono::{DateTime, NaiveDateTime, Utc};

use super::parse::{self, HoursFormat};
use super::*;

fn local(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M").unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn at_utc(text: &str) -> NaiveDateTime {
    london::to_local(
        text.parse::<DateTime<Utc>>()
            .unwrap_or_else(|e| panic!("{text}: {e}")),
    )
}

fn week(values: [&str; 7]) -> Hours {
    let values: Vec<Option<String>> = values.iter().map(|v| Some(v.to_string())).collect();
    let (hours, unread) = parse::per_day(HoursFormat::DayTimes, &values);
    assert!(unread.is_empty(), "{unread:?}");
    hours.unwrap_or_else(|| panic!("no hours"))
}

fn sessions(values: [&str; 7]) -> Hours {
    let values: Vec<Option<String>> = values.iter().map(|v| Some(v.to_string())).collect();
    let (hours, unread) = parse::per_day(HoursFormat::LibrarySessions, &values);
    assert!(unread.is_empty(), "{unread:?}");
    hours.unwrap_or_else(|| panic!("no hours"))
}

/// A1 Pharmacy, Bolton, as the GM pharmacy list gives it.
fn a1_pharmacy() -> Hours {
    let weekday = "08:30-13:00,14:00-17:30";
    week([
        weekday,
        weekday,
        weekday,
        weekday,
        weekday,
        "09:00-12:30",
        "CLOSED",
    ])
}

#[test]
fn a_split_day_is_closed_over_lunch() {
    let h = a1_pharmacy();
    // Tuesday 1 December 2026.
    let noon = local("2026-12-01T12:00");
    let s = h.state_at(noon);
    assert_eq!(
        s,
        OpenState::Open {
            closes_at: Some(local("2026-12-01T13:00")),
            approximate: None
        }
    );
    assert_eq!(s.sentence(noon), "Open now, closes 13:00");
    let lunch = local("2026-12-01T13:30");
    let s = h.state_at(lunch);
    assert_eq!(s.open_now(), Some(false));
    assert_eq!(s.sentence(lunch), "Closed, opens 14:00");
    assert!(s.open_today(lunch));
    // Closing time is exclusive, opening inclusive.
    assert_eq!(
        h.state_at(local("2026-12-01T13:00")).open_now(),
        Some(false)
    );
    assert_eq!(h.state_at(local("2026-12-01T14:00")).open_now(), Some(true));
    let evening = local("2026-12-01T18:00");
    assert!(!h.state_at(evening).open_today(evening));
    assert_eq!(
        h.state_at(evening).sentence(evening),
        "Closed, opens tomorrow 08:30"
    );
}

#[test]
fn closed_days_skip_to_the_next_opening() {
    let h = a1_pharmacy();
    // Saturday 5 December 2026, after it shuts at 12:30: Sunday is CLOSED.
    let saturday = local("2026-12-05T18:00");
    let s = h.state_at(saturday);
    assert_eq!(
        s,
        OpenState::Closed {
            opens_at: Some(local("2026-12-07T08:30")),
            approximate: None,
            opens_approximately: false
        }
    );
    assert_eq!(s.sentence(saturday), "Closed, opens Monday 08:30");
    assert_eq!(
        h.day(local("2026-12-06T00:00").date()),
        Day::Known {
            spans: vec![],
            approximate: None
        }
    );
    assert_eq!(day_text(&h.day(local("2026-12-06T00:00").date())), "closed");
    assert_eq!(
        day_text(&h.day(local("2026-12-07T00:00").date())),
        "08:30-13:00, 14:00-17:30"
    );
}

#[test]
fn a_day_past_midnight_runs_into_the_next() {
    // Open 17:00 to 01:00 on Fridays only.
    let h = week([
        "CLOSED",
        "CLOSED",
        "CLOSED",
        "CLOSED",
        "17:00-01:00",
        "CLOSED",
        "CLOSED",
    ]);
    let friday_late = local("2026-12-04T23:30");
    assert_eq!(
        h.state_at(friday_late),
        OpenState::Open {
            closes_at: Some(local("2026-12-05T01:00")),
            approximate: None
        }
    );
    assert_eq!(
        h.state_at(friday_late).sentence(friday_late),
        "Open now, closes tomorrow 01:00"
    );
    // Saturday 00:30 is still Friday's session, though Saturday is CLOSED.
    assert_eq!(h.state_at(local("2026-12-05T00:30")).open_now(), Some(true));
    assert_eq!(
        h.state_at(local("2026-12-05T01:00")).open_now(),
        Some(false)
    );
    assert_eq!(
        h.state_at(local("2026-12-05T01:00")),
        OpenState::Closed {
            opens_at: Some(local("2026-12-11T17:00")),
            approximate: None,
            opens_approximately: false
        }
    );
    // Every day to midnight and from midnight: open through, 24 hours.
    let always = week(["00:00-24:00"; 7]);
    let s = always.state_at(local("2026-12-01T03:00"));
    assert_eq!(
        s,
        OpenState::Open {
            closes_at: None,
            approximate: None
        }
    );
    assert_eq!(s.sentence(local("2026-12-01T03:00")), "Open now, 24 hours");
    // Open to midnight, then from midnight the next day: closes at 02:00.
    let late = week([
        "09:00-24:00",
        "00:00-02:00",
        "CLOSED",
        "CLOSED",
        "CLOSED",
        "CLOSED",
        "CLOSED",
    ]);
    assert_eq!(
        late.state_at(local("2026-11-30T23:00")),
        OpenState::Open {
            closes_at: Some(local("2026-12-01T02:00")),
            approximate: None
        }
    );
}

#[test]
fn day_values_that_are_not_times_are_reported_and_that_day_is_unknown() {
    let values: Vec<Option<String>> = [
        "09:00-13:00:14:00-18:00",
        "09:00-18:00",
        "",
        "9-5",
        "12:00-11:00,10:00-12:00",
        "CLOSED",
        "closed",
    ]
    .iter()
    .map(|v| Some(v.to_string()))
    .collect();
    let (hours, unread) = parse::per_day(HoursFormat::DayTimes, &values);
    let hours = hours.unwrap_or_else(|| panic!("no hours"));
    let days: Vec<Option<usize>> = unread.iter().map(|u| u.day).collect();
    assert_eq!(days, vec![Some(0), Some(3), Some(4)]);
    assert_eq!(unread[0].value, "09:00-13:00:14:00-18:00");
    assert!(
        unread[0].reason.contains("not a time range"),
        "{}",
        unread[0].reason
    );
    // Monday (unread) and Wednesday (empty) are unknown; Tuesday is known.
    assert_eq!(
        hours.state_at(local("2026-11-30T10:00")),
        OpenState::Unknown
    );
    assert_eq!(
        hours.state_at(local("2026-12-02T10:00")),
        OpenState::Unknown
    );
    assert_eq!(
        hours.state_at(local("2026-12-01T10:00")).open_now(),
        Some(true)
    );
    // Tuesday evening: Wednesday is unknown, so the next opening is not known.
    assert_eq!(
        hours
            .state_at(local("2026-12-01T19:00"))
            .sentence(local("2026-12-01T19:00")),
        "Closed, next opening not known: call first"
    );
    // Seven empty cells are no hours at all.
    let (none, unread) = parse::per_day(
        HoursFormat::DayTimes,
        &[None, None, None, None, None, None, None],
    );
    assert!(none.is_none() && unread.is_empty());
}

#[test]
fn library_sessions_are_approximate_parts_of_the_day() {
    // Barking Learning Centre: Monday-Thursday "All Day", Friday-Sunday "AM & PM".
    let h = sessions([
        "All Day (continuous)",
        "All Day (continuous)",
        "All Day (continuous)",
        "All Day (continuous)",
        "AM & PM (continuous)",
        "AM & PM (with closure)",
        "Closed",
    ]);
    // AM & PM is 09:00-17:00: Friday 16:00 probably open, not "open".
    let friday = local("2026-12-04T16:00");
    let s = h.state_at(friday);
    assert_eq!(s.name(), "probably_open");
    assert_eq!(s.open_now(), None);
    assert_eq!(
        s.sentence(friday),
        "Probably open now: usually open morning and afternoon (times not published), call first"
    );
    // All day runs into the evening (to 19:00).
    assert_eq!(
        h.state_at(local("2026-11-30T18:30")).name(),
        "probably_open"
    );
    // With closure: 13:00-14:00 on Saturday is probably closed.
    let lunch = local("2026-12-05T13:30");
    assert_eq!(h.state_at(lunch).name(), "probably_closed");
    assert_eq!(
        h.state_at(lunch).sentence(lunch),
        "Probably closed: usually opens later today, in the afternoon (times not published), call first"
    );
    // Sunday is "Closed" for certain; Monday's opening is approximate.
    let sunday = local("2026-12-06T11:00");
    let s = h.state_at(sunday);
    assert_eq!(s.name(), "closed");
    assert_eq!(s.open_now(), Some(false));
    assert_eq!(
        s.sentence(sunday),
        "Closed, usually opens tomorrow morning (times not published)"
    );
    // The values mean what docs/methods.md says.
    let read = |v: &str| parse::library_session(v).unwrap_or_else(|e| panic!("{e}"));
    let spans = |v: &str| match read(v).0 {
        DayHours::Open(s) => s.iter().map(Span::to_string).collect::<Vec<_>>(),
        DayHours::Unknown => vec!["unknown".into()],
    };
    assert_eq!(spans("AM Only"), vec!["09:00-13:00"]);
    assert_eq!(spans("AM only"), vec!["09:00-13:00"]);
    assert_eq!(spans("PM Only"), vec!["13:00-17:00"]);
    assert_eq!(spans("Eve Only"), vec!["17:00-19:00"]);
    assert_eq!(spans("AM & PM (continuous)"), vec!["09:00-17:00"]);
    assert_eq!(spans("aM & PM (continuous)"), vec!["09:00-17:00"]);
    assert_eq!(
        spans("AM and PM with Closure"),
        vec!["09:00-13:00", "14:00-17:00"]
    );
    assert_eq!(spans("ALl Day (continuous)"), vec!["09:00-19:00"]);
    assert_eq!(
        spans("PM & EVE (with closure)"),
        vec!["13:00-17:00", "18:00-19:00"]
    );
    assert_eq!(spans("N/A Closed"), Vec::<String>::new());
    assert_eq!(spans("Varied by Schedule"), vec!["unknown"]);
    assert_eq!(spans("[Unknown]"), vec!["unknown"]);
    assert!(parse::library_session("Tuesdays").is_err());
}

#[test]
fn the_march_clock_change() {
    // Sunday 29 March 2026: clocks go forward at 01:00 GMT.
    let sunday = week([
        "CLOSED",
        "CLOSED",
        "CLOSED",
        "CLOSED",
        "CLOSED",
        "10:00-16:00",
        "10:00-16:00",
    ]);
    // 09:30 UTC on the Saturday is 09:30 on the clock: not yet open.
    let before = at_utc("2026-03-28T09:30:00Z");
    assert_eq!(sunday.state_at(before).open_now(), Some(false));
    // 09:30 UTC on the Sunday is 10:30 BST: open, closing 16:00 BST (15:00 UTC).
    let after = at_utc("2026-03-29T09:30:00Z");
    let s = sunday.state_at(after);
    let OpenState::Open {
        closes_at: Some(closes),
        ..
    } = s
    else {
        panic!("{s:?}")
    };
    assert_eq!(
        london::from_local(closes).to_rfc3339(),
        "2026-03-29T16:00:00+01:00"
    );
    // An opening in the skipped hour (01:00-02:00) still happens, at 02:00 on the clock.
    let night = week([
        "CLOSED",
        "CLOSED",
        "CLOSED",
        "CLOSED",
        "CLOSED",
        "CLOSED",
        "01:30-03:00",
    ]);
    let s = night.state_at(at_utc("2026-03-29T00:30:00Z"));
    let OpenState::Closed {
        opens_at: Some(opens),
        ..
    } = s
    else {
        panic!("{s:?}")
    };
    assert_eq!(
        london::from_local(opens).to_rfc3339(),
        "2026-03-29T02:30:00+01:00"
    );
}

#[test]
fn the_october_clock_change() {
    // Sunday 25 October 2026: clocks go back at 01:00 GMT (02:00 BST).
    let h = week([
        "CLOSED",
        "CLOSED",
        "CLOSED",
        "CLOSED",
        "CLOSED",
        "09:00-18:00",
        "09:00-18:00",
    ]);
    // 08:30 UTC on the Saturday is 09:30 BST: open.
    assert_eq!(
        h.state_at(at_utc("2026-10-24T08:30:00Z")).open_now(),
        Some(true)
    );
    // 08:30 UTC on the Sunday is 08:30 GMT: not yet open; opens 09:00 GMT.
    let s = h.state_at(at_utc("2026-10-25T08:30:00Z"));
    let OpenState::Closed {
        opens_at: Some(opens),
        ..
    } = s
    else {
        panic!("{s:?}")
    };
    assert_eq!(
        london::from_local(opens).to_rfc3339(),
        "2026-10-25T09:00:00+00:00"
    );
    // 17:30 UTC on the Saturday is 18:30 BST: closed; 17:30 UTC on the Sunday is open.
    assert_eq!(
        h.state_at(at_utc("2026-10-24T17:30:00Z")).open_now(),
        Some(false)
    );
    assert_eq!(
        h.state_at(at_utc("2026-10-25T17:30:00Z")).open_now(),
        Some(true)
    );
}

#[test]
fn osm_expressions() {
    let h =
        parse::osm("Mo-Fr 09:00-17:30; Sa 10:00-14:00; Su off").unwrap_or_else(|e| panic!("{e}"));
    let saturday = local("2026-12-05T18:00");
    assert_eq!(
        h.state_at(saturday).sentence(saturday),
        "Closed, opens Monday 09:00"
    );
    assert_eq!(
        h.state_at(local("2026-12-05T11:00"))
            .sentence(local("2026-12-05T11:00")),
        "Open now, closes 14:00"
    );
    // Past midnight.
    let late = parse::osm("Fr 18:00-02:00").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        late.state_at(local("2026-12-05T01:00")),
        OpenState::Open {
            closes_at: Some(local("2026-12-05T02:00")),
            approximate: None
        }
    );
    let always = parse::osm("24/7").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        always.state_at(saturday),
        OpenState::Open {
            closes_at: None,
            approximate: None
        }
    );
    // Unknown state in OSM ("open?" style) is unknown here.
    let unsure = parse::osm("Mo-Su unknown").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(unsure.state_at(saturday), OpenState::Unknown);
    // Dated rules.
    let dated = parse::osm("Mo-Fr 09:00-17:00; Dec 24-26 off").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        dated.state_at(local("2026-12-24T10:00")).open_now(),
        Some(false)
    );
    assert_eq!(
        dated.state_at(local("2026-12-23T10:00")).open_now(),
        Some(true)
    );
    let error = parse::osm("Mondays nine to five").err().unwrap_or_default();
    assert!(!error.is_empty() && !error.contains('\n'), "{error}");
}

fn oruk(json: &str) -> Hours {
    parse::oruk_json(json).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn oruk_schedules_hold_between_their_dates() {
    let h = oruk(
        r#"[{"freq":"WEEKLY","byday":"MO,WE","opens_at":"10:00:00","closes_at":"12:00:00",
             "valid_from":"2026-01-01","valid_to":"2026-06-30"}]"#,
    );
    assert_eq!(h.state_at(local("2026-06-29T10:30")).open_now(), Some(true));
    // A day it does not name, while it holds: closed.
    assert_eq!(
        h.state_at(local("2026-06-30T10:30")).open_now(),
        Some(false)
    );
    // After valid_to the hours are not known (not "closed").
    assert_eq!(h.state_at(local("2026-07-06T10:30")), OpenState::Unknown);
    // Its last opening is before valid_to: from the final Monday evening, none is known.
    assert_eq!(
        h.state_at(local("2026-06-29T13:00")),
        OpenState::Closed {
            opens_at: None,
            approximate: None,
            opens_approximately: false
        }
    );
}

#[test]
fn oruk_monthly_and_fortnightly_schedules() {
    // First Saturday of the month, 10:00-12:00.
    let h = oruk(r#"{"freq":"MONTHLY","byday":"1SA","opens_at":"10:00","closes_at":"12:00"}"#);
    assert_eq!(h.state_at(local("2026-12-05T11:00")).open_now(), Some(true));
    assert_eq!(
        h.state_at(local("2026-12-12T11:00")).open_now(),
        Some(false)
    );
    let s = h.state_at(local("2026-12-12T11:00"));
    assert_eq!(
        s.sentence(local("2026-12-12T11:00")),
        "Closed, opens Saturday 2 January 10:00"
    );
    // Last Friday.
    let last = oruk(r#"{"freq":"MONTHLY","byday":"-1FR","opens_at":"18:00","closes_at":"20:00"}"#);
    assert_eq!(
        last.state_at(local("2026-12-25T19:00")).open_now(),
        Some(true)
    );
    assert_eq!(
        last.state_at(local("2026-12-18T19:00")).open_now(),
        Some(false)
    );
    // Every other Tuesday from 1 December 2026.
    let fortnightly = oruk(
        r#"{"freq":"WEEKLY","interval":2,"dtstart":"2026-12-01","byday":"TU","opens_at":"09:00","closes_at":"11:00"}"#,
    );
    assert_eq!(
        fortnightly.state_at(local("2026-12-01T10:00")).open_now(),
        Some(true)
    );
    assert_eq!(
        fortnightly.state_at(local("2026-12-08T10:00")).open_now(),
        Some(false)
    );
    assert_eq!(
        fortnightly.state_at(local("2026-12-15T10:00")).open_now(),
        Some(true)
    );
    // Descriptions without times: not known.
    let words = oruk(r#"[{"byday":"MO","description":"Drop in, mornings"}]"#);
    assert_eq!(
        words.state_at(local("2026-11-30T10:00")),
        OpenState::Unknown
    );
    for bad in [
        r#"{"byday":"XX","opens_at":"10:00","closes_at":"12:00"}"#,
        r#"{"byday":"1SA","opens_at":"10:00","closes_at":"12:00"}"#,
        r#"{"byday":"MO","opens_at":"10:00"}"#,
        r#"{"byday":"MO","opens_at":"25:00","closes_at":"12:00"}"#,
        r#"{"byday":"MO","opens_at":"10:00","closes_at":"12:00","valid_from":"2026-02-01","valid_to":"2026-01-01"}"#,
        r#"{"freq":"DAILY","byday":"MO","opens_at":"10:00","closes_at":"12:00"}"#,
        r#"[1, 2]"#,
        r#"not json"#,
    ] {
        assert!(parse::oruk_json(bad).is_err(), "{bad} was read");
    }
}

#[test]
fn the_validator_mock_schedule_has_expired() {
    // The ORUK validator's V3.0-UK-Default service: a schedule valid only on
    // 2005-01-01, Thursdays and Fridays 10:00-18:00 (and bymonthday 2,3,4).
    let Some(dir) = std::env::var_os("ASSETMAP_REAL_DATA") else {
        return;
    };
    let path = std::path::Path::new(&dir)
        .join("directories/oruk_validator_mocks/V3.0-UK-Default/service_full.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let value: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    let schedules = value["schedules"].to_string();
    let h = oruk(&schedules);
    // 2026: long after valid_to, so not known.
    assert_eq!(h.state_at(local("2026-12-03T11:00")), OpenState::Unknown);
    // 2005-01-01 was a Saturday, so even on that date it is closed.
    assert_eq!(
        h.state_at(local("2005-01-01T11:00")).open_now(),
        Some(false)
    );
}

#[test]
fn stored_hours_read_back_the_same() {
    for h in [
        a1_pharmacy(),
        sessions([
            "AM Only",
            "Closed",
            "[Unknown]",
            "PM Only",
            "All Day (with closure)",
            "Closed",
            "Closed",
        ]),
        parse::osm("Mo-Fr 09:00-17:30; Sa 10:00-14:00").unwrap_or_else(|e| panic!("{e}")),
        oruk(
            r#"{"freq":"MONTHLY","byday":"1SA","opens_at":"10:00","closes_at":"12:00","valid_to":"2027-01-01"}"#,
        ),
    ] {
        let text = serde_json::to_string(&h).unwrap_or_default();
        let back: Hours = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(back, h, "{text}");
    }
    assert!(serde_json::from_str::<Hours>(r#"{"osm":"not hours at all"}"#).is_err());
}

#[test]
fn a_week_reads_as_runs_of_days() {
    let summary = week_summary(&a1_pharmacy(), local("2026-12-03T00:00").date(), false);
    let pairs: Vec<(&str, &str)> = summary
        .iter()
        .map(|(d, h)| (d.as_str(), h.as_str()))
        .collect();
    assert_eq!(
        pairs,
        vec![
            ("Monday to Friday", "08:30-13:00, 14:00-17:30"),
            ("Saturday", "09:00-12:30"),
            ("Sunday", "closed")
        ]
    );
    let two = week([
        "09:00-17:00",
        "09:00-17:00",
        "CLOSED",
        "CLOSED",
        "CLOSED",
        "CLOSED",
        "CLOSED",
    ]);
    assert_eq!(
        week_summary(&two, local("2026-12-03T00:00").date(), false)[0].0,
        "Monday and Tuesday"
    );
    let short = week_summary(&a1_pharmacy(), local("2026-12-03T00:00").date(), true);
    assert_eq!(
        (short[0].0.as_str(), short[2].0.as_str()),
        ("Mon–Fri", "Sun")
    );
    assert_eq!(
        week_summary(&two, local("2026-12-03T00:00").date(), true)[0].0,
        "Mon, Tue"
    );
}

/// What a glance should say, from the full state.
fn glance_of(state: &OpenState, now: NaiveDateTime) -> Glance {
    match state {
        OpenState::Open { .. } => Glance::Open,
        OpenState::Unknown => Glance::Unknown,
        s if s.open_today(now) => Glance::OpensLaterToday,
        _ => Glance::Closed,
    }
}

#[test]
fn a_glance_agrees_with_the_full_state_every_ten_minutes() {
    let fixtures = [
        a1_pharmacy(),
        week([
            "CLOSED",
            "CLOSED",
            "CLOSED",
            "CLOSED",
            "17:00-01:00",
            "CLOSED",
            "CLOSED",
        ]),
        week([
            "09:00-24:00",
            "00:00-02:00",
            "CLOSED",
            "CLOSED",
            "CLOSED",
            "CLOSED",
            "CLOSED",
        ]),
        sessions([
            "AM Only",
            "Closed",
            "[Unknown]",
            "PM Only",
            "All Day (with closure)",
            "Closed",
            "AM & Eve",
        ]),
        parse::osm("Mo-Fr 09:00-17:30; Sa 10:00-14:00; Fr 22:00-03:00")
            .unwrap_or_else(|e| panic!("{e}")),
        oruk(
            r#"[{"byday":"MO,WE","opens_at":"10:00","closes_at":"12:00","valid_to":"2026-12-09"}]"#,
        ),
    ];
    for h in &fixtures {
        for start in ["2026-12-01T00:00", "2026-03-28T00:00", "2026-10-24T00:00"] {
            let start = local(start);
            for k in 0..(9 * 24 * 6) {
                let now = start + chrono::Duration::minutes(10 * k);
                assert_eq!(
                    h.glance(now),
                    glance_of(&h.state_at(now), now),
                    "{h:?} at {now}"
                );
            }
        }
    }
}

#[test]
fn dated_exceptions_replace_the_weekly_rules() {
    let Hours::Week { rules, .. } = a1_pharmacy() else {
        panic!("weekly")
    };
    let date = |t: &str| local(&format!("{t}T00:00")).date();
    let h = Hours::Week {
        rules,
        exceptions: vec![
            // Closed over Christmas, short hours on Christmas Eve, not known on New Year's Day.
            Exception {
                from: date("2026-12-25"),
                to: date("2026-12-26"),
                hours: DayHours::Open(vec![]),
            },
            Exception {
                from: date("2026-12-24"),
                to: date("2026-12-24"),
                hours: DayHours::Open(vec![Span::new(9 * 60, 12 * 60).unwrap_or_else(|| panic!())]),
            },
            Exception {
                from: date("2027-01-01"),
                to: date("2027-01-01"),
                hours: DayHours::Unknown,
            },
        ],
    };
    assert_eq!(h.state_at(local("2026-12-23T15:00")).open_now(), Some(true));
    let eve = local("2026-12-24T11:00");
    assert_eq!(h.state_at(eve).sentence(eve), "Open now, closes 12:00");
    let after = local("2026-12-24T15:00");
    // Christmas and Boxing Day closed (Boxing Day is a Saturday); Sunday closed: Monday 28th.
    assert_eq!(
        h.state_at(after).sentence(after),
        "Closed, opens Monday 08:30"
    );
    assert_eq!(
        h.state_at(local("2026-12-25T10:00")).open_now(),
        Some(false)
    );
    assert_eq!(h.state_at(local("2027-01-01T10:00")), OpenState::Unknown);
    let text = serde_json::to_string(&h).unwrap_or_default();
    assert_eq!(serde_json::from_str::<Hours>(&text).ok(), Some(h));
}

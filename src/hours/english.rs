//! Opening times written in English, as community directories and food bank
//! lists write them: "Monday - Friday 10:30am - 4pm", "Tuesdays & Fridays
//! 12pm - 3pm; 1st Saturday of month 10am - 12noon", "Weds 12-2pm",
//! "Thursday 3.30 - 5.30pm, Friday 10am - 12noon".
//!
//! A value is read only when all of it is understood: days (names, short
//! forms and plurals, ranges, lists, "weekdays", "daily", "1st Saturday of
//! the month"), then one or more time ranges; groups follow one another with
//! or without commas, semicolons, full stops or "and". Days a value does not
//! name are closed. Times without "am" or "pm" take the other end's when
//! that keeps the range in order ("1.30 - 3.30pm" is 13:30-15:30, "11-1pm"
//! 11:00-13:00); with neither, hours 1 to 7 are afternoon ("10.00 - 4.00" is
//! 10:00-16:00). Anything else ("except Thursdays", "by appointment", a
//! single time, a price) makes the whole value not understood: it is
//! reported and kept as text. A value with no digit at all ("Not known",
//! "Contact for details") gives no hours, without a report.

use chrono::Weekday;

use super::{DayHours, Days, Hours, Rule, Span};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Token {
    Day(Weekday),
    Weekdays,
    Daily,
    /// "1st", "first", "last" (of the month).
    Nth(i8),
    /// "of month", "of the month", "of each month".
    OfMonth,
    Time {
        minutes: u16,
        meridiem: Option<bool>,
        /// Written with minutes or as "noon", so a 24-hour reading is plain.
        precise: bool,
    },
    Dash,
    /// A separator: comma, semicolon, full stop, "and", "&", "/", "+".
    Sep,
}

fn day_word(word: &str) -> Option<Weekday> {
    let w = word.trim_end_matches('s');
    Some(match w {
        "mon" | "monday" => Weekday::Mon,
        "tue" | "tues" | "tuesday" => Weekday::Tue,
        "wed" | "weds" | "wednesday" => Weekday::Wed,
        "thu" | "thur" | "thurs" | "thursday" => Weekday::Thu,
        "fri" | "friday" => Weekday::Fri,
        "sat" | "saturday" => Weekday::Sat,
        "sun" | "sunday" => Weekday::Sun,
        _ => return None,
    })
}

/// "10am", "9:30am", "12.30pm", "3pm", "10", "4.00", "12noon".
fn time_word(word: &str) -> Option<Token> {
    let (core, meridiem) = if let Some(c) = word.strip_suffix("am") {
        (c, Some(false))
    } else if let Some(c) = word.strip_suffix("pm") {
        (c, Some(true))
    } else if let Some(c) = word.strip_suffix("noon") {
        if !(c.is_empty() || c == "12") {
            return None;
        }
        return Some(Token::Time {
            minutes: 12 * 60,
            meridiem: Some(true),
            precise: true,
        });
    } else {
        (word, None)
    };
    let (h, m) = match core.split_once([':', '.']) {
        Some((h, m)) if m.len() == 2 => (h, m.parse::<u16>().ok()?),
        Some(_) => return None,
        None => (core, 0),
    };
    if h.is_empty() || h.len() > 2 || !h.bytes().all(|b| b.is_ascii_digit()) || m >= 60 {
        return None;
    }
    let h: u16 = h.parse().ok()?;
    let ok = match meridiem {
        Some(_) => (1..=12).contains(&h),
        None => h <= 24,
    };
    ok.then_some(Token::Time {
        minutes: h * 60 + m,
        meridiem,
        precise: core.contains([':', '.']),
    })
}

fn tokens(text: &str) -> Option<Vec<Token>> {
    let lower = text
        .to_lowercase()
        .replace(['–', '—', '‑'], "-")
        .replace("12 noon", "12noon")
        .replace("midday", "12noon")
        .replace(['\u{a0}', '\u{202f}'], " ");
    // Split off punctuation, keeping it as its own word.
    let mut spaced = String::with_capacity(lower.len() + 16);
    for c in lower.chars() {
        match c {
            ',' | ';' | '/' | '+' | '&' | '-' => {
                spaced.push(' ');
                spaced.push(c);
                spaced.push(' ');
            }
            _ => spaced.push(c),
        }
    }
    let words: Vec<&str> = spaced.split_whitespace().collect();
    let mut out = Vec::new();
    let mut k = 0;
    while k < words.len() {
        let w = words[k];
        // A full stop ends a group, unless it sits inside a time ("12.30").
        let (w, stop) = match w.strip_suffix('.') {
            Some(core) if !core.is_empty() => (core, true),
            Some(_) => ("", true),
            None => (w, false),
        };
        let next = |n: usize| words.get(k + n).copied().unwrap_or("");
        match w {
            "" => {}
            "," | ";" | "/" | "+" | "&" | "and" => out.push(Token::Sep),
            "-" | "to" | "until" | "till" => out.push(Token::Dash),
            "weekdays" | "weekday" => out.push(Token::Weekdays),
            "daily" => out.push(Token::Daily),
            "every" if next(1).trim_end_matches('.') == "day" => {
                out.push(Token::Daily);
                k += 1;
            }
            "open" | "on" if out.is_empty() || matches!(out.last(), Some(Token::Sep)) => {}
            "1st" | "first" => out.push(Token::Nth(1)),
            "2nd" | "second" => out.push(Token::Nth(2)),
            "3rd" | "third" => out.push(Token::Nth(3)),
            "4th" | "fourth" => out.push(Token::Nth(4)),
            "last" => out.push(Token::Nth(-1)),
            "of" => {
                let (a, b) = (next(1).trim_end_matches('.'), next(2).trim_end_matches('.'));
                if a == "month" {
                    k += 1;
                } else if matches!(a, "the" | "each" | "every") && b == "month" {
                    k += 2;
                } else {
                    return None;
                }
                out.push(Token::OfMonth);
            }
            _ => {
                if let Some(d) = day_word(w) {
                    out.push(Token::Day(d));
                } else if let Some(t) = time_word(w) {
                    out.push(t);
                } else {
                    return None;
                }
            }
        }
        if stop {
            out.push(Token::Sep);
        }
        k += 1;
    }
    Some(out)
}

fn minutes_of(t: Token) -> (u16, Option<bool>, bool) {
    match t {
        Token::Time {
            minutes,
            meridiem,
            precise,
        } => (minutes, meridiem, precise),
        _ => (0, None, false),
    }
}

fn clock(minutes: u16, pm: bool) -> u16 {
    let (h, m) = (minutes / 60, minutes % 60);
    let h = match (h, pm) {
        (12, false) => 0,
        (12, true) => 12,
        (h, true) => h + 12,
        (h, false) => h,
    };
    h * 60 + m
}

/// Two written times as a span, filling in "am"/"pm".
fn span(a: Token, b: Token) -> Option<Span> {
    let ((am, amer, _), (bm, bmer, _)) = (minutes_of(a), minutes_of(b));
    let (open, close) = match (amer, bmer) {
        (Some(x), Some(y)) => (clock(am, x), clock(bm, y)),
        (None, Some(y)) => {
            let close = clock(bm, y);
            let same = clock(am, y);
            if same < close {
                (same, close)
            } else {
                (clock(am, !y), close)
            }
        }
        (Some(x), None) => {
            let open = clock(am, x);
            let same = clock(bm, x);
            (open, if same > open { same } else { clock(bm, !x) })
        }
        (None, None) => {
            let day = |m: u16| {
                if (60..8 * 60).contains(&m) {
                    m + 12 * 60
                } else {
                    m
                }
            };
            (day(am), day(bm))
        }
    };
    (close > open && close <= 24 * 60)
        .then(|| Span::new(open, close))
        .flatten()
}

/// Reads an English opening-times value: `Ok(None)` when it has no digit
/// (nothing to read), `Err` when it is not all understood.
pub fn english(text: &str) -> Result<Option<Hours>, String> {
    if !text.chars().any(|c| c.is_ascii_digit()) {
        return Ok(None);
    }
    let not =
        || "not understood as days and times such as \"Monday - Friday 10am - 4pm\"".to_string();
    let tokens = tokens(text).ok_or_else(not)?;
    let mut rules: Vec<Rule> = Vec::new();
    let mut k = 0;
    let at = |k: usize| tokens.get(k).copied();
    while k < tokens.len() {
        while matches!(at(k), Some(Token::Sep)) {
            k += 1;
        }
        if k >= tokens.len() {
            break;
        }
        // Days.
        let mut groups: Vec<(Option<i8>, Days)> = Vec::new();
        let mut days = Days::default();
        loop {
            let mut nth = None;
            if let Some(Token::Nth(n)) = at(k) {
                nth = Some(n);
                k += 1;
            }
            match at(k) {
                Some(Token::Day(d)) => {
                    k += 1;
                    if matches!(at(k), Some(Token::Dash)) {
                        let Some(Token::Day(e)) = at(k + 1) else {
                            return Err(not());
                        };
                        if nth.is_some() {
                            return Err(not());
                        }
                        let mut x = d;
                        loop {
                            days = days.with(x);
                            if x == e {
                                break;
                            }
                            x = x.succ();
                        }
                        k += 2;
                    } else if let Some(n) = nth {
                        if !matches!(at(k), Some(Token::OfMonth)) {
                            return Err(not());
                        }
                        k += 1;
                        groups.push((Some(n), Days::one(d)));
                    } else {
                        days = days.with(d);
                    }
                }
                Some(Token::Weekdays) if nth.is_none() => {
                    k += 1;
                    for d in [
                        Weekday::Mon,
                        Weekday::Tue,
                        Weekday::Wed,
                        Weekday::Thu,
                        Weekday::Fri,
                    ] {
                        days = days.with(d);
                    }
                }
                Some(Token::Daily) if nth.is_none() => {
                    k += 1;
                    days = Days::ALL;
                }
                _ => return Err(not()),
            }
            // More days after a separator?
            let mut j = k;
            while matches!(at(j), Some(Token::Sep)) {
                j += 1;
            }
            if matches!(
                at(j),
                Some(Token::Day(_) | Token::Weekdays | Token::Daily | Token::Nth(_))
            ) {
                k = j;
                continue;
            }
            k = j;
            break;
        }
        if days != Days::default() {
            groups.push((None, days));
        }
        // Time ranges.
        let mut spans = Vec::new();
        loop {
            let (Some(a @ Token::Time { .. }), Some(Token::Dash), Some(b @ Token::Time { .. })) =
                (at(k), at(k + 1), at(k + 2))
            else {
                return Err(not());
            };
            spans.push(span(a, b).ok_or_else(not)?);
            k += 3;
            let mut j = k;
            while matches!(at(j), Some(Token::Sep)) {
                j += 1;
            }
            if matches!(at(j), Some(Token::Time { .. })) {
                k = j;
                continue;
            }
            break;
        }
        for (nth, days) in groups {
            let mut rule = Rule::weekly(days, DayHours::Open(spans.clone()));
            rule.nth = nth;
            rules.push(rule);
        }
    }
    if rules.is_empty() {
        return Err(not());
    }
    Ok(Some(Hours::Week {
        rules,
        exceptions: Vec::new(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hours::week_summary;

    fn week(text: &str) -> Vec<(String, String)> {
        let h = english(text)
            .unwrap_or_else(|e| panic!("{text}: {e}"))
            .unwrap_or_else(|| panic!("{text}: no hours"));
        // The week of Monday 30 November 2026.
        week_summary(
            &h,
            chrono::NaiveDate::from_ymd_opt(2026, 12, 2).unwrap_or_default(),
            true,
        )
    }

    fn read(text: &str) -> String {
        week(text)
            .into_iter()
            .map(|(d, h)| format!("{d} {h}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    #[test]
    fn the_gm_food_banks_ways_of_writing_times() {
        assert_eq!(
            read("Wednesday 10am - 4pm"),
            "Mon, Tue closed; Wed 10:00-16:00; Thu–Sun closed"
        );
        assert_eq!(
            read("Weds 12-2pm"),
            "Mon, Tue closed; Wed 12:00-14:00; Thu–Sun closed"
        );
        assert_eq!(
            read("Monday - Friday 10:30am - 4pm"),
            "Mon–Fri 10:30-16:00; Sat, Sun closed"
        );
        assert_eq!(
            read("Thursday 1.30 - 3.30pm"),
            "Mon–Wed closed; Thu 13:30-15:30; Fri–Sun closed"
        );
        assert_eq!(
            read("Monday 12noon - 2pm"),
            "Mon 12:00-14:00; Tue–Sun closed"
        );
        assert_eq!(
            read("Saturday 10am - 12 noon"),
            "Mon–Fri closed; Sat 10:00-12:00; Sun closed"
        );
        assert_eq!(
            read("Tuesday 6pm - 8pm and Sunday 3pm - 5pm"),
            "Mon closed; Tue 18:00-20:00; Wed–Sat closed; Sun 15:00-17:00"
        );
        assert_eq!(
            read("Tuesday, Wednesday and Thursday 11am - 2pm, Friday 11am - 4pm"),
            "Mon closed; Tue–Thu 11:00-14:00; Fri 11:00-16:00; Sat, Sun closed"
        );
        assert_eq!(
            read("Tues , Wed, Thursday, 11am - 2pm and Friday 11am - 4pm"),
            read("Tuesday, Wednesday and Thursday 11am - 2pm, Friday 11am - 4pm")
        );
        assert_eq!(
            read("Mon 1-2pm Thurs 10-11am Sat 12- 1pm"),
            "Mon 13:00-14:00; Tue, Wed closed; Thu 10:00-11:00; Fri closed; Sat 12:00-13:00; Sun closed"
        );
        assert_eq!(
            read("Wednesday 7 - 9pm Saturday 12 - 3pm"),
            "Mon, Tue closed; Wed 19:00-21:00; Thu, Fri closed; Sat 12:00-15:00; Sun closed"
        );
        assert_eq!(
            read("Mon - Sat 10.00 - 4.00"),
            "Mon–Sat 10:00-16:00; Sun closed"
        );
        assert_eq!(
            read("Wednesday 10 - 12"),
            "Mon, Tue closed; Wed 10:00-12:00; Thu–Sun closed"
        );
        assert_eq!(
            read("Tues/Weds 10am - 12pm. Thurs 10am - 2pm"),
            "Mon closed; Tue, Wed 10:00-12:00; Thu 10:00-14:00; Fri–Sun closed"
        );
        assert_eq!(
            read("Weekdays 10am-4pm and Saturdays 10am-2pm"),
            "Mon–Fri 10:00-16:00; Sat 10:00-14:00; Sun closed"
        );
        assert_eq!(
            read("Saturday & Sunday 7am - 9am."),
            "Mon–Fri closed; Sat, Sun 07:00-09:00"
        );
        assert_eq!(
            read("Open Monday 1-3pm, Thursday 2-4pm"),
            "Mon 13:00-15:00; Tue, Wed closed; Thu 14:00-16:00; Fri–Sun closed"
        );
        assert_eq!(
            read("Monday - Thursday 11:30am - 2pm and Monday - Thursday 5pm - 8pm"),
            "Mon–Thu 11:30-14:00, 17:00-20:00; Fri–Sun closed"
        );
        assert_eq!(
            read("Tuesday 6:30pm to 8:30pm, Thursday 12pm to 3pm, Friday 7pm to 8pm"),
            "Mon closed; Tue 18:30-20:30; Wed closed; Thu 12:00-15:00; Fri 19:00-20:00; Sat, Sun closed"
        );
    }

    #[test]
    fn a_monthly_session() {
        let h = english("Tuesdays & Fridays 12pm - 3pm; 1st Saturday of month 10am - 12noon")
            .unwrap_or_default()
            .unwrap_or_else(|| panic!("no hours"));
        let at = |t: &str| {
            chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M").unwrap_or_default()
        };
        assert_eq!(
            h.state_at(at("2026-12-05T11:00")).open_now(),
            Some(true),
            "the first Saturday"
        );
        assert_eq!(h.state_at(at("2026-12-12T11:00")).open_now(), Some(false));
        assert_eq!(
            h.state_at(at("2026-12-04T13:00")).open_now(),
            Some(true),
            "a Friday"
        );
    }

    #[test]
    fn values_not_all_understood_are_refused() {
        for text in [
            "Wednesday 7:30pm",
            "Tuesday from 11am",
            "Monday & Friday 12noon",
            "Monday - Saturday 7.30am = 4.30pm",
            "Monday - Friday 10am - 4pm except Thursday 10 - 12 only",
            "Thursday 4 - 6pm Job Club Monday 1 - 2pm",
            "Monday - Friday 8am - 4pm. Please ring.",
            "Mondays, Tuesdays, Thursdays and Fridays 10am - 3pm \u{a0}2.\tWe also provide a hot meal for 50p",
            "Wednesday 2=3pm",
            "Friday 25pm - 3pm",
        ] {
            assert!(english(text).is_err(), "{text} was read");
        }
        // Nothing to read: no digit at all.
        for text in [
            "Not known",
            "Contact for details",
            "Appointment",
            "One morning per week",
            "N/A",
        ] {
            assert_eq!(english(text), Ok(None), "{text}");
        }
    }
}

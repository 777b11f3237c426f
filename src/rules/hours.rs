//! Time windows for rules: `hours = "Mo-Fr 09:00-17:00"`.
//!
//! A small subset of the OpenStreetMap `opening_hours` syntax: day lists and ranges
//! (`Mo-Fr`, `Sa,Su`, `Mon`), time ranges (`09:00-12:00,13:00-17:00`, `22:00-06:00` runs past
//! midnight into the next day, `24:00` is the end of the day), several spans separated by `;`
//! or `,` (`Mo-Fr 08:00-18:00; Sa 10:00-14:00`). Days alone mean all day, times alone every
//! day. Times are the machine's local time.

use chrono::{Datelike, NaiveDateTime, Timelike};
use std::fmt;

const DAYS: [&str; 7] = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"];
const LONG_DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// A parsed `hours` value; shows as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hours {
    text: String,
    spans: Vec<Span>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Span {
    days: [bool; 7],
    /// Minutes since midnight; `end <= start` wraps past midnight.
    ranges: Vec<(u32, u32)>,
}

impl Hours {
    /// Parses the syntax in the module docs.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut spans: Vec<Span> = Vec::new();
        let mut current: Option<Span> = None;
        let tokens = text
            .split(|c: char| c.is_whitespace() || c == ';')
            .filter(|t| !t.is_empty());
        for token in tokens {
            let token = token.trim_end_matches(',');
            if token.is_empty() {
                continue;
            }
            if token.starts_with(|c: char| c.is_ascii_digit()) {
                let span = current.get_or_insert_with(|| Span {
                    days: [true; 7],
                    ranges: Vec::new(),
                });
                for range in token.split(',').filter(|r| !r.is_empty()) {
                    span.ranges.push(parse_range(range)?);
                }
            } else {
                if let Some(done) = current.take() {
                    spans.push(done);
                }
                current = Some(Span {
                    days: parse_days(token)?,
                    ranges: Vec::new(),
                });
            }
        }
        spans.extend(current);
        if spans.is_empty() {
            return Err("empty; expected e.g. \"Mo-Fr 09:00-17:00\"".into());
        }
        Ok(Self {
            text: text.trim().to_string(),
            spans,
        })
    }

    /// Whether the local time `at` falls in one of the spans.
    pub fn contains(&self, at: NaiveDateTime) -> bool {
        let day = at.weekday().num_days_from_monday() as usize;
        let yesterday = (day + 6) % 7;
        let minute = at.hour() * 60 + at.minute();
        self.spans.iter().any(|span| {
            if span.ranges.is_empty() {
                return span.days[day];
            }
            span.ranges.iter().any(|&(start, end)| {
                if start < end {
                    span.days[day] && minute >= start && minute < end
                } else {
                    (span.days[day] && minute >= start) || (span.days[yesterday] && minute < end)
                }
            })
        })
    }

    /// As written in the config.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for Hours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl TryFrom<String> for Hours {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        Hours::parse(&text).map_err(|e| format!("hours {text:?}: {e}"))
    }
}

impl From<Hours> for String {
    fn from(h: Hours) -> String {
        h.text
    }
}

fn day_index(name: &str) -> Result<usize, String> {
    DAYS.iter()
        .position(|d| d.eq_ignore_ascii_case(name))
        .or_else(|| LONG_DAYS.iter().position(|d| d.eq_ignore_ascii_case(name)))
        .ok_or_else(|| format!("unknown day {name:?} (use Mo Tu We Th Fr Sa Su)"))
}

fn parse_days(token: &str) -> Result<[bool; 7], String> {
    let mut days = [false; 7];
    for part in token.split(',').filter(|p| !p.is_empty()) {
        match part.split_once('-') {
            Some((from, to)) => {
                let (from, to) = (day_index(from)?, day_index(to)?);
                let mut d = from;
                loop {
                    days[d] = true;
                    if d == to {
                        break;
                    }
                    d = (d + 1) % 7;
                }
            }
            None => days[day_index(part)?] = true,
        }
    }
    Ok(days)
}

fn parse_range(range: &str) -> Result<(u32, u32), String> {
    let (from, to) = range
        .split_once('-')
        .ok_or_else(|| format!("time range {range:?} needs a start and an end (09:00-17:00)"))?;
    let (start, end) = (parse_time(from)?, parse_time(to)?);
    if start == end {
        return Err(format!("time range {range:?} is empty"));
    }
    Ok((start, end % (24 * 60)))
}

fn parse_time(text: &str) -> Result<u32, String> {
    let bad = || format!("time {text:?} is not HH:MM");
    let (h, m) = text.split_once(':').ok_or_else(bad)?;
    let (h, m): (u32, u32) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if m > 59 || h > 24 || (h == 24 && m > 0) {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

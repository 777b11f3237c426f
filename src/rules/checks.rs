//! One rule's `when` conditions checked against a call's facts, each with the reason it holds
//! or not (what `screenpop rules test` prints): direction, vip, unknown, prefix, pattern (a
//! `*`/`?` glob over the number's forms), hours, directory. Pure.

use super::{Check, Facts, Towards, When};
use crate::event::Direction;

/// The number's forms a prefix or pattern is compared with.
fn forms(facts: &Facts) -> Vec<String> {
    let mut forms = Vec::new();
    if let Some(n) = facts.remote.number() {
        forms.extend(n.e164.clone());
        forms.push(n.digits.clone());
        forms.extend(n.national.clone());
    }
    let raw: String = facts
        .number
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '+')
        .collect();
    if !raw.is_empty() {
        forms.push(raw);
    }
    forms
}

pub(super) fn checks(when: &When, facts: &Facts) -> Vec<Check> {
    let mut out = Vec::new();
    let mut check = |condition: String, holds: bool, why: String| {
        out.push(Check {
            condition,
            holds,
            why,
        })
    };
    let towards = when.direction.unwrap_or_default();
    let direction_holds = match towards {
        Towards::Any => true,
        Towards::Inbound => facts.direction == Direction::Inbound,
        Towards::Outbound => facts.direction == Direction::Outbound,
    };
    check(
        format!("direction = {}", serde_plain(towards)),
        direction_holds,
        format!("the call is {}", facts.direction.as_str()),
    );
    let who = facts
        .customer
        .map(|c| format!("{} ({})", c.name, c.directory));
    if let Some(vip) = when.vip {
        let is_vip = facts.customer.is_some_and(|c| c.vip);
        let why = match (&who, is_vip) {
            (Some(w), true) => format!("{w} is a VIP"),
            (Some(w), false) => format!("{w} is not a VIP"),
            (None, _) => "no directory knows the caller".to_string(),
        };
        check(format!("vip = {vip}"), is_vip == vip, why);
    }
    if let Some(unknown) = when.unknown {
        let is_unknown = facts.customer.is_none();
        let why = who
            .clone()
            .map(|w| format!("known as {w}"))
            .unwrap_or_else(|| format!("no directory knows {}", facts.remote.display()));
        check(format!("unknown = {unknown}"), is_unknown == unknown, why);
    }
    let forms = forms(facts);
    let shown = forms
        .first()
        .cloned()
        .unwrap_or_else(|| facts.remote.display());
    if let Some(prefix) = &when.prefix {
        let p: String = prefix.chars().filter(|c| !c.is_whitespace()).collect();
        let hit = forms.iter().find(|f| !p.is_empty() && f.starts_with(&p));
        let holds = hit.is_some();
        let why = match hit {
            Some(f) => format!("{f} starts with {p}"),
            None => format!("{shown} does not start with {p}"),
        };
        check(format!("prefix = {prefix:?}"), holds, why);
    }
    if let Some(pattern) = &when.pattern {
        let hit = forms.iter().find(|f| glob(pattern, f));
        let why = match hit {
            Some(f) => format!("{f} matches {pattern}"),
            None => format!("{shown} does not match {pattern}"),
        };
        check(format!("pattern = {pattern:?}"), hit.is_some(), why);
    }
    if let Some(hours) = &when.hours {
        let holds = hours.contains(facts.local_time);
        let at = facts.local_time.format("%a %H:%M");
        let why = if holds {
            format!("{at} is within {hours}")
        } else {
            format!("{at} is outside {hours}")
        };
        check(format!("hours = {:?}", hours.as_str()), holds, why);
    }
    if let Some(directory) = &when.directory {
        let found = facts.customer.map(|c| c.directory.as_str());
        let holds = found == Some(directory.as_str());
        let why = match found {
            Some(d) => format!("the caller was found in {d}"),
            None => "no directory knows the caller".into(),
        };
        check(format!("directory = {directory:?}"), holds, why);
    }
    out
}

fn serde_plain(t: Towards) -> &'static str {
    match t {
        Towards::Inbound => "inbound",
        Towards::Outbound => "outbound",
        Towards::Any => "any",
    }
}

/// `*` matches any run of characters, `?` exactly one; everything else literally.
pub(super) fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

//! The response side of an HTTP connector: JSON paths into a CRM's answer and the mapping of
//! that answer onto [`Customer`]s. Paths are JSON pointers (RFC 6901) with one extension: a `*`
//! segment means "every element" (`/results/*/properties/phone`). Pure code: no I/O.

use super::template::Mapping;
use crate::config::VipRule;
use crate::directory::Customer;
use serde_json::Value;

/// Maps a lookup answer onto customers with `map`; `record_type` is a path or a literal.
pub fn customers(
    doc: &Value,
    map: &Mapping,
    record_type: Option<&str>,
) -> Result<Vec<Customer>, String> {
    let list = select(doc, &map.results);
    let records: Vec<&Value> = match list.as_slice() {
        [] => return Ok(Vec::new()),
        [Value::Array(items)] => items.iter().collect(),
        [Value::Null] => return Ok(Vec::new()),
        _ => list,
    };
    let mut out = Vec::with_capacity(records.len());
    for r in records {
        let Some(mut id) = select(r, &map.id).into_iter().find_map(text_of) else {
            return Err(format!("a result has no id at {:?}", map.id));
        };
        let kind = match record_type {
            Some(p) if p.starts_with('/') => select(r, p).into_iter().find_map(text_of),
            other => other.map(str::to_string),
        };
        if let Some(kind) = kind {
            id = format!("{kind}/{id}");
        }
        let name = joined(r, &map.name, " ").unwrap_or_else(|| id.clone());
        out.push(Customer {
            id,
            name,
            company: joined(r, &map.company, " "),
            phones: map
                .phones
                .iter()
                .flat_map(|p| select(r, p))
                .flat_map(texts)
                .collect(),
            vip: map.vip.as_ref().is_some_and(|rule| vip(r, rule)),
            note: joined(r, &map.note, " · "),
            url: map
                .url
                .as_deref()
                .and_then(|p| select(r, p).into_iter().find_map(text_of)),
            directory: String::new(),
        });
    }
    Ok(out)
}

/// Every value at `path` (`*` = each element of an array or object).
pub fn select<'a>(doc: &'a Value, path: &str) -> Vec<&'a Value> {
    let mut current = vec![doc];
    for raw in path.split('/').skip(1) {
        let seg = raw.replace("~1", "/").replace("~0", "~");
        let mut next = Vec::new();
        for v in current {
            match (v, seg.as_str()) {
                (Value::Array(items), "*") => next.extend(items.iter()),
                (Value::Object(map), "*") => next.extend(map.values()),
                (Value::Array(items), idx) => {
                    next.extend(idx.parse::<usize>().ok().and_then(|i| items.get(i)))
                }
                (Value::Object(map), key) => next.extend(map.get(key)),
                _ => {}
            }
        }
        current = next;
    }
    current
}

/// A scalar as text (`null`, `false`, empty strings, arrays and objects give none).
pub fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        // Odoo answers `false` for an empty field: that is no value, not the word "false".
        Value::Bool(true) => Some("true".into()),
        _ => None,
    }
}

/// Every scalar in `v`, looking one level into arrays.
fn texts(v: &Value) -> Vec<String> {
    match v {
        Value::Array(items) => items.iter().filter_map(text_of).collect(),
        other => text_of(other).into_iter().collect(),
    }
}

fn joined(r: &Value, paths: &[String], sep: &str) -> Option<String> {
    let parts: Vec<String> = paths
        .iter()
        .flat_map(|p| select(r, p))
        .flat_map(texts)
        .collect();
    (!parts.is_empty()).then(|| parts.join(sep))
}

/// Whether a record is a VIP under `rule`.
pub fn vip(r: &Value, rule: &VipRule) -> bool {
    match rule {
        VipRule::Path(p) => select(r, p).into_iter().flat_map(texts).any(|t| truthy(&t)),
        VipRule::Rule {
            path,
            contains,
            equals,
        } => {
            let values: Vec<String> = select(r, path).into_iter().flat_map(texts).collect();
            values.iter().any(|v| {
                contains
                    .as_ref()
                    .is_some_and(|c| v.to_lowercase().contains(&c.to_lowercase()))
                    || equals.as_ref().is_some_and(|e| v.eq_ignore_ascii_case(e))
                    || (contains.is_none() && equals.is_none() && truthy(v))
            })
        }
    }
}

/// `true`, `yes`, `1`, `vip`, `y` (any case).
pub fn truthy(s: &str) -> bool {
    matches!(
        s.trim().to_ascii_lowercase().as_str(),
        "true" | "yes" | "y" | "1" | "vip"
    )
}

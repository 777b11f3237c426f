//! `screenpop config check --origin`: where each setting's value came from (default, a
//! system file in `$XDG_CONFIG_DIRS`, the user's file, the environment) and which keys the
//! administrator locked; plus the warnings `config check` always gives about user values a
//! lock overrides.

use screenpop::config::layers::Layered;
use screenpop::config::Origin;

/// Prints the files read and one line per key: `notify.pop_on = "answered"  system file … (locked)`.
pub fn print_origins(layered: &Layered) {
    let files: Vec<String> = layered
        .files
        .iter()
        .map(|f| f.display().to_string())
        .collect();
    if files.is_empty() {
        println!("files: none (defaults only)");
    } else {
        println!("files (least to most important): {}", files.join(" → "));
    }
    let values = toml::Table::try_from(&layered.settings).unwrap_or_default();
    let width = layered.origins.keys().map(|k| k.len()).max().unwrap_or(0);
    for (key, origin) in &layered.origins {
        let value = lookup(&values, key)
            .map(short)
            .unwrap_or_else(|| "(unset)".into());
        let lock = if layered.is_locked(key) {
            "  (locked)"
        } else {
            ""
        };
        println!("{key:<width$} = {value}  ← {origin}{lock}");
    }
    if !layered.locks.is_empty() {
        let names: Vec<&str> = layered.locks.names().collect();
        println!("locked by your administrator: {}", names.join(", "));
    }
}

/// Warnings about values a lock kept from applying (and a `[policy]` in the user's file).
pub fn warn_overridden(layered: &Layered) {
    for o in &layered.overridden {
        if o.key == "policy" {
            eprintln!(
                "warning: [policy] in {} has no effect: only a system file (in $XDG_CONFIG_DIRS) can lock settings",
                describe(&o.by)
            );
            continue;
        }
        let now = match layered.origin(&o.key) {
            Origin::Default => "the default".to_string(),
            other => other.to_string(),
        };
        eprintln!(
            "warning: {} sets {}, but your administrator locked it; the value from {now} applies",
            describe(&o.by),
            o.key
        );
    }
}

fn describe(origin: &Origin) -> String {
    match origin {
        Origin::User(p) => p.display().to_string(),
        other => other.to_string(),
    }
}

fn lookup<'a>(table: &'a toml::Table, key: &str) -> Option<&'a toml::Value> {
    let mut parts = key.splitn(2, '.');
    let section = table.get(parts.next()?)?;
    match parts.next() {
        Some(k) => section.get(k),
        None => Some(section),
    }
}

/// A value on one line; lists of tables are summarised.
fn short(value: &toml::Value) -> String {
    match value {
        toml::Value::Array(items) if items.iter().all(toml::Value::is_table) => {
            let names: Vec<String> = items
                .iter()
                .map(|t| {
                    let get = |k: &str| t.get(k).and_then(toml::Value::as_str);
                    get("name").or(get("kind")).unwrap_or("?").to_string()
                })
                .collect();
            format!("[{}]", names.join(", "))
        }
        other => other.to_string(),
    }
}

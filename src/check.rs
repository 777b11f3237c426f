//! The whole settings check: the config layer's own problems ([`Settings::problems`]) and
//! each directory's ([`crate::directory::check`] — every kind validates its own settings),
//! as one list of [`FieldError`]s with field paths (`directory.1.base_url`, zero-based).
//!
//! It sits above `config` and `directory` so neither imports the other for validation. Its
//! users: the daemon and the desktop app at start ([`load`]), `screenpop config check
//! [--json]`, and the settings page (which shows each error next to its field and writes
//! nothing while any is left).

pub use crate::config::FieldError;
use crate::config::{ConfigError, Paths, Settings};
use serde_json::Value;

/// Every problem of `settings`, in file order (sections, then entries).
pub fn problems(settings: &Settings) -> Vec<FieldError> {
    let mut out = settings.problems();
    for (index, directory) in settings.directories.iter().enumerate() {
        if let Err(e) = crate::directory::check(directory) {
            out.push(FieldError::entry("directory", index, e.key(), e.message()));
        }
    }
    out
}

/// [`Settings::load`], then refuses settings with any problem (the first, with its line).
pub fn load(paths: &Paths) -> Result<Settings, ConfigError> {
    let settings = Settings::load(paths)?;
    match problems(&settings).into_iter().next() {
        None => Ok(settings),
        Some(problem) => {
            let text = std::fs::read_to_string(&paths.config_file).ok();
            Err(problem.located(&paths.config_file, text.as_deref()))
        }
    }
}

/// Every problem of the config as `screenpop` would load it from `paths` (file and
/// environment): a file that does not parse is one problem, named by its field when serde
/// can tell (`[]` = all is well).
pub fn file_problems(paths: &Paths) -> Vec<FieldError> {
    match Settings::load(paths) {
        Ok(settings) => problems(&settings),
        Err(ConfigError::Invalid { field, message, .. }) => vec![FieldError::new(field, message)],
        Err(e @ ConfigError::File { .. }) => {
            let text = std::fs::read_to_string(&paths.config_file).unwrap_or_default();
            let field =
                serde_path_to_error::deserialize::<_, Settings>(toml::Deserializer::new(&text))
                    .err()
                    .map(|e| dotted(e.path()))
                    .unwrap_or_default();
            vec![FieldError::new(field, e.to_string())]
        }
        Err(ConfigError::Env { var, message }) => {
            // SCREENPOP_WEBHOOK__PORT sets webhook.port.
            let field = var
                .strip_prefix("SCREENPOP_")
                .map(|k| k.to_ascii_lowercase().replace("__", "."))
                .unwrap_or_default();
            vec![FieldError::new(field, format!("{var}: {message}"))]
        }
        Err(e) => vec![FieldError::new("", e.to_string())],
    }
}

/// Settings as the settings page sends them (the serialized form of [`Settings`]): the
/// settings if every field is right, else every wrong field — a value of the wrong type
/// (`"3000"` for a number) named by its path, like the checks' own problems.
pub fn settings_from_json(value: Value) -> Result<Settings, Vec<FieldError>> {
    let settings: Settings = serde_path_to_error::deserialize(value.clone()).map_err(|e| {
        let field = dotted(e.path());
        let message = e.into_inner().to_string();
        // `[[directory]]`/`[[source]]` are tagged by `kind`, which hides the path inside an
        // entry: ask the entry's own settings type where it went wrong.
        let inner = entry_path(&value, &field).unwrap_or_default();
        let field = [field, inner].join(".").trim_end_matches('.').to_string();
        vec![FieldError::new(field, message)]
    })?;
    let found = problems(&settings);
    if found.is_empty() {
        Ok(settings)
    } else {
        Err(found)
    }
}

/// Inside entry `section.N` of `value`: the path where its kind's settings fail to parse.
fn entry_path(value: &Value, field: &str) -> Option<String> {
    use crate::config::*;
    let (section, index) = field.split_once('.')?;
    let mut entry = value
        .get(section)?
        .get(index.parse::<usize>().ok()?)?
        .clone();
    let kind = entry.as_object_mut()?.remove("kind")?;
    fn path_of<T: serde::de::DeserializeOwned>(v: Value) -> Option<String> {
        serde_path_to_error::deserialize::<_, T>(v)
            .err()
            .map(|e| dotted(e.path()))
    }
    match (section, kind.as_str()?) {
        ("directory", "http") => path_of::<HttpSettings>(entry),
        ("directory", "ldap") => path_of::<LdapSettings>(entry),
        ("directory", "carddav") => path_of::<CarddavSettings>(entry),
        ("source", "baresip") => path_of::<BaresipConfig>(entry),
        ("source", "mqtt") => path_of::<MqttConfig>(entry),
        ("source", "ami") => path_of::<AmiConfig>(entry),
        ("source", "fritz") => path_of::<FritzConfig>(entry),
        _ => None,
    }
}

/// `directory[1].timeout_ms` as `directory.1.timeout_ms`.
fn dotted(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let parts: Vec<String> = path
        .iter()
        .filter_map(|s| match s {
            Segment::Seq { index } => Some(index.to_string()),
            Segment::Map { key } => Some(key.clone()),
            Segment::Enum { variant } => Some(variant.clone()),
            Segment::Unknown => None,
        })
        .collect();
    parts.join(".")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn http(base_url: &str) -> Value {
        json!({"kind": "http", "preset": "hubspot", "base_url": base_url, "secret": "hubspot-token"})
    }

    #[test]
    fn a_bad_base_url_is_reported_at_its_directory_and_field() {
        let form = json!({"directory": [{"kind": "local"}, http("ftp://api.hubapi.com")]});
        let problems = settings_from_json(form).unwrap_err();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].field, "directory.1.base_url");
        assert!(
            problems[0].message.contains("http:// or https://"),
            "{problems:?}"
        );
        let json = serde_json::to_value(&problems).unwrap();
        assert_eq!(json[0]["field"], "directory.1.base_url");
        assert!(settings_from_json(json!({"directory": [http("https://api.hubapi.com")]})).is_ok());
    }

    #[test]
    fn wrong_types_and_several_problems_each_name_their_field() {
        let form = json!({"directory": [{"kind": "http", "preset": "hubspot",
            "base_url": "https://x.example", "timeout_ms": "soon"}]});
        let problems = settings_from_json(form).unwrap_err();
        assert_eq!(problems[0].field, "directory.0.timeout_ms", "{problems:?}");
        let form = json!({
            "phone": {"default_region": "XX"},
            "source": [{"kind": "baresip", "address": "nowhere"}],
            "directory": [{"kind": "ldap", "url": "ldap://x", "base_dn": ""}],
        });
        let fields: Vec<String> = settings_from_json(form)
            .unwrap_err()
            .into_iter()
            .map(|p| p.field)
            .collect();
        assert_eq!(
            fields,
            [
                "phone.default_region",
                "source.0.address",
                "directory.0.base_dn"
            ]
        );
    }

    #[test]
    fn an_empty_optional_number_is_absent_not_a_string() {
        let form = json!({"directory": [{"kind": "http", "preset": "hubspot",
            "base_url": "https://x.example", "timeout_ms": null}]});
        let settings = settings_from_json(form).expect("null is absent");
        let text = toml::to_string(&settings).unwrap();
        assert!(!text.contains("timeout_ms"), "{text}");
    }
}

//! `{placeholder}` substitution in connector templates, escaped for where the text goes.
//!
//! Grammar: `{name}`, `{name|upper}`, `{name|lower}`, `{name|sosl}` (Salesforce SOSL
//! reserved characters backslash-escaped), `{name|soql}` (a SOQL string literal), `{name|odata}` (an OData string literal's quotes
//! doubled), and `{name?then:else}` (for boolean
//! values: "true" picks `then`). A `{` not followed by an identifier is literal, so JSON bodies
//! (`{"query": "{e164}"}`) need no escaping. An unknown name is an error, caught when the
//! config is loaded. Values are untrusted (they come from callers and CRMs): each is escaped
//! for its destination — percent-encoded in URLs, JSON-string-escaped in bodies, refused in
//! headers when they contain a line break.

/// Where the rendered text goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escape {
    /// Query/path values percent-encoded; `base_url`/`app_url` kept as they are.
    Url,
    /// Inside a JSON string literal (no quotes added).
    Json,
    /// A header value: as is, but line breaks are refused.
    Header,
    /// An LDAP filter value (RFC 4515).
    Ldap,
}

/// Placeholders whose values are URL prefixes and must not be percent-encoded.
const URL_PREFIXES: &[&str] = &["base_url", "app_url"];

/// Renders `template`, asking `value` for each placeholder. Errors name the placeholder.
pub fn render(
    template: &str,
    value: &(dyn Fn(&str) -> Option<String> + Sync),
    escape: Escape,
) -> Result<String, String> {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match parse(after) {
            Some((placeholder, len)) => {
                let raw = value(placeholder.name)
                    .ok_or_else(|| format!("unknown placeholder {{{}}}", placeholder.name))?;
                let shown = placeholder.apply(raw);
                out.push_str(&escape_for(placeholder.name, &shown, escape)?);
                rest = &after[len + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// The placeholder names a template uses (for validation).
pub fn names(template: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        match parse(after) {
            Some((p, len)) => {
                found.push(p.name.to_string());
                rest = &after[len + 1..];
            }
            None => rest = after,
        }
    }
    found
}

struct Placeholder<'a> {
    name: &'a str,
    filter: Filter<'a>,
}

enum Filter<'a> {
    None,
    Upper,
    Lower,
    Sosl,
    Soql,
    Odata,
    Choose(&'a str, &'a str),
}

/// SOSL's reserved characters (Salesforce SOSL reference, "FIND {SearchQuery}").
const SOSL_RESERVED: &[char] = &[
    '?', '&', '|', '!', '{', '}', '[', ']', '(', ')', '^', '~', '*', ':', '\\', '"', '\'', '+', '-',
];

impl Placeholder<'_> {
    fn apply(&self, raw: String) -> String {
        match self.filter {
            Filter::None => raw,
            Filter::Upper => raw.to_uppercase(),
            Filter::Lower => raw.to_lowercase(),
            Filter::Sosl => raw.chars().fold(String::new(), |mut out, c| {
                if SOSL_RESERVED.contains(&c) {
                    out.push('\\');
                }
                out.push(c);
                out
            }),
            // Inside a SOQL string literal only quotes and backslashes are escaped.
            Filter::Soql => raw.chars().fold(String::new(), |mut out, c| {
                if matches!(c, '\\' | '\'' | '"') {
                    out.push('\\');
                }
                out.push(c);
                out
            }),
            Filter::Odata => raw.replace('\'', "''"),
            Filter::Choose(yes, no) => {
                if raw == "true" {
                    yes.to_string()
                } else {
                    no.to_string()
                }
            }
        }
    }
}

/// Parses `name[|filter|?a:b]}` at the start of `s`; returns it and the length before `}`.
fn parse(s: &str) -> Option<(Placeholder<'_>, usize)> {
    let end = s.find('}')?;
    let inner = &s[..end];
    let name_len = inner
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(inner.len());
    let name = &inner[..name_len];
    if name.is_empty() || !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    let filter = match &inner[name_len..] {
        "" => Filter::None,
        "|upper" => Filter::Upper,
        "|lower" => Filter::Lower,
        "|sosl" => Filter::Sosl,
        "|soql" => Filter::Soql,
        "|odata" => Filter::Odata,
        tail => {
            let choice = tail.strip_prefix('?')?;
            let (yes, no) = choice.split_once(':')?;
            if yes.contains(['{', '"']) || no.contains(['{', '"']) {
                return None;
            }
            Filter::Choose(yes, no)
        }
    };
    Some((Placeholder { name, filter }, end))
}

fn escape_for(name: &str, value: &str, escape: Escape) -> Result<String, String> {
    Ok(match escape {
        Escape::Url if URL_PREFIXES.contains(&name) => value.trim_end_matches('/').to_string(),
        Escape::Url => crate::directory::encode(value),
        Escape::Json => json_escape(value),
        Escape::Header => {
            if value.contains(['\r', '\n']) {
                return Err(format!(
                    "{{{name}}} contains a line break; refused in a header"
                ));
            }
            value.to_string()
        }
        Escape::Ldap => ldap3::ldap_escape(value).into_owned(),
    })
}

/// The inside of a JSON string literal for `s`.
pub fn json_escape(s: &str) -> String {
    let quoted = serde_json::Value::String(s.to_string()).to_string();
    quoted[1..quoted.len() - 1].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(name: &str) -> Option<String> {
        match name {
            "e164" => Some("+1 555&x".into()),
            "base_url" => Some("https://crm.example.com/".into()),
            "missed" => Some("true".into()),
            "name" => Some("Ann \"Quote\"\n".into()),
            _ => None,
        }
    }

    #[test]
    fn url_values_are_encoded_but_the_base_url_is_not() {
        let out = render("{base_url}/c?phone={e164}", &vars, Escape::Url).unwrap();
        assert_eq!(out, "https://crm.example.com/c?phone=%2B1%20555%26x");
    }

    #[test]
    fn json_bodies_keep_their_braces_and_escape_values() {
        let out = render(r#"{"n": "{name}", "o": {}}"#, &vars, Escape::Json).unwrap();
        assert_eq!(out, r#"{"n": "Ann \"Quote\"\n", "o": {}}"#);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["n"], "Ann \"Quote\"\n");
    }

    #[test]
    fn filters_and_choices() {
        let out = render(
            "{missed?NO_ANSWER:COMPLETED} {e164|lower}",
            &vars,
            Escape::Header,
        );
        assert_eq!(out.unwrap(), "NO_ANSWER +1 555&x");
    }

    #[test]
    fn sosl_and_odata_literals_are_escaped() {
        let v = |_: &str| Some("+1 (555) O'Hara-1*".to_string());
        assert_eq!(
            render("{x|sosl}", &v, Escape::Header).unwrap(),
            r"\+1 \(555\) O\'Hara\-1\*"
        );
        assert_eq!(
            render("'{x|odata}'", &v, Escape::Header).unwrap(),
            "'+1 (555) O''Hara-1*'"
        );
    }

    #[test]
    fn unknown_placeholders_and_header_injection_are_refused() {
        assert!(render("{nope}", &vars, Escape::Url)
            .unwrap_err()
            .contains("{nope}"));
        assert!(render("{name}", &vars, Escape::Header).is_err());
        assert_eq!(names("{a} {\"x\"} {b|upper}"), vec!["a", "b"]);
    }
}

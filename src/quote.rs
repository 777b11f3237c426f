//! Text from outside, made safe to repeat: a server's error message cut to one short line
//! for logs and `screenpop outbox`, a secret the server echoed back redacted, and the check
//! that a configured URL is http(s). Used by the directories and the OAuth client alike.

/// Untrusted text (a server's error message) cut to one short line for logs and `outbox`.
pub fn brief(text: &str) -> String {
    let one_line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let trimmed = one_line.split_whitespace().collect::<Vec<_>>().join(" ");
    if trimmed.chars().count() > 160 {
        format!("{}…", trimmed.chars().take(160).collect::<String>())
    } else {
        trimmed
    }
}

/// Replaces every occurrence of `secret` in `text` (for messages built from server answers
/// that might echo a token back).
pub fn redact(text: &str, secret: &str) -> String {
    if secret.len() < 4 {
        return text.to_string();
    }
    text.replace(secret, "[secret]")
}

/// Checks a configured URL is http(s) and parses.
pub fn check_http_url(what: &str, url: &str) -> Result<(), String> {
    let lower = url.trim().to_ascii_lowercase();
    if !(lower.starts_with("http://") || lower.starts_with("https://")) {
        return Err(format!(
            "{what} must start with http:// or https:// (got {url:?})"
        ));
    }
    Ok(())
}

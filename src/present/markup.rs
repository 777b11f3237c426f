//! Escaping for the freedesktop notification body markup (a small subset of HTML).
//!
//! Caller names and CRM notes are untrusted; everything from them goes through [`escape`]
//! before it is placed in a body, so `<img src=x onerror=…>` shows as text.

/// Escapes `& < > " '` for notification markup.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn markup_in_names_is_neutralised() {
        assert_eq!(
            escape("<img src=x onerror=alert(1)>"),
            "&lt;img src=x onerror=alert(1)&gt;"
        );
        assert_eq!(escape("Tom & \"Jerry\""), "Tom &amp; &quot;Jerry&quot;");
        assert_eq!(escape("bell\u{7}"), "bell ");
    }
}

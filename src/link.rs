//! Which links screenpop will follow: absolute `http`/`https` URLs with a host, nothing else.
//!
//! Profile URLs come from CRMs, contact files and callers, so they are untrusted. This is the
//! one allowlist: the contact model checks links with it before they are stored, and the
//! opener ([`crate::present::opener`]) checks again before anything is opened. It knows no
//! browser and no directory, so both can use it without an arrow running up.

/// Why a link is not one screenpop follows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("refused to open {url:?}: only http and https URLs are opened")]
    Refused { url: String },
    #[error("not a valid URL {url:?}: {reason}")]
    Invalid { url: String, reason: String },
}

/// Checks that `url` is an absolute http(s) URL with a host; returns it normalised.
pub fn check(url: &str) -> Result<String, LinkError> {
    let parsed = reqwest::Url::parse(url.trim()).map_err(|e| LinkError::Invalid {
        url: url.to_string(),
        reason: e.to_string(),
    })?;
    match parsed.scheme() {
        "http" | "https" if parsed.host_str().is_some_and(|h| !h.is_empty()) => {
            Ok(parsed.to_string())
        }
        _ => Err(LinkError::Refused {
            url: url.to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_and_https_pass() {
        assert!(check("https://crm.example.com/customers/lisa").is_ok());
        assert!(check("http://127.0.0.1:8080/x?y=1").is_ok());
        for bad in [
            "javascript:alert(1)",
            "file:///etc/passwd",
            "data:text/html,x",
            "ftp://x",
            "https://",
            "crm.example.com",
        ] {
            assert!(check(bad).is_err(), "{bad}");
        }
    }
}

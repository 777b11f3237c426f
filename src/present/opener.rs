//! The URL opener: the only way screenpop opens anything, and only `http`/`https`.
//!
//! Profile URLs come from CRMs and contact files, so they are untrusted: other schemes
//! (`javascript:`, `file:`, `data:` …) are refused and logged. When `BROWSER` is set it is
//! used (xdg-open's convention: `prog` or `prog %s`, first of a `:`-separated list);
//! otherwise the desktop's default handler via the `open` crate.
//! The allowlist itself is [`crate::link`], shared with the contact model.

use std::process::{Command, Stdio};

/// Why a URL was not opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("refused to open {url:?}: only http and https URLs are opened")]
    Refused { url: String },
    #[error("not a valid URL {url:?}: {reason}")]
    Invalid { url: String, reason: String },
    #[error("could not start the browser: {0}")]
    Launch(String),
}

impl From<crate::link::LinkError> for OpenError {
    fn from(e: crate::link::LinkError) -> Self {
        match e {
            crate::link::LinkError::Refused { url } => Self::Refused { url },
            crate::link::LinkError::Invalid { url, reason } => Self::Invalid { url, reason },
        }
    }
}

/// Checks `url` against the one allowlist ([`crate::link::check`]); returns it normalised.
pub fn check(url: &str) -> Result<String, OpenError> {
    Ok(crate::link::check(url)?)
}

/// Opens `url` in the browser if it passes [`check`]; never blocks on the browser.
pub fn open_url(url: &str) -> Result<(), OpenError> {
    let url = match check(url) {
        Ok(u) => u,
        Err(e) => {
            tracing::warn!(error = %e, "URL not opened");
            return Err(e);
        }
    };
    let browser = std::env::var("BROWSER").ok().and_then(|b| {
        b.split(':')
            .map(str::trim)
            .find(|s| !s.is_empty())
            .map(str::to_string)
    });
    match browser {
        Some(command) => launch(&command, &url),
        None => open::that_detached(&url).map_err(|e| OpenError::Launch(e.to_string())),
    }?;
    tracing::info!(url = %url, "opened");
    Ok(())
}

/// Starts `command` (BROWSER's program and words) on `url`, detached: `sh` starts it in the
/// background and exits at once, so the browser is never our child — nothing to reap, no
/// thread or task left waiting for it, and it outlives screenpop as a browser should. The
/// words go to `sh` as arguments, never as script text.
fn launch(command: &str, url: &str) -> Result<(), OpenError> {
    let mut parts = command.split_whitespace();
    let program = parts
        .next()
        .ok_or_else(|| OpenError::Launch("BROWSER is empty".into()))?;
    let mut args: Vec<String> = parts.map(str::to_string).collect();
    if let Some(slot) = args.iter_mut().find(|a| a.contains("%s")) {
        *slot = slot.replace("%s", url);
    } else {
        args.push(url.to_string());
    }
    let status = Command::new("sh")
        .arg("-c")
        .arg(r#"command -v "$1" >/dev/null 2>&1 || exit 127; "$@" </dev/null >/dev/null 2>&1 &"#)
        .arg("sh")
        .arg(program)
        .args(&args)
        .stdin(Stdio::null())
        .status()
        .map_err(|e| OpenError::Launch(format!("sh: {e}")))?;
    match status.code() {
        Some(0) => Ok(()),
        Some(127) => Err(OpenError::Launch(format!("{program}: not found"))),
        _ => Err(OpenError::Launch(format!("{program}: {status}"))),
    }
}

//! Which screenpop this is: the package version and the git commit it was built from
//! (recorded by `build.rs`), for `screenpop --version`, the window's About line and the
//! database's "written by a newer screenpop" check.

use serde::Serialize;

/// The package version, e.g. `0.1.0`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The git commit (12 hex digits), or `unknown` for a build outside a checkout.
pub const COMMIT: &str = env!("SCREENPOP_COMMIT");
/// `0.1.0 (commit 1a2b3c4d5e6f)`, what `--version` prints after the name.
pub const LONG: &str = env!("SCREENPOP_VERSION_LONG");

/// Version data for an About line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct About {
    pub version: &'static str,
    pub commit: &'static str,
    /// `screenpop 0.1.0 (commit 1a2b3c4d5e6f)`.
    pub line: String,
}

/// This build's About data.
pub fn about() -> About {
    About {
        version: VERSION,
        commit: COMMIT,
        line: format!("screenpop {LONG}"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_long_version_names_version_and_commit() {
        let about = super::about();
        assert!(about.line.starts_with("screenpop 0."), "{}", about.line);
        assert!(about.line.contains(about.commit));
        assert!(!about.commit.is_empty());
    }
}

//! Build script of the `screenpop` package: records the git commit the build comes from
//! (`SCREENPOP_COMMIT`), for `screenpop --version` and the window's About line.
//!
//! A build without git or outside a checkout (a source tarball, a distribution's builder)
//! is fine: set `SCREENPOP_COMMIT` in the environment, or it says "unknown".

use std::path::Path;
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    (out.status.success() && !text.trim().is_empty()).then(|| text.trim().to_string())
}

fn main() {
    println!("cargo:rerun-if-env-changed=SCREENPOP_COMMIT");
    println!("cargo:rerun-if-changed=build.rs");
    // `sqlx::migrate!` embeds migrations/ at compile time: a new migration must rebuild.
    println!("cargo:rerun-if-changed=migrations");
    let commit = match std::env::var("SCREENPOP_COMMIT") {
        Ok(c) if !c.trim().is_empty() => c.trim().to_string(),
        _ => git(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "unknown".into()),
    };
    // Rebuild when HEAD moves: HEAD itself (a checkout) and the branch refs (a commit).
    if let Some(dir) = git(&["rev-parse", "--absolute-git-dir"]) {
        println!("cargo:rerun-if-changed={dir}/HEAD");
    }
    if let Some(common) = git(&["rev-parse", "--path-format=absolute", "--git-common-dir"]) {
        for sub in ["refs/heads", "packed-refs"] {
            let path = Path::new(&common).join(sub);
            if path.exists() {
                println!("cargo:rerun-if-changed={}", path.display());
            }
        }
    }
    println!("cargo:rustc-env=SCREENPOP_COMMIT={commit}");
    println!(
        "cargo:rustc-env=SCREENPOP_VERSION_LONG={} (commit {commit})",
        env!("CARGO_PKG_VERSION")
    );
}

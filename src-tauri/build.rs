//! tauri.conf.json lives at the repo root (docs/ARCHITECTURE.md §3); capabilities/ stays in src-tauri/.
//!
//! The command names come from the one declaration in `src/command_names.rs` (the same list
//! the crate's `Command` enum is made of): they go into the app manifest, so each needs an
//! `allow-…` permission, and into `capabilities/main-window.json`, which this script writes —
//! so the window can call exactly the declared commands and the two lists cannot drift.

#[macro_use]
#[allow(unused_macros)]
#[path = "src/command_names.rs"]
mod command_names;

/// The names of the declared commands (types are not needed, so not resolved here).
macro_rules! names {
    ($( $(#[$m:meta])* $variant:ident $name:literal { $($body:tt)* } ),* $(,)?) => {
        &[$($name),*]
    };
}

const COMMANDS: &[&str] = with_commands!(names);

const CAPABILITY: &str = "capabilities/main-window.json";

/// The main window's capability: `allow-<name>` for every command, nothing else.
fn capability() -> String {
    let permissions: Vec<String> = COMMANDS
        .iter()
        .map(|c| format!("    \"allow-{}\"", c.replace('_', "-")))
        .collect();
    format!(
        r#"{{
  "$schema": "../gen/schemas/desktop-schema.json",
  "identifier": "main-window",
  "description": "Written by build.rs from src/command_names.rs: the main window may call screenpop's own commands and nothing else. Do not edit.",
  "windows": [
    "main"
  ],
  "permissions": [
{}
  ]
}}
"#,
        permissions.join(",\n")
    )
}

fn main() {
    let wanted = capability();
    // Written only when it changed, so the build does not re-run for nothing.
    if std::fs::read_to_string(CAPABILITY).ok().as_deref() != Some(wanted.as_str()) {
        if let Err(e) = std::fs::write(CAPABILITY, wanted) {
            panic!("cannot write {CAPABILITY}: {e}");
        }
    }
    println!("cargo:rerun-if-changed=src/command_names.rs");
    let attributes = tauri_build::Attributes::new()
        .config_path("../tauri.conf.json")
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(e) = tauri_build::try_build(attributes) {
        panic!("tauri build step failed: {e:#}");
    }
}

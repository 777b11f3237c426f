//! tauri.conf.json lives at the repo root (docs/ARCHITECTURE.md §3); capabilities/ stays in src-tauri/.
//! The app manifest names our commands, so each needs an `allow-…` permission in a
//! capability: a window can call exactly what its capability lists and nothing else.

// The command list, shared with the crate.
#[allow(dead_code)]
#[path = "src/command_names.rs"]
mod command_names;
use command_names::COMMANDS;

fn main() {
    let attributes = tauri_build::Attributes::new()
        .config_path("../tauri.conf.json")
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(e) = tauri_build::try_build(attributes) {
        panic!("tauri build step failed: {e:#}");
    }
}

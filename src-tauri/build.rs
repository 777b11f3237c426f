//! tauri.conf.json lives at the repo root (DESIGN §2); capabilities/ stays in src-tauri/.
//! The app manifest names our commands, so each needs an `allow-…` permission in a
//! capability: a window can call exactly what its capability lists and nothing else.

/// Every command the shell registers (keep in step with `commands::handler`).
const COMMANDS: &[&str] = &[
    "subscribe",
    "call_log",
    "assign_customer",
    "save_contact",
    "import_contacts",
    "settings_read",
    "settings_write",
    "test_lookup",
    "secret_status",
    "secret_set",
    "secret_delete",
    "open_url",
    "set_switch",
    "autostart_get",
    "autostart_set",
    "dial",
    "answer",
    "hangup",
    "transfer",
    "close_window",
];

fn main() {
    let attributes = tauri_build::Attributes::new()
        .config_path("../tauri.conf.json")
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(e) = tauri_build::try_build(attributes) {
        panic!("tauri build step failed: {e:#}");
    }
}

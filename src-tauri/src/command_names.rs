//! The names of the page's commands, in one list shared by `build.rs` (which declares them to
//! Tauri, so each needs an `allow-…` permission in the window's capability) and the core
//! (which relays all of them but the window's own).

/// Every command the window's page may invoke.
pub const COMMANDS: &[&str] = &[
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

/// The commands the window process answers itself (the rest go to the core).
pub const WINDOW_OWN: &[&str] = &["close_window"];

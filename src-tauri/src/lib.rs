//! screenpop-desktop: the desktop app over the screenpop core (docs/ARCHITECTURE.md §2, §7), as two
//! processes so an agent's desktop carries only the core and a tray all day:
//!
//! - `screenpop-desktop` (this library + `main.rs`): the same `App` as `screenpop run` (one
//!   code path: config, data, webhook, sources, notifications), the tray, and the link socket.
//!   No GTK, no WebKit.
//! - `screenpop-window` (`window/`): the Tauri window — greeting card, call log, settings —
//!   started on demand and ended when the agent closes it; its page's commands are relayed
//!   over the link to [`handlers`] here.
//!
//! Module map: [`command`] the page's commands (declared in [`command_names`]), [`core`] the running core, [`events`] the engine→page mapping, [`status`] the
//! tray state, [`handlers`] the page's commands, [`shell`] the wiring, [`link`] the protocol,
//! [`server`] and [`instance`] its two ends in this process, [`window_process`], [`tray`],
//! [`deeplink`], [`autostart`], [`error`], [`export`] (the contacts page's export), [`trial`] (setup's tests: connection, test call, demo
//! contacts).

// First: its macro (`with_commands!`) is used by `command`.
#[macro_use]
pub mod command_names;
pub mod autostart;
pub mod command;
pub mod core;
pub mod deeplink;
pub mod error;
pub mod events;
pub mod export;
pub mod handlers;
pub mod instance;
pub mod link;
pub mod server;
pub mod shell;
pub mod status;
pub mod tray;
pub mod trial;
pub mod window_process;

#[cfg(test)]
mod contacts_bench;
#[cfg(test)]
mod tests;

/// The core's poison-tolerant lock (every holder writes whole values, so what is inside a
/// poisoned lock is still consistent).
pub use screenpop::sync::lock;

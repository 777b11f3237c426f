//! "Start with the session": an XDG autostart entry (`~/.config/autostart/screenpop-desktop.desktop`)
//! that runs this very binary with `--hidden`, so the agent's desktop starts with the tray
//! only. The `auto-launch` crate writes and removes the entry.

use crate::error::CommandError;
use auto_launch::{AutoLaunch, AutoLaunchBuilder};

const NAME: &str = "screenpop-desktop";

fn launcher() -> Result<AutoLaunch, CommandError> {
    let exe = std::env::current_exe()
        .map_err(|e| CommandError::new("autostart", format!("where is screenpop-desktop? {e}")))?;
    AutoLaunchBuilder::new()
        .set_app_name(NAME)
        .set_app_path(&exe.to_string_lossy())
        .set_args(&["--hidden"])
        .build()
        .map_err(failed)
}

fn failed(e: impl std::fmt::Display) -> CommandError {
    CommandError::new("autostart", e.to_string())
}

/// Whether screenpop starts (in the tray) with the session.
pub fn is_enabled() -> Result<bool, CommandError> {
    launcher()?.is_enabled().map_err(failed)
}

/// Turns the autostart entry on or off; answers the new state.
pub fn set(on: bool) -> Result<bool, CommandError> {
    let launcher = launcher()?;
    if on {
        launcher.enable()
    } else {
        launcher.disable()
    }
    .map_err(failed)?;
    Ok(on)
}

//! `[engine]`: how long the engine keeps a call open when its end never comes.

use serde::{Deserialize, Serialize};

/// Default `[engine] stale_call_s`: four hours.
pub const DEFAULT_STALE_CALL_S: u64 = 4 * 60 * 60;

/// `[engine]`: the call engine's limits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EngineSettings {
    /// A call (live, or recovered after a restart) whose end never comes is closed as
    /// "screenpop stopped" this many seconds after it rang — never kept open forever.
    pub stale_call_s: u64,
}

impl Default for EngineSettings {
    fn default() -> Self {
        Self {
            stale_call_s: DEFAULT_STALE_CALL_S,
        }
    }
}

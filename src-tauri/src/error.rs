//! The one error shape that crosses to the webview: `{ code, message }` (GitButler style).
//!
//! `code` is stable and machine-readable (the UI branches on `no_control`, `invalid_input`…);
//! `message` is for the agent. Core errors map here by their kind, never by string matching.

use screenpop::check::FieldError;
use screenpop::config::ConfigError;
use screenpop::control::ControlError;
use screenpop::directory::import::batch::BatchError;
use screenpop::present::opener::OpenError;
use screenpop::secrets::SecretError;
use screenpop::store::StoreError;
use serde::Serialize;

/// A failed command, as the frontend receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{code}: {message}")]
pub struct CommandError {
    pub code: &'static str,
    pub message: String,
    /// For `invalid_settings`: every field that is wrong, each with its path
    /// (`directory.1.base_url`) — the settings form shows each next to its field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldError>,
}

impl CommandError {
    /// An error with this code and message.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            fields: Vec::new(),
        }
    }

    /// Settings with these wrong fields (nothing was written).
    pub fn fields(fields: Vec<FieldError>) -> Self {
        let message = match fields.as_slice() {
            [one] => one.to_string(),
            many => format!("{} settings need fixing", many.len()),
        };
        Self {
            code: "invalid_settings",
            message,
            fields,
        }
    }

    /// The agent gave something unusable (empty name, not a number…).
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new("invalid_input", message)
    }
}

impl From<ControlError> for CommandError {
    fn from(e: ControlError) -> Self {
        // The core's one code per control failure (the HTTP API answers the same codes).
        Self::new(e.code(), e.to_string())
    }
}

impl From<StoreError> for CommandError {
    fn from(e: StoreError) -> Self {
        Self::new("store", e.to_string())
    }
}

impl From<ConfigError> for CommandError {
    fn from(e: ConfigError) -> Self {
        Self::new("config", e.to_string())
    }
}

impl From<SecretError> for CommandError {
    fn from(e: SecretError) -> Self {
        Self::new("secrets", e.to_string())
    }
}

impl From<OpenError> for CommandError {
    fn from(e: OpenError) -> Self {
        let code = match e {
            OpenError::Refused { .. } | OpenError::Invalid { .. } => "url_refused",
            OpenError::Launch(_) => "browser",
        };
        Self::new(code, e.to_string())
    }
}

impl From<BatchError> for CommandError {
    fn from(e: BatchError) -> Self {
        match e {
            BatchError::File(e) => Self::new("import", e.to_string()),
            BatchError::Store(e) => e.into(),
        }
    }
}

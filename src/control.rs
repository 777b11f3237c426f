//! Call control: what screenpop can ask a softphone or PBX to do.
//!
//! Sources that can control calls (baresip over ctrl_tcp, Asterisk over AMI) implement
//! [`CallControl`]; the daemon routes `screenpop call/answer/hangup/transfer` and the
//! "Call back" click to the first source that offers it.

use async_trait::async_trait;

/// Why a control request failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ControlError {
    #[error("no call-control source is configured (add a [[source]] such as baresip)")]
    NoControl,
    #[error("the softphone is not connected: {0}")]
    NotConnected(String),
    #[error("the softphone refused: {0}")]
    Refused(String),
    #[error("no call to {0}")]
    NoCall(String),
    #[error("the softphone did not answer: {0}")]
    NoAnswer(String),
    #[error("cannot dial {0:?}: expected a phone number or a sip:/sips:/tel: URI")]
    InvalidTarget(String),
}

impl ControlError {
    /// The stable, machine-readable code of this failure — the one mapping every edge uses
    /// (the local HTTP API's JSON, the desktop page's `{code, message}`, the CLI's exit).
    pub fn code(&self) -> &'static str {
        match self {
            ControlError::NoControl => "no_control",
            ControlError::NoCall(_) => "no_call",
            ControlError::InvalidTarget(_) => "invalid_target",
            ControlError::Refused(_) => "refused",
            ControlError::NotConnected(_) => "not_connected",
            ControlError::NoAnswer(_) => "no_answer",
        }
    }
}

/// Longest dial or transfer target accepted.
const MAX_TARGET: usize = 256;

/// Checks and tidies what the agent asked to dial: SIP URIs pass unchanged, `tel:` URIs and
/// numbers lose their visual separators (`+49 (30) 123-456` → `+4930123456`), and plain
/// names (`bob`) are left for the softphone to complete with its own domain.
pub fn dial_target(target: &str) -> Result<String, ControlError> {
    let t = target.trim();
    let invalid = || ControlError::InvalidTarget(target.chars().take(80).collect());
    if t.is_empty() || t.len() > MAX_TARGET || t.chars().any(char::is_control) {
        return Err(invalid());
    }
    let lower = t.to_ascii_lowercase();
    if lower.starts_with("sip:") || lower.starts_with("sips:") {
        let rest = t.split_once(':').map_or("", |(_, r)| r);
        return if t.contains(char::is_whitespace) || !rest.contains(char::is_alphanumeric) {
            Err(invalid())
        } else {
            Ok(t.to_string())
        };
    }
    let number = if lower.starts_with("tel:") {
        t[4..].split(';').next().unwrap_or_default()
    } else {
        t
    };
    let visual = |c: char| " -().\u{a0}/".contains(c);
    if number.chars().any(|c| c.is_ascii_digit())
        && number
            .chars()
            .all(|c| c.is_ascii_digit() || "+*#".contains(c) || visual(c))
    {
        let dialled: String = number.chars().filter(|c| !visual(*c)).collect();
        return if dialled.is_empty() {
            Err(invalid())
        } else {
            Ok(dialled)
        };
    }
    if lower.starts_with("tel:")
        || t.contains(char::is_whitespace)
        || !t.contains(char::is_alphanumeric)
    {
        return Err(invalid());
    }
    Ok(t.to_string())
}

/// Dial, answer, hang up, transfer.
#[async_trait]
pub trait CallControl: Send + Sync {
    /// The source's name.
    fn name(&self) -> &str;
    /// Places a call to a number or SIP URI.
    async fn dial(&self, target: &str) -> Result<(), ControlError>;
    /// Answers a ringing call (the newest when `call_id` is `None`).
    async fn answer(&self, call_id: Option<&str>) -> Result<(), ControlError>;
    /// Hangs up a call (the current one when `call_id` is `None`).
    async fn hangup(&self, call_id: Option<&str>) -> Result<(), ControlError>;
    /// Blind-transfers a call to `target`.
    async fn transfer(&self, call_id: Option<&str>, target: &str) -> Result<(), ControlError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dial_targets_are_tidied_or_refused() {
        let ok = [
            ("sip:bob@127.0.0.1:5064", "sip:bob@127.0.0.1:5064"),
            (" +49 (30) 123-456 ", "+4930123456"),
            ("tel:+1-555-123-4567;phone-context=x", "+15551234567"),
            ("201", "201"),
            ("*97#", "*97#"),
            ("bob", "bob"),
        ];
        for (given, want) in ok {
            assert_eq!(dial_target(given).unwrap(), want, "{given}");
        }
        for bad in [
            "",
            "   ",
            "sip:bob @x",
            "bob smith",
            "tel:abc",
            "1\n2",
            "sip:",
            "---",
        ] {
            assert!(
                matches!(dial_target(bad), Err(ControlError::InvalidTarget(_))),
                "{bad:?}"
            );
        }
    }
}

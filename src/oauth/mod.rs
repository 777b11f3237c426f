//! OAuth 2 for the HTTP directories: signing in once (`screenpop connect NAME`: authorization
//! code + PKCE through a loopback redirect, the device-code flow, or client credentials) and
//! keeping a valid access token from then on without the user.
//!
//! - `provider` resolves `[directory.oauth]` against the preset (endpoints, scopes, quirks);
//! - `token` is the keyring entry and the token-endpoint requests (crate `oauth2`);
//! - `session` hands out access tokens: single-flight refresh before expiry and once on a 401,
//!   rotated refresh tokens stored, per-provider refresh limits, "sign in again" when the
//!   grant is gone;
//! - `connect` runs the sign-in flows; `device` the device-code dialects the crate lacks.
//!
//! Tokens live in the keyring only, never in config, database or logs. This module knows
//! nothing of CRMs' APIs: the HTTP connector asks it for a token and reports a 401.

pub mod connect;
pub mod device;
pub mod provider;
pub mod session;
pub mod token;

pub use connect::{connect, Connected, Prompt};
pub use provider::{Dialect, Provider};
pub use session::{Access, Session};

use std::sync::OnceLock;
use tokio::sync::broadcast;

/// Why no access token could be had.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AuthError {
    /// Nothing stored yet.
    #[error("not signed in: run `screenpop connect {0}`")]
    NotConnected(String),
    /// The grant is gone (revoked, expired, password changed): only a new sign-in helps.
    #[error(
        "sign in again ({reason}): `screenpop connect {directory}` or the notification's Sign in"
    )]
    SignIn { directory: String, reason: String },
    /// The provider's refresh limit is reached (Zoho: 10 per 10 minutes).
    #[error("token refresh limit reached; next refresh in {0} s")]
    Throttled(u64),
    /// The token endpoint could not be reached or answered nonsense: try again later.
    #[error("token endpoint unreachable: {0}")]
    Unreachable(String),
    /// The client itself was refused (wrong client id/secret, bad endpoint): fix the config.
    #[error("{0}")]
    Refused(String),
    #[error("keyring: {0}")]
    Keyring(String),
}

/// A directory that needs its user to sign in again (for the tray and a notification).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInNeeded {
    pub directory: String,
    pub reason: String,
}

fn notices() -> &'static broadcast::Sender<SignInNeeded> {
    static NOTICES: OnceLock<broadcast::Sender<SignInNeeded>> = OnceLock::new();
    NOTICES.get_or_init(|| broadcast::channel(16).0)
}

/// Subscribes to "sign in again" notices from every OAuth session in this process (the daemon
/// turns them into a notification with a **Sign in** action).
pub fn sign_in_notices() -> broadcast::Receiver<SignInNeeded> {
    notices().subscribe()
}

fn announce(notice: SignInNeeded) {
    tracing::warn!(directory = %notice.directory, reason = %notice.reason, "OAuth grant gone: sign in again");
    let _ = notices().send(notice);
}

//! The `[directory.oauth]` sub-table of an HTTP directory: which OAuth 2 client screenpop is,
//! where the provider's endpoints are, and which flow signs in. Only the shape of the file;
//! the [`crate::oauth`] module resolves it against the preset and runs the flows.
//!
//! No secret is ever here: `client_secret` names a keyring entry, and the tokens themselves
//! live in the keyring entry `token_entry` (default `oauth:<directory name>`).

use serde::{Deserialize, Serialize};

/// How screenpop obtains its first token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OAuthFlow {
    /// Authorization code + PKCE, the browser redirecting to `http://127.0.0.1:<port>/callback`.
    AuthorizationCode,
    /// The device-code flow (a code typed on the provider's page; `screenpop connect --device`).
    Device,
    /// Server-to-server with the client secret, no user (Dynamics application users).
    ClientCredentials,
}

/// `[directory.oauth]`: the OAuth 2 client of an HTTP directory.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OAuthSettings {
    /// The app's client id (Salesforce: consumer key; Microsoft: application id).
    pub client_id: Option<String>,
    /// Keyring entry holding the client secret (`screenpop secret set NAME`); none for public clients.
    pub client_secret: Option<String>,
    /// Scopes asked for (the preset's defaults when absent).
    pub scopes: Option<Vec<String>>,
    /// The authorization endpoint (browser sign-in).
    pub auth_url: Option<String>,
    /// The token endpoint.
    pub token_url: Option<String>,
    /// The device authorization endpoint (device flow).
    pub device_url: Option<String>,
    /// Microsoft Entra tenant (id or domain; `organizations` when absent).
    pub tenant: Option<String>,
    /// The default flow (`screenpop connect --device` picks the device flow anyway).
    pub flow: Option<OAuthFlow>,
    /// A fixed loopback port for the redirect, for providers that match the registered
    /// redirect URI exactly (Salesforce, Zoho); a free port when absent.
    pub redirect_port: Option<u16>,
    /// Keyring entry the tokens are kept in (default `oauth:<directory name>`).
    pub token_entry: Option<String>,
}

impl OAuthSettings {
    /// `self` laid over `preset`, key by key.
    pub fn over(&self, preset: &OAuthSettings) -> OAuthSettings {
        fn pick<T: Clone>(a: &Option<T>, b: &Option<T>) -> Option<T> {
            a.clone().or_else(|| b.clone())
        }
        OAuthSettings {
            client_id: pick(&self.client_id, &preset.client_id),
            client_secret: pick(&self.client_secret, &preset.client_secret),
            scopes: pick(&self.scopes, &preset.scopes),
            auth_url: pick(&self.auth_url, &preset.auth_url),
            token_url: pick(&self.token_url, &preset.token_url),
            device_url: pick(&self.device_url, &preset.device_url),
            tenant: pick(&self.tenant, &preset.tenant),
            flow: pick(&self.flow, &preset.flow),
            redirect_port: pick(&self.redirect_port, &preset.redirect_port),
            token_entry: pick(&self.token_entry, &preset.token_entry),
        }
    }
}

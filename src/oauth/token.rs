//! Tokens: what is kept in the keyring (one JSON entry per directory, so a rotated refresh
//! token and its access token are replaced together, atomically), and the token-endpoint
//! requests made with the `oauth2` crate (code exchange with the PKCE verifier, refresh,
//! client credentials), answers turned into a [`StoredToken`] or a classified [`AuthError`].
//!
//! Keyring calls are blocking D-Bus round trips: they run on the blocking pool.

use super::provider::Provider;
use super::AuthError;
use crate::secrets::SecretStore;
use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenType,
};
use oauth2::{
    AuthType, ClientId, ClientSecret, EndpointMaybeSet, EndpointNotSet, EndpointSet,
    ExtraTokenFields, RequestTokenError, StandardRevocableToken, StandardTokenResponse,
    TokenResponse, TokenUrl,
};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// What a provider adds to a token response: the API's address for this user.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ProviderFields {
    /// Salesforce: `https://yourorg.my.salesforce.com`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_url: Option<String>,
    /// Zoho: `https://www.zohoapis.eu`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_domain: Option<String>,
}
impl ExtraTokenFields for ProviderFields {}

/// A token response with the provider's fields.
pub type Answer = StandardTokenResponse<ProviderFields, BasicTokenType>;

/// The `oauth2` client type used here: token endpoint always set, authorization optional.
pub type Client = oauth2::Client<
    BasicErrorResponse,
    Answer,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointMaybeSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// The keyring entry's content.
#[derive(Clone, Serialize, Deserialize, PartialEq)]
pub struct StoredToken {
    pub access_token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// Unix seconds; none when the provider does not say (Salesforce): refreshed on a 401.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
    /// The API base this token is for (`instance_url` / `api_domain`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_base: Option<String>,
}

impl std::fmt::Debug for StoredToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredToken")
            .field("expires_at", &self.expires_at)
            .field("api_base", &self.api_base)
            .finish_non_exhaustive()
    }
}

impl StoredToken {
    /// From a token response; a refresh answer without a refresh token keeps `previous`'s.
    pub fn from_answer(answer: &Answer, previous: Option<&StoredToken>) -> StoredToken {
        let extra = answer.extra_fields();
        StoredToken {
            access_token: answer.access_token().secret().clone(),
            refresh_token: answer
                .refresh_token()
                .map(|r| r.secret().clone())
                .or_else(|| previous.and_then(|p| p.refresh_token.clone())),
            expires_at: answer
                .expires_in()
                .map(|d| chrono::Utc::now().timestamp() + d.as_secs() as i64),
            api_base: extra
                .instance_url
                .clone()
                .or_else(|| extra.api_domain.clone())
                .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
                .or_else(|| previous.and_then(|p| p.api_base.clone())),
        }
    }

    /// Whether the access token expires within `margin_s` seconds.
    pub fn expiring(&self, margin_s: i64) -> bool {
        self.expires_at
            .is_some_and(|at| at - margin_s <= chrono::Utc::now().timestamp())
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, crate::secrets::SecretError> + Send + 'static,
) -> Result<T, AuthError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| AuthError::Keyring(e.to_string()))?
        .map_err(|e| AuthError::Keyring(e.to_string()))
}

/// The stored token of `entry`, if any (an unreadable entry counts as none, with a warning).
pub async fn load(
    secrets: &Arc<dyn SecretStore>,
    entry: &str,
) -> Result<Option<StoredToken>, AuthError> {
    let (store, name) = (Arc::clone(secrets), entry.to_string());
    let raw = blocking(move || store.get(&name)).await?;
    Ok(raw.and_then(|r| match serde_json::from_str(&r) {
        Ok(t) => Some(t),
        Err(e) => {
            tracing::warn!(entry, error = %e, "stored OAuth token unreadable; sign in again");
            None
        }
    }))
}

/// Replaces the entry with `token` in one keyring write.
pub async fn save(
    secrets: &Arc<dyn SecretStore>,
    entry: &str,
    token: &StoredToken,
) -> Result<(), AuthError> {
    let json = serde_json::to_string(token).map_err(|e| AuthError::Keyring(e.to_string()))?;
    let (store, name) = (Arc::clone(secrets), entry.to_string());
    blocking(move || store.set(&name, &json)).await
}

/// The client secret, when the provider uses one.
pub async fn client_secret(
    secrets: &Arc<dyn SecretStore>,
    provider: &Provider,
) -> Result<Option<String>, AuthError> {
    let Some(name) = provider.client_secret.clone() else {
        return Ok(None);
    };
    let store = Arc::clone(secrets);
    let lookup = name.clone();
    blocking(move || store.get(&lookup))
        .await?
        .map(Some)
        .ok_or_else(|| {
            AuthError::Refused(format!(
                "client secret {name:?} is not in the keyring: run `screenpop secret set {name}`"
            ))
        })
}

/// An `oauth2` client for `provider` (client authentication in the request body, which every
/// provider here accepts and Zoho requires).
pub fn client(provider: &Provider, secret: Option<String>) -> Result<Client, AuthError> {
    let token_url = TokenUrl::new(provider.token_url.clone())
        .map_err(|e| AuthError::Refused(format!("oauth.token_url: {e}")))?;
    let auth_url = match &provider.auth_url {
        Some(u) => Some(
            oauth2::AuthUrl::new(u.clone())
                .map_err(|e| AuthError::Refused(format!("oauth.auth_url: {e}")))?,
        ),
        None => None,
    };
    let mut c = oauth2::Client::new(ClientId::new(provider.client_id.clone()))
        .set_auth_type(AuthType::RequestBody)
        .set_auth_uri_option(auth_url)
        .set_token_uri(token_url);
    if let Some(s) = secret {
        c = c.set_client_secret(ClientSecret::new(s));
    }
    Ok(c)
}

/// The HTTP client for token endpoints: no redirects (a token request must not be replayed
/// elsewhere), rustls, the connector's timeout.
pub fn http(timeout: std::time::Duration) -> Result<reqwest::Client, AuthError> {
    reqwest::Client::builder()
        .user_agent(concat!("screenpop/", env!("CARGO_PKG_VERSION")))
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .build()
        .map_err(|e| AuthError::Unreachable(e.to_string()))
}

type TokenError = RequestTokenError<oauth2::HttpClientError<reqwest::Error>, BasicErrorResponse>;

/// Classifies a failed token request. `invalid_grant` (and Zoho's `invalid_code`, sent with a
/// 200) means the grant is gone for good: the user must sign in again.
pub fn classify(directory: &str, e: TokenError) -> AuthError {
    let gone = |code: &str, detail: Option<&str>| {
        let reason = detail.map_or(code.to_string(), |d| {
            format!("{code}: {}", crate::quote::brief(d))
        });
        match code {
            "invalid_grant" | "invalid_code" | "invalid_token" | "expired_token" => {
                AuthError::SignIn {
                    directory: directory.to_string(),
                    reason,
                }
            }
            _ => AuthError::Refused(format!("token endpoint refused: {reason}")),
        }
    };
    match e {
        RequestTokenError::ServerResponse(r) => gone(
            r.error().as_ref(),
            r.error_description().map(String::as_str),
        ),
        RequestTokenError::Parse(_, body) => {
            #[derive(Deserialize)]
            struct Error {
                error: String,
                error_description: Option<String>,
            }
            match serde_json::from_slice::<Error>(&body) {
                Ok(err) => gone(&err.error, err.error_description.as_deref()),
                Err(_) => {
                    AuthError::Unreachable("token endpoint answered something unreadable".into())
                }
            }
        }
        RequestTokenError::Request(e) => AuthError::Unreachable(crate::quote::brief(&match e {
            oauth2::HttpClientError::Reqwest(r) => (*r).without_url().to_string(),
            other => other.to_string(),
        })),
        RequestTokenError::Other(m) => AuthError::Unreachable(crate::quote::brief(&m)),
    }
}

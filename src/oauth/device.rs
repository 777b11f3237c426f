//! The device-code flow (RFC 8628) and the two dialects the `oauth2` crate does not speak:
//! Salesforce (device request and polling on the token endpoint, `grant_type=device`) and
//! Zoho (`/oauth/v3/device/code` with `grant_type=device_request`, polled at
//! `/oauth/v3/device/token` with `grant_type=device_token`). Polling honours `interval` and
//! `slow_down`; `authorization_pending` keeps waiting until the code expires.

use super::provider::{Dialect, Provider};
use super::token::Answer;
use super::{AuthError, Prompt};
use serde::Deserialize;
use std::time::{Duration, Instant};

#[derive(Deserialize)]
struct Grant {
    device_code: String,
    user_code: String,
    #[serde(alias = "verification_url")]
    verification_uri: String,
    #[serde(default)]
    verification_uri_complete: Option<String>,
    #[serde(default)]
    expires_in: Option<u64>,
    #[serde(default)]
    interval: Option<u64>,
}

#[derive(Deserialize)]
struct Refusal {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

fn form<'a>(pairs: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .copied()
        .collect()
}

/// Runs the device flow to a token answer, telling the user the code through `prompt`.
pub async fn run(
    provider: &Provider,
    http: &reqwest::Client,
    secret: Option<&str>,
    prompt: &mut (dyn FnMut(Prompt) + Send),
    limit: Duration,
) -> Result<Answer, AuthError> {
    let scope = provider.scope();
    let secret = secret.unwrap_or_default();
    let id = provider.client_id.as_str();
    let (grant_url, grant_form, poll_url) = match provider.dialect {
        Dialect::Standard => (
            provider.device_url.clone().ok_or_else(|| {
                AuthError::Refused("oauth.device_url is required for the device flow".into())
            })?,
            form(&[("client_id", id), ("scope", &scope)]),
            provider.token_url.clone(),
        ),
        Dialect::Salesforce => (
            // Salesforce's device requests go to the token endpoint itself.
            provider
                .device_url
                .clone()
                .unwrap_or_else(|| provider.token_url.clone()),
            form(&[
                ("response_type", "device_code"),
                ("client_id", id),
                ("scope", &scope),
            ]),
            provider.token_url.clone(),
        ),
        Dialect::Zoho => {
            let code = provider.device_url.clone().ok_or_else(|| {
                AuthError::Refused("oauth.device_url is required for the device flow".into())
            })?;
            let token = code.replace("/device/code", "/device/token");
            (
                code,
                form(&[
                    ("client_id", id),
                    ("scope", &scope),
                    ("grant_type", "device_request"),
                    ("access_type", "offline"),
                ]),
                token,
            )
        }
    };
    let reply = http
        .post(&grant_url)
        .form(&grant_form)
        .send()
        .await
        .map_err(|e| AuthError::Unreachable(e.without_url().to_string()))?;
    let status = reply.status();
    let body = reply
        .bytes()
        .await
        .map_err(|e| AuthError::Unreachable(e.without_url().to_string()))?;
    let grant: Grant = serde_json::from_slice(&body).map_err(|_| {
        match serde_json::from_slice::<Refusal>(&body) {
            Ok(r) => AuthError::Refused(format!("device authorization refused: {}", r.error)),
            Err(_) => AuthError::Unreachable(format!(
                "device authorization answered HTTP {status} without a code"
            )),
        }
    })?;
    prompt(Prompt::EnterCode {
        verification_uri: grant.verification_uri.clone(),
        verification_uri_complete: grant.verification_uri_complete.clone(),
        user_code: grant.user_code.clone(),
    });
    let mut interval = Duration::from_secs(grant.interval.unwrap_or(5).clamp(1, 60));
    let until = Instant::now() + Duration::from_secs(grant.expires_in.unwrap_or(900)).min(limit);
    let poll_form = match provider.dialect {
        Dialect::Standard => form(&[
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("device_code", &grant.device_code),
            ("client_id", id),
            ("client_secret", secret),
        ]),
        Dialect::Salesforce => form(&[
            ("grant_type", "device"),
            ("code", &grant.device_code),
            ("client_id", id),
            ("client_secret", secret),
        ]),
        Dialect::Zoho => form(&[
            ("grant_type", "device_token"),
            ("code", &grant.device_code),
            ("client_id", id),
            ("client_secret", secret),
        ]),
    };
    loop {
        if Instant::now() + interval > until {
            return Err(AuthError::Refused(
                "the device code expired before it was entered".into(),
            ));
        }
        // The flow itself asks clients to wait `interval` between polls.
        tokio::time::sleep(interval).await;
        let reply = http
            .post(&poll_url)
            .form(&poll_form)
            .send()
            .await
            .map_err(|e| AuthError::Unreachable(e.without_url().to_string()))?;
        let body = reply
            .bytes()
            .await
            .map_err(|e| AuthError::Unreachable(e.without_url().to_string()))?;
        if let Ok(answer) = serde_json::from_slice::<Answer>(&body) {
            return Ok(answer);
        }
        match serde_json::from_slice::<Refusal>(&body) {
            Ok(r) if r.error == "authorization_pending" => {}
            Ok(r) if r.error == "slow_down" => interval += Duration::from_secs(5),
            Ok(r) => {
                let detail = r
                    .error_description
                    .map(|d| format!(": {}", crate::quote::brief(&d)));
                return Err(AuthError::Refused(format!(
                    "sign-in refused ({}{})",
                    r.error,
                    detail.unwrap_or_default()
                )));
            }
            Err(_) => {
                return Err(AuthError::Unreachable(
                    "the token endpoint answered something unreadable".into(),
                ))
            }
        }
    }
}

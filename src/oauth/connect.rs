//! Signing in: the authorization-code flow with PKCE through a loopback redirect
//! (`http://127.0.0.1:<port>/callback`, the browser opened by the opener), the device-code
//! flow, and client credentials — each ending with the tokens in the directory's keyring
//! entry. It knows a [`Provider`], not a directory: [`crate::connect`] finds the configured
//! directory's provider and opens the browser, and is what `screenpop connect NAME` and the
//! Settings window's Connect button call.
//!
//! The loopback listener answers only `GET /callback` with a matching `state` (anything
//! else gets a 400 and the wait goes on), shows a fixed page (no request text is echoed),
//! and stops as soon as the code arrived.

use super::provider::Provider;
use super::token::{self, StoredToken};
use super::{device, AuthError};
use crate::config::OAuthFlow;
use crate::secrets::SecretStore;
use oauth2::{AuthorizationCode, CsrfToken, PkceCodeChallenge, RedirectUrl, Scope};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// How long a sign-in may take before it is given up.
pub const SIGN_IN_LIMIT: Duration = Duration::from_secs(300);

/// What the user has to do now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prompt {
    /// Open `url` in the browser (`crate::connect::open_in_browser` does); the
    /// sign-in completes when the provider redirects back to the loopback listener.
    OpenBrowser { url: String },
    /// Enter `user_code` at `verification_uri` (device flow).
    EnterCode {
        verification_uri: String,
        verification_uri_complete: Option<String>,
        user_code: String,
    },
}

/// Where the sign-in put the tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connected {
    pub directory: String,
    /// The keyring entry (service `screenpop`).
    pub entry: String,
    /// Whether a refresh token came with it (signing in again will not be needed).
    pub refresh_token: bool,
    pub api_base: Option<String>,
    /// Seconds until the access token expires, if the provider said.
    pub expires_in_s: Option<i64>,
}

/// Signs in to `provider` and stores the tokens.
pub async fn connect(
    provider: &Provider,
    secrets: Arc<dyn SecretStore>,
    device: bool,
    timeout: Duration,
    prompt: &mut (dyn FnMut(Prompt) + Send),
) -> Result<Connected, AuthError> {
    let http = token::http(timeout)?;
    let secret = token::client_secret(&secrets, provider).await?;
    let flow = if device {
        OAuthFlow::Device
    } else {
        provider.flow
    };
    let answer = match flow {
        OAuthFlow::Device => {
            device::run(provider, &http, secret.as_deref(), prompt, SIGN_IN_LIMIT).await?
        }
        OAuthFlow::ClientCredentials => token::client(provider, secret)?
            .exchange_client_credentials()
            .add_scopes(provider.scopes.iter().cloned().map(Scope::new))
            .request_async(&http)
            .await
            .map_err(|e| token::classify(&provider.directory, e))?,
        OAuthFlow::AuthorizationCode => browser(provider, &http, secret, prompt).await?,
    };
    let stored = StoredToken::from_answer(&answer, None);
    token::save(&secrets, &provider.token_entry, &stored).await?;
    tracing::info!(directory = %provider.directory, entry = %provider.token_entry, "signed in; tokens stored in the keyring");
    Ok(Connected {
        directory: provider.directory.clone(),
        entry: provider.token_entry.clone(),
        refresh_token: stored.refresh_token.is_some(),
        api_base: stored.api_base.clone(),
        expires_in_s: stored
            .expires_at
            .map(|at| at - chrono::Utc::now().timestamp()),
    })
}

async fn browser(
    provider: &Provider,
    http: &reqwest::Client,
    secret: Option<String>,
    prompt: &mut (dyn FnMut(Prompt) + Send),
) -> Result<token::Answer, AuthError> {
    let listener =
        tokio::net::TcpListener::bind(("127.0.0.1", provider.redirect_port.unwrap_or(0)))
            .await
            .map_err(|e| {
                AuthError::Refused(format!(
                    "cannot listen for the sign-in redirect on 127.0.0.1: {e}"
                ))
            })?;
    let port = listener
        .local_addr()
        .map_err(|e| AuthError::Refused(e.to_string()))?
        .port();
    let redirect = RedirectUrl::new(format!("http://127.0.0.1:{port}/callback"))
        .map_err(|e| AuthError::Refused(e.to_string()))?;
    let client = token::client(provider, secret)?.set_redirect_uri(redirect);
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client
        .authorize_url(CsrfToken::new_random)
        .map_err(|e| AuthError::Refused(format!("oauth.auth_url: {e}")))?
        .set_pkce_challenge(challenge);
    if !provider.scopes.is_empty() {
        request = request.add_scope(Scope::new(provider.scope()));
    }
    for (k, v) in &provider.auth_params {
        request = request.add_extra_param(*k, *v);
    }
    let (url, state) = request.url();
    prompt(Prompt::OpenBrowser {
        url: url.to_string(),
    });
    let code = tokio::time::timeout(
        SIGN_IN_LIMIT,
        wait_for_code(listener, state.secret().clone()),
    )
    .await
    .map_err(|_| AuthError::Refused("no sign-in within 5 minutes".into()))??;
    client
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(verifier)
        .request_async(http)
        .await
        .map_err(|e| token::classify(&provider.directory, e))
}

const DONE_PAGE: &str = "<!doctype html><meta charset=utf-8><title>screenpop</title><p>Signed in. You can close this tab and return to screenpop.</p>";
const REFUSED_PAGE: &str = "<!doctype html><meta charset=utf-8><title>screenpop</title><p>The sign-in was not completed. Run <code>screenpop connect</code> again.</p>";

/// Serves the loopback redirect until a callback with our `state` arrives.
async fn wait_for_code(
    listener: tokio::net::TcpListener,
    state: String,
) -> Result<String, AuthError> {
    use axum::extract::Query;
    use axum::http::StatusCode;
    use axum::response::Html;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<String, AuthError>>(1);
    let app = axum::Router::new().route(
        "/callback",
        axum::routing::get(move |Query(q): Query<HashMap<String, String>>| {
            let (tx, state) = (tx.clone(), state.clone());
            async move {
                if q.get("state") != Some(&state) {
                    return (StatusCode::BAD_REQUEST, Html(REFUSED_PAGE));
                }
                if let Some(code) = q.get("code") {
                    let _ = tx.send(Ok(code.clone())).await;
                    return (StatusCode::OK, Html(DONE_PAGE));
                }
                let error = q.get("error").map_or("no code", String::as_str);
                let _ = tx
                    .send(Err(AuthError::Refused(format!(
                        "the provider refused the sign-in ({})",
                        crate::quote::brief(error)
                    ))))
                    .await;
                (StatusCode::OK, Html(REFUSED_PAGE))
            }
        }),
    );
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stop_rx.await;
            })
            .await;
    });
    let got = rx
        .recv()
        .await
        .unwrap_or_else(|| Err(AuthError::Refused("the sign-in listener stopped".into())));
    let _ = stop_tx.send(());
    // A browser keeping its connection open must not hold the sign-in up.
    if tokio::time::timeout(Duration::from_secs(2), server)
        .await
        .is_err()
    {
        tracing::debug!("sign-in listener closed with a connection still open");
    }
    got
}

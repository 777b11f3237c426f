//! One directory's OAuth session: hands out access tokens and keeps them valid.
//!
//! Everything that may talk to the token endpoint runs under one async lock, so refreshes
//! are single-flight: concurrent lookups while a refresh is under way wait for it and use
//! its token. A token is refreshed a minute before it expires, and once when the API answers
//! 401 ([`Session::rejected`]) — unless another caller already replaced the rejected token.
//! A rotated refresh token is stored (with its access token, in one keyring write) before
//! it is used. A refresh limit (Zoho: 10 per 10 min) is kept per refresh token. When the
//! grant is gone (`invalid_grant`), the session says "sign in again" and announces it once;
//! it re-reads the keyring on each later use, so a `screenpop connect` elsewhere revives it.

use super::provider::Provider;
use super::token::{self, StoredToken};
use super::{announce, AuthError, SignInNeeded};
use crate::config::OAuthFlow;
use crate::secrets::SecretStore;
use oauth2::{RefreshToken, Scope};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Refresh this long before the provider's expiry.
const MARGIN_S: i64 = 60;

/// A usable access token and the API base it belongs to.
#[derive(Clone, PartialEq)]
pub struct Access {
    pub token: String,
    /// `instance_url` / `api_domain` from the token response, if the provider gives one.
    pub api_base: Option<String>,
}

impl std::fmt::Debug for Access {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Access")
            .field("api_base", &self.api_base)
            .finish_non_exhaustive()
    }
}

#[derive(Default)]
struct State {
    token: Option<StoredToken>,
    loaded: bool,
    /// Why the grant is gone, once the provider said so.
    dead: Option<String>,
    /// When the current refresh token was last used (for the refresh limit).
    recent: VecDeque<Instant>,
}

/// Access tokens for one directory.
pub struct Session {
    provider: Provider,
    secrets: Arc<dyn SecretStore>,
    http: reqwest::Client,
    state: tokio::sync::Mutex<State>,
    refreshes: AtomicU64,
}

impl Session {
    /// A session for `provider`, token requests timing out after `timeout`.
    pub fn new(
        provider: Provider,
        secrets: Arc<dyn SecretStore>,
        timeout: Duration,
    ) -> Result<Self, AuthError> {
        Ok(Self {
            http: token::http(timeout)?,
            provider,
            secrets,
            state: tokio::sync::Mutex::new(State::default()),
            refreshes: AtomicU64::new(0),
        })
    }

    /// The provider this session signs in to.
    pub fn provider(&self) -> &Provider {
        &self.provider
    }

    /// How many token-endpoint requests this session has made (refreshes and client
    /// credentials), for `--explain` and tests.
    pub fn refreshes(&self) -> u64 {
        self.refreshes.load(Ordering::Relaxed)
    }

    /// A token valid for at least another minute (refreshing first if needed).
    pub async fn access(&self) -> Result<Access, AuthError> {
        let mut st = self.state.lock().await;
        self.reload(&mut st).await?;
        if let Some(reason) = &st.dead {
            return Err(self.sign_in(reason));
        }
        let renew = match &st.token {
            None if self.provider.flow == OAuthFlow::ClientCredentials => true,
            None => return Err(AuthError::NotConnected(self.provider.directory.clone())),
            Some(t) => t.expiring(MARGIN_S),
        };
        if renew {
            self.renew(&mut st).await?;
        }
        Ok(current(&st))
    }

    /// The API refused `access_token` (401): a new token, unless someone already got one.
    pub async fn rejected(&self, access_token: &str) -> Result<Access, AuthError> {
        let mut st = self.state.lock().await;
        self.reload(&mut st).await?;
        if let Some(reason) = &st.dead {
            return Err(self.sign_in(reason));
        }
        match &st.token {
            Some(t) if t.access_token != access_token => return Ok(current(&st)),
            None if self.provider.flow != OAuthFlow::ClientCredentials => {
                return Err(AuthError::NotConnected(self.provider.directory.clone()))
            }
            _ => {}
        }
        self.renew(&mut st).await?;
        Ok(current(&st))
    }

    fn sign_in(&self, reason: &str) -> AuthError {
        AuthError::SignIn {
            directory: self.provider.directory.clone(),
            reason: reason.to_string(),
        }
    }

    /// Reads the keyring at first use, and again while nothing usable is held (a sign-in
    /// made by `screenpop connect` in another process is picked up).
    async fn reload(&self, st: &mut State) -> Result<(), AuthError> {
        if st.loaded && st.token.is_some() && st.dead.is_none() {
            return Ok(());
        }
        let stored = token::load(&self.secrets, &self.provider.token_entry).await?;
        st.loaded = true;
        if stored.is_some() && stored != st.token {
            st.token = stored;
            st.dead = None;
            st.recent.clear();
        }
        Ok(())
    }

    async fn renew(&self, st: &mut State) -> Result<(), AuthError> {
        let secret = token::client_secret(&self.secrets, &self.provider).await?;
        let client = token::client(&self.provider, secret)?;
        let answer = if self.provider.flow == OAuthFlow::ClientCredentials {
            self.refreshes.fetch_add(1, Ordering::Relaxed);
            client
                .exchange_client_credentials()
                .add_scopes(self.provider.scopes.iter().cloned().map(Scope::new))
                .request_async(&self.http)
                .await
        } else {
            let Some(refresh) = st.token.as_ref().and_then(|t| t.refresh_token.clone()) else {
                let reason = "the provider issued no refresh token".to_string();
                return Err(self.gone(st, reason));
            };
            self.check_limit(st)?;
            self.refreshes.fetch_add(1, Ordering::Relaxed);
            tracing::info!(directory = %self.provider.directory, "refreshing the OAuth access token");
            client
                .exchange_refresh_token(&RefreshToken::new(refresh))
                .request_async(&self.http)
                .await
        };
        match answer {
            Ok(answer) => {
                let next = StoredToken::from_answer(&answer, st.token.as_ref());
                if st.token.as_ref().and_then(|t| t.refresh_token.as_ref())
                    != next.refresh_token.as_ref()
                {
                    // A rotated refresh token starts its own limit window.
                    st.recent.clear();
                }
                // Stored before use: a crash right after must not lose a rotated refresh token.
                if let Err(e) = token::save(&self.secrets, &self.provider.token_entry, &next).await
                {
                    tracing::error!(directory = %self.provider.directory, error = %e, "new OAuth token not stored; a restart will need a new sign-in");
                }
                st.token = Some(next);
                Ok(())
            }
            Err(e) => match token::classify(&self.provider.directory, e) {
                AuthError::SignIn { reason, .. } => Err(self.gone(st, reason)),
                other => {
                    tracing::warn!(directory = %self.provider.directory, error = %other, "OAuth token not renewed");
                    Err(other)
                }
            },
        }
    }

    fn gone(&self, st: &mut State, reason: String) -> AuthError {
        st.dead = Some(reason.clone());
        announce(SignInNeeded {
            directory: self.provider.directory.clone(),
            reason: reason.clone(),
        });
        self.sign_in(&reason)
    }

    fn check_limit(&self, st: &mut State) -> Result<(), AuthError> {
        let Some((max, window)) = self.provider.refresh_limit else {
            return Ok(());
        };
        while st.recent.front().is_some_and(|t| t.elapsed() >= window) {
            st.recent.pop_front();
        }
        if st.recent.len() >= max {
            let wait = st
                .recent
                .front()
                .map_or(window, |t| window.saturating_sub(t.elapsed()));
            return Err(AuthError::Throttled(wait.as_secs().max(1)));
        }
        st.recent.push_back(Instant::now());
        Ok(())
    }
}

fn current(st: &State) -> Access {
    let t = st.token.as_ref();
    Access {
        token: t.map(|t| t.access_token.clone()).unwrap_or_default(),
        api_base: t.and_then(|t| t.api_base.clone()),
    }
}

//! `screenpop connect NAME`: signing in to a configured `[[directory]]` — find it, resolve its
//! HTTP template to the OAuth provider, run [`crate::oauth::connect`]'s flow, open the browser
//! with the opener — and the **Sign in** action of the "sign in again" notification. Above the
//! directories and the presenter, which `oauth` (below both) must not see.

use crate::config::{DirectoryConfig, Settings};
use crate::directory::http::template::HttpTemplate;
use crate::oauth::{connect, AuthError, Connected, Prompt};
use crate::secrets::SecretStore;
use std::sync::Arc;
use std::time::Duration;

/// Runs the sign-in for the `[[directory]]` called `name` in `settings`.
pub async fn connect_directory(
    settings: &Settings,
    name: &str,
    device: bool,
    secrets: Arc<dyn SecretStore>,
    prompt: &mut (dyn FnMut(Prompt) + Send),
) -> Result<Connected, AuthError> {
    let chain = settings.directory_chain();
    let Some(config) = chain.iter().find(|d| d.name() == name) else {
        let names: Vec<String> = chain.iter().map(DirectoryConfig::name).collect();
        return Err(AuthError::Refused(format!(
            "no [[directory]] named {name:?} (configured: {})",
            names.join(", ")
        )));
    };
    let DirectoryConfig::Http(http) = config else {
        return Err(AuthError::Refused(format!(
            "directory {name:?} is not kind = \"http\"; only HTTP directories sign in with OAuth"
        )));
    };
    let template = HttpTemplate::resolve(http)
        .map_err(|e| AuthError::Refused(format!("directory {name:?}: {e}")))?;
    let Some(provider) = template.oauth.clone() else {
        return Err(AuthError::Refused(format!(
            "directory {name:?} has no [directory.oauth] table"
        )));
    };
    connect(
        &provider,
        secrets,
        device,
        template.timeout.max(Duration::from_secs(10)),
        prompt,
    )
    .await
}

/// Opens a [`Prompt::OpenBrowser`] URL with the opener (`BROWSER`, else the desktop's).
pub fn open_in_browser(prompt: &Prompt) {
    if let Prompt::OpenBrowser { url } = prompt {
        if let Err(e) = crate::present::opener::open_url(url) {
            tracing::warn!(error = %e, "browser not opened for the sign-in");
        }
    }
}

/// The **Sign in** action: the browser sign-in for `directory`, its outcome logged.
pub async fn sign_in(settings: Settings, directory: String, secrets: Arc<dyn SecretStore>) {
    let mut prompt = |p: Prompt| {
        tracing::info!(directory = %directory, "sign-in: browser opened");
        open_in_browser(&p);
    };
    match connect_directory(&settings, &directory, false, secrets, &mut prompt).await {
        Ok(c) => tracing::info!(directory = %c.directory, entry = %c.entry, "signed in again"),
        Err(e) => tracing::warn!(directory = %directory, error = %e, "sign-in failed"),
    }
}

//! What first-run setup tries before anything is saved: a source's "Test connection" (its
//! real connect and login, [`screenpop::source::probe`]), "Send a test call" (a call rung
//! into this very app over its own local HTTP API, so the real notification pops), and the
//! demo contacts.

use crate::core::Core;
use crate::error::CommandError;
use screenpop::check::FieldError;
use screenpop::config::SourceConfig;
use screenpop::directory::import::batch::{self, Format, Report};
use screenpop::source::probe::{self, Probe};
use screenpop::store::contacts::Contacts;
use serde_json::{json, Value};
use std::time::Duration;

/// The demo contacts shipped in the repo (Lisa and Homer Simpson and friends).
pub const DEMO_CONTACTS: &str = include_str!("../../fixtures/demo-contacts.csv");

/// How long the test call rings before it ends (missed).
pub const TEST_CALL_RINGS: Duration = Duration::from_secs(12);

/// "Test connection" for one `[[source]]` entry as the form has it (not saved yet).
pub async fn test_connection(core: &Core, source: Value) -> Result<Probe, CommandError> {
    let config: SourceConfig = serde_json::from_value(source)
        .map_err(|e| CommandError::fields(vec![FieldError::new("source", e.to_string())]))?;
    let secrets = core.secrets_arc();
    Ok(probe::probe(&config, &secrets, probe::PROBE_TIMEOUT).await)
}

/// Loads the demo contacts into the local directory.
pub async fn load_demo_contacts(core: &Core) -> Result<Report, CommandError> {
    let app = core.app()?;
    let contacts = Contacts::new(app.store.clone());
    let bytes = DEMO_CONTACTS.as_bytes();
    Ok(batch::import(&contacts, &app.rules, bytes, Format::Csv, &mut |_| {}).await?)
}

/// Rings this app from `number` over its own webhook (what `screenpop event ringing` does),
/// and ends the call after [`TEST_CALL_RINGS`]; answers the test call's id.
pub async fn send_test_call(core: &Core, number: &str) -> Result<String, CommandError> {
    let app = core.app()?;
    let webhook = &app.settings.webhook;
    if !webhook.enabled {
        return Err(CommandError::new(
            "webhook_off",
            "the local webhook is off ([webhook] enabled = false): turn it on to ring a test call",
        ));
    }
    let secrets = core.secrets_arc();
    let name = webhook.token_secret.clone();
    let token = tokio::task::spawn_blocking(move || secrets.get(&name))
        .await
        .map_err(|e| CommandError::new("internal", e.to_string()))??
        .ok_or_else(|| CommandError::new("secrets", "the webhook's token is not set yet"))?;
    let url = format!("http://127.0.0.1:{}/v1/events", webhook.port);
    let call_id = format!("test-{}", chrono::Utc::now().timestamp_millis());
    let post = {
        let (url, token) = (url.clone(), token.clone());
        move |body: Value| {
            let (url, token) = (url.clone(), token.clone());
            async move {
                reqwest::Client::new()
                    .post(url)
                    .bearer_auth(token)
                    .json(&body)
                    .send()
                    .await
                    .and_then(|r| r.error_for_status())
                    .map(drop)
            }
        }
    };
    let ring = json!({"version": 1, "type": "ringing", "from": number, "call_id": call_id,
        "name": "screenpop test call"});
    post(ring)
        .await
        .map_err(|e| CommandError::new("webhook", format!("the test call did not ring: {e}")))?;
    let end = json!({"version": 1, "type": "ended", "call_id": call_id});
    core.own_task(tokio::spawn(async move {
        tokio::time::sleep(TEST_CALL_RINGS).await;
        if let Err(e) = post(end).await {
            tracing::warn!(error = %e, "test call not ended");
        }
    }));
    Ok(call_id)
}

/// "Test rules": which of the form's rules (not saved yet) would fire for an inbound call
/// from `number` now, and why — the caller looked up through the running chain.
pub async fn test_rules(core: &Core, number: &str, settings: Value) -> Result<Value, CommandError> {
    use screenpop::event::Direction;
    use screenpop::rules::{Facts, Rulebook};
    let settings = screenpop::check::settings_from_json(settings).map_err(CommandError::fields)?;
    let app = core.app()?;
    let remote = app.rules.normalise(number);
    let outcome = app.lookup(number).await;
    let customer = outcome.as_ref().and_then(|(_, o)| o.matches.first());
    let facts = Facts {
        direction: Direction::Inbound,
        number,
        remote: &remote,
        customer,
        local_time: chrono::Local::now().naive_local(),
    };
    let book = Rulebook::new(&settings.rules, &settings.rule_list);
    Ok(json!({
        "customer": customer,
        "rules": book.explain(&facts),
        "decision": book.decide(&facts).log_line(),
    }))
}

/// **Connect**: the OAuth sign-in for the saved `[[directory]]` called `directory` — the
/// browser opens on the provider's page and the tokens land in the keyring
/// (`screenpop::connect`, what `screenpop connect NAME` runs).
pub async fn connect(core: &Core, directory: &str) -> Result<Value, CommandError> {
    use screenpop::connect::{connect_directory, open_in_browser};
    let app = core.app()?;
    let mut prompt = |p: screenpop::oauth::Prompt| open_in_browser(&p);
    let connected = connect_directory(
        &app.settings,
        directory,
        false,
        core.secrets_arc(),
        &mut prompt,
    )
    .await
    .map_err(|e| CommandError::new("sign_in", e.to_string()))?;
    Ok(json!({
        "directory": connected.directory,
        "entry": connected.entry,
        "refresh_token": connected.refresh_token,
        "expires_in_s": connected.expires_in_s,
    }))
}

//! "Test connection" for one `[[source]]` entry: the source's own connect-and-login, run once
//! outside the supervisor — a baresip ctrl_tcp socket, an MQTT broker's CONNACK, an AMI
//! login, a Fritz!Box call monitor — with the outcome in words for the setup page.

use super::supervisor::{EventSink, Source, SourceError};
use crate::config::SourceConfig;
use crate::engine::Input;
use crate::event::Health;
use crate::secrets::SecretStore;
use serde::Serialize;
use std::sync::Arc;
use std::time::Duration;

/// How long a test may take before it is called failed.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(8);

/// What a connection test found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Probe {
    /// Connected (and logged in, where the source logs in).
    pub ok: bool,
    /// What happened, for the person who set it up.
    pub message: String,
}

/// Connects `config`'s source once, within `within`, and says what happened.
pub async fn probe(
    config: &SourceConfig,
    secrets: &Arc<dyn SecretStore>,
    within: Duration,
) -> Probe {
    let name = config.name();
    let built = super::build(std::slice::from_ref(config), secrets);
    let Some(source) = built.feeds.into_iter().next() else {
        return failed(format!(
            "{name} cannot be started with these settings (is its password in the keyring?)"
        ));
    };
    let (mut sink, mut heard, stop) = EventSink::detached(source.id());
    let up = async {
        while let Some(input) = heard.recv().await {
            if let Input::Health {
                health: Health::Up, ..
            } = input
            {
                return true;
            }
        }
        false
    };
    let outcome = tokio::time::timeout(within, async {
        tokio::select! {
            result = run_once(source.as_ref(), &mut sink) => Err(result),
            true = up => Ok(()),
        }
    })
    .await;
    stop.cancel();
    match outcome {
        Ok(Ok(())) => Probe {
            ok: true,
            message: format!("Connected to {} ({name}).", address_of(config)),
        },
        Ok(Err(Some(e))) => failed(format!("{name}: {e}")),
        Ok(Err(None)) => failed(format!("{name} ended the connection at once")),
        Err(_) => failed(format!(
            "{name}: no answer from {} within {} s",
            address_of(config),
            within.as_secs()
        )),
    }
}

async fn run_once(source: &dyn Source, sink: &mut EventSink) -> Option<SourceError> {
    source.run(sink).await.err()
}

fn failed(message: String) -> Probe {
    Probe { ok: false, message }
}

fn address_of(config: &SourceConfig) -> String {
    match config {
        SourceConfig::Baresip(c) => c.address.clone(),
        SourceConfig::Mqtt(c) => c.url.clone(),
        SourceConfig::Ami(c) => c.address.clone(),
        SourceConfig::Fritz(c) => c.address.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::BaresipConfig;
    use crate::secrets::MemoryStore;

    fn baresip(address: String) -> SourceConfig {
        SourceConfig::Baresip(BaresipConfig {
            name: None,
            enabled: Default::default(),
            address,
            keepalive_s: 15,
        })
    }

    #[tokio::test]
    async fn a_listening_socket_connects_and_a_closed_port_says_why() {
        let secrets: Arc<dyn SecretStore> = Arc::new(MemoryStore::default());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let open = listener.local_addr().unwrap().to_string();
        let found = probe(&baresip(open.clone()), &secrets, PROBE_TIMEOUT).await;
        assert!(found.ok, "{found:?}");
        assert!(found.message.contains(&open), "{found:?}");
        drop(listener);
        let closed = probe(&baresip(open), &secrets, PROBE_TIMEOUT).await;
        assert!(!closed.ok, "{closed:?}");
        assert!(closed.message.contains("cannot connect"), "{closed:?}");
    }
}

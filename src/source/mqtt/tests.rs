//! Pieces of the MQTT source that need no broker; the broker itself is exercised in
//! `tests/mqtt_live.rs` against a real mosquitto.

use super::*;
use crate::control::{CallControl, ControlError};
use crate::secrets::MemoryStore;

fn config(toml_text: &str) -> MqttConfig {
    let settings = crate::config::Settings::from_parts(
        std::path::Path::new("t.toml"),
        Some(&format!("[[source]]\nkind = \"mqtt\"\n{toml_text}")),
        &[],
    )
    .unwrap();
    match &settings.sources[0] {
        crate::config::SourceConfig::Mqtt(c) => c.clone(),
        other => panic!("{other:?}"),
    }
}

fn source(toml_text: &str) -> Mqtt {
    Mqtt::new(&config(toml_text), Arc::new(MemoryStore::default())).unwrap()
}

#[test]
fn client_id_is_stable_and_names_the_extension() {
    let a = source("url = \"mqtt://127.0.0.1:1\"\nextension = \"201\"");
    let b = source("url = \"mqtt://127.0.0.1:1\"\nextension = \"201\"");
    assert_eq!(a.client_id, b.client_id);
    assert!(a.client_id.starts_with("screenpop-201-"), "{}", a.client_id);
    let c = source("url = \"mqtt://127.0.0.1:1\"\nextension = \"201\"\nclient_id = \"desk-7\"");
    assert_eq!(c.client_id, "desk-7");
}

#[test]
fn baresip_events_of_other_accounts_are_not_this_agents() {
    let s = source("url = \"mqtt://127.0.0.1:1\"\nformat = \"baresip\"\nextension = \"201\"");
    let mut event = wire::Event {
        account: Some("sip:201@pbx.example".into()),
        ..Default::default()
    };
    assert!(s.for_this_agent(&event));
    event.account = Some("sip:202@pbx.example".into());
    assert!(!s.for_this_agent(&event));
}

#[tokio::test]
async fn control_without_a_broker_link_says_not_connected() {
    let s = source("url = \"mqtt://127.0.0.1:1\"\nextension = \"201\"");
    let err = s.dial("202").await.unwrap_err();
    assert!(matches!(err, ControlError::NotConnected(_)), "{err}");
    let s = source("url = \"mqtt://127.0.0.1:1\"\nformat = \"baresip\"");
    let err = s.answer(None).await.unwrap_err();
    assert!(matches!(err, ControlError::NoCall(_)), "{err}");
}

#[tokio::test]
async fn a_missing_password_is_a_login_problem_naming_the_secret() {
    let s = source("url = \"mqtt://127.0.0.1:1\"\nextension = \"201\"\nusername = \"agent\"\nsecret = \"mqtt-pw\"");
    let err = s.options().await.unwrap_err().to_string();
    assert!(
        err.contains("mqtt-pw") && err.contains("screenpop secret set"),
        "{err}"
    );
}

#[test]
fn tls_needs_certificates_it_can_read() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("ca.pem");
    std::fs::write(&empty, "").unwrap();
    let err = tls::client_config(Some(&empty)).unwrap_err();
    assert!(err.contains("no certificates"), "{err}");
    let err = tls::client_config(Some(&dir.path().join("missing.pem"))).unwrap_err();
    assert!(err.contains("cannot read CA file"), "{err}");
}

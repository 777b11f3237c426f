//! Event sources: each turns its wire format into [`crate::event::CallEvent`]s for the
//! engine and nothing else.
//!
//! `supervisor` keeps sources connected and reports health; `schema` is screenpop's own
//! versioned JSON event format (the local HTTP API in [`crate::api`], MQTT);
//! `baresip` a softphone over ctrl_tcp (events and call control); `mqtt` a broker topic;
//! `ami` an Asterisk PBX (events, Originate/Redirect); `fritz` a Fritz!Box call monitor;
//! `probe` the "Test connection" of one entry.

pub mod ami;
pub mod baresip;
pub mod fritz;
pub mod mqtt;
pub mod probe;
pub mod schema;
pub mod supervisor;
pub mod tcp;

use crate::config::SourceConfig;
use crate::control::CallControl;
use crate::secrets::SecretStore;
use std::sync::Arc;
use supervisor::Source;

/// The configured `[[source]]`s, built: what to supervise, and which of them control calls.
#[derive(Default)]
pub struct Sources {
    pub feeds: Vec<Arc<dyn Source>>,
    pub controls: Vec<Arc<dyn CallControl>>,
}

impl Sources {
    fn add<S: Source + CallControl>(&mut self, source: S) {
        let source = Arc::new(source);
        self.feeds.push(Arc::clone(&source) as Arc<dyn Source>);
        self.controls.push(source);
    }
}

/// Builds every `[[source]]` entry (one match arm per kind); `secrets` holds passwords
/// the sources read when they connect.
pub fn build(configs: &[SourceConfig], secrets: &Arc<dyn SecretStore>) -> Sources {
    let mut sources = Sources::default();
    for config in configs {
        match config {
            SourceConfig::Baresip(c) => sources.add(baresip::Baresip::new(c)),
            SourceConfig::Mqtt(c) => match mqtt::Mqtt::new(c, Arc::clone(secrets)) {
                Ok(source) => sources.add(source),
                Err(e) => tracing::error!(source = %c.name(), error = %e, "source not started"),
            },
            SourceConfig::Ami(c) => match ami::AmiSource::new(c, Arc::clone(secrets)) {
                Ok((feed, control)) => {
                    sources.feeds.push(feed);
                    sources.controls.push(control);
                }
                Err(e) => tracing::error!(source = %c.name(), error = %e, "source not started"),
            },
            SourceConfig::Fritz(c) => sources.feeds.push(Arc::new(fritz::FritzSource::new(
                c.name(),
                &c.address,
                c.own_numbers.clone(),
            ))),
        }
    }
    sources
}

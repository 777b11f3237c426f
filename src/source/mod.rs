//! Event sources: each turns its wire format into [`crate::event::CallEvent`]s for the
//! engine and nothing else.
//!
//! `supervisor` keeps sources connected and reports health; `schema` is screenpop's own
//! versioned JSON event format (webhook, MQTT); `webhook` is the local HTTP source `screenpop event …` posts to.

pub mod ami;
pub mod fritz;
pub mod schema;
pub mod supervisor;
pub mod webhook;

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

/// Builds every `[[source]]` entry (one match arm per kind); secrets are read at connect time.
pub fn build(configs: &[SourceConfig], secrets: &Arc<dyn SecretStore>) -> Sources {
    let mut sources = Sources::default();
    for config in configs {
        match config {
            SourceConfig::Ami {
                address,
                username,
                secret,
                extension,
                name,
                context,
            } => {
                let settings = ami::AmiSettings {
                    name: name.clone().unwrap_or_else(|| format!("ami:{extension}")),
                    address: address.clone(),
                    username: username.clone(),
                    secret: secret.clone(),
                    extension: extension.clone(),
                    context: context.clone().unwrap_or_else(|| "from-internal".into()),
                };
                let (feed, control) = ami::AmiSource::new(settings, Arc::clone(secrets));
                sources.feeds.push(feed);
                sources.controls.push(control);
            }
            SourceConfig::Fritz {
                address,
                own_numbers,
                name,
            } => {
                let name = name.clone().unwrap_or_else(|| "fritz".into());
                sources.feeds.push(Arc::new(fritz::FritzSource::new(
                    name,
                    address,
                    own_numbers.clone(),
                )));
            }
        }
    }
    sources
}

//! Event sources: each turns its wire format into [`crate::event::CallEvent`]s for the
//! engine and nothing else.
//!
//! `supervisor` keeps sources connected and reports health; `schema` is screenpop's own
//! versioned JSON event format (webhook, MQTT); `webhook` is the local HTTP source `screenpop event …` posts to.

pub mod ami;
pub mod schema;
pub mod supervisor;
pub mod webhook;

use crate::config::SourceConfig;
use crate::control::CallControl;
use std::sync::Arc;
use supervisor::Source;

/// The configured `[[source]]`s, built: what to supervise, and which of them control calls.
#[derive(Default)]
pub struct Sources {
    pub feeds: Vec<Arc<dyn Source>>,
    pub controls: Vec<Arc<dyn CallControl>>,
}

/// Builds every `[[source]]` entry (one match arm per kind).
// No `[[source]]` kinds are registered yet, so the loop cannot run; it will with the first.
#[allow(clippy::never_loop)]
pub fn build(configs: &[SourceConfig]) -> Sources {
    let sources = Sources::default();
    for config in configs {
        match *config {}
    }
    sources
}

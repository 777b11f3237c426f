//! The relay's one PBX connection: a source to supervise, its events tagged per extension,
//! and call control per extension. Built from the `[[source]] kind = "ami"` table without
//! `extension` (Asterisk's AMI in floor mode); another PBX kind plugs in by producing the
//! same [`PbxFeed`].

use super::floor::ExtensionEvent;
use crate::config::SourceConfig;
use crate::control::CallControl;
use crate::secrets::SecretStore;
use crate::source::ami;
use crate::source::supervisor::Source;
use futures::stream::BoxStream;
use futures::StreamExt;
use std::sync::Arc;

/// Why there is no PBX feed.
#[derive(Debug, thiserror::Error)]
pub enum PbxError {
    #[error("no PBX feed: add a [[source]] kind = \"ami\" without `extension` (the relay follows every extension)")]
    Missing,
    #[error("[[source]] {0:?} has `extension` set: the relay's AMI feed follows every extension; leave `extension` out")]
    OneExtension(String),
    #[error("the relay holds ONE PBX connection; found several PBX sources ({0})")]
    Several(String),
}

/// Call control of one extension at a time, on the relay's connection.
pub trait ExtensionControl: Send + Sync {
    /// Control limited to `extension`: dial from its device, touch only calls live at it.
    fn at(&self, extension: &str) -> Arc<dyn CallControl>;
}

impl ExtensionControl for ami::control::AmiControl {
    fn at(&self, extension: &str) -> Arc<dyn CallControl> {
        Arc::new(ami::control::AmiControl::at(self, extension))
    }
}

/// One PBX connection, ready for the relay.
pub struct PbxFeed {
    /// The source's name (status, the relay's call log).
    pub name: String,
    pub source: Arc<dyn Source>,
    pub events: BoxStream<'static, ExtensionEvent>,
    pub control: Arc<dyn ExtensionControl>,
}

/// The feed from the config's PBX sources (desk sources such as baresip are not the relay's).
pub fn from_config(
    sources: &[SourceConfig],
    secrets: &Arc<dyn SecretStore>,
) -> Result<PbxFeed, PbxError> {
    let pbxs: Vec<_> = sources
        .iter()
        .filter_map(|s| match s {
            SourceConfig::Ami(c) => Some(c),
            _ => None,
        })
        .collect();
    let config = match pbxs.as_slice() {
        [] => return Err(PbxError::Missing),
        [one] => *one,
        many => {
            let names: Vec<_> = many.iter().map(|c| c.name()).collect();
            return Err(PbxError::Several(names.join(", ")));
        }
    };
    if config.extension.is_some() {
        return Err(PbxError::OneExtension(config.name()));
    }
    let (source, control, rx) = ami::AmiSource::floor(config, Arc::clone(secrets));
    let events = futures::stream::unfold(rx, |mut rx| async move {
        let tagged = rx.recv().await?;
        Some((
            ExtensionEvent {
                extension: tagged.extension,
                event: tagged.event,
            },
            rx,
        ))
    })
    .boxed();
    Ok(PbxFeed {
        name: config.name(),
        source,
        events,
        control,
    })
}

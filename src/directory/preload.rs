//! `[contacts] import = "PATH"`: contacts every desk starts with, usually named in the
//! administrator's system file. The file (CSV or vCard, by its name) is imported at start and
//! again whenever its contents change; contacts it no longer lists are removed, contacts the
//! agent added by hand are never touched.
//!
//! What was imported last (the path, a fingerprint of the bytes, the contact ids) is kept in
//! the store's `meta` table, so a restart does not import an unchanged file again. Rows
//! without an `id` column get one derived from their contents, so an unchanged row keeps its
//! id (and its call-log links) across re-imports.

use crate::directory::customer::NewContact;
use crate::directory::import::{batch::Format, ImportError, Parsed};
use crate::phone::PhoneRules;
use crate::store::contacts::Contacts;
use crate::store::{Store, StoreError};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// `meta` key of the last import.
const META: &str = "contacts_preload";
/// How often the file is looked at while the daemon runs.
pub const CHECK_EVERY: Duration = Duration::from_secs(10);
/// Contacts written per transaction.
const CHUNK: usize = 500;

/// Why a preload did not happen (the previous contacts stay).
#[derive(Debug, thiserror::Error)]
pub enum PreloadError {
    #[error("contacts import {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("contacts import {path}: {source}")]
    Parse { path: PathBuf, source: ImportError },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a preload did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preloaded {
    pub imported: usize,
    pub removed: usize,
    /// Rows left out or imported without a part (line, reason).
    pub problems: Vec<(u64, String)>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Last {
    path: PathBuf,
    fingerprint: String,
    ids: Vec<String>,
}

/// Imports `path` if it changed since the last import; `None` when it had not.
pub async fn sync(
    store: &Store,
    rules: &PhoneRules,
    path: &Path,
) -> Result<Option<Preloaded>, PreloadError> {
    let data = tokio::fs::read(path)
        .await
        .map_err(|source| PreloadError::Read {
            path: path.to_path_buf(),
            source,
        })?;
    let fingerprint = format!("{:016x}-{}", fnv1a(&data), data.len());
    let last: Last = store
        .meta(META)
        .await?
        .and_then(|json| serde_json::from_str(&json).ok())
        .unwrap_or_default();
    if last.path == path && last.fingerprint == fingerprint {
        return Ok(None);
    }
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let parse_error = |source| PreloadError::Parse {
        path: path.to_path_buf(),
        source,
    };
    let parsed: Parsed = match Format::from_file_name(name) {
        Format::Csv => crate::directory::import::csv::parse(&data[..], &mut |_| {}),
        Format::Vcard => crate::directory::import::vcard::parse(&data[..], &mut |_| {}),
    }
    .map_err(parse_error)?;
    let mut contacts = parsed.contacts;
    for contact in &mut contacts {
        if contact.id.as_deref().is_none_or(|id| id.trim().is_empty()) {
            contact.id = Some(derived_id(contact));
        }
    }
    let repository = Contacts::new(store.clone());
    let mut ids = Vec::with_capacity(contacts.len());
    for chunk in contacts.chunks(CHUNK) {
        ids.extend(repository.upsert_many(rules, chunk).await?);
    }
    let mut removed = 0;
    for gone in last.ids.iter().filter(|id| !ids.contains(id)) {
        removed += usize::from(repository.delete(gone).await?);
    }
    let now = Last {
        path: path.to_path_buf(),
        fingerprint,
        ids,
    };
    let json = serde_json::to_string(&now).map_err(|e| StoreError::Corrupt {
        table: "meta",
        message: e.to_string(),
    })?;
    store.set_meta(META, &json).await?;
    Ok(Some(Preloaded {
        imported: now.ids.len(),
        removed,
        problems: parsed
            .problems
            .into_iter()
            .map(|p| (p.line, p.reason))
            .collect(),
    }))
}

/// Logs what [`sync`] did; errors are logged too (the previous contacts stay).
pub async fn sync_logged(store: &Store, rules: &PhoneRules, path: &Path) {
    match sync(store, rules, path).await {
        Ok(None) => tracing::debug!(path = %path.display(), "contacts import unchanged"),
        Ok(Some(done)) => {
            tracing::info!(path = %path.display(), imported = done.imported, removed = done.removed, "contacts imported");
            for (line, reason) in done.problems {
                tracing::warn!(path = %path.display(), line, reason = %reason, "contacts import: row problem");
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, "contacts import failed; the contacts stay as they were")
        }
    }
}

/// Re-imports `path` whenever it changes, until `stop` resolves.
pub async fn watch(
    store: Store,
    rules: PhoneRules,
    path: PathBuf,
    stop: impl std::future::Future<Output = ()>,
) {
    let mut every = tokio::time::interval(CHECK_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    every.tick().await; // the first tick is immediate: App::open imported already
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = every.tick() => sync_logged(&store, &rules, &path).await,
            () = &mut stop => return,
        }
    }
}

/// A stable id from what the row says (name and phones).
fn derived_id(contact: &NewContact) -> String {
    let mut key = contact.name.clone().into_bytes();
    for phone in &contact.phones {
        key.push(0x1f);
        key.extend_from_slice(phone.as_bytes());
    }
    format!("preload-{:016x}", fnv1a(&key))
}

/// FNV-1a, 64 bit: stable across builds (std's hasher is not promised to be).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests;

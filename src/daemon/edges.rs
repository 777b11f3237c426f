//! The daemon's edges to the OS and the CLI: the owner-only local socket, the status report
//! as JSON, and the signals that stop `screenpop run`.

use crate::engine::Engine;
use serde_json::json;

/// Binds the owner-only Unix socket, replacing a stale one left by a crashed daemon.
pub(super) fn bind_local(path: &std::path::Path) -> std::io::Result<tokio::net::UnixListener> {
    use std::os::unix::fs::PermissionsExt;
    if std::os::unix::net::UnixStream::connect(path).is_ok() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::AddrInUse,
            format!("{} is in use by another screenpop", path.display()),
        ));
    }
    let _ = std::fs::remove_file(path);
    let listener = tokio::net::UnixListener::bind(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    Ok(listener)
}

/// `screenpop status` as JSON: sources, directories, live calls.
pub fn status_json(engine: &Engine) -> serde_json::Value {
    let sources: Vec<_> = engine
        .source_health()
        .into_iter()
        .map(|(name, health)| json!({ "name": name, "health": health }))
        .collect();
    let directories: Vec<_> = engine
        .chain()
        .health()
        .into_iter()
        .map(|(name, health)| json!({ "name": name, "health": health }))
        .collect();
    json!({ "sources": sources, "directories": directories, "calls": engine.live_calls() })
}

/// Waits for SIGINT or SIGTERM.
pub async fn signals() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {},
                    _ = term.recv() => {},
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

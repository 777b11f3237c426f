//! What `screenpop status` shows on the relay host: role (active/standby), PBX and broker
//! connections, extensions seen, calls live. The relay keeps one [`RelayStatus`] up to date
//! and serves it as JSON at `GET /v1/status` on an owner-only Unix socket in the data
//! directory (`relay.sock`), the way the daemon serves its own.

use crate::event::Health;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use std::path::Path;
use std::sync::{Arc, Mutex};
use tokio_util::sync::CancellationToken;

/// The socket file's name in the data directory.
pub const SOCKET: &str = "relay.sock";

/// The relay's state, as status reports it.
#[derive(Debug, Clone, Serialize)]
pub struct RelayStatus {
    /// `standby` (waiting for the active relay to go) or `active`.
    pub role: String,
    /// This relay's client id.
    pub relay: String,
    /// The relay holding the floor, as the broker says.
    pub active_relay: Option<String>,
    pub broker: String,
    pub broker_health: Health,
    pub pbx: String,
    pub pbx_health: Health,
    pub topic_prefix: String,
    pub lookup: bool,
    pub journal: bool,
    pub extensions_seen: Vec<String>,
    /// Live PBX calls: id and the extensions in each.
    pub calls: Vec<LiveCall>,
    /// Events published since start.
    pub published: u64,
    /// Commands carried out / refused since start.
    pub commands_ok: u64,
    pub commands_refused: u64,
}

/// One live call in [`RelayStatus`].
#[derive(Debug, Clone, Serialize)]
pub struct LiveCall {
    pub call_id: String,
    pub extensions: Vec<String>,
}

/// The status, shared between the relay and the socket.
pub type Shared = Arc<Mutex<RelayStatus>>;

/// Edits the shared status.
pub fn update(status: &Shared, f: impl FnOnce(&mut RelayStatus)) {
    f(&mut crate::sync::lock(status));
}

/// Serves `GET /v1/status` (and `/v1/health`) on `path` until `stop`.
pub async fn serve(path: &Path, status: Shared, stop: CancellationToken) -> std::io::Result<()> {
    let listener = bind(path)?;
    let router = Router::new()
        .route(
            "/v1/status",
            get(move || {
                let snapshot = crate::sync::lock(&status).clone();
                async move { Json(serde_json::json!({ "relay": snapshot })) }
            }),
        )
        .route(
            "/v1/health",
            get(|| async { Json(serde_json::json!({"status": "ok"})) }),
        );
    let served = axum::serve(listener, router)
        .with_graceful_shutdown(async move { stop.cancelled().await })
        .await;
    let _ = std::fs::remove_file(path);
    served
}

/// Binds the owner-only socket, replacing a stale one left by a crashed relay.
fn bind(path: &Path) -> std::io::Result<tokio::net::UnixListener> {
    use std::os::unix::fs::PermissionsExt;
    if std::os::unix::net::UnixStream::connect(path).is_ok() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::AddrInUse,
            format!("{} is in use by another screenpop relay", path.display()),
        ));
    }
    let _ = std::fs::remove_file(path);
    let listener = tokio::net::UnixListener::bind(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    Ok(listener)
}

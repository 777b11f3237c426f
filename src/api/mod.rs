//! The daemon's local HTTP API: events in, status and call control out.
//!
//! On TCP 127.0.0.1 (the "webhook", bearer token required) and on an owner-only Unix socket.
//! `POST /v1/events` takes one event in screenpop's schema ([`crate::source::schema`]), at most
//! 16 KiB, and answers 202 once the event is committed to the store (not before);
//! `GET /v1/status` reports sources, directories and live calls; `GET /v1/health`
//! (no token) says the daemon is up. Errors are JSON `{"error": "..."}` with a 4xx status
//! that says what to fix. The token is generated on first run and kept in the keyring.
//! The same API is served without a token on a Unix socket in the data directory that only
//! the owner can open — how the local CLI reaches the daemon even without a keyring.
//! `POST /v1/control/…` drives the first call-control source ([`control`]).
//!
//! It sits above the engine (it feeds [`Input`]s in) and below the daemon, which assembles
//! the status report where its parts are known and hands it in as [`StatusReport`].

pub mod control;

use crate::control::CallControl;
use crate::engine::Input;
use crate::event::{Health, SourceId};
use crate::source::schema;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;
use std::future::Future;
use std::sync::Arc;
use tokio::net::{TcpListener, UnixListener};
use tokio::sync::mpsc;

/// Largest accepted request body.
pub const BODY_LIMIT: usize = 16 * 1024;

/// Builds the status report (`GET /v1/status`) on demand; the daemon supplies it.
pub type StatusReport = Arc<dyn Fn() -> serde_json::Value + Send + Sync>;

/// What the handlers share.
pub struct ApiState {
    pub input: mpsc::Sender<Input>,
    /// Required bearer token; `None` on the owner-only Unix socket, where the file
    /// permissions (0600) are the authentication.
    pub token: Option<String>,
    /// Sources, directories and live calls, as the daemon assembles them.
    pub status: StatusReport,
    pub source: SourceId,
    /// Call-control sources in config order; requests go to the first.
    pub controls: Vec<Arc<dyn CallControl>>,
    /// Control request ids already received (one set for every listener).
    pub requests: Arc<control::SeenRequests>,
}

/// An HTTP error with a JSON body.
pub struct ApiError(pub StatusCode, pub String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

/// The API's routes over `state`.
pub fn router(state: Arc<ApiState>) -> Router {
    Router::new()
        .route(
            "/v1/health",
            get(|| async { Json(json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") })) }),
        )
        .route("/v1/events", post(post_event))
        .route("/v1/status", get(status))
        .merge(control::routes())
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state)
}

/// Serves until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    state: Arc<ApiState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let _ = state
        .input
        .send(Input::Health {
            source: state.source.clone(),
            health: Health::Up,
        })
        .await;
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

/// Serves the same API on the owner-only Unix socket (no token) until `shutdown` resolves.
pub async fn serve_local(
    listener: UnixListener,
    state: Arc<ApiState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

/// Checks the bearer token (constant time); passes when no token is required.
pub fn authorize(headers: &HeaderMap, token: &Option<String>) -> Result<(), ApiError> {
    let Some(token) = token else {
        return Ok(());
    };
    let given = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| ApiError(StatusCode::UNAUTHORIZED, "missing bearer token: send `Authorization: Bearer <token>` (the token is the keyring entry named in [webhook] token_secret)".into()))?;
    let same = given.len() == token.len()
        && given
            .bytes()
            .zip(token.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if same {
        Ok(())
    } else {
        Err(ApiError(
            StatusCode::UNAUTHORIZED,
            "wrong bearer token".into(),
        ))
    }
}

async fn post_event(
    State(state): State<Arc<ApiState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<impl IntoResponse, ApiError> {
    authorize(&headers, &state.token)?;
    let body = body.map_err(|e| match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("event larger than {BODY_LIMIT} bytes"),
        ),
        status => ApiError(status, e.body_text()),
    })?;
    let event = schema::parse(&body, &state.source).map_err(|e| {
        tracing::info!(error = %e, "webhook event refused");
        ApiError(StatusCode::UNPROCESSABLE_ENTITY, e.to_string())
    })?;
    let call_id = event.call.0.clone();
    // 202 means committed: the event is in the store and survives a crash from here on.
    let (ack, committed) = tokio::sync::oneshot::channel();
    let unavailable = |why: &str| ApiError(StatusCode::SERVICE_UNAVAILABLE, why.into());
    state
        .input
        .send(Input::Acked { event, ack })
        .await
        .map_err(|_| unavailable("screenpop is shutting down"))?;
    match committed.await {
        Ok(true) => Ok((StatusCode::ACCEPTED, Json(json!({ "call_id": call_id })))),
        Ok(false) => Err(unavailable(
            "the event could not be saved (see the daemon's log); send it again",
        )),
        Err(_) => Err(unavailable("screenpop is shutting down")),
    }
}

async fn status(
    State(state): State<Arc<ApiState>>,
    headers: HeaderMap,
) -> Result<impl IntoResponse, ApiError> {
    authorize(&headers, &state.token)?;
    let mut status = (state.status)();
    status["control"] = json!(state.controls.first().map(|c| c.name()));
    Ok(Json(status))
}

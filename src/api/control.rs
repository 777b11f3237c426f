//! The call-control part of the local HTTP API (bearer token on TCP), which
//! `screenpop call/answer/hangup/transfer` use:
//!
//! `POST /v1/control/dial {"target"}`, `/answer {"call_id"?}`, `/hangup {"call_id"?}`,
//! `/transfer {"target", "call_id"?}` → `200 {"ok": true, "control": "<source>"}`, or an
//! error `{"error", "code"}` whose status says why: 409 nothing to act on or no control
//! source, 422 a bad target, 502 the softphone refused, 503 not connected, 504 no answer.
//!
//! Every request may carry a `"request_id"` (the CLI always sends one). A request whose id
//! was already received is refused with 409 `"duplicate"` and not carried out again, so a
//! request delivered twice (a retry, a proxy) never places two calls. The ids are kept in
//! memory, the most recent [`REMEMBERED`] of them.

use super::{authorize, ApiError, ApiState};
use crate::control::ControlError;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};

/// How many request ids are remembered to refuse duplicates.
pub const REMEMBERED: usize = 1024;

/// What a control request may carry.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ControlRequest {
    #[serde(default)]
    pub target: Option<String>,
    #[serde(default)]
    pub call_id: Option<String>,
    /// The sender's id for this request; a second request with the same id is refused.
    #[serde(default)]
    pub request_id: Option<String>,
}

/// The request ids received lately (shared by the TCP and socket listeners).
#[derive(Default)]
pub struct SeenRequests(Mutex<(HashSet<String>, VecDeque<String>)>);

impl SeenRequests {
    /// Records `id`; false when it was already received.
    pub fn first_time(&self, id: &str) -> bool {
        let mut guard = crate::sync::lock(&self.0);
        let (set, order) = &mut *guard;
        if !set.insert(id.to_string()) {
            return false;
        }
        order.push_back(id.to_string());
        if order.len() > REMEMBERED {
            if let Some(old) = order.pop_front() {
                set.remove(&old);
            }
        }
        true
    }
}

/// The control routes over `state`.
pub fn routes() -> Router<Arc<ApiState>> {
    Router::new().route("/v1/control/{verb}", post(control))
}

/// A control failure as an HTTP answer.
struct ControlFailure(ControlError);

impl IntoResponse for ControlFailure {
    fn into_response(self) -> Response {
        // The code is the error's own (`ControlError::code`); only the status is HTTP's.
        let status = match &self.0 {
            ControlError::NoControl | ControlError::NoCall(_) => StatusCode::CONFLICT,
            ControlError::InvalidTarget(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ControlError::Refused(_) => StatusCode::BAD_GATEWAY,
            ControlError::NotConnected(_) => StatusCode::SERVICE_UNAVAILABLE,
            ControlError::NoAnswer(_) => StatusCode::GATEWAY_TIMEOUT,
        };
        let code = self.0.code();
        (
            status,
            Json(json!({ "error": self.0.to_string(), "code": code })),
        )
            .into_response()
    }
}

async fn control(
    State(state): State<Arc<ApiState>>,
    Path(verb): Path<String>,
    headers: HeaderMap,
    body: Option<Json<ControlRequest>>,
) -> Result<Response, ApiError> {
    authorize(&headers, &state.token)?;
    let request = body.map(|Json(r)| r).unwrap_or_default();
    if let Some(id) = request.request_id.as_deref() {
        if !state.requests.first_time(id) {
            tracing::warn!(verb = %verb, request_id = %id, "duplicate control request refused");
            return Ok((
                StatusCode::CONFLICT,
                Json(json!({
                    "error": format!("request {id:?} was already received; it is not carried out twice"),
                    "code": "duplicate",
                })),
            )
                .into_response());
        }
    }
    let Some(control) = state.controls.first() else {
        return Ok(ControlFailure(ControlError::NoControl).into_response());
    };
    let target = || {
        request.target.as_deref().ok_or_else(|| {
            ApiError(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("{verb} needs a \"target\""),
            )
        })
    };
    let call_id = request.call_id.as_deref();
    let result = match verb.as_str() {
        "dial" => control.dial(target()?).await,
        "answer" => control.answer(call_id).await,
        "hangup" => control.hangup(call_id).await,
        "transfer" => control.transfer(call_id, target()?).await,
        other => {
            return Err(ApiError(
                StatusCode::NOT_FOUND,
                format!("unknown control {other:?}: expected dial, answer, hangup or transfer"),
            ))
        }
    };
    tracing::info!(verb = %verb, control = control.name(), ok = result.is_ok(), "control request");
    Ok(match result {
        Ok(()) => Json(json!({ "ok": true, "control": control.name() })).into_response(),
        Err(e) => ControlFailure(e).into_response(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_id_is_taken_once_and_the_oldest_are_forgotten() {
        let seen = SeenRequests::default();
        assert!(seen.first_time("a"));
        assert!(!seen.first_time("a"));
        for i in 0..REMEMBERED {
            assert!(seen.first_time(&i.to_string()));
        }
        assert!(
            seen.first_time("a"),
            "forgotten after {REMEMBERED} newer ids"
        );
    }
}

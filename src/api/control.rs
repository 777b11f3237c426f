//! The call-control part of the local HTTP API (bearer token on TCP), which
//! `screenpop call/answer/hangup/transfer` use:
//!
//! `POST /v1/control/dial {"target"}`, `/answer {"call_id"?}`, `/hangup {"call_id"?}`,
//! `/transfer {"target", "call_id"?}` → `200 {"ok": true, "control": "<source>"}`, or an
//! error `{"error", "code"}` whose status says why: 409 nothing to act on or no control
//! source, 422 a bad target, 502 the softphone refused, 503 not connected, 504 no answer.

use super::{authorize, ApiError, ApiState};
use crate::control::ControlError;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

/// What a control request may carry.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ControlRequest {
    #[serde(default)]
    pub target: Option<String>,
    #[serde(default)]
    pub call_id: Option<String>,
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

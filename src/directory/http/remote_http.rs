//! One authorised GET of a JSON document for the synced directories: the OAuth access token
//! as bearer, one refresh and retry on a 401, links only on the API's own origin, and the
//! answer classified (410 "cursor expired" apart).

use crate::directory::remote::brief;
use crate::directory::LookupError;
use crate::oauth::{AuthError, Session};
use serde_json::Value;

/// How a GET went wrong.
pub enum Got {
    /// 410: the delta link / sync token expired.
    Gone,
    Failed(LookupError),
}

impl Got {
    /// As a lookup error.
    pub fn into_error(self) -> LookupError {
        match self {
            Got::Gone => LookupError::BadResponse("the sync cursor expired twice".into()),
            Got::Failed(e) => e,
        }
    }
}

fn auth(e: AuthError) -> Got {
    Got::Failed(match e {
        AuthError::NotConnected(_) | AuthError::SignIn { .. } => LookupError::SignIn(e.to_string()),
        other => LookupError::Rejected(other.to_string()),
    })
}

fn origin(url: &str) -> Option<&str> {
    let (scheme, rest) = url.split_once("://")?;
    let host_end = rest.find('/').unwrap_or(rest.len());
    Some(&url[..scheme.len() + 3 + host_end])
}

/// GETs `url` (which must be on `base_url`'s origin) with the session's token.
pub async fn get_json(
    client: &reqwest::Client,
    session: &Session,
    url: &str,
    base_url: &str,
) -> Result<Value, Got> {
    if origin(url).is_none() || origin(url) != origin(base_url) {
        return Err(Got::Failed(LookupError::BadResponse(
            "the API sent a link to another host; not followed".into(),
        )));
    }
    let mut access = session.access().await.map_err(auth)?;
    for attempt in 0..2 {
        let reply = client
            .get(url)
            .bearer_auth(&access.token)
            .header("Accept", "application/json")
            .send()
            .await
            .map_err(|e| {
                Got::Failed(if e.is_timeout() {
                    LookupError::Unreachable("timed out".into())
                } else {
                    LookupError::Unreachable(brief(&e.without_url().to_string()))
                })
            })?;
        let status = reply.status().as_u16();
        if status == 401 && attempt == 0 {
            access = session.rejected(&access.token).await.map_err(auth)?;
            continue;
        }
        if status == 410 {
            return Err(Got::Gone);
        }
        let body = reply.bytes().await.map_err(|e| {
            Got::Failed(LookupError::Unreachable(brief(
                &e.without_url().to_string(),
            )))
        })?;
        if !(200..300).contains(&status) {
            return Err(Got::Failed(LookupError::Rejected(format!(
                "HTTP {status} from the contacts API"
            ))));
        }
        return serde_json::from_slice(&body)
            .map_err(|e| Got::Failed(LookupError::BadResponse(format!("malformed JSON ({e})"))));
    }
    Err(Got::Failed(LookupError::Rejected(
        "HTTP 401 after a token refresh".into(),
    )))
}

//! One templated HTTP exchange: render the request, pace it, send it with the configured
//! auth, and classify the answer (JSON, no content, refused, throttled, broken) with a short
//! message fit for `screenpop lookup --explain` and `screenpop outbox`.
//!
//! Error messages never carry the secret or a URL (a query-string token would leak through
//! reqwest's error text): transport errors are reported `without_url`, server text is
//! shortened and redacted.

use super::placeholder::{render, Escape};
use super::ratelimit::{retry_after, RateLimit};
use super::template::{Auth, HttpTemplate, Request};
use crate::directory::remote::{brief, redact};
use reqwest::StatusCode;
use serde_json::Value;
use std::time::{Duration, Instant};

/// Largest answer we read (a search result page, not a data export).
const MAX_BODY: usize = 4 * 1024 * 1024;

/// How an exchange went wrong.
#[derive(Debug, Clone)]
pub enum Failure {
    Timeout(u64),
    Unreachable(String),
    /// 401/403: the credentials were refused.
    Auth(String),
    /// The OAuth sign-in is missing or gone: the user must sign in (again).
    SignIn(String),
    /// Another 4xx, or an error reported in the body.
    Rejected(String),
    /// A 2xx answer we cannot read.
    Bad(String),
    Throttled(Duration),
}

/// A successful answer: status and body (None for 204 / empty).
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub json: Option<Value>,
}

/// Everything one exchange needs.
pub struct Exchange<'a> {
    pub template: &'a HttpTemplate,
    pub client: &'a reqwest::Client,
    pub limit: &'a RateLimit,
    pub secret: &'a str,
    pub vars: &'a (dyn Fn(&str) -> Option<String> + Sync),
    pub idempotency_key: Option<&'a str>,
}

impl Exchange<'_> {
    /// Sends `req`, waiting out a 429 once if its pause ends before `deadline`.
    pub async fn send(&self, req: &Request, deadline: Instant) -> Result<Answer, Failure> {
        let mut throttled = false;
        loop {
            if let Err(wait) = self.limit.acquire(deadline).await {
                return Err(Failure::Throttled(wait));
            }
            match self.once(req, deadline).await {
                Err(Failure::Throttled(wait)) if !throttled && Instant::now() + wait < deadline => {
                    throttled = true;
                }
                other => return other,
            }
        }
    }

    async fn once(&self, req: &Request, deadline: Instant) -> Result<Answer, Failure> {
        let t = self.template;
        let bad_template = |e: String| Failure::Rejected(format!("template: {e}"));
        let url = render(&req.url, self.vars, Escape::Url).map_err(bad_template)?;
        let remaining = deadline.saturating_duration_since(Instant::now());
        let timeout_ms = t.timeout.as_millis() as u64;
        if remaining.is_zero() {
            return Err(Failure::Timeout(timeout_ms));
        }
        let mut builder = self
            .client
            .request(req.method.clone(), &url)
            .timeout(remaining)
            .header("Accept", "application/json");
        for (k, v) in &t.headers {
            builder = builder.header(
                k,
                render(v, self.vars, Escape::Header).map_err(bad_template)?,
            );
        }
        builder = match &t.auth {
            Auth::None => builder,
            Auth::Bearer => builder.bearer_auth(self.secret),
            Auth::Basic => {
                builder.basic_auth(t.username.as_deref().unwrap_or_default(), Some(self.secret))
            }
            Auth::Header(name) => builder.header(name, self.secret),
            Auth::Query(name) => builder.query(&[(name, self.secret)]),
        };
        if let Some(key) = self.idempotency_key {
            builder = builder.header("Idempotency-Key", key);
        }
        if let Some(body) = &req.body {
            let body = render(body, self.vars, Escape::Json).map_err(bad_template)?;
            builder = builder
                .header("Content-Type", "application/json")
                .body(body);
        }
        let response = builder.send().await.map_err(|e| transport(e, timeout_ms))?;
        let status = response.status();
        let retry = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| transport(e, timeout_ms))?;
        if bytes.len() > MAX_BODY {
            return Err(Failure::Bad(format!("answer larger than {MAX_BODY} bytes")));
        }
        let text = String::from_utf8_lossy(&bytes);
        let html = content_type.contains("html") || text.trim_start().starts_with('<');
        if status == StatusCode::TOO_MANY_REQUESTS {
            let wait = retry_after(retry.as_deref());
            self.limit.pause(wait);
            return Err(Failure::Throttled(wait));
        }
        if !status.is_success() {
            let message = redact(&server_message(&text, html), self.secret);
            let line = format!("HTTP {}: {message}", status.as_u16());
            return Err(match status.as_u16() {
                401 | 403 => Failure::Auth(line),
                400..=499 => Failure::Rejected(line),
                _ => Failure::Unreachable(line),
            });
        }
        if status == StatusCode::NO_CONTENT || text.trim().is_empty() {
            return Ok(Answer { status, json: None });
        }
        if html {
            return Err(Failure::Bad(format!(
                "HTTP {} with an HTML page instead of JSON (is base_url the API address?)",
                status.as_u16()
            )));
        }
        match serde_json::from_str::<Value>(&text) {
            Ok(json) => {
                if let Some(e) = t.error_in(&json) {
                    return Err(Failure::Rejected(redact(&brief(&e), self.secret)));
                }
                Ok(Answer {
                    status,
                    json: Some(json),
                })
            }
            Err(e) => Err(Failure::Bad(format!("malformed JSON ({e})"))),
        }
    }
}

fn transport(e: reqwest::Error, timeout_ms: u64) -> Failure {
    if e.is_timeout() {
        return Failure::Timeout(timeout_ms);
    }
    let connect = e.is_connect();
    let e = e.without_url();
    let mut text = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        text = format!("{text}: {s}");
        source = s.source();
    }
    if connect && text.to_ascii_lowercase().contains("refused") {
        return Failure::Unreachable("connection refused".into());
    }
    Failure::Unreachable(brief(&text))
}

/// The useful part of an error answer: a JSON `message`/`error`, or a note that it was HTML.
fn server_message(text: &str, html: bool) -> String {
    if html {
        return "an HTML error page".into();
    }
    if let Ok(v) = serde_json::from_str::<Value>(text) {
        for p in [
            "/message",
            "/error/message",
            "/error",
            "/errors/0/message",
            "/data/0/message",
            "/title",
        ] {
            if let Some(s) = v.pointer(p).and_then(Value::as_str) {
                return brief(s);
            }
        }
    }
    if text.trim().is_empty() {
        "no details".into()
    } else {
        brief(text)
    }
}

//! A loopback OAuth 2 authorization server, served by the fake CRM under `/oauth/…` so one
//! port stands in for both the provider and its API (as `login.salesforce.com` and the
//! instance do). It implements what the providers document and screenpop relies on:
//!
//! - `GET /oauth/authorize` approves at once and redirects (302) to the loopback
//!   `redirect_uri` with `code` and `state`; the code is bound to the PKCE S256 challenge;
//! - `POST /oauth/token` for `authorization_code` (verifier checked), `refresh_token` (each
//!   use rotates the refresh token when `rotate` is on; a revoked or used one is
//!   `invalid_grant`), `client_credentials`, the RFC 8628 device grant and Salesforce's
//!   `grant_type=device`; Salesforce's `response_type=device_code` on the same endpoint;
//! - `POST /oauth/device` (RFC 8628) and `/oauth/v3/device/code` + `/oauth/v3/device/token`
//!   (Zoho), answering `authorization_pending` `pending_polls` times before the token.
//!
//! Access tokens carry their expiry; [`AuthServer::expire_access`] ends them early, as a
//! provider's clock would. Zoho answers errors with HTTP 200, as Zoho does.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde_json::{json, Value};
use sha2::Digest;
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

/// Which provider's conventions the server follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    /// RFC 6749/8628 as Microsoft and Google speak them.
    Standard,
    /// No `expires_in`, `instance_url` in token answers, device flow on the token endpoint.
    Salesforce,
    /// `api_domain` in token answers, errors with HTTP 200, v3 device endpoints.
    Zoho,
}

/// The authorization server's state.
#[derive(Debug)]
pub struct AuthServer {
    pub flavour: Flavour,
    pub client_id: String,
    pub client_secret: Option<String>,
    /// `expires_in` of new access tokens.
    pub lifetime_s: u64,
    /// Hand out a new refresh token on every refresh (and void the old one).
    pub rotate: bool,
    /// The API base returned in token answers (`instance_url` / `api_domain`).
    pub api_base: Option<String>,
    /// Polls answered `authorization_pending` before a device grant completes.
    pub pending_polls: usize,
    /// Token-endpoint answers wait this long (a refresh in flight).
    pub delay: Duration,
    pub revoked: bool,
    /// Token requests by grant type.
    pub grants: HashMap<String, usize>,
    /// Authorization requests seen (query strings).
    pub authorizations: Vec<HashMap<String, String>>,
    codes: HashMap<String, (String, String)>,
    access: HashMap<String, Instant>,
    refresh: HashSet<String>,
    devices: HashMap<String, usize>,
    seq: usize,
}

impl AuthServer {
    /// A server for `client_id` (and `client_secret`, when the client has one).
    pub fn new(flavour: Flavour, client_id: &str, client_secret: Option<&str>) -> Self {
        Self {
            flavour,
            client_id: client_id.into(),
            client_secret: client_secret.map(str::to_string),
            lifetime_s: 3600,
            rotate: true,
            api_base: None,
            pending_polls: 2,
            delay: Duration::ZERO,
            revoked: false,
            grants: HashMap::new(),
            authorizations: Vec::new(),
            codes: HashMap::new(),
            access: HashMap::new(),
            refresh: HashSet::new(),
            devices: HashMap::new(),
            seq: 0,
        }
    }

    /// Whether `token` is a live access token.
    pub fn valid(&self, token: &str) -> bool {
        self.access
            .get(token)
            .is_some_and(|until| *until > Instant::now())
    }

    /// Ends every access token now (the provider's clock ran out).
    pub fn expire_access(&mut self) {
        self.access.clear();
    }

    /// Revokes every refresh token (the user or an admin cut the app off).
    pub fn revoke(&mut self) {
        self.revoked = true;
        self.refresh.clear();
        self.access.clear();
    }

    /// How many refresh-token grants were asked for.
    pub fn refreshes(&self) -> usize {
        self.grants.get("refresh_token").copied().unwrap_or(0)
    }

    /// Every token ever issued is one of these (for "no token leaked" checks).
    pub fn issued(&self) -> Vec<String> {
        let mut all: Vec<String> = self.access.keys().cloned().collect();
        all.extend(self.refresh.iter().cloned());
        all
    }

    fn next(&mut self, kind: &str) -> String {
        self.seq += 1;
        format!("{kind}-{:04}-{}", self.seq, uuid_like(self.seq))
    }

    fn issue(&mut self, with_refresh: bool) -> Value {
        let access = self.next("at");
        self.access.insert(
            access.clone(),
            Instant::now() + Duration::from_secs(self.lifetime_s),
        );
        let mut doc =
            json!({"access_token": access, "token_type": "Bearer", "scope": "api refresh_token"});
        if self.flavour != Flavour::Salesforce {
            doc["expires_in"] = json!(self.lifetime_s);
        } else {
            doc["issued_at"] = json!("1700000000000");
            doc["signature"] = json!("c2lnbmF0dXJl");
            doc["id"] = json!("https://login.salesforce.com/id/00D/005");
        }
        if let Some(base) = &self.api_base {
            let field = if self.flavour == Flavour::Zoho {
                "api_domain"
            } else {
                "instance_url"
            };
            doc[field] = json!(base);
        }
        if with_refresh {
            let refresh = self.next("rt");
            self.refresh.insert(refresh.clone());
            doc["refresh_token"] = json!(refresh);
        }
        doc
    }

    fn refuse(&self, error: &str) -> Response {
        let body = json!({"error": error, "error_description": format!("{error} (loopback authorization server)")});
        let status = if self.flavour == Flavour::Zoho {
            StatusCode::OK
        } else {
            StatusCode::BAD_REQUEST
        };
        (status, axum::Json(body)).into_response()
    }

    fn client_ok(&self, form: &HashMap<String, String>) -> bool {
        form.get("client_id") == Some(&self.client_id)
            && match &self.client_secret {
                Some(s) => form.get("client_secret") == Some(s),
                None => true,
            }
    }

    /// Answers `/oauth/…` requests; `None` for other paths.
    pub fn handle(
        &mut self,
        path: &str,
        query: &HashMap<String, String>,
        form: &HashMap<String, String>,
    ) -> Option<Response> {
        Some(match path {
            "/oauth/authorize" => self.authorize(query),
            "/oauth/token" => self.token(form),
            "/oauth/device" | "/oauth/v3/device/code" => self.device_grant(form),
            "/oauth/v3/device/token" => self.token(form),
            _ => return None,
        })
    }

    fn authorize(&mut self, q: &HashMap<String, String>) -> Response {
        self.authorizations.push(q.clone());
        let redirect = q.get("redirect_uri").cloned().unwrap_or_default();
        let good = q.get("client_id") == Some(&self.client_id)
            && q.get("response_type").map(String::as_str) == Some("code")
            && q.get("code_challenge_method").map(String::as_str) == Some("S256")
            && redirect.starts_with("http://127.0.0.1:")
            && redirect.ends_with("/callback");
        if !good {
            return (StatusCode::BAD_REQUEST, "invalid authorization request").into_response();
        }
        let code = self.next("code");
        let challenge = q.get("code_challenge").cloned().unwrap_or_default();
        self.codes
            .insert(code.clone(), (challenge, redirect.clone()));
        let state = q.get("state").cloned().unwrap_or_default();
        let location = format!("{redirect}?code={code}&state={}", urlencode(&state));
        (StatusCode::FOUND, [("location", location)]).into_response()
    }

    fn device_grant(&mut self, form: &HashMap<String, String>) -> Response {
        if form.get("client_id") != Some(&self.client_id) {
            return self.refuse("invalid_client");
        }
        let device = self.next("dc");
        self.devices.insert(device.clone(), self.pending_polls);
        let uri_field = if self.flavour == Flavour::Zoho {
            "verification_url"
        } else {
            "verification_uri"
        };
        let mut doc = json!({"device_code": device, "user_code": "WDJB-MJHT", "expires_in": 900, "interval": 1});
        doc[uri_field] = json!("https://login.example.test/device");
        axum::Json(doc).into_response()
    }

    fn token(&mut self, form: &HashMap<String, String>) -> Response {
        if form.get("response_type").map(String::as_str) == Some("device_code") {
            return self.device_grant(form);
        }
        let grant = form.get("grant_type").cloned().unwrap_or_default();
        *self.grants.entry(grant.clone()).or_insert(0) += 1;
        if !self.client_ok(form) {
            return self.refuse("invalid_client");
        }
        match grant.as_str() {
            "authorization_code" => {
                let code = form.get("code").cloned().unwrap_or_default();
                let Some((challenge, redirect)) = self.codes.remove(&code) else {
                    return self.refuse("invalid_grant");
                };
                let verifier = form.get("code_verifier").cloned().unwrap_or_default();
                let digest = sha2::Sha256::digest(verifier.as_bytes());
                let expected = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest);
                if expected != challenge || form.get("redirect_uri") != Some(&redirect) {
                    return self.refuse("invalid_grant");
                }
                axum::Json(self.issue(true)).into_response()
            }
            "refresh_token" => {
                let token = form.get("refresh_token").cloned().unwrap_or_default();
                if self.revoked || !self.refresh.contains(&token) {
                    return self.refuse(if self.flavour == Flavour::Zoho {
                        "invalid_code"
                    } else {
                        "invalid_grant"
                    });
                }
                if self.rotate && self.flavour != Flavour::Zoho {
                    self.refresh.remove(&token);
                    axum::Json(self.issue(true)).into_response()
                } else {
                    axum::Json(self.issue(false)).into_response()
                }
            }
            "client_credentials" => axum::Json(self.issue(false)).into_response(),
            "urn:ietf:params:oauth:grant-type:device_code" | "device" | "device_token" => {
                let device = form
                    .get("device_code")
                    .or_else(|| form.get("code"))
                    .cloned()
                    .unwrap_or_default();
                match self.devices.get_mut(&device) {
                    None => self.refuse("expired_token"),
                    Some(0) => {
                        self.devices.remove(&device);
                        axum::Json(self.issue(true)).into_response()
                    }
                    Some(left) => {
                        *left -= 1;
                        self.refuse("authorization_pending")
                    }
                }
            }
            _ => self.refuse("unsupported_grant_type"),
        }
    }
}

fn uuid_like(n: usize) -> String {
    format!(
        "{:08x}{:08x}",
        n.wrapping_mul(2654435761),
        n.wrapping_mul(40503) ^ 0x5eed
    )
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// Plays the browser for the authorization-code flow: GETs `url` at the loopback provider,
/// follows its redirect to screenpop's loopback callback, and returns the callback's status.
pub fn approve_in_browser(url: &str) -> u16 {
    let (port, path) = split(url);
    let (status, headers) = raw_get(port, &path);
    assert_eq!(
        status, 302,
        "the authorization endpoint did not redirect: {headers}"
    );
    let location = headers
        .lines()
        .find_map(|l| {
            l.strip_prefix("location: ")
                .or_else(|| l.strip_prefix("Location: "))
        })
        .expect("a Location header")
        .trim()
        .to_string();
    let (port, path) = split(&location);
    raw_get(port, &path).0
}

fn split(url: &str) -> (u16, String) {
    let rest = url
        .strip_prefix("http://127.0.0.1:")
        .expect("a loopback URL");
    let (port, path) = rest.split_once('/').expect("a path");
    (port.parse().expect("a port"), format!("/{path}"))
}

fn raw_get(port: u16, path: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .expect("write");
    let mut text = String::new();
    let _ = s.read_to_string(&mut text);
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, text)
}

//! A loopback stand-in for the SaaS CRMs screenpop's presets talk to: one axum server on
//! 127.0.0.1 that answers each preset's documented request paths with the documented
//! response shapes (see `crm_shapes`), checks the documented auth header, and keeps what a
//! test wants to assert on: journal deliveries per idempotency key, created contacts, and
//! request counts. A test can switch it into a failure mode (malformed JSON, an HTML error
//! page, 429 with Retry-After, slow answers) or not start it at all (connection refused).
//!
//! It runs on its own thread and runtime, so both `#[test]` and `#[tokio::test]` can use it;
//! dropping the [`Crm`] stops it.

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use super::crm_shapes::Shape;

/// Someone the fake CRM knows.
#[derive(Debug, Clone)]
pub struct Person {
    pub id: String,
    pub first: String,
    pub last: String,
    pub company: Option<String>,
    pub phones: Vec<String>,
    pub vip: bool,
    pub note: Option<String>,
}

impl Person {
    /// A person with one phone number.
    pub fn new(id: &str, first: &str, last: &str, phone: &str) -> Self {
        Self {
            id: id.into(),
            first: first.into(),
            last: last.into(),
            company: None,
            phones: vec![phone.into()],
            vip: false,
            note: None,
        }
    }

    /// "First Last".
    pub fn full_name(&self) -> String {
        format!("{} {}", self.first, self.last).trim().to_string()
    }
}

/// How the server misbehaves (for every request until changed).
#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    Normal,
    /// 200 with a body cut off in the middle of the JSON.
    Malformed,
    /// 502 with an HTML page, as a proxy in front of a CRM answers.
    HtmlError,
    /// 429 with `Retry-After: N`.
    RateLimited(u64),
    /// Answers correctly after this delay.
    Slow(Duration),
    /// Every fifth request fails with 503 (20 %), every tenth answers after `slow` (10 %),
    /// the rest normally — counted over all requests, so the mix is exact.
    Flaky {
        slow: Duration,
    },
}

/// What the server holds and has seen.
#[derive(Debug)]
pub struct CrmState {
    pub shape: Shape,
    pub token: String,
    pub people: Vec<Person>,
    pub mode: Mode,
    /// Lookups answered (any status).
    pub lookups: usize,
    /// Journal requests received per idempotency key (repeats included).
    pub journal_requests: HashMap<String, usize>,
    /// Journal bodies applied: one per distinct idempotency key (repeats are acknowledged, not applied).
    pub journal_applied: Vec<serde_json::Value>,
    /// Delay between applying a journal request and answering it.
    pub journal_delay: Duration,
    /// Journal requests applied but not yet answered.
    pub journal_in_flight: usize,
    /// Contacts created through the API: `(id, body)`.
    pub created: Vec<(String, serde_json::Value)>,
    /// Created contacts stay out of search results (HubSpot's indexing lag).
    pub search_lags_writes: bool,
    /// Every Authorization-ish header value seen (to prove the secret was sent).
    pub auth_seen: Vec<String>,
    /// The OAuth provider in front of this CRM (tokens it issued are the ones accepted).
    pub oauth: Option<super::oauth::AuthServer>,
    /// Requests refused with 401.
    pub unauthorized: usize,
    /// Journal checks ("is this call already there?") answered.
    pub journal_checks: usize,
    /// Requests seen in [`Mode::Flaky`].
    pub flaky_seen: usize,
    /// Contact ids as of each sync cursor handed out (Graph delta links, People sync tokens).
    pub snapshots: HashMap<String, Vec<String>>,
    /// Sync requests that started from a cursor (changes only).
    pub incremental_syncs: usize,
    /// The port the fake listens on (for links it hands out).
    pub port: u16,
}

/// A running fake CRM.
pub struct Crm {
    pub port: u16,
    pub state: Arc<Mutex<CrmState>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Crm {
    /// Starts a CRM of `shape` on a free port, accepting `token`.
    pub fn start(shape: Shape, token: &str, people: Vec<Person>) -> Crm {
        Self::start_on(super::ports::free_port(), shape, token, people)
    }

    /// Starts it on `port` (a test that first wants "connection refused" picks the port).
    pub fn start_on(port: u16, shape: Shape, token: &str, people: Vec<Person>) -> Crm {
        let state = Arc::new(Mutex::new(CrmState {
            shape,
            token: token.into(),
            people,
            mode: Mode::Normal,
            lookups: 0,
            journal_requests: HashMap::new(),
            journal_applied: Vec::new(),
            journal_delay: Duration::ZERO,
            journal_in_flight: 0,
            created: Vec::new(),
            search_lags_writes: false,
            auth_seen: Vec::new(),
            oauth: None,
            unauthorized: 0,
            journal_checks: 0,
            flaky_seen: 0,
            snapshots: HashMap::new(),
            incremental_syncs: 0,
            port,
        }));
        let listener =
            std::net::TcpListener::bind(("127.0.0.1", port)).expect("bind the fake CRM's port");
        listener
            .set_nonblocking(true)
            .expect("nonblocking listener");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let shared = Arc::clone(&state);
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("fake CRM runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
                let app = axum::Router::new().fallback(
                    move |m: Method, u: Uri, h: HeaderMap, b: Bytes| {
                        let state = Arc::clone(&shared);
                        async move { answer(state, m, u, h, b).await }
                    },
                );
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(async move {
                        let _ = stopped.await;
                    })
                    .await;
            });
        });
        Crm {
            port,
            state,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT` plus the shape's base path.
    pub fn base_url(&self) -> String {
        let shape = self.state.lock().unwrap().shape;
        format!(
            "http://127.0.0.1:{}{}",
            self.port,
            super::crm_shapes::base_path(shape)
        )
    }

    /// Switches the failure mode.
    pub fn set_mode(&self, mode: Mode) {
        self.state.lock().unwrap().mode = mode;
    }

    /// Puts an OAuth provider in front of the CRM (`/oauth/…` on the same port).
    pub fn with_oauth(self, server: super::oauth::AuthServer) -> Self {
        self.state.lock().unwrap().oauth = Some(server);
        self
    }

    /// `http://127.0.0.1:PORT/oauth/PATH`.
    pub fn oauth_url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}/oauth/{path}", self.port)
    }

    /// Works on the OAuth provider's state.
    pub fn auth<T>(&self, f: impl FnOnce(&mut super::oauth::AuthServer) -> T) -> T {
        f(self
            .state
            .lock()
            .unwrap()
            .oauth
            .as_mut()
            .expect("an OAuth server"))
    }

    /// Reads the state under the lock.
    pub fn with<T>(&self, f: impl FnOnce(&mut CrmState) -> T) -> T {
        f(&mut self.state.lock().unwrap())
    }
}

impl Drop for Crm {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// `a=1&b=2` form bodies (percent- and `+`-decoded).
fn serde_urlencoded_form(body: &[u8]) -> HashMap<String, String> {
    let text = String::from_utf8_lossy(body);
    let decode = |s: &str| {
        let s = s.replace('+', " ");
        let bytes = s.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' && i + 2 < bytes.len() {
                if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                    out.push(b);
                    i += 3;
                    continue;
                }
            }
            out.push(bytes[i]);
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    };
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

async fn answer(
    state: Arc<Mutex<CrmState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if uri.path().starts_with("/oauth/") {
        let query: HashMap<String, String> = axum::extract::Query::try_from_uri(&uri)
            .map(|axum::extract::Query(q)| q)
            .unwrap_or_default();
        let form: HashMap<String, String> = serde_urlencoded_form(&body);
        let (answer, delay) = {
            let mut st = state.lock().unwrap();
            match st.oauth.as_mut() {
                Some(server) => (server.handle(uri.path(), &query, &form), server.delay),
                None => (None, Duration::ZERO),
            }
        };
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        return answer.unwrap_or_else(|| StatusCode::NOT_FOUND.into_response());
    }
    let (mode, shape) = {
        let mut st = state.lock().unwrap();
        for name in ["authorization", "x-api-token"] {
            if let Some(v) = headers.get(name).and_then(|v| v.to_str().ok()) {
                st.auth_seen.push(v.to_string());
            }
        }
        if matches!(st.mode, Mode::Flaky { .. }) {
            st.flaky_seen += 1;
        }
        (st.mode.clone(), st.shape)
    };
    let seen = state.lock().unwrap().flaky_seen;
    match mode {
        Mode::Normal => {}
        Mode::Flaky { .. } if seen % 5 == 0 => {
            return (StatusCode::SERVICE_UNAVAILABLE, "try again later").into_response()
        }
        Mode::Flaky { slow } if seen % 10 == 1 => tokio::time::sleep(slow).await,
        Mode::Flaky { .. } => {}
        Mode::Slow(d) => tokio::time::sleep(d).await,
        Mode::Malformed => return (StatusCode::OK, [("content-type", "application/json")], "{\"results\": [{\"id\": ").into_response(),
        Mode::HtmlError => {
            return (
                StatusCode::BAD_GATEWAY,
                [("content-type", "text/html")],
                "<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>",
            )
                .into_response()
        }
        Mode::RateLimited(secs) => {
            let body = serde_json::json!({"status": "error", "message": "You have reached your secondly limit.", "errorType": "RATE_LIMIT"});
            return (StatusCode::TOO_MANY_REQUESTS, [("retry-after", secs.to_string())], axum::Json(body)).into_response();
        }
    }
    let request = super::crm_shapes::Request::read(shape, &method, &uri, &headers, &body);
    let journal = request.is_journal();
    let (response, delay) = {
        let mut st = state.lock().unwrap();
        if journal {
            st.journal_in_flight += 1;
        }
        (
            super::crm_shapes::respond(&mut st, request),
            st.journal_delay,
        )
    };
    // The CRM has written the entry; a client killed while waiting for this answer never
    // learns it, and must send it again with the same idempotency key.
    if journal && !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    if journal {
        state.lock().unwrap().journal_in_flight -= 1;
    }
    response
}

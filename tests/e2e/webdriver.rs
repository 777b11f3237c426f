//! A small W3C WebDriver client over HTTP (reqwest, blocked on a private runtime): exactly the calls the suite needs
//! (session, find, text, click, type, execute, screenshot, close window), talking to
//! tauri-driver, which hands them to WebKitWebDriver driving the app's real WebKit view.

use base64::Engine as _;
use serde_json::{json, Value};
use std::path::Path;
use std::time::{Duration, Instant};

/// The W3C key an element reference is returned under.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// One WebDriver session (the app under test).
pub struct Session {
    /// Where a timed-out wait saves what the window showed.
    pub failure_shot: Option<std::path::PathBuf>,
    http: reqwest::Client,
    runtime: tokio::runtime::Runtime,
    base: String,
}

async fn exchange(request: reqwest::RequestBuilder) -> reqwest::Result<Value> {
    request.send().await?.json().await
}

impl Session {
    /// Starts the app at `application` through the driver on `port`.
    pub fn start(port: u16, application: &Path) -> Result<Session, String> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| e.to_string())?;
        let caps = json!({ "capabilities": { "alwaysMatch": {
            "tauri:options": { "application": application.display().to_string() } } } });
        let answer = runtime
            .block_on(exchange(
                http.post(format!("http://127.0.0.1:{port}/session"))
                    .json(&caps),
            ))
            .map_err(|e| format!("new session: {e}"))?;
        let id = answer["value"]["sessionId"]
            .as_str()
            .ok_or_else(|| format!("new session refused: {answer}"))?;
        Ok(Session {
            failure_shot: None,
            http,
            runtime,
            base: format!("http://127.0.0.1:{port}/session/{id}"),
        })
    }

    fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, String> {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let started = std::time::Instant::now();
        let answer = self
            .runtime
            .block_on(exchange(request))
            .map_err(|e| format!("{path}: {e}"))?;
        if started.elapsed() > Duration::from_secs(5) {
            eprintln!("webdriver: {path} took {:?}", started.elapsed());
        }
        match answer["value"].get("error") {
            Some(error) => Err(format!("{path}: {error}: {}", answer["value"]["message"])),
            None => Ok(answer["value"].clone()),
        }
    }

    fn post(&self, path: &str, body: Value) -> Result<Value, String> {
        self.send(reqwest::Method::POST, path, Some(body))
    }

    /// The element matching `css`, if any.
    pub fn find(&self, css: &str) -> Option<String> {
        let found = self
            .post("/element", json!({ "using": "css selector", "value": css }))
            .ok()?;
        found[ELEMENT].as_str().map(str::to_string)
    }

    fn element(&self, css: &str) -> String {
        self.wait(&format!("element {css}"), || self.find(css))
    }

    /// The rendered text of `css` ("" if it is not there): the element's `innerText`, which
    /// follows CSS (hidden parts excluded). WebKitWebDriver's own Get Element Text drops text
    /// inside `overflow: hidden` ellipsis boxes, which this UI uses for long names.
    pub fn text(&self, css: &str) -> String {
        let script = format!(
            "const e = document.querySelector({}); return e ? e.innerText : '';",
            Value::String(css.to_string())
        );
        self.post("/execute/sync", json!({ "script": script, "args": [] }))
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    }

    /// Clicks `css` (waiting for it to exist). The live card re-renders as call events
    /// arrive, so an element that went stale between finding and clicking is found again.
    pub fn click(&self, css: &str) {
        let mut tries = 0;
        loop {
            let id = self.element(css);
            match self.post(&format!("/element/{id}/click"), json!({})) {
                Ok(_) => return,
                Err(e) if e.contains("stale element reference") && tries < 5 => tries += 1,
                Err(e) => panic!("click {css}: {e}"),
            }
        }
    }

    /// Replaces the content of the input `css` with `text`, as typed keys (emptying it when
    /// `text` is empty, announced with an `input` event as typing would).
    pub fn type_into(&self, css: &str, text: &str) {
        let id = self.element(css);
        let cleared = self.post(&format!("/element/{id}/clear"), json!({}));
        let typed = if text.is_empty() {
            let script = format!(
                "document.querySelector({}).dispatchEvent(new Event('input', {{bubbles: true}}))",
                Value::String(css.to_string())
            );
            self.post("/execute/sync", json!({ "script": script, "args": [] }))
        } else {
            self.post(&format!("/element/{id}/value"), json!({ "text": text }))
        };
        if let Err(e) = cleared.and(typed) {
            panic!("type into {css}: {e}");
        }
    }

    /// Picks the file at `path` in the file input `css`, as the file dialog would.
    pub fn send_file(&self, css: &str, path: &std::path::Path) {
        let id = self.element(css);
        let text = path.display().to_string();
        if let Err(e) = self.post(&format!("/element/{id}/value"), json!({ "text": text })) {
            panic!("pick {} in {css}: {e}", path.display());
        }
    }

    /// Moves and sizes the window (W3C Set Window Rect), as the agent dragging it would.
    pub fn set_rect(&self, x: i64, y: i64, width: i64, height: i64) {
        let rect = json!({ "x": x, "y": y, "width": width, "height": height });
        if let Err(e) = self.post("/window/rect", rect) {
            panic!("set the window rect: {e}");
        }
    }

    /// Runs `script` in the page and returns its value.
    pub fn execute(&self, script: &str) -> Value {
        self.post("/execute/sync", json!({ "script": script, "args": [] }))
            .unwrap_or_else(|e| panic!("execute {script:?}: {e}"))
    }

    /// Saves the window as a PNG, or says why it could not.
    pub fn try_screenshot(&self, path: &Path) -> Result<(), String> {
        // WebKitWebDriver's snapshot waits for the next paint; without accelerated
        // compositing (how screenpop's window runs) an idle page may not paint for a minute.
        // Nudge one: a 1×1 px dot in the corner that changes shade with every shot.
        let _ = self.post(
            "/execute/async",
            json!({ "script": "const done = arguments[0]; \
                let dot = document.getElementById('e2e-paint'); \
                if (!dot) { dot = document.createElement('div'); dot.id = 'e2e-paint'; \
                  dot.style.cssText = 'position:fixed;right:0;bottom:0;width:1px;height:1px;pointer-events:none'; \
                  document.body.append(dot); } \
                dot.style.background = dot.style.background === 'rgba(0, 0, 0, 0.02)' ? 'rgba(0, 0, 0, 0.01)' : 'rgba(0, 0, 0, 0.02)'; \
                requestAnimationFrame(() => requestAnimationFrame(() => done(true)));", "args": [] }),
        );
        let shot = self.send(reqwest::Method::GET, "/screenshot", None)?;
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot.as_str().unwrap_or_default())
            .map_err(|e| format!("not base64: {e}"))?;
        std::fs::write(path, png).map_err(|e| e.to_string())
    }

    /// Waits until `css`'s text contains `needle` (ignoring case: CSS may upper-case a label);
    /// returns the text.
    pub fn wait_text(&self, css: &str, needle: &str) -> String {
        let needle = needle.to_lowercase();
        self.wait(&format!("{css} to show {needle:?}"), || {
            let text = self.text(css);
            text.to_lowercase().contains(&needle).then_some(text)
        })
    }

    /// Polls `probe` for up to 15 s.
    pub fn wait<T>(&self, what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(found) = probe() {
                return found;
            }
            if Instant::now() > deadline {
                let body = self.text("body");
                eprintln!("timed out waiting for {what}; the window shows:\n{body}");
                if let Some(path) = &self.failure_shot {
                    let _ = self.try_screenshot(path);
                    eprintln!("screenshot of the failure: {}", path.display());
                }
                panic!("timed out waiting for {what}; the window shows:\n{body}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Closes the app's window as the agent does with Ctrl+W (the app should stay in the
    /// tray). Not WebDriver's Close Window: WebKitWebDriver ends the app with its last window.
    pub fn close_window(&self) {
        let _ = self.post(
            "/execute/sync",
            json!({ "script": "document.dispatchEvent(new KeyboardEvent('keydown', {key: 'w', ctrlKey: true}))", "args": [] }),
        );
    }

    /// Ends the session.
    pub fn end(&self) {
        let _ = self.send(reqwest::Method::DELETE, "", None);
    }
}

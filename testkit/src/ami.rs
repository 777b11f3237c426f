//! A loopback Asterisk Manager Interface server speaking the real protocol: the banner, Login
//! (right and wrong secrets; a wrong one is answered `Authentication failed` and the socket
//! closed, as Asterisk does), responses to Ping, CoreShowChannels (with a listing the test
//! sets), Originate, Redirect, Hangup and Logoff, and event blocks replayed from the
//! transcripts in `tests/fixtures/ami` to every logged-in session. Actions received are kept
//! for the test to check. Threads and std sockets only; stopped on drop.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use super::process::wait_until;

/// An action the server received (`Action` name and every field).
#[derive(Debug, Clone)]
pub struct Action {
    pub name: String,
    pub fields: HashMap<String, String>,
}

impl Action {
    /// A field's value ("" when absent).
    pub fn get(&self, key: &str) -> &str {
        self.fields.get(key).map_or("", String::as_str)
    }
}

/// A transcript file split into acts (`## name` lines), with CRLF line endings.
pub struct Transcript {
    acts: Vec<(String, String)>,
}

impl Transcript {
    /// Loads `tests/fixtures/ami/<name>`.
    pub fn load(name: &str) -> Self {
        let path = format!(
            "{}/../tests/fixtures/ami/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let mut acts: Vec<(String, String)> = Vec::new();
        for line in text.lines() {
            if let Some(act) = line.strip_prefix("## ") {
                acts.push((act.to_string(), String::new()));
            } else if !line.starts_with('#') {
                let (_, body) = acts.last_mut().expect("an act header first");
                body.push_str(line);
                body.push_str("\r\n");
            }
        }
        Self { acts }
    }

    /// The wire bytes of act `name`.
    pub fn act(&self, name: &str) -> &str {
        self.acts
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, b)| b.as_str())
            .unwrap_or_else(|| panic!("no act {name:?}"))
    }
}

#[derive(Default)]
struct Shared {
    username: String,
    secret: String,
    sessions: Mutex<Vec<Arc<Mutex<TcpStream>>>>,
    actions: Mutex<Vec<Action>>,
    listing: Mutex<String>,
    logins: Mutex<(usize, usize)>,
}

/// The running server; see the module docs.
pub struct AmiServer {
    port: u16,
    shared: Arc<Shared>,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

impl AmiServer {
    /// Listens on a free loopback port for `username` / `secret`.
    pub fn start(username: &str, secret: &str) -> AmiServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the AMI server");
        let port = listener.local_addr().expect("local addr").port();
        listener.set_nonblocking(true).expect("nonblocking");
        let shared = Arc::new(Shared {
            username: username.into(),
            secret: secret.into(),
            ..Shared::default()
        });
        let stop = Arc::new(AtomicBool::new(false));
        let (s, st) = (Arc::clone(&shared), Arc::clone(&stop));
        let accept = thread::spawn(move || {
            while !st.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let s = Arc::clone(&s);
                        thread::spawn(move || serve(stream, s));
                    }
                    Err(_) => thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        AmiServer {
            port,
            shared,
            stop,
            accept: Some(accept),
        }
    }

    /// The port clients connect to.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `(successful, failed)` logins so far.
    pub fn logins(&self) -> (usize, usize) {
        *self.shared.logins.lock().unwrap()
    }

    /// Waits until `n` sessions are logged in at the same time.
    pub fn wait_sessions(&self, n: usize) -> bool {
        wait_until(Duration::from_secs(10), || {
            self.shared.sessions.lock().unwrap().len() >= n
        })
    }

    /// Sends raw bytes (CRLF blocks) to every logged-in session.
    pub fn send(&self, bytes: &str) {
        let sessions = self.shared.sessions.lock().unwrap().clone();
        for session in sessions {
            let _ = session.lock().unwrap().write_all(bytes.as_bytes());
        }
    }

    /// Replays one act of a transcript.
    pub fn play(&self, transcript: &Transcript, act: &str) {
        self.send(transcript.act(act));
    }

    /// What `CoreShowChannels` answers from now on (CRLF blocks without ActionID).
    pub fn set_listing(&self, blocks: &str) {
        *self.shared.listing.lock().unwrap() = blocks.to_string();
    }

    /// Closes every client connection (the PBX restarted or the network blinked).
    pub fn drop_sessions(&self) {
        for s in self.shared.sessions.lock().unwrap().drain(..) {
            let _ = s.lock().unwrap().shutdown(Shutdown::Both);
        }
    }

    /// Every action received so far.
    pub fn actions(&self) -> Vec<Action> {
        self.shared.actions.lock().unwrap().clone()
    }

    /// Waits for an action called `name` and returns the first one.
    pub fn wait_action(&self, name: &str) -> Option<Action> {
        let mut found = None;
        wait_until(Duration::from_secs(10), || {
            found = self.actions().into_iter().find(|a| a.name == name);
            found.is_some()
        });
        found
    }
}

impl Drop for AmiServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        self.drop_sessions();
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
    }
}

fn respond(out: &Arc<Mutex<TcpStream>>, id: &str, lines: &[(&str, &str)]) {
    let mut text = String::new();
    for (i, (k, v)) in lines.iter().enumerate() {
        text.push_str(&format!("{k}: {v}\r\n"));
        if i == 0 {
            text.push_str(&format!("ActionID: {id}\r\n"));
        }
    }
    text.push_str("\r\n");
    let _ = out.lock().unwrap().write_all(text.as_bytes());
}

/// One client connection: banner, then actions until it goes away.
fn serve(stream: TcpStream, shared: Arc<Shared>) {
    let _ = stream.set_nonblocking(false);
    let Ok(reader) = stream.try_clone() else {
        return;
    };
    let out = Arc::new(Mutex::new(stream));
    let _ = out
        .lock()
        .unwrap()
        .write_all(b"Asterisk Call Manager/5.0.1\r\n");
    let mut reader = BufReader::new(reader);
    let mut logged_in = false;
    loop {
        let mut fields = HashMap::new();
        let mut name = None;
        loop {
            let mut line = String::new();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                if k.eq_ignore_ascii_case("Action") {
                    name = Some(v.trim().to_string());
                }
                fields.insert(k.trim().to_string(), v.trim().to_string());
            }
        }
        let Some(name) = name else { continue };
        let id = fields.get("ActionID").cloned().unwrap_or_default();
        shared.actions.lock().unwrap().push(Action {
            name: name.clone(),
            fields: fields.clone(),
        });
        match (name.to_ascii_lowercase().as_str(), logged_in) {
            ("login", _) => {
                let ok = fields.get("Username") == Some(&shared.username)
                    && fields.get("Secret") == Some(&shared.secret);
                let mut logins = shared.logins.lock().unwrap();
                if ok {
                    logins.0 += 1;
                    logged_in = true;
                    // Events may flow only after the client has read the login answer.
                    let mut writer = out.lock().unwrap();
                    shared.sessions.lock().unwrap().push(Arc::clone(&out));
                    let text = format!("Response: Success\r\nActionID: {id}\r\nMessage: Authentication accepted\r\n\r\n");
                    let _ = writer.write_all(text.as_bytes());
                } else {
                    logins.1 += 1;
                    respond(
                        &out,
                        &id,
                        &[("Response", "Error"), ("Message", "Authentication failed")],
                    );
                    let _ = out.lock().unwrap().shutdown(Shutdown::Both);
                    return;
                }
            }
            (_, false) => respond(
                &out,
                &id,
                &[("Response", "Error"), ("Message", "Permission denied")],
            ),
            ("ping", true) => respond(
                &out,
                &id,
                &[
                    ("Response", "Success"),
                    ("Ping", "Pong"),
                    ("Timestamp", "1700000000.000000"),
                ],
            ),
            ("coreshowchannels", true) => {
                respond(
                    &out,
                    &id,
                    &[
                        ("Response", "Success"),
                        ("EventList", "start"),
                        ("Message", "Channels will follow"),
                    ],
                );
                let listing = shared.listing.lock().unwrap().clone();
                let mut count = 0;
                let mut text = String::new();
                for block in listing.split("\r\n\r\n").filter(|b| !b.trim().is_empty()) {
                    count += 1;
                    text.push_str(block);
                    text.push_str(&format!("\r\nActionID: {id}\r\n\r\n"));
                }
                text.push_str(&format!("Event: CoreShowChannelsComplete\r\nActionID: {id}\r\nEventList: Complete\r\nListItems: {count}\r\n\r\n"));
                let _ = out.lock().unwrap().write_all(text.as_bytes());
            }
            ("originate", true) => respond(
                &out,
                &id,
                &[
                    ("Response", "Success"),
                    ("Message", "Originate successfully queued"),
                ],
            ),
            ("redirect", true) => respond(
                &out,
                &id,
                &[("Response", "Success"), ("Message", "Redirect successful")],
            ),
            ("hangup", true) => respond(
                &out,
                &id,
                &[("Response", "Success"), ("Message", "Channel Hungup")],
            ),
            ("logoff", true) => {
                respond(
                    &out,
                    &id,
                    &[
                        ("Response", "Goodbye"),
                        ("Message", "Thanks for all the fish."),
                    ],
                );
                return;
            }
            _ => respond(
                &out,
                &id,
                &[
                    ("Response", "Error"),
                    ("Message", "Invalid/unknown command"),
                ],
            ),
        }
    }
}

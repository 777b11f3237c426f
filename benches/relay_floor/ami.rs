//! The bench's loopback AMI server: banner, Login, CoreShowChannels, Ping; generated floor
//! calls (ring groups of three, one answers, the others hang up "answered elsewhere") written
//! to every logged-in session, with the bytes and the time spent writing counted.

use super::Ledger;
use screenpop::event::SourceId;
use screenpop::source::ami::calls::Tracker;
use screenpop::source::ami::channel::{Extension, Follow};
use screenpop::source::ami::wire::{Decoder, Frame};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::TcpListener;

#[derive(Clone)]
pub struct Server {
    sessions: Arc<tokio::sync::Mutex<Vec<OwnedWriteHalf>>>,
    logins: Arc<AtomicU64>,
    bytes: Arc<AtomicU64>,
    write_ns: Arc<AtomicU64>,
    events: Arc<AtomicU64>,
    pub port: u16,
}

impl Server {
    /// Listens on a free port and writes it to `port_file` (the script starts the relay then).
    pub async fn start(port_file: &str) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        if !port_file.is_empty() {
            std::fs::write(port_file, port.to_string()).expect("write the port file");
        }
        let server = Server {
            sessions: Arc::default(),
            logins: Arc::default(),
            bytes: Arc::default(),
            write_ns: Arc::default(),
            events: Arc::default(),
            port,
        };
        let s = server.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let s = s.clone();
                tokio::spawn(async move { s.serve(stream).await });
            }
        });
        server
    }

    async fn serve(&self, stream: tokio::net::TcpStream) {
        let _ = stream.set_nodelay(true);
        let (read, mut write) = stream.into_split();
        let _ = write.write_all(b"Asterisk Call Manager/5.0.1\r\n").await;
        let mut reader = BufReader::new(read);
        let mut write = Some(write);
        loop {
            let mut action = String::new();
            let mut id = String::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
                    return;
                }
                let line = line.trim_end();
                if line.is_empty() {
                    break;
                }
                if let Some((k, v)) = line.split_once(':') {
                    match k.trim().to_ascii_lowercase().as_str() {
                        "action" => action = v.trim().to_ascii_lowercase(),
                        "actionid" => id = v.trim().to_string(),
                        _ => {}
                    }
                }
            }
            let answer = match action.as_str() {
                "login" => format!("Response: Success\r\nActionID: {id}\r\nMessage: Authentication accepted\r\n\r\n"),
                "coreshowchannels" => format!("Response: Success\r\nActionID: {id}\r\nEventList: start\r\nMessage: Channels will follow\r\n\r\nEvent: CoreShowChannelsComplete\r\nActionID: {id}\r\nEventList: Complete\r\nListItems: 0\r\n\r\n"),
                "ping" => format!("Response: Success\r\nActionID: {id}\r\nPing: Pong\r\n\r\n"),
                _ => format!("Response: Success\r\nActionID: {id}\r\n\r\n"),
            };
            let mut sessions = self.sessions.lock().await;
            if let Some(w) = write.as_mut() {
                let _ = w.write_all(answer.as_bytes()).await;
            }
            if action == "login" {
                if let Some(w) = write.take() {
                    sessions.push(w);
                }
                self.logins.fetch_add(1, Ordering::SeqCst);
            } else if write.is_none() {
                // Answers to later actions go out through the session list.
                if let Some(w) = sessions.last_mut() {
                    let _ = w.write_all(answer.as_bytes()).await;
                }
            }
        }
    }

    pub async fn wait_login(&self) {
        while self.logins.load(Ordering::SeqCst) == 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    pub async fn wait_sessions(&self, n: usize) {
        while self.sessions.lock().await.len() < n {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Writes `blocks` (one event each) to every session, counting bytes and time.
    pub async fn send(&self, blocks: &[String]) {
        let mut sessions = self.sessions.lock().await;
        let bytes: String = blocks.concat();
        let started = Instant::now();
        for s in sessions.iter_mut() {
            let _ = s.write_all(bytes.as_bytes()).await;
            self.bytes.fetch_add(bytes.len() as u64, Ordering::Relaxed);
        }
        self.write_ns
            .fetch_add(started.elapsed().as_nanos() as u64, Ordering::Relaxed);
        self.events
            .fetch_add(blocks.len() as u64, Ordering::Relaxed);
    }

    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    pub fn write_us_per_event(&self) -> f64 {
        let events = self.events.load(Ordering::Relaxed).max(1);
        self.write_ns.load(Ordering::Relaxed) as f64 / events as f64 / 1000.0
    }

    /// `rate` calls/s for `seconds` across `exts` extensions (ring groups of three); returns
    /// how many calls were started.
    pub async fn generate(
        &self,
        rate: u64,
        exts: usize,
        seconds: u64,
        ledger: Arc<Mutex<Ledger>>,
        _progress: impl Fn(usize),
    ) -> usize {
        let every = Duration::from_micros(1_000_000 / rate.max(1));
        let mut tick = tokio::time::interval(every);
        let until = Instant::now() + Duration::from_secs(seconds);
        let mut calls = 0usize;
        let mut steps = tokio::task::JoinSet::new();
        while Instant::now() < until {
            tick.tick().await;
            let call = Call::new(calls, exts);
            {
                let mut l = ledger.lock().unwrap();
                l.groups.insert(call.linked.clone(), call.exts.clone());
            }
            self.send(&call.ring()).await;
            ledger
                .lock()
                .unwrap()
                .written
                .insert(call.linked.clone(), Instant::now());
            let s = self.clone();
            steps.spawn(async move {
                tokio::time::sleep(Duration::from_secs(1)).await;
                s.send(&call.answer()).await;
                tokio::time::sleep(Duration::from_secs(2)).await;
                s.send(&call.hangup()).await;
            });
            calls += 1;
        }
        while steps.join_next().await.is_some() {}
        calls
    }
}

/// One generated call: a trunk and three phones sharing a Linkedid.
pub struct Call {
    pub linked: String,
    pub exts: Vec<String>,
    seq: usize,
}

fn fields(chan: &str, uid: &str, linked: &str, num: &str, state: u8, exten: &str) -> String {
    let desc = match state {
        0 => "Down",
        5 => "Ringing",
        _ => "Up",
    };
    format!("Channel: {chan}\r\nChannelState: {state}\r\nChannelStateDesc: {desc}\r\nCallerIDNum: {num}\r\nCallerIDName: Caller {num}\r\nConnectedLineNum: <unknown>\r\nConnectedLineName: <unknown>\r\nLanguage: en\r\nAccountCode: \r\nContext: from-internal\r\nExten: {exten}\r\nPriority: 1\r\nUniqueid: {uid}\r\nLinkedid: {linked}\r\n")
}

impl Call {
    pub fn new(k: usize, exts: usize) -> Self {
        let base = (k * 3) % exts.max(3);
        Self {
            linked: format!("1800000000.{}", k * 10),
            exts: (0..3)
                .map(|j| format!("{}", 1000 + (base + j) % exts))
                .collect(),
            seq: k,
        }
    }

    fn trunk(&self, state: u8) -> String {
        fields(
            &format!("PJSIP/provider-{:08x}", self.seq),
            &self.linked,
            &self.linked,
            &format!("+1555{:07}", self.seq % 10_000_000),
            state,
            "s",
        )
    }

    fn phone(&self, j: usize, state: u8) -> String {
        let ext = &self.exts[j];
        let uid = format!("1800000000.{}", self.seq * 10 + j + 1);
        fields(
            &format!("PJSIP/{ext}-{:08x}", self.seq * 4 + j),
            &uid,
            &self.linked,
            ext,
            state,
            ext,
        )
    }

    fn ev(name: &str, body: String) -> String {
        format!("Event: {name}\r\nPrivilege: call,all\r\n{body}\r\n")
    }

    pub fn ring(&self) -> Vec<String> {
        let mut out = vec![Self::ev("Newchannel", self.trunk(4))];
        for j in 0..3 {
            out.push(Self::ev("Newchannel", self.phone(j, 0)));
        }
        for j in 0..3 {
            let dest = self
                .phone(j, 0)
                .lines()
                .map(|l| format!("Dest{l}\r\n"))
                .collect::<String>();
            out.push(Self::ev(
                "DialBegin",
                format!(
                    "{}{dest}DialString: {}\r\n",
                    self.trunk(4),
                    self.exts.join("&")
                ),
            ));
        }
        for j in 0..3 {
            out.push(Self::ev("Newstate", self.phone(j, 5)));
        }
        out
    }

    pub fn answer(&self) -> Vec<String> {
        let dest = self
            .phone(0, 6)
            .lines()
            .map(|l| format!("Dest{l}\r\n"))
            .collect::<String>();
        let mut out = vec![
            Self::ev("Newstate", self.phone(0, 6)),
            Self::ev(
                "DialEnd",
                format!("{}{dest}DialStatus: ANSWER\r\n", self.trunk(6)),
            ),
        ];
        for j in 1..3 {
            out.push(Self::ev(
                "Hangup",
                format!(
                    "{}Cause: 26\r\nCause-txt: Answered elsewhere\r\n",
                    self.phone(j, 5)
                ),
            ));
        }
        out
    }

    pub fn hangup(&self) -> Vec<String> {
        vec![
            Self::ev(
                "Hangup",
                format!(
                    "{}Cause: 16\r\nCause-txt: Normal Clearing\r\n",
                    self.phone(0, 6)
                ),
            ),
            Self::ev(
                "Hangup",
                format!(
                    "{}Cause: 16\r\nCause-txt: Normal Clearing\r\n",
                    self.trunk(6)
                ),
            ),
        ]
    }
}

/// N desks each logged in to AMI: the server writes every event N times.
pub async fn baseline(n: usize, events: usize) {
    let server = Server::start("").await;
    let done = Arc::new(AtomicU64::new(0));
    let mut desks = Vec::new();
    let calls = events / 14 + 1;
    let per_desk = (calls * 14) as u64;
    for i in 0..n {
        let port = server.port;
        let done = Arc::clone(&done);
        desks.push(tokio::spawn(async move {
            let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.expect("connect");
            stream.write_all(format!("Action: Login\r\nActionID: l{i}\r\nUsername: desk\r\nSecret: x\r\nEvents: call\r\n\r\n").as_bytes()).await.expect("login");
            let mut decoder = Decoder::new();
            let ext = format!("{}", 1000 + i % 500);
            let mut tracker = Tracker::new(SourceId(format!("ami:{ext}")), Follow::One(Extension::parse(&ext)));
            let mut buf = vec![0u8; 64 * 1024];
            let mut seen = 0u64;
            let mut out = Vec::new();
            while seen < per_desk {
                let Ok(k) = stream.read(&mut buf).await else { break };
                if k == 0 {
                    break;
                }
                decoder.feed(&buf[..k]);
                while let Some(frame) = decoder.next_frame() {
                    if let Frame::Message(m) = frame {
                        if m.get("Event").is_some() {
                            seen += 1;
                            tracker.on_message(&m, chrono::Utc::now(), &mut out);
                            out.clear();
                        }
                    }
                }
            }
            done.fetch_add(1, Ordering::SeqCst);
        }));
    }
    server.wait_sessions(n).await;
    let started = Instant::now();
    for k in 0..calls {
        let call = Call::new(k, 500);
        server.send(&call.ring()).await;
        server.send(&call.answer()).await;
        server.send(&call.hangup()).await;
    }
    let written = started.elapsed();
    while done.load(Ordering::SeqCst) < n as u64 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let all_read = started.elapsed();
    println!(
        "{}",
        serde_json::json!({
            "desks": n, "events": calls * 14, "ami_bytes": server.bytes(),
            "ami_bytes_per_event": server.bytes() as f64 / (calls * 14) as f64,
            "ami_write_us_per_event": server.write_us_per_event(),
            "write_s": written.as_secs_f64(), "all_desks_read_s": all_read.as_secs_f64(),
        })
    );
    for d in desks {
        d.abort();
    }
}

//! Real baresip softphones for tests: each [`Softphone`] is a `baresip -f <dir>` process
//! with its own config, account and 8 kHz tone file in a temp dir, SIP and ctrl_tcp on free
//! 127.0.0.1 ports, no sound card and no registrar. [`Ctrl`] is the test's own ctrl_tcp
//! client for the phones screenpop does not watch (baresip serves one client at a time).
//!
//! Processes are killed when their `Softphone` is dropped.

use std::fs;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use screenpop::source::baresip::wire::{self, Decoder};
use serde_json::Value;
use tempfile::TempDir;

use super::process::{spawn, terminate, wait_until};

/// baresip is ready in well under a second; this is the ceiling.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// How a phone treats incoming calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Rings until told `accept` (an agent, a customer).
    Manual,
    /// Picks up at once (a manager taking transfers).
    Auto,
}

/// One running baresip; see the module docs.
pub struct Softphone {
    child: Option<Child>,
    dir: TempDir,
    /// The SIP port (UDP and TCP; baresip also takes the next port for TCP).
    pub sip_port: u16,
    /// ctrl_tcp's port.
    pub ctrl_port: u16,
    user: String,
}

impl Softphone {
    /// Starts a phone for account `user` (e.g. `+4930123456` or `201`), sending
    /// `display_name` when it calls.
    pub fn start(user: &str, display_name: Option<&str>, answer: Answer) -> Softphone {
        Softphone::start_with(user, display_name, answer, "", "")
    }

    /// [`Softphone::start`] with extra config lines (e.g. the mqtt module's) and extra
    /// account parameters (e.g. `;outbound="sip:127.0.0.1:5070"` to send calls to numbers
    /// there, as a PBX would).
    pub fn start_with(
        user: &str,
        display_name: Option<&str>,
        answer: Answer,
        extra_config: &str,
        account_params: &str,
    ) -> Softphone {
        let dir = tempfile::Builder::new()
            .prefix("screenpop-baresip-")
            .tempdir()
            .expect("create the softphone's dir");
        let sip_port = free_sip_port();
        let ctrl_port = super::ports::free_port();
        write_tone(&dir.path().join("tone8k.wav")).expect("write tone8k.wav");
        let text = config(dir.path(), sip_port, ctrl_port) + extra_config;
        fs::write(dir.path().join("config"), text).expect("write the baresip config");
        let name = display_name
            .map(|n| format!("\"{n}\" "))
            .unwrap_or_default();
        let mode = match answer {
            Answer::Manual => "manual",
            Answer::Auto => "auto",
        };
        fs::write(
            dir.path().join("accounts"),
            format!(
                "{name}<sip:{user}@127.0.0.1:{sip_port}>;regint=0;answermode={mode}{account_params}\n"
            ),
        )
        .expect("write the baresip accounts");
        let mut phone = Softphone {
            child: None,
            dir,
            sip_port,
            ctrl_port,
            user: user.to_string(),
        };
        phone.launch();
        phone
    }

    /// `sip:<user>@127.0.0.1:<port>`: what other phones dial.
    pub fn uri(&self) -> String {
        format!("sip:{}@127.0.0.1:{}", self.user, self.sip_port)
    }

    /// Kills the process at once (SIGKILL), as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the same phone again (same dir, same ports) after [`Softphone::kill`].
    pub fn restart(&mut self) {
        self.kill();
        self.launch();
    }

    /// A ctrl_tcp client of the test's own (never for the phone screenpop watches).
    pub fn control(&self) -> Ctrl {
        Ctrl::connect(self.ctrl_port)
    }

    /// What baresip printed so far.
    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.path().join("baresip.log")).unwrap_or_default()
    }

    fn launch(&mut self) {
        let log_path = self.dir.path().join("baresip.log");
        let log = fs::File::create(&log_path).expect("create baresip.log");
        let mut command = Command::new("baresip");
        command
            .arg("-f")
            .arg(self.dir.path())
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("clone the log handle"))
            .stderr(log);
        self.child = Some(spawn(&mut command).expect("start baresip"));
        let ready = wait_until(START_TIMEOUT, || {
            fs::read_to_string(&log_path).is_ok_and(|t| t.contains("baresip is ready"))
        });
        assert!(ready, "baresip did not start:\n{}", self.log());
    }
}

impl Drop for Softphone {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            terminate(&mut child, Duration::from_secs(2));
        }
        if std::thread::panicking() {
            eprintln!("--- baresip {} log ---\n{}", self.user, self.log());
        }
    }
}

/// The test's ctrl_tcp client: commands with tokens, and the events seen so far.
pub struct Ctrl {
    stream: TcpStream,
    decoder: Decoder,
    tokens: u32,
    /// Every event received, oldest first.
    pub events: Vec<Value>,
}

impl Ctrl {
    fn connect(port: u16) -> Ctrl {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to ctrl_tcp");
        stream
            .set_read_timeout(Some(Duration::from_millis(50)))
            .expect("set a read timeout");
        Ctrl {
            stream,
            decoder: Decoder::new(),
            tokens: 0,
            events: Vec::new(),
        }
    }

    /// Sends `command` and returns baresip's response (`ok`, `data`), panicking if none comes.
    pub fn command(&mut self, command: &str, params: Option<&str>) -> Value {
        self.tokens += 1;
        let token = format!("t{}", self.tokens);
        self.stream
            .write_all(&wire::command(command, params, &token))
            .expect("write to ctrl_tcp");
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            for message in self.read() {
                if message["token"] == token.as_str() {
                    return message;
                }
            }
        }
        panic!("no response to {command} from baresip");
    }

    /// Waits for an event of `kind` (e.g. `CALL_INCOMING`) and returns it.
    pub fn wait_event(&mut self, kind: &str, timeout: Duration) -> Value {
        let deadline = Instant::now() + timeout;
        let mut seen = 0;
        loop {
            if let Some(e) = self.events[seen..].iter().find(|e| e["type"] == kind) {
                return e.clone();
            }
            seen = self.events.len();
            assert!(
                Instant::now() < deadline,
                "no {kind} within {timeout:?}; events: {:?}",
                self.events
                    .iter()
                    .map(|e| e["type"].clone())
                    .collect::<Vec<_>>()
            );
            self.read();
        }
    }

    /// Forgets the events seen so far.
    pub fn clear(&mut self) {
        self.read();
        self.events.clear();
    }

    /// Reads what is there; events go to `events`, the rest is returned.
    fn read(&mut self) -> Vec<Value> {
        let mut buf = [0u8; 8192];
        match self.stream.read(&mut buf) {
            Ok(0) => panic!("baresip closed ctrl_tcp"),
            Ok(n) => self.decoder.feed(&buf[..n]),
            Err(_) => return Vec::new(),
        }
        let mut others = Vec::new();
        while let Ok(Some(frame)) = self.decoder.next_frame() {
            let Ok(value) = serde_json::from_slice::<Value>(&frame) else {
                continue;
            };
            if value["event"] == true {
                self.events.push(value);
            } else {
                others.push(value);
            }
        }
        others
    }
}

/// A port free for SIP on UDP and TCP, with the next two TCP ports free too.
fn free_sip_port() -> u16 {
    for _ in 0..50 {
        let port = super::ports::free_port();
        let free = port < u16::MAX - 3
            && UdpSocket::bind(("127.0.0.1", port)).is_ok()
            && (1..3).all(|i| TcpListener::bind(("127.0.0.1", port + i)).is_ok());
        if free {
            return port;
        }
    }
    panic!("no free SIP port found");
}

fn config(dir: &Path, sip_port: u16, ctrl_port: u16) -> String {
    format!(
        "poll_method\tepoll
sip_listen\t127.0.0.1:{sip_port}
net_interface\t127.0.0.1
dns_server\t127.0.0.1:53
call_local_timeout\t120
call_max_calls\t4
audio_player\talsa,null
audio_source\taufile,{tone}
audio_alert\talsa,null
ausrc_format\ts16
auplay_format\ts16
auenc_format\ts16
audec_format\ts16
audio_buffer\t20-160
rtcp_mux\tno
jitter_buffer_delay\t5-10
rtp_stats\tno
rtp_ports\t20000-40000
module_path\t/usr/lib/baresip/modules
module\tg711.so
module\talsa.so
module\taufile.so
module_tmp\tuuid.so
module_tmp\taccount.so
module_app\tcontact.so
module_app\tmenu.so
module_app\tctrl_tcp.so
ctrl_tcp_listen\t127.0.0.1:{ctrl_port}
",
        tone = dir.join("tone8k.wav").display()
    )
}

/// A minute of a 440 Hz tone (baresip hangs up when aufile reaches the end), 8 kHz mono s16 (what G.711 wants; `ausine` is 48 kHz only).
fn write_tone(path: &Path) -> std::io::Result<()> {
    let rate: u32 = 8000;
    let samples: Vec<u8> = (0..rate * 60)
        .flat_map(|i| {
            let v = (f64::from(i) * 440.0 * std::f64::consts::TAU / f64::from(rate)).sin();
            ((v * 8000.0) as i16).to_le_bytes()
        })
        .collect();
    let mut wav = Vec::with_capacity(44 + samples.len());
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&(36 + samples.len() as u32).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    wav.extend_from_slice(&16u32.to_le_bytes());
    wav.extend_from_slice(&1u16.to_le_bytes()); // PCM
    wav.extend_from_slice(&1u16.to_le_bytes()); // mono
    wav.extend_from_slice(&rate.to_le_bytes());
    wav.extend_from_slice(&(rate * 2).to_le_bytes());
    wav.extend_from_slice(&2u16.to_le_bytes());
    wav.extend_from_slice(&16u16.to_le_bytes());
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&(samples.len() as u32).to_le_bytes());
    wav.extend_from_slice(&samples);
    fs::write(path, wav)
}

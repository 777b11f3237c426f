//! Real baresip softphones on loopback for end-to-end call tests: each instance gets its
//! own config dir (SIP and ctrl_tcp on free ports, no registrar, audio from a generated
//! 8 kHz WAV file, null playback), and [`Ctrl`] speaks ctrl_tcp (netstring-framed JSON) to
//! dial and to watch events. Only one ctrl_tcp client per instance works, so an instance
//! screenpop controls is never also opened here. Stopped on drop.

use std::fs;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

use super::process::{spawn, terminate, wait_until};

/// A running baresip.
pub struct Softphone {
    child: Child,
    pub sip_port: u16,
    pub ctrl_port: u16,
    user: String,
    dir: TempDir,
}

/// A SIP port whose UDP and TCP (and TCP port+1, which baresip also takes) are free.
fn free_sip_port() -> u16 {
    for _ in 0..200 {
        let Ok(tcp) = TcpListener::bind("127.0.0.1:0") else {
            continue;
        };
        let port = tcp.local_addr().map(|a| a.port()).unwrap_or(0);
        if port == 0 || port > 60000 {
            continue;
        }
        let free = UdpSocket::bind(("127.0.0.1", port)).is_ok()
            && TcpListener::bind(("127.0.0.1", port + 1)).is_ok()
            && UdpSocket::bind(("127.0.0.1", port + 1)).is_ok();
        if free {
            return port;
        }
    }
    panic!("no free SIP port pair on 127.0.0.1");
}

/// A minute of a 440 Hz tone, 8 kHz mono s16 (G.711 needs 8 kHz; baresip's ausine is 48);
/// baresip ends a call when its audio file runs out.
fn write_tone(path: &Path) {
    let samples: Vec<i16> = (0..8000 * 60)
        .map(|i| ((i as f64 * 440.0 * 2.0 * std::f64::consts::PI / 8000.0).sin() * 3000.0) as i16)
        .collect();
    let data_len = (samples.len() * 2) as u32;
    let mut wav = Vec::with_capacity(44 + data_len as usize);
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&(36 + data_len).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    wav.extend_from_slice(&16u32.to_le_bytes());
    wav.extend_from_slice(&1u16.to_le_bytes()); // PCM
    wav.extend_from_slice(&1u16.to_le_bytes()); // mono
    wav.extend_from_slice(&8000u32.to_le_bytes());
    wav.extend_from_slice(&16000u32.to_le_bytes());
    wav.extend_from_slice(&2u16.to_le_bytes());
    wav.extend_from_slice(&16u16.to_le_bytes());
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&data_len.to_le_bytes());
    for s in samples {
        wav.extend_from_slice(&s.to_le_bytes());
    }
    fs::write(path, wav).expect("write tone8k.wav");
}

impl Softphone {
    /// Starts baresip as `"display" <sip:user@127.0.0.1:port>`, answering by itself when
    /// `auto_answer`.
    pub fn start(user: &str, display: &str, auto_answer: bool) -> Softphone {
        let dir = tempfile::Builder::new()
            .prefix("screenpop-baresip-")
            .tempdir()
            .expect("baresip temp dir");
        let sip_port = free_sip_port();
        let ctrl_port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("ctrl port")
            .port();
        let rtp = 20000 + (sip_port as u32 * 7 % 40000) as u16;
        let tone = dir.path().join("tone8k.wav");
        write_tone(&tone);
        let config = format!(
            "poll_method\t\tepoll\nsip_listen\t\t127.0.0.1:{sip_port}\nnet_interface\t\t127.0.0.1\n\
             dns_server\t\t127.0.0.1:53\ncall_local_timeout\t120\ncall_max_calls\t\t4\n\
             audio_player\t\talsa,null\naudio_source\t\taufile,{tone}\naudio_alert\t\talsa,null\n\
             ausrc_format\t\ts16\nauplay_format\t\ts16\nauenc_format\t\ts16\naudec_format\t\ts16\n\
             audio_buffer\t\t20-160\nrtcp_mux\t\tno\njitter_buffer_delay\t5-10\nrtp_stats\t\tno\n\
             rtp_ports\t\t{rtp}-{}\nmodule_path\t\t/usr/lib/baresip/modules\nmodule\t\t\tg711.so\n\
             module\t\t\talsa.so\nmodule\t\t\taufile.so\nmodule_tmp\t\tuuid.so\nmodule_tmp\t\taccount.so\n\
             module_app\t\tcontact.so\nmodule_app\t\tmenu.so\nmodule_app\t\tctrl_tcp.so\n\
             ctrl_tcp_listen\t\t127.0.0.1:{ctrl_port}\n",
            rtp + 40,
            tone = tone.display()
        );
        fs::write(dir.path().join("config"), config).expect("write baresip config");
        let mode = if auto_answer { "auto" } else { "manual" };
        fs::write(
            dir.path().join("accounts"),
            format!("\"{display}\" <sip:{user}@127.0.0.1:{sip_port}>;regint=0;answermode={mode}\n"),
        )
        .expect("write baresip accounts");
        let log = fs::File::create(dir.path().join("baresip.log")).expect("baresip log");
        let mut command = Command::new("baresip");
        command
            .arg("-f")
            .arg(dir.path())
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log handle"))
            .stderr(log);
        let child = spawn(&mut command).expect("start baresip");
        let phone = Softphone {
            child,
            sip_port,
            ctrl_port,
            user: user.into(),
            dir,
        };
        let listening = wait_until(Duration::from_secs(10), || {
            TcpStream::connect(("127.0.0.1", ctrl_port))
                .map(|s| drop(s.shutdown(std::net::Shutdown::Both)))
                .is_ok()
        });
        assert!(listening, "baresip did not open ctrl_tcp\n{}", phone.log());
        phone
    }

    /// This phone's SIP URI.
    pub fn uri(&self) -> String {
        format!("sip:{}@127.0.0.1:{}", self.user, self.sip_port)
    }

    /// baresip's output so far.
    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.path().join("baresip.log")).unwrap_or_default()
    }

    /// Opens this phone's (single) ctrl_tcp connection.
    pub fn ctrl(&self) -> Ctrl {
        let stream = TcpStream::connect(("127.0.0.1", self.ctrl_port)).expect("connect ctrl_tcp");
        stream
            .set_read_timeout(Some(Duration::from_millis(200)))
            .expect("read timeout");
        Ctrl {
            stream,
            buf: Vec::new(),
        }
    }
}

impl Drop for Softphone {
    fn drop(&mut self) {
        terminate(&mut self.child, Duration::from_secs(3));
        if std::thread::panicking() {
            eprintln!("--- baresip {} log ---\n{}", self.user, self.log());
        }
    }
}

/// A ctrl_tcp client: netstring-framed JSON both ways.
pub struct Ctrl {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Ctrl {
    /// Sends `{"command": …, "params": …, "token": …}`.
    pub fn command(&mut self, command: &str, params: &str) {
        let json = serde_json::json!({ "command": command, "params": params, "token": command });
        let body = json.to_string();
        let frame = format!("{}:{body},", body.len());
        self.stream
            .write_all(frame.as_bytes())
            .expect("write ctrl_tcp");
    }

    /// Waits for a JSON message that `want` accepts; returns it.
    pub fn wait_for(&mut self, timeout: Duration, want: impl Fn(&Value) -> bool) -> Option<Value> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            while let Some(message) = self.next_frame() {
                if want(&message) {
                    return Some(message);
                }
            }
            let mut chunk = [0u8; 4096];
            match self.stream.read(&mut chunk) {
                Ok(0) => return None,
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(_) => {}
            }
        }
        None
    }

    fn next_frame(&mut self) -> Option<Value> {
        let colon = self.buf.iter().position(|&b| b == b':')?;
        let len: usize = std::str::from_utf8(&self.buf[..colon]).ok()?.parse().ok()?;
        if self.buf.len() < colon + 1 + len + 1 {
            return None;
        }
        let body = self.buf[colon + 1..colon + 1 + len].to_vec();
        self.buf.drain(..colon + 2 + len);
        serde_json::from_slice(&body).ok()
    }
}

//! The CLI sends a request at most once: the transport (the daemon's owner-only socket, else
//! the webhook on 127.0.0.1) is chosen before anything is written, and a request the daemon
//! received but did not answer is reported, never re-sent over the other transport.
//!
//! The daemon here is a stand-in on the socket that reads one request and then drops the
//! connection, as a daemon killed mid-request would; a listener on the configured webhook
//! port counts whether the CLI ever tries TCP.

use std::io::{ErrorKind, Read};
use std::net::TcpListener;
use std::os::unix::net::UnixListener;
use std::process::Command;

const SCREENPOP: &str = env!("CARGO_BIN_EXE_screenpop");

/// Reads one HTTP request (head and `Content-Length` body) from `stream`.
fn read_request(stream: &mut impl Read) -> String {
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = stream.read(&mut buf).expect("read the request");
        if n == 0 {
            break;
        }
        raw.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&raw);
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                })
                .unwrap_or(0);
            if body.len() >= length {
                break;
            }
        }
    }
    String::from_utf8_lossy(&raw).into_owned()
}

#[test]
fn a_request_received_but_unanswered_is_not_sent_again_over_tcp() {
    let dir = tempfile::tempdir().expect("temp dir");
    let tcp = TcpListener::bind("127.0.0.1:0").expect("bind the webhook port");
    let port = tcp.local_addr().expect("port").port();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, format!("[webhook]\nport = {port}\n")).expect("write config");
    let socket = UnixListener::bind(dir.path().join("screenpop.sock")).expect("bind the socket");

    let cli = Command::new(SCREENPOP)
        .args(["call", "202"])
        .env("SCREENPOP_CONFIG", &config)
        .env("SCREENPOP_DATA_DIR", dir.path())
        // No session bus: the CLI must not need the keyring when the socket answers.
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start screenpop call");
    let (mut stream, _) = socket.accept().expect("the CLI connects to the socket");
    let request = read_request(&mut stream);
    drop(stream); // the "daemon" dies before it answers
    let out = cli.wait_with_output().expect("wait for the CLI");

    assert!(request.starts_with("POST /v1/control/dial "), "{request}");
    assert!(
        request.contains("\"request_id\":\""),
        "no request id: {request}"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("may have been carried out"), "{err}");
    // The CLI has exited: any connection it made to the webhook would be queued by now.
    tcp.set_nonblocking(true).expect("nonblocking");
    match tcp.accept() {
        Err(e) if e.kind() == ErrorKind::WouldBlock => {}
        other => panic!("the CLI tried the webhook after the socket: {other:?}"),
    }
    // And it sent nothing more on the socket either.
    socket.set_nonblocking(true).expect("nonblocking");
    assert!(
        matches!(socket.accept(), Err(e) if e.kind() == ErrorKind::WouldBlock),
        "a second connection to the socket"
    );
}

#[test]
fn each_control_request_carries_its_own_request_id() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "").expect("write config");
    let socket = UnixListener::bind(dir.path().join("screenpop.sock")).expect("bind the socket");
    let mut ids = Vec::new();
    for _ in 0..2 {
        let cli = Command::new(SCREENPOP)
            .args(["hangup"])
            .env("SCREENPOP_CONFIG", &config)
            .env("SCREENPOP_DATA_DIR", dir.path())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start screenpop hangup");
        let (mut stream, _) = socket.accept().expect("the CLI connects");
        let request = read_request(&mut stream);
        drop(stream);
        let mut cli = cli;
        cli.wait().expect("wait for the CLI");
        let body = request.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
        let json: serde_json::Value = serde_json::from_str(body).expect("a JSON body");
        ids.push(json["request_id"].as_str().unwrap_or_default().to_string());
    }
    assert!(!ids[0].is_empty() && ids[0] != ids[1], "{ids:?}");
}

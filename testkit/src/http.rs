//! A tiny HTTP/1.1 GET and JSON POST over a plain `TcpStream`, enough to ask the daemon's
//! webhook server whether it is up (`/v1/health`) and to post many call events quickly,
//! without pulling a blocking HTTP client into the tests.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// Sends `GET path` to 127.0.0.1:`port` and returns the status code and the raw body.
///
/// The request says `Connection: close`, so the body is whatever arrives until EOF. A chunked
/// body is returned as is (with its chunk sizes); JSON answers from axum carry a length.
pub fn get(port: u16, path: &str) -> io::Result<(u16, String)> {
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let bad = || {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("not HTTP: {response:?}"),
        )
    };
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(bad)?;
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    Ok((status, body))
}

/// Sends `POST path` with a JSON `body` and a bearer `token`; returns the status code.
pub fn post_json(port: u16, path: &str, token: &str, body: &str) -> io::Result<u16> {
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    response
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("not HTTP: {response:?}"),
            )
        })
}

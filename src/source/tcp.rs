//! TCP plumbing the line-protocol sources (AMI, Fritz!Box) share: addresses with default
//! ports, and a connect with a timeout whose failure says what to check.

use super::supervisor::SourceError;
use std::time::Duration;
use tokio::net::TcpStream;

/// How long a connect may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// `host` → `host:port`; addresses that already name a port are kept (IPv6 too).
pub fn with_default_port(address: &str, port: u16) -> String {
    let a = address.trim();
    let has_port = match a.rsplit_once(':') {
        Some((host, p)) => p.parse::<u16>().is_ok() && (!host.contains(':') || host.ends_with(']')),
        None => false,
    };
    if has_port {
        a.to_string()
    } else if a.contains(':') && !a.starts_with('[') {
        format!("[{a}]:{port}")
    } else {
        format!("{a}:{port}")
    }
}

/// Connects to `address` within [`CONNECT_TIMEOUT`]; `hint` is added to a refusal.
pub async fn connect(address: &str, hint: &str) -> Result<TcpStream, SourceError> {
    let failed = |reason: String| SourceError::Connect {
        address: address.to_string(),
        reason,
    };
    let stream = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(address))
        .await
        .map_err(|_| failed("timed out".into()))?
        .map_err(|e| failed(format!("{e}{hint}")))?;
    let _ = stream.set_nodelay(true);
    Ok(stream)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_port_is_added_only_when_missing() {
        assert_eq!(with_default_port("pbx.local", 5038), "pbx.local:5038");
        assert_eq!(with_default_port("pbx.local:6000", 5038), "pbx.local:6000");
        assert_eq!(with_default_port("127.0.0.1:7", 5038), "127.0.0.1:7");
        assert_eq!(with_default_port("::1", 5038), "[::1]:5038");
        assert_eq!(with_default_port("[::1]:9", 5038), "[::1]:9");
    }
}

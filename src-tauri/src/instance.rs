//! One `screenpop-desktop` per data folder: the first binds the link socket; a later launch
//! finds it answering, hands over its arguments (show the window, dial a `tel:` link) and
//! exits. A socket left by a crashed instance is replaced.

use crate::link::{self, Hello};
use std::io;
use std::path::Path;
use std::time::Duration;
use tokio::io::BufReader;
use tokio::net::{UnixListener, UnixStream};

/// Who serves this data folder.
pub enum Claim {
    /// This process: serve the link on this listener.
    Ours(UnixListener),
    /// Another instance runs and has taken over `args`.
    Running,
}

/// Claims `socket` for this process, or hands `args` to the instance that holds it.
pub async fn claim(socket: &Path, args: &[String]) -> io::Result<Claim> {
    if let Ok(stream) = UnixStream::connect(socket).await {
        let handed = tokio::time::timeout(Duration::from_secs(5), hand_over(stream, args)).await;
        match handed {
            Ok(Ok(())) => return Ok(Claim::Running),
            Ok(Err(e)) => tracing::warn!(error = %e, "the running instance did not answer"),
            Err(_) => tracing::warn!("the running instance did not answer in time"),
        }
    }
    bind(socket).map(Claim::Ours)
}

async fn hand_over(stream: UnixStream, args: &[String]) -> io::Result<()> {
    let (read, mut write) = stream.into_split();
    link::write(
        &mut write,
        &Hello::Launch {
            args: args.to_vec(),
        },
    )
    .await?;
    let answer: Option<serde_json::Value> = link::read(&mut BufReader::new(read)).await?;
    answer
        .map(drop)
        .ok_or_else(|| io::Error::new(io::ErrorKind::UnexpectedEof, "no answer"))
}

/// Binds `socket` owner-only (0600), replacing a stale file.
fn bind(socket: &Path) -> io::Result<UnixListener> {
    use std::os::unix::fs::PermissionsExt;
    if let Some(dir) = socket.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let _ = std::fs::remove_file(socket);
    let listener = UnixListener::bind(socket)?;
    std::fs::set_permissions(socket, std::fs::Permissions::from_mode(0o600))?;
    Ok(listener)
}

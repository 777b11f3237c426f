//! The core process's end of the [`link`](crate::link): accepts the window process and
//! second launches on the owner-only socket, and carries each window request out on its own
//! task (a slow CRM lookup does not hold up a call-log page).

use crate::link::{self, Hello, RawRequest, ToWindow};
use crate::shell::Shell;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::BufReader;
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::mpsc;

/// How long a client may take to say hello.
const HELLO_TIMEOUT: Duration = Duration::from_secs(5);

/// Serves `listener` until the task is dropped.
pub async fn serve(listener: UnixListener, shell: Arc<Shell>) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                tokio::spawn(connection(stream, Arc::clone(&shell)));
            }
            Err(e) => {
                tracing::warn!(error = %e, "desktop link: accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

async fn connection(stream: UnixStream, shell: Arc<Shell>) {
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    let hello = match tokio::time::timeout(HELLO_TIMEOUT, link::read::<_, Hello>(&mut read)).await {
        Ok(Ok(Some(hello))) => hello,
        Ok(Ok(None)) => return,
        Ok(Err(e)) => return tracing::warn!(error = %e, "desktop link: bad hello"),
        Err(_) => return tracing::warn!("desktop link: no hello in time"),
    };
    match hello {
        Hello::Launch { args } => {
            tracing::info!(?args, "started again: handing over to this instance");
            shell.launched(&args);
            let _ = link::write(&mut write, &serde_json::json!({ "ok": true })).await;
        }
        Hello::Window => window_session(read, write, shell).await,
    }
}

async fn window_session(
    mut read: BufReader<OwnedReadHalf>,
    mut write: OwnedWriteHalf,
    shell: Arc<Shell>,
) {
    let (link, mut outbox) = mpsc::unbounded_channel::<ToWindow>();
    let window = Arc::clone(&shell.window);
    let writer = tokio::spawn(async move {
        while let Some(message) = outbox.recv().await {
            if let Err(e) = link::write(&mut write, &message).await {
                tracing::debug!(error = %e, "window link closed while writing");
                if matches!(message, ToWindow::Show) {
                    window.show_lost();
                }
                break;
            }
        }
    });
    shell.window.attach(link.clone());
    loop {
        match link::read::<_, RawRequest>(&mut read).await {
            Ok(Some(raw)) => {
                let request = match raw.parse() {
                    Ok(request) => request,
                    Err((id, e)) => {
                        let result = Err(serde_json::to_value(e).unwrap_or_default());
                        let _ = link.send(ToWindow::Reply { id, result });
                        continue;
                    }
                };
                let (shell, link) = (Arc::clone(&shell), link.clone());
                tokio::spawn(async move {
                    let result = shell.request(&request, &link).await;
                    let result = result.map_err(|e| serde_json::to_value(e).unwrap_or_default());
                    let _ = link.send(ToWindow::Reply {
                        id: request.id,
                        result,
                    });
                });
            }
            Ok(None) => break,
            Err(e) => {
                tracing::warn!(error = %e, "window link: unreadable request; closing the link");
                break;
            }
        }
    }
    shell.window.detach(&link);
    shell.delivery.detach(&link);
    drop(link);
    // Replies still in flight hold their own senders; the writer ends with the last of them.
    let _ = writer.await;
}

//! The window process's end of the link to the core (`screenpop_desktop::link`): requests
//! out with an id, replies matched back by id, progress to the request's channel, events to
//! the page's channel. "show" brings the window to the front; "quit" or a broken link ends
//! the window process (the core owns everything that must outlive it).

use screenpop_desktop::command::Command;
use screenpop_desktop::link::{self, Hello, Request, ToWindow};
use screenpop_desktop::lock;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tauri::ipc::Channel;
use tauri::{AppHandle, Runtime};
use tokio::io::BufReader;
use tokio::net::unix::OwnedReadHalf;
use tokio::net::UnixStream;
use tokio::sync::{mpsc, oneshot};

type Reply = Result<Value, Value>;

struct Pending {
    reply: oneshot::Sender<Reply>,
    progress: Option<Channel<Value>>,
}

/// See the module docs.
pub struct Link {
    out: mpsc::UnboundedSender<Request>,
    next: AtomicU64,
    pending: Mutex<HashMap<u64, Pending>>,
    events: Mutex<Option<Channel<Value>>>,
}

fn gone() -> Value {
    json!({ "code": "core_gone", "message": "screenpop-desktop is not running" })
}

impl Link {
    /// Connects to the core at `socket` and says hello; the returned half is for [`Link::listen`].
    pub async fn connect(socket: &Path) -> std::io::Result<(Arc<Link>, OwnedReadHalf)> {
        let (read, mut write) = UnixStream::connect(socket).await?.into_split();
        link::write(&mut write, &Hello::Window).await?;
        let (out, mut outbox) = mpsc::unbounded_channel::<Request>();
        tokio::spawn(async move {
            while let Some(request) = outbox.recv().await {
                if let Err(e) = link::write(&mut write, &request).await {
                    tracing::error!(error = %e, "link to the core broken");
                    break;
                }
            }
        });
        let link = Arc::new(Link {
            out,
            next: AtomicU64::new(1),
            pending: Mutex::default(),
            events: Mutex::default(),
        });
        Ok((link, read))
    }

    /// Sends `command` to the core and waits for its answer; `progress` hears the
    /// command's progress reports.
    pub async fn call(&self, command: Command, progress: Option<Channel<Value>>) -> Reply {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let (reply, answer) = oneshot::channel();
        lock(&self.pending).insert(id, Pending { reply, progress });
        let request = Request { id, command };
        if self.out.send(request).is_err() {
            lock(&self.pending).remove(&id);
            return Err(gone());
        }
        answer.await.unwrap_or_else(|_| Err(gone()))
    }

    /// The page's event channel (from `subscribe`); a reloaded page replaces the old one.
    pub fn set_events(&self, channel: Channel<Value>) {
        *lock(&self.events) = Some(channel);
    }

    /// Reads what the core sends until the link ends, then exits the window process.
    pub async fn listen<R: Runtime>(self: Arc<Self>, read: OwnedReadHalf, app: AppHandle<R>) {
        let mut read = BufReader::new(read);
        loop {
            match link::read::<_, ToWindow>(&mut read).await {
                Ok(Some(ToWindow::Reply { id, result })) => {
                    if let Some(pending) = lock(&self.pending).remove(&id) {
                        let _ = pending.reply.send(result);
                    }
                }
                Ok(Some(ToWindow::Progress { id, value })) => {
                    if let Some(Some(progress)) = lock(&self.pending).get(&id).map(|p| &p.progress)
                    {
                        let _ = progress.send(value);
                    }
                }
                Ok(Some(ToWindow::Event { event })) => {
                    if let Some(events) = lock(&self.events).as_ref() {
                        if let Err(e) = events.send(event) {
                            tracing::debug!(error = %e, "page not listening");
                        }
                    }
                }
                Ok(Some(ToWindow::Show)) => {
                    if let Err(e) = crate::window::show(&app) {
                        tracing::error!(error = %e, "cannot show the window");
                    }
                }
                Ok(Some(ToWindow::Quit)) => {
                    tracing::info!("the app quits");
                    break;
                }
                Ok(None) => {
                    tracing::info!("screenpop-desktop went away");
                    break;
                }
                Err(e) => {
                    tracing::error!(error = %e, "unreadable message from the core");
                    break;
                }
            }
        }
        for (_, pending) in lock(&self.pending).drain() {
            let _ = pending.reply.send(Err(gone()));
        }
        app.exit(0);
    }
}

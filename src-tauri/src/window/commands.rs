//! The page's commands in the window process. Tauri first checks the name against the
//! window's capability (generated from the same declaration as [`Command`]); then each
//! invoke is parsed into a typed [`Command`] — a wrong argument is refused here — and, by
//! who answers it, relayed to the core or answered here: the two that carry a channel
//! (`subscribe`, `import_contacts`) keep the channel here and forward the core's events and
//! progress into it, and `close_window` is the window's own. Errors cross as `{code, message}`.

use crate::link::Link;
use screenpop_desktop::command::{Answerer, Command};
use serde_json::{json, Value};
use std::sync::Arc;
use tauri::ipc::{Channel, Invoke, InvokeBody, InvokeError};
use tauri::{Manager, Runtime, State};

type Answer = Result<Value, Value>;

/// All commands, for `Builder::invoke_handler`.
pub fn handler<R: Runtime>() -> impl Fn(Invoke<R>) -> bool + Send + Sync + 'static {
    move |invoke: Invoke<R>| {
        let args = match invoke.message.payload() {
            InvokeBody::Json(args) => args.clone(),
            InvokeBody::Raw(_) => {
                let refused = json!({"code": "invalid_input", "message": "arguments must be JSON"});
                invoke.resolver.reject(refused);
                return true;
            }
        };
        let command = match Command::parse(invoke.message.command(), args) {
            Ok(command) => command,
            Err(e) => {
                invoke
                    .resolver
                    .reject(serde_json::to_value(e).unwrap_or_default());
                return true;
            }
        };
        match (command.answerer(), &command) {
            // These need their channel (or the window): Tauri's own argument extraction.
            (_, Command::ImportContacts { .. }) | (Answerer::Link | Answerer::Window, _) => {
                own(invoke)
            }
            (Answerer::Core, _) => {
                relay(invoke, command);
                true
            }
        }
    }
}

/// The commands answered here rather than relayed.
fn own<R: Runtime>(invoke: Invoke<R>) -> bool {
    let handle: fn(Invoke<R>) -> bool =
        tauri::generate_handler![subscribe, import_contacts, close_window];
    handle(invoke)
}

/// Hands a parsed command to the core.
fn relay<R: Runtime>(invoke: Invoke<R>, command: Command) {
    let link = Arc::clone(invoke.message.webview().state::<Arc<Link>>().inner());
    invoke
        .resolver
        .respond_async(async move { link.call(command, None).await.map_err(InvokeError) });
}

/// `subscribe(events)`: the page's event channel; answers the snapshot to draw first.
#[tauri::command(rename_all = "snake_case")]
async fn subscribe(link: State<'_, Arc<Link>>, events: Channel<Value>) -> Answer {
    link.set_events(events);
    link.call(Command::Subscribe {}, None).await
}

/// `import_contacts(file_name, text, progress)`: a CSV or vCard file the agent picked.
#[tauri::command(rename_all = "snake_case")]
async fn import_contacts(
    link: State<'_, Arc<Link>>,
    file_name: String,
    text: String,
    progress: Channel<Value>,
) -> Answer {
    let command = Command::ImportContacts { file_name, text };
    link.call(command, Some(progress)).await
}

/// `close_window()`: Ctrl+W — closes like the window manager's close button: the window
/// process ends and screenpop stays in the tray.
#[tauri::command(rename_all = "snake_case")]
fn close_window<R: Runtime>(window: tauri::WebviewWindow<R>) -> Answer {
    window
        .close()
        .map(|()| Value::Null)
        .map_err(|e| json!({"code": "shell", "message": e.to_string()}))
}

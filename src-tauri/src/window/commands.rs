//! The page's commands in the window process: nearly all are relayed to the core unchanged
//! (`screenpop_desktop::handlers::is_relayed`); the two that carry a channel (`subscribe`,
//! `import_contacts`) keep it here and forward the core's events and progress into it, and
//! `close_window` is the window's own. Tauri checks each name against the window's capability
//! before any of this runs. Errors cross as `{code, message}`.

use crate::link::Link;
use screenpop_desktop::handlers::is_relayed;
use serde_json::{json, Value};
use std::sync::Arc;
use tauri::ipc::{Channel, Invoke, InvokeBody, InvokeError};
use tauri::{Manager, Runtime, State};

type Answer = Result<Value, Value>;

/// All commands, for `Builder::invoke_handler` (the names: `command_names.rs`).
pub fn handler<R: Runtime>() -> impl Fn(Invoke<R>) -> bool + Send + Sync + 'static {
    move |invoke: Invoke<R>| {
        let command = invoke.message.command();
        if is_relayed(command) && command != "import_contacts" {
            relay(invoke);
            true
        } else {
            own(invoke)
        }
    }
}

/// The commands answered here rather than relayed.
fn own<R: Runtime>(invoke: Invoke<R>) -> bool {
    let handle: fn(Invoke<R>) -> bool =
        tauri::generate_handler![subscribe, import_contacts, close_window];
    handle(invoke)
}

/// Hands a command and its arguments, as the page sent them, to the core.
fn relay<R: Runtime>(invoke: Invoke<R>) {
    let command = invoke.message.command().to_string();
    let args = match invoke.message.payload() {
        InvokeBody::Json(args) => args.clone(),
        InvokeBody::Raw(_) => {
            let refused = json!({"code": "invalid_input", "message": "arguments must be JSON"});
            return invoke.resolver.reject(refused);
        }
    };
    let link = Arc::clone(invoke.message.webview().state::<Arc<Link>>().inner());
    invoke
        .resolver
        .respond_async(async move { link.call(&command, args, None).await.map_err(InvokeError) });
}

/// `subscribe(events)`: the page's event channel; answers the snapshot to draw first.
#[tauri::command(rename_all = "snake_case")]
async fn subscribe(link: State<'_, Arc<Link>>, events: Channel<Value>) -> Answer {
    link.set_events(events);
    link.call("subscribe", json!({}), None).await
}

/// `import_contacts(file_name, text, progress)`: a CSV or vCard file the agent picked.
#[tauri::command(rename_all = "snake_case")]
async fn import_contacts(
    link: State<'_, Arc<Link>>,
    file_name: String,
    text: String,
    progress: Channel<Value>,
) -> Answer {
    let args = json!({ "file_name": file_name, "text": text });
    link.call("import_contacts", args, Some(progress)).await
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

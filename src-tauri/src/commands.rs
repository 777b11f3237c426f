//! The webview's commands: each parses its arguments, makes one call into the core, and maps
//! the error to `{code, message}`. Argument names are snake_case on both sides.
//!
//! Capabilities (`src-tauri/capabilities/main-window.json`) grant exactly these to the main
//! window; `build.rs` lists them so nothing else can be invoked.

use crate::error::CommandError;
use crate::events::UiEvent;
use crate::shell::Shell;
use crate::status::Status;
use screenpop::config::Settings;
use screenpop::directory::chain::LookupOutcome;
use screenpop::directory::import::batch::{self, Format, Progress, Report};
use screenpop::directory::{Customer, NewContact};
use screenpop::engine::CallView;
use screenpop::phone::Normalised;
use screenpop::present::opener;
use screenpop::store::calls::{CallLog, CallRecord, LogQuery};
use screenpop::store::contacts::Contacts;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tauri::ipc::Channel;
use tauri::{AppHandle, Runtime, State};
use tauri_plugin_autostart::ManagerExt;

type Answer<T> = Result<T, CommandError>;

/// All commands, for `Builder::invoke_handler` (keep `build.rs`'s list in step).
pub fn handler<R: Runtime>() -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
    tauri::generate_handler![
        subscribe,
        call_log,
        assign_customer,
        save_contact,
        import_contacts,
        settings_read,
        settings_write,
        test_lookup,
        secret_status,
        secret_set,
        secret_delete,
        open_url,
        set_switch,
        autostart_get,
        autostart_set,
        dial,
        answer,
        hangup,
        transfer,
        close_window,
    ]
}

/// What a freshly loaded page needs to draw itself.
#[derive(Debug, Serialize)]
pub struct Snapshot {
    pub status: Status,
    pub calls: Vec<Arc<CallView>>,
    /// Events that arrived while no page listened (an intent, "show settings").
    pub pending: Vec<UiEvent>,
}

/// `subscribe(events)`: the page's event channel; returns the current state.
#[tauri::command(rename_all = "snake_case")]
pub fn subscribe(shell: State<'_, Shell>, events: Channel<UiEvent>) -> Snapshot {
    let pending = shell.delivery.attach(events);
    let calls = shell
        .core
        .app()
        .map(|a| a.engine.live_calls())
        .unwrap_or_default();
    Snapshot {
        status: shell.core.status(),
        calls,
        pending,
    }
}

/// One page of the call log.
#[derive(Debug, Deserialize)]
pub struct Page {
    #[serde(default)]
    pub missed_only: bool,
    #[serde(default)]
    pub search: Option<String>,
    pub limit: i64,
    #[serde(default)]
    pub offset: i64,
}

/// `call_log(page)`: newest first, searched and filtered in the core (FTS5).
#[tauri::command(rename_all = "snake_case")]
pub async fn call_log(shell: State<'_, Shell>, page: Page) -> Answer<Vec<CallRecord>> {
    let query = LogQuery {
        missed_only: page.missed_only,
        search: page.search,
        limit: page.limit.clamp(1, 500),
        offset: page.offset.max(0),
    };
    Ok(CallLog::new(shell.core.app()?.store.clone())
        .list(&query)
        .await?)
}

/// `assign_customer(row, customer)`: the agent picked one of several matches.
#[tauri::command(rename_all = "snake_case")]
pub async fn assign_customer(
    shell: State<'_, Shell>,
    row: i64,
    customer: Customer,
) -> Answer<bool> {
    Ok(CallLog::new(shell.core.app()?.store.clone())
        .assign(row, &customer)
        .await?)
}

/// `save_contact(contact)`: the new-contact form; returns the contact's id.
#[tauri::command(rename_all = "snake_case")]
pub async fn save_contact(shell: State<'_, Shell>, contact: NewContact) -> Answer<String> {
    contact.validate().map_err(CommandError::invalid)?;
    let app = shell.core.app()?;
    let ids = Contacts::new(app.store.clone())
        .upsert_many(&app.rules, &[contact])
        .await?;
    Ok(ids.into_iter().next().unwrap_or_default())
}

/// `import_contacts(file_name, text, progress)`: a CSV or vCard file the agent picked.
#[tauri::command(rename_all = "snake_case")]
pub async fn import_contacts(
    shell: State<'_, Shell>,
    file_name: String,
    text: String,
    progress: Channel<Progress>,
) -> Answer<Report> {
    let app = shell.core.app()?;
    let mut report = |p: Progress| drop(progress.send(p));
    Ok(batch::import(
        &Contacts::new(app.store.clone()),
        &app.rules,
        text.as_bytes(),
        Format::from_file_name(&file_name),
        &mut report,
    )
    .await?)
}

/// The settings form's content.
#[derive(Debug, Serialize)]
pub struct SettingsFile {
    pub path: String,
    pub settings: Settings,
}

/// `settings_read()`: the config file as the core reads it (defaults filled in).
#[tauri::command(rename_all = "snake_case")]
pub fn settings_read(shell: State<'_, Shell>) -> Answer<SettingsFile> {
    let paths = shell.core.paths();
    Ok(SettingsFile {
        path: paths.config_file.display().to_string(),
        settings: Settings::load(paths)?,
    })
}

/// `settings_write(settings)`: validates, writes the file, restarts the core with it.
#[tauri::command(rename_all = "snake_case")]
pub async fn settings_write(shell: State<'_, Shell>, settings: Settings) -> Answer<Status> {
    settings.save(&shell.core.paths().config_file)?;
    Ok(shell
        .core
        .restart(Settings::load(shell.core.paths())?)
        .await)
}

/// "Test lookup": the chain's answer and each directory's step.
#[derive(Debug, Serialize)]
pub struct Explained {
    pub number: Normalised,
    pub outcome: Arc<LookupOutcome>,
}

/// `test_lookup(number)`.
#[tauri::command(rename_all = "snake_case")]
pub async fn test_lookup(shell: State<'_, Shell>, number: String) -> Answer<Explained> {
    let (number, outcome) = shell.core.app()?.lookup(&number).await.ok_or_else(|| {
        CommandError::invalid(format!("{number:?} is not a number that can be looked up"))
    })?;
    Ok(Explained { number, outcome })
}

/// `secret_status(names)`: which of these keyring entries are set (values never leave).
#[tauri::command(rename_all = "snake_case")]
pub fn secret_status(shell: State<'_, Shell>, names: Vec<String>) -> Answer<Vec<(String, bool)>> {
    names
        .into_iter()
        .map(|n| Ok((n.clone(), shell.core.secrets().get(&n)?.is_some())))
        .collect()
}

/// `secret_set(name, value)`: straight into the keyring.
#[tauri::command(rename_all = "snake_case")]
pub fn secret_set(shell: State<'_, Shell>, name: String, value: String) -> Answer<()> {
    Ok(shell.core.secrets().set(&name, &value)?)
}

/// `secret_delete(name)`.
#[tauri::command(rename_all = "snake_case")]
pub fn secret_delete(shell: State<'_, Shell>, name: String) -> Answer<bool> {
    Ok(shell.core.secrets().delete(&name)?)
}

/// `open_url(url)`: a profile or create-contact page; http/https only (the core's opener).
#[tauri::command(rename_all = "snake_case")]
pub fn open_url(url: String) -> Answer<()> {
    Ok(opener::open_url(&url)?)
}

/// `set_switch(name, on)`: `do_not_disturb` or `pause_auto_open`.
#[tauri::command(rename_all = "snake_case")]
pub fn set_switch(shell: State<'_, Shell>, name: String, on: bool) -> Answer<Status> {
    shell.core.set_switch(&name, on)
}

/// `autostart_get()`: whether screenpop starts (in the tray) with the session.
#[tauri::command(rename_all = "snake_case")]
pub fn autostart_get<R: Runtime>(app: AppHandle<R>) -> Answer<bool> {
    app.autolaunch()
        .is_enabled()
        .map_err(|e| CommandError::new("autostart", e.to_string()))
}

/// `autostart_set(on)`.
#[tauri::command(rename_all = "snake_case")]
pub fn autostart_set<R: Runtime>(app: AppHandle<R>, on: bool) -> Answer<bool> {
    let launcher = app.autolaunch();
    if on {
        launcher.enable()
    } else {
        launcher.disable()
    }
    .map_err(|e| CommandError::new("autostart", e.to_string()))?;
    Ok(on)
}

/// `dial(number)`: call back through the control source.
#[tauri::command(rename_all = "snake_case")]
pub async fn dial(shell: State<'_, Shell>, number: String) -> Answer<()> {
    Ok(shell.core.control()?.dial(&number).await?)
}

/// `answer(call_id)`.
#[tauri::command(rename_all = "snake_case")]
pub async fn answer(shell: State<'_, Shell>, call_id: Option<String>) -> Answer<()> {
    Ok(shell.core.control()?.answer(call_id.as_deref()).await?)
}

/// `hangup(call_id)`.
#[tauri::command(rename_all = "snake_case")]
pub async fn hangup(shell: State<'_, Shell>, call_id: Option<String>) -> Answer<()> {
    Ok(shell.core.control()?.hangup(call_id.as_deref()).await?)
}

/// `transfer(call_id, target)`: e.g. "Transfer to manager".
#[tauri::command(rename_all = "snake_case")]
pub async fn transfer(
    shell: State<'_, Shell>,
    call_id: Option<String>,
    target: String,
) -> Answer<()> {
    Ok(shell
        .core
        .control()?
        .transfer(call_id.as_deref(), &target)
        .await?)
}

/// `close_window()`: Ctrl+W — closes like the window manager's close button: the webview is
/// destroyed and screenpop stays in the tray.
#[tauri::command(rename_all = "snake_case")]
pub fn close_window<R: Runtime>(window: tauri::WebviewWindow<R>) -> Answer<()> {
    Ok(window.close()?)
}

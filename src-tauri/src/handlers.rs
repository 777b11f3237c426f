//! The page's commands, carried out in the core process: each takes its arguments as the page
//! sent them (JSON, snake_case names), makes one call into the core, and answers JSON or a
//! `{code, message}` [`CommandError`]. The window process only relays them (see
//! `window/commands.rs`), so everything here is tested without a window.
//!
//! `subscribe` is the link server's (it attaches the window's event stream); the window's own
//! `close_window` never reaches the core. Capabilities (`src-tauri/capabilities/main-window.json`)
//! grant the page exactly the names in `build.rs`.

use crate::autostart;
use crate::command_names::{COMMANDS, WINDOW_OWN};
use crate::core::Core;
use crate::error::CommandError;
use screenpop::config::Settings;
use screenpop::directory::chain::LookupOutcome;
use screenpop::directory::import::batch::{self, Format, Progress};
use screenpop::directory::{Customer, NewContact};
use screenpop::phone::Normalised;
use screenpop::present::opener;
use screenpop::store::calls::{CallLog, LogQuery};
use screenpop::store::contacts::Contacts;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::Arc;

type Answer = Result<Value, CommandError>;

/// Whether the core answers `command` (all the page's commands but `subscribe`, which the
/// link server answers, and the window's own).
pub fn is_relayed(command: &str) -> bool {
    command != "subscribe" && COMMANDS.contains(&command) && !WINDOW_OWN.contains(&command)
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

/// The settings form's content.
#[derive(Debug, Serialize)]
pub struct SettingsFile {
    pub path: String,
    pub settings: Settings,
}

/// "Test lookup": the chain's answer and each directory's step.
#[derive(Debug, Serialize)]
pub struct Explained {
    pub number: Normalised,
    pub outcome: Arc<LookupOutcome>,
}

/// Argument `name` of `args`, as a `T` (a missing one reads as `null`, so `Option`s may be
/// left out).
fn arg<T: DeserializeOwned>(args: &Value, name: &str) -> Result<T, CommandError> {
    let value = args.get(name).cloned().unwrap_or(Value::Null);
    serde_json::from_value(value)
        .map_err(|e| CommandError::invalid(format!("argument `{name}`: {e}")))
}

fn json<T: Serialize>(value: T) -> Answer {
    serde_json::to_value(value).map_err(|e| CommandError::new("internal", e.to_string()))
}

/// Carries out `command` with `args`; `progress` hears a long command's reports.
pub async fn handle(
    core: &Core,
    command: &str,
    args: &Value,
    progress: &(dyn Fn(Value) + Send + Sync),
) -> Answer {
    match command {
        "call_log" => {
            let page: Page = arg(args, "page")?;
            let query = LogQuery {
                missed_only: page.missed_only,
                search: page.search,
                limit: page.limit.clamp(1, 500),
                offset: page.offset.max(0),
            };
            json(CallLog::new(core.app()?.store.clone()).list(&query).await?)
        }
        "assign_customer" => {
            let (row, customer): (i64, Customer) = (arg(args, "row")?, arg(args, "customer")?);
            json(
                CallLog::new(core.app()?.store.clone())
                    .assign(row, &customer)
                    .await?,
            )
        }
        "save_contact" => {
            let contact: NewContact = arg(args, "contact")?;
            contact.validate().map_err(CommandError::invalid)?;
            let app = core.app()?;
            let ids = Contacts::new(app.store.clone())
                .upsert_many(&app.rules, &[contact])
                .await?;
            json(ids.into_iter().next().unwrap_or_default())
        }
        "import_contacts" => {
            let (file_name, text): (String, String) = (arg(args, "file_name")?, arg(args, "text")?);
            let app = core.app()?;
            let mut report = |p: Progress| {
                if let Ok(p) = serde_json::to_value(p) {
                    progress(p)
                }
            };
            let contacts = Contacts::new(app.store.clone());
            let format = Format::from_file_name(&file_name);
            json(batch::import(&contacts, &app.rules, text.as_bytes(), format, &mut report).await?)
        }
        "settings_read" => {
            let paths = core.paths();
            json(SettingsFile {
                path: paths.config_file.display().to_string(),
                settings: Settings::load(paths)?,
            })
        }
        "settings_write" => {
            let settings: Settings = arg(args, "settings")?;
            settings.save(&core.paths().config_file)?;
            json(core.restart(Settings::load(core.paths())?).await)
        }
        "test_lookup" => {
            let number: String = arg(args, "number")?;
            let (number, outcome) = core.app()?.lookup(&number).await.ok_or_else(|| {
                CommandError::invalid(format!("{number:?} is not a number that can be looked up"))
            })?;
            json(Explained { number, outcome })
        }
        "secret_status" => {
            // Which of these keyring entries are set; values never leave the keyring.
            let names: Vec<String> = arg(args, "names")?;
            let set = names
                .into_iter()
                .map(|n| Ok((n.clone(), core.secrets().get(&n)?.is_some())))
                .collect::<Result<Vec<_>, CommandError>>()?;
            json(set)
        }
        "secret_set" => {
            let (name, value): (String, String) = (arg(args, "name")?, arg(args, "value")?);
            json(core.secrets().set(&name, &value)?)
        }
        "secret_delete" => json(core.secrets().delete(&arg::<String>(args, "name")?)?),
        // A profile or create-contact page; http/https only (the core's opener).
        "open_url" => json(opener::open_url(&arg::<String>(args, "url")?)?),
        "set_switch" => json(core.set_switch(&arg::<String>(args, "name")?, arg(args, "on")?)?),
        "autostart_get" => json(autostart::is_enabled()?),
        "autostart_set" => json(autostart::set(arg(args, "on")?)?),
        "dial" => json(
            core.control()?
                .dial(&arg::<String>(args, "number")?)
                .await?,
        ),
        "answer" => {
            let call_id: Option<String> = arg(args, "call_id")?;
            json(core.control()?.answer(call_id.as_deref()).await?)
        }
        "hangup" => {
            let call_id: Option<String> = arg(args, "call_id")?;
            json(core.control()?.hangup(call_id.as_deref()).await?)
        }
        "transfer" => {
            let call_id: Option<String> = arg(args, "call_id")?;
            let target: String = arg(args, "target")?;
            json(
                core.control()?
                    .transfer(call_id.as_deref(), &target)
                    .await?,
            )
        }
        other => Err(CommandError::new(
            "unknown_command",
            format!("no command named {other:?}"),
        )),
    }
}

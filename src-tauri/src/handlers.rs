//! The page's commands, carried out in the core process: one exhaustive `match` over the
//! typed [`Command`] (a new command is one variant in `command_names.rs` and one arm here,
//! checked by the compiler), each arm one call into the core, answering JSON or a
//! `{code, message}` [`CommandError`]. The window process only parses and relays them (see
//! `window/commands.rs`), so everything here is tested without a window.
//!
//! `subscribe` is the link server's (it attaches the window's event stream) and
//! `close_window` the window's own: both are answered before they could reach this match.

use crate::autostart;
use crate::command::Command;
use crate::core::Core;
use crate::error::CommandError;
use crate::export;
use crate::trial;
use screenpop::check::{self, FieldError};
use screenpop::config::Settings;
use screenpop::directory::chain::LookupOutcome;
use screenpop::directory::import::batch::{self, Format, Progress};
use screenpop::phone::Normalised;
use screenpop::present::opener;
use screenpop::secrets;
use screenpop::store::calls::{CallLog, LogQuery};
use screenpop::store::contacts::Contacts;
use serde::Serialize;
use serde_json::Value;
use std::sync::Arc;

type Answer = Result<Value, CommandError>;

/// The settings form's content.
#[derive(Debug, Serialize)]
pub struct SettingsFile {
    pub path: String,
    pub settings: Settings,
    /// What is wrong with the file as it stands (each with its field path), if anything.
    pub problems: Vec<FieldError>,
}

/// "Test lookup": the chain's answer and each directory's step.
#[derive(Debug, Serialize)]
pub struct Explained {
    pub number: Normalised,
    pub outcome: Arc<LookupOutcome>,
}

fn json<T: Serialize>(value: T) -> Answer {
    serde_json::to_value(value).map_err(|e| CommandError::new("internal", e.to_string()))
}

/// The form's settings, or every field that is wrong (`invalid_settings`, the list as JSON
/// in the message's place: `{code, message, fields}`).
fn checked(settings: Value) -> Result<Settings, CommandError> {
    check::settings_from_json(settings).map_err(CommandError::fields)
}

/// Carries out `command`; `progress` hears a long command's reports.
pub async fn handle(
    core: &Core,
    command: Command,
    progress: &(dyn Fn(Value) + Send + Sync),
) -> Answer {
    match command {
        Command::CallLog { page } => {
            let query = LogQuery {
                missed_only: page.missed_only,
                search: page.search,
                limit: page.limit.clamp(1, 500),
                offset: page.offset.max(0),
            };
            json(CallLog::new(core.app()?.store.clone()).list(&query).await?)
        }
        Command::AssignCustomer { row, customer } => json(
            CallLog::new(core.app()?.store.clone())
                .assign(row, &customer)
                .await?,
        ),
        Command::SaveContact { contact } => {
            contact.validate().map_err(CommandError::invalid)?;
            let app = core.app()?;
            let ids = Contacts::new(app.store.clone())
                .upsert_many(&app.rules, &[contact])
                .await?;
            json(ids.into_iter().next().unwrap_or_default())
        }
        Command::ImportContacts { file_name, text } => {
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
        Command::SettingsRead {} => {
            let paths = core.paths();
            let settings = Settings::load(paths)?;
            json(SettingsFile {
                path: paths.config_file.display().to_string(),
                problems: check::problems(&settings),
                settings,
            })
        }
        Command::SettingsWrite { settings } => {
            let settings = checked(settings)?;
            settings.save(&core.paths().config_file)?;
            json(core.restart(Settings::load(core.paths())?).await)
        }
        Command::ConfigCheck { settings } => json(
            check::settings_from_json(settings)
                .err()
                .unwrap_or_default(),
        ),
        Command::TestLookup { number } => {
            let (number, outcome) = core.app()?.lookup(&number).await.ok_or_else(|| {
                CommandError::invalid(format!("{number:?} is not a number that can be looked up"))
            })?;
            json(Explained { number, outcome })
        }
        Command::SecretStatus { names } => {
            // Which of these keyring entries are set; values never leave the keyring.
            // The keyring is a D-Bus round trip: off the async workers, like every secret.
            let mut set = Vec::with_capacity(names.len());
            for n in names {
                let known = secrets::read(core.secrets(), &n).await?.is_some();
                set.push((n, known));
            }
            json(set)
        }
        Command::SecretSet { name, value } => {
            json(secrets::write(core.secrets(), &name, &value.0).await?)
        }
        Command::SecretDelete { name } => json(secrets::remove(core.secrets(), &name).await?),
        // A profile or create-contact page; http/https only (the core's opener).
        Command::OpenUrl { url } => json(opener::open_url(&url)?),
        Command::SetSwitch { name, on } => json(core.set_switch(name, on)?),
        Command::AutostartGet {} => json(autostart::is_enabled()?),
        Command::AutostartSet { on } => json(autostart::set(on)?),
        Command::Dial { number } => json(core.control()?.dial(&number).await?),
        Command::Answer { call_id } => json(core.control()?.answer(call_id.as_deref()).await?),
        Command::Hangup { call_id } => json(core.control()?.hangup(call_id.as_deref()).await?),
        Command::Transfer { call_id, target } => json(
            core.control()?
                .transfer(call_id.as_deref(), &target)
                .await?,
        ),
        Command::TestConnection { source } => json(trial::test_connection(core, source).await?),
        Command::SendTestCall { number } => json(trial::send_test_call(core, &number).await?),
        Command::LoadDemoContacts {} => json(trial::load_demo_contacts(core).await?),
        Command::ContactsPage {
            search,
            limit,
            offset,
        } => {
            let contacts = Contacts::new(core.app()?.store.clone());
            let search = search.unwrap_or_default();
            let (rows, total) = contacts
                .page(&search, limit.clamp(1, 500), offset.max(0))
                .await?;
            json(serde_json::json!({ "contacts": rows, "total": total }))
        }
        Command::DeleteContact { id } => {
            json(Contacts::new(core.app()?.store.clone()).delete(&id).await?)
        }
        Command::ExportContacts { format } => {
            let folder = export::folder().ok_or_else(|| {
                CommandError::new("export", "no Downloads or home folder to export to")
            })?;
            let contacts = Contacts::new(core.app()?.store.clone());
            json(export::export(&contacts, format, &folder).await?)
        }
        Command::TestRules { number, settings } => {
            json(trial::test_rules(core, &number, settings).await?)
        }
        Command::Connect { directory } => json(trial::connect(core, &directory).await?),
        Command::SetupNeeded {} => {
            let no_file = !core.paths().config_file.exists();
            let count = Contacts::new(core.app()?.store.clone()).count().await?;
            json(no_file && count == 0)
        }
        Command::Subscribe {} | Command::CloseWindow {} => Err(CommandError::new(
            "misrouted",
            format!("{} is not carried out by the core", command.name()),
        )),
    }
}

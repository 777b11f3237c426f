//! The page's commands, declared ONCE, as a list handed to a macro: [`with_commands!`]`(m)`
//! expands `m! { Variant "name" { field: Type, … }, … }`. Two macros consume it:
//!
//! - the crate's `command.rs` turns it into the serde-tagged [`Command`](crate::command::Command)
//!   enum that the link carries and `handlers.rs` matches exhaustively;
//! - `build.rs` (which includes this file by path, without the crate's types) turns it into
//!   the names Tauri's app manifest declares and the window's capability grants.
//!
//! Adding a command: one line here (the compiler then asks for its arm in `handlers.rs`).
//! The types are only named here; `command.rs` imports them.

/// Hands the command list to the macro `$then`.
#[macro_export]
macro_rules! with_commands {
    ($then:ident) => {
        $then! {
            /// Attaches the page's event stream (the link server answers: the snapshot to draw).
            Subscribe "subscribe" {},
            /// One page of the call log.
            CallLog "call_log" { page: Page },
            /// Gives a logged call its customer (the agent picked one).
            AssignCustomer "assign_customer" { row: i64, customer: Customer },
            /// Saves a local contact; answers its id.
            SaveContact "save_contact" { contact: NewContact },
            /// Imports a CSV or vCard file's text, with progress.
            ImportContacts "import_contacts" { file_name: String, text: String },
            /// The config file as the settings form shows it (plus locked keys).
            SettingsRead "settings_read" {},
            /// Checks the form's settings and writes them only if every field is valid.
            SettingsWrite "settings_write" { settings: Value },
            /// Every problem of the form's settings, each with its field path (nothing written).
            ConfigCheck "config_check" { settings: Value },
            /// Looks a number up through the chain with the explain steps.
            TestLookup "test_lookup" { number: String },
            /// Which keyring entries are set (values never leave the keyring).
            SecretStatus "secret_status" { names: Vec<String> },
            /// Stores a secret in the keyring.
            SecretSet "secret_set" { name: String, value: SecretValue },
            /// Deletes a keyring entry.
            SecretDelete "secret_delete" { name: String },
            /// Opens an http/https page in the browser.
            OpenUrl "open_url" { url: String },
            /// Flips a runtime switch; answers the status.
            SetSwitch "set_switch" { name: Switch, on: bool },
            /// Whether the app starts with the session.
            AutostartGet "autostart_get" {},
            /// Starts the app with the session, or not.
            AutostartSet "autostart_set" { on: bool },
            /// Places a call through the call-control source.
            Dial "dial" { number: String },
            /// Answers the ringing call (or `call_id`).
            Answer "answer" { call_id: Option<String> },
            /// Hangs up the current call (or `call_id`).
            Hangup "hangup" { call_id: Option<String> },
            /// Transfers the current call (or `call_id`) to `target`.
            Transfer "transfer" { call_id: Option<String>, target: String },
            /// "Test connection": one `[[source]]` entry's real connect and login (not saved).
            TestConnection "test_connection" { source: Value },
            /// Rings this app from `number` over its own webhook: the real notification pops.
            SendTestCall "send_test_call" { number: String },
            /// Loads the demo contacts into the local directory.
            LoadDemoContacts "load_demo_contacts" {},
            /// One page of the local contacts matching `search`, and how many match in all.
            ContactsPage "contacts_page" { search: Option<String>, limit: i64, offset: i64 },
            /// Deletes a local contact.
            DeleteContact "delete_contact" { id: String },
            /// Writes every local contact as CSV or vCard to a new file in Downloads.
            ExportContacts "export_contacts" { format: Format },
            /// "Test rules": which of the form's rules fire for a call from `number`, and why.
            TestRules "test_rules" { number: String, settings: Value },
            /// **Connect**: the OAuth sign-in of a saved `[[directory]]` (tokens to the keyring).
            Connect "connect" { directory: String },
            /// Whether this desk still needs first-run setup (no config file, no contacts).
            SetupNeeded "setup_needed" {},
            /// Closes the window to the tray (the window process answers).
            CloseWindow "close_window" {},
        }
    };
}

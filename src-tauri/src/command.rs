//! The page's commands as one serde-tagged enum, [`Command`], expanded from the declaration in
//! [`command_names`](crate::command_names) (which `build.rs` also reads for the ACL names):
//! the window process parses what the page invoked into a `Command`, the link carries it,
//! and `handlers::handle` matches it exhaustively. A name the page may not call, or arguments
//! of the wrong shape, are refused here with a `{code, message}` before anything runs.

use crate::core::Switch;
use crate::error::CommandError;
use screenpop::directory::import::batch::Format;
use screenpop::directory::{Customer, NewContact};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// One page of the call log.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Page {
    #[serde(default)]
    pub missed_only: bool,
    #[serde(default)]
    pub search: Option<String>,
    pub limit: i64,
    #[serde(default)]
    pub offset: i64,
}

/// A secret on its way to the keyring: never printed, not even in a debug log.
#[derive(Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SecretValue(pub String);

impl std::fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretValue([hidden])")
    }
}

/// Who carries a command out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answerer {
    /// The core process's link server (it holds the page's event stream).
    Link,
    /// The core (`handlers::handle`).
    Core,
    /// The window process itself.
    Window,
}

macro_rules! command_enum {
    ($( $(#[$m:meta])* $variant:ident $name:literal { $( $field:ident : $ty:ty ),* $(,)? } ),* $(,)?) => {
        /// A command of the page, with its arguments (JSON: `{"command": name, "args": {…}}`).
        #[derive(Debug, Clone, Serialize, Deserialize)]
        #[serde(tag = "command", content = "args")]
        pub enum Command {
            $( $(#[$m])* #[serde(rename = $name)] $variant { $( $field: $ty ),* }, )*
        }

        impl Command {
            /// Every command's name, as the page invokes it and the capability grants it.
            pub const NAMES: &'static [&'static str] = &[$($name),*];

            /// This command's name.
            pub fn name(&self) -> &'static str {
                match self {
                    $( Command::$variant { .. } => $name, )*
                }
            }
        }
    };
}

crate::with_commands!(command_enum);

impl Command {
    /// The command `name` with the arguments the page sent; an unknown name is
    /// `unknown_command`, arguments of the wrong shape `invalid_input` (naming the argument).
    pub fn parse(name: &str, args: Value) -> Result<Command, CommandError> {
        if !Self::NAMES.contains(&name) {
            return Err(CommandError::new(
                "unknown_command",
                format!("no command named {name:?}"),
            ));
        }
        // A command without arguments may come with none at all.
        let args = if args.is_null() { json!({}) } else { args };
        serde_json::from_value(json!({ "command": name, "args": args }))
            .map_err(|e| CommandError::invalid(format!("{name}: {e}")))
    }

    /// Where this command is carried out.
    pub fn answerer(&self) -> Answerer {
        match self {
            Command::Subscribe {} => Answerer::Link,
            Command::CloseWindow {} => Answerer::Window,
            _ => Answerer::Core,
        }
    }
}

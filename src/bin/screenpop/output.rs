//! Output helpers shared by the CLI verbs: exit-code classification, tables, times.

use chrono::{DateTime, Local, Utc};
use std::fmt;

/// Marks an error as the user's input or config (exit 2).
#[derive(Debug)]
pub struct Usage(pub String);

impl fmt::Display for Usage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Usage {}

/// Wraps any displayable problem as a usage error.
pub fn usage(e: impl fmt::Display) -> anyhow::Error {
    anyhow::Error::new(Usage(e.to_string()))
}

/// Marks "the daemon is not reachable" / "nothing found" (exit 1).
#[derive(Debug)]
pub struct Unavailable(pub String);

impl fmt::Display for Unavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Unavailable {}

/// 2 for usage/config errors, 1 for everything else.
pub fn exit_code_of(e: &anyhow::Error) -> u8 {
    if e.downcast_ref::<Usage>().is_some() {
        2
    } else {
        1
    }
}

/// A local, human time: "14:03" today, "Mon 14:03" this week, else the date.
pub fn when(t: DateTime<Utc>) -> String {
    let local = t.with_timezone(&Local);
    let age = Utc::now() - t;
    if age.num_hours() < 20 && local.date_naive() == Local::now().date_naive() {
        local.format("%H:%M").to_string()
    } else if age.num_days() < 6 {
        local.format("%a %H:%M").to_string()
    } else {
        local.format("%Y-%m-%d %H:%M").to_string()
    }
}

/// "1:05" style duration.
pub fn duration(seconds: i64) -> String {
    if seconds >= 3600 {
        format!(
            "{}:{:02}:{:02}",
            seconds / 3600,
            seconds % 3600 / 60,
            seconds % 60
        )
    } else {
        format!("{}:{:02}", seconds / 60, seconds % 60)
    }
}

/// Prints a JSON document to stdout.
pub fn print_json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

//! The one error type the importers return: things that stop an import as a whole.
//!
//! A bad row or card is never an [`ImportError`]; it is a
//! [`RowProblem`](super::RowProblem) and the import goes on. Only a file that cannot be read
//! (or an export that cannot be written), or a CSV file whose header does not say where the
//! names and phone numbers are, ends here.

use thiserror::Error;

/// Why an import (or export) could not run at all.
#[derive(Debug, Error)]
pub enum ImportError {
    /// The CSV file has no header row (it is empty, or holds only blank lines).
    #[error(
        "the CSV file has no header row; expected a first line such as \
         `id,name,company,phone,vip,note,url`"
    )]
    NoHeader,
    /// The CSV header lacks a required column.
    #[error(
        "the CSV header has no {} column (found: {}); a phone column may also be headed \
         `phones`, `number` or `tel`",
        backticked(missing, " and no "),
        if found.is_empty() { "no columns".to_string() } else { backticked(found, ", ") }
    )]
    MissingColumns {
        /// The required columns that were not found (`name`, `phone`).
        missing: Vec<String>,
        /// The header cells as they appear in the file.
        found: Vec<String>,
    },
    /// Reading the file, or writing an export, failed.
    #[error("could not read or write the contacts file: {0}")]
    Io(#[from] std::io::Error),
}

fn backticked(items: &[String], sep: &str) -> String {
    let quoted: Vec<String> = items.iter().map(|i| format!("`{i}`")).collect();
    quoted.join(sep)
}

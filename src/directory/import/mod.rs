//! Contact importers: CSV and vCard files → [`NewContact`]s, with per-row problems reported.
//!
//! Pure parsing only: the caller writes the good rows to the store. A bad row never stops the
//! import; it becomes a [`RowProblem`] with the line it started on.

pub mod batch;
pub mod csv;
pub mod error;
pub mod vcard;

pub use error::ImportError;

use crate::directory::customer::NewContact;

/// A row that could not be imported, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    /// 1-based line in the file where the row (or vCard) starts.
    pub line: u64,
    pub reason: String,
    /// False when the row was still imported, only without the part named in `reason`.
    pub skipped: bool,
}

/// What an import produced: good contacts plus the rows it skipped.
#[derive(Debug, Default)]
pub struct Parsed {
    pub contacts: Vec<NewContact>,
    pub problems: Vec<RowProblem>,
}

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

/// Longest note an imported contact keeps (characters); a longer one is dropped.
pub const MAX_NOTE: usize = 4000;
/// Longest company or id an imported contact keeps (characters).
pub const MAX_SHORT: usize = 300;

/// Drops the optional fields of `contact` that cannot be kept — a profile link the opener
/// would refuse, an over-long note, company or id — and says, per field, what was dropped.
/// The contact itself is always kept: only a missing name or phone skips a row.
pub fn drop_bad_fields(contact: &mut NewContact) -> Vec<String> {
    let mut warnings = Vec::new();
    if let Some(url) = contact.url.take() {
        if csv::is_web_url(&url) && crate::link::check(&url).is_ok() {
            contact.url = Some(url);
        } else {
            warnings.push(format!(
                "field `url`: `{}` is not an http(s) link (only http and https links are opened); dropped, contact kept",
                csv::preview(&url)
            ));
        }
    }
    let mut too_long = |field: &str, value: &mut Option<String>, max: usize| {
        if value.as_ref().is_some_and(|v| v.chars().count() > max) {
            *value = None;
            warnings.push(format!(
                "field `{field}`: longer than {max} characters; dropped, contact kept"
            ));
        }
    };
    too_long("note", &mut contact.note, MAX_NOTE);
    too_long("company", &mut contact.company, MAX_SHORT);
    too_long("id", &mut contact.id, MAX_SHORT);
    warnings
}

/// A contact a CRM (or any directory) answered with, made safe to show the same way an
/// import is: bad optional fields dropped with a warning naming `directory` and the field,
/// the contact kept.
pub fn keep_customer(directory: &str, customer: &mut crate::model::Customer) {
    let mut contact = NewContact {
        id: None,
        name: String::new(),
        company: customer.company.take(),
        phones: Vec::new(),
        vip: customer.vip,
        note: customer.note.take(),
        url: customer.url.take(),
    };
    for warning in drop_bad_fields(&mut contact) {
        tracing::warn!(directory, customer_id = %customer.id, "{warning}");
    }
    customer.company = contact.company;
    customer.note = contact.note;
    customer.url = contact.url;
}

//! An import from start to finish: bytes of a CSV or vCard file → parsed contacts → the
//! local directory, in chunks, with progress for a bar (the desktop app's import dialog);
//! and its way back, [`export`], which writes what an import reads (the CLI's and the
//! contacts page's export).
//!
//! Parsing stays in [`super::csv`] / [`super::vcard`]; this only picks the format, writes the
//! good rows and counts. Row problems are returned, never fatal.

use super::{ImportError, Parsed, RowProblem};
use crate::phone::PhoneRules;
use crate::store::contacts::Contacts;
use crate::store::StoreError;
use serde::{Deserialize, Serialize};

/// Contacts are written in transactions of this many.
const CHUNK: usize = 500;

/// Which parser reads the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Csv,
    Vcard,
}

impl Format {
    /// The file extension an export in this format gets.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Vcard => "vcf",
        }
    }

    /// Guesses from a file name: `.vcf`/`.vcard` are vCards, everything else CSV.
    pub fn from_file_name(name: &str) -> Format {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".vcf") || lower.ends_with(".vcard") {
            Format::Vcard
        } else {
            Format::Csv
        }
    }
}

/// Where an import stands, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "phase")]
pub enum Progress {
    /// Parsing: bytes read of the file's total.
    Reading { done: u64, total: u64 },
    /// Storing: contacts written of those parsed.
    Writing { done: u64, total: u64 },
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub imported: usize,
    pub skipped: Vec<Skipped>,
}

/// A row left out (or imported with a part dropped), with the line it started on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Skipped {
    pub line: u64,
    pub reason: String,
    /// False when the row was imported, only without the part named in `reason`.
    pub skipped: bool,
}

/// Why an import did not finish.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    #[error(transparent)]
    File(#[from] ImportError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Parses `data` as `format` and writes the contacts into `contacts`, reporting progress.
pub async fn import(
    contacts: &Contacts,
    rules: &PhoneRules,
    data: &[u8],
    format: Format,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<Report, BatchError> {
    let total = data.len() as u64;
    let mut reading = |done: u64| progress(Progress::Reading { done, total });
    let parsed: Parsed = match format {
        Format::Csv => super::csv::parse(data, &mut reading)?,
        Format::Vcard => super::vcard::parse(data, &mut reading)?,
    };
    let total = parsed.contacts.len() as u64;
    let mut done = 0u64;
    progress(Progress::Writing { done, total });
    for chunk in parsed.contacts.chunks(CHUNK) {
        contacts.upsert_many(rules, chunk).await?;
        done += chunk.len() as u64;
        progress(Progress::Writing { done, total });
    }
    Ok(Report {
        imported: parsed.contacts.len(),
        skipped: parsed
            .problems
            .into_iter()
            .map(
                |RowProblem {
                     line,
                     reason,
                     skipped,
                 }| Skipped {
                    line,
                    reason,
                    skipped,
                },
            )
            .collect(),
    })
}

/// Writes `customers` as `format` — the shape [`import`] reads back into the same contacts.
pub fn export<W: std::io::Write>(
    customers: &[crate::model::Customer],
    format: Format,
    w: W,
) -> Result<(), ImportError> {
    match format {
        Format::Csv => super::csv::write(w, customers),
        Format::Vcard => Ok(super::vcard::write(w, customers)?),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    #[tokio::test]
    async fn csv_bytes_land_in_the_directory_with_progress_and_problems() {
        let store = Store::in_memory().await.unwrap();
        let contacts = Contacts::new(store);
        let rules = PhoneRules::new("US", 8).unwrap();
        let data =
            b"name,phone,note\nMaude Flanders,555-0177,Bible study\n,555-0000,\nRod,555-0178,\n";
        let mut seen = Vec::new();
        let report = import(
            &contacts,
            &rules,
            data,
            Format::from_file_name("people.CSV"),
            &mut |p| seen.push(p),
        )
        .await
        .unwrap();
        assert_eq!(report.imported, 2);
        assert_eq!(report.skipped.len(), 1);
        assert_eq!(report.skipped[0].line, 3);
        assert_eq!(contacts.count().await.unwrap(), 2);
        assert_eq!(seen.last(), Some(&Progress::Writing { done: 2, total: 2 }));
        assert!(seen.contains(&Progress::Reading {
            done: data.len() as u64,
            total: data.len() as u64
        }));
        assert_eq!(Format::from_file_name("x.vcf"), Format::Vcard);
    }
}

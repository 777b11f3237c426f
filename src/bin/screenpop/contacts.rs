//! `screenpop contacts …`: import (CSV/vCard, with progress and per-row problems), list,
//! export, add, delete — the local directory from the command line.

use crate::output::{print_json, usage};
use anyhow::{Context, Result};
use clap::{Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use screenpop::config::{Paths, Settings};
use screenpop::directory::import::batch;
use screenpop::directory::NewContact;
use screenpop::store::contacts::Contacts;
use screenpop::store::Store;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Csv,
    Vcard,
}

#[derive(Subcommand)]
pub enum ContactsCommand {
    /// Import contacts from a CSV (header: name,phone[,company,vip,note,id,url]) or vCard file.
    Import {
        file: PathBuf,
        /// Force the format instead of guessing from the extension.
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
    /// List contacts.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Export all contacts (CSV by default) to FILE, or stdout; `contacts import` reads it back.
    Export {
        #[arg(long, value_enum, default_value = "csv")]
        format: Format,
        /// Where to write (replaced if it exists); stdout when omitted.
        #[arg(value_name = "FILE", conflicts_with = "output")]
        file: Option<PathBuf>,
        /// Where to write (the same as FILE).
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Add (or replace, with --id) one contact.
    Add {
        #[arg(long)]
        name: String,
        /// A phone number; repeat for several.
        #[arg(long = "phone", required = true)]
        phones: Vec<String>,
        #[arg(long)]
        company: Option<String>,
        #[arg(long)]
        vip: bool,
        #[arg(long)]
        note: Option<String>,
        /// Profile URL (http/https).
        #[arg(long)]
        url: Option<String>,
        #[arg(long)]
        id: Option<String>,
        /// Create the contact in this directory (a CRM, by its configured name) instead.
        #[arg(long)]
        via: Option<String>,
    },
    /// Delete a contact by id.
    Delete { id: String },
}

pub async fn run(paths: Paths, settings: Settings, command: ContactsCommand) -> Result<ExitCode> {
    let store = Store::open(&paths.database())
        .await
        .context("cannot open the database")?;
    let rules = settings.phone_rules().map_err(usage)?;
    let contacts = Contacts::new(store.clone());
    contacts
        .reindex(&rules, &settings.phone.default_region)
        .await?;
    match command {
        ContactsCommand::Import { file, format } => {
            import_file(&contacts, &rules, &file, format).await
        }
        ContactsCommand::List { json } => {
            let all = contacts.list().await?;
            if json {
                print_json(&all)?;
            } else {
                for c in &all {
                    let vip = if c.vip { " ★VIP" } else { "" };
                    let company = c
                        .company
                        .as_deref()
                        .map(|s| format!(" ({s})"))
                        .unwrap_or_default();
                    println!(
                        "{:<12} {}{company}{vip}  {}",
                        c.id,
                        c.name,
                        c.phones.join(", ")
                    );
                }
                eprintln!("{} contacts", all.len());
            }
            Ok(ExitCode::SUCCESS)
        }
        ContactsCommand::Export {
            format,
            file,
            output,
        } => {
            let output = file.or(output);
            let all = contacts.list().await?;
            let mut sink: Box<dyn Write> = match &output {
                Some(path) => Box::new(
                    std::fs::File::create(path)
                        .with_context(|| format!("cannot create {}", path.display()))?,
                ),
                None => Box::new(std::io::stdout().lock()),
            };
            let format = match format {
                Format::Csv => batch::Format::Csv,
                Format::Vcard => batch::Format::Vcard,
            };
            batch::export(&all, format, &mut sink).context("cannot write the export")?;
            sink.flush().context("cannot write the export")?;
            if let Some(path) = &output {
                eprintln!("exported {} contacts to {}", all.len(), path.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        ContactsCommand::Add {
            name,
            phones,
            company,
            vip,
            note,
            url,
            id,
            via,
        } => {
            if let Some(u) = &url {
                screenpop::present::opener::check(u).map_err(usage)?;
            }
            if name.trim().is_empty() {
                return Err(usage("--name must not be empty"));
            }
            let contact = NewContact {
                id,
                name,
                company,
                phones,
                vip,
                note,
                url,
            };
            if let Some(via) = via {
                return create_via(&settings, &store, &rules, &via, &contact).await;
            }
            let ids = contacts.upsert_many(&rules, &[contact]).await?;
            println!("{}", ids.first().map(String::as_str).unwrap_or_default());
            Ok(ExitCode::SUCCESS)
        }
        ContactsCommand::Delete { id } => {
            if contacts.delete(&id).await? {
                Ok(ExitCode::SUCCESS)
            } else {
                eprintln!("screenpop: no contact with id {id:?}");
                Ok(ExitCode::from(1))
            }
        }
    }
}

/// `contacts add --via NAME`: create in a CRM and cache it for the next call.
async fn create_via(
    settings: &Settings,
    store: &Store,
    rules: &screenpop::phone::PhoneRules,
    via: &str,
    contact: &NewContact,
) -> Result<ExitCode> {
    let chain = crate::inspect::chain(settings, store, rules);
    if !chain.directories().iter().any(|d| d.name() == via) {
        return Err(usage(format!(
            "no directory named {via:?} (see `screenpop config check`)"
        )));
    }
    let numbers: Vec<_> = contact
        .phones
        .iter()
        .filter_map(|p| rules.keys(p))
        .collect();
    let created = chain
        .create_contact(via, contact, &numbers)
        .await
        .with_context(|| format!("cannot create the contact in {via}"))?;
    println!("{}", created.id);
    if let Some(url) = &created.url {
        eprintln!("created in {via}: {url}");
    }
    Ok(ExitCode::SUCCESS)
}

async fn import_file(
    contacts: &Contacts,
    rules: &screenpop::phone::PhoneRules,
    file: &Path,
    format: Option<Format>,
) -> Result<ExitCode> {
    let data =
        std::fs::read(file).map_err(|e| usage(format!("cannot open {}: {e}", file.display())))?;
    let format = match format {
        Some(Format::Csv) => batch::Format::Csv,
        Some(Format::Vcard) => batch::Format::Vcard,
        None => batch::Format::from_file_name(&file.to_string_lossy()),
    };
    let bar = ProgressBar::new(data.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} ({eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let mut progress = |p: batch::Progress| {
        let (what, done, total) = match p {
            batch::Progress::Reading { done, total } => ("reading", done, total),
            batch::Progress::Writing { done, total } => ("writing contacts", done, total),
        };
        bar.set_message(what);
        bar.set_length(total);
        bar.set_position(done);
    };
    let report = batch::import(contacts, rules, &data, format, &mut progress)
        .await
        .map_err(|e| match e {
            batch::BatchError::File(e) => usage(format!("{}: {e}", file.display())),
            batch::BatchError::Store(e) => {
                anyhow::Error::new(e).context("cannot store the contacts")
            }
        })?;
    bar.finish_and_clear();
    for problem in &report.skipped {
        let what = if problem.skipped {
            "skipped"
        } else {
            "warning"
        };
        eprintln!(
            "{}:{}: {what}: {}",
            file.display(),
            problem.line,
            problem.reason
        );
    }
    let skipped = report.skipped.iter().filter(|p| p.skipped).count();
    println!(
        "imported {} contacts, skipped {skipped} rows",
        report.imported
    );
    if report.imported == 0 && skipped > 0 {
        return Ok(ExitCode::from(2));
    }
    Ok(ExitCode::SUCCESS)
}

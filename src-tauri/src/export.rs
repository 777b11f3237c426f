//! The contacts page's **Export**: every local contact written as CSV or vCard (the same
//! writer as `screenpop contacts export`, which `import` reads back) to a new file in the
//! agent's Downloads folder, the way a browser saves a download: never over an existing
//! file (`contacts.csv`, then `contacts (2).csv`, …), readable by its owner only (contacts
//! are personal data). The page shows where it went.

use crate::error::CommandError;
use screenpop::directory::import::batch::{self, Format};
use screenpop::store::contacts::Contacts;
use serde::Serialize;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Exported {
    pub path: String,
    pub count: usize,
}

/// Where exports go: the desktop's Downloads folder (`XDG_DOWNLOAD_DIR`), else `~/Downloads`
/// if there is one, else the home folder.
pub fn folder() -> Option<PathBuf> {
    dirs::download_dir().or_else(|| {
        let home = dirs::home_dir()?;
        let downloads = home.join("Downloads");
        Some(if downloads.is_dir() { downloads } else { home })
    })
}

/// Writes every contact of `contacts` as `format` to a new file in `folder`.
pub async fn export(
    contacts: &Contacts,
    format: Format,
    folder: &Path,
) -> Result<Exported, CommandError> {
    let all = contacts.list().await?;
    let mut bytes = Vec::new();
    batch::export(&all, format, &mut bytes)
        .map_err(|e| CommandError::new("export", e.to_string()))?;
    let folder = folder.to_path_buf();
    let path = tokio::task::spawn_blocking(move || write_new(&folder, format, &bytes))
        .await
        .map_err(|e| CommandError::new("internal", e.to_string()))?
        .map_err(|e| CommandError::new("export", e))?;
    Ok(Exported {
        path: path.display().to_string(),
        count: all.len(),
    })
}

/// `contacts.<ext>` in `folder`, or the first free `contacts (N).<ext>`, created (never
/// replaced) 0600 with `bytes` in it.
fn write_new(folder: &Path, format: Format, bytes: &[u8]) -> Result<PathBuf, String> {
    std::fs::create_dir_all(folder)
        .map_err(|e| format!("cannot create {}: {e}", folder.display()))?;
    let ext = format.extension();
    for n in 1..1000 {
        let name = match n {
            1 => format!("contacts.{ext}"),
            n => format!("contacts ({n}).{ext}"),
        };
        let path = folder.join(name);
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path);
        match file {
            Ok(mut file) => {
                file.write_all(bytes)
                    .and_then(|()| file.sync_all())
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                return Ok(path);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(format!("cannot create {}: {e}", path.display())),
        }
    }
    Err(format!(
        "{} already holds 999 contact exports; clear some out",
        folder.display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use screenpop::directory::NewContact;
    use screenpop::phone::PhoneRules;
    use screenpop::store::Store;

    fn tricky() -> Vec<NewContact> {
        vec![
            NewContact {
                id: Some("c-1".into()),
                name: "Zoë \"Zed\" Ünal, Jr.".into(),
                company: Some("Ünal; Söhne & Co".into()),
                phones: vec!["+49 30 1234567".into(), "555-0100".into()],
                vip: true,
                note: Some("Likes calls before 10, not after".into()),
                url: Some("https://crm.example.com/c/1?x=a,b".into()),
            },
            NewContact {
                id: Some("c-2".into()),
                name: "Bob".into(),
                phones: vec!["555-0101".into()],
                ..Default::default()
            },
        ]
    }

    #[tokio::test]
    async fn an_export_imports_back_into_the_same_contacts_in_both_formats() {
        let rules = PhoneRules::new("US", 9).unwrap();
        let from = Contacts::new(Store::in_memory().await.unwrap());
        from.upsert_many(&rules, &tricky()).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        for format in [Format::Csv, Format::Vcard] {
            let done = export(&from, format, dir.path()).await.unwrap();
            assert_eq!(done.count, 2);
            assert!(done.path.ends_with(format.extension()), "{done:?}");
            let bytes = std::fs::read(&done.path).unwrap();
            let to = Contacts::new(Store::in_memory().await.unwrap());
            let report = batch::import(&to, &rules, &bytes, format, &mut |_| {})
                .await
                .unwrap();
            assert_eq!(report.imported, 2, "{format:?}: {report:?}");
            assert!(report.skipped.is_empty(), "{format:?}: {report:?}");
            assert_eq!(
                to.list().await.unwrap(),
                from.list().await.unwrap(),
                "{format:?}"
            );
        }
    }

    #[test]
    fn an_export_never_replaces_a_file_and_is_the_owners_alone() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("Downloads");
        let first = write_new(&folder, Format::Csv, b"one").unwrap();
        let second = write_new(&folder, Format::Csv, b"two").unwrap();
        let card = write_new(&folder, Format::Vcard, b"three").unwrap();
        assert_eq!(first, folder.join("contacts.csv"));
        assert_eq!(second, folder.join("contacts (2).csv"));
        assert_eq!(card, folder.join("contacts.vcf"));
        assert_eq!(std::fs::read(&first).unwrap(), b"one");
        assert_eq!(std::fs::read(&second).unwrap(), b"two");
        let mode = std::fs::metadata(&second).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}

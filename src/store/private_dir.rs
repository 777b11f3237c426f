//! The data directory is the owner's alone: 0700, and every file in it 0600.
//!
//! The database holds every call, number, customer name and note, so on a shared desk or a
//! terminal server no other account may read it. A new install creates the directory 0700
//! and the database file 0600 before SQLite opens it (SQLite gives its `-wal` and `-shm`
//! files the database file's mode). An existing install from before is tightened at start,
//! with a log line naming what changed. The control socket beside them is made 0600 where it
//! is bound.

use std::fs::{self, OpenOptions, Permissions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The directory's mode.
pub const DIR_MODE: u32 = 0o700;
/// Every file's mode.
pub const FILE_MODE: u32 = 0o600;

/// Creates `dir` (0700) if needed and tightens it and the files in it; returns what it
/// changed (each logged).
pub fn secure(dir: &Path) -> io::Result<Vec<PathBuf>> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(DIR_MODE)
        .create(dir)?;
    let mut changed = Vec::new();
    tighten(dir, DIR_MODE, &mut changed)?;
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        // Not through links: a link's target may be anything anywhere.
        if entry.file_type()?.is_symlink() {
            continue;
        }
        let mode = if entry.file_type()?.is_dir() {
            DIR_MODE
        } else {
            FILE_MODE
        };
        tighten(&entry.path(), mode, &mut changed)?;
    }
    Ok(changed)
}

/// Creates `file` empty with mode 0600 if it does not exist (so SQLite never creates it 0644).
pub fn create_private(file: &Path) -> io::Result<()> {
    match OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(FILE_MODE)
        .open(file)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

fn tighten(path: &Path, mode: u32, changed: &mut Vec<PathBuf>) -> io::Result<()> {
    let had = fs::metadata(path)?.permissions().mode() & 0o777;
    // Only ever take bits away: group and other lose everything.
    if had & 0o077 != 0 {
        fs::set_permissions(path, Permissions::from_mode(had & mode))?;
        tracing::info!(
            path = %path.display(),
            was = format_args!("{had:o}"),
            now = format_args!("{:o}", had & mode),
            "tightened permissions: screenpop's data is readable by its owner only"
        );
        changed.push(path.to_path_buf());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).expect("stat").permissions().mode() & 0o777
    }

    #[tokio::test]
    async fn a_new_data_directory_and_every_database_file_are_the_owners_alone() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("screenpop");
        let db = dir.join("screenpop.db");
        let store = Store::open(&db).await.unwrap();
        store.set_meta("k", "v").await.unwrap();
        assert_eq!(mode(&dir), 0o700);
        for file in ["screenpop.db", "screenpop.db-wal", "screenpop.db-shm"] {
            let path = dir.join(file);
            assert!(path.exists(), "{file} (WAL mode keeps it while open)");
            assert_eq!(mode(&path), 0o600, "{file}");
        }
    }

    #[tokio::test]
    async fn an_existing_readable_install_is_tightened_and_says_what_changed() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("screenpop");
        fs::create_dir(&dir).unwrap();
        fs::set_permissions(&dir, Permissions::from_mode(0o755)).unwrap();
        let db = dir.join("screenpop.db");
        for file in ["screenpop.db", "screenpop.db-wal", "notes.csv"] {
            fs::write(dir.join(file), b"").unwrap();
            fs::set_permissions(dir.join(file), Permissions::from_mode(0o644)).unwrap();
        }
        fs::write(dir.join("private"), b"").unwrap();
        fs::set_permissions(dir.join("private"), Permissions::from_mode(0o600)).unwrap();

        let changed = secure(&dir).unwrap();
        let mut names: Vec<_> = changed
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            ["notes.csv", "screenpop", "screenpop.db", "screenpop.db-wal"]
        );
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join("notes.csv")), 0o600);
        // Bits are only taken away, never added.
        fs::set_permissions(dir.join("notes.csv"), Permissions::from_mode(0o440)).unwrap();
        secure(&dir).unwrap();
        assert_eq!(mode(&dir.join("notes.csv")), 0o400);
        assert!(secure(&dir).unwrap().is_empty(), "nothing left to change");

        // And the store opens over it, keeping it so.
        fs::remove_file(dir.join("screenpop.db-wal")).unwrap();
        let store = Store::open(&db).await.unwrap();
        store.set_meta("k", "v").await.unwrap();
        assert_eq!(mode(&db), 0o600);
        assert_eq!(mode(&dir.join("screenpop.db-wal")), 0o600);
    }
}

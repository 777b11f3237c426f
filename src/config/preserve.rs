//! Saving settings over a hand-written config file without losing what the person wrote
//! around them: the new settings are merged into the old file's document (`toml_edit`), so
//! comments, blank lines and key order stay where a value only changed. Keys the settings no
//! longer have are dropped; new ones are appended. A `[[directory]]`/`[[source]]` list whose
//! entries were added, removed or reordered is written anew (its comments would otherwise
//! stick to the wrong entry).
//!
//! [`write`] puts the text in place atomically and keeps the file's mode (0600 for a new
//! file: a config names keyring entries, hosts and extensions, which are nobody else's).

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;
use toml_edit::{DocumentMut, Item, Table};

/// Writes `text` to `path` through a temp file renamed over it (a crash never leaves half a
/// config), with the mode the file had, or 0600 when it is new.
pub fn write(path: &Path, text: &str) -> std::io::Result<()> {
    let mode = match std::fs::metadata(path) {
        Ok(meta) => meta.permissions().mode() & 0o7777,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0o600,
        Err(e) => return Err(e),
    };
    let temp = path.with_extension("toml.saving");
    let _ = std::fs::remove_file(&temp);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(&temp)?;
    // The umask may have taken bits off at creation: set exactly the old mode.
    file.set_permissions(std::fs::Permissions::from_mode(mode))?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    std::fs::rename(&temp, path)
}

/// `fresh` (a complete serialization of the new settings) written over `old`, keeping the
/// old file's comments and layout; `None` if `old` is not TOML (then `fresh` is written).
pub fn merge(old: &str, fresh: &str) -> Option<String> {
    let mut doc: DocumentMut = old.parse().ok()?;
    let new: DocumentMut = fresh.parse().ok()?;
    merge_table(doc.as_table_mut(), new.as_table());
    Some(doc.to_string())
}

fn merge_table(old: &mut Table, new: &Table) {
    let gone: Vec<String> = old
        .iter()
        .map(|(key, _)| key.to_string())
        .filter(|key| !new.contains_key(key))
        .collect();
    for key in gone {
        old.remove(&key);
    }
    for (key, item) in new.iter() {
        match (old.get_mut(key), item) {
            (Some(Item::Table(o)), Item::Table(n)) => merge_table(o, n),
            (Some(Item::Value(o)), Item::Value(n)) => {
                if o.to_string().trim() != n.to_string().trim() {
                    let decor = o.decor().clone();
                    *o = n.clone();
                    *o.decor_mut() = decor;
                }
            }
            (Some(Item::ArrayOfTables(o)), Item::ArrayOfTables(n)) if same_entries(o, n) => {
                for (o, n) in o.iter_mut().zip(n.iter()) {
                    merge_table(o, n);
                }
            }
            // An empty list or table the file never had reads the same left out (the caller
            // checks that the merged file reads back as the settings).
            (None, Item::Value(toml_edit::Value::Array(a))) if a.is_empty() => {}
            (None, Item::Table(t)) if t.is_empty() => {}
            _ => {
                let mut item = item.clone();
                unplace(&mut item);
                old.insert(key, item);
            }
        }
    }
}

/// Forgets where `item`'s tables stood in the fresh document: toml_edit writes a table
/// without a position right after the table before it in the tree — its parent — while a
/// fresh position could put `[directory.headers]` under another `[[directory]]` entry of the
/// old file, or a `[[source]]` entry between another's subtables.
fn unplace(item: &mut Item) {
    match item {
        Item::Table(t) => unplace_table(t),
        Item::ArrayOfTables(a) => a.iter_mut().for_each(unplace_table),
        _ => {}
    }
}

fn unplace_table(table: &mut Table) {
    table.set_position(None);
    for (_, item) in table.iter_mut() {
        unplace(item);
    }
}

/// Same number of entries with the same `name`/`kind` in the same order.
fn same_entries(old: &toml_edit::ArrayOfTables, new: &toml_edit::ArrayOfTables) -> bool {
    let id =
        |t: &Table| ["name", "kind"].map(|k| t.get(k).and_then(Item::as_str).map(str::to_string));
    old.len() == new.len() && old.iter().zip(new.iter()).all(|(o, n)| id(o) == id(n))
}

#[cfg(test)]
mod tests {
    use super::merge;
    use std::os::unix::fs::PermissionsExt;
    use std::path::Path;

    const OLD: &str = "# screenpop for the front desk\n\
        [notify]\n\
        # pop when it rings\n\
        pop_on = \"ringing\"   # agents asked for this\n\
        missed = true\n\
        \n\
        [[directory]]\n\
        # our shop's list\n\
        kind = \"local\"\n\
        name = \"local\"\n";

    #[test]
    fn comments_stay_and_changed_values_change() {
        let fresh = "[notify]\npop_on = \"answered\"\nmissed = true\nauto_open = true\n\n\
            [[directory]]\nkind = \"local\"\nname = \"local\"\n";
        let merged = merge(OLD, fresh).expect("merges");
        assert!(
            merged.contains("# screenpop for the front desk"),
            "{merged}"
        );
        assert!(merged.contains("# pop when it rings"), "{merged}");
        assert!(
            merged.contains("pop_on = \"answered\"   # agents asked for this"),
            "{merged}"
        );
        assert!(merged.contains("auto_open = true"), "{merged}");
        assert!(merged.contains("# our shop's list"), "{merged}");
        let back: toml::Table = toml::from_str(&merged).expect("still TOML");
        assert_eq!(back["notify"]["pop_on"].as_str(), Some("answered"));
    }

    #[test]
    fn removed_keys_go_and_a_changed_directory_list_is_rewritten() {
        let fresh = "[notify]\npop_on = \"ringing\"\n\n\
            [[directory]]\nkind = \"ldap\"\nname = \"corp\"\n\n\
            [[directory]]\nkind = \"local\"\nname = \"local\"\n";
        let merged = merge(OLD, fresh).expect("merges");
        assert!(!merged.contains("missed"), "{merged}");
        let back: toml::Table = toml::from_str(&merged).expect("still TOML");
        let names: Vec<_> = back["directory"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["name"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(names, ["corp", "local"]);
    }

    #[test]
    fn writing_keeps_the_files_mode_and_a_new_file_is_the_owners_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        super::write(&path, "a = 1\n").unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        super::write(&path, "a = 2\n").unwrap();
        assert_eq!(mode(&path), 0o640);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "a = 2\n");
        assert!(!path.with_extension("toml.saving").exists());
    }

    #[test]
    fn a_file_that_is_not_toml_is_not_merged() {
        assert_eq!(merge("[notify\n", "[notify]\n"), None);
    }
}

//! `screenpop contacts export` through the real binary: a CSV import with awkward values
//! (quotes, commas, semicolons, accents, two numbers, a VIP) exported as CSV to a FILE and as
//! vCard to stdout, each imported into an empty profile, gives back the same contacts; a bad
//! format is refused with a usage error and writes nothing.

use std::path::Path;
use std::process::{Command, Output};

fn screenpop(profile: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_screenpop"))
        .args(args)
        .env_remove("XDG_CONFIG_DIRS")
        .env("SCREENPOP_CONFIG", profile.join("config.toml"))
        .env("SCREENPOP_DATA_DIR", profile.join("data"))
        .output()
        .expect("run screenpop")
}

fn ok(out: Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn listed(profile: &Path) -> serde_json::Value {
    let mut all: serde_json::Value =
        serde_json::from_str(&ok(screenpop(profile, &["contacts", "list", "--json"])))
            .expect("list --json is JSON");
    // The directory and id are the store's; the rest must come back as it went out.
    for c in all.as_array_mut().expect("a list") {
        c.as_object_mut().unwrap().remove("directory");
    }
    all
}

const CSV: &str = "id,name,company,phone,vip,note,url\n\
    c-1,\"Zoë \"\"Zed\"\" Ünal, Jr.\",\"Ünal; Söhne & Co\",+49 30 1234567;555-0100,yes,\"Calls before 10, not after\",https://crm.example.com/c/1?x=a\n\
    c-2,Bob Flanders,,555-0101,,,\n\
    c-3,Marge,Kwik-E-Mart,(555) 010-2000,no,Pretzels,\n";

#[test]
fn contacts_exported_as_csv_or_vcard_import_back_into_the_same_contacts() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first");
    let input = dir.path().join("people.csv");
    std::fs::write(&input, CSV).unwrap();
    let said = ok(screenpop(
        &first,
        &["contacts", "import", input.to_str().unwrap()],
    ));
    assert!(said.contains("imported 3 contacts"), "{said}");
    let original = listed(&first);
    assert_eq!(original.as_array().unwrap().len(), 3, "{original}");

    let csv = dir.path().join("out.csv");
    let out = screenpop(
        &first,
        &[
            "contacts",
            "export",
            "--format",
            "csv",
            csv.to_str().unwrap(),
        ],
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("exported 3 contacts"),
        "{out:?}"
    );
    assert!(ok(out).is_empty(), "a FILE export prints nothing on stdout");
    let vcard = ok(screenpop(
        &first,
        &["contacts", "export", "--format", "vcard"],
    ));
    assert_eq!(vcard.matches("BEGIN:VCARD").count(), 3, "{vcard}");
    let vcf = dir.path().join("out.vcf");
    std::fs::write(&vcf, &vcard).unwrap();

    for (name, file) in [("from-csv", &csv), ("from-vcard", &vcf)] {
        let profile = dir.path().join(name);
        ok(screenpop(
            &profile,
            &["contacts", "import", file.to_str().unwrap()],
        ));
        assert_eq!(listed(&profile), original, "{name}");
    }

    let refused = screenpop(&first, &["contacts", "export", "--format", "xlsx"]);
    assert!(!refused.status.success());
    assert!(refused.stdout.is_empty());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("xlsx"),
        "{refused:?}"
    );
}

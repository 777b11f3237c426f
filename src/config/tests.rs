//! The settings' load, override and save behaviour.

use super::*;

fn parse(text: &str, env: &[(&str, &str)]) -> Result<Settings, ConfigError> {
    let env: Vec<_> = env
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    Settings::from_parts(Path::new("/etc/screenpop.toml"), Some(text), &env)
}

#[test]
fn defaults_need_no_file() {
    let s = Settings::from_parts(Path::new("x"), None, &[]).unwrap();
    assert_eq!(s.phone.default_region, "US");
    assert_eq!(s.webhook.port, 17321);
    assert_eq!(s.notify.pop_on, PopOn::Ringing);
    assert_eq!(s.lookup.budget_ms, 800);
    assert_eq!(s.directory_chain().len(), 1);
}

#[test]
fn file_then_env_override() {
    let s = parse(
        "[phone]\ndefault_region = \"DE\"\n[notify]\nauto_open = true\n",
        &[
            ("SCREENPOP_WEBHOOK__PORT", "4000"),
            ("SCREENPOP_PHONE__DEFAULT_REGION", "FR"),
        ],
    )
    .unwrap();
    assert_eq!(s.phone.default_region, "FR");
    assert_eq!(s.webhook.port, 4000);
    assert!(s.notify.auto_open);
}

#[test]
fn broken_file_names_line_and_field() {
    let err = parse("[phone]\n\ndefault_region = 5\n", &[])
        .unwrap_err()
        .to_string();
    assert!(err.contains("line 3"), "{err}");
    assert!(err.contains("default_region"), "{err}");
    let err = parse("[notify]\npop_on = \"sometimes\"\n", &[])
        .unwrap_err()
        .to_string();
    assert!(err.contains("line 2") && err.contains("sometimes"), "{err}");
    let err = parse("[phone]\nregion = \"DE\"\n", &[])
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown field `region`"), "{err}");
}

#[test]
fn invalid_region_is_caught_with_its_line() {
    let err = parse("\n[phone]\ndefault_region = \"XX\"\n", &[])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("line 3") && err.contains("phone.default_region"),
        "{err}"
    );
}

#[test]
fn saved_settings_load_back_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/config.toml");
    let mut s = parse("[notify]\nauto_open = true\n", &[]).unwrap();
    s.webhook.port = 4100;
    s.save(&path).unwrap();
    let paths = Paths {
        config_file: path.clone(),
        data_dir: dir.path().into(),
    };
    let text = std::fs::read_to_string(&path).unwrap();
    let back = Settings::from_parts(&path, Some(&text), &[]).unwrap();
    assert!(back.notify.auto_open);
    assert_eq!(back.webhook.port, 4100);
    assert_eq!(back.directory_chain(), s.directory_chain());
    s.lookup.budget_ms = 0;
    let err = s.save(&paths.config_file).unwrap_err().to_string();
    assert!(err.contains("lookup.budget_ms"), "{err}");
    let kept = std::fs::read_to_string(&path).unwrap();
    assert_eq!(kept, text, "a refused save leaves the file as it was");
}

#[test]
fn saving_over_a_commented_file_keeps_the_comments() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    let written = "# front desk\n[notify]\nauto_open = false  # ask Marge first\n";
    std::fs::write(&path, written).unwrap();
    let mut s = Settings::from_parts(&path, Some(written), &[]).unwrap();
    s.notify.auto_open = true;
    s.save(&path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("# front desk\n[notify]\n"), "{text}");
    assert!(
        text.contains("auto_open = true  # ask Marge first"),
        "{text}"
    );
    let back = Settings::from_parts(&path, Some(&text), &[]).unwrap();
    assert!(back.notify.auto_open);
    assert_eq!(back.webhook.port, s.webhook.port);
}

#[test]
fn bad_env_value_names_the_variable() {
    let err = parse("", &[("SCREENPOP_WEBHOOK__PORT", "lots")])
        .unwrap_err()
        .to_string();
    assert!(err.contains("SCREENPOP_WEBHOOK__PORT"), "{err}");
}

#[test]
fn a_switched_off_entry_stays_in_the_file_and_out_of_use() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    let written = "# front desk\n\
        [[source]]\nkind = \"baresip\"\naddress = \"127.0.0.1:4444\"\n\n\
        [[source]]\nkind = \"fritz\"\naddress = \"fritz.box\"\nenabled = false  # off until the router is back\n\n\
        [[directory]]\nkind = \"local\"\n\n\
        [[directory]]\nkind = \"carddav\"\nurl = \"https://dav.example.com/alice/contacts/\"\n";
    std::fs::write(&path, written).unwrap();
    let mut s = Settings::from_parts(&path, Some(written), &[]).unwrap();
    let kinds = |v: Vec<SourceConfig>| v.iter().map(SourceConfig::name).collect::<Vec<_>>();
    assert_eq!(kinds(s.active_sources()), ["baresip"]);
    assert_eq!(s.sources.len(), 2, "the switched-off entry is still listed");
    assert_eq!(s.directory_chain().len(), 2);

    // Switch the address book off and the router on: only `enabled = false` lines change.
    match &mut s.directories[1] {
        DirectoryConfig::Carddav(c) => c.enabled = Enabled(false),
        other => panic!("{other:?}"),
    }
    match &mut s.sources[1] {
        SourceConfig::Fritz(f) => f.enabled = Enabled(true),
        other => panic!("{other:?}"),
    }
    s.save(&path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("# front desk\n"), "{text}");
    assert_eq!(text.matches("enabled").count(), 1, "{text}");
    let back = Settings::from_parts(&path, Some(&text), &[]).unwrap();
    assert_eq!(kinds(back.active_sources()), ["baresip", "fritz"]);
    let chain: Vec<_> = back
        .directory_chain()
        .iter()
        .map(DirectoryConfig::name)
        .collect();
    assert_eq!(chain, ["local"]);
    assert_eq!(back.directories.len(), 2);

    // Every directory switched off: no directory at all (not the default local one).
    let none = parse("[[directory]]\nkind = \"local\"\nenabled = false\n", &[]).unwrap();
    assert!(none.directory_chain().is_empty());
    let bad = parse(
        "[[source]]\nkind = \"fritz\"\naddress = \"x\"\nenabled = \"no\"\n",
        &[],
    )
    .unwrap_err()
    .to_string();
    // (An internally tagged entry's type error has no span of its own: serde buffers it.)
    assert!(bad.contains("expected a boolean"), "{bad}");
}

#[test]
fn saving_keeps_comments_beside_two_sources_and_a_crm_with_subtables() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    let written = "# front desk\n\
        [notify]\nauto_open = false  # ask Marge first\n\n\
        [[source]]\nkind = \"baresip\"\naddress = \"127.0.0.1:4444\"\n\n\
        # the router in the back office\n\
        [[source]]\nkind = \"fritz\"\naddress = \"fritz.box\"\n\n\
        # our CRM\n\
        [[directory]]\nkind = \"http\"\npreset = \"hubspot\"\nsecret = \"hubspot\"\n";
    std::fs::write(&path, written).unwrap();
    let mut s = Settings::from_parts(&path, Some(written), &[]).unwrap();
    s.notify.auto_open = true;
    s.save(&path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    for comment in [
        "# front desk",
        "auto_open = true  # ask Marge first",
        "# the router in the back office",
        "# our CRM",
    ] {
        assert!(text.contains(comment), "{comment:?} lost:\n{text}");
    }
    assert!(
        !text.contains("[directory.headers]"),
        "empty tables added:\n{text}"
    );
    let back = Settings::from_parts(&path, Some(&text), &[]).unwrap();
    assert!(back.notify.auto_open);
    assert_eq!(back.sources, s.sources);
    assert_eq!(back.directory_chain(), s.directory_chain());
}

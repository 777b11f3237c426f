use super::*;
use crate::config::{save::save_user, PopOn};

fn layer(path: &str, text: &str) -> Layer {
    Layer::parse(Path::new(path), text).unwrap()
}

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

const USER: &str = "/home/agent/.config/screenpop/config.toml";
const SYSTEM: &str = "/etc/xdg/screenpop/config.toml";

#[test]
fn system_then_user_then_env_each_with_its_origin() {
    let system = [layer(
        SYSTEM,
        "[phone]\ndefault_region = \"DE\"\n[lookup]\nbudget_ms = 500\n",
    )];
    let user = layer(USER, "[lookup]\nbudget_ms = 900\n");
    let l = Layered::resolve(
        &system,
        Some(&user),
        &env(&[("SCREENPOP_WEBHOOK__PORT", "4000")]),
        Path::new(USER),
    )
    .unwrap();
    assert_eq!(l.settings.phone.default_region, "DE");
    assert_eq!(l.settings.lookup.budget_ms, 900);
    assert_eq!(l.settings.webhook.port, 4000);
    assert_eq!(
        l.origin("phone.default_region"),
        Origin::System(SYSTEM.into())
    );
    assert_eq!(l.origin("lookup.budget_ms"), Origin::User(USER.into()));
    assert_eq!(
        l.origin("webhook.port"),
        Origin::Env("SCREENPOP_WEBHOOK__PORT".into())
    );
    assert_eq!(l.origin("notify.pop_on"), Origin::Default);
    assert!(l.overridden.is_empty());
}

#[test]
fn the_first_xdg_config_dir_is_the_most_important() {
    let system = [
        layer(
            "/etc/xdg-site/screenpop/config.toml",
            "[phone]\ndefault_region = \"FR\"\n",
        ),
        layer(
            SYSTEM,
            "[phone]\ndefault_region = \"DE\"\nmatch_last_digits = 8\n",
        ),
    ];
    let l = Layered::resolve(&system, None, &[], Path::new(USER)).unwrap();
    assert_eq!(l.settings.phone.default_region, "FR");
    assert_eq!(l.settings.phone.match_last_digits, 8);
}

#[test]
fn a_locked_key_wins_over_the_user_file_and_the_environment() {
    let system = [layer(
        SYSTEM,
        "[policy]\nlocked = [\"notify.pop_on\", \"directory\"]\n\
         [notify]\npop_on = \"answered\"\n\
         [[directory]]\nkind = \"local\"\nname = \"office\"\n",
    )];
    let user = layer(
        USER,
        "[notify]\npop_on = \"manual\"\nauto_open = true\n\
         [[directory]]\nkind = \"local\"\nname = \"mine\"\n",
    );
    let l = Layered::resolve(
        &system,
        Some(&user),
        &env(&[("SCREENPOP_NOTIFY__POP_ON", "ringing")]),
        Path::new(USER),
    )
    .unwrap();
    assert_eq!(l.settings.notify.pop_on, PopOn::Answered);
    assert!(
        l.settings.notify.auto_open,
        "unlocked keys of the section still apply"
    );
    assert_eq!(l.settings.directories[0].name(), "office");
    assert!(l.is_locked("notify.pop_on") && l.is_locked("directory"));
    assert!(!l.is_locked("notify.auto_open"));
    assert_eq!(l.origin("notify.pop_on"), Origin::System(SYSTEM.into()));
    let tried: Vec<_> = l
        .overridden
        .iter()
        .map(|o| (o.key.as_str(), &o.by))
        .collect();
    assert_eq!(
        tried,
        [
            ("directory", &Origin::User(USER.into())),
            ("notify.pop_on", &Origin::User(USER.into())),
            (
                "notify.pop_on",
                &Origin::Env("SCREENPOP_NOTIFY__POP_ON".into())
            ),
        ]
    );
    assert_eq!(l.settings.policy.locked, ["directory", "notify.pop_on"]);
}

#[test]
fn policy_in_the_users_own_file_locks_nothing() {
    let user = layer(USER, "[policy]\nlocked = [\"notify\"]\n");
    let l = Layered::resolve(
        &[],
        Some(&user),
        &env(&[("SCREENPOP_NOTIFY__AUTO_OPEN", "true")]),
        Path::new(USER),
    )
    .unwrap();
    assert!(l.settings.notify.auto_open);
    assert!(!l.is_locked("notify"));
    assert_eq!(l.overridden[0].key, "policy");
}

#[test]
fn a_bad_lock_names_the_system_file() {
    let system = [layer(SYSTEM, "[policy]\nlocked = [\"notify.popon\"]\n")];
    let err = Layered::resolve(&system, None, &[], Path::new(USER))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(SYSTEM) && err.contains("notify.popon"),
        "{err}"
    );
}

#[test]
fn a_broken_system_file_names_its_line() {
    let err = Layer::parse(Path::new(SYSTEM), "[phone]\n\ndefault_region = 5\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains(SYSTEM) && err.contains("line 3"), "{err}");
}

#[test]
fn a_save_writes_only_the_users_choices_and_never_a_locked_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    let system = [layer(
        SYSTEM,
        "[policy]\nlocked = [\"notify.pop_on\"]\n\
         [notify]\npop_on = \"answered\"\n[phone]\ndefault_region = \"DE\"\n",
    )];
    let mut settings = Layered::resolve(&system, None, &[], &path)
        .unwrap()
        .settings;
    settings.notify.pop_on = PopOn::Manual; // what a page would send if it let it
    settings.notify.auto_open = true;
    let now = save_user(&settings, &system, &path).unwrap();
    assert_eq!(now.notify.pop_on, PopOn::Answered);
    assert!(now.notify.auto_open);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains("pop_on"), "locked key written:\n{text}");
    assert!(
        !text.contains("default_region"),
        "system value frozen:\n{text}"
    );
    assert!(!text.contains("policy"), "{text}");
    assert!(text.contains("auto_open = true"), "{text}");
    let back = Layered::resolve(&system, Some(&layer(USER, &text)), &[], &path).unwrap();
    assert_eq!(back.settings.notify.pop_on, PopOn::Answered);
    assert!(back.settings.notify.auto_open);
}

#[test]
fn a_save_over_an_old_file_that_set_a_now_locked_key_removes_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(
        &path,
        "# mine\n[notify]\npop_on = \"manual\"\nmissed = false\n",
    )
    .unwrap();
    let system = [layer(SYSTEM, "[policy]\nlocked = [\"notify.pop_on\"]\n")];
    let user = Layer::read(&path).unwrap().unwrap();
    let settings = Layered::resolve(&system, Some(&user), &[], &path)
        .unwrap()
        .settings;
    save_user(&settings, &system, &path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("# mine\n"), "{text}");
    assert!(
        !text.contains("pop_on") && text.contains("missed = false"),
        "{text}"
    );
}

#[test]
fn contacts_import_is_a_setting_like_any_other() {
    let system = [layer(
        SYSTEM,
        "[contacts]\nimport = \"/etc/screenpop/contacts.csv\"\n",
    )];
    let l = Layered::resolve(&system, None, &[], Path::new(USER)).unwrap();
    assert_eq!(
        l.settings.contacts.import.as_deref(),
        Some(Path::new("/etc/screenpop/contacts.csv"))
    );
    assert_eq!(l.origin("contacts.import"), Origin::System(SYSTEM.into()));
}

#[test]
fn the_packaged_example_config_is_valid() {
    let text = include_str!("../../../packaging/config.example.toml");
    let example = layer("/usr/share/doc/screenpop/examples/config.toml", text);
    let l = Layered::resolve(&[example], None, &[], Path::new(USER)).unwrap();
    assert!(l.is_locked("notify.pop_on"));
    assert_eq!(l.settings.rule_list.len(), 2);
}

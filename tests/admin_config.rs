//! The administrator's side, through the real `screenpop` binary: a system file in
//! `$XDG_CONFIG_DIRS` under the user's file, its `[policy] locked` keys winning (and
//! `config check` saying so), `--origin`, `--version` with the commit, and a fresh desk whose
//! keyring has no login collection yet (gnome-keyring started with an empty password).

use screenpop_testkit as support;

use std::fs;
use std::io::Write;
use std::process::{Command, Output, Stdio};

use support::Desktop;

fn screenpop(env: &[(&str, &std::path::Path)], args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_screenpop"));
    command.args(args).env_remove("XDG_CONFIG_DIRS");
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().expect("run screenpop")
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_locked_key_in_the_system_file_wins_and_config_check_says_where_each_value_came_from() {
    let dir = tempfile::tempdir().unwrap();
    let system = dir.path().join("xdg/screenpop/config.toml");
    fs::create_dir_all(system.parent().unwrap()).unwrap();
    fs::write(
        &system,
        "[policy]\nlocked = [\"notify.pop_on\"]\n[notify]\npop_on = \"answered\"\n\
         [phone]\ndefault_region = \"DE\"\n",
    )
    .unwrap();
    let user = dir.path().join("user.toml");
    fs::write(&user, "[notify]\npop_on = \"manual\"\nauto_open = true\n").unwrap();
    let xdg = dir.path().join("xdg");
    let env: [(&str, &std::path::Path); 2] =
        [("XDG_CONFIG_DIRS", &xdg), ("SCREENPOP_CONFIG", &user)];
    let out = screenpop(&env, &["config", "check", "--origin"]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}{stderr}");
    let line = |key: &str| {
        stdout
            .lines()
            .find(|l| l.starts_with(key))
            .unwrap_or_else(|| panic!("no {key} in\n{stdout}"))
            .to_string()
    };
    let pop_on = line("notify.pop_on ");
    assert!(
        pop_on.contains("\"answered\"")
            && pop_on.contains(&system.display().to_string())
            && pop_on.ends_with("(locked)"),
        "{pop_on}"
    );
    assert!(line("notify.auto_open ").contains("user file"), "{stdout}");
    assert!(
        line("phone.default_region ").contains("system file"),
        "{stdout}"
    );
    assert!(line("lookup.budget_ms ").contains("default"), "{stdout}");
    assert!(
        stderr.contains("sets notify.pop_on, but your administrator locked it"),
        "{stderr}"
    );
    // The environment cannot change it either.
    let mut command = Command::new(env!("CARGO_BIN_EXE_screenpop"));
    let out = command
        .args(["config", "check"])
        .env("XDG_CONFIG_DIRS", dir.path().join("xdg"))
        .env("SCREENPOP_CONFIG", &user)
        .env("SCREENPOP_NOTIFY__POP_ON", "ringing")
        .output()
        .unwrap();
    let (stdout, stderr) = text(&out);
    assert!(stdout.contains("pop on Answered"), "{stdout}");
    assert!(
        stderr.contains("environment SCREENPOP_NOTIFY__POP_ON"),
        "{stderr}"
    );
}

#[test]
fn a_bad_lock_is_a_config_error_naming_the_system_file() {
    let dir = tempfile::tempdir().unwrap();
    let system = dir.path().join("xdg/screenpop/config.toml");
    fs::create_dir_all(system.parent().unwrap()).unwrap();
    fs::write(&system, "[policy]\nlocked = [\"notify.pop_when\"]\n").unwrap();
    let user = dir.path().join("user.toml");
    let xdg = dir.path().join("xdg");
    let out = screenpop(
        &[("XDG_CONFIG_DIRS", &xdg), ("SCREENPOP_CONFIG", &user)],
        &["config", "check"],
    );
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&system.display().to_string()) && stderr.contains("pop_when"),
        "{stderr}"
    );
}

#[test]
fn version_names_the_commit() {
    let out = screenpop(&[], &["--version"]);
    let (stdout, _) = text(&out);
    assert!(
        stdout.starts_with(&format!("screenpop {} (commit ", env!("CARGO_PKG_VERSION"))),
        "{stdout}"
    );
}

#[test]
fn a_fresh_desk_without_a_login_collection_can_store_secrets() {
    // gnome-keyring unlocked with an empty password creates no login collection: the
    // situation of a new user's headless session.
    let desktop = Desktop::start_with_keyring_password("").expect("start a headless desktop");
    let before = desktop
        .command("secret-tool")
        .args([
            "store",
            "--label=probe",
            "service",
            "other",
            "username",
            "x",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        !before.status.success(),
        "the keyring already had a default collection; this test would prove nothing"
    );
    let mut child = desktop
        .command(env!("CARGO_BIN_EXE_screenpop"))
        .args(["secret", "set", "probe-token"])
        .env("SCREENPOP_CONFIG", desktop.dir().join("config.toml"))
        .env("SCREENPOP_DATA_DIR", desktop.dir().join("data"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"s3cret").unwrap();
    let out = child.wait_with_output().unwrap();
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "secret set failed: {stdout}{stderr}");
    let stored = desktop
        .command("secret-tool")
        .args(["lookup", "service", "screenpop", "username", "probe-token"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&stored.stdout).trim(), "s3cret");
}

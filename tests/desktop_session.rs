//! The test desktop itself works: a notification sent over its bus is shown by its dunst,
//! lands in the history with its urgency, actions reach the sender, and URLs opened through
//! xdg-open are captured instead of reaching a real browser. If these fail, every
//! notification test would fail for reasons that have nothing to do with screenpop.

use screenpop_testkit as support;

use std::process::Stdio;
use std::time::Duration;

use support::Desktop;

const SHOWN_WITHIN: Duration = Duration::from_secs(5);

#[test]
fn notification_is_displayed_then_kept_in_history_with_its_urgency() {
    let desktop = Desktop::start().expect("start a headless desktop");
    let sent = desktop
        .command("notify-send")
        .args(["-u", "critical", "hello <b>x</b>", "body"])
        .status()
        .expect("run notify-send");
    assert!(sent.success(), "notify-send failed: {sent}");
    assert!(
        desktop.wait_displayed(1, SHOWN_WITHIN),
        "dunst never showed it"
    );

    desktop
        .dunstctl(&["close-all"])
        .expect("dunstctl close-all");

    let history = desktop.history_summaries();
    assert_eq!(
        history,
        vec![(
            "hello <b>x</b>".to_owned(),
            "body".to_owned(),
            "CRITICAL".to_owned(),
            "notify-send".to_owned()
        )]
    );
    assert_eq!(desktop.displayed_count(), 0);
}

#[test]
fn default_action_and_menu_choice_reach_the_sender() {
    let desktop = Desktop::start().expect("start a headless desktop");

    // notify-send --wait prints the key of the invoked action.
    let default = desktop
        .command("notify-send")
        .args([
            "-A",
            "default=Open",
            "-A",
            "create=Create contact",
            "pop",
            "",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .expect("run notify-send");
    assert!(
        desktop.wait_displayed(1, SHOWN_WITHIN),
        "dunst never showed it"
    );
    desktop
        .dunstctl(&["action", "0"])
        .expect("dunstctl action 0");
    let output = default.wait_with_output().expect("wait for notify-send");
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "default");

    desktop
        .choose_in_menu("Create contact")
        .expect("set menu choice");
    let chosen = desktop
        .command("notify-send")
        .args(["-A", "open=Open", "-A", "create=Create contact", "pop", ""])
        .stdout(Stdio::piped())
        .spawn()
        .expect("run notify-send");
    assert!(
        desktop.wait_displayed(1, SHOWN_WITHIN),
        "dunst never showed it"
    );
    desktop.dunstctl(&["context"]).expect("dunstctl context");
    let output = chosen.wait_with_output().expect("wait for notify-send");
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "create");
    assert!(
        desktop
            .menu_entries()
            .iter()
            .any(|entry| entry.contains("Create contact")),
        "menu offered {:?}",
        desktop.menu_entries()
    );
}

#[test]
fn xdg_open_hands_urls_to_the_capture_browser() {
    let desktop = Desktop::start().expect("start a headless desktop");
    let url = "https://crm.example.test/contacts/42?from=555-1234";
    let opened = desktop
        .command("xdg-open")
        .arg(url)
        .status()
        .expect("run xdg-open");
    assert!(opened.success(), "xdg-open failed: {opened}");
    assert_eq!(desktop.browser().read_urls(), vec![url.to_owned()]);
}

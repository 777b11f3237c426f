//! First-run setup end to end, from an empty profile (no config file, no contacts): pick a
//! real baresip softphone and Test connection, connect the HubSpot stand-in (the documented
//! search shape) with a token, see a bad API address refused next to its field with nothing
//! written, Test lookup finds the contact, ring a test call, finish — and a real baresip
//! call then pops with the HubSpot contact's name. The token never shows in the page, the
//! config file or the log. Back/Next and setup run a second time edit the same entries
//! (none is added twice). Screenshots of each step: `<target>/e2e-artifacts/setup-*.png`.

use super::app::DesktopApp;
use super::baresip::{Answer, Softphone};
use super::crm::{Crm, Person};
use super::crm_shapes::Shape;
use std::time::Duration;

const TOKEN: &str = "pat-na1-e2e-5ec12e7-t0ken";
const LISA: &str = "+15551234567";

/// Sets a `<select>`'s value as a person picking an option does (input + change events).
fn pick(app: &DesktopApp, css: &str, value: &str) {
    let script = format!(
        "const s = document.querySelector({css:?}); s.value = {value:?}; \
         s.dispatchEvent(new Event('change', {{bubbles: true}})); return s.value"
    );
    assert_eq!(
        app.session.execute(&script),
        value,
        "{css} has no option {value}"
    );
}

#[test]
fn setup_from_an_empty_profile_to_a_baresip_pop_with_the_hubspot_contact() {
    let crm = Crm::start(
        Shape::Hubspot,
        TOKEN,
        vec![Person::new("501", "Lisa", "Simpson", "+1 555 123 4567")],
    );
    let agent = Softphone::start("agent", Some("Agent"), Answer::Manual);
    let customer = Softphone::start(LISA, Some("Lisa"), Answer::Manual);
    let app = DesktopApp::start_empty(&[]);
    let s = &app.session;

    // 1. Where do your calls come from? A baresip softphone, tested for real.
    s.wait_text("#setup-title", "Set up screenpop");
    app.shot("setup-1-calls");
    s.click("#setup-source-baresip");
    let address = format!("127.0.0.1:{}", agent.ctrl_port);
    s.type_into("#f-source-0-address", &address);
    s.click("#test-source-0");
    s.wait_text("#test-source-0-result", "Connected");
    app.shot("setup-1-calls-tested");
    s.click("#setup-next");

    // 2. Who are your callers? HubSpot from its preset.
    s.wait_text("#setup-body h2", "Who are your callers?");
    assert!(app.config_file().exists(), "step 1 saved the source");
    pick(&app, "#setup-crm", "http:hubspot");
    s.type_into("#f-directory-1-secret", TOKEN);
    // A bad API address: its error next to the field, nothing written.
    let before = std::fs::read_to_string(app.config_file()).expect("config");
    s.type_into("#f-directory-1-base_url", "api.hubapi.com");
    s.type_into("#setup-lookup-number", LISA);
    s.click("#setup-test-lookup");
    s.wait_text("#err-f-directory-1-base_url", "http");
    app.shot("setup-2-bad-address");
    let after = std::fs::read_to_string(app.config_file()).expect("config");
    assert_eq!(after, before, "a refused save writes nothing");
    // The right one: saved, and Test lookup finds Lisa with the explain steps.
    s.type_into("#f-directory-1-base_url", &crm.base_url());
    s.click("#setup-test-lookup");
    s.wait_text("#setup-lookup-answer", "Lisa Simpson");
    s.wait_text("#setup-lookup-steps", "hubspot: found");
    s.wait_text("#state-f-directory-1-secret", "stored in the keyring");
    let typed = s.execute("return document.querySelector('#f-directory-1-secret').value");
    assert_eq!(typed, "", "the token stays in the page after it was stored");
    app.shot("setup-2-callers");
    // Back and Next again: what was picked is shown, nothing is added twice.
    s.click("#setup-back");
    s.wait_text("#setup-body h2", "Where do your calls come from?");
    let picked = s.execute("return document.querySelector('#setup-source-baresip').checked");
    assert_eq!(picked, true, "Back does not show the softphone picked");
    s.click("#setup-next");
    s.wait_text("#setup-body h2", "Who are your callers?");
    assert_eq!(
        s.execute("return document.querySelector('#setup-crm').value"),
        "http:hubspot"
    );
    assert_eq!(entries(&app), (1, 2), "Back and Next added entries");
    s.click("#setup-next");

    // 3. Try it: a test call rings the app itself and the real notification pops.
    s.wait_text("#setup-body h2", "Try it");
    s.type_into("#setup-test-number", LISA);
    s.click("#setup-test-call");
    s.wait_text("#setup-test-call-result", "Rung");
    assert!(
        app.desktop.wait_displayed(1, Duration::from_secs(15)),
        "the test call popped no notification\n{}",
        app.log()
    );
    app.shot("setup-3-try-it");
    s.click("#setup-next");

    // A real baresip call now pops with the HubSpot contact's name.
    s.wait_text("#status-cause", "baresip");
    let mut phone = customer.control();
    phone.command("dial", Some(&agent.uri()));
    s.wait_text("#card-number", "via baresip");
    s.wait_text("#card-name", "Lisa Simpson");
    app.shot("setup-done-real-call");

    // The token is in the keyring only: not the page, not the config file, not the log.
    let page = s.execute("return document.documentElement.outerHTML");
    assert!(!page.to_string().contains(TOKEN), "token in the page");
    let config = std::fs::read_to_string(app.config_file()).expect("config");
    assert!(!config.contains(TOKEN), "token in the config: {config}");
    assert!(config.contains("preset = \"hubspot\""), "{config}");
    assert!(!app.log().contains(TOKEN), "token in the log");

    // Setup run again over the finished desk edits the same entries: none is added.
    s.click("#tab-settings");
    s.click("#run-setup");
    s.wait_text("#setup-body h2", "Where do your calls come from?");
    let address = s.execute("return document.querySelector('#f-source-0-address').value");
    assert_eq!(address, format!("127.0.0.1:{}", agent.ctrl_port));
    s.click("#setup-next");
    s.wait_text("#setup-body h2", "Who are your callers?");
    s.click("#setup-next");
    s.wait_text("#setup-body h2", "Try it");
    s.click("#setup-next");
    s.wait_text("#status-cause", "baresip");
    assert_eq!(entries(&app), (1, 2), "setup run twice added entries");
    drop(phone);
}

/// How many `[[source]]` and `[[directory]]` entries the config file has.
fn entries(app: &DesktopApp) -> (usize, usize) {
    let config = std::fs::read_to_string(app.config_file()).expect("config");
    (
        config.matches("[[source]]").count(),
        config.matches("[[directory]]").count(),
    )
}

#[test]
fn dark_mode_follows_the_desktop_and_keeps_text_readable() {
    // WebKitGTK reports `prefers-color-scheme: dark` for a `:dark` GTK theme.
    let app = DesktopApp::start_with_env("", &[("GTK_THEME", "Adwaita:dark")]);
    let s = &app.session;
    let dark = s.execute("return window.matchMedia('(prefers-color-scheme: dark)').matches");
    assert_eq!(dark, true, "the page does not see the dark preference");
    let background = s.execute("return getComputedStyle(document.body).backgroundColor");
    assert_eq!(
        background, "rgb(19, 23, 28)",
        "the dark palette is not applied"
    );
    app.cli(&[
        "event",
        "ringing",
        "--from",
        "555-1234",
        "--call-id",
        "dark-1",
    ]);
    s.wait_text("#card-name", "Lisa Simpson");
    app.shot("dark-mode");
    s.click("#tab-settings");
    s.wait_text("#settings-path", "config.toml");
    // Text at 125 % zoom still fits the narrow window (no sideways scrolling).
    s.execute("document.documentElement.style.zoom = '1.25'; return 0");
    let overflow = s.execute(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth",
    );
    assert!(
        overflow.as_i64().unwrap_or(1) <= 0,
        "scrolls sideways at 125 %: {overflow}"
    );
    app.shot("dark-mode-settings-125");
}

//! The desktop app end to end, as an agent meets it: the real `screenpop-desktop` binary in a
//! real WebKit window under Xvfb, driven by tauri-driver + WebKitWebDriver, with calls rung
//! through the webhook by the real `screenpop event` CLI, notifications shown by a real dunst
//! on a private D-Bus, and the webhook token in a real gnome-keyring. Screenshots of each
//! state land in `<target>/e2e-artifacts/`. (A test target of `screenpop-desktop`; the file
//! is not named main.rs so the core package's test discovery leaves it alone.)

// The shared harness (the `screenpop-testkit` crate), named at the root because the files
// refer to its modules as `super::`.
mod app;
use screenpop_testkit::{baresip, crm, crm_shapes, desktop, http, ports, process};
mod contacts;
mod setup;
mod tray;
mod webdriver;
mod window_state;

use app::DesktopApp;
use process::wait_until;
use std::time::Duration;

const XSS_NAME: &str = "<img src=x onerror=alert(1)>";

fn summaries(app: &DesktopApp) -> Vec<String> {
    app.desktop
        .history_summaries()
        .into_iter()
        .map(|(summary, ..)| summary)
        .collect()
}

/// `screenpop event ringing` through the app's webhook.
fn ring(app: &DesktopApp, from: &str, call_id: &str) {
    app.cli(&["event", "ringing", "--from", from, "--call-id", call_id]);
}

/// `screenpop event ended` (unanswered inbound calls become missed calls).
fn end(app: &DesktopApp, call_id: &str) {
    app.cli(&["event", "ended", "--call-id", call_id]);
}

fn log_row(app: &DesktopApp, needle: &str) -> String {
    app.session.wait_text("#log-list", needle)
}

#[test]
fn agent_journey_greeting_log_search_untrusted_name_create_contact_dnd_and_tray() {
    let app = DesktopApp::start("");
    let s = &app.session;
    s.wait_text("#status-cause", "All sources up (webhook)");

    // A known caller rings: the card greets her, the notification pops.
    ring(&app, "555-1234", "lisa-1");
    s.wait_text("#card-name", "Lisa Simpson");
    s.wait_text("#card-note", "Last order: 2 pepperoni pizzas");
    assert!(s.text("#card-vip").contains("VIP"));
    s.wait_text("#card-state", "ringing");
    assert!(
        app.desktop.wait_displayed(1, Duration::from_secs(10)),
        "no notification\n{}",
        app.log()
    );
    app.shot("01-greeting-known-caller");

    // Answered: the ringing pop has done its job and is closed into dunst's history.
    app.cli(&["event", "answered", "--call-id", "lisa-1"]);
    s.wait_text("#card-state", "on call");
    assert!(
        wait_until(Duration::from_secs(10), || summaries(&app)
            .contains(&"Welcome back Lisa".to_string())),
        "greeting not in dunst history: {:?}",
        summaries(&app)
    );

    // Ended: the call is in the log, and search finds it by its note.
    end(&app, "lisa-1");
    s.wait_text("#card-state", "Call ended");
    log_row(&app, "Lisa Simpson");
    s.type_into("#log-search", "pepperoni");
    log_row(&app, "Lisa Simpson");
    s.type_into("#log-search", "nobody-called-this");
    s.wait_text("#log-empty", "No calls match.");
    s.type_into("#log-search", "");
    log_row(&app, "Lisa Simpson");
    app.shot("02-call-log");

    // A caller whose name is markup: shown as text, never parsed.
    app.cli(&[
        "event",
        "ringing",
        "--from",
        "555-0199",
        "--name",
        XSS_NAME,
        "--call-id",
        "xss-1",
    ]);
    assert_eq!(s.wait_text("#card-name", XSS_NAME), XSS_NAME);
    end(&app, "xss-1");
    log_row(&app, XSS_NAME);
    let injected = s.execute("return document.querySelectorAll('main img, dialog img').length");
    assert_eq!(injected, 0, "caller data became elements");
    app.shot("03-untrusted-name-as-text");

    // An unknown caller: Create contact saves her; her next call greets her by name.
    ring(&app, "555-0177", "maude-1");
    // The card still shows the last caller (also new) until this call's view arrives.
    s.wait_text("#card-number", "0177");
    s.wait_text("#card-note", "New caller");
    s.click("#card-create-contact");
    let prefilled = s.execute("return document.getElementById('contact-phone').value");
    assert!(
        prefilled.as_str().is_some_and(|n| n.ends_with("5550177")),
        "{prefilled}"
    );
    s.type_into("#contact-name", "Maude Flanders");
    s.type_into("#contact-note", "Bible study on Tuesdays");
    app.shot("04-create-contact");
    s.click("#contact-save");
    s.wait_text("#notice-text", "Saved Maude Flanders");
    end(&app, "maude-1");
    ring(&app, "555-0177", "maude-2");
    s.wait_text("#card-name", "Maude Flanders");
    s.wait_text("#card-note", "Bible study on Tuesdays");
    end(&app, "maude-2");
    s.wait_text("#card-state", "Missed call");

    // Do not disturb: nothing pops, the call is still logged.
    app.desktop
        .dunstctl(&["close-all"])
        .expect("close all pops");
    let history_before = summaries(&app).len();
    s.click("#dnd-toggle");
    s.wait_text("#status-cause", "Do not disturb");
    ring(&app, "555-0120", "ned-dnd");
    s.wait_text("#card-name", "Ned Flanders");
    end(&app, "ned-dnd");
    log_row(&app, "Ned Flanders");
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        app.desktop.displayed_count(),
        0,
        "a pop got through do not disturb"
    );
    assert_eq!(
        summaries(&app).len(),
        history_before,
        "{:?}",
        summaries(&app)
    );
    app.shot("05-do-not-disturb");
    s.click("#dnd-toggle");
    s.wait_text("#status-cause", "All sources up");

    // Settings: Test lookup explains the chain; Save writes the file and restarts the core.
    s.click("#notice-close");
    s.click("#tab-settings");
    s.wait_text("#settings-path", "config.toml");
    s.type_into("#lookup-number", "555-1234");
    s.click("#lookup-form button[type=submit]");
    s.wait_text("#lookup-answer", "Lisa Simpson");
    s.wait_text("#lookup-steps", "local: found 1");
    s.click("#f-notify-missed");
    s.click("#settings-save");
    s.wait_text("#settings-result", "Saved and applied");
    s.wait_text("#status-cause", "All sources up (webhook)");
    let saved = std::fs::read_to_string(app.config_file()).expect("config file");
    assert!(saved.contains("missed = false"), "{saved}");
    s.execute("window.scrollTo(0, 0)");
    app.shot("06-settings-test-lookup");
    s.click("#tab-log");

    // Closing the window destroys the webview; the app pops from the tray alone.
    let before = app.processes();
    assert!(
        before.iter().any(|p| p.name.starts_with("WebKitWebProces")),
        "{before:?}"
    );
    let total = |procs: &[app::Proc]| procs.iter().map(|p| p.rss_kb).sum::<u64>() / 1024;
    eprintln!(
        "RSS with the window open (debug build): {} MB {before:?}",
        total(&before)
    );
    s.close_window();
    let gone = wait_until(Duration::from_secs(10), || {
        !app.processes()
            .iter()
            .any(|p| p.name.starts_with("WebKitWebProces"))
    });
    assert!(
        gone,
        "the web process outlived the window: {:?}",
        app.processes()
    );
    assert!(
        app.processes()
            .iter()
            .any(|p| p.name.starts_with("screenpop-deskt")),
        "the app quit with its window"
    );
    std::thread::sleep(Duration::from_secs(2));
    let after = app.processes();
    eprintln!(
        "RSS with the window closed (debug build): {} MB {after:?}",
        total(&after)
    );
    ring(&app, "555-1234", "lisa-tray");
    assert!(
        app.desktop.wait_displayed(1, Duration::from_secs(10)),
        "no pop from the tray-only app"
    );
    end(&app, "lisa-tray");
    let rows = app.cli(&["log", "--json", "--search", "Lisa"]);
    assert!(rows.contains("lisa-tray"), "{rows}");
    assert!(
        !app.processes()
            .iter()
            .any(|p| p.name.starts_with("screenpop-windo")),
        "the window process outlived its window: {:?}",
        app.processes()
    );

    tray_menu_second_launch_and_quit(&app);
}

fn running(app: &DesktopApp, name: &str) -> Option<u32> {
    app.processes()
        .into_iter()
        .find(|p| p.name.starts_with(name))
        .map(|p| p.pid)
}

/// The tray as a panel uses it (its dbusmenu over the session bus), a second launch, and Quit.
fn tray_menu_second_launch_and_quit(app: &DesktopApp) {
    let core = running(app, "screenpop-deskt").expect("the core runs");
    let mut found = None;
    wait_until(Duration::from_secs(10), || {
        found = tray::Tray::find(app.env(), core);
        found.is_some()
    });
    let tray = found.expect("the tray item is on the session bus");
    let menu = tray.menu();
    let labels: Vec<&str> = menu.iter().map(|e| e.label.as_str()).collect();
    assert_eq!(
        labels,
        [
            "All sources up (webhook)",
            "Show call log",
            "Do not disturb",
            "Pause auto-open",
            "Settings…",
            "Quit"
        ],
        "{menu:?}"
    );
    assert_eq!(tray.icon_size(), "64, 64");

    // Do not disturb from the tray: the check mark and the cause line follow.
    tray.click("Do not disturb");
    let on = wait_until(Duration::from_secs(10), || {
        tray.entry("Do not disturb").checked == Some(true)
            && tray.menu()[0].label.starts_with("Do not disturb")
    });
    assert!(on, "{:?}", tray.menu());
    tray.click("Do not disturb");
    let off = wait_until(Duration::from_secs(10), || {
        tray.entry("Do not disturb").checked == Some(false)
    });
    assert!(off, "{:?}", tray.menu());

    // Show call log brings a fresh window process (and its WebKit) back.
    tray.click("Show call log");
    let back = wait_until(Duration::from_secs(30), || {
        running(app, "screenpop-windo").is_some() && running(app, "WebKitWebProces").is_some()
    });
    assert!(back, "no window from the tray: {:?}", app.processes());

    // A second launch hands over to the running app: no second core, the window comes up.
    let window = running(app, "screenpop-windo").expect("window");
    let _ = std::process::Command::new("kill")
        .arg(window.to_string())
        .status();
    let gone = wait_until(Duration::from_secs(10), || {
        running(app, "screenpop-windo").is_none()
    });
    assert!(gone, "{:?}", app.processes());
    let again = app.launch_again(&[]);
    assert!(again.status.success(), "{again:?}");
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("already running"),
        "{again:?}"
    );
    let shown = wait_until(Duration::from_secs(30), || {
        running(app, "screenpop-windo").is_some()
    });
    assert!(shown, "a second launch did not show the window");
    let cores = app
        .processes()
        .iter()
        .filter(|p| p.name.starts_with("screenpop-deskt"))
        .count();
    assert_eq!(cores, 1, "{:?}", app.processes());

    // Quit: window, core and WebKit all end; the core says so in its log.
    tray.click("Quit");
    let ended = wait_until(Duration::from_secs(20), || app.processes().is_empty());
    assert!(ended, "still running after Quit: {:?}", app.processes());
    assert!(app.log().contains("quitting"), "{}", app.log());
}

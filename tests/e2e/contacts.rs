//! The contacts page and per-entry switches end to end, in the real window: a 10,000-row CSV
//! (three bad rows) imported through the page's file input shows its progress and lists the
//! bad rows by line; the list is virtual (a few dozen rows exist however many match) and
//! scrolls to the last contact; search narrows it; Export CSV / Export vCard write files that
//! hold every contact; and a directory switched off in Settings is written `enabled = false`
//! and is no longer asked by Test lookup.

use super::app::DesktopApp;

const ROWS: usize = 10_000;
const BAD: [usize; 3] = [1_000, 5_000, 9_999];

/// A CSV of `ROWS` customers; the rows in `BAD` have no phone (skipped, with their line).
fn big_csv() -> String {
    let mut csv = String::from("name,phone,company,note\n");
    for i in 0..ROWS {
        let phone = if BAD.contains(&i) {
            String::new()
        } else {
            format!("+1 555 {:03} {:04}", i / 10_000, i % 10_000)
        };
        csv.push_str(&format!(
            "Zed Customer {i:05},{phone},Shop {},row {i}\n",
            i % 97
        ));
    }
    csv
}

/// The number the count line starts with ("10,009 contacts", or "10009 …" in the C locale).
fn count_shown(app: &DesktopApp) -> Option<usize> {
    let text = app.session.text("#contacts-count");
    let first = text.split_whitespace().next()?;
    first
        .replace([',', '.', '\u{a0}', '\u{202f}'], "")
        .parse()
        .ok()
}

fn rows_in_page(app: &DesktopApp) -> i64 {
    let n = app
        .session
        .execute("return document.querySelectorAll('#contacts-list li').length");
    n.as_i64().unwrap_or(-1)
}

#[test]
fn ten_thousand_contacts_import_scroll_virtually_search_export_and_a_directory_switched_off() {
    let app = DesktopApp::start(
        "[[directory]]\nkind = \"local\"\n\n[[directory]]\nkind = \"local\"\nname = \"shop\"\n",
    );
    let s = &app.session;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("customers.csv");
    std::fs::write(&file, big_csv()).unwrap();

    s.click("#tab-contacts");
    s.wait_text("#contacts-count", "contacts");
    // Every text the import's status line shows, to see its progress go by.
    s.execute(
        "window.e2eSeen = []; const r = document.querySelector('#contacts-import-result'); \
         new MutationObserver(() => window.e2eSeen.push(r.textContent)) \
           .observe(r, {childList: true, characterData: true, subtree: true}); return 0",
    );
    s.send_file("#contacts-import", &file);
    let done = s.wait_text(
        "#contacts-import-result",
        "Imported 9997 contacts, skipped 3",
    );
    for line in BAD.map(|i| i + 2) {
        assert!(done.contains(&format!("line {line}: ")), "{done}");
    }
    let seen = s.execute("return window.e2eSeen.join('\\n')");
    assert!(
        seen.as_str().unwrap_or_default().contains("Saving"),
        "no progress shown: {seen}"
    );
    app.shot("contacts-imported");

    // Virtual: 10,000+ contacts, a few dozen rows in the page, at the top and at the end.
    let count = s.wait("the count to include the import", || {
        count_shown(&app).filter(|n| *n > ROWS - BAD.len())
    });
    s.wait_text("#contacts-list", "Zed Customer");
    let at_top = rows_in_page(&app);
    assert!((1..=100).contains(&at_top), "{at_top} rows in the page");
    s.execute("window.scrollTo(0, document.body.scrollHeight); return 0");
    s.wait_text("#contacts-list", "Zed Customer 09998");
    let at_end = rows_in_page(&app);
    assert!(
        (1..=100).contains(&at_end),
        "{at_end} rows in the page at the end"
    );
    app.shot("contacts-scrolled-to-the-end");

    // Keyboard: ArrowDown moves to the next row's Edit button.
    s.execute("window.scrollTo(0, 0); return 0");
    s.wait("the first row drawn", || {
        s.find("#contacts-list li[aria-posinset='1'] button")
    });
    let moved = s.execute(
        "const b = document.querySelector(\"#contacts-list li[aria-posinset='1'] button\"); b.focus(); \
         b.dispatchEvent(new KeyboardEvent('keydown', {key: 'ArrowDown', bubbles: true})); \
         return document.activeElement.closest('li').getAttribute('aria-posinset')",
    );
    assert_eq!(moved, "2");

    // Search narrows the list (any part of a number).
    s.type_into("#contacts-search", "555 000 0042");
    s.wait_text("#contacts-count", "1 contact matching");
    s.wait_text("#contacts-list", "Zed Customer 00042");
    assert_eq!(rows_in_page(&app), 1);
    s.type_into("#contacts-search", "");
    s.wait("the whole list back", || {
        (count_shown(&app) == Some(count)).then_some(())
    });

    // Export: each format holds every contact, in a new file.
    // (Every imported row's note is "row N": one per contact in either format.)
    for (button, ext, per_contact) in [
        ("#contacts-export-csv", ".csv", ",row "),
        ("#contacts-export-vcard", ".vcf", "NOTE:row "),
    ] {
        s.click(button);
        let said = s.wait_text("#contacts-export-result", ext);
        let (head, path) = said
            .split_once(" to ")
            .unwrap_or_else(|| panic!("no path in {said:?}"));
        let exported: String = head.chars().filter(char::is_ascii_digit).collect();
        assert_eq!(exported, count.to_string(), "{said}");
        let text = std::fs::read_to_string(path.trim()).expect("the exported file");
        assert_eq!(
            text.matches(per_contact).count(),
            ROWS - BAD.len(),
            "{path}"
        );
        if ext == ".vcf" {
            assert_eq!(text.matches("BEGIN:VCARD").count(), count, "{path}");
        }
    }

    // A directory switched off: written `enabled = false`, not asked any more.
    s.click("#tab-settings");
    s.type_into("#lookup-number", "+44 20 7946 0999");
    s.click("#lookup-form button[type=submit]");
    s.wait_text("#lookup-steps", "shop: no match");
    // (Scrolled to the middle first: at the bottom edge the sticky Save bar covers it.)
    s.execute("document.querySelector('#enabled-directory-1').scrollIntoView({block: 'center'}); return 0");
    s.click("#enabled-directory-1");
    s.wait_text("#entry-directory-1", "(off)");
    s.click("#settings-save");
    s.wait_text("#settings-result", "Saved");
    let config = std::fs::read_to_string(app.config_file()).expect("config");
    assert_eq!(config.matches("enabled = false").count(), 1, "{config}");
    s.click("#lookup-form button[type=submit]");
    s.wait_text("#lookup-steps", "local: no match");
    assert!(
        !s.text("#lookup-steps").contains("shop"),
        "{}",
        s.text("#lookup-steps")
    );
    app.shot("settings-directory-switched-off");
}

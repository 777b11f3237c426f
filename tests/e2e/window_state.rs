//! The window remembers its size and place: moved and resized, closed to the tray (Ctrl+W,
//! the window process ends), it is saved in the window-state file, and the next window
//! (a second launch brings it up) opens at the same place with the same size, as the X
//! server reports it.

use super::app::DesktopApp;
use super::process::wait_until;
use std::time::Duration;

/// "WxH+X+Y" of the top-level X window titled `screenpop`, if there is one.
fn x_geometry(app: &DesktopApp) -> Option<String> {
    let out = crate::desktop::command_in(app.env(), "xwininfo")
        .args(["-name", "screenpop"])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let value = |key: &str| -> Option<String> {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(key).map(|v| v.trim().to_string()))
    };
    Some(format!(
        "{}x{}+{}+{}",
        value("Width:")?,
        value("Height:")?,
        value("Absolute upper-left X:")?,
        value("Absolute upper-left Y:")?
    ))
}

fn window_running(app: &DesktopApp) -> bool {
    app.processes()
        .iter()
        .any(|p| p.name.starts_with("screenpop-windo"))
}

#[test]
fn the_window_comes_back_as_big_and_where_it_was_left() {
    let app = DesktopApp::start("");
    let s = &app.session;
    s.set_rect(70, 50, 620, 580);
    let moved = wait_until(Duration::from_secs(10), || {
        x_geometry(&app).as_deref() == Some("620x580+70+50")
    });
    assert!(moved, "the window did not move: {:?}", x_geometry(&app));

    s.close_window();
    let closed = wait_until(Duration::from_secs(15), || !window_running(&app));
    assert!(closed, "the window process is still there");
    let home = app
        .env()
        .iter()
        .find(|(k, _)| k == "HOME")
        .map(|(_, v)| std::path::PathBuf::from(v))
        .expect("HOME");
    let file = home.join(".config/app.screenpop.desktop/.window-state.json");
    let state = std::fs::read_to_string(&file)
        .unwrap_or_else(|e| panic!("no window state at {}: {e}", file.display()));
    let state: serde_json::Value = serde_json::from_str(&state).expect("JSON");
    let main = &state["main"];
    assert_eq!(
        (main["width"].as_i64(), main["height"].as_i64()),
        (Some(620), Some(580)),
        "{state}"
    );

    let again = app.launch_again(&[]);
    assert!(again.status.success(), "{again:?}");
    let back = wait_until(Duration::from_secs(30), || {
        x_geometry(&app).as_deref() == Some("620x580+70+50")
    });
    assert!(
        back,
        "the window came back as {:?}, not 620x580+70+50",
        x_geometry(&app)
    );
}

//! The tray: an icon per state (`icons/tray-*.png`), and a menu whose first, disabled line is
//! the cause (AppIndicator trays show no tooltips), then Show call log, Do not disturb, Pause
//! auto-open, Settings, Quit. Built once with a builder; [`update`] follows the status.

use crate::events::UiEvent;
use crate::shell::Shell;
use crate::status::{Status, TrayState};
use crate::window;
use tauri::image::Image;
use tauri::menu::{CheckMenuItem, IsMenuItem, Menu, MenuEvent, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, Runtime};

const TRAY: &str = "screenpop";

/// What a menu entry does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MenuAction {
    ShowLog,
    ToggleDnd,
    TogglePauseAutoOpen,
    Settings,
    Quit,
}

/// Menu entries after the cause line: (id, label, action).
pub const ENTRIES: &[(&str, &str, MenuAction)] = &[
    ("show", "Show call log", MenuAction::ShowLog),
    ("dnd", "Do not disturb", MenuAction::ToggleDnd),
    ("pause", "Pause auto-open", MenuAction::TogglePauseAutoOpen),
    ("settings", "Settings…", MenuAction::Settings),
    ("quit", "Quit", MenuAction::Quit),
];

/// The action behind a menu id (the cause line has none).
pub fn action(id: &str) -> Option<MenuAction> {
    ENTRIES.iter().find(|(i, _, _)| *i == id).map(|e| e.2)
}

fn icon(state: TrayState) -> Image<'static> {
    match state {
        TrayState::Ok => tauri::include_image!("../icons/tray-ok.png"),
        TrayState::Degraded => tauri::include_image!("../icons/tray-degraded.png"),
        TrayState::Offline => tauri::include_image!("../icons/tray-offline.png"),
        TrayState::Dnd => tauri::include_image!("../icons/tray-dnd.png"),
    }
}

/// The menu items that change with the status.
struct Items<R: Runtime> {
    cause: MenuItem<R>,
    dnd: CheckMenuItem<R>,
    pause: CheckMenuItem<R>,
}

/// Builds the tray for `status`.
pub fn build<R: Runtime>(app: &AppHandle<R>, status: &Status) -> tauri::Result<()> {
    let cause = MenuItem::with_id(app, "cause", &status.cause, false, None::<&str>)?;
    let item = |i: usize| MenuItem::with_id(app, ENTRIES[i].0, ENTRIES[i].1, true, None::<&str>);
    let check = |i: usize, on: bool| {
        CheckMenuItem::with_id(app, ENTRIES[i].0, ENTRIES[i].1, true, on, None::<&str>)
    };
    let (show, dnd, pause) = (
        item(0)?,
        check(1, status.do_not_disturb)?,
        check(2, status.pause_auto_open)?,
    );
    let (settings, quit) = (item(3)?, item(4)?);
    let (line1, line2) = (
        PredefinedMenuItem::separator(app)?,
        PredefinedMenuItem::separator(app)?,
    );
    let items: [&dyn IsMenuItem<R>; 8] = [
        &cause, &line1, &show, &dnd, &pause, &settings, &line2, &quit,
    ];
    let menu = Menu::with_items(app, &items)?;
    TrayIconBuilder::with_id(TRAY)
        .icon(icon(status.state))
        .tooltip("screenpop")
        .menu(&menu)
        .on_menu_event(on_menu::<R>)
        .build(app)?;
    app.manage(Items { cause, dnd, pause });
    Ok(())
}

/// Follows a new status: icon, cause line, check marks. Queued to the main thread without
/// waiting, so a caller holding a lock never waits on the event loop.
pub fn update<R: Runtime>(app: &AppHandle<R>, status: &Status) {
    let (handle, status) = (app.clone(), status.clone());
    let queued = app.run_on_main_thread(move || apply(&handle, &status));
    if let Err(e) = queued {
        tracing::warn!(error = %e, "tray not updated");
    }
}

fn apply<R: Runtime>(app: &AppHandle<R>, status: &Status) {
    if let Some(tray) = app.tray_by_id(TRAY) {
        if let Err(e) = tray.set_icon(Some(icon(status.state))) {
            tracing::warn!(error = %e, "tray icon not updated");
        }
    }
    if let Some(items) = app.try_state::<Items<R>>() {
        let _ = items.cause.set_text(&status.cause);
        let _ = items.dnd.set_checked(status.do_not_disturb);
        let _ = items.pause.set_checked(status.pause_auto_open);
    }
}

fn on_menu<R: Runtime>(app: &AppHandle<R>, event: MenuEvent) {
    let Some(action) = action(event.id().as_ref()) else {
        return;
    };
    let shell = app.state::<Shell>();
    let navigate = |view: &str| {
        let event = UiEvent::Navigate { view: view.into() };
        if !shell.delivery.send(&event) {
            shell.delivery.queue(event);
        }
        if let Err(e) = window::show(app) {
            tracing::error!(error = %e, "cannot open the window");
        }
    };
    let status = shell.core.status();
    let flipped = match action {
        MenuAction::ShowLog => return navigate("log"),
        MenuAction::Settings => return navigate("settings"),
        MenuAction::ToggleDnd => shell
            .core
            .set_switch("do_not_disturb", !status.do_not_disturb),
        MenuAction::TogglePauseAutoOpen => shell
            .core
            .set_switch("pause_auto_open", !status.pause_auto_open),
        MenuAction::Quit => return quit(app),
    };
    if let Err(e) = flipped {
        tracing::warn!(error = %e, "switch not flipped");
        apply(app, &status);
    }
}

/// Quits cleanly: the core stops its sources and logs live calls, then the app exits.
pub fn quit<R: Runtime>(app: &AppHandle<R>) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        app.state::<Shell>().core.stop().await;
        tracing::info!("quit");
        app.exit(0);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn menu_has_the_issue_entries_in_order_and_the_cause_line_does_nothing() {
        let labels: Vec<&str> = ENTRIES.iter().map(|e| e.1).collect();
        assert_eq!(
            labels,
            [
                "Show call log",
                "Do not disturb",
                "Pause auto-open",
                "Settings…",
                "Quit"
            ]
        );
        assert_eq!(action("cause"), None);
        assert_eq!(action("dnd"), Some(MenuAction::ToggleDnd));
        assert_eq!(action("quit"), Some(MenuAction::Quit));
    }
}

//! The main window: created from its `tauri.conf.json` entry (`create: false`) when the window
//! process starts, brought to the front when the core says "show"; closing it ends the window
//! process (and the WebKit processes with it) while the core and tray run on.

use tauri::{AppHandle, Manager, Runtime, WebviewUrl, WebviewWindowBuilder};

/// The main window's label (capabilities grant our commands to it).
pub const MAIN: &str = "main";

/// Brings the main window up: focuses it if it exists, else builds it.
pub fn show<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    if let Some(window) = app.get_webview_window(MAIN) {
        window.show()?;
        window.unminimize()?;
        return window.set_focus();
    }
    let config = app
        .config()
        .app
        .windows
        .iter()
        .find(|w| w.label == MAIN)
        .cloned();
    let builder = match &config {
        Some(config) => WebviewWindowBuilder::from_config(app, config)?,
        None => WebviewWindowBuilder::new(app, MAIN, WebviewUrl::App("index.html".into()))
            .title("screenpop")
            .inner_size(440.0, 760.0),
    };
    let window = builder.build()?;
    tracing::info!("window created");
    window.set_focus()
}

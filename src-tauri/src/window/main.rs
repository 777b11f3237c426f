//! `screenpop-window`: the desktop app's window process (Tauri + WebKit) — greeting card,
//! call log, settings. `screenpop-desktop` starts it when the window is wanted and tells it
//! where the core listens (`SCREENPOP_DESKTOP_LINK`); it ends when the window is closed, so
//! the core + tray process never carries WebKit. Module map: [`link`] the core's link,
//! [`commands`] the page's commands, [`window`] the main window.

mod commands;
mod link;
mod window;

use anyhow::Context;
use screenpop_desktop::link::LINK_ENV;
use std::process::ExitCode;
use std::sync::Arc;
use tauri::{RunEvent, WindowEvent};

/// WebKitGTK's switch for accelerated compositing; `0` turns it back on.
const COMPOSITING_ENV: &str = "WEBKIT_DISABLE_COMPOSITING_MODE";

fn main() -> ExitCode {
    // A side panel of text and buttons needs no GPU layers, and without them the web process
    // stays ~60 MB smaller and no GL driver is loaded (BENCHMARKS.md, Desktop app). Set before
    // any thread exists; an agent who wants compositing sets the variable to 0.
    if std::env::var_os(COMPOSITING_ENV).is_none() {
        std::env::set_var(COMPOSITING_ENV, "1");
    }
    let filter = std::env::var("RUST_LOG")
        .unwrap_or_else(|_| "screenpop=info,screenpop_desktop=info,screenpop_window=info".into());
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .init();
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("screenpop-window: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run() -> anyhow::Result<()> {
    let socket = std::env::var_os(LINK_ENV).context(
        "this is the window of screenpop-desktop, which starts it: run screenpop-desktop",
    )?;
    let (link, incoming) = tauri::async_runtime::block_on(link::Link::connect(socket.as_ref()))
        .with_context(|| {
            format!(
                "cannot reach screenpop-desktop at {}",
                socket.to_string_lossy()
            )
        })?;
    let app = tauri::Builder::default()
        .plugin(
            tauri_plugin_window_state::Builder::new()
                .with_state_flags(
                    tauri_plugin_window_state::StateFlags::all()
                        - tauri_plugin_window_state::StateFlags::VISIBLE,
                )
                .build(),
        )
        .manage(Arc::clone(&link))
        .invoke_handler(commands::handler())
        .setup(move |app| {
            tauri::async_runtime::spawn(link.listen(incoming, app.handle().clone()));
            window::show(app.handle()).context("cannot open the main window")?;
            Ok(())
        })
        .build(tauri::generate_context!("../tauri.conf.json"))
        .context("cannot start the window")?;
    app.run(|app, event| {
        if let RunEvent::WindowEvent {
            label,
            event: WindowEvent::Destroyed,
            ..
        } = event
        {
            if label == window::MAIN {
                tracing::info!("window closed");
                app.exit(0);
            }
        }
    });
    Ok(())
}

//! screenpop-desktop: the Tauri shell over the screenpop core (DESIGN §2, §6).
//!
//! It starts the same `App` as `screenpop run` (same config, data, webhook), puts a tray
//! up, and shows the main window — greeting card, call log, settings — unless started with
//! `--hidden` (autostart does). Closing the window destroys the webview; the app lives on in
//! the tray until Quit. Module map: [`core`] the running core (no tauri), [`events`] the
//! engine→webview mapping, [`status`] the tray state, [`commands`] the IPC surface, [`shell`]
//! delivery, [`tray`], [`window`], [`deeplink`], [`error`].

mod commands;
mod core;
mod deeplink;
mod error;
mod events;
mod shell;
mod status;
#[cfg(test)]
mod tests;
mod tray;
mod window;

use anyhow::Context;
use screenpop::config::{Paths, Settings};
use screenpop::secrets::Keyring;
use shell::{Delivery, Shell};
use std::sync::Arc;
use tauri::{AppHandle, Manager, RunEvent, Runtime, WindowEvent};
use tauri_plugin_deep_link::DeepLinkExt;

fn main() -> std::process::ExitCode {
    let filter = std::env::var("RUST_LOG")
        .unwrap_or_else(|_| "screenpop=info,screenpop_desktop=info".into());
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .init();
    let hidden = std::env::args().skip(1).any(|a| a == "--hidden");
    match run(hidden) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("screenpop-desktop: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}

fn run(hidden: bool) -> anyhow::Result<()> {
    let paths = Paths::from_env().context("where does screenpop keep its config?")?;
    let app = tauri::Builder::default()
        // First, so a second launch is caught before anything else starts (and its tel:
        // argument reaches the deep-link handler of the running instance).
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            if let Err(e) = window::show(app) {
                tracing::error!(error = %e, "cannot show the window for a second launch");
            }
        }))
        .plugin(tauri_plugin_deep_link::init())
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            Some(vec!["--hidden"]),
        ))
        .plugin(
            tauri_plugin_window_state::Builder::new()
                .with_state_flags(
                    tauri_plugin_window_state::StateFlags::all()
                        - tauri_plugin_window_state::StateFlags::VISIBLE,
                )
                .build(),
        )
        .invoke_handler(commands::handler())
        .setup(move |app| {
            setup(app.handle(), paths.clone(), hidden)?;
            Ok(())
        })
        .build(tauri::generate_context!("../tauri.conf.json"))
        .context("cannot start the desktop app")?;
    app.run(|app, event| match event {
        // The last window closing must not end the app: it lives in the tray (Quit exits
        // with a code, which is let through).
        RunEvent::ExitRequested {
            code: None, api, ..
        } => api.prevent_exit(),
        RunEvent::WindowEvent {
            label,
            event: WindowEvent::Destroyed,
            ..
        } if label == window::MAIN => {
            app.state::<Shell>().delivery.detach();
            tracing::info!("window closed: webview destroyed, running in the tray");
            tauri::async_runtime::spawn(async {
                // WebKit frees the view's memory over the next moments; then hand it back.
                tokio::time::sleep(std::time::Duration::from_secs(2)).await;
                trim_heap();
            });
        }
        _ => {}
    });
    Ok(())
}

/// Returns freed heap to the OS (glibc keeps it in the process otherwise), so the tray-only
/// app shrinks back after its window is closed.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn trim_heap() {
    extern "C" {
        fn malloc_trim(pad: usize) -> i32;
    }
    // SAFETY: malloc_trim has no preconditions; it only releases memory glibc holds free.
    let released = unsafe { malloc_trim(0) };
    tracing::debug!(released, "heap trimmed");
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn trim_heap() {}

fn setup<R: Runtime>(app: &AppHandle<R>, paths: Paths, hidden: bool) -> anyhow::Result<()> {
    let delivery = Arc::new(Delivery::default());
    let sink = shell::sink(app.clone(), Arc::clone(&delivery));
    let core = core::Core::new(paths.clone(), Arc::new(Keyring), sink);
    tray::build(app, &core.status()).context("cannot create the tray icon")?;
    match Settings::load(&paths) {
        Ok(settings) => tauri::async_runtime::block_on(core.start(settings)),
        Err(e) => tracing::error!(error = %e, "config not loaded; fix it in Settings"),
    }
    app.manage(Shell { core, delivery });
    // SIGTERM/SIGINT (logout, `kill`) quit like the tray's Quit: live calls get logged.
    let handle = app.clone();
    tauri::async_runtime::spawn(async move {
        screenpop::daemon::signals().await;
        tray::quit(&handle);
    });
    deep_links(app);
    if !hidden {
        window::show(app).context("cannot open the main window")?;
    }
    tracing::info!(hidden, "tray ready");
    Ok(())
}

/// `tel:`/`sip:`/`callto:` links dial through the control source; a link that cannot be
/// dialled tells the agent why in the window.
fn deep_links<R: Runtime>(app: &AppHandle<R>) {
    #[cfg(target_os = "linux")]
    if let Err(e) = app.deep_link().register_all() {
        tracing::warn!(error = %e, "tel:/sip:/callto: handlers not registered");
    }
    let handle = app.clone();
    let dial = move |links: Vec<String>| {
        for target in links.iter().filter_map(|l| deeplink::dial_target(l)) {
            let handle = handle.clone();
            tauri::async_runtime::spawn(async move {
                let shell = handle.state::<Shell>();
                let placed = match shell.core.control() {
                    Ok(control) => control.dial(&target).await,
                    Err(e) => Err(e),
                };
                if let Err(e) = placed {
                    let notice = events::UiEvent::Notice {
                        message: format!("Could not call {target}: {e}"),
                    };
                    shell::sink(handle.clone(), Arc::clone(&shell.delivery))(notice);
                }
            });
        }
    };
    let on_open = dial.clone();
    app.deep_link()
        .on_open_url(move |event| on_open(event.urls().iter().map(|u| u.to_string()).collect()));
    if let Ok(Some(urls)) = app.deep_link().get_current() {
        dial(urls.iter().map(|u| u.to_string()).collect());
    }
}

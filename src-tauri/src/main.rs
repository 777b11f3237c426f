//! `screenpop-desktop [--hidden] [tel:…|sip:…|callto:…]`: the desktop app's core process —
//! the screenpop core, the tray, and the window on demand (see the library docs).
//!
//! Launched directly it opens its window; `--hidden` starts in the tray only (autostart uses
//! that). A second launch hands its arguments to the running instance and exits.

use anyhow::Context;
use screenpop::config::{Paths, Settings};
use screenpop::secrets::Keyring;
use screenpop_desktop::instance::{self, Claim};
use screenpop_desktop::shell::Shell;
use screenpop_desktop::window_process::{self, WindowProcess};
use screenpop_desktop::{deeplink, link, server, tray};
use std::process::ExitCode;
use std::sync::Arc;

const USAGE: &str = "usage: screenpop-desktop [--hidden] [tel:NUMBER|sip:URI|callto:NUMBER]

Starts screenpop's desktop app: the tray and the main window (greeting card, call log,
settings). --hidden starts in the tray only. A second launch shows the running app's window,
or dials the link it was given.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    if args.iter().any(|a| a == "--version" || a == "-V") {
        println!("screenpop-desktop {}", env!("CARGO_PKG_VERSION"));
        return ExitCode::SUCCESS;
    }
    if let Some(odd) = args.iter().find(|a| a.starts_with('-') && *a != "--hidden") {
        eprintln!("screenpop-desktop: unknown option {odd}\n\n{USAGE}");
        return ExitCode::from(2);
    }
    let filter = std::env::var("RUST_LOG")
        .unwrap_or_else(|_| "screenpop=info,screenpop_desktop=info".into());
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .init();
    // Before the runtime's threads exist: they would each get an arena otherwise.
    screenpop::memory::limit_arenas();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("screenpop-desktop: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("screenpop-desktop: {e:#}");
            ExitCode::from(2)
        }
    }
}

async fn run(args: Vec<String>) -> anyhow::Result<()> {
    let paths = Paths::from_env().context("where does screenpop keep its config?")?;
    let socket = link::socket(&paths);
    let listener = match instance::claim(&socket, &args)
        .await
        .with_context(|| format!("cannot listen on {}", socket.display()))?
    {
        Claim::Ours(listener) => listener,
        Claim::Running => {
            eprintln!("screenpop-desktop: already running; handed over to it");
            return Ok(());
        }
    };
    let window = WindowProcess::new(window_process::window_exe(), &socket);
    let shell = Arc::new(Shell::new(paths.clone(), Arc::new(Keyring), window));
    match Settings::load(&paths) {
        Ok(settings) => shell.core.start(settings).await,
        Err(e) => tracing::error!(error = %e, "config not loaded; fix it in Settings"),
    }
    let (clicks, mut menu) = tokio::sync::mpsc::unbounded_channel();
    let tray = tokio::spawn(tray::run(shell.status.clone(), clicks));
    let serving = tokio::spawn(server::serve(listener, Arc::clone(&shell)));
    tokio::task::spawn_blocking(|| match deeplink::register() {
        Ok(entry) => {
            tracing::debug!(entry = %entry.display(), "tel:/sip:/callto: handler registered")
        }
        Err(e) => tracing::warn!(error = %e, "tel:/sip:/callto: handler not registered"),
    });
    shell.launched(&args);
    tracing::info!(hidden = args.iter().any(|a| a == "--hidden"), "tray ready");
    loop {
        tokio::select! {
            Some(action) = menu.recv() => shell.menu(action).await,
            () = shell.quitting() => break,
            // SIGTERM/SIGINT (logout, `kill`) quit like the tray's Quit: live calls get logged.
            () = screenpop::daemon::signals() => break,
        }
    }
    tracing::info!("quitting");
    shell.shut_down().await;
    serving.abort();
    tray.abort();
    let _ = std::fs::remove_file(&socket);
    Ok(())
}

//! Generated from the CLI definition itself, so they never drift from it: man pages
//! (clap_mangen) for `screenpop`, every subcommand and `screenpop-desktop`, and shell
//! completions (clap_complete). `make package` runs `screenpop manpages DIR` and
//! `screenpop completions SHELL`; the latter is also for users (`source <(screenpop
//! completions bash)`).

use anyhow::{Context, Result};
use clap::{Arg, ArgAction, Command};
use std::path::Path;

/// Writes `screenpop.1`, `screenpop-<sub>.1` (nested: `screenpop-contacts-import.1`) and
/// `screenpop-desktop.1` into `dir`.
pub fn manpages(cli: Command, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut cli = cli;
    cli.build();
    write_tree(&cli, "screenpop", dir)?;
    write_page(&desktop_command(), dir)
}

fn write_tree(command: &Command, name: &str, dir: &Path) -> Result<()> {
    // clap names are `&'static str`; a one-shot generator may leak a few.
    let static_name: &'static str = Box::leak(name.to_string().into_boxed_str());
    let page = command
        .clone()
        .name(static_name)
        .bin_name(name.replace('-', " "));
    write_page(&page, dir)?;
    for sub in command.get_subcommands() {
        if sub.is_hide_set() || sub.get_name() == "help" {
            continue;
        }
        write_tree(sub, &format!("{name}-{}", sub.get_name()), dir)?;
    }
    Ok(())
}

fn write_page(command: &Command, dir: &Path) -> Result<()> {
    let path = dir.join(format!("{}.1", command.get_name()));
    let mut out = Vec::new();
    clap_mangen::Man::new(command.clone())
        .source(format!("screenpop {}", screenpop::version::VERSION))
        .manual("screenpop manual")
        .render(&mut out)?;
    std::fs::write(&path, out).with_context(|| format!("cannot write {}", path.display()))
}

/// `screenpop-desktop`'s arguments (it parses them by hand; this describes the same).
fn desktop_command() -> Command {
    Command::new("screenpop-desktop")
        .version(screenpop::version::LONG)
        .about("screenpop's desktop app: tray, greeting card, call log and settings")
        .long_about(
            "Starts screenpop's desktop app: the tray and the main window (greeting card, call \
             log, settings). It runs the same core as `screenpop run` (same config, database and \
             webhook). A second launch shows the running app's window, or dials the link it \
             was given. The window itself is a separate process (screenpop-window), started on \
             demand.",
        )
        .arg(
            Arg::new("hidden")
                .long("hidden")
                .action(ArgAction::SetTrue)
                .help("Start in the tray only (what autostart uses)"),
        )
        .arg(
            Arg::new("link")
                .value_name("tel:NUMBER|sip:URI|callto:NUMBER")
                .help("A call link to dial (the desktop passes clicked tel:/sip:/callto: links)"),
        )
}

/// Prints `shell`'s completion script for `screenpop` on stdout.
pub fn completions(cli: Command, shell: clap_complete::Shell) -> Result<()> {
    use std::io::Write;
    let mut cli = cli;
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cli, "screenpop", &mut script);
    match std::io::stdout().write_all(&script) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("cannot write the completion script"),
    }
}

//! What the tray and the window header say about screenpop's health: one of four states and
//! a cause line ("Directory hubspot: timed out after 800 ms"). Pure, so every case is tested.
//!
//! Linux AppIndicator trays show no tooltips, so the cause is the tray menu's first, disabled
//! line; the icon is `icons/tray-<state>.png`.

use screenpop::event::Health;
use serde::Serialize;

/// The tray's icon state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TrayState {
    /// Every source and directory answers.
    Ok,
    /// Something is down or reconnecting; pops still work with what is left.
    Degraded,
    /// No source can deliver calls (or the core could not start).
    Offline,
    /// Do not disturb: calls are logged, nothing pops.
    Dnd,
}

/// The cause shown while no source has reported (none configured, or none started yet).
pub const NO_SOURCE_YET: &str = "No call source connected yet";

/// State, cause line and switches, as the tray and the window header show them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Status {
    pub state: TrayState,
    pub cause: String,
    pub do_not_disturb: bool,
    pub pause_auto_open: bool,
}

impl Status {
    /// Before the core has said anything.
    pub fn starting() -> Self {
        status(&Inputs {
            failure: Some("starting…"),
            ..Inputs::default()
        })
    }
}

/// Everything the status is computed from.
#[derive(Debug, Default)]
pub struct Inputs<'a> {
    pub sources: &'a [(String, Health)],
    pub directories: &'a [(String, Health)],
    pub do_not_disturb: bool,
    pub pause_auto_open: bool,
    /// Why the core is not running, if it is not.
    pub failure: Option<&'a str>,
}

fn problem(kind: &str, name: &str, health: &Health) -> Option<String> {
    match health {
        Health::Up => None,
        Health::Connecting => Some(format!("{kind} {name}: connecting…")),
        Health::Down(reason) => Some(format!("{kind} {name}: {reason}")),
    }
}

/// Computes the status: offline beats do-not-disturb beats degraded beats ok for the icon;
/// the cause line always names the first problem (and how many more there are).
pub fn status(inputs: &Inputs<'_>) -> Status {
    let switches = |state, cause: String| Status {
        state,
        cause,
        do_not_disturb: inputs.do_not_disturb,
        pause_auto_open: inputs.pause_auto_open,
    };
    if let Some(failure) = inputs.failure {
        return switches(TrayState::Offline, format!("Not running: {failure}"));
    }
    let all_sources_down = !inputs.sources.is_empty()
        && inputs
            .sources
            .iter()
            .all(|(_, h)| matches!(h, Health::Down(_)));
    let problems: Vec<String> = inputs
        .sources
        .iter()
        .filter_map(|(n, h)| problem("Source", n, h))
        .chain(
            inputs
                .directories
                .iter()
                .filter_map(|(n, h)| problem("Directory", n, h)),
        )
        .collect();
    let mut cause = match problems.as_slice() {
        [] if inputs.sources.is_empty() => NO_SOURCE_YET.to_string(),
        [] => format!(
            "All sources up ({})",
            inputs
                .sources
                .iter()
                .map(|(n, _)| n.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        [one] => one.clone(),
        [first, rest @ ..] => format!("{first} (+{} more)", rest.len()),
    };
    // No source at all (the webhook switched off, nothing configured): no call can arrive.
    // Do-not-disturb is the agent's own choice and shows as such unless every source is down.
    let state = if all_sources_down {
        TrayState::Offline
    } else if inputs.do_not_disturb {
        TrayState::Dnd
    } else if inputs.sources.is_empty() {
        TrayState::Offline
    } else if problems.is_empty() {
        TrayState::Ok
    } else {
        TrayState::Degraded
    };
    if inputs.do_not_disturb {
        cause = format!("Do not disturb · {cause}");
    }
    switches(state, cause)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_source_at_all_is_offline_not_green() {
        let s = status(&Inputs::default());
        assert_eq!(s.state, TrayState::Offline);
        assert_eq!(s.cause, "No call source connected yet");
    }

    #[test]
    fn a_webhook_disabled_for_want_of_a_keyring_says_so() {
        let s = status(&Inputs {
            sources: &[(
                "webhook".into(),
                Health::Down("disabled: no keyring for its token".into()),
            )],
            ..Inputs::default()
        });
        assert_eq!(s.state, TrayState::Offline);
        assert_eq!(
            s.cause,
            "Source webhook: disabled: no keyring for its token"
        );
    }

    fn up(name: &str) -> (String, Health) {
        (name.into(), Health::Up)
    }

    fn down(name: &str, why: &str) -> (String, Health) {
        (name.into(), Health::Down(why.into()))
    }

    #[test]
    fn all_up_is_ok_and_names_the_sources() {
        let s = status(&Inputs {
            sources: &[up("webhook")],
            directories: &[up("local")],
            ..Default::default()
        });
        assert_eq!(s.state, TrayState::Ok);
        assert_eq!(s.cause, "All sources up (webhook)");
    }

    #[test]
    fn failing_crm_degrades_and_is_the_cause_line() {
        let s = status(&Inputs {
            sources: &[up("webhook")],
            directories: &[up("local"), down("hubspot", "timeout")],
            ..Default::default()
        });
        assert_eq!(s.state, TrayState::Degraded);
        assert_eq!(s.cause, "Directory hubspot: timeout");
    }

    #[test]
    fn several_problems_name_the_first_and_count_the_rest() {
        let s = status(&Inputs {
            sources: &[up("webhook"), ("baresip".into(), Health::Connecting)],
            directories: &[down("hubspot", "401")],
            ..Default::default()
        });
        assert_eq!(s.cause, "Source baresip: connecting… (+1 more)");
    }

    #[test]
    fn every_source_down_is_offline_even_in_dnd() {
        let s = status(&Inputs {
            sources: &[down("webhook", "port taken")],
            do_not_disturb: true,
            ..Default::default()
        });
        assert_eq!(s.state, TrayState::Offline);
        assert_eq!(s.cause, "Do not disturb · Source webhook: port taken");
    }

    #[test]
    fn dnd_wins_over_degraded_and_keeps_the_cause() {
        let s = status(&Inputs {
            sources: &[up("webhook")],
            directories: &[down("hubspot", "timeout")],
            do_not_disturb: true,
            pause_auto_open: true,
            ..Default::default()
        });
        assert_eq!(s.state, TrayState::Dnd);
        assert!(s.cause.starts_with("Do not disturb · Directory hubspot"));
        assert!(s.pause_auto_open);
    }

    #[test]
    fn core_that_did_not_start_is_offline_with_its_reason() {
        let s = status(&Inputs {
            failure: Some("cannot listen on 127.0.0.1:17321"),
            ..Default::default()
        });
        assert_eq!(s.state, TrayState::Offline);
        assert_eq!(s.cause, "Not running: cannot listen on 127.0.0.1:17321");
    }
}

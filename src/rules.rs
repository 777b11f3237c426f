//! Routing rules: what to do with a call once we know who is calling (the seed's "if the
//! customer is a VIP, transfer the call to the manager and show a VIP alert").
//!
//! `[[rule]]` tables, in order, each with `when` conditions (all must hold: `vip`, `unknown`,
//! `prefix`, `pattern`, `hours`, `directory`, `direction` — inbound calls only unless said
//! otherwise) and actions (`transfer`, `urgent`, `auto_open`, `silent`, `tag`). `[rules] match`
//! says whether the first matching rule decides (default) or every matching rule applies.
//! Without any `[[rule]]` the seed's VIP rule is in force — transfer VIPs to `[rules] manager`,
//! urgent, tagged `vip` — and stays off until a manager is set. The engine asks
//! [`Rulebook::decide`] right after the lookup lands; `screenpop rules test` shows
//! [`Rulebook::explain`]. Pure: no I/O, no clock (the caller passes the local time).

mod checks;
mod config;
pub mod hours;

use crate::event::Direction;
use crate::model::Customer;
use crate::phone::Remote;
use checks::checks;
use chrono::NaiveDateTime;
pub use config::{validate, MatchMode, RuleConfig, RulesSettings, Towards, When};
pub use hours::Hours;
use serde::Serialize;

/// Everything a rule can look at for one call.
#[derive(Debug, Clone)]
pub struct Facts<'a> {
    pub direction: Direction,
    /// The number as the source sent it.
    pub number: &'a str,
    pub remote: &'a Remote,
    /// The best match, if any directory knew the caller.
    pub customer: Option<&'a Customer>,
    /// The machine's local time when the call is decided.
    pub local_time: NaiveDateTime,
}

/// One condition's result, worded for `rules test`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    pub condition: String,
    pub holds: bool,
    pub why: String,
}

/// One rule's result for one call.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    pub rule: String,
    pub enabled: bool,
    /// All conditions hold.
    pub matched: bool,
    /// It applies (enabled, matched, and not shadowed by an earlier rule in `first` mode).
    pub fires: bool,
    pub checks: Vec<Check>,
    pub actions: Vec<String>,
    /// Why it does not fire although it matched, or why it is off.
    pub note: Option<String>,
}

/// Where a rule's transfer stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state", content = "reason")]
pub enum TransferState {
    Pending,
    Done,
    Failed(String),
    Skipped(String),
}

/// A transfer a rule asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Transfer {
    pub target: String,
    pub rule: String,
    pub state: TransferState,
}

/// What the rules decided for one call; carried on the call's view and into the call log.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Routing {
    /// Names of the rules that fired, in order.
    pub rules: Vec<String>,
    pub urgent: bool,
    pub silent: bool,
    pub auto_open: bool,
    pub tags: Vec<String>,
    pub transfer: Option<Transfer>,
    /// One line per fired rule besides the transfer ("urgent, tag vip by rule VIP").
    pub decisions: Vec<String>,
}

impl Routing {
    /// The call-log wording of every decision, `; `-separated.
    pub fn log_line(&self) -> String {
        let mut lines = Vec::new();
        if let Some(t) = &self.transfer {
            lines.push(match &t.state {
                TransferState::Pending => {
                    format!("transferring to {} by rule {}", t.target, t.rule)
                }
                TransferState::Done => format!("transferred to {} by rule {}", t.target, t.rule),
                TransferState::Failed(why) => {
                    format!("transfer to {} by rule {} failed: {why}", t.target, t.rule)
                }
                TransferState::Skipped(why) => {
                    format!("not transferred to {} by rule {}: {why}", t.target, t.rule)
                }
            });
        }
        lines.extend(self.decisions.iter().cloned());
        lines.join("; ")
    }

    /// Whether a rule's transfer went through.
    pub fn transferred(&self) -> bool {
        self.transfer
            .as_ref()
            .is_some_and(|t| t.state == TransferState::Done)
    }
}

#[derive(Debug, Clone)]
struct Rule {
    name: String,
    config: RuleConfig,
    /// Why an enabled-looking rule is off (the built-in VIP rule without a manager).
    off: Option<String>,
}

/// The configured rules, ready to decide.
#[derive(Debug, Clone, Default)]
pub struct Rulebook {
    mode: MatchMode,
    rules: Vec<Rule>,
}

/// Name of the built-in rule.
pub const VIP_RULE: &str = "VIP";

impl Rulebook {
    /// The rules `[rules]` and `[[rule]]` describe (the seed's VIP rule when there are none).
    pub fn new(settings: &RulesSettings, configs: &[RuleConfig]) -> Self {
        let rules = if configs.is_empty() {
            let manager = settings.manager.clone().filter(|m| !m.trim().is_empty());
            vec![Rule {
                name: VIP_RULE.into(),
                off: manager
                    .is_none()
                    .then(|| "built-in; off until [rules] manager is set".to_string()),
                config: RuleConfig {
                    name: Some(VIP_RULE.into()),
                    enabled: true,
                    when: When {
                        vip: Some(true),
                        ..When::default()
                    },
                    transfer: manager,
                    urgent: true,
                    tag: Some("vip".into()),
                    ..RuleConfig::default()
                },
            }]
        } else {
            configs
                .iter()
                .enumerate()
                .map(|(i, c)| Rule {
                    name: c.name.clone().unwrap_or_else(|| format!("rule {}", i + 1)),
                    config: c.clone(),
                    off: (!c.enabled).then(|| "enabled = false".to_string()),
                })
                .collect()
        };
        Self {
            mode: settings.mode,
            rules,
        }
    }

    /// One line per rule for `config check`: its name, and why it is off if it is.
    pub fn describe(&self) -> Vec<String> {
        self.rules
            .iter()
            .map(|r| match &r.off {
                Some(why) => format!("{} (off: {why})", r.name),
                None => r.name.clone(),
            })
            .collect()
    }

    /// Whether any rule could ever fire.
    pub fn is_active(&self) -> bool {
        self.rules.iter().any(|r| r.off.is_none())
    }

    /// Every rule's verdict for `facts`, in order.
    pub fn explain(&self, facts: &Facts) -> Vec<Verdict> {
        let mut decided = false;
        self.rules
            .iter()
            .map(|rule| {
                let checks = checks(&rule.config.when, facts);
                let matched = checks.iter().all(|c| c.holds);
                let enabled = rule.off.is_none();
                let shadowed = decided && self.mode == MatchMode::First;
                let fires = enabled && matched && !shadowed;
                decided |= fires;
                let note = match (&rule.off, matched && shadowed && enabled) {
                    (Some(off), _) => Some(off.clone()),
                    (None, true) => {
                        Some("an earlier rule already decided ([rules] match = \"first\")".into())
                    }
                    _ => None,
                };
                Verdict {
                    rule: rule.name.clone(),
                    enabled,
                    matched,
                    fires,
                    checks,
                    actions: action_words(&rule.config),
                    note,
                }
            })
            .collect()
    }

    /// What to do with the call: the fired rules' actions combined.
    pub fn decide(&self, facts: &Facts) -> Routing {
        let mut routing = Routing::default();
        for (verdict, rule) in self.explain(facts).iter().zip(&self.rules) {
            if !verdict.fires {
                continue;
            }
            let c = &rule.config;
            routing.rules.push(rule.name.clone());
            routing.urgent |= c.urgent;
            routing.silent |= c.silent;
            routing.auto_open |= c.auto_open;
            routing.tags.extend(c.tag.clone());
            let mut words: Vec<String> = action_words(c)
                .into_iter()
                .filter(|w| !w.starts_with("transfer"))
                .collect();
            if let Some(target) = &c.transfer {
                match &routing.transfer {
                    None => {
                        routing.transfer = Some(Transfer {
                            target: target.clone(),
                            rule: rule.name.clone(),
                            state: TransferState::Pending,
                        })
                    }
                    Some(first) => words.push(format!(
                        "no transfer to {target} (rule {} already transfers)",
                        first.rule
                    )),
                }
            }
            if !words.is_empty() {
                routing
                    .decisions
                    .push(format!("{} by rule {}", words.join(", "), rule.name));
            }
        }
        routing
    }
}

fn action_words(c: &RuleConfig) -> Vec<String> {
    let mut words = Vec::new();
    if let Some(t) = &c.transfer {
        words.push(format!("transfer to {t}"));
    }
    for (on, word) in [
        (c.urgent, "urgent"),
        (c.auto_open, "auto-open"),
        (c.silent, "silent"),
    ] {
        if on {
            words.push(word.to_string());
        }
    }
    if let Some(tag) = &c.tag {
        words.push(format!("tag {tag}"));
    }
    words
}

#[cfg(test)]
mod tests;

//! What a pop says: the pure mapping from a [`CallView`] to a [`Greeting`].
//!
//! Known caller: "Welcome back Lisa" with company, VIP and note; several matches: "Lisa
//! Simpson +1 more"; unknown: the formatted number, "New caller", and a Create contact action;
//! late lookup: "Looking up…"; missed: "Missed call" with Call back. Bodies are escaped
//! markup; summaries are plain text (the freedesktop spec; dunst shows them literally).

use super::markup::escape;
use super::Intent;
use crate::engine::{CallView, LookupState};
use crate::event::Direction;
use crate::phone::Remote;
use crate::rules::TransferState;

/// The notification to show for a call.
#[derive(Debug, Clone, PartialEq)]
pub struct Greeting {
    /// Plain text (servers do not interpret markup here).
    pub summary: String,
    /// Body in notification markup (already escaped).
    pub body: String,
    pub urgent: bool,
    /// `(action key, label, what it does)`; the key `default` is a plain click.
    pub actions: Vec<(String, String, Intent)>,
}

/// The pop for a ringing or answered call, with what the routing rules decided.
pub fn greeting(view: &CallView) -> Greeting {
    let mut g = plain_greeting(view);
    g.urgent |= view.routing.urgent;
    if let Some(t) = &view.routing.transfer {
        let line = match &t.state {
            TransferState::Pending => format!("→ transferring to {} (rule {})", t.target, t.rule),
            TransferState::Done => format!("→ transferred to {} (rule {})", t.target, t.rule),
            TransferState::Failed(_) | TransferState::Skipped(_) => {
                format!("transfer to {} failed (rule {})", t.target, t.rule)
            }
        };
        g.body.push('\n');
        g.body.push_str(&escape(&line));
    }
    g
}

fn plain_greeting(view: &CallView) -> Greeting {
    let number = view.remote.display();
    match &view.lookup {
        LookupState::Pending => Greeting {
            summary: view.title_name(),
            body: format!("Looking up…\n{}", escape(&number)),
            urgent: false,
            actions: Vec::new(),
        },
        LookupState::Done { matches, .. } if !matches.is_empty() => {
            let c = &matches[0];
            let more = matches.len() - 1;
            let who = if more == 0 {
                c.first_name().to_string()
            } else {
                format!("{} +{more} more", c.name)
            };
            let summary = match view.direction {
                Direction::Inbound => format!("Welcome back {who}"),
                Direction::Outbound => format!("Calling {who}"),
            };
            let mut lines = Vec::new();
            let mut head = Vec::new();
            if c.vip {
                head.push("<b>★ VIP</b>".to_string());
            }
            head.push(escape(&c.name));
            if let Some(company) = c.company.as_deref().filter(|s| !s.is_empty()) {
                head.push(escape(company));
            }
            lines.push(head.join(" · "));
            if let Some(note) = c.note.as_deref().filter(|s| !s.is_empty()) {
                lines.push(format!("<i>{}</i>", escape(note)));
            }
            lines.push(escape(&number));
            let actions = c
                .url
                .iter()
                .map(|u| {
                    (
                        "default".to_string(),
                        "Open profile".to_string(),
                        Intent::OpenProfile { url: u.clone() },
                    )
                })
                .collect();
            Greeting {
                summary,
                body: lines.join("\n"),
                urgent: c.vip,
                actions,
            }
        }
        _ => unknown(view, &number),
    }
}

fn unknown(view: &CallView, number: &str) -> Greeting {
    let mut body = match view.direction {
        Direction::Inbound => "New caller".to_string(),
        Direction::Outbound => "Outgoing call".to_string(),
    };
    if let Some(name) = &view.remote_name {
        body.push_str(&format!(" · {}", escape(name)));
    }
    let actions = create_contact(view)
        .map(|i| vec![("default".to_string(), "Create contact".to_string(), i)])
        .unwrap_or_default();
    Greeting {
        summary: number.to_string(),
        body,
        urgent: false,
        actions,
    }
}

/// The pop left behind by an unanswered inbound call.
pub fn missed(view: &CallView) -> Greeting {
    let number = view.remote.display();
    let when = view
        .started_at
        .with_timezone(&chrono::Local)
        .format("%H:%M");
    let mut body = vec![escape(&number)];
    if let Some(c) = view.customer() {
        if let Some(note) = c.note.as_deref().filter(|s| !s.is_empty()) {
            body.push(format!("<i>{}</i>", escape(note)));
        }
    }
    body.push(format!("Rang at {when}"));
    let mut actions = Vec::new();
    let call_back = callable(view).map(|n| Intent::Dial { number: n });
    match view.customer() {
        Some(c) => {
            if let Some(url) = &c.url {
                actions.push((
                    "default".into(),
                    "Open profile".into(),
                    Intent::OpenProfile { url: url.clone() },
                ));
            }
            if let Some(i) = call_back {
                actions.push(("callback".into(), "Call back".into(), i));
            }
        }
        None => {
            if let Some(i) = call_back {
                actions.push(("default".into(), "Call back".into(), i));
            }
            if let Some(i) = create_contact(view) {
                actions.push(("create".into(), "Create contact".into(), i));
            }
        }
    }
    Greeting {
        summary: format!("Missed call: {}", view.title_name()),
        body: body.join("\n"),
        urgent: view.customer().is_some_and(|c| c.vip),
        actions,
    }
}

fn callable(view: &CallView) -> Option<String> {
    match &view.remote {
        Remote::Number(n) => Some(n.e164.clone().unwrap_or_else(|| n.digits.clone())),
        _ => None,
    }
}

fn create_contact(view: &CallView) -> Option<Intent> {
    let number = callable(view)?;
    let url = match &view.lookup {
        LookupState::Done {
            create_contact_url, ..
        } => create_contact_url.clone(),
        _ => None,
    };
    Some(Intent::CreateContact {
        number,
        name: view.remote_name.clone(),
        url,
    })
}

#[cfg(test)]
mod tests;

//! What an AMI message says about one channel: whose it is (an agent's [`Extension`], or any
//! extension's device under [`Follow::Every`]), who is on it (a [`Party`]: caller id number
//! and name, `<unknown>` meaning none), and the small field readers the call tracker needs.
//! Pure.

use super::wire::Message;

/// Which channels are the agent's: `201` matches `PJSIP/201-…`, `SIP/201-…` (any technology);
/// `PJSIP/201` only that technology.
#[derive(Debug, Clone)]
pub struct Extension {
    pub(super) tech: Option<String>,
    pub(super) resource: String,
}

impl Extension {
    /// Reads the configured `extension`.
    pub fn parse(configured: &str) -> Self {
        let configured = configured.trim();
        match configured.split_once('/') {
            Some((tech, resource)) => Self {
                tech: Some(tech.to_string()),
                resource: resource.to_string(),
            },
            None => Self {
                tech: None,
                resource: configured.to_string(),
            },
        }
    }

    /// The extension's number (`201`).
    pub fn number(&self) -> &str {
        &self.resource
    }

    /// A device channel of this extension (not a `Local/` helper).
    pub fn owns(&self, channel: &str) -> bool {
        let Some((tech, rest)) = channel.split_once('/') else {
            return false;
        };
        if tech.eq_ignore_ascii_case("Local") {
            return false;
        }
        let resource = rest.rsplit_once('-').map_or(rest, |(r, _)| r);
        resource == self.resource
            && self
                .tech
                .as_deref()
                .is_none_or(|t| t.eq_ignore_ascii_case(tech))
    }
}

/// Which extensions a tracker follows.
#[derive(Debug, Clone)]
pub enum Follow {
    /// One agent's desk (`[[source]] kind = "ami"` with `extension`).
    One(Extension),
    /// Every extension on the PBX (no `extension`: the relay's feed). A device channel
    /// belongs to an extension when its resource is a plain number of up to
    /// [`MAX_EXTENSION_DIGITS`] digits (`PJSIP/201-…`, `SIP/4711-…`, `IAX2/30-…`); trunks
    /// (`PJSIP/provider-…`), `Local/` helpers and DAHDI ports are nobody's.
    Every,
}

/// Longer numeric resources are taken for trunks named after their number.
pub const MAX_EXTENSION_DIGITS: usize = 10;

impl Follow {
    /// From the configured `extension`: `None` follows every extension.
    pub fn from_config(extension: Option<&str>) -> Self {
        match extension.map(str::trim).filter(|e| !e.is_empty()) {
            Some(e) => Follow::One(Extension::parse(e)),
            None => Follow::Every,
        }
    }

    /// Whether this follows every extension (floor mode).
    pub fn is_every(&self) -> bool {
        matches!(self, Follow::Every)
    }

    /// The extension (number) whose device `channel` is, if it is one this tracker follows.
    pub fn owner<'a>(&'a self, channel: &'a str) -> Option<&'a str> {
        match self {
            Follow::One(ext) => ext.owns(channel).then_some(ext.resource.as_str()),
            Follow::Every => device_extension(channel),
        }
    }
}

/// `PJSIP/201-0000000a` → `201`: the extension of a device channel, if it looks like one.
pub fn device_extension(channel: &str) -> Option<&str> {
    let (tech, rest) = channel.split_once('/')?;
    if tech.eq_ignore_ascii_case("Local") || tech.eq_ignore_ascii_case("DAHDI") {
        return None;
    }
    let resource = rest.rsplit_once('-').map_or(rest, |(r, _)| r);
    let numeric = !resource.is_empty()
        && resource.len() <= MAX_EXTENSION_DIGITS
        && resource.bytes().all(|b| b.is_ascii_digit());
    numeric.then_some(resource)
}

/// `Local/201@from-queue-00000001;1` → `201`: the extension a `Local/` helper leads to.
pub(super) fn local_target(channel: &str) -> Option<&str> {
    let rest = channel.strip_prefix("Local/")?;
    let (exten, _) = rest.split_once('@')?;
    Some(exten)
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Party {
    pub(super) number: String,
    pub(super) name: Option<String>,
}

impl Party {
    pub(super) fn from(msg: &Message, prefix: &str, which: &str) -> Self {
        let field = |suffix: &str| msg.get(&format!("{prefix}{which}{suffix}"));
        Party {
            number: clean(field("Num")).unwrap_or_default(),
            name: clean(field("Name")),
        }
    }

    pub(super) fn known(&self) -> bool {
        !self.number.is_empty()
    }
}

/// Asterisk writes `<unknown>` (or nothing) where it has no caller id.
pub(super) fn clean(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty() && !v.eq_ignore_ascii_case("<unknown>"))
        .map(str::to_string)
}

/// What the agent dialled: the dialplan extension when it is a number, else the dial string.
pub(super) fn outbound_target(msg: &Message) -> Party {
    let dialable = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '+' | '*' | '#'))
    };
    let number = msg
        .get("Exten")
        .filter(|e| dialable(e))
        .map(str::to_string)
        .or_else(|| {
            let dial = msg.get("DialString")?;
            let tail = dial.rsplit('/').next().unwrap_or(dial);
            let user = tail.split('@').next().unwrap_or(tail);
            dialable(user).then(|| user.to_string())
        })
        .or_else(|| clean(msg.get("DestCallerIDNum")))
        .unwrap_or_default();
    Party {
        number,
        name: clean(msg.get("DestCallerIDName")),
    }
}

/// `Duration: 00:01:05` (or plain seconds) → seconds.
pub(super) fn duration_secs(text: &str) -> i64 {
    text.split(':')
        .try_fold(0i64, |acc, part| {
            part.trim()
                .parse::<i64>()
                .ok()
                .map(|n| acc.saturating_mul(60).saturating_add(n))
        })
        .unwrap_or(0)
        .clamp(0, 86_400)
}

//! The tray: a StatusNotifierItem on the session bus (`ksni`, pure D-Bus — no GTK, no WebKit
//! in the core process), with an icon per state (`icons/tray-*.png`) and a menu whose first,
//! disabled line is the cause (AppIndicator trays show no tooltips), then Show call log, Do
//! not disturb, Pause auto-open, Settings, Quit. A left click shows the call log.
//!
//! Menu clicks become [`MenuAction`]s on a channel; the status arrives on a watch channel.

use crate::status::{Status, TrayState};
use ksni::menu::{CheckmarkItem, MenuItem, StandardItem};
use ksni::{Icon, ToolTip, TrayMethods};
use std::sync::OnceLock;
use tokio::sync::{mpsc, watch};

/// What a menu entry does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MenuAction {
    ShowLog,
    ToggleDnd,
    TogglePauseAutoOpen,
    Settings,
    Quit,
}

/// Menu entries after the cause line: (label, action).
pub const ENTRIES: &[(&str, MenuAction)] = &[
    ("Show call log", MenuAction::ShowLog),
    ("Do not disturb", MenuAction::ToggleDnd),
    ("Pause auto-open", MenuAction::TogglePauseAutoOpen),
    ("Settings…", MenuAction::Settings),
    ("Quit", MenuAction::Quit),
];

/// The tray item as the bus sees it.
pub struct Tray {
    status: Status,
    actions: mpsc::UnboundedSender<MenuAction>,
}

/// PNG → the ARGB32 (network byte order) pixmap the StatusNotifierItem spec wants.
fn pixmap(png_bytes: &[u8]) -> Option<Icon> {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::ALPHA);
    let mut reader = decoder.read_info().ok()?;
    let mut rgba = vec![0; reader.output_buffer_size()?];
    let info = reader.next_frame(&mut rgba).ok()?;
    if info.color_type != png::ColorType::Rgba || info.bit_depth != png::BitDepth::Eight {
        return None;
    }
    let data = rgba[..info.buffer_size()]
        .chunks_exact(4)
        .flat_map(|p| [p[3], p[0], p[1], p[2]])
        .collect();
    Some(Icon {
        width: i32::try_from(info.width).ok()?,
        height: i32::try_from(info.height).ok()?,
        data,
    })
}

fn icon(state: TrayState) -> Vec<Icon> {
    static ICONS: OnceLock<[Option<Icon>; 4]> = OnceLock::new();
    let icons = ICONS.get_or_init(|| {
        [
            pixmap(include_bytes!("../../icons/tray-ok.png")),
            pixmap(include_bytes!("../../icons/tray-degraded.png")),
            pixmap(include_bytes!("../../icons/tray-offline.png")),
            pixmap(include_bytes!("../../icons/tray-dnd.png")),
        ]
    });
    let index = match state {
        TrayState::Ok => 0,
        TrayState::Degraded => 1,
        TrayState::Offline => 2,
        TrayState::Dnd => 3,
    };
    icons[index].iter().cloned().collect()
}

/// The tooltip's description allows a subset of HTML: the cause (it may quote a CRM's error)
/// is escaped.
fn escape_markup(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

impl Tray {
    fn send(&self, action: MenuAction) {
        if self.actions.send(action).is_err() {
            tracing::warn!(?action, "tray click after the app stopped listening");
        }
    }
}

impl ksni::Tray for Tray {
    fn id(&self) -> String {
        "screenpop".into()
    }

    fn title(&self) -> String {
        "screenpop".into()
    }

    fn activate(&mut self, _x: i32, _y: i32) {
        self.send(MenuAction::ShowLog);
    }

    fn icon_name(&self) -> String {
        // Themes that prefer names get none of ours; the pixmap is what shows.
        String::new()
    }

    fn icon_pixmap(&self) -> Vec<Icon> {
        icon(self.status.state)
    }

    fn tool_tip(&self) -> ToolTip {
        ToolTip {
            title: "screenpop".into(),
            description: escape_markup(&self.status.cause),
            ..Default::default()
        }
    }

    fn menu(&self) -> Vec<MenuItem<Self>> {
        let action = |i: usize| {
            let action = ENTRIES[i].1;
            Box::new(move |tray: &mut Self| tray.send(action)) as Box<dyn Fn(&mut Self) + Send>
        };
        let check = |i: usize, checked: bool| {
            CheckmarkItem {
                label: ENTRIES[i].0.into(),
                checked,
                activate: action(i),
                ..Default::default()
            }
            .into()
        };
        let item = |i: usize| {
            StandardItem {
                label: ENTRIES[i].0.into(),
                activate: action(i),
                ..Default::default()
            }
            .into()
        };
        vec![
            StandardItem {
                label: self.status.cause.clone(),
                enabled: false,
                ..Default::default()
            }
            .into(),
            MenuItem::Separator,
            item(0),
            check(1, self.status.do_not_disturb),
            check(2, self.status.pause_auto_open),
            item(3),
            MenuItem::Separator,
            item(4),
        ]
    }

    fn watcher_offline(&self, reason: ksni::OfflineReason) -> bool {
        // No tray host (yet): keep the item on the bus; it shows when a host appears.
        tracing::warn!(?reason, "no system tray host right now");
        true
    }
}

/// Puts the tray up and keeps it following `status`; clicks go to `actions`. Without a
/// session bus there is no tray: the app runs on (the window and CLI still work).
pub async fn run(mut status: watch::Receiver<Status>, actions: mpsc::UnboundedSender<MenuAction>) {
    let tray = Tray {
        status: status.borrow_and_update().clone(),
        actions,
    };
    let handle = match tray.assume_sni_available(true).spawn().await {
        Ok(handle) => handle,
        Err(e) => return tracing::error!(error = %e, "no tray icon: cannot reach the session bus"),
    };
    tracing::info!("tray icon up");
    while status.changed().await.is_ok() {
        let next = status.borrow_and_update().clone();
        if handle.update(|tray| tray.status = next).await.is_none() {
            return tracing::warn!("the tray service stopped");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn menu_has_the_issue_entries_in_order() {
        let labels: Vec<&str> = ENTRIES.iter().map(|e| e.0).collect();
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
    }

    #[test]
    fn every_state_has_a_decoded_argb_icon() {
        for state in [
            TrayState::Ok,
            TrayState::Degraded,
            TrayState::Offline,
            TrayState::Dnd,
        ] {
            let icons = icon(state);
            let icon = icons.first().expect("an icon");
            assert_eq!(icon.data.len(), (icon.width * icon.height * 4) as usize);
            assert!(icon.data.chunks(4).any(|p| p[0] > 0), "all transparent");
        }
    }

    #[test]
    fn cause_is_escaped_in_the_tooltip() {
        assert_eq!(
            escape_markup("CRM <b>x</b> & co"),
            "CRM &lt;b&gt;x&lt;/b&gt; &amp; co"
        );
    }
}

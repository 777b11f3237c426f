//! The app's tray as a tray host sees it: the StatusNotifierItem and its dbusmenu on the
//! private session bus, read and clicked with `gdbus` (what a panel does on a click).

use crate::desktop::command_in;

/// The tray item of the process `pid`, on the bus of `env`.
pub struct Tray {
    env: Vec<(String, String)>,
    name: String,
}

/// One menu entry: its dbusmenu id, label, and check state (`Some` for check items).
#[derive(Debug, Clone)]
pub struct Entry {
    pub id: i32,
    pub label: String,
    pub checked: Option<bool>,
}

fn gdbus(env: &[(String, String)], args: &[&str]) -> Result<String, String> {
    let out = command_in(env, "gdbus")
        .arg("call")
        .arg("--session")
        .args(args)
        .output()
        .map_err(|e| format!("gdbus: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

impl Tray {
    /// The item `pid` registered (`org.kde.StatusNotifierItem-<pid>-…`), if it is on the bus.
    pub fn find(env: &[(String, String)], pid: u32) -> Option<Tray> {
        let names = gdbus(
            env,
            &[
                "--dest",
                "org.freedesktop.DBus",
                "--object-path",
                "/org/freedesktop/DBus",
                "--method",
                "org.freedesktop.DBus.ListNames",
            ],
        )
        .ok()?;
        let prefix = format!("org.kde.StatusNotifierItem-{pid}-");
        let start = names.find(&prefix)?;
        let name: String = names[start..].chars().take_while(|c| *c != '\'').collect();
        Some(Tray {
            env: env.to_vec(),
            name,
        })
    }

    /// The menu's entries in order (separators have no label and are left out).
    pub fn menu(&self) -> Vec<Entry> {
        let reply = self
            .menu_call(
                "GetGroupProperties",
                &["[]", "['label', 'toggle-state', 'enabled']"],
            )
            .expect("read the tray menu");
        // ([(1, {'label': <'All sources up'>, 'enabled': <false>}), (3, {...}), ...],)
        reply
            .split("), (")
            .filter_map(|item| {
                let item = item.trim_start_matches("([(");
                let (id, props) = item.split_once(", {")?;
                let label = props.split_once("'label': <'")?.1.split_once("'>")?.0;
                let checked = props
                    .split_once("'toggle-state': <")
                    .and_then(|(_, v)| v.split('>').next())
                    .map(|v| v.trim() == "1");
                Some(Entry {
                    id: id.trim().parse().ok()?,
                    label: label.to_string(),
                    checked,
                })
            })
            .collect()
    }

    /// The entry labelled `label`.
    pub fn entry(&self, label: &str) -> Entry {
        let menu = self.menu();
        menu.iter()
            .find(|e| e.label == label)
            .cloned()
            .unwrap_or_else(|| panic!("no {label:?} in the tray menu: {menu:?}"))
    }

    /// Clicks the entry labelled `label`.
    pub fn click(&self, label: &str) {
        let id = self.entry(label).id.to_string();
        self.menu_call("Event", &[&id, "clicked", "<0>", "0"])
            .unwrap_or_else(|e| panic!("click {label:?}: {e}"));
    }

    /// Calls `method` of the item's dbusmenu (`com.canonical.dbusmenu` at `/MenuBar`).
    fn menu_call(&self, method: &str, args: &[&str]) -> Result<String, String> {
        let method = format!("com.canonical.dbusmenu.{method}");
        let mut all = vec![
            "--dest",
            &self.name,
            "--object-path",
            "/MenuBar",
            "--method",
            &method,
        ];
        all.extend_from_slice(args);
        gdbus(&self.env, &all)
    }

    /// The size of the item's first icon pixmap, as `gdbus` prints it (`64, 64`).
    pub fn icon_size(&self) -> String {
        let reply = gdbus(
            &self.env,
            &[
                "--dest",
                &self.name,
                "--object-path",
                "/StatusNotifierItem",
                "--method",
                "org.freedesktop.DBus.Properties.Get",
                "org.kde.StatusNotifierItem",
                "IconPixmap",
            ],
        )
        .expect("read the tray icon");
        // (<[(64, 64, [byte 0x00, …])]>,)
        let start = reply.find("[(").map_or(reply.len(), |i| i + 2);
        reply[start..]
            .split(", [")
            .next()
            .unwrap_or_default()
            .to_string()
    }
}

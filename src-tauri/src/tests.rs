//! The desktop core without a window: the core's events through the mapping into a sink, the
//! page's commands through the handlers (argument names, `{code, message}` errors), and the
//! whole link as the window process speaks it — a real socket, a subscribed page, replies,
//! events, a second launch. Calls arrive over the real webhook on a free port; secrets in
//! memory.

use crate::command::Command;
use crate::core::Core;
use crate::core::Switch;
use crate::events::UiEvent;
use crate::link::{self, Hello, ToWindow};
use crate::shell::Shell;
use crate::window_process::WindowProcess;
use crate::{handlers, instance, server};
use screenpop::config::{Paths, Settings};
use screenpop::directory::NewContact;
use screenpop::secrets::{MemoryStore, SecretStore};
use screenpop::store::contacts::Contacts;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::io::BufReader;

/// One runtime for all tests here (the core's tasks live on it between `block_on`s).
fn rt() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| tokio::runtime::Runtime::new().expect("runtime"))
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    rt().block_on(f)
}

struct Fixture {
    core: Core,
    secrets: Arc<MemoryStore>,
    seen: Arc<Mutex<Vec<UiEvent>>>,
    port: u16,
    _dir: tempfile::TempDir,
}

/// A started core with Lisa in the local directory.
fn started() -> Fixture {
    let dir = tempfile::tempdir().expect("temp dir");
    let paths = Paths {
        config_file: dir.path().join("config.toml"),
        data_dir: dir.path().join("data"),
    };
    let port = screenpop_testkit::ports::free_port();
    let settings = Settings::from_parts(
        &paths.config_file,
        Some(&format!("[webhook]\nport = {port}\n")),
        &[],
    )
    .expect("settings");
    let seen: Arc<Mutex<Vec<UiEvent>>> = Arc::default();
    let sink_seen = Arc::clone(&seen);
    let secrets = Arc::new(MemoryStore::default());
    let core = Core::new(
        paths,
        secrets.clone(),
        Arc::new(move |e| sink_seen.lock().unwrap().push(e)),
    );
    block_on(async {
        core.start(settings).await;
        let app = core.app().expect("core running");
        let lisa = NewContact {
            name: "Lisa Simpson".into(),
            phones: vec!["555-1234".into()],
            note: Some("Last order: 2 pepperoni pizzas".into()),
            ..Default::default()
        };
        Contacts::new(app.store.clone())
            .upsert_many(&app.rules, &[lisa])
            .await
            .expect("contact");
    });
    Fixture {
        core,
        secrets,
        seen,
        port,
        _dir: dir,
    }
}

impl Fixture {
    fn post(&self, body: Value) {
        let token = self
            .secrets
            .get("webhook-token")
            .unwrap()
            .expect("token created");
        let url = format!("http://127.0.0.1:{}/v1/events", self.port);
        block_on(async {
            let answer = reqwest::Client::new()
                .post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await;
            assert_eq!(answer.expect("webhook answers").status(), 202);
        });
    }

    fn wait_for(&self, what: &str, found: impl Fn(&[UiEvent]) -> bool) {
        for _ in 0..500 {
            if found(&self.seen.lock().unwrap()) {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("never saw {what}: {:#?}", self.seen.lock().unwrap());
    }
}

fn json_of(event: &UiEvent) -> Value {
    serde_json::to_value(event).expect("UiEvent serializes")
}

#[test]
fn ringing_known_caller_reaches_the_window_as_call_then_logged_events() {
    let f = started();
    f.wait_for("status ok", |seen| {
        seen.iter()
            .map(json_of)
            .any(|e| e["status"]["cause"] == "All sources up (webhook)")
    });
    f.post(json!({"version": 1, "type": "ringing", "from": "555-1234", "call_id": "c1"}));
    f.wait_for("the card's view", |seen| {
        seen.iter().map(json_of).any(|e| {
            e["type"] == "call" && e["view"]["lookup"]["matches"][0]["name"] == "Lisa Simpson"
        })
    });
    f.post(json!({"version": 1, "type": "ended", "call_id": "c1"}));
    f.wait_for("the log row", |seen| {
        seen.iter().map(json_of).any(|e| {
            e["type"] == "logged"
                && e["record"]["name"] == "Lisa Simpson"
                && e["record"]["missed"] == true
        })
    });
    block_on(f.core.stop());
    assert_eq!(f.core.app().err().map(|e| e.code), Some("not_running"));
}

#[test]
fn switches_change_the_status_and_survive_a_restart() {
    let f = started();
    let status = f
        .core
        .set_switch(Switch::DoNotDisturb, true)
        .expect("switch");
    assert_eq!(status.state, crate::status::TrayState::Dnd);
    let volume = handle(&f.core, "set_switch", json!({"name": "volume", "on": true}));
    assert_eq!(volume.unwrap_err()["code"], "invalid_input");
    let settings = Settings::from_parts(
        &f.core.paths().config_file,
        Some(&format!("[webhook]\nport = {}\n", f.port)),
        &[],
    )
    .unwrap();
    let after = block_on(f.core.restart(settings));
    assert!(after.do_not_disturb, "{after:?}");
    assert!(f.core.app().is_ok());
    // Whatever order the restart's statuses came in, the last one the window got is current.
    let latest = |seen: &[UiEvent]| {
        let status = seen
            .iter()
            .rev()
            .map(json_of)
            .find(|e| e["type"] == "status");
        status.is_some_and(|e| e["status"]["cause"] == "Do not disturb · All sources up (webhook)")
    };
    f.wait_for(
        "the restarted webhook's health as the latest status",
        latest,
    );
    block_on(f.core.stop());
}

/// `command(args)` as the page invokes it: parsed into a [`Command`], then carried out.
fn handle(core: &Core, command: &str, args: Value) -> Result<Value, Value> {
    let to_json = |e| serde_json::to_value(e).expect("error serializes");
    let command = Command::parse(command, args).map_err(to_json)?;
    block_on(handlers::handle(core, command, &|_| {})).map_err(to_json)
}

#[test]
fn commands_answer_json_and_errors_cross_as_code_and_message() {
    let f = started();
    let core = &f.core;
    let rows = handle(
        core,
        "call_log",
        json!({"page": {"limit": 10, "search": "pepperoni"}}),
    );
    assert_eq!(rows, Ok(json!([])));
    let saved = handle(
        core,
        "save_contact",
        json!({"contact": {"name": "Maude", "phones": ["555-0177"]}}),
    );
    assert!(
        saved
            .as_ref()
            .is_ok_and(|id| id.as_str().is_some_and(|s| !s.is_empty())),
        "{saved:?}"
    );
    let nameless = handle(
        core,
        "save_contact",
        json!({"contact": {"name": "", "phones": ["555-0177"]}}),
    );
    assert_eq!(nameless.unwrap_err()["code"], "invalid_input");
    let missing = handle(core, "test_lookup", json!({})).unwrap_err();
    assert_eq!(missing["code"], "invalid_input");
    assert!(
        missing["message"].as_str().unwrap().contains("`number`"),
        "{missing}"
    );
    let dial = handle(core, "dial", json!({"number": "+15551234"})).unwrap_err();
    assert_eq!(dial["code"], "no_control");
    assert!(dial["message"]
        .as_str()
        .unwrap()
        .contains("no call-control source"));
    let transfer = handle(core, "transfer", json!({"call_id": null, "target": "200"})).unwrap_err();
    assert_eq!(transfer["code"], "no_control");
    let refused = handle(core, "open_url", json!({"url": "javascript:alert(1)"})).unwrap_err();
    assert_eq!(refused["code"], "url_refused");
    let explained = handle(core, "test_lookup", json!({"number": "555-0177"})).expect("lookup");
    assert_eq!(explained["outcome"]["matches"][0]["name"], "Maude");
    assert_eq!(explained["outcome"]["steps"][0]["result"]["kind"], "hit");
    handle(
        core,
        "secret_set",
        json!({"name": "crm-token", "value": "s3cret"}),
    )
    .expect("secret");
    let status = handle(
        core,
        "secret_status",
        json!({"names": ["crm-token", "nope"]}),
    )
    .unwrap();
    assert_eq!(status, json!([["crm-token", true], ["nope", false]]));
    assert_eq!(
        handle(core, "format_disk", json!({})).unwrap_err()["code"],
        "unknown_command"
    );
    block_on(f.core.stop());
}

/// A client speaking the link as the window process does.
struct WindowClient {
    read: BufReader<tokio::net::unix::OwnedReadHalf>,
    write: tokio::net::unix::OwnedWriteHalf,
    next: u64,
}

impl WindowClient {
    async fn connect(socket: &std::path::Path) -> Self {
        let stream = tokio::net::UnixStream::connect(socket)
            .await
            .expect("link socket");
        let (read, mut write) = stream.into_split();
        link::write(&mut write, &Hello::Window)
            .await
            .expect("hello");
        Self {
            read: BufReader::new(read),
            write,
            next: 1,
        }
    }

    async fn send(&mut self, command: &str, args: Value) -> u64 {
        let id = self.next;
        self.next += 1;
        // Raw, as any client could send it: a bad name is answered, not fatal to the link.
        let request = json!({"id": id, "command": {"command": command, "args": args}});
        link::write(&mut self.write, &request)
            .await
            .expect("request");
        id
    }

    /// The next message that `pick` accepts (others are skipped), within 10 s.
    async fn until<T>(&mut self, mut pick: impl FnMut(ToWindow) -> Option<T>) -> T {
        let wait = async {
            loop {
                let message = link::read::<_, ToWindow>(&mut self.read)
                    .await
                    .expect("line");
                if let Some(found) = pick(message.expect("link open")) {
                    return found;
                }
            }
        };
        tokio::time::timeout(Duration::from_secs(10), wait)
            .await
            .expect("in time")
    }

    async fn reply(&mut self, id: u64) -> Result<Value, Value> {
        self.until(|m| match m {
            ToWindow::Reply { id: i, result } if i == id => Some(result),
            _ => None,
        })
        .await
    }
}

#[test]
fn the_window_link_relays_commands_and_streams_events_to_a_subscribed_page() {
    let f = started();
    let dir = tempfile::tempdir().expect("temp dir");
    let socket = dir.path().join("desktop.sock");
    block_on(async {
        // The window binary does not exist here: "show" is logged, not fatal.
        let window = WindowProcess::new(dir.path().join("no-window"), &socket);
        let shell = Arc::new(Shell::new(
            f.core.paths().clone(),
            f.secrets.clone(),
            window,
        ));
        let config = format!("[webhook]\nport = {}\n", f.port);
        let settings = Settings::from_parts(&f.core.paths().config_file, Some(&config), &[])
            .expect("settings");
        f.core.stop().await;
        shell.core.start(settings).await;
        let instance::Claim::Ours(listener) = instance::claim(&socket, &[]).await.expect("claim")
        else {
            panic!("nobody else serves this socket");
        };
        let serving = tokio::spawn(server::serve(listener, Arc::clone(&shell)));

        let mut page = WindowClient::connect(&socket).await;
        let id = page.send("subscribe", json!({})).await;
        let snapshot = page.reply(id).await.expect("snapshot");
        assert!(snapshot["status"]["cause"].is_string(), "{snapshot}");
        let id = page
            .send(
                "save_contact",
                json!({"contact": {"name": "Ned", "phones": ["555-0199"]}}),
            )
            .await;
        assert!(page.reply(id).await.is_ok());
        let id = page.send("dial", json!({"number": "555"})).await;
        assert_eq!(page.reply(id).await.unwrap_err()["code"], "no_control");
        let id = page.send("rm_rf", json!({})).await;
        assert_eq!(page.reply(id).await.unwrap_err()["code"], "unknown_command");
        let id = page
            .send(
                "import_contacts",
                json!({"file_name": "c.csv", "text": "name,phone\nMoe,555-0123\n"}),
            )
            .await;
        let mut progressed = false;
        let report = page
            .until(|m| match m {
                ToWindow::Progress { id: i, .. } if i == id => {
                    progressed = true;
                    None
                }
                ToWindow::Reply { id: i, result } if i == id => Some(result),
                _ => None,
            })
            .await
            .expect("import report");
        assert_eq!(report["imported"], 1, "{report}");
        assert!(progressed, "no progress report");

        // A call rung over the webhook reaches the subscribed page as events.
        let token = f.secrets.get("webhook-token").unwrap().expect("token");
        let port = f.port;
        let answer = reqwest::Client::new()
            .post(format!("http://127.0.0.1:{port}/v1/events"))
            .bearer_auth(token)
            .json(&json!({"version": 1, "type": "ringing", "from": "555-0199", "call_id": "n1"}))
            .send()
            .await
            .expect("webhook answers");
        assert_eq!(answer.status(), 202);
        let view = page
            .until(|m| match m {
                ToWindow::Event { event } if event["type"] == "call" => Some(event),
                _ => None,
            })
            .await;
        assert_eq!(
            view["view"]["lookup"]["matches"][0]["name"], "Ned",
            "{view}"
        );

        // A second launch is handed over: the running instance keeps the socket.
        let again = instance::claim(&socket, &["--hidden".into()])
            .await
            .expect("claim");
        assert!(matches!(again, instance::Claim::Running));

        // Tray "Settings…" with the page subscribed: it is told where to go.
        shell.menu(crate::tray::MenuAction::Settings).await;
        let nav = page
            .until(|m| match m {
                ToWindow::Event { event } if event["type"] == "navigate" => Some(event),
                _ => None,
            })
            .await;
        assert_eq!(nav["view"], "settings");

        // Quit: the window is told to go, the core stops and logs the live call.
        shell.shut_down().await;
        page.until(|m| matches!(m, ToWindow::Quit).then_some(()))
            .await;
        serving.abort();
    });
    drop(dir);
}

#[test]
fn a_bad_base_url_is_refused_with_its_field_and_nothing_is_written() {
    let f = started();
    let config = f.core.paths().config_file.clone();
    let before = std::fs::read(&config).ok();
    let form = json!({
        "webhook": {"port": f.port},
        "directory": [
            {"kind": "local"},
            {"kind": "http", "preset": "hubspot", "base_url": "api.hubapi.com", "secret": "hubspot-token"},
        ],
    });
    let checked = handle(&f.core, "config_check", json!({"settings": form.clone()})).unwrap();
    assert_eq!(checked[0]["field"], "directory.1.base_url", "{checked}");
    let refused = handle(&f.core, "settings_write", json!({"settings": form})).unwrap_err();
    assert_eq!(refused["code"], "invalid_settings");
    assert_eq!(refused["fields"][0]["field"], "directory.1.base_url");
    assert_eq!(std::fs::read(&config).ok(), before, "nothing written");
    let ok = json!({"webhook": {"port": f.port}, "directory": [{"kind": "local"}]});
    assert_eq!(
        handle(&f.core, "config_check", json!({"settings": ok})),
        Ok(json!([]))
    );
    block_on(f.core.stop());
}

#[test]
fn the_capability_and_the_page_use_exactly_the_declared_commands() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let capability: Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("capabilities/main-window.json")).unwrap(),
    )
    .unwrap();
    let granted: Vec<String> = capability["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().replace('-', "_"))
        .collect();
    let declared: Vec<String> = Command::NAMES
        .iter()
        .map(|n| format!("allow_{n}"))
        .collect();
    assert_eq!(granted, declared);
    // Every `call('name'` in the page's modules names a declared command.
    for entry in std::fs::read_dir(root.join("../ui/js")).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        for piece in text.split("call('").skip(1) {
            let name = piece.split('\'').next().unwrap();
            assert!(
                Command::NAMES.contains(&name),
                "{} calls {name:?}, which is not a declared command",
                path.display()
            );
        }
    }
}

#[test]
fn commands_parse_by_name_and_never_print_a_secret() {
    let set = Command::parse("secret_set", json!({"name": "crm", "value": "hunter22"})).unwrap();
    assert_eq!(set.name(), "secret_set");
    assert!(!format!("{set:?}").contains("hunter22"), "{set:?}");
    let e = Command::parse("dial", json!({})).unwrap_err();
    assert_eq!(
        (e.code, e.message.contains("number")),
        ("invalid_input", true)
    );
    assert!(Command::parse("subscribe", Value::Null).is_ok());
    for name in Command::NAMES {
        let e = Command::parse(name, json!({"x": []})).err();
        assert!(e.is_none_or(|e| e.code == "invalid_input"), "{name}");
    }
}

#[test]
fn setup_commands_test_a_source_ring_a_test_call_and_page_the_contacts() {
    let f = started();
    let core = &f.core;
    // Test connection really connects: a listening socket passes, a closed port says why.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let open = listener.local_addr().unwrap().to_string();
    let probe = handle(
        core,
        "test_connection",
        json!({"source": {"kind": "baresip", "address": open}}),
    )
    .unwrap();
    assert_eq!(probe["ok"], true, "{probe}");
    drop(listener);
    let closed = handle(
        core,
        "test_connection",
        json!({"source": {"kind": "baresip", "address": open}}),
    )
    .unwrap();
    assert_eq!(closed["ok"], false, "{closed}");
    let bad = handle(
        core,
        "test_connection",
        json!({"source": {"kind": "pigeon"}}),
    )
    .unwrap_err();
    assert_eq!(bad["code"], "invalid_settings");

    let demo = handle(core, "load_demo_contacts", json!({})).unwrap();
    assert!(demo["imported"].as_u64().unwrap() >= 10, "{demo}");
    let page = handle(
        core,
        "contacts_page",
        json!({"search": "homer", "limit": 10, "offset": 0}),
    )
    .unwrap();
    assert_eq!(page["total"], 1, "{page}");
    assert_eq!(page["contacts"][0]["name"], "Homer Simpson");
    let by_number = handle(
        core,
        "contacts_page",
        json!({"search": "555-0113", "limit": 10, "offset": 0}),
    )
    .unwrap();
    assert_eq!(
        by_number["contacts"][0]["name"], "Homer Simpson",
        "{by_number}"
    );
    let id = page["contacts"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(
        handle(core, "delete_contact", json!({"id": id})),
        Ok(json!(true))
    );
    let all = handle(core, "contacts_page", json!({"limit": 500, "offset": 0})).unwrap();
    assert_eq!(
        all["total"].as_u64(),
        Some(demo["imported"].as_u64().unwrap())
    );
    assert_eq!(handle(core, "setup_needed", json!({})), Ok(json!(false)));

    // The test call rings this app through its own webhook: the card sees Lisa.
    let call = handle(core, "send_test_call", json!({"number": "555-1234"})).unwrap();
    assert!(call.as_str().unwrap().starts_with("test-"), "{call}");
    f.wait_for("the test call's card", |seen| {
        seen.iter().map(json_of).any(|e| {
            e["type"] == "call" && e["view"]["lookup"]["matches"][0]["name"] == "Lisa Simpson"
        })
    });
    block_on(f.core.stop());
}

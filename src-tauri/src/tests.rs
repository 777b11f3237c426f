//! The shell without a window: the core's events through the mapping into a sink, and the
//! commands through tauri's IPC on the mock runtime (argument names, `{code, message}`
//! errors). Calls arrive over the real webhook on a free port; secrets in memory.

use crate::core::Core;
use crate::events::UiEvent;
use crate::shell::{Delivery, Shell};
use screenpop::config::{Paths, Settings};
use screenpop::directory::NewContact;
use screenpop::secrets::{MemoryStore, SecretStore};
use screenpop::store::contacts::Contacts;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, mock_context, noop_assets, INVOKE_KEY};
use tauri::webview::InvokeRequest;

struct Fixture {
    core: Core,
    secrets: Arc<MemoryStore>,
    seen: Arc<Mutex<Vec<UiEvent>>>,
    port: u16,
    _dir: tempfile::TempDir,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A started core with Lisa in the local directory.
fn started() -> Fixture {
    let dir = tempfile::tempdir().expect("temp dir");
    let paths = Paths {
        config_file: dir.path().join("config.toml"),
        data_dir: dir.path().join("data"),
    };
    let port = free_port();
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
    tauri::async_runtime::block_on(async {
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
        tauri::async_runtime::block_on(async {
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
    tauri::async_runtime::block_on(f.core.stop());
    assert_eq!(f.core.app().err().map(|e| e.code), Some("not_running"));
}

#[test]
fn switches_change_the_status_and_survive_a_restart() {
    let f = started();
    let status = f.core.set_switch("do_not_disturb", true).expect("switch");
    assert_eq!(status.state, crate::status::TrayState::Dnd);
    assert!(f.core.set_switch("volume", true).is_err());
    let settings = Settings::from_parts(
        &f.core.paths().config_file,
        Some(&format!("[webhook]\nport = {}\n", f.port)),
        &[],
    )
    .unwrap();
    let after = tauri::async_runtime::block_on(f.core.restart(settings));
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
    tauri::async_runtime::block_on(f.core.stop());
}

fn invoke(
    webview: &tauri::WebviewWindow<tauri::test::MockRuntime>,
    cmd: &str,
    body: Value,
) -> Result<Value, Value> {
    get_ipc_response(
        webview,
        InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().expect("url"),
            body: InvokeBody::Json(body),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .map(|b| b.deserialize::<Value>().expect("json answer"))
}

#[test]
fn commands_answer_over_ipc_and_errors_cross_as_code_and_message() {
    let f = started();
    let app = mock_builder()
        .invoke_handler(crate::commands::handler())
        .build(mock_context(noop_assets()))
        .expect("mock app");
    let Fixture {
        core, _dir: dir, ..
    } = f;
    tauri::Manager::manage(
        &app,
        Shell {
            core,
            delivery: Arc::new(Delivery::default()),
        },
    );
    let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .expect("mock window");

    let rows = invoke(
        &webview,
        "call_log",
        json!({"page": {"limit": 10, "search": "pepperoni"}}),
    );
    assert_eq!(rows, Ok(json!([])));
    let saved = invoke(
        &webview,
        "save_contact",
        json!({"contact": {"name": "Maude", "phones": ["555-0177"]}}),
    );
    assert!(
        saved
            .as_ref()
            .is_ok_and(|id| id.as_str().is_some_and(|s| !s.is_empty())),
        "{saved:?}"
    );
    let nameless = invoke(
        &webview,
        "save_contact",
        json!({"contact": {"name": "", "phones": ["555-0177"]}}),
    );
    assert_eq!(nameless.unwrap_err()["code"], "invalid_input");
    let dial = invoke(&webview, "dial", json!({"number": "+15551234"})).unwrap_err();
    assert_eq!(dial["code"], "no_control");
    assert!(dial["message"]
        .as_str()
        .unwrap()
        .contains("no call-control source"));
    let transfer = invoke(
        &webview,
        "transfer",
        json!({"call_id": null, "target": "200"}),
    )
    .unwrap_err();
    assert_eq!(transfer["code"], "no_control");
    let refused = invoke(&webview, "open_url", json!({"url": "javascript:alert(1)"})).unwrap_err();
    assert_eq!(refused["code"], "url_refused");
    let explained = invoke(&webview, "test_lookup", json!({"number": "555-0177"})).expect("lookup");
    assert_eq!(explained["outcome"]["matches"][0]["name"], "Maude");
    assert_eq!(explained["outcome"]["steps"][0]["result"]["kind"], "hit");
    invoke(
        &webview,
        "secret_set",
        json!({"name": "crm-token", "value": "s3cret"}),
    )
    .expect("secret");
    let status = invoke(
        &webview,
        "secret_status",
        json!({"names": ["crm-token", "nope"]}),
    )
    .unwrap();
    assert_eq!(status, json!([["crm-token", true], ["nope", false]]));
    let shell = tauri::Manager::state::<Shell>(&app);
    tauri::async_runtime::block_on(shell.core.stop());
    drop(dir);
}

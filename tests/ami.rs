//! The AMI source against a loopback AMI server speaking the real protocol (banner, Login,
//! responses, event blocks) that replays transcripts built from Asterisk's documented event
//! fields. The source runs under the real supervisor; we read what it hands the engine.

use screenpop_testkit as support;

use screenpop::config::AmiConfig;
use screenpop::control::{CallControl, ControlError};
use screenpop::engine::Input;
use screenpop::event::{CallEvent, CallEventKind, Direction, EndReason, Health};
use screenpop::secrets::{MemoryStore, SecretStore};
use screenpop::source::ami::calls::ExtensionEvent;
use screenpop::source::ami::control::AmiControl;
use screenpop::source::ami::AmiSource;
use screenpop::source::supervisor::supervise;
use std::sync::Arc;
use std::time::Duration;
use support::ami::{AmiServer, Transcript};
use tokio::sync::mpsc;

const USER: &str = "screenpop";
const SECRET: &str = "s3cret-for-tests";

/// One supervised AMI source for `extension`, logging in with `secret`.
struct Agent {
    inputs: mpsc::Receiver<Input>,
    control: Arc<AmiControl>,
    _stop: tokio_util::sync::DropGuard,
}

impl Agent {
    fn start(server: &AmiServer, extension: &str, secret: &str) -> Agent {
        let secrets: Arc<dyn SecretStore> = Arc::new(MemoryStore::default());
        secrets.set("ami-password", secret).unwrap();
        let (source, control) = AmiSource::new(
            &AmiConfig {
                address: format!("127.0.0.1:{}", server.port()),
                username: USER.into(),
                secret: "ami-password".into(),
                extension: Some(extension.into()),
                name: None,
                enabled: Default::default(),
                context: None,
            },
            secrets,
        )
        .expect("a desk source");
        let (tx, inputs) = mpsc::channel(256);
        let stop = tokio_util::sync::CancellationToken::new();
        supervise(source, tx, stop.clone());
        Agent {
            inputs,
            control,
            _stop: stop.drop_guard(),
        }
    }

    async fn next(&mut self) -> Input {
        tokio::time::timeout(Duration::from_secs(10), self.inputs.recv())
            .await
            .expect("the source went quiet")
            .expect("the source stopped")
    }

    /// The next call event, skipping health reports.
    async fn event(&mut self) -> CallEvent {
        loop {
            if let Input::Event(e) = self.next().await {
                return e;
            }
        }
    }

    /// Waits for the health report matching `want`.
    async fn health(&mut self, want: impl Fn(&Health) -> bool) -> Health {
        loop {
            match self.next().await {
                Input::Health { health, .. } if want(&health) => return health,
                Input::Event(e) => panic!("unexpected event {e:?}"),
                _ => {}
            }
        }
    }

    async fn up(&mut self) {
        self.health(|h| *h == Health::Up).await;
    }

    /// The next input is the session coming back up, with no `down` before it.
    async fn resumed(&mut self) {
        match self.next().await {
            Input::Health {
                health: Health::Up, ..
            } => {}
            other => panic!("expected the session resumed at once, got {other:?}"),
        }
    }

    /// Asserts nothing more arrives for a moment.
    async fn quiet(&mut self) {
        if let Ok(Some(input)) =
            tokio::time::timeout(Duration::from_millis(300), self.inputs.recv()).await
        {
            panic!("expected nothing, got {input:?}");
        }
    }
}

/// A supervised floor source (no extension): every extension's events, tagged.
struct Floor {
    events: mpsc::Receiver<ExtensionEvent>,
    health: mpsc::Receiver<Input>,
    control: Arc<AmiControl>,
    _stop: tokio_util::sync::DropGuard,
}

impl Floor {
    fn start(server: &AmiServer) -> Floor {
        let secrets: Arc<dyn SecretStore> = Arc::new(MemoryStore::default());
        secrets.set("ami-password", SECRET).unwrap();
        let (source, control, events) = AmiSource::floor(
            &AmiConfig {
                address: format!("127.0.0.1:{}", server.port()),
                username: USER.into(),
                secret: "ami-password".into(),
                extension: None,
                name: None,
                enabled: Default::default(),
                context: None,
            },
            secrets,
        );
        let (tx, health) = mpsc::channel(256);
        let stop = tokio_util::sync::CancellationToken::new();
        supervise(source, tx, stop.clone());
        Floor {
            events,
            health,
            control,
            _stop: stop.drop_guard(),
        }
    }

    async fn up(&mut self) {
        loop {
            let input = tokio::time::timeout(Duration::from_secs(10), self.health.recv())
                .await
                .expect("no health report")
                .expect("the source stopped");
            match input {
                Input::Health {
                    health: Health::Up, ..
                } => return,
                Input::Event(e) => panic!("a floor source sent the engine {e:?}"),
                _ => {}
            }
        }
    }

    async fn next(&mut self) -> (String, CallEventKind) {
        let e = tokio::time::timeout(Duration::from_secs(10), self.events.recv())
            .await
            .expect("the floor went quiet")
            .expect("the floor source stopped");
        (e.extension, e.event.kind)
    }
}

#[tokio::test]
async fn one_floor_connection_tags_every_extensions_calls() {
    let server = AmiServer::start(USER, SECRET);
    let mut floor = Floor::start(&server);
    floor.up().await;
    let t = Transcript::load("ring_group_elsewhere.ami");
    server.play(&t, "ring");
    let mut rang = [floor.next().await, floor.next().await];
    rang.sort_by(|a, b| a.0.cmp(&b.0));
    for ((ext, kind), want) in rang.iter().zip(["201", "202"]) {
        assert_eq!(ext, want);
        assert!(
            matches!(kind, CallEventKind::Ringing { remote, .. } if remote.0 == "+15555550141")
        );
    }
    server.play(&t, "taken");
    assert_eq!(floor.next().await, ("202".into(), CallEventKind::Answered));
    assert_eq!(
        floor.next().await,
        ("201".into(), ended(EndReason::AnsweredElsewhere))
    );
    server.play(&t, "hangup");
    assert_eq!(floor.next().await, ("202".into(), ended(EndReason::Hangup)));

    // Control names the extension: dial from 202's device; without one it is refused.
    floor.control.at("202").dial("+15555550113").await.unwrap();
    let originate = server.wait_action("Originate").unwrap();
    assert_eq!(originate.get("Channel"), "PJSIP/202");
    let unscoped = floor.control.dial("200").await;
    assert!(
        matches!(unscoped, Err(ControlError::Refused(_))),
        "{unscoped:?}"
    );
    let no_call = floor.control.at("201").hangup(None).await;
    assert!(
        matches!(no_call, Err(ControlError::NoCall(_))),
        "{no_call:?}"
    );
}

fn ended(reason: EndReason) -> CallEventKind {
    CallEventKind::Ended { reason }
}

fn assert_ringing(e: &CallEvent, number: &str, name: Option<&str>) {
    match &e.kind {
        CallEventKind::Ringing {
            direction,
            remote,
            remote_name,
            ..
        } => {
            assert_eq!(*direction, Direction::Inbound);
            assert_eq!(remote.0, number);
            assert_eq!(remote_name.as_deref(), name);
        }
        other => panic!("expected ringing, got {other:?}"),
    }
}

#[tokio::test]
async fn normal_inbound_call_rings_answers_and_ends_once() {
    let server = AmiServer::start(USER, SECRET);
    let mut agent = Agent::start(&server, "201", SECRET);
    agent.up().await;
    let login = server.wait_action("Login").expect("a Login");
    assert_eq!(login.get("Events"), "call");
    assert_eq!(login.get("Username"), USER);
    let t = Transcript::load("inbound_answered.ami");
    server.play(&t, "ring");
    let ring = agent.event().await;
    assert_ringing(&ring, "+15555550114", Some("Marge Simpson"));
    assert_eq!(ring.call.0, "1700000100.1");
    assert_eq!(ring.source.0, "ami:201");
    server.play(&t, "answer");
    assert_eq!(agent.event().await.kind, CallEventKind::Answered);
    server.play(&t, "hangup");
    let end = agent.event().await;
    assert_eq!(end.kind, ended(EndReason::Hangup));
    assert_eq!(end.call, ring.call);
    agent.quiet().await;
}

#[tokio::test]
async fn unanswered_call_and_unknown_caller_id() {
    let server = AmiServer::start(USER, SECRET);
    let mut agent = Agent::start(&server, "201", SECRET);
    agent.up().await;
    let t = Transcript::load("inbound_unanswered.ami");
    server.play(&t, "ring");
    assert_ringing(&agent.event().await, "+15555550120", Some("FLANDERS NED"));
    server.play(&t, "give up");
    assert_eq!(agent.event().await.kind, ended(EndReason::Cancelled));
    let t = Transcript::load("unknown_caller.ami");
    server.play(&t, "ring");
    assert_ringing(&agent.event().await, "", None);
    server.play(&t, "give up");
    assert_eq!(agent.event().await.kind, ended(EndReason::Cancelled));
}

#[tokio::test]
async fn two_simultaneous_calls_on_different_extensions_stay_apart() {
    let server = AmiServer::start(USER, SECRET);
    let mut a = Agent::start(&server, "201", SECRET);
    let mut b = Agent::start(&server, "202", SECRET);
    a.up().await;
    b.up().await;
    assert!(server.wait_sessions(2));
    let t = Transcript::load("two_extensions.ami");
    for act in ["ring", "answer", "hangup"] {
        server.play(&t, act);
    }
    for (agent, number, call) in [
        (&mut a, "+15555550130", "1700000300.1"),
        (&mut b, "+15555550150", "1700000301.1"),
    ] {
        let ring = agent.event().await;
        assert_ringing(&ring, number, ring_name(&ring).as_deref());
        assert_eq!(ring.call.0, call);
        assert_eq!(agent.event().await.kind, CallEventKind::Answered);
        let end = agent.event().await;
        assert_eq!(
            (end.call.0.as_str(), end.kind),
            (call, ended(EndReason::Hangup))
        );
        agent.quiet().await;
    }
}

fn ring_name(e: &CallEvent) -> Option<String> {
    match &e.kind {
        CallEventKind::Ringing { remote_name, .. } => remote_name.clone(),
        _ => None,
    }
}

#[tokio::test]
async fn queue_call_answered_via_bridge_enter_then_attended_transfer() {
    let server = AmiServer::start(USER, SECRET);
    let mut agent = Agent::start(&server, "201", SECRET);
    agent.up().await;
    let t = Transcript::load("queue_attended_transfer.ami");
    server.play(&t, "ring");
    assert_ringing(&agent.event().await, "+15555550160", Some("Edna Krabappel"));
    server.play(&t, "retry");
    agent.quiet().await; // the queue ringing the agent again is the same call
    server.play(&t, "pickup");
    assert_eq!(agent.event().await.kind, CallEventKind::Answered);
    server.play(&t, "transfer");
    assert_eq!(agent.event().await.kind, ended(EndReason::Transferred));
    agent.quiet().await;
}

#[tokio::test]
async fn ring_group_call_taken_by_a_colleague_is_answered_elsewhere() {
    let server = AmiServer::start(USER, SECRET);
    let mut agent = Agent::start(&server, "201", SECRET);
    agent.up().await;
    let t = Transcript::load("ring_group_elsewhere.ami");
    server.play(&t, "ring");
    assert_ringing(&agent.event().await, "+15555550141", Some("Barney Gumble"));
    server.play(&t, "taken");
    assert_eq!(
        agent.event().await.kind,
        ended(EndReason::AnsweredElsewhere)
    );
    server.play(&t, "hangup");
    agent.quiet().await;
}

#[tokio::test]
async fn reconnect_in_the_middle_of_a_call_goes_on_with_the_same_call() {
    let server = AmiServer::start(USER, SECRET);
    let mut agent = Agent::start(&server, "201", SECRET);
    agent.up().await;
    let t = Transcript::load("reconnect_mid_call.ami");
    server.play(&t, "ring");
    let first = agent.event().await;
    assert_ringing(&first, "+15555550001", Some("C M BURNS"));
    server.set_listing(t.act("listing"));
    server.drop_sessions();
    // A call is live: the source logs in again at once instead of reporting the link down.
    agent.resumed().await;
    assert_eq!(server.logins().0, 2);
    // The listing still shows the call: it is not announced a second time.
    server.play(&t, "answer");
    let answered = agent.event().await;
    assert_eq!(answered.kind, CallEventKind::Answered);
    assert_eq!(answered.call, first.call);
    server.play(&t, "hangup");
    assert_eq!(agent.event().await.kind, ended(EndReason::Hangup));
}

#[tokio::test]
async fn a_call_ringing_before_we_connected_pops_and_one_gone_while_down_is_closed() {
    let server = AmiServer::start(USER, SECRET);
    let t = Transcript::load("reconnect_mid_call.ami");
    server.set_listing(t.act("listing"));
    let mut agent = Agent::start(&server, "201", SECRET);
    agent.up().await;
    let ring = agent.event().await;
    assert_ringing(&ring, "+15555550001", Some("C M BURNS"));
    assert!(
        ring.at < chrono::Utc::now() - chrono::Duration::seconds(2),
        "it rang before we connected"
    );
    // While the link is down the call ends; the next listing no longer has its channels.
    server.set_listing("");
    server.drop_sessions();
    agent.resumed().await;
    let end = agent.event().await;
    assert_eq!(
        (end.call, end.kind),
        (ring.call, ended(EndReason::SourceLost))
    );
    agent.quiet().await;
    // Nothing live now: a dropped link is reported as it is, and the supervisor retries.
    server.drop_sessions();
    let down = agent.health(|h| matches!(h, Health::Down(_))).await;
    assert!(
        matches!(&down, Health::Down(why) if why.contains("closed")),
        "{down:?}"
    );
    agent.up().await;
}

#[tokio::test]
async fn bad_login_is_reported_and_retried() {
    let server = AmiServer::start(USER, SECRET);
    let mut agent = Agent::start(&server, "201", "wrong-secret");
    let down = agent.health(|h| matches!(h, Health::Down(_))).await;
    assert_eq!(
        down,
        Health::Down("login refused: Authentication failed".into())
    );
    assert_eq!(server.logins(), (0, 1));
    // The supervisor tries again after its backoff; the PBX sees a second attempt.
    agent.health(|h| matches!(h, Health::Down(_))).await;
    assert_eq!(server.logins(), (0, 2));
}

#[tokio::test]
async fn a_garbage_block_is_skipped_and_the_session_goes_on() {
    let server = AmiServer::start(USER, SECRET);
    let mut agent = Agent::start(&server, "201", SECRET);
    agent.up().await;
    server.send(
        "this is not\r\nan AMI block at all\r\n\r\nEvent: Newchannel\r\nNo colon here\r\n\r\n",
    );
    let t = Transcript::load("inbound_answered.ami");
    server.play(&t, "ring");
    assert_ringing(&agent.event().await, "+15555550114", Some("Marge Simpson"));
}

#[tokio::test]
async fn click_to_dial_transfer_and_hangup_go_out_as_originate_redirect_hangup() {
    let server = AmiServer::start(USER, SECRET);
    let mut agent = Agent::start(&server, "201", SECRET);
    let early = agent.control.dial("200").await;
    assert!(
        matches!(early, Err(ControlError::NotConnected(_))),
        "{early:?}"
    );
    agent.up().await;
    agent.control.dial("sip:+15555550113@pbx").await.unwrap();
    let originate = server.wait_action("Originate").unwrap();
    assert_eq!(originate.get("Channel"), "PJSIP/201");
    assert_eq!(originate.get("Exten"), "+15555550113");
    assert_eq!(originate.get("Context"), "from-internal");
    let none = agent.control.transfer(None, "200").await;
    assert!(matches!(none, Err(ControlError::NoCall(_))), "{none:?}");

    let t = Transcript::load("vip_redirect.ami");
    server.play(&t, "ring");
    let ring = agent.event().await;
    agent
        .control
        .transfer(Some(&ring.call.0), "sip:200@pbx.local")
        .await
        .unwrap();
    let redirect = server.wait_action("Redirect").unwrap();
    assert_eq!(redirect.get("Channel"), "PJSIP/provider-00080001");
    assert_eq!(redirect.get("Exten"), "200");
    server.play(&t, "redirected");
    assert_eq!(agent.event().await.kind, ended(EndReason::Transferred));
    assert!(agent.control.answer(None).await.is_err());
}

//! The connection's own behaviour against plain loopback peers: a silent peer (a black-holed
//! link) is detected by the keep-alive probe, and control without a link says so. Calls
//! through a real baresip are in `tests/baresip_live.rs`.

use super::*;
use crate::control::CallControl;
use crate::engine::Input;
use crate::event::Health;
use crate::source::supervisor::supervise;
use std::sync::Arc;
use tokio::net::TcpListener;

fn config(address: String) -> BaresipConfig {
    BaresipConfig {
        name: None,
        enabled: Default::default(),
        address,
        keepalive_s: 15,
    }
}

async fn next_health(rx: &mut mpsc::Receiver<Input>) -> Health {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), rx.recv()).await {
            Ok(Some(Input::Health { health, .. })) => return health,
            Ok(Some(Input::Event(_))) => continue,
            other => panic!("no health report: {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_silent_peer_is_found_dead_by_the_keepalive_probe() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let source = Arc::new(
        Baresip::new(&config(listener.local_addr().unwrap().to_string()))
            .with_keepalive(Duration::from_millis(200)),
    );
    let (tx, mut rx) = mpsc::channel(16);
    let stop_tx = tokio_util::sync::CancellationToken::new();
    let task = supervise(source.clone(), tx, stop_tx.clone());
    let (mut peer, _) = listener.accept().await.unwrap();
    assert_eq!(next_health(&mut rx).await, Health::Connecting);
    assert_eq!(next_health(&mut rx).await, Health::Up);
    // The peer reads the probe but never answers, like a host gone behind a dead router.
    let mut probe = [0u8; 256];
    let n = peer.read(&mut probe).await.unwrap();
    assert!(String::from_utf8_lossy(&probe[..n]).contains("\"listcalls\""));
    let down = next_health(&mut rx).await;
    assert!(
        matches!(&down, Health::Down(r) if r.contains("keep-alive")),
        "{down:?}"
    );
    let err = source.dial("201").await.unwrap_err();
    assert!(matches!(err, ControlError::NotConnected(_)), "{err}");
    stop_tx.cancel();
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn control_before_connecting_says_not_connected() {
    let source = Baresip::new(&config("127.0.0.1:9".into()));
    let err = source.answer(None).await.unwrap_err();
    assert!(matches!(err, ControlError::NotConnected(_)), "{err}");
    let err = source.dial("sip:bob@127.0.0.1").await.unwrap_err();
    assert!(err.to_string().contains("not connected"), "{err}");
    let err = source.dial("bob smith").await.unwrap_err();
    assert!(matches!(err, ControlError::InvalidTarget(_)), "{err}");
}

//! Supervisor behaviour with a real TCP listener that drops connections.

use super::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};

struct Tcp {
    address: String,
    connects: AtomicUsize,
}

#[async_trait]
impl Source for Tcp {
    fn id(&self) -> SourceId {
        SourceId("tcp".into())
    }
    async fn run(&self, sink: &mut EventSink) -> Result<(), SourceError> {
        self.connects.fetch_add(1, Ordering::SeqCst);
        let mut stream =
            TcpStream::connect(&self.address)
                .await
                .map_err(|e| SourceError::Connect {
                    address: self.address.clone(),
                    reason: e.to_string(),
                })?;
        sink.up().await;
        let mut buf = [0u8; 64];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) => return Err(SourceError::Lost("closed by peer".into())),
                Ok(_) => {}
                Err(e) => return Err(SourceError::Lost(e.to_string())),
            }
        }
    }
}

async fn health(rx: &mut mpsc::Receiver<Input>) -> Health {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .expect("no health report")
            .expect("closed")
        {
            Input::Health { health, .. } => return health,
            Input::Event(_) | Input::Acked { .. } => continue,
        }
    }
}

#[test]
fn backoff_doubles_to_thirty_seconds_with_jitter() {
    let first = backoff(0);
    assert!(
        first >= Duration::from_millis(800) && first <= Duration::from_millis(1200),
        "{first:?}"
    );
    let later = backoff(3);
    assert!(
        later >= Duration::from_millis(6400) && later <= Duration::from_millis(9600),
        "{later:?}"
    );
    for attempt in [5, 10, 100] {
        assert!(backoff(attempt) <= Duration::from_secs(36));
        assert!(backoff(attempt) >= Duration::from_secs(24));
    }
}

#[tokio::test]
async fn a_dropped_connection_is_reported_down_then_reconnects_up() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let source = Arc::new(Tcp {
        address,
        connects: AtomicUsize::new(0),
    });
    let (tx, mut rx) = mpsc::channel(16);
    let stop_tx = tokio_util::sync::CancellationToken::new();
    let task = supervise(source.clone(), tx, stop_tx.clone());
    assert_eq!(health(&mut rx).await, Health::Connecting);
    let (conn, _) = listener.accept().await.unwrap();
    assert_eq!(health(&mut rx).await, Health::Up);
    drop(conn);
    assert!(matches!(health(&mut rx).await, Health::Down(r) if r.contains("closed by peer")));
    assert_eq!(health(&mut rx).await, Health::Connecting);
    let (_conn, _) = listener.accept().await.unwrap();
    assert_eq!(health(&mut rx).await, Health::Up);
    assert_eq!(source.connects.load(Ordering::SeqCst), 2);
    stop_tx.cancel();
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("supervisor stops")
        .unwrap();
}

#[tokio::test]
async fn an_unreachable_source_reports_down_and_never_panics() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    drop(listener);
    let source = Arc::new(Tcp {
        address,
        connects: AtomicUsize::new(0),
    });
    let (tx, mut rx) = mpsc::channel(16);
    let stop_tx = tokio_util::sync::CancellationToken::new();
    let task = supervise(source, tx, stop_tx.clone());
    assert_eq!(health(&mut rx).await, Health::Connecting);
    assert!(matches!(health(&mut rx).await, Health::Down(r) if r.contains("cannot connect")));
    stop_tx.cancel();
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("stops during backoff")
        .unwrap();
}

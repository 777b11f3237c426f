//! A loopback stand-in for the Fritz!Box call monitor (tcp/1012): it accepts clients and
//! writes call monitor lines to every connected one, exactly as the router does — no
//! handshake, one `\r\n`-terminated line per event. Stopped on drop.

use std::io::Write;
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use super::process::wait_until;

/// The running call monitor.
pub struct CallMonitor {
    port: u16,
    clients: Arc<Mutex<Vec<TcpStream>>>,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

impl CallMonitor {
    /// Listens on a free loopback port.
    pub fn start() -> CallMonitor {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the call monitor");
        let port = listener.local_addr().expect("local addr").port();
        listener.set_nonblocking(true).expect("nonblocking");
        let clients = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (c, st) = (Arc::clone(&clients), Arc::clone(&stop));
        let accept = thread::spawn(move || {
            while !st.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let _ = stream.set_nonblocking(false);
                        c.lock().unwrap().push(stream);
                    }
                    Err(_) => thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        CallMonitor {
            port,
            clients,
            stop,
            accept: Some(accept),
        }
    }

    /// The port clients connect to.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Waits until `n` clients are connected.
    pub fn wait_clients(&self, n: usize) -> bool {
        wait_until(Duration::from_secs(10), || {
            self.clients.lock().unwrap().len() >= n
        })
    }

    /// Writes `lines` (without endings) to every client, each ended by `\r\n`.
    pub fn send(&self, lines: &[&str]) {
        let mut text = String::new();
        for line in lines {
            text.push_str(line);
            text.push_str("\r\n");
        }
        for client in self.clients.lock().unwrap().iter_mut() {
            let _ = client.write_all(text.as_bytes());
        }
    }
}

impl Drop for CallMonitor {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for c in self.clients.lock().unwrap().drain(..) {
            let _ = c.shutdown(Shutdown::Both);
        }
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
    }
}

/// Today's date and the current local time in the call monitor's format (`dd.mm.yy hh:mm:ss`).
pub fn now_stamp() -> String {
    chrono::Local::now().format("%d.%m.%y %H:%M:%S").to_string()
}

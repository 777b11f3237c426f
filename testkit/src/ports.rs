//! Free loopback ports for the servers a test starts (the daemon's webhook, brokers,
//! softphones). Nothing in the tests hard-codes a port.

use std::net::TcpListener;

/// A TCP port on 127.0.0.1 that was free a moment ago: the OS picks it, we release it.
///
/// Another process could take it before the test binds it; with the kernel handing out
/// ports in sequence that does not happen in practice.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("bind 127.0.0.1:0 to find a free port")
        .port()
}

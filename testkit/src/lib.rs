//! `screenpop-testkit`: the one test-support crate, a dev-dependency of the integration tests
//! (`use screenpop_testkit as support;`), the desktop end-to-end tests and the benches: a private
//! headless desktop per test ([`Desktop`]), the screenpop daemon running inside it
//! ([`Daemon`]), a browser stand-in ([`BrowserCapture`]), free ports and a tiny HTTP GET;
//! for connectors a loopback CRM serving the SaaS CRMs' documented shapes ([`crm`]), a real
//! slapd ([`ldap`]) and a real Radicale CardDAV server ([`radicale`]).
//!
//! Every process started here is stopped when its owner is dropped, so a failing test leaves
//! nothing running. Nothing here mocks a component: the desktop is Xvfb, dbus-daemon,
//! gnome-keyring and dunst, the daemon is the real `screenpop` binary.

pub mod ami;
pub mod baresip;
pub mod browser;
pub mod calls;
pub mod crm;
pub mod crm_oauth_shapes;
pub mod crm_shapes;
pub mod daemon;
pub mod desktop;
pub mod fritz;
pub mod http;
pub mod ldap;
pub mod mosquitto;
pub mod oauth;
pub mod ports;
pub mod process;
pub mod radicale;
pub mod relay;
pub mod soak;

pub use browser::BrowserCapture;
pub use daemon::Daemon;
pub use desktop::Desktop;
pub use ports::free_port;

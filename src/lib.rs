//! screenpop's core: caller recognition, greetings and call journaling for softphones.
//!
//! A map for newcomers (data flows top to bottom):
//! - [`event`] — the one event model sources speak (`CallEvent`, `Ringing`/`Answered`/`Ended`).
//! - [`source`] — sources turning wire formats into events (baresip softphone over
//!   ctrl_tcp, MQTT broker, Asterisk AMI, Fritz!Box call monitor) under a reconnecting
//!   supervisor; [`api`] — the daemon's local HTTP API (events in, status, call control) on
//!   127.0.0.1 and the owner-only socket.
//! - [`engine`] — per-call state machines; publishes `EngineEvent`s and writes the call log.
//! - [`phone`] — number normalisation (E.164 + last-N-digits match keys); [`percent`] —
//!   URL/URI percent-encoding; [`quote`] — untrusted text cut short, redacted.
//! - [`directory`] — who is calling: the `Directory` trait, local contacts, importers, the CRM
//!   connectors (templated HTTP with presets, LDAP, CardDAV), and the chain (order, cache,
//!   coalescing, health); [`oauth`] — OAuth 2 sign-in and token refresh for HTTP directories;
//!   [`connect`] — signing in to a configured directory (`screenpop connect NAME`).
//! - [`rules`] — routing rules (VIP → transfer, urgent, auto-open, silent, tag) and their explanation.
//! - [`present`] — notifications (notify-rust), the pop policy, the URL opener.
//! - [`journal`] — the outbox worker delivering finished calls to CRMs (retry, backoff).
//! - [`model`] — the shared records (`Customer`, `NewContact`) below store and directories;
//!   [`link`] — the one http/https URL allowlist.
//! - [`store`] — SQLite (WAL, migrations): contacts, call log, lookup cache, outbox.
//! - [`config`] — settings from defaults, system files ($XDG_CONFIG_DIRS, with locks), the
//!   user's TOML file and environment; [`check`] — the whole
//!   settings check (config's own and each directory's), as errors with field paths.
//! - [`secrets`] — the OS keyring, read off the async workers; [`control`] — the call-control
//!   trait; [`sync`] — the poison-tolerant lock helpers.
//! - [`relay`] — `screenpop relay`: one PBX connection → per-extension topics on an MQTT
//!   broker, central lookup and journaling, per-agent ACLs, standby; [`topics`] — the
//!   floor's topic names, which the config, the relay and the MQTT source share.
//! - [`version`] — version and git commit of this build.
//! - [`daemon`] — everything assembled, as `screenpop run` and the desktop shell start it;
//!   [`memory`] — allocator settings that keep the idle daemon small.
//!
//! The core knows no window: shells subscribe to [`engine::Engine::subscribe`].

pub mod api;
pub mod check;
pub mod config;
pub mod connect;
pub mod control;
pub mod daemon;
pub mod directory;
pub mod engine;
pub mod event;
pub mod journal;
pub mod link;
pub mod memory;
pub mod model;
pub mod oauth;
pub mod percent;
pub mod phone;
pub mod present;
pub mod quote;
pub mod relay;
pub mod rules;
pub mod secrets;
pub mod source;
pub mod store;
pub mod sync;
pub mod topics;
pub mod version;

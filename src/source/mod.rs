//! Event sources: each turns its wire format into [`crate::event::CallEvent`]s for the
//! engine and nothing else.
//!
//! `schema` is screenpop's own versioned JSON event format (webhook today, MQTT later);
//! `webhook` is the local HTTP source `screenpop event …` posts to.

pub mod schema;
pub mod webhook;

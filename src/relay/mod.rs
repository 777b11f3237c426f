//! `screenpop relay`: the call-center floor's PBX side (see DESIGN §9).
//!
//! One PBX connection (the AMI source in floor mode, every extension) → per-extension calls
//! ([`floor`]) → the broker: `<prefix>/<ext>/events`, retained `…/current` and
//! `<prefix>/relay/status`. The relay looks each caller up once (the `[[directory]]` chain) and
//! journals each call once; desks are ordinary `kind = "mqtt"` sources. [`acl`] writes the
//! broker's per-agent ACL.

pub mod acl;
pub mod floor;

//! placeholder
pub mod calls;
pub mod wire;

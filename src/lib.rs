//! flagplan: a flag-space planner for kernel structures.
//!
//! Data flows one way: read ([`layout`]) → [`model`] → analyse ([`check`]) → [`render`].

pub(crate) mod builtin;
pub mod census;
pub mod check;
pub mod cmd;
pub(crate) mod config;
pub mod cread;
pub mod error;
pub(crate) mod fsutil;
pub mod guard;
pub mod import;
pub mod layout;
pub mod model;
pub mod render;
pub mod rules;
pub mod scan;
pub mod suggest;

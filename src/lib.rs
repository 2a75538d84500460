//! flagplan: a flag-space planner for kernel structures.
//!
//! Data flows one way: read ([`layout`]) → [`model`] → analyse ([`check`]) → [`render`].

pub mod builtin;
pub mod check;
pub mod cli;
pub mod config;
pub mod cread;
pub mod error;
pub mod fsutil;
pub mod guard;
pub mod import;
pub mod layout;
pub mod model;
pub mod render;
pub mod rules;
pub mod scan;
pub mod suggest;

//! # panoramix-mixnet
//!
//! The parts turned into the system of the seed: a backend trait driven by the
//! contributor agent (implemented for SPHINXMIX and ZEUS), the agreed description of
//! a mix-net and its per-cycle endpoint graph, the contributor agent itself, the
//! setup flows of the wizards, the client side (encrypting for a mix-net, casting a
//! ballot with a voter credential) and an election's transcript ([`election`]).
#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod agent;
pub mod backend;
#[cfg(feature = "test-hooks")]
pub mod cheat;
pub mod election;
pub mod mixnet;
pub mod sender;
pub mod setup;

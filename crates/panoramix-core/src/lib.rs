//! # panoramix-core
//!
//! The pure heart of panoramix, shared by the controller (native and Cloudflare
//! Worker), the clients, the contributor agents and the WebAssembly package. It does
//! no I/O and draws no randomness of its own: callers pass an RNG.
//!
//! * [`canonical`]: the original's canonical encoding, byte-exact, with a strict decoder.
//! * [`identity`]: Ed25519 keys, key ids, domain-separated signatures.
//! * [`envelope`]: the signed request envelope and its verification.
//! * [`negotiation`]: contribution texts, the closing rule, consensus ids.
//! * [`strict_json`]: the JSON reader of signed bodies (no repeated keys, bounded depth).
//! * [`model`]: endpoint statuses, boxes, message and set hashes, roles.
//! * [`time`]: the consensus timestamp format.
//! * [`audit`]: the audit log's entries, their hash chain and its verification.
//! * [`wire`]: the API's resources as typed wire data.
//! * [`boxes`]: a whole box in one transfer (framed download, one signed upload).
//! * [`changes`]: the change feed a client waits on instead of polling.
#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]
#![warn(missing_docs)]

pub mod audit;
pub mod backend;
pub mod boxes;
pub mod canonical;
pub mod changes;
pub mod envelope;
pub mod identity;
pub mod model;
pub mod negotiation;
pub mod strict_json;
pub mod time;
pub mod wire;

pub use canonical::Value;
pub use identity::{Domain, Keypair, PublicKey};

//! Sphinx mix packets for panoramix (the SPHINXMIX backend).
//!
//! Clients wrap a message in layered Sphinx packets through a route of mixes
//! ([`create_packet`], [`wrap_message`]); each mix peels one layer of a whole batch and
//! shuffles it ([`process_batch`]); the last hop yields (recipient, plaintext). Recipients
//! can answer an anonymous sender with a single-use reply block ([`create_surb`]).
//!
//! No I/O, no global randomness: every function that needs randomness takes an
//! `rng: &mut (impl RngCore + CryptoRng)`. The crate builds for `wasm32-unknown-unknown`;
//! natively, batches use every core (feature `parallel`, on by default).
//!
//! Primitives (wire version 1): Ristretto255 for α and the mix keys, one HKDF-SHA256 per
//! hop for all per-hop keys, ChaCha20 for the routing information, HMAC-SHA256-128 for the
//! header MAC, LIONESS(ChaCha20, HMAC-SHA256) for the payload with a 16-byte zero tag
//! checked at the exit. `docs/sphinx.md` gives the format byte by byte.
//!
//! ```
//! use panoramix_sphinx::*;
//! use rand_core::SeedableRng;
//! let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(7);
//! let params = SphinxParams::default();
//! let mixes: Vec<MixKeyPair> = (0..3).map(|_| MixKeyPair::generate(&mut rng)).collect();
//! let owners: Vec<MixPublicKey> = mixes.iter().map(|m| *m.public()).collect();
//! let route = select_route(&params, &owners).unwrap();
//! let msg = wrap_message(&params, &route, "alice", b"hello", &mut rng).unwrap();
//!
//! let mut batch = vec![msg.text];
//! for mix in &mixes {
//!     let mut cache = ReplayCache::for_node(mix.node_id());
//!     let out = process_batch(mix, &params, &mut cache, &batch, &mut rng).unwrap();
//!     assert!(out.rejected.is_empty());
//!     batch = out.outputs.into_iter().map(|o| o.text).collect();
//! }
//! assert_eq!(batch, vec!["hello".to_string()]);
//! ```

#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]
#![warn(missing_docs)]

mod backend;
mod batch;
mod client;
#[cfg(feature = "contributor")]
pub mod contributor;
mod crypto;
mod error;
mod keys;
mod packet;
pub mod params;
mod process;
mod replay;

/// The `rand_core` version this crate's `rng` arguments use (0.6), re-exported so callers
/// (wasm bindings, fuzz targets) can implement or name `RngCore + CryptoRng` without
/// depending on it themselves.
pub use rand_core;

pub use backend::{
    BACKEND_NAME, BatchOutcome, BatchOutput, ClientMessage, EndpointRole, EndpointType,
    GatewayOutcome, OutputKind, Rejected, SURB_RECIPIENT_PREFIX, gateway_accept, process_batch,
    select_route, shuffle, to_output, wrap_message,
};
pub use batch::peel_batch;
pub use client::{Route, Surb, SurbId, SurbOpener, create_packet, create_surb, packet_text_len};
pub use error::{Error, Malformed};
pub use keys::{MixKeyPair, MixNodeId, MixPublicKey};
pub use packet::SphinxPacket;
pub use params::SphinxParams;
pub use process::{ProcessedPacket, peel_layer, process_packet};
pub use replay::{DEFAULT_REPLAY_CAPACITY, ReplayCache, ReplayTag};

//! ZEUS backend for panoramix: a verifiable ElGamal re-encryption mix-net
//! on Ristretto255.
//!
//! * Trustee key shares with proofs of knowledge ([`TrusteeSecret`],
//!   [`combine_trustee_keys`]).
//! * Ballots that belong to their voter ([`VoterSecret`] credentials sign
//!   them) and prove their validity: one of the election's answers
//!   (disjunctive Chaum–Pedersen) or, for free text, knowledge of the
//!   randomness ([`encrypt_ballot`]); a canonical encoding of up to
//!   [`MAX_PLAINTEXT_LEN`] bytes into a group element; the Benaloh challenge
//!   ([`prepare_ballot`], [`open_ballot`]).
//! * Threshold trustees: a distributed key generation with complaints and
//!   disqualification ([`dkg`]) so that any `t` qualified trustees decrypt,
//!   invalid partial decryptions skipped.
//! * Mixing with a Terelius–Wikström proof ([`tw`], default) or a
//!   Sako–Kilian proof with at least 128 rounds ([`sk`]).
//! * Partial decryption with Chaum–Pedersen proofs and a combination that
//!   checks the trustees' keys against the election key and every proof
//!   first; a ballot that decrypts to no allowed answer is published as
//!   spoiled and never stops the tally ([`decrypt`], [`Outcome`]).
//! * A stand-alone verifier for a whole election ([`verify_election`]) that
//!   reports the first failure precisely ([`VerifyError`]).
//! * The endpoint types `ZEUS_BOOTH`, `ZEUS_TW_MIX`, `ZEUS_SK_MIX`,
//!   `ZEUS_SK_PARTIAL_DECRYPT` and `ZEUS_SK_COMBINE` as pure functions over
//!   message texts ([`backend`]); the threshold key generation's types
//!   `ZEUS_DKG_DEALINGS`, `ZEUS_DKG_VERDICTS` and `ZEUS_DKG_KEY`, and a
//!   threshold trustee's share recomputed at tally time ([`dkg_endpoints`]).
//!
//! The protocols, encodings and transcript layouts are specified in
//! `docs/zeus.md` at the repository root. No I/O; every randomised function
//! takes `rng: &mut (impl RngCore + CryptoRng)`; builds for
//! `wasm32-unknown-unknown` (the `parallel` feature, on by default, uses
//! rayon natively and is ignored on wasm32).
//!
//! ```
//! use panoramix_zeus::*;
//! use rand_chacha::ChaCha20Rng;
//! use rand_core::SeedableRng;
//!
//! let mut rng = ChaCha20Rng::from_seed([7; 32]);
//! let spec = ElectionSpec {
//!     session_id: "example".into(),
//!     trustees: 2,
//!     mixes: vec![MixKind::Tw, MixKind::Tw],
//!     answers: vec!["yes".into(), "no".into()],
//!     plaintexts: vec![b"yes".to_vec(), b"no".to_vec(), b"yes".to_vec()],
//! };
//! let (transcript, _secrets) = simulate_election(&spec, &mut rng)?;
//! let json = serde_json::to_string(&transcript).unwrap();
//! let report = verify_election(&json)?;
//! assert_eq!(report.ballots, 3);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]
#![warn(missing_docs)]

pub mod assemble;
pub mod backend;
pub mod ballot;
pub mod context;
#[cfg(feature = "contributor")]
pub mod contributor;
pub mod credential;
pub mod decrypt;
pub mod dkg;
pub mod dkg_endpoints;
pub mod election;
pub mod encoding;
pub mod error;
pub mod keys;
mod par;
pub mod params;
pub mod sk;
mod transcript;
pub mod tw;

#[cfg(test)]
mod fs_tests;

pub use assemble::assemble_transcript;
pub use backend::{BoothDecision, EndpointType, ProcessOutput, booth_filter};
pub use ballot::{
    Ballot, OrBranch, PreparedBallot, ValidityProof, check_ballot, encrypt_ballot, encrypt_element,
    open_ballot, prepare_ballot, verify_ballot,
};
pub use context::MixContext;
pub use credential::VoterSecret;
pub use decrypt::{CpProof, DecryptionShare, PartialDecryption, combine, partial_decrypt};
pub use dkg::{Complaint, Dealing, Dkg, DkgOutcome};
pub use election::{
    ElectionSpec, ElectionTranscript, MixKind, MixProof, MixRecord, SimulatedSecrets, VerifyReport,
    mix, parse_transcript, simulate_election, tally, verify_election, verify_mix,
    verify_transcript,
};
pub use encoding::{
    Ciphertext, HexScalar, MAX_PLAINTEXT_LEN, Point, decode_plaintext, encode_plaintext,
    encode_with_counter,
};
pub use error::{DecodeError, TwCheck, VerifyError, ZeusError};
pub use keys::{SchnorrProof, TrusteeKey, TrusteeSecret, combine_trustee_keys};
pub use params::{DecryptionKeys, MAX_ANSWERS, Outcome, RevotePolicy, Rules, ZeusParams};
pub use sk::{MIN_SK_ROUNDS, SkProof};
pub use transcript::{DOMAIN_PREFIX, GROUP_NAME};
pub use tw::TwProof;

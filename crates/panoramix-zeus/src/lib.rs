#![doc = "ZEUS backend (see docs/zeus.md)."]
#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]
#![warn(missing_docs)]

pub mod backend;
pub mod ballot;
pub mod context;
pub mod decrypt;
pub mod election;
pub mod encoding;
pub mod error;
pub mod keys;
mod par;
pub mod sk;
mod transcript;
pub mod tw;

#[cfg(test)]
mod fs_tests;

pub use backend::{EndpointType, ProcessOutput, ZeusParams};
pub use ballot::{Ballot, encrypt_ballot, verify_ballot};
pub use context::MixContext;
pub use decrypt::{CpProof, DecryptionShare, PartialDecryption, combine, partial_decrypt};
pub use election::{
    ElectionSpec, ElectionTranscript, MixKind, MixProof, MixRecord, VerifyReport, mix,
    parse_transcript, simulate_election, verify_election, verify_mix, verify_transcript,
};
pub use encoding::{Ciphertext, HexScalar, MAX_PLAINTEXT_LEN, Point, decode_plaintext, encode_plaintext};
pub use error::{DecodeError, TwCheck, VerifyError, ZeusError};
pub use keys::{SchnorrProof, TrusteeKey, TrusteeSecret, combine_trustee_keys};
pub use sk::{MIN_SK_ROUNDS, SkProof};
pub use transcript::{DOMAIN_PREFIX, GROUP_NAME};
pub use tw::TwProof;

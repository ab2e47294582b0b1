//! Error types. [`ZeusError`] is returned by provers and parsers;
//! [`VerifyError`] names the first check a verifier found failing.

use thiserror::Error;

/// Why bytes failed to decode into a group element or scalar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum DecodeError {
    /// Not lowercase hex of the expected length.
    #[error("expected {expected} lowercase hex characters")]
    BadHex {
        /// Expected number of hex characters.
        expected: usize,
    },
    /// Not the canonical encoding of a Ristretto255 element.
    #[error("non-canonical or invalid Ristretto255 encoding")]
    NonCanonicalPoint,
    /// The identity element, which is never valid on the wire.
    #[error("identity element not allowed")]
    IdentityPoint,
    /// A scalar encoding that is not reduced modulo ℓ.
    #[error("non-canonical scalar (not reduced modulo the group order)")]
    NonCanonicalScalar,
}

/// Errors of provers, encoders and the backend functions.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ZeusError {
    /// A list that must hold at least one element is empty (N = 0).
    #[error("empty input: at least one ciphertext is required")]
    EmptyInput,
    /// A plaintext is longer than [`crate::MAX_PLAINTEXT_LEN`].
    #[error("plaintext of {len} bytes exceeds the maximum of {max}")]
    PlaintextTooLong {
        /// Length given.
        len: usize,
        /// Maximum length.
        max: usize,
    },
    /// No encoding counter gave a valid group element (probability < 2^-50).
    #[error("plaintext could not be mapped to a group element")]
    PlaintextNotEncodable,
    /// A group element is not the encoding of any plaintext.
    #[error("group element does not encode a plaintext")]
    NotAPlaintext,
    /// A field failed to decode.
    #[error("{at}: {reason}")]
    Decode {
        /// Where the bad value is.
        at: String,
        /// Why it was rejected.
        reason: DecodeError,
    },
    /// Malformed text or JSON.
    #[error("{at}: {reason}")]
    Malformed {
        /// Where the problem is.
        at: String,
        /// Description.
        reason: String,
    },
    /// Fewer Sako–Kilian rounds than allowed were requested.
    #[error("{rounds} Sako-Kilian rounds requested, at least {min} required")]
    TooFewRounds {
        /// Rounds requested.
        rounds: u32,
        /// Minimum.
        min: u32,
    },
    /// An input failed verification (e.g. a share, a key proof, a ballot).
    #[error("verification failed: {0}")]
    Verify(#[from] VerifyError),
    /// The operation needs a secret key that was not given.
    #[error("this endpoint type needs a trustee secret key")]
    MissingSecret,
    /// The given secret key does not match the expected public key.
    #[error("secret key does not match any registered trustee")]
    UnknownTrustee,
    /// The answer is not on the election's candidate list.
    #[error("the answer is not one of the election's answers")]
    NotAnAnswer,
    /// Unknown endpoint type name.
    #[error("unknown endpoint type {0:?}")]
    UnknownEndpointType(String),
}

/// Which equation of a Terelius–Wikström proof failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TwCheck {
    /// `v·A + A' = k_A·G + Σ k_E,i·h_i` (the committed permutation applied to e).
    Commitment,
    /// `v·B_i + B'_i = k_B,i·G + k_E,i·B_{i-1}` for this 0-based index i.
    Chain {
        /// 0-based position in the chain.
        index: usize,
    },
    /// `v·C + C' = k_C·G` (committed matrix has row sums 1).
    Sum,
    /// `v·D + D' = k_D·G` (product of the permuted challenges).
    Product,
    /// `v·F + F' = Σ k_E,i·w'_i − k_F·(G, pk)`, component 1 or 2.
    Reencryption {
        /// 1 for the `c1` component, 2 for `c2`.
        component: u8,
    },
}

impl std::fmt::Display for TwCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TwCheck::Commitment => write!(f, "A (permutation commitment)"),
            TwCheck::Chain { index } => write!(f, "B chain at index {index}"),
            TwCheck::Sum => write!(f, "C (sum of commitments)"),
            TwCheck::Product => write!(f, "D (product of challenges)"),
            TwCheck::Reencryption { component } => {
                write!(f, "F (re-encryption), component {component}")
            }
        }
    }
}

/// The first failure found by a verifier. Indices are 0-based; `mix` is the
/// position of the mix in the chain (0 for a stand-alone mix check).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The transcript or message is not well-formed (JSON, hex, structure).
    #[error("malformed at {at}: {reason}")]
    Malformed {
        /// Path of the bad value (e.g. `mixes[1].proof.k_e[3]`).
        at: String,
        /// Description.
        reason: String,
    },
    /// A point or scalar failed canonical decoding.
    #[error("invalid encoding at {at}: {reason}")]
    Encoding {
        /// Path of the bad value.
        at: String,
        /// Why it was rejected.
        reason: DecodeError,
    },
    /// Unsupported transcript version string.
    #[error("unsupported version {found:?}")]
    UnsupportedVersion {
        /// Version found.
        found: String,
    },
    /// Unsupported group name.
    #[error("unsupported group {found:?}")]
    UnsupportedGroup {
        /// Group found.
        found: String,
    },
    /// A list that must be non-empty is empty (e.g. N = 0 ballots).
    #[error("{what} is empty")]
    Empty {
        /// Which list.
        what: String,
    },
    /// A list has the wrong length.
    #[error("{at}: expected length {expected}, found {found}")]
    LengthMismatch {
        /// Which list.
        at: String,
        /// Expected length.
        expected: usize,
        /// Found length.
        found: usize,
    },
    /// A trustee's proof of knowledge of its key share is invalid.
    #[error("trustee {trustee}: proof of knowledge of the key share does not verify")]
    TrusteeKeyProof {
        /// Trustee index.
        trustee: usize,
    },
    /// Two trustees published the same key share.
    #[error("trustee {trustee}: key share equals that of trustee {first}")]
    DuplicateTrustee {
        /// Later trustee.
        trustee: usize,
        /// Earlier trustee.
        first: usize,
    },
    /// The election key is not the sum of the trustees' shares.
    #[error("election public key is not the sum of the trustees' key shares")]
    JointKeyMismatch,
    /// A ballot's proof of knowledge of its randomness is invalid.
    #[error("ballot {ballot}: validity proof does not verify")]
    BallotProof {
        /// Ballot index.
        ballot: usize,
    },
    /// A ballot's signature by its credential does not verify.
    #[error("ballot {ballot}: signature by its credential does not verify")]
    BallotSignature {
        /// Index of the ballot.
        ballot: usize,
    },
    /// A ballot's credential is not on the voter list.
    #[error("ballot {ballot}: credential is not on the voter list")]
    NotEligible {
        /// Index of the ballot.
        ballot: usize,
    },
    /// A Benaloh audit of an opened ballot failed.
    #[error("opened ballot: {reason}")]
    BallotOpening {
        /// What failed.
        reason: String,
    },
    /// A published outcome is not the one the verified decryption gives.
    #[error(
        "plaintext {index}: published outcome {found:?}, the verified decryption gives {expected:?}"
    )]
    OutcomeMismatch {
        /// Position in the last mix's output.
        index: usize,
        /// Text form of the recomputed outcome.
        expected: String,
        /// Text form of the published one.
        found: String,
    },
    /// Fewer valid partial decryptions than the threshold.
    #[error("{valid} valid partial decryptions from qualified trustees, {needed} needed")]
    TooFewDecryptions {
        /// Valid partial decryptions found.
        valid: usize,
        /// The threshold.
        needed: usize,
    },
    /// A ballot replays (shares `c1` with) an earlier ballot.
    #[error("ballot {ballot}: replays ballot {first}")]
    DuplicateBallot {
        /// Later ballot.
        ballot: usize,
        /// Earlier ballot.
        first: usize,
    },
    /// An endpoint output differs from the result recomputed from its inputs
    /// (booth, combine).
    #[error("output {index} differs from the result recomputed from the inputs")]
    OutputMismatch {
        /// Index.
        index: usize,
    },
    /// Two mixes were made by the same mixer.
    #[error("mix {mix}: mixer {mixer:?} already mixed at position {first}")]
    DuplicateMixer {
        /// Later mix.
        mix: usize,
        /// Earlier mix.
        first: usize,
        /// Mixer id.
        mixer: String,
    },
    /// A mix's proof type is not the one required.
    #[error("mix {mix}: proof type {found} where {expected} is required")]
    WrongProofType {
        /// Mix index.
        mix: usize,
        /// Required.
        expected: &'static str,
        /// Found.
        found: &'static str,
    },
    /// A Sako–Kilian proof has too few rounds.
    #[error("mix {mix}: Sako-Kilian proof has {rounds} rounds, at least {min} required")]
    TooFewRounds {
        /// Mix index.
        mix: usize,
        /// Rounds in the proof.
        rounds: usize,
        /// Minimum.
        min: usize,
    },
    /// Sako–Kilian offsets are not a permutation of `0..N`.
    #[error("mix {mix}, round {round}: offsets are not a permutation of 0..N (index {index})")]
    NotAPermutation {
        /// Mix index.
        mix: usize,
        /// Round.
        round: usize,
        /// First offending index.
        index: usize,
    },
    /// A Sako–Kilian round's revealed re-encryption does not hold.
    #[error(
        "mix {mix}, round {round} (challenge bit {bit}): element {index} is not re-encrypted to its revealed position"
    )]
    SkRound {
        /// Mix index.
        mix: usize,
        /// Round.
        round: usize,
        /// Challenge bit of the round.
        bit: u8,
        /// Element index in the round's source list.
        index: usize,
    },
    /// A Terelius–Wikström equation fails.
    #[error("mix {mix}: Terelius-Wikstrom proof fails check {check}")]
    TwProof {
        /// Mix index.
        mix: usize,
        /// Which equation.
        check: TwCheck,
    },
    /// Partial decryptions are missing, duplicated or name unknown trustees.
    #[error("partial decryption {position}: {reason}")]
    PartialDecryptionSet {
        /// Position in the list.
        position: usize,
        /// Description.
        reason: String,
    },
    /// A Chaum–Pedersen decryption proof is invalid.
    #[error("trustee {trustee}: decryption proof for ciphertext {index} does not verify")]
    DecryptionProof {
        /// Trustee index.
        trustee: usize,
        /// Ciphertext index.
        index: usize,
    },
    /// A combined plaintext element does not decode.
    #[error("plaintext {index}: decrypted element does not decode to a plaintext")]
    UndecodablePlaintext {
        /// Index.
        index: usize,
    },
    /// A published plaintext differs from the verified decryption.
    #[error("plaintext {index}: published value differs from the verified decryption")]
    PlaintextMismatch {
        /// Index.
        index: usize,
    },
}

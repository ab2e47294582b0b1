//! The whole-election transcript and the stand-alone verifier.

use std::collections::HashMap;

use rand_chacha::ChaCha20Rng;
use rand_core::{CryptoRng, RngCore, SeedableRng};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha512};

use crate::ballot::{Ballot, encrypt_ballot, verify_ballot};
use crate::context::MixContext;
use crate::decrypt::{PartialDecryption, combine_decoded, decode_all, partial_decrypt};
use crate::encoding::{Ciphertext, DecodedCiphertext, Point};
use crate::error::{VerifyError, ZeusError};
use crate::keys::{TrusteeKey, TrusteeSecret, combine_trustee_keys};
use crate::par;
use crate::sk::{MIN_SK_ROUNDS, SkProof};
use crate::transcript::GROUP_NAME;
use crate::tw::TwProof;

/// Version string of election transcripts.
pub const TRANSCRIPT_VERSION: &str = "panoramix/zeus/v1/election";

/// Domain of the derandomised batching weights of [`verify_election`].
pub const VERIFIER_WEIGHTS_DOMAIN: &str = "panoramix/zeus/v1/verifier-weights";

/// Which proof of shuffle a mix uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum MixKind {
    /// Terelius–Wikström (default).
    #[default]
    Tw,
    /// Sako–Kilian with this many rounds (at least [`MIN_SK_ROUNDS`]).
    Sk {
        /// Number of rounds.
        rounds: u32,
    },
}

/// A proof of shuffle of either kind.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MixProof {
    /// Terelius–Wikström.
    Tw(Box<TwProof>),
    /// Sako–Kilian.
    Sk(SkProof),
}

impl MixProof {
    /// Parse the JSON form (`{"tw": …}` or `{"sk": …}`), reporting the path
    /// of the first bad value.
    pub fn from_json(json: &str) -> Result<Self, VerifyError> {
        let de = &mut serde_json::Deserializer::from_str(json);
        serde_path_to_error::deserialize(de).map_err(|e| VerifyError::Malformed {
            at: e.path().to_string(),
            reason: e.inner().to_string(),
        })
    }

    /// The JSON form.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// `"tw"` or `"sk"`.
    pub fn kind_name(&self) -> &'static str {
        match self {
            MixProof::Tw(_) => "tw",
            MixProof::Sk(_) => "sk",
        }
    }
}

/// One mix of the chain: its output list and its proof. Its input is the
/// previous mix's output (the accepted ballots' ciphertexts for the first).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MixRecord {
    /// Identifier of the mixer (must be distinct across the chain).
    pub mixer: String,
    /// Output ciphertexts.
    pub output: Vec<Ciphertext>,
    /// Proof of shuffle.
    pub proof: MixProof,
}

/// A complete election transcript.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ElectionTranscript {
    /// [`TRANSCRIPT_VERSION`].
    pub version: String,
    /// `"ristretto255"`.
    pub group: String,
    /// Election / session id, bound into every proof.
    pub session_id: String,
    /// Trustees' key shares with proofs of knowledge.
    pub trustees: Vec<TrusteeKey>,
    /// The election key (sum of the shares).
    pub public_key: Point,
    /// Accepted ballots, in order.
    pub ballots: Vec<Ballot>,
    /// The mix chain.
    pub mixes: Vec<MixRecord>,
    /// One partial decryption of the last mix's output per trustee.
    pub partial_decryptions: Vec<PartialDecryption>,
    /// Decrypted plaintexts (lowercase hex), in the order of the last output.
    pub plaintexts: Vec<String>,
}

/// What a successful verification checked, in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// Session id.
    pub session_id: String,
    /// Number of ballots (N).
    pub ballots: usize,
    /// Number of trustees.
    pub trustees: usize,
    /// Number of mixes.
    pub mixes: usize,
    /// Human-readable list of the checks performed.
    pub checks: Vec<String>,
}

impl std::fmt::Display for VerifyReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "election {:?}: VALID ({} ballots, {} trustees, {} mixes)",
            self.session_id, self.ballots, self.trustees, self.mixes
        )?;
        for c in &self.checks {
            writeln!(f, "  ok  {c}")?;
        }
        Ok(())
    }
}

/// Mix `input` with the given proof kind.
pub fn mix<R: RngCore + CryptoRng>(
    ctx: &MixContext,
    kind: MixKind,
    input: &[Ciphertext],
    rng: &mut R,
) -> Result<(Vec<Ciphertext>, MixProof), ZeusError> {
    match kind {
        MixKind::Tw => {
            let (o, p) = crate::tw::shuffle_and_prove(ctx, input, rng)?;
            Ok((o, MixProof::Tw(Box::new(p))))
        }
        MixKind::Sk { rounds } => {
            let (o, p) = crate::sk::shuffle_and_prove(ctx, input, rounds, rng)?;
            Ok((o, MixProof::Sk(p)))
        }
    }
}

/// Verify a proof of shuffle of either kind (Sako–Kilian needs at least
/// `max(min_sk_rounds, 128)` rounds).
pub fn verify_mix<R: RngCore + CryptoRng>(
    ctx: &MixContext,
    input: &[Ciphertext],
    output: &[Ciphertext],
    proof: &MixProof,
    min_sk_rounds: u32,
    rng: &mut R,
) -> Result<(), VerifyError> {
    match proof {
        MixProof::Tw(p) => crate::tw::verify(ctx, input, output, p, rng),
        MixProof::Sk(p) => crate::sk::verify(ctx, input, output, p, min_sk_rounds, rng),
    }
}

/// What [`simulate_election`] runs.
#[derive(Clone, Debug)]
pub struct ElectionSpec {
    /// Session id.
    pub session_id: String,
    /// Number of trustees (≥ 1).
    pub trustees: usize,
    /// The mix chain.
    pub mixes: Vec<MixKind>,
    /// One plaintext per voter.
    pub plaintexts: Vec<Vec<u8>>,
}

/// Run a whole honest election (keys, ballots, mixes, decryption) and
/// return its transcript and the trustees' secrets. For tests, test
/// vectors and benchmarks; deterministic for a seeded `rng`.
pub fn simulate_election<R: RngCore + CryptoRng>(
    spec: &ElectionSpec,
    rng: &mut R,
) -> Result<(ElectionTranscript, Vec<TrusteeSecret>), ZeusError> {
    let sid = spec.session_id.as_str();
    if spec.plaintexts.is_empty() {
        return Err(ZeusError::EmptyInput);
    }
    let secrets: Vec<TrusteeSecret> = (0..spec.trustees)
        .map(|_| TrusteeSecret::generate(rng))
        .collect();
    let trustees: Vec<TrusteeKey> = secrets.iter().map(|s| s.publish(sid, rng)).collect();
    let public_key = combine_trustee_keys(sid, &trustees)?;
    let ballots = spec
        .plaintexts
        .iter()
        .map(|m| encrypt_ballot(sid, &public_key, m, rng))
        .collect::<Result<Vec<_>, _>>()?;
    let ctx = MixContext::new(sid, &public_key).map_err(|reason| ZeusError::Decode {
        at: "public_key".into(),
        reason,
    })?;
    let mut list: Vec<Ciphertext> = ballots.iter().map(|b| b.ciphertext).collect();
    let mut mixes = Vec::new();
    for (k, kind) in spec.mixes.iter().enumerate() {
        let (output, proof) = mix(&ctx, *kind, &list, rng)?;
        list = output.clone();
        mixes.push(MixRecord {
            mixer: format!("mixer-{k}"),
            output,
            proof,
        });
    }
    let partial_decryptions = secrets
        .iter()
        .enumerate()
        .map(|(i, s)| partial_decrypt(sid, s, i, &list, rng))
        .collect::<Result<Vec<_>, _>>()?;
    let tpk: Vec<Point> = trustees.iter().map(|t| t.public_key).collect();
    let plain = crate::decrypt::combine(sid, &tpk, &list, &partial_decryptions, rng)?;
    Ok((
        ElectionTranscript {
            version: TRANSCRIPT_VERSION.into(),
            group: GROUP_NAME.into(),
            session_id: spec.session_id.clone(),
            trustees,
            public_key,
            ballots,
            mixes,
            partial_decryptions,
            plaintexts: plain.iter().map(hex::encode).collect(),
        },
        secrets,
    ))
}

/// Parse a transcript, reporting the JSON path of the first bad value.
pub fn parse_transcript(json: &str) -> Result<ElectionTranscript, VerifyError> {
    let de = &mut serde_json::Deserializer::from_str(json);
    serde_path_to_error::deserialize(de).map_err(|e| VerifyError::Malformed {
        at: e.path().to_string(),
        reason: e.inner().to_string(),
    })
}

/// Parse and verify a whole election transcript (JSON). The batching
/// weights are derived from a hash of the file (see docs/zeus.md); use
/// [`verify_transcript`] to supply your own randomness.
pub fn verify_election(json: &str) -> Result<VerifyReport, VerifyError> {
    let t = parse_transcript(json)?;
    let mut h = Sha512::new();
    h.update(VERIFIER_WEIGHTS_DOMAIN.as_bytes());
    h.update(json.as_bytes());
    let d = h.finalize();
    let mut seed = [0u8; 32];
    seed.copy_from_slice(&d[..32]);
    verify_transcript(&t, &mut ChaCha20Rng::from_seed(seed))
}

/// Verify a parsed transcript: every check of reference-mixnets.md §8, in
/// the order documented in docs/zeus.md; stops at the first failure.
pub fn verify_transcript<R: RngCore + CryptoRng>(
    t: &ElectionTranscript,
    rng: &mut R,
) -> Result<VerifyReport, VerifyError> {
    let mut checks = Vec::new();
    if t.version != TRANSCRIPT_VERSION {
        return Err(VerifyError::UnsupportedVersion {
            found: t.version.clone(),
        });
    }
    if t.group != GROUP_NAME {
        return Err(VerifyError::UnsupportedGroup {
            found: t.group.clone(),
        });
    }
    checks.push(format!("version {TRANSCRIPT_VERSION}, group {GROUP_NAME}"));
    let sid = t.session_id.as_str();

    // keys
    let joint = combine_trustee_keys(sid, &t.trustees)?;
    if joint != t.public_key {
        return Err(VerifyError::JointKeyMismatch);
    }
    checks.push(format!(
        "{} trustee key shares: distinct, each with a valid proof of knowledge bound to the session; election key = their sum",
        t.trustees.len()
    ));
    let ctx = MixContext::new(sid, &t.public_key).map_err(|reason| VerifyError::Encoding {
        at: "public_key".into(),
        reason,
    })?;

    // ballots
    let n = t.ballots.len();
    if n == 0 {
        return Err(VerifyError::Empty {
            what: "ballots".into(),
        });
    }
    let mut list_d: Vec<DecodedCiphertext> =
        par::try_map_range(n, |i| verify_ballot(sid, &t.public_key, &t.ballots[i], i))?;
    let mut seen: HashMap<Point, usize> = HashMap::with_capacity(n);
    for (i, b) in t.ballots.iter().enumerate() {
        if let Some(&first) = seen.get(&b.ciphertext.c1) {
            return Err(VerifyError::DuplicateBallot { ballot: i, first });
        }
        seen.insert(b.ciphertext.c1, i);
    }
    checks.push(format!(
        "{n} ballots: canonical encodings, valid proofs of knowledge of the randomness bound to session and key, no replayed ballot"
    ));

    // mixes
    if t.mixes.is_empty() {
        return Err(VerifyError::Empty {
            what: "mixes".into(),
        });
    }
    let mut mixers: HashMap<&str, usize> = HashMap::new();
    let mut list: Vec<Ciphertext> = t.ballots.iter().map(|b| b.ciphertext).collect();
    for (k, m) in t.mixes.iter().enumerate() {
        if let Some(&first) = mixers.get(m.mixer.as_str()) {
            return Err(VerifyError::DuplicateMixer {
                mix: k,
                first,
                mixer: m.mixer.clone(),
            });
        }
        mixers.insert(&m.mixer, k);
        let at = format!("mixes[{k}].");
        if m.output.len() != n {
            return Err(VerifyError::LengthMismatch {
                at: format!("{at}output"),
                expected: n,
                found: m.output.len(),
            });
        }
        let out_d = MixContext::decode_list(&format!("{at}output"), &m.output)?;
        let what = match &m.proof {
            MixProof::Tw(p) => {
                crate::tw::verify_decoded(&ctx, k, &at, &list, &list_d, &m.output, &out_d, p, rng)?;
                "Terelius-Wikstrom proof".to_string()
            }
            MixProof::Sk(p) => {
                crate::sk::verify_decoded(
                    &ctx,
                    k,
                    &at,
                    &list,
                    &list_d,
                    &m.output,
                    &out_d,
                    p,
                    MIN_SK_ROUNDS,
                    rng,
                )?;
                format!(
                    "Sako-Kilian proof with {} rounds (offsets are permutations, all lists of length N)",
                    p.rounds
                )
            }
        };
        checks.push(format!(
            "mix {k} by {:?}: input = previous list, {n} outputs, {what} valid",
            m.mixer
        ));
        list = m.output.clone();
        list_d = out_d;
    }

    // decryption
    let tpk: Vec<Point> = t.trustees.iter().map(|k| k.public_key).collect();
    let m = combine_decoded(sid, &tpk, "", &list, &list_d, &t.partial_decryptions, rng)?;
    checks.push(format!(
        "{} partial decryptions of the last mix output: one per registered trustee, every Chaum-Pedersen proof valid",
        t.partial_decryptions.len()
    ));
    let plain = decode_all(&m)?;
    if t.plaintexts.len() != n {
        return Err(VerifyError::LengthMismatch {
            at: "plaintexts".into(),
            expected: n,
            found: t.plaintexts.len(),
        });
    }
    for (j, (p, q)) in plain.iter().zip(t.plaintexts.iter()).enumerate() {
        if hex::encode(p) != *q {
            return Err(VerifyError::PlaintextMismatch { index: j });
        }
    }
    checks.push(format!(
        "{n} plaintexts: combined factors decode and equal the published result"
    ));
    Ok(VerifyReport {
        session_id: t.session_id.clone(),
        ballots: n,
        trustees: t.trustees.len(),
        mixes: t.mixes.len(),
        checks,
    })
}

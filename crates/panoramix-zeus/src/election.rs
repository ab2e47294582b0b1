//! The whole-election transcript and the stand-alone verifier.

use std::collections::HashMap;

use rand_chacha::ChaCha20Rng;
use rand_core::{CryptoRng, RngCore, SeedableRng};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha512};

use crate::ballot::{Ballot, check_ballot, encrypt_ballot};
use crate::context::MixContext;
use crate::credential::VoterSecret;
use crate::decrypt::{PartialDecryption, combine_decoded, outcomes, partial_decrypt};
use crate::encoding::{Ciphertext, DecodedCiphertext, Point};
use crate::error::{VerifyError, ZeusError};
use crate::keys::{TrusteeSecret, combine_trustee_keys};
use crate::par;
use crate::params::{DecryptionKeys, Outcome, Rules, ZeusParams};
use crate::sk::{MIN_SK_ROUNDS, SkProof};
use crate::transcript::GROUP_NAME;
use crate::tw::TwProof;

/// Version string of election transcripts.
pub const TRANSCRIPT_VERSION: &str = "panoramix/zeus/v2/election";

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
    /// The election: session id, key, trustees' key records, answers, voter
    /// list, re-vote policy.
    pub election: ZeusParams,
    /// Every ballot the box accepted, in box order (superseded re-votes
    /// included); the counted ones are derived by the box rule.
    pub ballots: Vec<Ballot>,
    /// The mix chain.
    pub mixes: Vec<MixRecord>,
    /// One partial decryption of the last mix's output per trustee.
    pub partial_decryptions: Vec<PartialDecryption>,
    /// The outcome of every ballot, in the order of the last output.
    pub plaintexts: Vec<Outcome>,
}

/// What a successful verification checked, in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// Session id.
    pub session_id: String,
    /// Number of counted ballots (N).
    pub ballots: usize,
    /// Of which spoiled.
    pub spoiled: usize,
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
            "election {:?}: VALID ({} ballots counted, {} spoiled, {} trustees, {} mixes)",
            self.session_id, self.ballots, self.spoiled, self.trustees, self.mixes
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
    /// The candidate list (empty: free text).
    pub answers: Vec<String>,
    /// One answer per voter.
    pub plaintexts: Vec<Vec<u8>>,
}

/// What [`simulate_election`] returns besides the transcript.
pub struct SimulatedSecrets {
    /// The trustees' key shares, in trustee order.
    pub trustees: Vec<TrusteeSecret>,
    /// The voters' credentials, one per plaintext, in order.
    pub voters: Vec<VoterSecret>,
}

/// Run a whole honest election (keys, a voter list with one credential per
/// voter, ballots, mixes, decryption) and return its transcript and the
/// secrets. For tests, test vectors and benchmarks; deterministic for a
/// seeded `rng`.
pub fn simulate_election<R: RngCore + CryptoRng>(
    spec: &ElectionSpec,
    rng: &mut R,
) -> Result<(ElectionTranscript, SimulatedSecrets), ZeusError> {
    let sid = spec.session_id.as_str();
    if spec.plaintexts.is_empty() {
        return Err(ZeusError::EmptyInput);
    }
    let secrets: Vec<TrusteeSecret> = (0..spec.trustees)
        .map(|_| TrusteeSecret::generate(rng))
        .collect();
    let trustees: Vec<_> = secrets.iter().map(|s| s.publish(sid, rng)).collect();
    let public_key = combine_trustee_keys(sid, &trustees)?;
    let voters: Vec<VoterSecret> = spec
        .plaintexts
        .iter()
        .map(|_| VoterSecret::generate(rng))
        .collect();
    let mut election = ZeusParams::new(sid, public_key);
    election.trustees = trustees;
    election.answers = spec.answers.clone();
    election.voters = voters.iter().map(VoterSecret::public).collect();
    let ballots = spec
        .plaintexts
        .iter()
        .zip(&voters)
        .map(|(m, v)| encrypt_ballot(&election, v, m, rng))
        .collect::<Result<Vec<_>, _>>()?;
    let list: Vec<Ciphertext> = ballots.iter().map(|b| b.ciphertext).collect();
    let (mixes, partial_decryptions, plaintexts) =
        tally(&election, &spec.mixes, list, &secrets, rng)?;
    Ok((
        ElectionTranscript {
            version: TRANSCRIPT_VERSION.into(),
            group: GROUP_NAME.into(),
            election,
            ballots,
            mixes,
            partial_decryptions,
            plaintexts,
        },
        SimulatedSecrets {
            trustees: secrets,
            voters,
        },
    ))
}

/// What an honest tally publishes: the mix chain, the partial decryptions of
/// its last output and the outcomes.
pub type Tally = (Vec<MixRecord>, Vec<PartialDecryption>, Vec<Outcome>);

/// Mix `list` through `kinds` (mixers named `mixer-0`, …), have every trustee
/// decrypt the last output, and combine: what an honest tally publishes.
pub fn tally<R: RngCore + CryptoRng>(
    election: &ZeusParams,
    kinds: &[MixKind],
    mut list: Vec<Ciphertext>,
    trustees: &[TrusteeSecret],
    rng: &mut R,
) -> Result<Tally, ZeusError> {
    let sid = election.session_id.as_str();
    let ctx = MixContext::new(sid, &election.election_public_key).map_err(|reason| {
        ZeusError::Decode {
            at: "public_key".into(),
            reason,
        }
    })?;
    let mut mixes = Vec::new();
    for (k, kind) in kinds.iter().enumerate() {
        let (output, proof) = mix(&ctx, *kind, &list, rng)?;
        list = output.clone();
        mixes.push(MixRecord {
            mixer: format!("mixer-{k}"),
            output,
            proof,
        });
    }
    let partials = trustees
        .iter()
        .enumerate()
        .map(|(i, s)| partial_decrypt(sid, s, i, &list, rng))
        .collect::<Result<Vec<_>, _>>()?;
    let plain = crate::decrypt::combine(election, &list, &partials, rng)?;
    Ok((mixes, partials, plain))
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
    check_format(t, &mut checks)?;
    let e = &t.election;
    let (tpk, rules, ctx) = check_election(e, &mut checks)?;
    let (counted, counted_d) = check_ballots(t, &rules, &mut checks)?;
    let n = counted.len();
    let (list, list_d) = check_mixes(t, &ctx, counted, counted_d, rng, &mut checks)?;
    let spoiled = check_tally(t, &tpk, &list, &list_d, rng, &mut checks)?;
    Ok(VerifyReport {
        session_id: e.session_id.clone(),
        ballots: n,
        spoiled,
        trustees: tpk.keys.len(),
        mixes: t.mixes.len(),
        checks,
    })
}

/// The transcript's version and group.
fn check_format(t: &ElectionTranscript, checks: &mut Vec<String>) -> Result<(), VerifyError> {
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
    Ok(())
}

/// The election: trustees' keys, answers, voter list; returns the trustees'
/// decryption keys, the ballot rules and the mixing context.
fn check_election(
    e: &ZeusParams,
    checks: &mut Vec<String>,
) -> Result<(DecryptionKeys, Rules, MixContext), VerifyError> {
    let tpk = e.verify_trustees()?;
    checks.push(match (&e.dkg, tpk.threshold) {
        (Some(d), Some(th)) => format!(
            "key generation {:?} among {} trustees (keys with valid proofs of knowledge bound to {:?}, distinct): every dealing and complaint checked, {} qualified, threshold {th}; election key = sum of the qualified constant terms; verification keys recomputed",
            d.session_id,
            tpk.keys.len(),
            e.key_session(),
            tpk.qualified.len()
        ),
        _ => format!(
            "{} trustee key shares: distinct, each with a valid proof of knowledge bound to {:?}; election key = their sum",
            tpk.keys.len(),
            e.key_session()
        ),
    });
    let rules = e.check_definition()?;
    checks.push(format!(
        "election definition: {}, {}, re-vote policy: last ballot counts",
        if e.answers.is_empty() {
            "free-text answers".to_string()
        } else {
            format!("{} distinct answers", e.answers.len())
        },
        if e.voters.is_empty() {
            "any credential may vote".to_string()
        } else {
            format!("{} distinct voter credentials", e.voters.len())
        }
    ));
    let ctx = MixContext::new(e.session_id.as_str(), &e.election_public_key).map_err(|reason| {
        VerifyError::Encoding {
            at: "election.election_public_key".into(),
            reason,
        }
    })?;
    Ok((tpk, rules, ctx))
}

/// Ballots: each valid, no replay, then each credential's last one counts.
/// Returns the counted ciphertexts, also decoded.
fn check_ballots(
    t: &ElectionTranscript,
    rules: &Rules,
    checks: &mut Vec<String>,
) -> Result<(Vec<Ciphertext>, Vec<DecodedCiphertext>), VerifyError> {
    let e = &t.election;
    par::try_map_range(t.ballots.len(), |i| {
        check_ballot(e, rules, &t.ballots[i], i)
    })?;
    let mut seen: HashMap<Point, usize> = HashMap::with_capacity(t.ballots.len());
    for (i, b) in t.ballots.iter().enumerate() {
        if let Some(&first) = seen.get(&b.ciphertext.c1) {
            return Err(VerifyError::DuplicateBallot { ballot: i, first });
        }
        seen.insert(b.ciphertext.c1, i);
    }
    let counted = crate::backend::decide(t.ballots.iter().cloned().map(Ok).collect()).counted;
    let n = counted.len();
    if n == 0 {
        return Err(VerifyError::Empty {
            what: "ballots".into(),
        });
    }
    let counted_d: Vec<DecodedCiphertext> = MixContext::decode_list("ballots", &counted)?;
    checks.push(format!(
        "{} accepted ballots: canonical encodings, valid validity proofs and credential signatures bound to session, key and credential, eligible credentials, no replayed ballot; {n} counted (each credential's last ballot)",
        t.ballots.len()
    ));
    Ok((counted, counted_d))
}

/// The mixes, in order, starting from the counted ballots: distinct mixers,
/// N outputs each, a valid proof of shuffle. Returns the last output, also
/// decoded.
fn check_mixes<R: RngCore + CryptoRng>(
    t: &ElectionTranscript,
    ctx: &MixContext,
    counted: Vec<Ciphertext>,
    counted_d: Vec<DecodedCiphertext>,
    rng: &mut R,
    checks: &mut Vec<String>,
) -> Result<(Vec<Ciphertext>, Vec<DecodedCiphertext>), VerifyError> {
    if t.mixes.is_empty() {
        return Err(VerifyError::Empty {
            what: "mixes".into(),
        });
    }
    let n = counted.len();
    let mut mixers: HashMap<&str, usize> = HashMap::new();
    let mut list: Vec<Ciphertext> = counted;
    let mut list_d = counted_d;
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
                crate::tw::verify_decoded(ctx, k, &at, &list, &list_d, &m.output, &out_d, p, rng)?;
                "Terelius-Wikstrom proof".to_string()
            }
            MixProof::Sk(p) => {
                crate::sk::verify_decoded(
                    ctx,
                    k,
                    &at,
                    &list,
                    &list_d,
                    &m.output,
                    &out_d,
                    p,
                    t.election.sk_rounds.max(MIN_SK_ROUNDS),
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
    Ok((list, list_d))
}

/// Decryption of the last mix output and the published outcomes; returns
/// the number of spoiled ballots.
fn check_tally<R: RngCore + CryptoRng>(
    t: &ElectionTranscript,
    tpk: &DecryptionKeys,
    list: &[Ciphertext],
    list_d: &[DecodedCiphertext],
    rng: &mut R,
    checks: &mut Vec<String>,
) -> Result<usize, VerifyError> {
    let e = &t.election;
    let n = list.len();
    let c = combine_decoded(
        e.session_id.as_str(),
        tpk,
        "",
        list,
        list_d,
        &t.partial_decryptions,
        &[],
        rng,
    )?;
    checks.push(match tpk.threshold {
        None => format!(
            "{} partial decryptions of the last mix output: one per registered trustee, every Chaum-Pedersen proof valid",
            t.partial_decryptions.len()
        ),
        Some(th) => format!(
            "{} partial decryptions of the last mix output from distinct qualified trustees, each checked against its verification key; {} skipped as invalid{}; combined with Lagrange coefficients over trustees {:?} (threshold {th})",
            t.partial_decryptions.len(),
            c.skipped.len(),
            c.skipped
                .iter()
                .map(|(p, e)| format!(" (#{p}: {e})"))
                .collect::<String>(),
            c.used.iter().map(|u| u + 1).collect::<Vec<_>>()
        ),
    });
    let plain = outcomes(e, &c.m);
    if t.plaintexts.len() != n {
        return Err(VerifyError::LengthMismatch {
            at: "plaintexts".into(),
            expected: n,
            found: t.plaintexts.len(),
        });
    }
    for (j, (p, q)) in plain.iter().zip(t.plaintexts.iter()).enumerate() {
        if p != q {
            return Err(VerifyError::OutcomeMismatch {
                index: j,
                expected: p.to_text(),
                found: q.to_text(),
            });
        }
    }
    let spoiled = plain.iter().filter(|p| p.is_spoiled()).count();
    checks.push(format!(
        "{n} outcomes equal the combined factors: {} allowed answers in canonical encoding, {spoiled} spoiled (element published, counted as invalid)",
        n - spoiled
    ));
    Ok(spoiled)
}

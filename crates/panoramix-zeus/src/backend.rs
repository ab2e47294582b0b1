//! Backend side of the ZEUS endpoint types, shaped for a `MixBackend`-style
//! trait: each endpoint type has a pure `process` from (parameters, secret
//! key if any, input message texts) to (output message texts, proof text),
//! and a `verify` that a co-owner or downstream endpoint runs on
//! (inputs, outputs, proof) before accepting.
//!
//! | type | input texts | output texts | proof text |
//! |---|---|---|---|
//! | `ZEUS_BOOTH` | ballots (hex, [`Ballot::to_text`]) | ciphertexts (128 hex) of the counted ballots (each credential's last accepted one), in input order | JSON list of rejected inputs |
//! | `ZEUS_TW_MIX` | ciphertexts | ciphertexts | JSON `{"tw": TwProof}` |
//! | `ZEUS_SK_MIX` | ciphertexts | ciphertexts | JSON `{"sk": SkProof}` |
//! | `ZEUS_SK_PARTIAL_DECRYPT` | ciphertexts | decryption shares (448 hex), one per input | empty |
//! | `ZEUS_SK_COMBINE` | shares of every trustee for every ciphertext | outcomes ([`Outcome::to_text`]: plaintext hex or `spoiled:` + element hex), sorted by ciphertext | empty |

use std::collections::{BTreeMap, HashMap, HashSet};

use rand_chacha::ChaCha20Rng;
use rand_core::{CryptoRng, RngCore, SeedableRng};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha512};

use crate::ballot::{Ballot, check_ballot};
use crate::context::MixContext;
use crate::decrypt::{CpProof, DecryptionShare, PartialDecryption, combine_decoded, outcomes};
use crate::election::{MixKind, MixProof, mix};
use crate::encoding::{Ciphertext, Point};
use crate::error::{VerifyError, ZeusError};
use crate::keys::TrusteeSecret;
use crate::par;
pub use crate::params::ZeusParams;
use crate::params::{DecryptionKeys, Outcome};
use crate::sk::MIN_SK_ROUNDS;

/// The ZEUS endpoint types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EndpointType {
    /// Ballot box: accepts ballots with a valid proof for this election.
    ZeusBooth,
    /// Re-encryption mix with a Sako–Kilian proof (Zeus-compatible).
    ZeusSkMix,
    /// Re-encryption mix with a Terelius–Wikström proof (default, ≈35× cheaper).
    ZeusTwMix,
    /// One trustee's partial decryption with Chaum–Pedersen proofs.
    ZeusSkPartialDecrypt,
    /// Verifies all shares and combines them into plaintexts.
    ZeusSkCombine,
}

impl EndpointType {
    /// Every type.
    pub const ALL: [EndpointType; 5] = [
        EndpointType::ZeusBooth,
        EndpointType::ZeusSkMix,
        EndpointType::ZeusTwMix,
        EndpointType::ZeusSkPartialDecrypt,
        EndpointType::ZeusSkCombine,
    ];

    /// The wire name, e.g. `"ZEUS_SK_MIX"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            EndpointType::ZeusBooth => "ZEUS_BOOTH",
            EndpointType::ZeusSkMix => "ZEUS_SK_MIX",
            EndpointType::ZeusTwMix => "ZEUS_TW_MIX",
            EndpointType::ZeusSkPartialDecrypt => "ZEUS_SK_PARTIAL_DECRYPT",
            EndpointType::ZeusSkCombine => "ZEUS_SK_COMBINE",
        }
    }

    /// Parse a wire name.
    pub fn parse(s: &str) -> Result<Self, ZeusError> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| ZeusError::UnknownEndpointType(s.to_owned()))
    }

    /// Whether `process` needs the trustee's secret key.
    pub fn needs_secret(&self) -> bool {
        matches!(self, EndpointType::ZeusSkPartialDecrypt)
    }
}

impl std::fmt::Display for EndpointType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for EndpointType {
    type Err = ZeusError;
    fn from_str(s: &str) -> Result<Self, ZeusError> {
        EndpointType::parse(s)
    }
}

impl Serialize for EndpointType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for EndpointType {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s: std::borrow::Cow<'de, str> = Deserialize::deserialize(d)?;
        EndpointType::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Result of `process`: output message texts and the proof text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessOutput {
    /// Output messages, in order.
    pub outputs: Vec<String>,
    /// Proof text (may be empty).
    pub proof: String,
}

/// An input the booth rejected.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejected {
    /// Index in the input list.
    pub index: usize,
    /// Why.
    pub reason: String,
}

fn malformed(at: String, e: impl std::fmt::Display) -> VerifyError {
    VerifyError::Malformed {
        at,
        reason: e.to_string(),
    }
}

fn parse_cts<S: AsRef<str>>(what: &str, texts: &[S]) -> Result<Vec<Ciphertext>, VerifyError> {
    texts
        .iter()
        .enumerate()
        .map(|(i, s)| {
            Ciphertext::from_text(s.as_ref()).map_err(|reason| VerifyError::Encoding {
                at: format!("{what}[{i}]"),
                reason,
            })
        })
        .collect()
}

fn context(params: &ZeusParams) -> Result<MixContext, VerifyError> {
    MixContext::new(&params.session_id, &params.election_public_key).map_err(|reason| {
        VerifyError::Encoding {
            at: "params.election_public_key".into(),
            reason,
        }
    })
}

/// The booth's decision on a list of ballot texts (the box rule of
/// docs/zeus.md §4).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BoothDecision {
    /// Accepted ballots with their input index, in input order (re-votes
    /// that were later superseded included).
    pub accepted: Vec<(usize, Ballot)>,
    /// The counted ciphertexts: each credential's last accepted ballot, in
    /// input order.
    pub counted: Vec<Ciphertext>,
    /// Refused inputs.
    pub rejected: Vec<Rejected>,
}

/// Apply the box rule to ballot texts: refuse what does not parse, does not
/// verify ([`check_ballot`]: validity proof, signature, eligibility) or
/// replays an accepted ballot's `c1`; count each credential's last accepted
/// ballot. Invalid parameters refuse every input.
pub fn booth_filter<S: AsRef<str> + Sync>(params: &ZeusParams, inputs: &[S]) -> BoothDecision {
    booth_filter_known(params, inputs, &[]).0
}

/// [`booth_filter`], where `known[i]` says that `inputs[i]` already passed
/// [`check_ballot`] under these same parameters (its checks are skipped; a
/// missing entry is `false`). Also returns, per input, whether it passed them
/// (for the caller to remember).
pub fn booth_filter_known<S: AsRef<str> + Sync>(
    params: &ZeusParams,
    inputs: &[S],
    known: &[bool],
) -> (BoothDecision, Vec<bool>) {
    let rules = match params.rules() {
        Ok(r) => r,
        Err(e) => {
            let refused = BoothDecision {
                rejected: (0..inputs.len())
                    .map(|index| Rejected {
                        index,
                        reason: format!("election parameters: {e}"),
                    })
                    .collect(),
                ..BoothDecision::default()
            };
            return (refused, vec![false; inputs.len()]);
        }
    };
    let checked: Vec<Result<Ballot, String>> = par::map_range(inputs.len(), |i| {
        let b = Ballot::from_text(inputs[i].as_ref()).map_err(|e| e.to_string())?;
        if !known.get(i).copied().unwrap_or(false) {
            check_ballot(params, &rules, &b, i).map_err(|e| e.to_string())?;
        }
        Ok(b)
    });
    let passed = checked.iter().map(Result::is_ok).collect();
    (decide(checked), passed)
}

/// The box rule over ballots already checked one by one.
pub(crate) fn decide(checked: Vec<Result<Ballot, String>>) -> BoothDecision {
    let mut d = BoothDecision::default();
    let mut seen = HashSet::new();
    for (index, r) in checked.into_iter().enumerate() {
        match r {
            Ok(b) if !seen.insert(b.ciphertext.c1) => d.rejected.push(Rejected {
                index,
                reason: "replays an earlier ballot".into(),
            }),
            Ok(b) => d.accepted.push((index, b)),
            Err(reason) => d.rejected.push(Rejected { index, reason }),
        }
    }
    let mut last: HashMap<Point, usize> = HashMap::new();
    for (k, (_, b)) in d.accepted.iter().enumerate() {
        last.insert(b.credential, k);
    }
    d.counted = d
        .accepted
        .iter()
        .enumerate()
        .filter(|(k, (_, b))| last.get(&b.credential) == Some(k))
        .map(|(_, (_, b))| b.ciphertext)
        .collect();
    d
}

/// Group shares by ciphertext (sorted by ciphertext bytes) into one partial
/// decryption per trustee that posted. n-of-n: every trustee must cover
/// every ciphertext. Threshold: a trustee that posted nothing is absent, one
/// that missed a ciphertext is left out (the combination needs `t` others).
/// `known[i]`: input `i`'s proof was verified before; returned per partial
/// decryption: all of its shares were.
#[allow(clippy::type_complexity)]
fn group_shares<S: AsRef<str>>(
    keys: &DecryptionKeys,
    inputs: &[S],
    known: &[bool],
) -> Result<(Vec<Ciphertext>, Vec<PartialDecryption>, Vec<bool>), VerifyError> {
    let t = keys.keys.len();
    if t == 0 {
        return Err(VerifyError::Empty {
            what: "params.trustees".into(),
        });
    }
    let mut by_ct: BTreeMap<Ciphertext, Vec<Option<(Point, CpProof)>>> = BTreeMap::new();
    let mut all_known = vec![true; t];
    for (i, s) in inputs.iter().enumerate() {
        let sh =
            DecryptionShare::from_text(s.as_ref()).map_err(|reason| VerifyError::Encoding {
                at: format!("input[{i}]"),
                reason,
            })?;
        let ti = keys
            .keys
            .iter()
            .position(|p| *p == sh.trustee_public_key)
            .ok_or_else(|| VerifyError::PartialDecryptionSet {
                position: i,
                reason: "share from an unregistered trustee".into(),
            })?;
        let slot = by_ct.entry(sh.ciphertext).or_insert_with(|| vec![None; t]);
        if slot[ti].is_some() {
            return Err(VerifyError::PartialDecryptionSet {
                position: i,
                reason: format!("second share of trustee {ti} for the same ciphertext"),
            });
        }
        slot[ti] = Some((sh.factor, sh.proof));
        all_known[ti] &= known.get(i).copied().unwrap_or(false);
    }
    if by_ct.is_empty() {
        return Err(VerifyError::Empty {
            what: "input".into(),
        });
    }
    let cts: Vec<Ciphertext> = by_ct.keys().copied().collect();
    let mut pds = Vec::with_capacity(t);
    let mut pds_known = Vec::with_capacity(t);
    for ti in 0..t {
        let mine: Vec<Option<(Point, CpProof)>> = by_ct.values().map(|slots| slots[ti]).collect();
        let covered = mine.iter().filter(|s| s.is_some()).count();
        if keys.threshold.is_some() && covered < cts.len() {
            continue;
        }
        if let Some(j) = mine.iter().position(Option::is_none) {
            return Err(VerifyError::PartialDecryptionSet {
                position: j,
                reason: format!(
                    "no share of trustee {ti} for ciphertext {}",
                    cts[j].to_text()
                ),
            });
        }
        let (factors, proofs) = mine.into_iter().flatten().unzip();
        pds.push(PartialDecryption {
            trustee: ti,
            factors,
            proofs,
        });
        pds_known.push(all_known[ti]);
    }
    Ok((cts, pds, pds_known))
}

/// The combination's outputs from the shares in `inputs`; `known[i]`: the
/// proof of input `i` was verified before under these parameters (a trustee
/// all of whose shares were is not verified again; a missing entry is
/// `false`).
pub fn combine_shares<S: AsRef<str>, R: RngCore + CryptoRng>(
    params: &ZeusParams,
    inputs: &[S],
    known: &[bool],
    rng: &mut R,
) -> Result<Vec<String>, VerifyError> {
    let trustees = params.verify_trustees()?;
    params.rules()?;
    let (cts, pds, pds_known) = group_shares(&trustees, inputs, known)?;
    let dec = MixContext::decode_list("ciphertexts", &cts)?;
    let c = combine_decoded(
        &params.session_id,
        &trustees,
        "",
        &cts,
        &dec,
        &pds,
        &pds_known,
        rng,
    )?;
    Ok(outcomes(params, &c.m)
        .iter()
        .map(Outcome::to_text)
        .collect())
}

/// The booth's processing of its decision: the counted ciphertexts, and the
/// rejected ballots as its proof.
pub fn booth_output(d: &BoothDecision) -> Result<ProcessOutput, ZeusError> {
    Ok(ProcessOutput {
        outputs: d.counted.iter().map(Ciphertext::to_text).collect(),
        proof: serde_json::to_string(&d.rejected).map_err(|e| ZeusError::Malformed {
            at: "proof".into(),
            reason: e.to_string(),
        })?,
    })
}

/// Check a booth's `outputs` against its decision.
pub fn booth_check<T: AsRef<str>>(d: &BoothDecision, outputs: &[T]) -> Result<(), VerifyError> {
    let exp: Vec<String> = d.counted.iter().map(Ciphertext::to_text).collect();
    check_same(&exp, outputs)
}

/// Run endpoint type `ty` on `inputs`. `secret` is needed only by
/// `ZEUS_SK_PARTIAL_DECRYPT`.
pub fn process<S: AsRef<str> + Sync, R: RngCore + CryptoRng>(
    ty: EndpointType,
    params: &ZeusParams,
    secret: Option<&TrusteeSecret>,
    inputs: &[S],
    rng: &mut R,
) -> Result<ProcessOutput, ZeusError> {
    match ty {
        EndpointType::ZeusBooth => booth_output(&booth_filter(params, inputs)),
        EndpointType::ZeusSkMix | EndpointType::ZeusTwMix => {
            let kind = if ty == EndpointType::ZeusTwMix {
                MixKind::Tw
            } else {
                MixKind::Sk {
                    rounds: params.sk_rounds.max(MIN_SK_ROUNDS),
                }
            };
            let ctx = context(params)?;
            let input = parse_cts("input", inputs)?;
            let (out, proof) = mix(&ctx, kind, &input, rng)?;
            Ok(ProcessOutput {
                outputs: out.iter().map(Ciphertext::to_text).collect(),
                proof: serde_json::to_string(&proof).map_err(|e| ZeusError::Malformed {
                    at: "proof".into(),
                    reason: e.to_string(),
                })?,
            })
        }
        EndpointType::ZeusSkPartialDecrypt => {
            let secret = secret.ok_or(ZeusError::MissingSecret)?;
            let pk = secret.public_key();
            let trustee = params
                .verify_trustees()?
                .keys
                .iter()
                .position(|k| *k == pk)
                .ok_or(ZeusError::UnknownTrustee)?;
            let input = parse_cts("input", inputs)?;
            let pd =
                crate::decrypt::partial_decrypt(&params.session_id, secret, trustee, &input, rng)?;
            let outputs = input
                .iter()
                .zip(pd.factors.iter().zip(pd.proofs.iter()))
                .map(|(c, (f, p))| {
                    DecryptionShare {
                        trustee_public_key: pk,
                        ciphertext: *c,
                        factor: *f,
                        proof: *p,
                    }
                    .to_text()
                })
                .collect();
            Ok(ProcessOutput {
                outputs,
                proof: String::new(),
            })
        }
        EndpointType::ZeusSkCombine => Ok(ProcessOutput {
            outputs: combine_shares(params, inputs, &[], rng)?,
            proof: String::new(),
        }),
    }
}

fn check_same<S: AsRef<str>>(expected: &[String], outputs: &[S]) -> Result<(), VerifyError> {
    if expected.len() != outputs.len() {
        return Err(VerifyError::LengthMismatch {
            at: "output".into(),
            expected: expected.len(),
            found: outputs.len(),
        });
    }
    for (i, (e, o)) in expected.iter().zip(outputs.iter()).enumerate() {
        if e != o.as_ref() {
            return Err(VerifyError::OutputMismatch { index: i });
        }
    }
    Ok(())
}

/// Check that `outputs` and `proof` are a correct processing of `inputs`
/// by an endpoint of type `ty`.
pub fn verify<S: AsRef<str> + Sync, T: AsRef<str>, R: RngCore + CryptoRng>(
    ty: EndpointType,
    params: &ZeusParams,
    inputs: &[S],
    outputs: &[T],
    proof: &str,
    rng: &mut R,
) -> Result<(), VerifyError> {
    match ty {
        EndpointType::ZeusBooth => booth_check(&booth_filter(params, inputs), outputs),
        EndpointType::ZeusSkMix | EndpointType::ZeusTwMix => {
            let ctx = context(params)?;
            let input = parse_cts("input", inputs)?;
            let output = parse_cts("output", outputs)?;
            let de = &mut serde_json::Deserializer::from_str(proof);
            let p: MixProof = serde_path_to_error::deserialize(de)
                .map_err(|e| malformed(format!("proof.{}", e.path()), e.inner()))?;
            let expected = if ty == EndpointType::ZeusTwMix {
                "tw"
            } else {
                "sk"
            };
            if p.kind_name() != expected {
                return Err(VerifyError::WrongProofType {
                    mix: 0,
                    expected,
                    found: p.kind_name(),
                });
            }
            crate::election::verify_mix(&ctx, &input, &output, &p, params.sk_rounds, rng)
        }
        EndpointType::ZeusSkPartialDecrypt => {
            let input = parse_cts("input", inputs)?;
            if input.is_empty() {
                return Err(VerifyError::Empty {
                    what: "input".into(),
                });
            }
            if outputs.len() != input.len() {
                return Err(VerifyError::LengthMismatch {
                    at: "output".into(),
                    expected: input.len(),
                    found: outputs.len(),
                });
            }
            let mut shares = Vec::with_capacity(outputs.len());
            for (i, o) in outputs.iter().enumerate() {
                let sh = DecryptionShare::from_text(o.as_ref()).map_err(|reason| {
                    VerifyError::Encoding {
                        at: format!("output[{i}]"),
                        reason,
                    }
                })?;
                if sh.ciphertext != input[i] {
                    return Err(VerifyError::Malformed {
                        at: format!("output[{i}].ciphertext"),
                        reason: format!("share is not for input ciphertext {i}"),
                    });
                }
                shares.push(sh);
            }
            let pk = shares[0].trustee_public_key;
            let trustee = params
                .verify_trustees()?
                .keys
                .iter()
                .position(|k| *k == pk)
                .ok_or_else(|| VerifyError::PartialDecryptionSet {
                    position: 0,
                    reason: "share from an unregistered trustee".into(),
                })?;
            if let Some(i) = shares.iter().position(|s| s.trustee_public_key != pk) {
                return Err(VerifyError::PartialDecryptionSet {
                    position: i,
                    reason: "shares from more than one trustee".into(),
                });
            }
            let pd = PartialDecryption {
                trustee,
                factors: shares.iter().map(|s| s.factor).collect(),
                proofs: shares.iter().map(|s| s.proof).collect(),
            };
            crate::decrypt::verify_partial_decryption(&params.session_id, &pk, &input, &pd, rng)
        }
        EndpointType::ZeusSkCombine => {
            let exp = combine_shares(params, inputs, &[], rng)?;
            check_same(&exp, outputs)
        }
    }
}

/// [`verify`] without a caller-supplied random generator: the batching
/// weights come from ChaCha20 seeded with SHA-512 over
/// `"panoramix/zeus/v1/verifier-weights"` and every input, output and the
/// proof (each length-prefixed). Sound in the random-oracle model, like
/// Fiat–Shamir; for hosts without a system RNG (wasm, fuzzing, the CLI).
pub fn verify_deterministic<S: AsRef<str> + Sync, T: AsRef<str>>(
    ty: EndpointType,
    params: &ZeusParams,
    inputs: &[S],
    outputs: &[T],
    proof: &str,
) -> Result<(), VerifyError> {
    let mut h = Sha512::new();
    let mut put = |b: &[u8]| {
        h.update((b.len() as u64).to_le_bytes());
        h.update(b);
    };
    put(crate::election::VERIFIER_WEIGHTS_DOMAIN.as_bytes());
    put(ty.as_str().as_bytes());
    put(serde_json::to_string(params).unwrap_or_default().as_bytes());
    for s in inputs {
        put(s.as_ref().as_bytes());
    }
    for s in outputs {
        put(s.as_ref().as_bytes());
    }
    put(proof.as_bytes());
    let d = h.finalize();
    let mut seed = [0u8; 32];
    seed.copy_from_slice(&d[..32]);
    verify(
        ty,
        params,
        inputs,
        outputs,
        proof,
        &mut ChaCha20Rng::from_seed(seed),
    )
}

//! Partial decryption with Chaum–Pedersen proofs, and combination.
//!
//! Trustee `i` with key share `x_i` (`pk_i = x_i·G`) publishes for each
//! ciphertext `(c1, c2)` the factor `d = x_i·c1` and a proof `(a, b, s)` that
//! `log_G pk_i = log_{c1} d`: `a = w·G`, `b = w·c1`, `s = w + c·x_i` with the
//! challenge `c` from the transcript. Combination (n-of-n, as in Zeus) is
//! `M = c2 − Σ_i d_i`, then [`ZeusParams::outcome`] (an allowed answer in its
//! canonical encoding, or a spoiled ballot).

use curve25519_dalek::constants::{RISTRETTO_BASEPOINT_POINT as G, RISTRETTO_BASEPOINT_TABLE};
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::context::MixContext;
use crate::encoding::{Ciphertext, DecodedCiphertext, HexScalar, Point, parse_hex};
use crate::error::{DecodeError, VerifyError, ZeusError};
use crate::keys::TrusteeSecret;
use crate::par;
use crate::params::{DecryptionKeys, Outcome, ZeusParams};
use crate::transcript::{GROUP_NAME, Transcript};

/// Domain of decryption-share proofs.
pub const DECRYPT_DOMAIN: &str = "panoramix/zeus/v1/decryption-share";

/// A Chaum–Pedersen proof in `(a, b, s)` form (batch-verifiable).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CpProof {
    /// `a = w·G`.
    pub a: Point,
    /// `b = w·c1`.
    pub b: Point,
    /// `s = w + c·x`.
    pub s: HexScalar,
}

/// One trustee's partial decryption of a whole list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartialDecryption {
    /// Index of the trustee in the election's trustee list.
    pub trustee: usize,
    /// `d_j = x·c1_j`.
    pub factors: Vec<Point>,
    /// One proof per factor.
    pub proofs: Vec<CpProof>,
}

/// A single self-contained decryption share, as carried between endpoints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecryptionShare {
    /// The trustee's `pk_i`.
    pub trustee_public_key: Point,
    /// The ciphertext decrypted.
    pub ciphertext: Ciphertext,
    /// `d = x_i·c1`.
    pub factor: Point,
    /// Proof of correct decryption.
    pub proof: CpProof,
}

fn challenge(
    session_id: &str,
    trustee_pk: &Point,
    ct: &Ciphertext,
    d: &Point,
    a: &Point,
    b: &Point,
) -> Scalar {
    let mut t = Transcript::new(DECRYPT_DOMAIN);
    t.append("session_id", session_id.as_bytes());
    t.append("group", GROUP_NAME.as_bytes());
    t.append_point("trustee_public_key", trustee_pk);
    t.append_ciphertext("ciphertext", ct);
    t.append_point("factor", d);
    t.append_point("a", a);
    t.append_point("b", b);
    t.challenge_scalar("challenge")
}

/// Compute trustee `trustee`'s factors and proofs for every ciphertext.
pub fn partial_decrypt<R: RngCore + CryptoRng>(
    session_id: &str,
    secret: &TrusteeSecret,
    trustee: usize,
    ciphertexts: &[Ciphertext],
    rng: &mut R,
) -> Result<PartialDecryption, ZeusError> {
    if ciphertexts.is_empty() {
        return Err(ZeusError::EmptyInput);
    }
    let cs = MixContext::decode_list("input", ciphertexts)?;
    let pk = secret.public_key();
    let x = secret.scalar();
    let ws: Zeroizing<Vec<Scalar>> = Zeroizing::new(
        (0..cs.len())
            .map(|_| crate::encoding::random_scalar(rng))
            .collect(),
    );
    let out: Vec<(Point, CpProof)> = par::map_range(cs.len(), |j| {
        let c1 = cs[j].c1;
        let d = Point::from_point(&(c1 * x));
        let a = Point::from_point(&(&ws[j] * RISTRETTO_BASEPOINT_TABLE));
        let b = Point::from_point(&(c1 * ws[j]));
        let c = challenge(session_id, &pk, &ciphertexts[j], &d, &a, &b);
        (
            d,
            CpProof {
                a,
                b,
                s: HexScalar(ws[j] + c * x),
            },
        )
    });
    let (factors, proofs) = out.into_iter().unzip();
    Ok(PartialDecryption {
        trustee,
        factors,
        proofs,
    })
}

/// Verify one trustee's partial decryption of `ciphertexts` (decoded as
/// `decoded`) against its registered key `trustee_pk`; returns the factors.
/// `at` prefixes error locations.
#[allow(clippy::too_many_arguments)]
/// A factor and a proof for each of the `n` ciphertexts.
fn check_lengths(at: &str, n: usize, pd: &PartialDecryption) -> Result<(), VerifyError> {
    for (name, found) in [("factors", pd.factors.len()), ("proofs", pd.proofs.len())] {
        if found != n {
            return Err(VerifyError::LengthMismatch {
                at: format!("{at}{name}"),
                expected: n,
                found,
            });
        }
    }
    Ok(())
}

/// The factors of a partial decryption whose proofs were verified before
/// (the caller knows), decoded without checking the proofs again.
fn decode_factors(
    at: &str,
    n: usize,
    pd: &PartialDecryption,
) -> Result<Vec<RistrettoPoint>, VerifyError> {
    check_lengths(at, n, pd)?;
    par::try_map_range(n, |j| {
        pd.factors[j]
            .decode()
            .map_err(|reason| VerifyError::Encoding {
                at: format!("{at}factors[{j}]"),
                reason,
            })
    })
}

pub(crate) fn verify_partial_decoded<R: RngCore + CryptoRng>(
    session_id: &str,
    trustee_pk: &Point,
    at: &str,
    ciphertexts: &[Ciphertext],
    decoded: &[DecodedCiphertext],
    pd: &PartialDecryption,
    rng: &mut R,
) -> Result<Vec<RistrettoPoint>, VerifyError> {
    let n = ciphertexts.len();
    let trustee = pd.trustee;
    check_lengths(at, n, pd)?;
    let pk = trustee_pk
        .decode()
        .map_err(|reason| VerifyError::Encoding {
            at: format!("{at}trustee_public_key"),
            reason,
        })?;
    let dec = par::try_map_range(n, |j| {
        let e = |name: &str, reason| VerifyError::Encoding {
            at: format!("{at}{name}"),
            reason,
        };
        let d = pd.factors[j]
            .decode()
            .map_err(|r| e(&format!("factors[{j}]"), r))?;
        let a = pd.proofs[j]
            .a
            .decode()
            .map_err(|r| e(&format!("proofs[{j}].a"), r))?;
        let b = pd.proofs[j]
            .b
            .decode()
            .map_err(|r| e(&format!("proofs[{j}].b"), r))?;
        let c = challenge(
            session_id,
            trustee_pk,
            &ciphertexts[j],
            &pd.factors[j],
            &pd.proofs[j].a,
            &pd.proofs[j].b,
        );
        Ok((d, a, b, c))
    })?;
    // Σ z_j (s_j G − a_j − c_j pk) + Σ y_j (s_j c1_j − b_j − c_j d_j) = 0
    let mut sc = Vec::with_capacity(4 * n + 2);
    let mut pt = Vec::with_capacity(4 * n + 2);
    let (mut gc, mut pkc) = (Scalar::ZERO, Scalar::ZERO);
    for j in 0..n {
        let (d, a, b, c) = dec[j];
        let s = pd.proofs[j].s.0;
        let z = crate::encoding::random_scalar(rng);
        let y = crate::encoding::random_scalar(rng);
        gc += z * s;
        pkc -= z * c;
        sc.extend_from_slice(&[-z, -y, y * s, -(y * c)]);
        pt.extend_from_slice(&[a, b, decoded[j].c1, d]);
    }
    sc.push(gc);
    pt.push(G);
    sc.push(pkc);
    pt.push(pk);
    if par::vartime_msm(&sc, &pt).is_identity() {
        return Ok(dec.into_iter().map(|x| x.0).collect());
    }
    for j in 0..n {
        let (d, a, b, c) = dec[j];
        let s = pd.proofs[j].s.0;
        let e1 = RistrettoPoint::vartime_multiscalar_mul([s, -c, -Scalar::ONE], [G, pk, a]);
        let e2 =
            RistrettoPoint::vartime_multiscalar_mul([s, -c, -Scalar::ONE], [decoded[j].c1, d, b]);
        if !(e1.is_identity() && e2.is_identity()) {
            return Err(VerifyError::DecryptionProof { trustee, index: j });
        }
    }
    Err(VerifyError::DecryptionProof { trustee, index: 0 })
}

/// Verify one trustee's partial decryption (stand-alone form).
pub fn verify_partial_decryption<R: RngCore + CryptoRng>(
    session_id: &str,
    trustee_pk: &Point,
    ciphertexts: &[Ciphertext],
    pd: &PartialDecryption,
    rng: &mut R,
) -> Result<(), VerifyError> {
    if ciphertexts.is_empty() {
        return Err(VerifyError::Empty {
            what: "input".into(),
        });
    }
    let decoded = MixContext::decode_list("input", ciphertexts)?;
    verify_partial_decoded(session_id, trustee_pk, "", ciphertexts, &decoded, pd, rng).map(|_| ())
}

/// Decrypt a list: check the trustees' keys against the election key
/// ([`ZeusParams::verify_trustees`]: every proof of knowledge, no two equal,
/// their sum, or the key generation's result, is the election key), verify
/// the partial decryptions (n-of-n: each trustee exactly once; threshold:
/// distinct qualified trustees, invalid ones skipped, `t` valid needed),
/// combine, and classify each
/// decrypted element ([`ZeusParams::outcome`]), in input order. A spoiled
/// ballot is an outcome, never an error.
pub fn combine<R: RngCore + CryptoRng>(
    params: &ZeusParams,
    ciphertexts: &[Ciphertext],
    partials: &[PartialDecryption],
    rng: &mut R,
) -> Result<Vec<Outcome>, VerifyError> {
    if ciphertexts.is_empty() {
        return Err(VerifyError::Empty {
            what: "input".into(),
        });
    }
    let trustees = params.verify_trustees()?;
    params.rules()?;
    let decoded = MixContext::decode_list("input", ciphertexts)?;
    let c = combine_decoded(
        &params.session_id,
        &trustees,
        "",
        ciphertexts,
        &decoded,
        partials,
        &[],
        rng,
    )?;
    Ok(outcomes(params, &c.m))
}

/// Classify every decrypted element.
pub(crate) fn outcomes(params: &ZeusParams, m: &[RistrettoPoint]) -> Vec<Outcome> {
    par::map_range(m.len(), |j| params.outcome(&m[j]))
}

/// What combining found.
#[derive(Debug)]
pub(crate) struct Combined {
    /// `M_j`, in input order.
    pub m: Vec<RistrettoPoint>,
    /// Trustees (0-based) whose factors were used.
    pub used: Vec<usize>,
    /// Partial decryptions (positions) that did not verify and were skipped
    /// (threshold only; n-of-n fails instead).
    pub skipped: Vec<(usize, VerifyError)>,
}

/// Check the set of partial decryptions and return `M_j`:
/// * n-of-n: exactly one valid partial decryption per trustee,
///   `M_j = c2_j − Σ d_ij`;
/// * threshold `t`: from distinct qualified trustees; every one is verified,
///   an invalid one is skipped, the first `t` valid ones are combined with
///   Lagrange coefficients at 0 over their indices:
///   `M_j = c2_j − Σ λ_i d_ij`.
///
/// `known[k]`: the proofs of `partials[k]` were verified before by the caller
/// (its factors are decoded, its proofs not checked again; missing: `false`).
// the verifier's inputs, each decoded once by its caller
#[allow(clippy::too_many_arguments)]
pub(crate) fn combine_decoded<R: RngCore + CryptoRng>(
    session_id: &str,
    keys: &DecryptionKeys,
    at: &str,
    ciphertexts: &[Ciphertext],
    decoded: &[DecodedCiphertext],
    partials: &[PartialDecryption],
    known: &[bool],
    rng: &mut R,
) -> Result<Combined, VerifyError> {
    let n = keys.keys.len();
    if keys.threshold.is_none() && partials.len() != n {
        return Err(VerifyError::LengthMismatch {
            at: format!("{at}partial_decryptions"),
            expected: n,
            found: partials.len(),
        });
    }
    let mut seen = vec![false; n];
    let mut valid: Vec<(usize, Vec<RistrettoPoint>)> = Vec::new();
    let mut skipped = Vec::new();
    for (pos, pd) in partials.iter().enumerate() {
        if pd.trustee >= n || seen[pd.trustee] {
            return Err(VerifyError::PartialDecryptionSet {
                position: pos,
                reason: format!("trustee {} is unknown or appears twice", pd.trustee),
            });
        }
        if !keys.qualified.contains(&pd.trustee) {
            return Err(VerifyError::PartialDecryptionSet {
                position: pos,
                reason: format!("trustee {} is not qualified to decrypt", pd.trustee),
            });
        }
        seen[pd.trustee] = true;
        let at = format!("{at}partial_decryptions[{pos}].");
        let checked = if known.get(pos).copied().unwrap_or(false) {
            decode_factors(&at, ciphertexts.len(), pd)
        } else {
            verify_partial_decoded(
                session_id,
                &keys.keys[pd.trustee],
                &at,
                ciphertexts,
                decoded,
                pd,
                rng,
            )
        };
        match checked {
            Ok(f) => valid.push((pd.trustee, f)),
            Err(e) if keys.threshold.is_some() => skipped.push((pos, e)),
            Err(e) => return Err(e),
        }
    }
    let mut acc: Vec<RistrettoPoint> = decoded.iter().map(|c| c.c2).collect();
    let used: Vec<usize> = match keys.threshold {
        None => {
            for (_, f) in &valid {
                for (a, d) in acc.iter_mut().zip(f.iter()) {
                    *a -= d;
                }
            }
            valid.iter().map(|v| v.0).collect()
        }
        Some(t) => {
            if valid.len() < t {
                return Err(VerifyError::TooFewDecryptions {
                    valid: valid.len(),
                    needed: t,
                });
            }
            valid.truncate(t);
            let set: Vec<u32> = valid.iter().map(|(i, _)| *i as u32 + 1).collect();
            let lambdas: Vec<Scalar> = set
                .iter()
                .map(|j| crate::dkg::lagrange_at_zero(*j, &set))
                .collect();
            acc = par::map_range(acc.len(), |k| {
                let ds: Vec<RistrettoPoint> = valid.iter().map(|(_, f)| f[k]).collect();
                acc[k] - RistrettoPoint::vartime_multiscalar_mul(&lambdas, &ds)
            });
            valid.iter().map(|v| v.0).collect()
        }
    };
    Ok(Combined {
        m: acc,
        used,
        skipped,
    })
}

impl DecryptionShare {
    /// Compact text form: 448 lowercase hex characters,
    /// `hex(pk_i || c1 || c2 || d || a || b || s)`.
    pub fn to_text(&self) -> String {
        let mut s = String::with_capacity(448);
        for p in [
            &self.trustee_public_key,
            &self.ciphertext.c1,
            &self.ciphertext.c2,
            &self.factor,
            &self.proof.a,
            &self.proof.b,
        ] {
            s.push_str(&p.to_hex());
        }
        s.push_str(&self.proof.s.to_hex());
        s
    }

    /// Parse the compact text form (the scalar is checked here, points by
    /// the verifier).
    pub fn from_text(s: &str) -> Result<Self, DecodeError> {
        let b = parse_hex::<224>(s)?;
        let mut p = [[0u8; 32]; 7];
        for (k, chunk) in b.chunks_exact(32).enumerate() {
            p[k].copy_from_slice(chunk);
        }
        let sc = Option::<Scalar>::from(Scalar::from_canonical_bytes(p[6]))
            .ok_or(DecodeError::NonCanonicalScalar)?;
        Ok(DecryptionShare {
            trustee_public_key: Point(p[0]),
            ciphertext: Ciphertext {
                c1: Point(p[1]),
                c2: Point(p[2]),
            },
            factor: Point(p[3]),
            proof: CpProof {
                a: Point(p[4]),
                b: Point(p[5]),
                s: HexScalar(sc),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::combine_trustee_keys;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    #[test]
    fn decrypt_roundtrip_and_bad_proof() {
        let mut rng = ChaCha20Rng::from_seed([4; 32]);
        let sks: Vec<TrusteeSecret> = (0..3).map(|_| TrusteeSecret::generate(&mut rng)).collect();
        let keys: Vec<_> = sks.iter().map(|s| s.publish("s", &mut rng)).collect();
        let pk = combine_trustee_keys("s", &keys).unwrap();
        let ctx = MixContext::new("s", &pk).unwrap();
        let msgs: Vec<Vec<u8>> = (0..5u8).map(|i| vec![i; i as usize]).collect();
        let cts: Vec<Ciphertext> = msgs
            .iter()
            .map(|m| {
                let p = crate::encoding::encode_plaintext(m).unwrap();
                ctx.encrypt_point(&p, &crate::encoding::random_scalar(&mut rng))
                    .compress()
            })
            .collect();
        let pds: Vec<_> = sks
            .iter()
            .enumerate()
            .map(|(i, s)| partial_decrypt("s", s, i, &cts, &mut rng).unwrap())
            .collect();
        let tpk: Vec<Point> = keys.iter().map(|k| k.public_key).collect();
        let mut params = ZeusParams::new("s", pk);
        params.trustees = keys.clone();
        let plain: Vec<Outcome> = msgs.iter().cloned().map(Outcome::Plaintext).collect();
        assert_eq!(combine(&params, &cts, &pds, &mut rng).unwrap(), plain);
        let mut bad = pds.clone();
        bad[1].proofs[3].s = HexScalar(bad[1].proofs[3].s.0 + Scalar::ONE);
        assert_eq!(
            combine(&params, &cts, &bad, &mut rng),
            Err(VerifyError::DecryptionProof {
                trustee: 1,
                index: 3
            })
        );
        // a foreign trustee key in place of a real one: refused before any share is used
        let mut foreign = params.clone();
        foreign.trustees[2] = TrusteeSecret::generate(&mut rng).publish("s", &mut rng);
        assert_eq!(
            combine(&foreign, &cts, &pds, &mut rng),
            Err(VerifyError::JointKeyMismatch)
        );
        // a key record whose proof of knowledge does not verify
        let mut unproven = params.clone();
        unproven.trustees[0].proof = unproven.trustees[1].proof;
        assert_eq!(
            combine(&unproven, &cts, &pds, &mut rng),
            Err(VerifyError::TrusteeKeyProof { trustee: 0 })
        );
        assert!(verify_partial_decryption("other", &tpk[0], &cts, &pds[0], &mut rng).is_err());
    }
}

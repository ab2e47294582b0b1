//! Sako–Kilian cut-and-choose proof of shuffle (the proof used by Zeus),
//! with a round count of at least [`MIN_SK_ROUNDS`], challenge bits from an
//! extendable output (no zero padding), strict length and permutation
//! checks, and batched verification.
//!
//! For each round `t` the prover publishes a *collection*: an independent
//! re-encryption and permutation of the input. Challenge bit 0 opens
//! input → collection; bit 1 opens collection → output. An opening is
//! `(offsets, randoms)` with `Y[offsets[j]] = X[j] + (randoms[j]·G, randoms[j]·pk)`
//! for every `j`, where `X` is the source and `Y` the target list.

use curve25519_dalek::constants::{RISTRETTO_BASEPOINT_POINT as G, RISTRETTO_BASEPOINT_TABLE};
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{Identity, IsIdentity, VartimeMultiscalarMul};
use rand_chacha::ChaCha20Rng;
use rand_core::{CryptoRng, RngCore, SeedableRng};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::context::MixContext;
use crate::encoding::{Ciphertext, DecodedCiphertext, HexScalar};
use crate::error::{VerifyError, ZeusError};
use crate::par;
use crate::transcript::{GROUP_NAME, Transcript, expand_bytes};
use crate::tw::random_permutation;

/// Domain of the Sako–Kilian transcript.
pub const SK_DOMAIN: &str = "panoramix/zeus/v1/sk-shuffle";
/// Domain of the expansion of the challenge bits.
pub const SK_BITS_DOMAIN: &str = "panoramix/zeus/v1/sk-bits";
/// Minimum (and default) number of rounds: soundness error 2^-128.
pub const MIN_SK_ROUNDS: u32 = 128;

/// A Sako–Kilian proof. `collections`, `offsets` and `randoms` each hold
/// `rounds` lists of length N.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SkProof {
    /// Number of rounds.
    pub rounds: u32,
    /// Per round, an independent shuffle of the input.
    pub collections: Vec<Vec<Ciphertext>>,
    /// Per round, the opened permutation (source index → target index).
    pub offsets: Vec<Vec<u32>>,
    /// Per round, the opened re-encryption randomness (by source index).
    pub randoms: Vec<Vec<HexScalar>>,
}

fn statement(
    ctx: &MixContext,
    input: &[Ciphertext],
    output: &[Ciphertext],
    rounds: u32,
    collections: &[Vec<Ciphertext>],
) -> Transcript {
    let mut t = Transcript::new(SK_DOMAIN);
    t.append("session_id", ctx.session_id().as_bytes());
    t.append("group", GROUP_NAME.as_bytes());
    t.append_point("public_key", ctx.public_key());
    t.append_u64("n", input.len() as u64);
    t.append_u64("rounds", u64::from(rounds));
    t.append_ciphertexts("input", input);
    t.append_ciphertexts("output", output);
    for c in collections {
        t.append_ciphertexts("collection", c);
    }
    t
}

fn bits_from(mut t: Transcript, rounds: usize) -> Vec<u8> {
    let seed = t.challenge_bytes("bits_seed");
    let mut bits = Vec::with_capacity(rounds);
    let mut block = 0u64;
    while bits.len() < rounds {
        let bytes = expand_bytes(SK_BITS_DOMAIN, &seed, block);
        for byte in bytes {
            for k in 0..8 {
                if bits.len() < rounds {
                    bits.push((byte >> k) & 1);
                }
            }
        }
        block += 1;
    }
    bits
}

/// Recompute the challenge bits of a proof (one `0`/`1` per round; no checks).
pub fn sk_challenge_bits(
    ctx: &MixContext,
    input: &[Ciphertext],
    output: &[Ciphertext],
    proof: &SkProof,
) -> Vec<u8> {
    let t = statement(ctx, input, output, proof.rounds, &proof.collections);
    bits_from(t, proof.collections.len())
}

/// Re-encrypt and permute `input` and prove it with `rounds` Sako–Kilian
/// rounds (at least [`MIN_SK_ROUNDS`]).
pub fn shuffle_and_prove<R: RngCore + CryptoRng>(
    ctx: &MixContext,
    input: &[Ciphertext],
    rounds: u32,
    rng: &mut R,
) -> Result<(Vec<Ciphertext>, SkProof), ZeusError> {
    if rounds < MIN_SK_ROUNDS {
        return Err(ZeusError::TooFewRounds {
            rounds,
            min: MIN_SK_ROUNDS,
        });
    }
    let n = input.len();
    if n == 0 {
        return Err(ZeusError::EmptyInput);
    }
    if n > u32::MAX as usize {
        return Err(ZeusError::Malformed {
            at: "input".into(),
            reason: "too many ciphertexts".into(),
        });
    }
    let w = MixContext::decode_list("input", input)?;
    let r = rounds as usize;
    // shuffle 0 is the real one; 1..=r are the collections
    let mut perms = Vec::with_capacity(r + 1);
    let mut rands = Vec::with_capacity(r + 1);
    for _ in 0..=r {
        perms.push(random_permutation(rng, n));
        rands.push(Zeroizing::new(
            (0..n)
                .map(|_| crate::encoding::random_scalar(rng))
                .collect::<Vec<_>>(),
        ));
    }
    let lists: Vec<Vec<Ciphertext>> = par::map_range(r + 1, |s| {
        let mut out = vec![
            Ciphertext {
                c1: crate::encoding::Point([0; 32]),
                c2: crate::encoding::Point([0; 32])
            };
            n
        ];
        for i in 0..n {
            out[perms[s][i]] = ctx.reencrypt(&w[i], &rands[s][i]).compress();
        }
        out
    });
    let mut lists = lists.into_iter();
    let output = lists.next().unwrap_or_default();
    let collections: Vec<Vec<Ciphertext>> = lists.collect();
    let bits = bits_from(statement(ctx, input, &output, rounds, &collections), r);
    let mut offsets = Vec::with_capacity(r);
    let mut randoms = Vec::with_capacity(r);
    for t in 0..r {
        let (p, q) = (&perms[t + 1], &rands[t + 1]);
        if bits[t] == 0 {
            offsets.push(p.iter().map(|&x| x as u32).collect());
            randoms.push(q.iter().map(|&x| HexScalar(x)).collect());
        } else {
            let mut off = vec![0u32; n];
            let mut rs = vec![HexScalar(Scalar::ZERO); n];
            for i in 0..n {
                off[p[i]] = perms[0][i] as u32;
                rs[p[i]] = HexScalar(rands[0][i] - q[i]);
            }
            offsets.push(off);
            randoms.push(rs);
        }
    }
    Ok((
        output,
        SkProof {
            rounds,
            collections,
            offsets,
            randoms,
        },
    ))
}

/// Verify a Sako–Kilian proof; rejects proofs with fewer than
/// `max(min_rounds, MIN_SK_ROUNDS)` rounds.
pub fn verify<R: RngCore + CryptoRng>(
    ctx: &MixContext,
    input: &[Ciphertext],
    output: &[Ciphertext],
    proof: &SkProof,
    min_rounds: u32,
    rng: &mut R,
) -> Result<(), VerifyError> {
    let (wi, wo) = MixContext::decode_shuffle(input, output)?;
    verify_decoded(ctx, 0, "", input, &wi, output, &wo, proof, min_rounds, rng)
}

fn scalar128<R: RngCore>(rng: &mut R) -> Scalar {
    let mut b = [0u8; 32];
    rng.fill_bytes(&mut b[..16]);
    Scalar::from_bytes_mod_order(b)
}

/// Verification on decoded input and output lists.
#[allow(clippy::too_many_arguments)]
pub(crate) fn verify_decoded<R: RngCore + CryptoRng>(
    ctx: &MixContext,
    mix: usize,
    at: &str,
    input: &[Ciphertext],
    wi: &[DecodedCiphertext],
    output: &[Ciphertext],
    wo: &[DecodedCiphertext],
    proof: &SkProof,
    min_rounds: u32,
    rng: &mut R,
) -> Result<(), VerifyError> {
    let r = check_shape(mix, at, input.len(), output.len(), proof, min_rounds)?;
    let bits = sk_challenge_bits(ctx, input, output, proof);
    let seeds: Vec<[u8; 32]> = (0..r)
        .map(|_| {
            let mut s = [0u8; 32];
            rng.fill_bytes(&mut s);
            s
        })
        .collect();
    if batched_sum(ctx, at, wi, wo, proof, &bits, &seeds)?.is_identity() {
        return Ok(());
    }
    Err(first_failing_round(ctx, mix, wi, wo, proof, &bits))
}

/// `Ok` when `found == expected`, else a length mismatch at `{at}{name}`.
fn length_matches(at: &str, name: &str, expected: usize, found: usize) -> Result<(), VerifyError> {
    if expected != found {
        Err(VerifyError::LengthMismatch {
            at: format!("{at}{name}"),
            expected,
            found,
        })
    } else {
        Ok(())
    }
}

/// The structural checks, before any arithmetic: a non-empty input, an
/// output of the same length, enough rounds, every per-round list of length
/// N and every round's offsets a permutation. Returns the number of rounds.
fn check_shape(
    mix: usize,
    at: &str,
    n: usize,
    output_len: usize,
    proof: &SkProof,
    min_rounds: u32,
) -> Result<usize, VerifyError> {
    if n == 0 {
        return Err(VerifyError::Empty {
            what: format!("{at}input"),
        });
    }
    length_matches(at, "output", n, output_len)?;
    let min = min_rounds.max(MIN_SK_ROUNDS) as usize;
    let r = proof.rounds as usize;
    if r < min {
        return Err(VerifyError::TooFewRounds {
            mix,
            rounds: r,
            min,
        });
    }
    length_matches(at, "proof.sk.collections", r, proof.collections.len())?;
    length_matches(at, "proof.sk.offsets", r, proof.offsets.len())?;
    length_matches(at, "proof.sk.randoms", r, proof.randoms.len())?;
    for t in 0..r {
        length_matches(
            at,
            &format!("proof.sk.collections[{t}]"),
            n,
            proof.collections[t].len(),
        )?;
        length_matches(
            at,
            &format!("proof.sk.offsets[{t}]"),
            n,
            proof.offsets[t].len(),
        )?;
        length_matches(
            at,
            &format!("proof.sk.randoms[{t}]"),
            n,
            proof.randoms[t].len(),
        )?;
        let mut seen = vec![false; n];
        for (j, &o) in proof.offsets[t].iter().enumerate() {
            let o = o as usize;
            if o >= n || seen[o] {
                return Err(VerifyError::NotAPermutation {
                    mix,
                    round: t,
                    index: j,
                });
            }
            seen[o] = true;
        }
    }
    Ok(r)
}

/// One group of rounds' share of the batched equation: its partial sum and
/// its coefficients on the input/output lists, `G` and `pk`.
struct Part {
    sum: RistrettoPoint,
    io: Vec<Scalar>, // input c1, input c2, output c1, output c2 (4n)
    g: Scalar,
    pk: Scalar,
}

/// Every round's openings, weighted by 128-bit scalars drawn from that
/// round's seed, summed into one point (the identity when all hold).
/// Rounds are split into contiguous groups, one per thread.
fn batched_sum(
    ctx: &MixContext,
    at: &str,
    wi: &[DecodedCiphertext],
    wo: &[DecodedCiphertext],
    proof: &SkProof,
    bits: &[u8],
    seeds: &[[u8; 32]],
) -> Result<RistrettoPoint, VerifyError> {
    let n = wi.len();
    let r = seeds.len();
    let groups = par::threads().min(r).max(1);
    let per = r.div_ceil(groups);
    let parts = par::try_map_range(r.div_ceil(per), |gi| {
        group_part(at, proof, bits, seeds, n, gi * per..((gi + 1) * per).min(r))
    })?;
    let mut total = RistrettoPoint::identity();
    let mut io = vec![Scalar::ZERO; 4 * n];
    let (mut gc, mut pkc) = (Scalar::ZERO, Scalar::ZERO);
    for p in parts {
        total += p.sum;
        for (a, b) in io.iter_mut().zip(p.io.iter()) {
            *a += b;
        }
        gc += p.g;
        pkc += p.pk;
    }
    let mut io_pts = Vec::with_capacity(4 * n + 2);
    io_pts.extend(wi.iter().map(|c| c.c1));
    io_pts.extend(wi.iter().map(|c| c.c2));
    io_pts.extend(wo.iter().map(|c| c.c1));
    io_pts.extend(wo.iter().map(|c| c.c2));
    io_pts.push(G);
    io_pts.push(*ctx.pk());
    io.push(gc);
    io.push(pkc);
    total += par::vartime_msm(&io, &io_pts);
    Ok(total)
}

/// The share of the rounds in `rounds` (decodes their collections).
fn group_part(
    at: &str,
    proof: &SkProof,
    bits: &[u8],
    seeds: &[[u8; 32]],
    n: usize,
    rounds: std::ops::Range<usize>,
) -> Result<Part, VerifyError> {
    let mut part = Part {
        sum: RistrettoPoint::identity(),
        io: vec![Scalar::ZERO; 4 * n],
        g: Scalar::ZERO,
        pk: Scalar::ZERO,
    };
    let mut sc = Vec::with_capacity(2 * n);
    let mut pt = Vec::with_capacity(2 * n);
    for t in rounds {
        let mut wrng = ChaCha20Rng::from_seed(seeds[t]);
        sc.clear();
        pt.clear();
        let coll = &proof.collections[t];
        for (j, c) in coll.iter().enumerate() {
            let dec = |p: &crate::encoding::Point, comp: &str| {
                p.decode().map_err(|reason| VerifyError::Encoding {
                    at: format!("{at}proof.sk.collections[{t}][{j}].{comp}"),
                    reason,
                })
            };
            pt.push(dec(&c.c1, "c1")?);
            pt.push(dec(&c.c2, "c2")?);
            sc.push(Scalar::ZERO);
            sc.push(Scalar::ZERO);
        }
        let off = &proof.offsets[t];
        let rs = &proof.randoms[t];
        for j in 0..n {
            let z1 = scalar128(&mut wrng);
            let z2 = scalar128(&mut wrng);
            let o = off[j] as usize;
            part.g -= z1 * rs[j].0;
            part.pk -= z2 * rs[j].0;
            if bits[t] == 0 {
                // Y = collection, X = input
                sc[2 * o] += z1;
                sc[2 * o + 1] += z2;
                part.io[j] -= z1;
                part.io[n + j] -= z2;
            } else {
                // Y = output, X = collection
                sc[2 * j] -= z1;
                sc[2 * j + 1] -= z2;
                part.io[2 * n + o] += z1;
                part.io[3 * n + o] += z2;
            }
        }
        part.sum += RistrettoPoint::vartime_multiscalar_mul(&sc, &pt);
    }
    Ok(part)
}

/// The batch failed: locate the first failing element, round by round
/// (plain check).
fn first_failing_round(
    ctx: &MixContext,
    mix: usize,
    wi: &[DecodedCiphertext],
    wo: &[DecodedCiphertext],
    proof: &SkProof,
    bits: &[u8],
) -> VerifyError {
    for t in 0..bits.len() {
        for j in 0..wi.len() {
            let c = &proof.collections[t];
            let (x, y) = if bits[t] == 0 {
                (wi[j], c[proof.offsets[t][j] as usize].decode())
            } else {
                match c[j].decode() {
                    Ok(cj) => (cj, Ok(wo[proof.offsets[t][j] as usize])),
                    Err(e) => (wi[j], Err(e)),
                }
            };
            let good = match y {
                Ok(y) => {
                    let rj = proof.randoms[t][j].0;
                    y.c1 == x.c1 + &rj * RISTRETTO_BASEPOINT_TABLE && y.c2 == x.c2 + ctx.mul_pk(&rj)
                }
                Err(_) => false,
            };
            if !good {
                return VerifyError::SkRound {
                    mix,
                    round: t,
                    bit: bits[t],
                    index: j,
                };
            }
        }
    }
    VerifyError::SkRound {
        mix,
        round: 0,
        bit: bits.first().copied().unwrap_or(0),
        index: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn honest_sk_verifies_and_mutations_fail() {
        let (ctx, input, mut rng) = crate::tw::tests::setup(4, 3);
        let (output, proof) = shuffle_and_prove(&ctx, &input, 128, &mut rng).unwrap();
        verify(&ctx, &input, &output, &proof, 128, &mut rng).unwrap();
        let bits = sk_challenge_bits(&ctx, &input, &output, &proof);
        assert!(bits.contains(&0) && bits.contains(&1));

        let mut bad = output.clone();
        bad.swap(0, 1);
        assert!(matches!(
            verify(&ctx, &input, &bad, &proof, 128, &mut rng),
            Err(VerifyError::SkRound { .. })
        ));
        let mut p2 = proof.clone();
        p2.offsets[5][0] = p2.offsets[5][1];
        assert!(matches!(
            verify(&ctx, &input, &output, &p2, 128, &mut rng),
            Err(VerifyError::NotAPermutation { round: 5, .. })
        ));
        assert!(matches!(
            shuffle_and_prove(&ctx, &input, 127, &mut rng),
            Err(ZeusError::TooFewRounds { .. })
        ));
    }
}

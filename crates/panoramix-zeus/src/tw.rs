//! Terelius–Wikström proof of a shuffle (Verificatum variant, width 1),
//! made non-interactive with the labelled transcript, and verified with a
//! single random-linear-combination multi-scalar multiplication.
//!
//! Notation (additive): `G` the basepoint, `pk` the election key, `h_0` and
//! `h_1..h_N` the session generators ([`crate::context::generator`]). Input
//! `w_i = (a_i, b_i)`, output `w'_k = (a'_k, b'_k)`. The prover's secret
//! permutation `π` sends input `i` to output `π(i)`, and
//! `w'_{π(i)} = w_i + (r'·G, r'·pk)`.

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT as G;
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::context::{GENERATOR_DOMAIN, MixContext};
use crate::encoding::{Ciphertext, DecodedCiphertext, HexScalar, Point};
use crate::error::{TwCheck, VerifyError, ZeusError};
use crate::par;
use crate::transcript::{GROUP_NAME, Transcript, expand_scalar};

/// Domain of the TW transcript.
pub const TW_DOMAIN: &str = "panoramix/zeus/v1/tw-shuffle";
/// Domain of the expansion of the `e_i` challenges.
pub const TW_E_DOMAIN: &str = "panoramix/zeus/v1/tw-e";

/// A Terelius–Wikström proof of shuffle. All lists have length N.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TwProof {
    /// Permutation commitment `u_i = r_i·G + h_{π(i)}`.
    pub u: Vec<Point>,
    /// Chain `B_i = b_i·G + e'_i·B_{i-1}`, `B_{-1} = h_0`.
    pub b: Vec<Point>,
    /// `A' = α·G + Σ ε_i·h_i`.
    pub a_prime: Point,
    /// `B'_i = β_i·G + ε_i·B_{i-1}`.
    pub b_prime: Vec<Point>,
    /// `C' = γ·G`.
    pub c_prime: Point,
    /// `D' = δ·G`.
    pub d_prime: Point,
    /// `F' = Σ ε_i·w'_i − (φ·G, φ·pk)`.
    pub f_prime: Ciphertext,
    /// `k_A = α + v·Σ r_i e_i`.
    pub k_a: HexScalar,
    /// `k_B,i = β_i + v·b_i`.
    pub k_b: Vec<HexScalar>,
    /// `k_C = γ + v·Σ r_i`.
    pub k_c: HexScalar,
    /// `k_D = δ + v·d` where `B_{N-1} = d·G + (Π e_i)·h_0`.
    pub k_d: HexScalar,
    /// `k_E,i = ε_i + v·e'_i`.
    pub k_e: Vec<HexScalar>,
    /// `k_F = φ + v·Σ r'_i e'_i`.
    pub k_f: HexScalar,
}

/// The Fiat–Shamir challenges of a proof (for test vectors and debugging).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TwChallenges {
    /// `e_0..e_{N-1}`.
    pub e: Vec<Scalar>,
    /// `v`.
    pub v: Scalar,
}

fn statement(ctx: &MixContext, input: &[Ciphertext], output: &[Ciphertext]) -> Transcript {
    let mut t = Transcript::new(TW_DOMAIN);
    t.append("session_id", ctx.session_id().as_bytes());
    t.append("group", GROUP_NAME.as_bytes());
    t.append_point("public_key", ctx.public_key());
    t.append("generators", GENERATOR_DOMAIN.as_bytes());
    t.append_u64("n", input.len() as u64);
    t.append_ciphertexts("input", input);
    t.append_ciphertexts("output", output);
    t
}

fn challenge_e(t: &mut Transcript, u: &[Point]) -> Vec<Scalar> {
    t.append_points("u", u);
    let seed = t.challenge_bytes("e_seed");
    par::map_range(u.len(), |i| expand_scalar(TW_E_DOMAIN, &seed, i as u64))
}

#[allow(clippy::too_many_arguments)]
fn challenge_v(
    t: &mut Transcript,
    b: &[Point],
    a_prime: &Point,
    b_prime: &[Point],
    c_prime: &Point,
    d_prime: &Point,
    f_prime: &Ciphertext,
) -> Scalar {
    t.append_points("b", b);
    t.append_point("a_prime", a_prime);
    t.append_points("b_prime", b_prime);
    t.append_point("c_prime", c_prime);
    t.append_point("d_prime", d_prime);
    t.append_ciphertext("f_prime", f_prime);
    t.challenge_scalar("v")
}

/// Recompute the challenges of a proof (no checks).
pub fn tw_challenges(
    ctx: &MixContext,
    input: &[Ciphertext],
    output: &[Ciphertext],
    proof: &TwProof,
) -> TwChallenges {
    let mut t = statement(ctx, input, output);
    let e = challenge_e(&mut t, &proof.u);
    let v = challenge_v(
        &mut t,
        &proof.b,
        &proof.a_prime,
        &proof.b_prime,
        &proof.c_prime,
        &proof.d_prime,
        &proof.f_prime,
    );
    TwChallenges { e, v }
}

/// Uniform index in `0..n` (`n ≥ 1`) by rejection sampling.
pub(crate) fn random_below<R: RngCore>(rng: &mut R, n: usize) -> usize {
    let n = n as u64;
    let zone = u64::MAX - (u64::MAX % n);
    loop {
        let x = rng.next_u64();
        if x < zone {
            return (x % n) as usize;
        }
    }
}

/// A uniformly random permutation `π` of `0..n` (Fisher–Yates).
pub(crate) fn random_permutation<R: RngCore>(rng: &mut R, n: usize) -> Zeroizing<Vec<usize>> {
    let mut p: Zeroizing<Vec<usize>> = Zeroizing::new((0..n).collect());
    for i in (1..n).rev() {
        let j = random_below(rng, i + 1);
        p.swap(i, j);
    }
    p
}

fn random_scalars<R: RngCore + CryptoRng>(rng: &mut R, n: usize) -> Zeroizing<Vec<Scalar>> {
    Zeroizing::new(
        (0..n)
            .map(|_| crate::encoding::random_scalar(rng))
            .collect(),
    )
}

/// Compress `2·P` for each `P` (cheap batched compression of points that
/// were computed as halves).
fn compress_doubled(halves: &[RistrettoPoint]) -> Vec<Point> {
    let parts = par::map_range(halves.len().div_ceil(256), |c| {
        let lo = c * 256;
        let hi = (lo + 256).min(halves.len());
        RistrettoPoint::double_and_compress_batch(&halves[lo..hi])
    });
    parts
        .into_iter()
        .flatten()
        .map(|c| Point(c.to_bytes()))
        .collect()
}

/// Re-encrypt and permute `input` and prove it with a Terelius–Wikström
/// proof. Returns the output list and the proof. N = 0 is an error.
pub fn shuffle_and_prove<R: RngCore + CryptoRng>(
    ctx: &MixContext,
    input: &[Ciphertext],
    rng: &mut R,
) -> Result<(Vec<Ciphertext>, TwProof), ZeusError> {
    let n = input.len();
    if n == 0 {
        return Err(ZeusError::EmptyInput);
    }
    let w = MixContext::decode_list("input", input)?;

    // --- secrets, drawn sequentially so that a seeded rng is reproducible
    let pi = random_permutation(rng, n); // input i -> output pi[i]
    let mut sigma = Zeroizing::new(vec![0usize; n]); // output k <- input sigma[k]
    for (i, &p) in pi.iter().enumerate() {
        sigma[p] = i;
    }
    let r_re = random_scalars(rng, n); // re-encryption randomness per output
    let r_u = random_scalars(rng, n); // commitment randomness per input
    let b_rand = random_scalars(rng, n);
    let alpha = Zeroizing::new(crate::encoding::random_scalar(rng));
    let beta_p = random_scalars(rng, n);
    let gamma = Zeroizing::new(crate::encoding::random_scalar(rng));
    let delta = Zeroizing::new(crate::encoding::random_scalar(rng));
    let eps = random_scalars(rng, n);
    let phi = Zeroizing::new(crate::encoding::random_scalar(rng));

    // --- shuffle
    let out_pts: Vec<DecodedCiphertext> =
        par::map_range(n, |k| ctx.reencrypt(&w[sigma[k]], &r_re[k]));
    let output: Vec<Ciphertext> = par::map_range(n, |k| out_pts[k].compress());

    // --- permutation commitment
    let h = ctx.generators(n);
    let u: Vec<Point> = par::map_range(n, |i| {
        Point::from_point(
            &(&r_u[i] * curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE + h[pi[i]]),
        )
    });

    let mut t = statement(ctx, input, &output);
    let e = challenge_e(&mut t, &u);
    let e_p: Zeroizing<Vec<Scalar>> = Zeroizing::new((0..n).map(|k| e[sigma[k]]).collect());

    // --- chain: B_k = beta_k·G + prod_k·h0 with accumulated exponents
    let mut acc_beta = Zeroizing::new(Vec::with_capacity(n + 1)); // beta_{k-1}, k = 0..=n
    let mut acc_prod = Zeroizing::new(Vec::with_capacity(n + 1));
    acc_beta.push(Scalar::ZERO);
    acc_prod.push(Scalar::ONE);
    for k in 0..n {
        let nb = b_rand[k] + e_p[k] * acc_beta[k];
        let np = e_p[k] * acc_prod[k];
        acc_beta.push(nb);
        acc_prod.push(np);
    }
    let half = Scalar::from(2u8).invert();
    let b_half: Vec<RistrettoPoint> = par::map_range(n, |k| {
        ctx.mul_g_h0(&(acc_beta[k + 1] * half), &(acc_prod[k + 1] * half))
    });
    let b_pts = compress_doubled(&b_half);
    let bp_half: Vec<RistrettoPoint> = par::map_range(n, |k| {
        let x = (beta_p[k] + eps[k] * acc_beta[k]) * half;
        let y = (eps[k] * acc_prod[k]) * half;
        ctx.mul_g_h0(&x, &y)
    });
    let b_prime = compress_doubled(&bp_half);
    let base = curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
    let a_prime = Point::from_point(&(&*alpha * base + par::ct_msm(&eps, &h)));
    let c_prime = Point::from_point(&(&*gamma * base));
    let d_prime = Point::from_point(&(&*delta * base));
    let a_out: Vec<RistrettoPoint> = out_pts.iter().map(|c| c.c1).collect();
    let b_out: Vec<RistrettoPoint> = out_pts.iter().map(|c| c.c2).collect();
    let f1 = par::ct_msm(&eps, &a_out) - &*phi * base;
    let f2 = par::ct_msm(&eps, &b_out) - ctx.mul_pk(&phi);
    let f_prime = Ciphertext::from_points(&f1, &f2);

    let v = challenge_v(
        &mut t, &b_pts, &a_prime, &b_prime, &c_prime, &d_prime, &f_prime,
    );

    let mut re_sum = Zeroizing::new(Scalar::ZERO); // Σ r_i e_i
    let mut r_sum = Zeroizing::new(Scalar::ZERO); // Σ r_i
    let mut f_sum = Zeroizing::new(Scalar::ZERO); // Σ r'_k e'_k
    for i in 0..n {
        *re_sum += r_u[i] * e[i];
        *r_sum += r_u[i];
        *f_sum += r_re[i] * e_p[i];
    }
    let proof = TwProof {
        u,
        b: b_pts,
        a_prime,
        b_prime,
        c_prime,
        d_prime,
        f_prime,
        k_a: HexScalar(*alpha + v * *re_sum),
        k_b: (0..n)
            .map(|k| HexScalar(beta_p[k] + v * b_rand[k]))
            .collect(),
        k_c: HexScalar(*gamma + v * *r_sum),
        k_d: HexScalar(*delta + v * acc_beta[n]),
        k_e: (0..n).map(|k| HexScalar(eps[k] + v * e_p[k])).collect(),
        k_f: HexScalar(*phi + v * *f_sum),
    };
    Ok((output, proof))
}

/// Verify a TW proof that `output` is a re-encryption and permutation of
/// `input` under `ctx`. `rng` draws the batching weights.
pub fn verify<R: RngCore + CryptoRng>(
    ctx: &MixContext,
    input: &[Ciphertext],
    output: &[Ciphertext],
    proof: &TwProof,
    rng: &mut R,
) -> Result<(), VerifyError> {
    let (wi, wo) = MixContext::decode_shuffle(input, output)?;
    verify_decoded(ctx, 0, "", input, &wi, output, &wo, proof, rng)
}

fn decode_points(at: &str, name: &str, ps: &[Point]) -> Result<Vec<RistrettoPoint>, VerifyError> {
    par::try_map_range(ps.len(), |i| {
        ps[i].decode().map_err(|reason| VerifyError::Encoding {
            at: format!("{at}proof.tw.{name}[{i}]"),
            reason,
        })
    })
}

fn decode_one(at: &str, name: &str, p: &Point) -> Result<RistrettoPoint, VerifyError> {
    p.decode().map_err(|reason| VerifyError::Encoding {
        at: format!("{at}proof.tw.{name}"),
        reason,
    })
}

/// Verification on already-decoded lists (used by the election verifier so
/// each list is decoded once). `at` prefixes error locations.
#[allow(clippy::too_many_arguments)]
pub(crate) fn verify_decoded<R: RngCore + CryptoRng>(
    ctx: &MixContext,
    mix: usize,
    at: &str,
    input: &[Ciphertext],
    wi: &[DecodedCiphertext],
    output: &[Ciphertext],
    wo: &[DecodedCiphertext],
    proof: &TwProof,
    rng: &mut R,
) -> Result<(), VerifyError> {
    check_lengths(at, input.len(), output.len(), proof)?;
    let d = DecodedProof::decode(at, proof)?;
    let TwChallenges { e, v } = tw_challenges(ctx, input, output, proof);
    let terms = Terms::new(ctx, proof, e, v);
    if batched_holds(&terms, &d, wi, wo, rng) {
        return Ok(());
    }
    Err(VerifyError::TwProof {
        mix,
        check: first_failing_check(&terms, &d, wi, wo),
    })
}

/// A non-empty input, and the output and every list of the proof of its
/// length N.
fn check_lengths(
    at: &str,
    n: usize,
    output_len: usize,
    proof: &TwProof,
) -> Result<(), VerifyError> {
    if n == 0 {
        return Err(VerifyError::Empty {
            what: format!("{at}input"),
        });
    }
    let len_check = |name: &str, found: usize| {
        if found != n {
            Err(VerifyError::LengthMismatch {
                at: format!("{at}{name}"),
                expected: n,
                found,
            })
        } else {
            Ok(())
        }
    };
    len_check("output", output_len)?;
    len_check("proof.tw.u", proof.u.len())?;
    len_check("proof.tw.b", proof.b.len())?;
    len_check("proof.tw.b_prime", proof.b_prime.len())?;
    len_check("proof.tw.k_b", proof.k_b.len())?;
    len_check("proof.tw.k_e", proof.k_e.len())
}

/// The proof's points, decoded.
struct DecodedProof {
    u: Vec<RistrettoPoint>,
    bb: Vec<RistrettoPoint>,
    a_prime: RistrettoPoint,
    bp: Vec<RistrettoPoint>,
    c_prime: RistrettoPoint,
    d_prime: RistrettoPoint,
    f1: RistrettoPoint,
    f2: RistrettoPoint,
}

impl DecodedProof {
    /// Decode every point, in field order; the first bad one is reported.
    fn decode(at: &str, proof: &TwProof) -> Result<Self, VerifyError> {
        Ok(Self {
            u: decode_points(at, "u", &proof.u)?,
            bb: decode_points(at, "b", &proof.b)?,
            a_prime: decode_one(at, "a_prime", &proof.a_prime)?,
            bp: decode_points(at, "b_prime", &proof.b_prime)?,
            c_prime: decode_one(at, "c_prime", &proof.c_prime)?,
            d_prime: decode_one(at, "d_prime", &proof.d_prime)?,
            f1: decode_one(at, "f_prime.c1", &proof.f_prime.c1)?,
            f2: decode_one(at, "f_prime.c2", &proof.f_prime.c2)?,
        })
    }
}

/// The public values the verification equations use besides the proof's
/// points: challenges, generators, keys and responses.
struct Terms {
    e: Vec<Scalar>,
    v: Scalar,
    h: Vec<RistrettoPoint>,
    h0: RistrettoPoint,
    pk: RistrettoPoint,
    ke: Vec<Scalar>,
    kb: Vec<Scalar>,
    ka: Scalar,
    kc: Scalar,
    kd: Scalar,
    kf: Scalar,
    prod_e: Scalar,
}

impl Terms {
    fn new(ctx: &MixContext, proof: &TwProof, e: Vec<Scalar>, v: Scalar) -> Self {
        let h = ctx.generators(e.len());
        let prod_e = e.iter().fold(Scalar::ONE, |acc, x| acc * x);
        Self {
            e,
            v,
            h,
            h0: *ctx.h0(),
            pk: *ctx.pk(),
            ke: proof.k_e.iter().map(|s| s.0).collect(),
            kb: proof.k_b.iter().map(|s| s.0).collect(),
            ka: proof.k_a.0,
            kc: proof.k_c.0,
            kd: proof.k_d.0,
            kf: proof.k_f.0,
            prod_e,
        }
    }
}

/// All the equations as one, with verifier-chosen weights drawn from `rng`:
/// true when the combination is the identity.
fn batched_holds<R: RngCore + CryptoRng>(
    t: &Terms,
    d: &DecodedProof,
    wi: &[DecodedCiphertext],
    wo: &[DecodedCiphertext],
    rng: &mut R,
) -> bool {
    let n = t.e.len();
    let (e, v, h, ke, kb) = (&t.e, t.v, &t.h, &t.ke, &t.kb);
    let w1 = crate::encoding::random_scalar(rng);
    let w3 = crate::encoding::random_scalar(rng);
    let w4 = crate::encoding::random_scalar(rng);
    let w5 = crate::encoding::random_scalar(rng);
    let w6 = crate::encoding::random_scalar(rng);
    let rho: Vec<Scalar> = (0..n)
        .map(|_| crate::encoding::random_scalar(rng))
        .collect();

    let mut sc: Vec<Scalar> = Vec::with_capacity(8 * n + 8);
    let mut pt: Vec<RistrettoPoint> = Vec::with_capacity(8 * n + 8);
    let mut g_coef = -(w1 * t.ka) - w3 * t.kc - w4 * t.kd + w5 * t.kf;
    for i in 0..n {
        g_coef -= rho[i] * kb[i];
    }
    sc.extend_from_slice(&[
        g_coef,
        w6 * t.kf,
        -(rho[0] * ke[0]) - w4 * v * t.prod_e,
        w1,
        w3,
        w4,
        w5,
        w6,
    ]);
    pt.extend_from_slice(&[G, t.pk, t.h0, d.a_prime, d.c_prime, d.d_prime, d.f1, d.f2]);
    let v_w3 = v * w3;
    let v_w4 = v * w4;
    let v_w5 = v * w5;
    let v_w6 = v * w6;
    for i in 0..n {
        // u_i
        sc.push(v * (w1 * e[i]) + v_w3);
        pt.push(d.u[i]);
        // h_i
        sc.push(-(w1 * ke[i]) - v_w3);
        pt.push(h[i]);
        // B_i
        let mut cb = rho[i] * v;
        if i + 1 < n {
            cb -= rho[i + 1] * ke[i + 1];
        } else {
            cb += v_w4;
        }
        sc.push(cb);
        pt.push(d.bb[i]);
        // B'_i
        sc.push(rho[i]);
        pt.push(d.bp[i]);
        // inputs
        sc.push(v_w5 * e[i]);
        pt.push(wi[i].c1);
        sc.push(v_w6 * e[i]);
        pt.push(wi[i].c2);
        // outputs
        sc.push(-(w5 * ke[i]));
        pt.push(wo[i].c1);
        sc.push(-(w6 * ke[i]));
        pt.push(wo[i].c2);
    }
    par::vartime_msm(&sc, &pt).is_identity()
}

/// The batch failed: the first failing equation, in order.
fn first_failing_check(
    t: &Terms,
    d: &DecodedProof,
    wi: &[DecodedCiphertext],
    wo: &[DecodedCiphertext],
) -> TwCheck {
    let n = t.e.len();
    let (e, v, h, h0, ke, kb) = (&t.e, t.v, &t.h, t.h0, &t.ke, &t.kb);
    let ok = |s: Vec<Scalar>, p: Vec<RistrettoPoint>| par::vartime_msm(&s, &p).is_identity();
    {
        let mut s = vec![Scalar::ONE, -t.ka];
        let mut p = vec![d.a_prime, G];
        for i in 0..n {
            s.push(v * e[i]);
            p.push(d.u[i]);
            s.push(-ke[i]);
            p.push(h[i]);
        }
        if !ok(s, p) {
            return TwCheck::Commitment;
        }
    }
    for i in 0..n {
        let prev = if i == 0 { h0 } else { d.bb[i - 1] };
        let lhs = RistrettoPoint::vartime_multiscalar_mul(
            [v, Scalar::ONE, -kb[i], -ke[i]],
            [d.bb[i], d.bp[i], G, prev],
        );
        if !lhs.is_identity() {
            return TwCheck::Chain { index: i };
        }
    }
    {
        let mut s = vec![Scalar::ONE, -t.kc];
        let mut p = vec![d.c_prime, G];
        for (ui, hi) in d.u.iter().zip(&h[..n]) {
            s.push(v);
            p.push(*ui);
            s.push(-v);
            p.push(*hi);
        }
        if !ok(s, p) {
            return TwCheck::Sum;
        }
    }
    let lhs = RistrettoPoint::vartime_multiscalar_mul(
        [v, -(v * t.prod_e), Scalar::ONE, -t.kd],
        [d.bb[n - 1], h0, d.d_prime, G],
    );
    if !lhs.is_identity() {
        return TwCheck::Product;
    }
    for (component, fp, base) in [(1u8, d.f1, G), (2u8, d.f2, t.pk)] {
        let mut s = vec![Scalar::ONE, t.kf];
        let mut p = vec![fp, base];
        for i in 0..n {
            let (x, y) = if component == 1 {
                (wi[i].c1, wo[i].c1)
            } else {
                (wi[i].c2, wo[i].c2)
            };
            s.push(v * e[i]);
            p.push(x);
            s.push(-ke[i]);
            p.push(y);
        }
        if !ok(s, p) {
            return TwCheck::Reencryption { component };
        }
    }
    // Every equation holds on its own but the combination did not: only
    // possible with negligible probability; report the first equation.
    TwCheck::Commitment
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::keys::TrusteeSecret;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    pub(crate) fn setup(n: usize, seed: u8) -> (MixContext, Vec<Ciphertext>, ChaCha20Rng) {
        let mut rng = ChaCha20Rng::from_seed([seed; 32]);
        let sk = TrusteeSecret::generate(&mut rng);
        let ctx = MixContext::new("test-session", &sk.public_key()).unwrap();
        let input = (0..n)
            .map(|i| {
                let m = crate::encoding::encode_plaintext(&[i as u8]).unwrap();
                ctx.encrypt_point(&m, &crate::encoding::random_scalar(&mut rng))
                    .compress()
            })
            .collect();
        (ctx, input, rng)
    }

    #[test]
    fn honest_proof_verifies() {
        for n in [1usize, 2, 3, 7] {
            let (ctx, input, mut rng) = setup(n, n as u8);
            let (output, proof) = shuffle_and_prove(&ctx, &input, &mut rng).unwrap();
            verify(&ctx, &input, &output, &proof, &mut rng).unwrap();
        }
    }

    #[test]
    fn swapped_outputs_fail() {
        let (ctx, input, mut rng) = setup(5, 9);
        let (mut output, proof) = shuffle_and_prove(&ctx, &input, &mut rng).unwrap();
        output.swap(0, 1);
        assert!(matches!(
            verify(&ctx, &input, &output, &proof, &mut rng),
            Err(VerifyError::TwProof { .. })
        ));
    }

    #[test]
    fn empty_is_error() {
        let (ctx, _, mut rng) = setup(1, 1);
        assert_eq!(
            shuffle_and_prove(&ctx, &[], &mut rng).unwrap_err(),
            ZeusError::EmptyInput
        );
    }
}

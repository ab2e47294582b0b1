//! Distributed key generation for threshold trustees (Pedersen's DKG with
//! Feldman commitments over Ristretto255), and what it yields: the election
//! key, every trustee's verification key, and each trustee's secret share.
//!
//! * Trustee `i` (1-based) draws a polynomial `f_i` of degree `t − 1`,
//!   publishes the commitments `C_ik = a_ik·G` with a proof of knowledge of
//!   `a_i0`, and for every trustee `j` the share `f_i(j)` encrypted to `j`'s
//!   published trustee key (a Diffie–Hellman pad): a [`Dealing`].
//! * Trustee `j` decrypts its shares and checks `f_i(j)·G = Σ_k j^k·C_ik`.
//!   For a bad one it files a [`Complaint`]: the Diffie–Hellman value with a
//!   proof that it is the right one, so anyone can decrypt that share and
//!   judge. An upheld complaint disqualifies the dealer; a false one is void.
//! * [`Dkg::verify`] recomputes everything from public data: the qualified
//!   dealers, the election key `Σ_{i∈Q} C_i0` and the verification keys
//!   `VK_j = Σ_{i∈Q} Σ_k j^k·C_ik`.
//!
//! Layout, transcripts and the disqualification rules: `docs/zeus.md`.

use curve25519_dalek::constants::{RISTRETTO_BASEPOINT_POINT as G, RISTRETTO_BASEPOINT_TABLE};
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{Identity, VartimeMultiscalarMul};
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::decrypt::CpProof;
use crate::encoding::{HexScalar, Point};
use crate::error::VerifyError;
use crate::keys::{SchnorrProof, TrusteeKey, TrusteeSecret, schnorr_prove, schnorr_verify};
use crate::transcript::{GROUP_NAME, Transcript};

/// Domain of a dealing's proof of knowledge of its constant term.
pub const DKG_DEALING_DOMAIN: &str = "panoramix/zeus/v1/dkg-dealing";
/// Domain of a dealing's signature by its dealer's trustee key.
pub const DKG_DEALING_SIGNATURE_DOMAIN: &str = "panoramix/zeus/v1/dkg-dealing-signature";
/// Domain of the pad that encrypts a share.
pub const DKG_SHARE_DOMAIN: &str = "panoramix/zeus/v1/dkg-share";
/// Domain of a complaint's proof.
pub const DKG_COMPLAINT_DOMAIN: &str = "panoramix/zeus/v1/dkg-complaint";
/// At most this many trustees.
pub const MAX_TRUSTEES: usize = 64;

/// A share encrypted to its recipient.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncryptedShare {
    /// The recipient's index (1-based).
    pub recipient: u32,
    /// `E = e·G`, the ephemeral key.
    pub ephemeral: Point,
    /// `f(j) XOR pad(e·X_j)`, 32 bytes as 64 hex characters.
    pub ciphertext: Point,
}

/// One trustee's contribution to the key generation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dealing {
    /// The dealer's index (1-based).
    pub dealer: u32,
    /// `C_k = a_k·G`, k = 0 … t − 1.
    pub commitments: Vec<Point>,
    /// Proof of knowledge of `a_0`, bound to the session, the parameters,
    /// the dealer and all commitments.
    pub proof: SchnorrProof,
    /// One share per trustee, recipients 1 … n in order (the dealer's own
    /// included).
    pub shares: Vec<EncryptedShare>,
    /// Schnorr signature by the dealer's published trustee key over the whole
    /// dealing, so the public record says who dealt what: a dealing that
    /// does not carry its dealer's signature is ignored.
    pub signature: SchnorrProof,
}

/// A recipient's claim that a dealer's share for it is bad, with what lets
/// anyone check the claim.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Complaint {
    /// Who complains (1-based).
    pub complainant: u32,
    /// About whose dealing.
    pub dealer: u32,
    /// `K = x_j·E`, the Diffie–Hellman value of the share's pad.
    pub shared_key: Point,
    /// Chaum–Pedersen proof that `log_G X_j = log_E K`.
    pub proof: CpProof,
}

/// The public record of a key generation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dkg {
    /// The key generation's session, bound into every proof and pad.
    pub session_id: String,
    /// Any `threshold` qualified trustees can decrypt.
    pub threshold: u32,
    /// One dealing per trustee that dealt, in any order.
    pub dealings: Vec<Dealing>,
    /// Complaints, in order.
    pub complaints: Vec<Complaint>,
}

/// What a key generation yields, recomputed from public data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DkgOutcome {
    /// Qualified dealers (1-based), ascending.
    pub qualified: Vec<u32>,
    /// Disqualified trustees with why.
    pub disqualified: Vec<(u32, String)>,
    /// Complaints that are void (index into the complaint list): false (the
    /// share is good), not checking out, or about an already disqualified
    /// dealer.
    pub void_complaints: Vec<usize>,
    /// The election key.
    pub public_key: Point,
    /// `VK_j` for j = 1 … n.
    pub verification_keys: Vec<Point>,
    /// Per trustee (index j − 1): the position in `dealings` of the dealing
    /// attributed to it (signed by it; the first of identical copies).
    pub attributed: Vec<Option<usize>>,
    /// Dealings ignored: not signed by the trustee they name, or copies.
    pub ignored_dealings: Vec<usize>,
}

fn dealing_transcript(
    dkg_session: &str,
    t: u32,
    n: usize,
    dealer: u32,
    cs: &[Point],
) -> Transcript {
    let mut tr = Transcript::new(DKG_DEALING_DOMAIN);
    tr.append("session_id", dkg_session.as_bytes());
    tr.append("group", GROUP_NAME.as_bytes());
    tr.append_u64("threshold", t.into());
    tr.append_u64("trustees", n as u64);
    tr.append_u64("dealer", dealer.into());
    tr.append_points("commitments", cs);
    tr
}

fn signature_transcript(
    dkg_session: &str,
    t: u32,
    n: usize,
    key: &Point,
    d: &Dealing,
) -> Transcript {
    let mut tr = Transcript::new(DKG_DEALING_SIGNATURE_DOMAIN);
    tr.append("session_id", dkg_session.as_bytes());
    tr.append("group", GROUP_NAME.as_bytes());
    tr.append_u64("threshold", t.into());
    tr.append_u64("trustees", n as u64);
    tr.append_u64("dealer", d.dealer.into());
    tr.append_point("dealer_key", key);
    tr.append_points("commitments", &d.commitments);
    let mut proof = d.proof.commitment.0.to_vec();
    proof.extend_from_slice(d.proof.response.0.as_bytes());
    tr.append("proof", &proof);
    let mut shares = Vec::with_capacity(72 * d.shares.len());
    for sh in &d.shares {
        shares.extend_from_slice(&u64::from(sh.recipient).to_le_bytes());
        shares.extend_from_slice(&sh.ephemeral.0);
        shares.extend_from_slice(&sh.ciphertext.0);
    }
    tr.append("shares", &shares);
    tr
}

fn pad(
    dkg_session: &str,
    dealer: u32,
    recipient: u32,
    x: &Point,
    e: &Point,
    k: &Point,
) -> [u8; 32] {
    let mut tr = Transcript::new(DKG_SHARE_DOMAIN);
    tr.append("session_id", dkg_session.as_bytes());
    tr.append_u64("dealer", dealer.into());
    tr.append_u64("recipient", recipient.into());
    tr.append_point("recipient_key", x);
    tr.append_point("ephemeral", e);
    tr.append_point("shared_key", k);
    let out = tr.challenge_bytes("pad");
    let mut p = [0u8; 32];
    p.copy_from_slice(&out[..32]);
    p
}

#[allow(clippy::too_many_arguments)]
fn complaint_challenge(dkg_session: &str, c: &Complaint, x: &Point, e: &Point) -> Scalar {
    let mut tr = Transcript::new(DKG_COMPLAINT_DOMAIN);
    tr.append("session_id", dkg_session.as_bytes());
    tr.append("group", GROUP_NAME.as_bytes());
    tr.append_u64("complainant", c.complainant.into());
    tr.append_u64("dealer", c.dealer.into());
    tr.append_point("recipient_key", x);
    tr.append_point("ephemeral", e);
    tr.append_point("shared_key", &c.shared_key);
    tr.append_point("a", &c.proof.a);
    tr.append_point("b", &c.proof.b);
    tr.challenge_scalar("challenge")
}

/// `Σ_k j^k·C_k`.
fn eval_commitments(cs: &[RistrettoPoint], j: u32) -> RistrettoPoint {
    let x = Scalar::from(u64::from(j));
    let mut pow = Scalar::ONE;
    let mut sc = Vec::with_capacity(cs.len());
    for _ in cs {
        sc.push(pow);
        pow *= x;
    }
    RistrettoPoint::vartime_multiscalar_mul(&sc, cs)
}

/// A dealer's secret polynomial (zeroized on drop).
pub struct Polynomial {
    coefficients: Zeroizing<Vec<Scalar>>,
}

impl Polynomial {
    /// `f(j)`.
    fn eval(&self, j: u32) -> Scalar {
        let x = Scalar::from(u64::from(j));
        self.coefficients
            .iter()
            .rev()
            .fold(Scalar::ZERO, |acc, a| acc * x + a)
    }
}

/// Deal: trustee `dealer` (1-based) of `trustees` (their published keys, in
/// index order), holding `secret` (its trustee key), commits to a random
/// polynomial of degree `threshold − 1`, encrypts a share to every trustee
/// and signs the dealing.
pub fn deal<R: RngCore + CryptoRng>(
    dkg_session: &str,
    threshold: u32,
    trustees: &[TrusteeKey],
    dealer: u32,
    secret: &TrusteeSecret,
    rng: &mut R,
) -> Result<Dealing, VerifyError> {
    check_sizes(threshold, trustees.len())?;
    let key = (dealer as usize)
        .checked_sub(1)
        .and_then(|k| trustees.get(k))
        .map(|t| t.public_key)
        .ok_or(VerifyError::Malformed {
            at: "dkg".into(),
            reason: format!("no trustee {dealer}"),
        })?;
    let poly = Polynomial {
        coefficients: Zeroizing::new(
            (0..threshold)
                .map(|_| crate::encoding::random_scalar(rng))
                .collect(),
        ),
    };
    let commitments: Vec<Point> = poly
        .coefficients
        .iter()
        .map(|a| Point::from_point(&(a * RISTRETTO_BASEPOINT_TABLE)))
        .collect();
    let proof = schnorr_prove(
        dealing_transcript(dkg_session, threshold, trustees.len(), dealer, &commitments),
        &poly.coefficients[0],
        rng,
    );
    let mut shares = Vec::with_capacity(trustees.len());
    for (k, key) in trustees.iter().enumerate() {
        let j = k as u32 + 1;
        let xj = key
            .public_key
            .decode()
            .map_err(|reason| VerifyError::Encoding {
                at: format!("trustees[{k}].public_key"),
                reason,
            })?;
        let e = Zeroizing::new(crate::encoding::random_scalar(rng));
        let ephemeral = Point::from_point(&(&*e * RISTRETTO_BASEPOINT_TABLE));
        let shared = Point::from_point(&(xj * *e));
        let p = pad(dkg_session, dealer, j, &key.public_key, &ephemeral, &shared);
        let s = Zeroizing::new(poly.eval(j).to_bytes());
        let mut ct = [0u8; 32];
        for (c, (a, b)) in ct.iter_mut().zip(s.iter().zip(p.iter())) {
            *c = a ^ b;
        }
        shares.push(EncryptedShare {
            recipient: j,
            ephemeral,
            ciphertext: Point(ct),
        });
    }
    let mut d = Dealing {
        dealer,
        commitments,
        proof,
        shares,
        signature: SchnorrProof {
            commitment: key,
            response: HexScalar(Scalar::ZERO),
        },
    };
    sign_dealing(dkg_session, threshold, trustees, &mut d, secret, rng)?;
    Ok(d)
}

/// (Re-)sign `d` with its dealer's trustee key. [`deal`] signs what it makes;
/// this lets a test play a cheating dealer that signs a dealing it altered
/// (its complaints must then disqualify it).
pub fn sign_dealing<R: RngCore + CryptoRng>(
    dkg_session: &str,
    threshold: u32,
    trustees: &[TrusteeKey],
    d: &mut Dealing,
    secret: &TrusteeSecret,
    rng: &mut R,
) -> Result<(), VerifyError> {
    let key = (d.dealer as usize)
        .checked_sub(1)
        .and_then(|k| trustees.get(k))
        .map(|t| t.public_key)
        .filter(|p| *p == secret.public_key())
        .ok_or(VerifyError::Malformed {
            at: "dkg".into(),
            reason: format!(
                "trustee {}'s secret does not match its published key",
                d.dealer
            ),
        })?;
    d.signature = schnorr_prove(
        signature_transcript(dkg_session, threshold, trustees.len(), &key, d),
        secret.scalar(),
        rng,
    );
    Ok(())
}

/// Whether `d` carries the signature of the trustee it names (its published
/// key in `trustees`, index order) for this key generation.
pub fn dealing_signed(
    dkg_session: &str,
    threshold: u32,
    trustees: &[TrusteeKey],
    d: &Dealing,
) -> bool {
    let Some(key) = (d.dealer as usize)
        .checked_sub(1)
        .and_then(|k| trustees.get(k))
        .map(|t| t.public_key)
    else {
        return false;
    };
    key.decode().is_ok_and(|x| {
        let t = signature_transcript(dkg_session, threshold, trustees.len(), &key, d);
        schnorr_verify(t, &x, &d.signature) == Ok(true)
    })
}

/// Which dealing each trustee made: the dealings signed by the trustee they
/// name (others are ignored: anyone can post a dealing in someone's name),
/// identical copies folded, and the trustees that signed two different
/// dealings (they are disqualified).
struct Attribution {
    slots: Vec<Option<usize>>,
    equivocated: Vec<bool>,
    ignored: Vec<usize>,
}

fn attribute(dkg: &Dkg, trustees: &[TrusteeKey]) -> Attribution {
    let n = trustees.len();
    let mut a = Attribution {
        slots: vec![None; n],
        equivocated: vec![false; n],
        ignored: Vec::new(),
    };
    for (pos, d) in dkg.dealings.iter().enumerate() {
        let Some(k) = (d.dealer as usize).checked_sub(1).filter(|k| *k < n) else {
            a.ignored.push(pos);
            continue;
        };
        let key = trustees[k].public_key;
        let signed = key.decode().is_ok_and(|x| {
            let t = signature_transcript(&dkg.session_id, dkg.threshold, n, &key, d);
            schnorr_verify(t, &x, &d.signature) == Ok(true)
        });
        if !signed {
            a.ignored.push(pos);
            continue;
        }
        match a.slots[k] {
            None => a.slots[k] = Some(pos),
            Some(first) if dkg.dealings[first] == *d => a.ignored.push(pos),
            Some(_) => {
                a.equivocated[k] = true;
                a.ignored.push(pos);
            }
        }
    }
    a
}

fn check_sizes(threshold: u32, n: usize) -> Result<(), VerifyError> {
    if n == 0 || n > MAX_TRUSTEES || threshold == 0 || threshold as usize > n {
        return Err(VerifyError::Malformed {
            at: "dkg.threshold".into(),
            reason: format!(
                "threshold {threshold} of {n} trustees: need 1 ≤ t ≤ n ≤ {MAX_TRUSTEES}"
            ),
        });
    }
    Ok(())
}

/// Decrypt the share in `es` with the shared key `k`; `None` if the result
/// is not a canonical scalar.
fn open_share(
    dkg_session: &str,
    dealer: u32,
    x: &Point,
    es: &EncryptedShare,
    k: &Point,
) -> Option<Scalar> {
    let p = pad(dkg_session, dealer, es.recipient, x, &es.ephemeral, k);
    let mut s = Zeroizing::new([0u8; 32]);
    for (o, (a, b)) in s.iter_mut().zip(es.ciphertext.0.iter().zip(p.iter())) {
        *o = a ^ b;
    }
    Option::from(Scalar::from_canonical_bytes(*s))
}

/// A dealing's structure and proof: `Err(reason)` if the dealer must be
/// disqualified for it. Returns the decoded commitments.
fn check_dealing(
    dkg_session: &str,
    threshold: u32,
    trustees: &[TrusteeKey],
    d: &Dealing,
) -> Result<Vec<RistrettoPoint>, String> {
    let n = trustees.len();
    if d.commitments.len() != threshold as usize {
        return Err(format!(
            "{} commitments where the threshold is {threshold}",
            d.commitments.len()
        ));
    }
    if d.shares.len() != n
        || d.shares
            .iter()
            .enumerate()
            .any(|(k, s)| s.recipient as usize != k + 1)
    {
        return Err("shares are not one per trustee, in order".into());
    }
    let cs = d
        .commitments
        .iter()
        .map(Point::decode)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("a commitment: {e}"))?;
    if d.shares.iter().any(|s| s.ephemeral.decode().is_err()) {
        return Err("an ephemeral key does not decode".into());
    }
    let t = dealing_transcript(dkg_session, threshold, n, d.dealer, &d.commitments);
    match schnorr_verify(t, &cs[0], &d.proof) {
        Ok(true) => Ok(cs),
        _ => Err("the proof of knowledge of the constant term does not verify".into()),
    }
}

/// A trustee's view after reading every dealing: its complaints, and its
/// secret share if it has no complaint left to file.
pub struct Received {
    /// Complaints to publish.
    pub complaints: Vec<Complaint>,
    /// `(dealer, f_dealer(j))` for every dealing that checked out.
    shares: Vec<(u32, Zeroizing<Scalar>)>,
}

/// Trustee `me` (1-based) with secret key `secret` reads the dealings:
/// decrypts and checks its share from each well-formed dealing, and makes a
/// complaint for each bad one.
pub fn receive<R: RngCore + CryptoRng>(
    dkg: &Dkg,
    trustees: &[TrusteeKey],
    me: u32,
    secret: &TrusteeSecret,
    rng: &mut R,
) -> Result<Received, VerifyError> {
    check_sizes(dkg.threshold, trustees.len())?;
    let idx = (me as usize).checked_sub(1).filter(|k| *k < trustees.len());
    let x_pub = idx
        .map(|k| trustees[k].public_key)
        .filter(|p| *p == secret.public_key())
        .ok_or(VerifyError::Malformed {
            at: "dkg".into(),
            reason: format!("trustee {me}'s secret does not match its published key"),
        })?;
    let mut out = Received {
        complaints: Vec::new(),
        shares: Vec::new(),
    };
    let attribution = attribute(dkg, trustees);
    let attributed = attribution
        .slots
        .iter()
        .zip(&attribution.equivocated)
        .filter(|(_, e)| !**e)
        .filter_map(|(p, _)| p.map(|p| &dkg.dealings[p]));
    for d in attributed {
        let Ok(cs) = check_dealing(&dkg.session_id, dkg.threshold, trustees, d) else {
            continue; // disqualified by everyone alike; nothing to complain about
        };
        let es = &d.shares[me as usize - 1];
        let Ok(e) = es.ephemeral.decode() else {
            continue;
        };
        let k = Point::from_point(&(e * secret.scalar()));
        let good = open_share(&dkg.session_id, d.dealer, &x_pub, es, &k)
            .filter(|s| s * RISTRETTO_BASEPOINT_TABLE == eval_commitments(&cs, me));
        match good {
            Some(s) => out.shares.push((d.dealer, Zeroizing::new(s))),
            None => {
                let w = Zeroizing::new(crate::encoding::random_scalar(rng));
                let mut c = Complaint {
                    complainant: me,
                    dealer: d.dealer,
                    shared_key: k,
                    proof: CpProof {
                        a: Point::from_point(&(&*w * RISTRETTO_BASEPOINT_TABLE)),
                        b: Point::from_point(&(e * *w)),
                        s: HexScalar(Scalar::ZERO),
                    },
                };
                let ch = complaint_challenge(&dkg.session_id, &c, &x_pub, &es.ephemeral);
                c.proof.s = HexScalar(*w + ch * secret.scalar());
                out.complaints.push(c);
            }
        }
    }
    Ok(out)
}

impl Received {
    /// The trustee's secret share `x_j = Σ_{i∈Q} f_i(j)` once the qualified
    /// set is known; fails if a qualified dealer's share is missing.
    pub fn secret_share(&self, outcome: &DkgOutcome) -> Result<TrusteeSecret, VerifyError> {
        let mut x = Scalar::ZERO;
        for q in &outcome.qualified {
            let s =
                self.shares
                    .iter()
                    .find(|(d, _)| d == q)
                    .ok_or_else(|| VerifyError::Malformed {
                        at: "dkg".into(),
                        reason: format!("no valid share from qualified dealer {q}"),
                    })?;
            x += *s.1;
        }
        TrusteeSecret::from_scalar(x).ok_or_else(|| VerifyError::Malformed {
            at: "dkg".into(),
            reason: "the secret share is zero".into(),
        })
    }
}

impl Dkg {
    /// Recompute the key generation's outcome from public data (the
    /// trustees' published keys, in index order): every dealing's structure
    /// and proof, every complaint (upheld: the dealer is disqualified; false:
    /// void), at least `threshold` qualified dealers, the election key and
    /// the verification keys.
    pub fn verify(&self, trustees: &[TrusteeKey]) -> Result<DkgOutcome, VerifyError> {
        let n = trustees.len();
        check_sizes(self.threshold, n)?;
        let mut disqualified: Vec<(u32, String)> = Vec::new();
        let mut commitments: Vec<Option<Vec<RistrettoPoint>>> = vec![None; n];
        let attribution = attribute(self, trustees);
        for (k, slot) in commitments.iter_mut().enumerate() {
            let i = k as u32 + 1;
            if attribution.equivocated[k] {
                disqualified.push((i, "signed two different dealings".into()));
                continue;
            }
            let Some(pos) = attribution.slots[k] else {
                disqualified.push((i, "no dealing".into()));
                continue;
            };
            match check_dealing(
                &self.session_id,
                self.threshold,
                trustees,
                &self.dealings[pos],
            ) {
                Ok(cs) => *slot = Some(cs),
                Err(why) => disqualified.push((i, why)),
            }
        }
        let mut void_complaints = Vec::new();
        // A complaint that does not check out (unknown parties, no such
        // dealing, a proof that fails) is void: it cannot stop the key
        // generation. Only a valid complaint whose share fails disqualifies.
        for (pos, c) in self.complaints.iter().enumerate() {
            match self.judge(trustees, &commitments, &attribution.slots, c) {
                Some(true) => {
                    commitments[c.dealer as usize - 1] = None;
                    disqualified.push((
                        c.dealer,
                        format!("upheld complaint by trustee {}", c.complainant),
                    ));
                }
                _ => void_complaints.push(pos),
            }
        }
        let qualified: Vec<u32> = (1..=n as u32)
            .filter(|i| commitments[*i as usize - 1].is_some())
            .collect();
        if qualified.len() < self.threshold as usize {
            return Err(VerifyError::Malformed {
                at: "dkg".into(),
                reason: format!(
                    "{} qualified trustees, fewer than the threshold {}",
                    qualified.len(),
                    self.threshold
                ),
            });
        }
        let mut pk = RistrettoPoint::identity();
        let mut vks = vec![RistrettoPoint::identity(); n];
        for cs in commitments.iter().flatten() {
            pk += cs[0];
            for (k, vk) in vks.iter_mut().enumerate() {
                *vk += eval_commitments(cs, k as u32 + 1);
            }
        }
        disqualified.sort();
        Ok(DkgOutcome {
            qualified,
            disqualified,
            void_complaints,
            public_key: Point::from_point(&pk),
            verification_keys: vks.iter().map(Point::from_point).collect(),
            attributed: attribution.slots,
            ignored_dealings: attribution.ignored,
        })
    }
}

impl Dkg {
    /// `Some(true)`: the complaint is valid and the share it opens fails
    /// against the dealer's commitments; `Some(false)`: valid but the share
    /// is good; `None`: the complaint does not check out, or its dealer is
    /// already disqualified.
    fn judge(
        &self,
        trustees: &[TrusteeKey],
        commitments: &[Option<Vec<RistrettoPoint>>],
        slots: &[Option<usize>],
        c: &Complaint,
    ) -> Option<bool> {
        let n = trustees.len();
        let jk = (c.complainant as usize).checked_sub(1).filter(|k| *k < n)?;
        let ik = (c.dealer as usize).checked_sub(1).filter(|k| *k < n)?;
        let cs = commitments[ik].as_ref()?;
        let d = &self.dealings[slots[ik]?];
        let es = d.shares.get(jk)?;
        let x = trustees[jk].public_key;
        let xp = x.decode().ok()?;
        let e = es.ephemeral.decode().ok()?;
        let kk = c.shared_key.decode().ok()?;
        let a = c.proof.a.decode().ok()?;
        let b = c.proof.b.decode().ok()?;
        let ch = complaint_challenge(&self.session_id, c, &x, &es.ephemeral);
        let s = c.proof.s.0;
        let ok1 = RistrettoPoint::vartime_multiscalar_mul([s, -ch], [G, xp]) == a;
        let ok2 = RistrettoPoint::vartime_multiscalar_mul([s, -ch], [e, kk]) == b;
        if !(ok1 && ok2) {
            return None;
        }
        let valid = open_share(&self.session_id, c.dealer, &x, es, &c.shared_key)
            .is_some_and(|s| &s * RISTRETTO_BASEPOINT_TABLE == eval_commitments(cs, c.complainant));
        Some(!valid)
    }
}

/// Lagrange coefficient at 0 of index `j` over the set `set` (1-based).
pub(crate) fn lagrange_at_zero(j: u32, set: &[u32]) -> Scalar {
    let xj = Scalar::from(u64::from(j));
    let mut num = Scalar::ONE;
    let mut den = Scalar::ONE;
    for &m in set {
        if m != j {
            let xm = Scalar::from(u64::from(m));
            num *= xm;
            den *= xm - xj;
        }
    }
    num * den.invert()
}

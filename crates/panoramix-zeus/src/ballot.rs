//! Ballots (v2): an ElGamal encryption of an answer, a validity proof bound to
//! the session, the election key, the voter's credential and the ciphertext,
//! and the credential's signature over all of it.
//!
//! * With a candidate list the validity proof is a disjunctive Chaum–Pedersen
//!   proof that the ciphertext encrypts one of the answers' encodings, so a
//!   ballot can neither encrypt junk nor mark itself with a non-canonical
//!   encoding. Without one (free text) it proves knowledge of the randomness.
//! * The signature by the credential makes the ballot its voter's: a copied
//!   ballot cannot be moved to another credential (the proof binds it) nor
//!   cast under someone else's (it needs their secret).
//! * [`prepare_ballot`] keeps the randomness for the Benaloh challenge:
//!   [`open_ballot`] checks an opened ballot, which must then never be cast.
//!
//! Layout and transcripts: `docs/zeus.md` §4.

use curve25519_dalek::constants::{RISTRETTO_BASEPOINT_POINT as G, RISTRETTO_BASEPOINT_TABLE};
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{Identity, VartimeMultiscalarMul};
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};
use zeroize::Zeroizing;

use crate::credential::VoterSecret;
use crate::encoding::{
    Ciphertext, DecodedCiphertext, HexScalar, MAX_PLAINTEXT_LEN, Point, decode_plaintext,
    encode_plaintext,
};
use crate::error::{DecodeError, VerifyError, ZeusError};
use crate::keys::{SchnorrProof, schnorr_prove, schnorr_verify};
use crate::params::{MAX_ANSWERS, Rules, ZeusParams};
use crate::transcript::{GROUP_NAME, Transcript};

/// Domain of ballot validity proofs.
pub const BALLOT_VALIDITY_DOMAIN: &str = "panoramix/zeus/v1/ballot-validity";
/// Domain of ballot signatures.
pub const BALLOT_SIGNATURE_DOMAIN: &str = "panoramix/zeus/v1/ballot-signature";
/// First byte of a ballot's binary (and so text) form.
pub const BALLOT_FORMAT: u8 = 2;

/// One branch of a disjunctive Chaum–Pedersen proof.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrBranch {
    /// The branch's challenge `e_k` (they sum to the transcript challenge).
    pub challenge: HexScalar,
    /// The branch's response `s_k`.
    pub response: HexScalar,
}

/// What a ballot proves about its ciphertext.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValidityProof {
    /// Free-text election: knowledge of `r` with `c1 = r·G`.
    Knowledge(SchnorrProof),
    /// Candidate list: `(c1, c2 − M_k)` is `(r·G, r·pk)` for some answer `k`;
    /// one branch per answer, in order.
    OneOf(Vec<OrBranch>),
}

/// An encrypted ballot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ballot {
    /// The voter's public credential.
    pub credential: Point,
    /// The ElGamal ciphertext `(r·G, M + r·pk)`.
    pub ciphertext: Ciphertext,
    /// Validity proof.
    pub validity: ValidityProof,
    /// Signature by the credential over everything above.
    pub signature: SchnorrProof,
}

/// A ballot with its randomness, before the voter casts or audits it.
pub struct PreparedBallot {
    ballot: Ballot,
    r: Zeroizing<Scalar>,
}

impl std::fmt::Debug for PreparedBallot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedBallot")
            .field("ballot", &self.ballot)
            .finish_non_exhaustive()
    }
}

impl PreparedBallot {
    /// The ballot (cast it only if it was never opened).
    pub fn ballot(&self) -> &Ballot {
        &self.ballot
    }

    /// The encryption randomness, revealed for a Benaloh audit; a ballot
    /// whose randomness was revealed must never be cast.
    pub fn randomness(&self) -> HexScalar {
        HexScalar(*self.r)
    }

    /// [`PreparedBallot::randomness`] as 64 hex characters.
    pub fn randomness_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(hex::encode(self.r.as_bytes()))
    }
}

fn validity_transcript(
    params: &ZeusParams,
    answers: &[RistrettoPoint],
    credential: &Point,
    ct: &Ciphertext,
) -> Transcript {
    let mut t = Transcript::new(BALLOT_VALIDITY_DOMAIN);
    t.append("session_id", params.session_id.as_bytes());
    t.append("group", GROUP_NAME.as_bytes());
    t.append_point("public_key", &params.election_public_key);
    t.append_point("credential", credential);
    let ms: Vec<Point> = answers.iter().map(Point::from_point).collect();
    t.append_points("answers", &ms);
    t.append_ciphertext("ciphertext", ct);
    t
}

fn signature_transcript(
    params: &ZeusParams,
    definition: &[u8; 64],
    credential: &Point,
    ct: &Ciphertext,
    validity: &ValidityProof,
) -> Transcript {
    let mut t = Transcript::new(BALLOT_SIGNATURE_DOMAIN);
    t.append("session_id", params.session_id.as_bytes());
    t.append("group", GROUP_NAME.as_bytes());
    t.append_point("public_key", &params.election_public_key);
    t.append("definition", definition);
    t.append_point("credential", credential);
    t.append_ciphertext("ciphertext", ct);
    t.append("validity", &validity_bytes(validity));
    t
}

fn validity_bytes(v: &ValidityProof) -> Vec<u8> {
    match v {
        ValidityProof::Knowledge(p) => {
            let mut b = p.commitment.0.to_vec();
            b.extend_from_slice(p.response.0.as_bytes());
            b
        }
        ValidityProof::OneOf(branches) => {
            let mut b = Vec::with_capacity(64 * branches.len());
            for br in branches {
                b.extend_from_slice(br.challenge.0.as_bytes());
                b.extend_from_slice(br.response.0.as_bytes());
            }
            b
        }
    }
}

/// An answer in a fixed-size form, so comparing it does not leak its length.
fn padded(a: &[u8]) -> [u8; MAX_PLAINTEXT_LEN + 1] {
    let mut b = [0u8; MAX_PLAINTEXT_LEN + 1];
    b[0] = a.len() as u8;
    b[1..1 + a.len()].copy_from_slice(a);
    b
}

/// Disjunctive Chaum–Pedersen proof, in constant time with respect to which
/// branch (`choice`) is real: every branch is computed the same way, the real
/// one with a zero simulated challenge, and the real challenge and response
/// are added in with conditional selects.
fn prove_one_of<R: RngCore + CryptoRng>(
    mut t: Transcript,
    rules: &Rules,
    c1: &RistrettoPoint,
    c2: &RistrettoPoint,
    r: &Scalar,
    choice: &[Choice],
    rng: &mut R,
) -> Vec<OrBranch> {
    let k = rules.answers.len();
    let mut e: Zeroizing<Vec<Scalar>> = Zeroizing::new(Vec::with_capacity(k));
    let mut s: Zeroizing<Vec<Scalar>> = Zeroizing::new(Vec::with_capacity(k));
    let mut commitments = Vec::with_capacity(2 * k);
    for (i, m) in rules.answers.iter().enumerate() {
        let sim = crate::encoding::random_scalar(rng);
        let ei = Scalar::conditional_select(&sim, &Scalar::ZERO, choice[i]);
        let si = crate::encoding::random_scalar(rng);
        let d = c2 - m;
        let a = &si * RISTRETTO_BASEPOINT_TABLE - c1 * ei;
        let b = rules.pk * si - d * ei;
        commitments.push(Point::from_point(&a));
        commitments.push(Point::from_point(&b));
        e.push(ei);
        s.push(si);
    }
    t.append_points("commitments", &commitments);
    let c = t.challenge_scalar("challenge");
    let real = c - e.iter().sum::<Scalar>();
    let er = Zeroizing::new(real * r);
    (0..k)
        .map(|i| OrBranch {
            challenge: HexScalar(
                e[i] + Scalar::conditional_select(&Scalar::ZERO, &real, choice[i]),
            ),
            response: HexScalar(s[i] + Scalar::conditional_select(&Scalar::ZERO, &er, choice[i])),
        })
        .collect()
}

fn verify_one_of(
    mut t: Transcript,
    rules: &Rules,
    c: &DecodedCiphertext,
    branches: &[OrBranch],
) -> bool {
    let mut commitments = Vec::with_capacity(2 * branches.len());
    let mut sum = Scalar::ZERO;
    for (br, m) in branches.iter().zip(rules.answers.iter()) {
        let (e, s) = (br.challenge.0, br.response.0);
        let a = RistrettoPoint::vartime_multiscalar_mul([s, -e], [G, c.c1]);
        let b = RistrettoPoint::vartime_multiscalar_mul([s, -e], [rules.pk, c.c2 - m]);
        commitments.push(Point::from_point(&a));
        commitments.push(Point::from_point(&b));
        sum += e;
    }
    t.append_points("commitments", &commitments);
    t.challenge_scalar("challenge") == sum
}

fn finish<R: RngCore + CryptoRng>(
    params: &ZeusParams,
    rules: &Rules,
    voter: &VoterSecret,
    ciphertext: Ciphertext,
    validity: ValidityProof,
    rng: &mut R,
) -> Ballot {
    let credential = voter.public();
    let signature = schnorr_prove(
        signature_transcript(
            params,
            &rules.definition,
            &credential,
            &ciphertext,
            &validity,
        ),
        voter.scalar(),
        rng,
    );
    Ballot {
        credential,
        ciphertext,
        validity,
        signature,
    }
}

/// Encrypt `answer` under `params` with the voter's credential, keeping the
/// randomness for a Benaloh audit. With a candidate list, `answer` must be
/// one of the answers, and the encryption and proof run in time independent
/// of which.
pub fn prepare_ballot<R: RngCore + CryptoRng>(
    params: &ZeusParams,
    voter: &VoterSecret,
    answer: &[u8],
    rng: &mut R,
) -> Result<PreparedBallot, ZeusError> {
    let rules = params.answer_rules()?;
    let r = Zeroizing::new(crate::encoding::random_scalar(rng));
    let c1 = &*r * RISTRETTO_BASEPOINT_TABLE;
    let credential = voter.public();
    let (ciphertext, validity) = if rules.answers.is_empty() {
        let m = encode_plaintext(answer)?;
        let ct = Ciphertext::from_points(&c1, &(m + rules.pk * *r));
        let t = validity_transcript(params, &[], &credential, &ct);
        (ct, ValidityProof::Knowledge(schnorr_prove(t, &r, rng)))
    } else {
        if answer.len() > MAX_PLAINTEXT_LEN {
            return Err(ZeusError::NotAnAnswer);
        }
        let mine = padded(answer);
        let choice: Vec<Choice> = params
            .answers
            .iter()
            .map(|a| padded(a.as_bytes()).ct_eq(&mine))
            .collect();
        if !bool::from(choice.iter().fold(Choice::from(0), |x, y| x | *y)) {
            return Err(ZeusError::NotAnAnswer);
        }
        let mut m = RistrettoPoint::identity();
        for (p, c) in rules.answers.iter().zip(choice.iter()) {
            m.conditional_assign(p, *c);
        }
        let c2 = m + rules.pk * *r;
        let ct = Ciphertext::from_points(&c1, &c2);
        let t = validity_transcript(params, &rules.answers, &credential, &ct);
        let proof = prove_one_of(t, &rules, &c1, &c2, &r, &choice, rng);
        (ct, ValidityProof::OneOf(proof))
    };
    Ok(PreparedBallot {
        ballot: finish(params, &rules, voter, ciphertext, validity, rng),
        r,
    })
}

/// [`prepare_ballot`], for a ballot that will be cast.
pub fn encrypt_ballot<R: RngCore + CryptoRng>(
    params: &ZeusParams,
    voter: &VoterSecret,
    answer: &[u8],
    rng: &mut R,
) -> Result<Ballot, ZeusError> {
    Ok(prepare_ballot(params, voter, answer, rng)?.ballot)
}

/// A ballot for an arbitrary group element with a knowledge proof: valid only
/// in a free-text election, and decrypted as a spoiled ballot unless the
/// element is a canonical encoding. For tests and audits of spoiled-ballot
/// handling; honest voting software never makes one.
pub fn encrypt_element<R: RngCore + CryptoRng>(
    params: &ZeusParams,
    voter: &VoterSecret,
    element: &RistrettoPoint,
    rng: &mut R,
) -> Result<Ballot, ZeusError> {
    let rules = params.answer_rules()?;
    if !rules.answers.is_empty() {
        return Err(ZeusError::NotAnAnswer);
    }
    let r = Zeroizing::new(crate::encoding::random_scalar(rng));
    let c1 = &*r * RISTRETTO_BASEPOINT_TABLE;
    let ct = Ciphertext::from_points(&c1, &(element + rules.pk * *r));
    let t = validity_transcript(params, &[], &voter.public(), &ct);
    let validity = ValidityProof::Knowledge(schnorr_prove(t, &r, rng));
    Ok(finish(params, &rules, voter, ct, validity, rng))
}

/// Check a ballot against checked parameters: encodings, validity proof,
/// signature, eligibility. `index` only labels errors.
pub fn check_ballot(
    params: &ZeusParams,
    rules: &Rules,
    ballot: &Ballot,
    index: usize,
) -> Result<DecodedCiphertext, VerifyError> {
    let enc = |at: &str, reason| VerifyError::Encoding {
        at: format!("ballots[{index}].{at}"),
        reason,
    };
    let cred = ballot
        .credential
        .decode()
        .map_err(|r| enc("credential", r))?;
    let c = DecodedCiphertext {
        c1: ballot
            .ciphertext
            .c1
            .decode()
            .map_err(|r| enc("ciphertext.c1", r))?,
        c2: ballot
            .ciphertext
            .c2
            .decode()
            .map_err(|r| enc("ciphertext.c2", r))?,
    };
    let ok = match &ballot.validity {
        ValidityProof::Knowledge(p) if rules.answers.is_empty() => {
            let t = validity_transcript(params, &[], &ballot.credential, &ballot.ciphertext);
            schnorr_verify(t, &c.c1, p).map_err(|r| enc("validity.knowledge.commitment", r))?
        }
        ValidityProof::OneOf(b) if b.len() == rules.answers.len() && !b.is_empty() => {
            let t = validity_transcript(
                params,
                &rules.answers,
                &ballot.credential,
                &ballot.ciphertext,
            );
            verify_one_of(t, rules, &c, b)
        }
        other => {
            let found = match other {
                ValidityProof::Knowledge(_) => "a knowledge proof".to_string(),
                ValidityProof::OneOf(b) => format!("{} branches", b.len()),
            };
            return Err(VerifyError::Malformed {
                at: format!("ballots[{index}].validity"),
                reason: format!(
                    "{found} where the election has {} answers",
                    rules.answers.len()
                ),
            });
        }
    };
    if !ok {
        return Err(VerifyError::BallotProof { ballot: index });
    }
    let t = signature_transcript(
        params,
        &rules.definition,
        &ballot.credential,
        &ballot.ciphertext,
        &ballot.validity,
    );
    let ok =
        schnorr_verify(t, &cred, &ballot.signature).map_err(|r| enc("signature.commitment", r))?;
    if !ok {
        return Err(VerifyError::BallotSignature { ballot: index });
    }
    if !rules.eligible(&ballot.credential) {
        return Err(VerifyError::NotEligible { ballot: index });
    }
    Ok(c)
}

/// [`check_ballot`] for one ballot (checks the parameters first).
pub fn verify_ballot(
    params: &ZeusParams,
    ballot: &Ballot,
    index: usize,
) -> Result<DecodedCiphertext, VerifyError> {
    check_ballot(params, &params.rules()?, ballot, index)
}

/// The Benaloh check of an opened ballot: the ballot verifies, `c1 = r·G`,
/// and `c2 − r·pk` is the canonical encoding of an allowed answer, which is
/// returned. The ballot must not be cast afterwards.
pub fn open_ballot(
    params: &ZeusParams,
    ballot: &Ballot,
    randomness: &HexScalar,
) -> Result<Vec<u8>, VerifyError> {
    let rules = params.rules()?;
    let c = check_ballot(params, &rules, ballot, 0)?;
    let r = randomness.0;
    if &r * RISTRETTO_BASEPOINT_TABLE != c.c1 {
        return Err(VerifyError::BallotOpening {
            reason: "the randomness does not give c1".into(),
        });
    }
    let m = c.c2 - rules.pk * r;
    let p = decode_plaintext(&m).map_err(|_| VerifyError::BallotOpening {
        reason: "the ballot does not encrypt a canonical plaintext".into(),
    })?;
    if !params.answers.is_empty() && !params.answers.iter().any(|a| a.as_bytes() == p) {
        return Err(VerifyError::BallotOpening {
            reason: "the ballot does not encrypt an allowed answer".into(),
        });
    }
    Ok(p)
}

fn scalar_at(b: &[u8]) -> Result<HexScalar, DecodeError> {
    let mut a = [0u8; 32];
    a.copy_from_slice(b);
    Option::<Scalar>::from(Scalar::from_canonical_bytes(a))
        .map(HexScalar)
        .ok_or(DecodeError::NonCanonicalScalar)
}

fn point_at(b: &[u8]) -> Point {
    let mut a = [0u8; 32];
    a.copy_from_slice(b);
    Point(a)
}

impl Ballot {
    /// Binary form: `0x02 || K || credential || c1 || c2 || proof || R || s`,
    /// K the number of answers (0: knowledge proof `R' || s'`; else K pairs
    /// `e_k || s_k`).
    pub fn to_bytes(&self) -> Vec<u8> {
        let k = match &self.validity {
            ValidityProof::Knowledge(_) => 0u8,
            ValidityProof::OneOf(b) => b.len() as u8,
        };
        let mut b = vec![BALLOT_FORMAT, k];
        b.extend_from_slice(&self.credential.0);
        b.extend_from_slice(&self.ciphertext.to_bytes());
        b.extend_from_slice(&validity_bytes(&self.validity));
        b.extend_from_slice(&self.signature.commitment.0);
        b.extend_from_slice(self.signature.response.0.as_bytes());
        b
    }

    /// Text form (posted to the booth): lowercase hex of [`Ballot::to_bytes`].
    pub fn to_text(&self) -> String {
        hex::encode(self.to_bytes())
    }

    /// Parse the binary form; scalars are checked here, points by
    /// [`check_ballot`].
    pub fn from_bytes(b: &[u8]) -> Result<Self, DecodeError> {
        let bad = |k: usize| DecodeError::BadHex {
            expected: 2 * ballot_len(k),
        };
        if b.len() < 2 || b[0] != BALLOT_FORMAT || b[1] as usize > MAX_ANSWERS {
            return Err(bad(0));
        }
        let k = b[1] as usize;
        if b.len() != ballot_len(k) {
            return Err(bad(k));
        }
        let proof_end = 98 + if k == 0 { 64 } else { 64 * k };
        let validity = if k == 0 {
            ValidityProof::Knowledge(SchnorrProof {
                commitment: point_at(&b[98..130]),
                response: scalar_at(&b[130..162])?,
            })
        } else {
            ValidityProof::OneOf(
                b[98..proof_end]
                    .chunks_exact(64)
                    .map(|c| {
                        Ok(OrBranch {
                            challenge: scalar_at(&c[..32])?,
                            response: scalar_at(&c[32..])?,
                        })
                    })
                    .collect::<Result<_, DecodeError>>()?,
            )
        };
        Ok(Ballot {
            credential: point_at(&b[2..34]),
            ciphertext: Ciphertext {
                c1: point_at(&b[34..66]),
                c2: point_at(&b[66..98]),
            },
            validity,
            signature: SchnorrProof {
                commitment: point_at(&b[proof_end..proof_end + 32]),
                response: scalar_at(&b[proof_end + 32..])?,
            },
        })
    }

    /// Parse the text form (lowercase hex only).
    pub fn from_text(s: &str) -> Result<Self, DecodeError> {
        let b = s.as_bytes();
        if !b.len().is_multiple_of(2)
            || b.len() > 2 * ballot_len(MAX_ANSWERS)
            || !b.iter().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'))
        {
            return Err(DecodeError::BadHex {
                expected: 2 * ballot_len(0),
            });
        }
        let bytes = hex::decode(b).map_err(|_| DecodeError::BadHex {
            expected: 2 * ballot_len(0),
        })?;
        Ballot::from_bytes(&bytes)
    }
}

/// Length in bytes of a ballot for an election with `k` answers.
pub fn ballot_len(k: usize) -> usize {
    2 + 96 + if k == 0 { 64 } else { 64 * k } + 64
}

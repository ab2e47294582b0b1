//! Trustee key shares with Schnorr proofs of knowledge, and the joint key.

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{Identity, IsIdentity};
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::encoding::{HexScalar, Point};
use crate::error::{DecodeError, VerifyError};
use crate::transcript::{GROUP_NAME, Transcript};

/// Domain of trustee key proofs.
pub const KEY_DOMAIN: &str = "panoramix/zeus/v1/trustee-key";

/// A Schnorr proof of knowledge `(R, s)` with `s·G = R + c·X`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchnorrProof {
    /// `R = k·G`.
    pub commitment: Point,
    /// `s = k + c·x`.
    pub response: HexScalar,
}

/// Prove knowledge of `x` with `X = x·G`; the caller has already bound the
/// statement (including `X`) into `t`.
pub(crate) fn schnorr_prove<R: RngCore + CryptoRng>(
    mut t: Transcript,
    x: &Scalar,
    rng: &mut R,
) -> SchnorrProof {
    let k = Zeroizing::new(crate::encoding::random_scalar(rng));
    let commitment = Point::from_point(&(&*k * RISTRETTO_BASEPOINT_TABLE));
    t.append_point("commitment", &commitment);
    let c = t.challenge_scalar("challenge");
    SchnorrProof {
        commitment,
        response: HexScalar(*k + c * x),
    }
}

/// Check a Schnorr proof for public `x_pub`; `Ok(false)` if the equation
/// fails, `Err` if the commitment does not decode.
pub(crate) fn schnorr_verify(
    mut t: Transcript,
    x_pub: &RistrettoPoint,
    proof: &SchnorrProof,
) -> Result<bool, DecodeError> {
    let r = proof.commitment.decode()?;
    t.append_point("commitment", &proof.commitment);
    let c = t.challenge_scalar("challenge");
    // s·G − c·X == R (public data: variable time is fine)
    let lhs = RistrettoPoint::vartime_double_scalar_mul_basepoint(&-c, x_pub, &proof.response.0);
    Ok(lhs == r)
}

fn key_transcript(session_id: &str, public_key: &Point) -> Transcript {
    let mut t = Transcript::new(KEY_DOMAIN);
    t.append("session_id", session_id.as_bytes());
    t.append("group", GROUP_NAME.as_bytes());
    t.append_point("public_key", public_key);
    t
}

/// A trustee's secret key share `x_i`. Zeroized on drop; `Debug` hides it.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct TrusteeSecret {
    x: Scalar,
}

impl std::fmt::Debug for TrusteeSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrusteeSecret").finish_non_exhaustive()
    }
}

impl TrusteeSecret {
    /// Draw a fresh non-zero key share.
    pub fn generate<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        TrusteeSecret {
            x: crate::encoding::random_nonzero_scalar(rng),
        }
    }

    /// The public key share `x_i·G`.
    pub fn public_key(&self) -> Point {
        Point::from_point(&(&self.x * RISTRETTO_BASEPOINT_TABLE))
    }

    /// Publish the key share with a proof of knowledge bound to the session.
    pub fn publish<R: RngCore + CryptoRng>(&self, session_id: &str, rng: &mut R) -> TrusteeKey {
        let public_key = self.public_key();
        let proof = schnorr_prove(key_transcript(session_id, &public_key), &self.x, rng);
        TrusteeKey { public_key, proof }
    }

    /// Export the secret as 64 hex characters (for the trustee's own storage).
    pub fn to_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(hex::encode(self.x.as_bytes()))
    }

    /// Import a secret exported by [`TrusteeSecret::to_hex`].
    pub fn from_hex(s: &str) -> Result<Self, DecodeError> {
        Ok(TrusteeSecret {
            x: crate::encoding::secret_scalar_from_hex(s)?,
        })
    }

    pub(crate) fn scalar(&self) -> &Scalar {
        &self.x
    }

    /// A non-zero scalar as a secret (a threshold trustee's share).
    pub(crate) fn from_scalar(x: Scalar) -> Option<Self> {
        (x != Scalar::ZERO).then_some(TrusteeSecret { x })
    }
}

/// A published trustee key share with its proof of knowledge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrusteeKey {
    /// `pk_i = x_i·G`.
    pub public_key: Point,
    /// Proof of knowledge of `x_i`, bound to the session id.
    pub proof: SchnorrProof,
}

impl TrusteeKey {
    /// Verify the proof of knowledge for `session_id` (trustee index `i` is
    /// used in the error only).
    pub fn verify(&self, session_id: &str, i: usize) -> Result<RistrettoPoint, VerifyError> {
        let enc = |at: &str, reason| VerifyError::Encoding {
            at: format!("trustees[{i}].{at}"),
            reason,
        };
        let pk = self.public_key.decode().map_err(|r| enc("public_key", r))?;
        let ok = schnorr_verify(
            key_transcript(session_id, &self.public_key),
            &pk,
            &self.proof,
        )
        .map_err(|r| enc("proof.commitment", r))?;
        if !ok {
            return Err(VerifyError::TrusteeKeyProof { trustee: i });
        }
        Ok(pk)
    }
}

/// Verify every trustee's proof, reject duplicates, and return the joint
/// election key `pk = Σ pk_i`.
pub fn combine_trustee_keys(session_id: &str, keys: &[TrusteeKey]) -> Result<Point, VerifyError> {
    if keys.is_empty() {
        return Err(VerifyError::Empty {
            what: "trustees".into(),
        });
    }
    let mut sum = RistrettoPoint::identity();
    for (i, k) in keys.iter().enumerate() {
        if let Some(first) = keys[..i].iter().position(|o| o.public_key == k.public_key) {
            return Err(VerifyError::DuplicateTrustee { trustee: i, first });
        }
        sum += k.verify(session_id, i)?;
    }
    if sum.is_identity() {
        return Err(VerifyError::JointKeyMismatch);
    }
    Ok(Point::from_point(&sum))
}

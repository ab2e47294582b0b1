//! Ballots: ElGamal encryption of an encoded plaintext with a Schnorr proof
//! of knowledge of the randomness, bound to the session and the ciphertext
//! (so a ballot cannot be re-randomised or moved to another election).

use curve25519_dalek::scalar::Scalar;
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::encoding::{
    Ciphertext, DecodedCiphertext, HexScalar, Point, encode_plaintext, parse_hex,
};
use crate::error::{DecodeError, VerifyError, ZeusError};
use crate::keys::{SchnorrProof, schnorr_prove, schnorr_verify};
use crate::transcript::{GROUP_NAME, Transcript};

/// Domain of ballot proofs.
pub const BALLOT_DOMAIN: &str = "panoramix/zeus/v1/ballot";

/// An encrypted ballot: ciphertext plus proof of knowledge of `r` in `c1 = r·G`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ballot {
    /// The ElGamal ciphertext.
    pub ciphertext: Ciphertext,
    /// Proof of knowledge of the randomness.
    pub proof: SchnorrProof,
}

fn ballot_transcript(session_id: &str, pk: &Point, ct: &Ciphertext) -> Transcript {
    let mut t = Transcript::new(BALLOT_DOMAIN);
    t.append("session_id", session_id.as_bytes());
    t.append("group", GROUP_NAME.as_bytes());
    t.append_point("public_key", pk);
    t.append_ciphertext("ciphertext", ct);
    t
}

/// Encrypt `plaintext` (at most [`crate::MAX_PLAINTEXT_LEN`] bytes) to the
/// election key, with a proof bound to `session_id`.
pub fn encrypt_ballot<R: RngCore + CryptoRng>(
    session_id: &str,
    election_key: &Point,
    plaintext: &[u8],
    rng: &mut R,
) -> Result<Ballot, ZeusError> {
    let pk = election_key.decode().map_err(|reason| ZeusError::Decode {
        at: "election_public_key".into(),
        reason,
    })?;
    let m = encode_plaintext(plaintext)?;
    let r = Zeroizing::new(crate::encoding::random_scalar(rng));
    let c1 = &*r * curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
    let c2 = m + pk * *r;
    let ciphertext = Ciphertext::from_points(&c1, &c2);
    let proof = schnorr_prove(
        ballot_transcript(session_id, election_key, &ciphertext),
        &r,
        rng,
    );
    Ok(Ballot { ciphertext, proof })
}

/// Verify a ballot for this session and key; returns the decoded ciphertext.
/// `index` only labels errors.
pub fn verify_ballot(
    session_id: &str,
    election_key: &Point,
    ballot: &Ballot,
    index: usize,
) -> Result<DecodedCiphertext, VerifyError> {
    let enc = |at: &str, reason| VerifyError::Encoding {
        at: format!("ballots[{index}].{at}"),
        reason,
    };
    let c1 = ballot
        .ciphertext
        .c1
        .decode()
        .map_err(|r| enc("ciphertext.c1", r))?;
    let c2 = ballot
        .ciphertext
        .c2
        .decode()
        .map_err(|r| enc("ciphertext.c2", r))?;
    let ok = schnorr_verify(
        ballot_transcript(session_id, election_key, &ballot.ciphertext),
        &c1,
        &ballot.proof,
    )
    .map_err(|r| enc("proof.commitment", r))?;
    if !ok {
        return Err(VerifyError::BallotProof { ballot: index });
    }
    Ok(DecodedCiphertext { c1, c2 })
}

impl Ballot {
    /// Compact text form: 256 lowercase hex characters,
    /// `hex(c1 || c2 || R || s)`.
    pub fn to_text(&self) -> String {
        let mut s = self.ciphertext.to_text();
        s.push_str(&self.proof.commitment.to_hex());
        s.push_str(&self.proof.response.to_hex());
        s
    }

    /// Parse the compact text form (points are checked by [`verify_ballot`];
    /// the scalar is checked here).
    pub fn from_text(s: &str) -> Result<Self, DecodeError> {
        let b = parse_hex::<128>(s)?;
        let mut p = [[0u8; 32]; 4];
        for (k, chunk) in b.chunks_exact(32).enumerate() {
            p[k].copy_from_slice(chunk);
        }
        let response = Option::<Scalar>::from(Scalar::from_canonical_bytes(p[3]))
            .ok_or(DecodeError::NonCanonicalScalar)?;
        Ok(Ballot {
            ciphertext: Ciphertext {
                c1: Point(p[0]),
                c2: Point(p[1]),
            },
            proof: SchnorrProof {
                commitment: Point(p[2]),
                response: HexScalar(response),
            },
        })
    }
}

//! Per-session precomputation shared by provers and verifiers: fixed-base
//! tables for the election key and for `h_0`, and the independent
//! generators `h_1, h_2, …` of the Terelius–Wikström commitments.

use std::sync::Mutex;

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::ristretto::{RistrettoBasepointTable, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;

use crate::encoding::{Ciphertext, DecodedCiphertext, Point};
use crate::error::DecodeError;
use crate::par;
use crate::transcript::expand_bytes;

/// Domain string of the generator derivation.
pub const GENERATOR_DOMAIN: &str = "panoramix/zeus/v1/generator";

/// The independent generator `h_i` of a session:
/// `from_uniform_bytes(SHA-512(frame(GENERATOR_DOMAIN, session_id) || LE64(i)))`
/// (RFC 9496 one-way map). Nobody knows a discrete-log relation between them.
pub fn generator(session_id: &str, i: u64) -> RistrettoPoint {
    RistrettoPoint::from_uniform_bytes(&expand_bytes(GENERATOR_DOMAIN, session_id.as_bytes(), i))
}

/// Session parameters for mixing: the session (election) id, the election
/// public key, and cached precomputation. Build once per session and share.
pub struct MixContext {
    session_id: String,
    pk: RistrettoPoint,
    pk_wire: Point,
    pk_table: RistrettoBasepointTable,
    h0: RistrettoPoint,
    h0_table: RistrettoBasepointTable,
    gens: Mutex<Vec<RistrettoPoint>>,
}

impl std::fmt::Debug for MixContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MixContext")
            .field("session_id", &self.session_id)
            .field("pk", &self.pk_wire)
            .finish_non_exhaustive()
    }
}

impl MixContext {
    /// Build the context (about 2 ms: two fixed-base tables).
    pub fn new(session_id: &str, election_key: &Point) -> Result<Self, DecodeError> {
        let pk = election_key.decode()?;
        let h0 = generator(session_id, 0);
        Ok(MixContext {
            session_id: session_id.to_owned(),
            pk,
            pk_wire: *election_key,
            pk_table: RistrettoBasepointTable::create(&pk),
            h0,
            h0_table: RistrettoBasepointTable::create(&h0),
            gens: Mutex::new(Vec::new()),
        })
    }

    /// Session id.
    pub fn session_id(&self) -> &str {
        &self.session_id
    }

    /// Election public key (wire form).
    pub fn public_key(&self) -> &Point {
        &self.pk_wire
    }

    pub(crate) fn pk(&self) -> &RistrettoPoint {
        &self.pk
    }

    pub(crate) fn h0(&self) -> &RistrettoPoint {
        &self.h0
    }

    /// `s·pk` through the fixed-base table (constant time).
    pub(crate) fn mul_pk(&self, s: &Scalar) -> RistrettoPoint {
        s * &self.pk_table
    }

    /// `x·G + y·h_0` through fixed-base tables (constant time).
    pub(crate) fn mul_g_h0(&self, x: &Scalar, y: &Scalar) -> RistrettoPoint {
        x * RISTRETTO_BASEPOINT_TABLE + y * &self.h0_table
    }

    /// `h_1..=h_n` (cached; derived in parallel on first use).
    pub fn generators(&self, n: usize) -> Vec<RistrettoPoint> {
        let mut g = match self.gens.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        if g.len() < n {
            let have = g.len();
            let sid = &self.session_id;
            let more = par::map_range(n - have, |k| generator(sid, (have + k + 1) as u64));
            g.extend(more);
        }
        g[..n].to_vec()
    }

    /// Re-encrypt: `(c1 + r·G, c2 + r·pk)` (constant time in `r`).
    pub fn reencrypt(&self, c: &DecodedCiphertext, r: &Scalar) -> DecodedCiphertext {
        DecodedCiphertext {
            c1: c.c1 + r * RISTRETTO_BASEPOINT_TABLE,
            c2: c.c2 + self.mul_pk(r),
        }
    }

    /// Encrypt a group element: `(r·G, m + r·pk)`.
    pub fn encrypt_point(&self, m: &RistrettoPoint, r: &Scalar) -> DecodedCiphertext {
        DecodedCiphertext {
            c1: r * RISTRETTO_BASEPOINT_TABLE,
            c2: m + self.mul_pk(r),
        }
    }

    /// The shape checks every proof of shuffle starts with (a non-empty input,
    /// an output of the same length), then both lists decoded.
    pub(crate) fn decode_shuffle(
        input: &[Ciphertext],
        output: &[Ciphertext],
    ) -> Result<(Vec<DecodedCiphertext>, Vec<DecodedCiphertext>), crate::VerifyError> {
        if input.is_empty() {
            return Err(crate::VerifyError::Empty {
                what: "input".into(),
            });
        }
        if output.len() != input.len() {
            return Err(crate::VerifyError::LengthMismatch {
                at: "output".into(),
                expected: input.len(),
                found: output.len(),
            });
        }
        Ok((
            Self::decode_list("input", input)?,
            Self::decode_list("output", output)?,
        ))
    }

    /// Decode a list of ciphertexts in parallel; the error names the first
    /// bad element as `{what}[i].c1` / `.c2`.
    pub(crate) fn decode_list(
        what: &str,
        list: &[Ciphertext],
    ) -> Result<Vec<DecodedCiphertext>, crate::VerifyError> {
        par::try_map_range(list.len(), |i| {
            let c = &list[i];
            let c1 =
                c.c1.decode()
                    .map_err(|reason| crate::VerifyError::Encoding {
                        at: format!("{what}[{i}].c1"),
                        reason,
                    })?;
            let c2 =
                c.c2.decode()
                    .map_err(|reason| crate::VerifyError::Encoding {
                        at: format!("{what}[{i}].c2"),
                        reason,
                    })?;
            Ok(DecodedCiphertext { c1, c2 })
        })
    }
}

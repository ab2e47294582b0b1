//! Wire encodings: group elements, scalars and ciphertexts as canonical
//! lowercase hex, and the reversible plaintext ↔ group-element encoding.

use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::IsIdentity;
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::Zeroizing;

use crate::error::{DecodeError, ZeusError};

/// A uniformly random scalar: 64 random bytes reduced modulo the group order (bias below
/// 2^-250), exactly what curve25519-dalek's `Scalar::random` does. Spelled out so that the
/// crate does not depend on the `rand_core` version of either curve25519-dalek it builds
/// with (5 on x86-64, 4.1 elsewhere); the known-answer vectors stay the same.
pub fn random_scalar<R: RngCore + CryptoRng + ?Sized>(rng: &mut R) -> Scalar {
    let mut wide = Zeroizing::new([0u8; 64]);
    rng.fill_bytes(wide.as_mut());
    Scalar::from_bytes_mod_order_wide(&wide)
}

/// A uniformly random non-zero scalar (a secret key).
pub(crate) fn random_nonzero_scalar<R: RngCore + CryptoRng + ?Sized>(rng: &mut R) -> Scalar {
    loop {
        let x = random_scalar(rng);
        if x != Scalar::ZERO {
            return x;
        }
    }
}

/// Parse a secret scalar from 64 lowercase hex characters: canonical and
/// non-zero (the buffers are wiped).
pub(crate) fn secret_scalar_from_hex(s: &str) -> Result<Scalar, DecodeError> {
    let b = Zeroizing::new(parse_hex::<32>(s)?);
    let x = Option::<Scalar>::from(Scalar::from_canonical_bytes(*b))
        .ok_or(DecodeError::NonCanonicalScalar)?;
    if x == Scalar::ZERO {
        return Err(DecodeError::NonCanonicalScalar);
    }
    Ok(x)
}

/// Maximum plaintext length in bytes that [`encode_plaintext`] accepts.
pub const MAX_PLAINTEXT_LEN: usize = 29;

/// Parse exactly `2 * N` lowercase hex characters.
pub(crate) fn parse_hex<const N: usize>(s: &str) -> Result<[u8; N], DecodeError> {
    let bad = DecodeError::BadHex { expected: 2 * N };
    let b = s.as_bytes();
    if b.len() != 2 * N || !b.iter().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')) {
        return Err(bad);
    }
    let mut out = [0u8; N];
    hex::decode_to_slice(b, &mut out).map_err(|_| bad)?;
    Ok(out)
}

/// A group element in its 32-byte canonical Ristretto255 encoding, as sent on
/// the wire. Holding a `Point` does not mean it is valid: [`Point::decode`]
/// checks it. Serialised as 64 lowercase hex characters.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Point(pub [u8; 32]);

impl std::fmt::Debug for Point {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Point({})", hex::encode(self.0))
    }
}

impl Point {
    /// Compress a group element.
    pub fn from_point(p: &RistrettoPoint) -> Self {
        Point(p.compress().to_bytes())
    }

    /// Decode, rejecting non-canonical encodings and the identity.
    pub fn decode(&self) -> Result<RistrettoPoint, DecodeError> {
        let p = CompressedRistretto(self.0)
            .decompress()
            .ok_or(DecodeError::NonCanonicalPoint)?;
        if p.is_identity() {
            return Err(DecodeError::IdentityPoint);
        }
        Ok(p)
    }

    /// Lowercase hex (64 characters).
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parse 64 lowercase hex characters (the point itself is not checked).
    pub fn from_hex(s: &str) -> Result<Self, DecodeError> {
        Ok(Point(parse_hex::<32>(s)?))
    }
}

impl Serialize for Point {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Point {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s: std::borrow::Cow<'de, str> = Deserialize::deserialize(d)?;
        Point::from_hex(&s).map_err(serde::de::Error::custom)
    }
}

/// A scalar modulo ℓ, serialised as 64 lowercase hex characters of its
/// canonical little-endian encoding; deserialisation rejects values ≥ ℓ.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct HexScalar(pub Scalar);

impl std::fmt::Debug for HexScalar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HexScalar({})", hex::encode(self.0.as_bytes()))
    }
}

impl HexScalar {
    /// Parse 64 lowercase hex characters of a canonical scalar.
    pub fn from_hex(s: &str) -> Result<Self, DecodeError> {
        let b = parse_hex::<32>(s)?;
        Option::<Scalar>::from(Scalar::from_canonical_bytes(b))
            .map(HexScalar)
            .ok_or(DecodeError::NonCanonicalScalar)
    }

    /// Lowercase hex (64 characters).
    pub fn to_hex(&self) -> String {
        hex::encode(self.0.as_bytes())
    }
}

impl Serialize for HexScalar {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for HexScalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s: std::borrow::Cow<'de, str> = Deserialize::deserialize(d)?;
        HexScalar::from_hex(&s).map_err(serde::de::Error::custom)
    }
}

/// An ElGamal ciphertext `(c1, c2) = (r·G, M + r·pk)` in wire form. Its
/// compact text form (also its JSON form) is 128 lowercase hex characters:
/// `hex(c1) || hex(c2)`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ciphertext {
    /// `r·G`.
    pub c1: Point,
    /// `M + r·pk`.
    pub c2: Point,
}

impl std::fmt::Debug for Ciphertext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Ciphertext({})", self.to_text())
    }
}

/// A decoded (validated) ciphertext.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodedCiphertext {
    /// `r·G`.
    pub c1: RistrettoPoint,
    /// `M + r·pk`.
    pub c2: RistrettoPoint,
}

impl Ciphertext {
    /// Compress two group elements.
    pub fn from_points(c1: &RistrettoPoint, c2: &RistrettoPoint) -> Self {
        Ciphertext {
            c1: Point::from_point(c1),
            c2: Point::from_point(c2),
        }
    }

    /// Decode both components (canonical, non-identity).
    pub fn decode(&self) -> Result<DecodedCiphertext, DecodeError> {
        Ok(DecodedCiphertext {
            c1: self.c1.decode()?,
            c2: self.c2.decode()?,
        })
    }

    /// The 64 bytes `c1 || c2`.
    pub fn to_bytes(&self) -> [u8; 64] {
        let mut b = [0u8; 64];
        b[..32].copy_from_slice(&self.c1.0);
        b[32..].copy_from_slice(&self.c2.0);
        b
    }

    /// Compact text form: 128 lowercase hex characters.
    pub fn to_text(&self) -> String {
        hex::encode(self.to_bytes())
    }

    /// Parse the compact text form (components are not yet validated; call
    /// [`Ciphertext::decode`]).
    pub fn from_text(s: &str) -> Result<Self, DecodeError> {
        let b = parse_hex::<64>(s)?;
        let mut c1 = [0u8; 32];
        let mut c2 = [0u8; 32];
        c1.copy_from_slice(&b[..32]);
        c2.copy_from_slice(&b[32..]);
        Ok(Ciphertext {
            c1: Point(c1),
            c2: Point(c2),
        })
    }
}

impl DecodedCiphertext {
    /// Compress to wire form.
    pub fn compress(&self) -> Ciphertext {
        Ciphertext::from_points(&self.c1, &self.c2)
    }
}

impl Serialize for Ciphertext {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_text())
    }
}

impl<'de> Deserialize<'de> for Ciphertext {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s: std::borrow::Cow<'de, str> = Deserialize::deserialize(d)?;
        Ciphertext::from_text(&s).map_err(serde::de::Error::custom)
    }
}

/// Map a plaintext of at most [`MAX_PLAINTEXT_LEN`] bytes to a group element.
///
/// Layout of the 32-byte Ristretto encoding that is tried:
/// byte 0 = `2·ctr` (ctr = 0, 1, …, 127; even, so the encoded field element
/// is non-negative), byte 1 = length, bytes 2..2+len = plaintext, the rest
/// (through byte 31) zero. The first `ctr` whose bytes decode to a
/// non-identity element is used. Deterministic.
pub fn encode_plaintext(msg: &[u8]) -> Result<RistrettoPoint, ZeusError> {
    if msg.len() > MAX_PLAINTEXT_LEN {
        return Err(ZeusError::PlaintextTooLong {
            len: msg.len(),
            max: MAX_PLAINTEXT_LEN,
        });
    }
    let mut b = [0u8; 32];
    b[1] = msg.len() as u8;
    b[2..2 + msg.len()].copy_from_slice(msg);
    for ctr in 0u8..128 {
        b[0] = ctr << 1;
        if let Some(p) = CompressedRistretto(b).decompress()
            && !p.is_identity()
        {
            return Ok(p);
        }
    }
    Err(ZeusError::PlaintextNotEncodable)
}

/// Invert [`encode_plaintext`]: fails unless the element's encoding has the
/// layout described there (length ≤ 29, zero padding, byte 31 zero) **and**
/// is the canonical encoding of its plaintext, `encode(decode(p)) == p`: the
/// first counter that works, so a voter cannot mark a ballot by choosing a
/// later one.
pub fn decode_plaintext(p: &RistrettoPoint) -> Result<Vec<u8>, ZeusError> {
    let b = p.compress().to_bytes();
    let len = b[1] as usize;
    if len > MAX_PLAINTEXT_LEN || b[0] & 1 != 0 || b[2 + len..].iter().any(|&x| x != 0) {
        return Err(ZeusError::NotAPlaintext);
    }
    let msg = b[2..2 + len].to_vec();
    if encode_plaintext(&msg)? != *p {
        return Err(ZeusError::NotAPlaintext);
    }
    Ok(msg)
}

/// The encoding of `msg` with counter `ctr` if those bytes decode to a
/// non-identity element: a *non-canonical* encoding unless `ctr` is the
/// first that works. For tests of the canonical-encoding rule only.
pub fn encode_with_counter(msg: &[u8], ctr: u8) -> Option<RistrettoPoint> {
    if msg.len() > MAX_PLAINTEXT_LEN || ctr >= 128 {
        return None;
    }
    let mut b = [0u8; 32];
    b[0] = ctr << 1;
    b[1] = msg.len() as u8;
    b[2..2 + msg.len()].copy_from_slice(msg);
    CompressedRistretto(b)
        .decompress()
        .filter(|p| !p.is_identity())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::{RngCore, SeedableRng};

    #[test]
    fn plaintext_roundtrip_and_counter_statistics() {
        let mut rng = ChaCha20Rng::from_seed([7; 32]);
        let mut max_ctr = 0u8;
        for i in 0..2000usize {
            let len = i % (MAX_PLAINTEXT_LEN + 1);
            let mut m = vec![0u8; len];
            rng.fill_bytes(&mut m);
            let p = encode_plaintext(&m).unwrap();
            max_ctr = max_ctr.max(p.compress().to_bytes()[0] >> 1);
            assert_eq!(decode_plaintext(&p).unwrap(), m);
        }
        // Each counter value succeeds with probability about 1/4.
        assert!(max_ctr < 64, "max counter {max_ctr}");
        assert!(encode_plaintext(&[0u8; 30]).is_err());
        assert!(encode_plaintext(b"").is_ok());
    }

    #[test]
    fn only_the_canonical_counter_decodes() {
        let first = encode_plaintext(b"yes").unwrap();
        let ctr0 = first.compress().to_bytes()[0] >> 1;
        let later = (ctr0 + 1..128)
            .find_map(|c| encode_with_counter(b"yes", c))
            .expect("a later counter works");
        assert_ne!(later, first);
        assert_eq!(decode_plaintext(&first).unwrap(), b"yes");
        assert_eq!(decode_plaintext(&later), Err(ZeusError::NotAPlaintext));
    }

    #[test]
    fn hex_is_strict() {
        assert!(Point::from_hex(&"AB".repeat(32)).is_err());
        assert!(Point::from_hex(&"ab".repeat(31)).is_err());
        assert!(Point::from_hex(&"ab".repeat(32)).is_ok());
        // ℓ itself is not canonical
        let l = "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010";
        assert_eq!(HexScalar::from_hex(l), Err(DecodeError::NonCanonicalScalar));
        assert_eq!(Point([0; 32]).decode(), Err(DecodeError::IdentityPoint));
        assert_eq!(
            Point([0xff; 32]).decode(),
            Err(DecodeError::NonCanonicalPoint)
        );
    }
}

//! End-to-end encryption to a recipient's mail key (docs/mail.md, "Envelope").
//!
//! A mail key is a Ristretto255 key pair (the group the Sphinx packets use). Sealing
//! `plaintext` for the public key `P`, for one [`Purpose`]:
//!
//! 1. pick a fresh scalar `e`, `E = e·G`, the shared point `S = e·P` (refused if it is
//!    the identity);
//! 2. `key = HKDF-SHA256(salt = label, ikm = S, info = E ‖ P)`, 32 bytes, where the
//!    label names the purpose (`panoramix/mail/v1/envelope` or `panoramix/mail/v1/part`):
//!    a sealed part can never be opened as an envelope or the other way round;
//! 3. `ChaCha20-Poly1305(key, nonce = 0, aad = label ‖ E ‖ P)`: the key is used once,
//!    so a zero nonce is safe.
//!
//! The sealed form is `E (32) ‖ ciphertext ‖ tag (16)`: 48 bytes of overhead. The
//! sender is anonymous to the recipient (no static key of the sender is involved).
//!
//! An [`Envelope`] is what a whole mail becomes before it is split into parts: the
//! mail's bytes as submitted plus the reply blocks (SURBs) the sender allows the
//! recipient to answer with. Secrets (the scalar, the derived key, decrypted
//! plaintexts) are zeroized when dropped.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::Identity;
use hkdf::Hkdf;
use rand_core::{CryptoRng, RngCore};
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// Bytes a seal adds: the ephemeral point and the AEAD tag.
pub const SEAL_OVERHEAD: usize = 32 + 16;

/// Envelope format version (the first byte of an opened envelope).
pub const ENVELOPE_VERSION: u8 = 1;

/// The most reply blocks one envelope carries.
pub const MAX_SURBS: usize = 32;

/// Errors opening or decoding.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    /// A key is not 64 hex characters of a canonical scalar or point.
    #[error("not a mail key: {0}")]
    BadKey(&'static str),
    /// Too short, a bad ephemeral point, or the tag does not verify: not for this key,
    /// not for this purpose, or altered.
    #[error("the sealed data does not open with this mail key")]
    DoesNotOpen,
    /// Opened, but the envelope inside is not well formed.
    #[error("malformed envelope: {0}")]
    Malformed(&'static str),
}

/// What a seal is for: the label that separates the derived keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// A whole mail ([`Envelope`]).
    Envelope,
    /// One part of a split envelope ([`crate::fragment`]).
    Part,
}

impl Purpose {
    fn label(self) -> &'static [u8] {
        match self {
            Purpose::Envelope => b"panoramix/mail/v1/envelope",
            Purpose::Part => b"panoramix/mail/v1/part",
        }
    }
}

/// A mail key's secret half. Zeroized on drop, never printed.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct MailSecretKey(Scalar);

impl core::fmt::Debug for MailSecretKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "MailSecretKey({})", self.public().to_hex())
    }
}

/// A mail key's public half: a Ristretto255 point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MailPublicKey {
    point: RistrettoPoint,
    bytes: [u8; 32],
}

fn random_scalar(rng: &mut (impl RngCore + CryptoRng)) -> Scalar {
    loop {
        let mut wide = [0u8; 64];
        rng.fill_bytes(&mut wide);
        let s = Scalar::from_bytes_mod_order_wide(&wide);
        wide.zeroize();
        if s != Scalar::ZERO {
            return s;
        }
    }
}

impl MailSecretKey {
    /// A fresh key.
    pub fn generate(rng: &mut (impl RngCore + CryptoRng)) -> Self {
        MailSecretKey(random_scalar(rng))
    }

    /// The public key.
    pub fn public(&self) -> MailPublicKey {
        MailPublicKey::from_point(&self.0 * RISTRETTO_BASEPOINT_TABLE)
    }

    /// 64 hex characters (secret: store it like a key).
    pub fn to_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(hex::encode(self.0.to_bytes()))
    }

    /// Parse [`MailSecretKey::to_hex`]: a canonical non-zero scalar.
    pub fn from_hex(s: &str) -> Result<Self, EnvelopeError> {
        let mut b = Zeroizing::new([0u8; 32]);
        hex::decode_to_slice(s.trim(), &mut *b)
            .map_err(|_| EnvelopeError::BadKey("64 hex characters"))?;
        let s: Option<Scalar> = Scalar::from_canonical_bytes(*b).into();
        match s {
            Some(s) if s != Scalar::ZERO => Ok(MailSecretKey(s)),
            _ => Err(EnvelopeError::BadKey("not a canonical non-zero scalar")),
        }
    }
}

impl MailPublicKey {
    fn from_point(point: RistrettoPoint) -> Self {
        MailPublicKey {
            point,
            bytes: point.compress().to_bytes(),
        }
    }

    /// The 32-byte encoding.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.bytes
    }

    /// 64 hex characters.
    pub fn to_hex(&self) -> String {
        hex::encode(self.bytes)
    }

    /// Parse 32 bytes: a canonical encoding of a point other than the identity.
    pub fn from_bytes(b: &[u8; 32]) -> Result<Self, EnvelopeError> {
        let point = CompressedRistretto(*b)
            .decompress()
            .ok_or(EnvelopeError::BadKey("not a Ristretto255 point"))?;
        if point == RistrettoPoint::identity() {
            return Err(EnvelopeError::BadKey("the identity"));
        }
        Ok(MailPublicKey { point, bytes: *b })
    }

    /// Parse 64 hex characters.
    pub fn from_hex(s: &str) -> Result<Self, EnvelopeError> {
        let mut b = [0u8; 32];
        hex::decode_to_slice(s, &mut b).map_err(|_| EnvelopeError::BadKey("64 hex characters"))?;
        Self::from_bytes(&b)
    }
}

/// The one-time AEAD key for (purpose, shared point, E, P).
fn derive(
    purpose: Purpose,
    shared: &RistrettoPoint,
    e: &[u8; 32],
    p: &[u8; 32],
) -> Zeroizing<[u8; 32]> {
    let mut ikm = Zeroizing::new(shared.compress().to_bytes());
    let hk = Hkdf::<Sha256>::new(Some(purpose.label()), &*ikm);
    ikm.zeroize();
    let mut info = [0u8; 64];
    info[..32].copy_from_slice(e);
    info[32..].copy_from_slice(p);
    let mut key = Zeroizing::new([0u8; 32]);
    // 32 bytes is far below HKDF-SHA256's limit of 255 · 32
    let _ = hk.expand(&info, &mut *key);
    key
}

fn aad(purpose: Purpose, e: &[u8; 32], p: &[u8; 32]) -> Vec<u8> {
    let mut a = purpose.label().to_vec();
    a.extend_from_slice(e);
    a.extend_from_slice(p);
    a
}

/// Seal `plaintext` for `to` (see the module docs); `SEAL_OVERHEAD` bytes longer.
pub fn seal(
    to: &MailPublicKey,
    purpose: Purpose,
    plaintext: &[u8],
    rng: &mut (impl RngCore + CryptoRng),
) -> Vec<u8> {
    seal_with_ephemeral(to, purpose, plaintext, &MailSecretKey(random_scalar(rng)))
}

/// [`seal`] with the ephemeral scalar `e` given: deterministic, for known-answer
/// vectors (tests/vectors/mail_v1.json). Never seal twice with one `ephemeral`.
pub fn seal_with_ephemeral(
    to: &MailPublicKey,
    purpose: Purpose,
    plaintext: &[u8],
    ephemeral: &MailSecretKey,
) -> Vec<u8> {
    let e = &ephemeral.0;
    let e_pub = (e * RISTRETTO_BASEPOINT_TABLE).compress().to_bytes();
    let shared = to.point * e;
    let key = derive(purpose, &shared, &e_pub, &to.bytes);
    let cipher = ChaCha20Poly1305::new(Key::from_slice(&*key));
    let aad = aad(purpose, &e_pub, &to.bytes);
    let mut out = Vec::with_capacity(SEAL_OVERHEAD + plaintext.len());
    out.extend_from_slice(&e_pub);
    // encryption with a 32-byte key and 12-byte nonce does not fail for inputs this
    // crate makes (far below ChaCha20-Poly1305's 256 GiB limit)
    if let Ok(ct) = cipher.encrypt(
        Nonce::from_slice(&[0u8; 12]),
        Payload {
            msg: plaintext,
            aad: &aad,
        },
    ) {
        out.extend_from_slice(&ct);
    }
    out
}

/// Open what [`seal`] made for this key and purpose.
pub fn open(
    key: &MailSecretKey,
    purpose: Purpose,
    sealed: &[u8],
) -> Result<Zeroizing<Vec<u8>>, EnvelopeError> {
    if sealed.len() < SEAL_OVERHEAD {
        return Err(EnvelopeError::DoesNotOpen);
    }
    let mut e_pub = [0u8; 32];
    e_pub.copy_from_slice(&sealed[..32]);
    let e = CompressedRistretto(e_pub)
        .decompress()
        .ok_or(EnvelopeError::DoesNotOpen)?;
    let shared = e * key.0;
    if shared == RistrettoPoint::identity() {
        return Err(EnvelopeError::DoesNotOpen);
    }
    let p = key.public().bytes;
    let k = derive(purpose, &shared, &e_pub, &p);
    let cipher = ChaCha20Poly1305::new(Key::from_slice(&*k));
    let aad = aad(purpose, &e_pub, &p);
    cipher
        .decrypt(
            Nonce::from_slice(&[0u8; 12]),
            Payload {
                msg: &sealed[32..],
                aad: &aad,
            },
        )
        .map(Zeroizing::new)
        .map_err(|_| EnvelopeError::DoesNotOpen)
}

/// A whole mail as the recipient's gateway gets it: the submitted bytes and the reply
/// blocks the sender gave (each a [`panoramix_sphinx::Surb`] wire form, opaque here).
///
/// Encoded (before sealing): version (1) ‖ SURB count (1) ‖ per SURB: length (u16 BE) ‖
/// bytes ‖ then the mail bytes to the end.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct Envelope {
    /// Reply blocks, at most [`MAX_SURBS`].
    pub surbs: Vec<Vec<u8>>,
    /// The mail (RFC 5322 message, CRLF line ends) exactly as submitted.
    pub mail: Vec<u8>,
}

impl core::fmt::Debug for Envelope {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Envelope")
            .field("surbs", &self.surbs.len())
            .field("mail_bytes", &self.mail.len())
            .finish()
    }
}

impl Envelope {
    /// The plaintext encoding. Errors when there are more than [`MAX_SURBS`] blocks or
    /// one is longer than 65535 bytes.
    pub fn encode(&self) -> Result<Zeroizing<Vec<u8>>, EnvelopeError> {
        if self.surbs.len() > MAX_SURBS {
            return Err(EnvelopeError::Malformed("too many reply blocks"));
        }
        let surb_bytes: usize = self.surbs.iter().map(|s| 2 + s.len()).sum();
        let mut out = Zeroizing::new(Vec::with_capacity(2 + surb_bytes + self.mail.len()));
        out.push(ENVELOPE_VERSION);
        out.push(self.surbs.len() as u8);
        for s in &self.surbs {
            let n = u16::try_from(s.len())
                .map_err(|_| EnvelopeError::Malformed("a reply block over 65535 bytes"))?;
            out.extend_from_slice(&n.to_be_bytes());
            out.extend_from_slice(s);
        }
        out.extend_from_slice(&self.mail);
        Ok(out)
    }

    /// Parse [`Envelope::encode`].
    pub fn decode(b: &[u8]) -> Result<Self, EnvelopeError> {
        let (&version, rest) = b.split_first().ok_or(EnvelopeError::Malformed("empty"))?;
        if version != ENVELOPE_VERSION {
            return Err(EnvelopeError::Malformed("unknown version"));
        }
        let (&count, mut rest) = rest
            .split_first()
            .ok_or(EnvelopeError::Malformed("no reply block count"))?;
        if count as usize > MAX_SURBS {
            return Err(EnvelopeError::Malformed("too many reply blocks"));
        }
        let mut surbs = Vec::with_capacity(count as usize);
        for _ in 0..count {
            if rest.len() < 2 {
                return Err(EnvelopeError::Malformed("truncated reply block"));
            }
            let n = u16::from_be_bytes([rest[0], rest[1]]) as usize;
            if rest.len() < 2 + n {
                return Err(EnvelopeError::Malformed("truncated reply block"));
            }
            surbs.push(rest[2..2 + n].to_vec());
            rest = &rest[2 + n..];
        }
        Ok(Envelope {
            surbs,
            mail: rest.to_vec(),
        })
    }

    /// Encode and seal for `to`.
    pub fn seal(
        &self,
        to: &MailPublicKey,
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Result<Vec<u8>, EnvelopeError> {
        Ok(seal(to, Purpose::Envelope, &self.encode()?, rng))
    }

    /// Open and decode.
    pub fn open(key: &MailSecretKey, sealed: &[u8]) -> Result<Self, EnvelopeError> {
        Self::decode(&open(key, Purpose::Envelope, sealed)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::OsRng;

    #[test]
    fn seal_open_round_trip_and_separation() {
        let sk = MailSecretKey::generate(&mut OsRng);
        let pk = sk.public();
        let s = seal(&pk, Purpose::Part, b"hello", &mut OsRng);
        assert_eq!(s.len(), 5 + SEAL_OVERHEAD);
        assert_eq!(&open(&sk, Purpose::Part, &s).unwrap()[..], b"hello");
        // another purpose, another key, a flipped bit: none opens
        assert_eq!(
            open(&sk, Purpose::Envelope, &s).unwrap_err(),
            EnvelopeError::DoesNotOpen
        );
        let other = MailSecretKey::generate(&mut OsRng);
        assert!(open(&other, Purpose::Part, &s).is_err());
        for i in [0, 31, 32, s.len() - 1] {
            let mut t = s.clone();
            t[i] ^= 1;
            assert!(open(&sk, Purpose::Part, &t).is_err(), "bit flipped at {i}");
        }
        assert!(open(&sk, Purpose::Part, &s[..40]).is_err());
        // two seals of the same plaintext differ
        assert_ne!(s, seal(&pk, Purpose::Part, b"hello", &mut OsRng));
    }

    #[test]
    fn keys_round_trip_and_bad_keys() {
        let sk = MailSecretKey::generate(&mut OsRng);
        let back = MailSecretKey::from_hex(&sk.to_hex()).unwrap();
        assert_eq!(back.public(), sk.public());
        assert_eq!(
            MailPublicKey::from_hex(&sk.public().to_hex()).unwrap(),
            sk.public()
        );
        assert!(MailPublicKey::from_hex(&"00".repeat(32)).is_err()); // identity
        assert!(MailPublicKey::from_hex(&"ff".repeat(32)).is_err());
        assert!(MailPublicKey::from_hex("abc").is_err());
        assert!(MailSecretKey::from_hex(&"00".repeat(32)).is_err());
        assert!(MailSecretKey::from_hex(&"ff".repeat(32)).is_err());
    }

    #[test]
    fn envelope_round_trip_and_malformed() {
        let sk = MailSecretKey::generate(&mut OsRng);
        let env = Envelope {
            surbs: vec![vec![1; 263], vec![2; 263]],
            mail: b"Subject: hi\r\n\r\nbody\r\n".to_vec(),
        };
        let sealed = env.seal(&sk.public(), &mut OsRng).unwrap();
        assert_eq!(Envelope::open(&sk, &sealed).unwrap(), env);
        let enc = env.encode().unwrap();
        assert!(Envelope::decode(&enc[..3]).is_err());
        assert!(Envelope::decode(&[]).is_err());
        assert!(Envelope::decode(&[2, 0]).is_err());
        assert!(Envelope::decode(&[1, 200]).is_err());
        let too_many = Envelope {
            surbs: vec![vec![]; MAX_SURBS + 1],
            mail: vec![],
        };
        assert!(too_many.encode().is_err());
        // a part seal is not an envelope
        let part = seal(&sk.public(), Purpose::Part, &enc, &mut OsRng);
        assert!(Envelope::open(&sk, &part).is_err());
    }
}

//! Identities: Ed25519 keys, key ids and domain-separated signatures.
//!
//! * `key_data` is the lowercase hex of the 32-byte Ed25519 public key.
//! * A key id (and the peer id of a peer registered for that key) is
//!   `hex(SHA-256("panoramix/v1/key-id" || 0x00 || public_key_bytes))`, 64 characters.
//! * Every signature is Ed25519 over `label || 0x00 || message`, where `label` names
//!   what is signed (see [`Domain`]), so a signature made for one purpose can never
//!   be replayed as another. Signatures are sent as 128 lowercase hex characters and
//!   verified with `verify_strict` (no small-order keys, canonical `s`).

use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use rand_core::{CryptoRng, RngCore};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// What a signature is for. The label is prefixed to the signed bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Domain {
    /// An API request envelope: canonical `{data, info, by_consensus?}`.
    Envelope,
    /// A contribution text in a negotiation, legacy: the text alone. Still verified
    /// for contributions recorded before contributions were bound to their
    /// negotiation; the controller accepts no new contribution signed this way.
    Contribution,
    /// A contribution bound to its negotiation: canonical
    /// `{"negotiation_id": id, "text": text}` (see
    /// [`crate::negotiation::contribution_message`]).
    ContributionIn,
    /// The controller's signature over an audit log head.
    AuditHead,
}

impl Domain {
    /// The label bytes.
    pub fn label(self) -> &'static [u8] {
        match self {
            Domain::Envelope => b"panoramix/v1/envelope",
            Domain::Contribution => b"panoramix/v1/contribution",
            Domain::ContributionIn => b"panoramix/v1/contribution-in",
            Domain::AuditHead => b"panoramix/v1/audit-head",
        }
    }
}

const KEY_ID_LABEL: &[u8] = b"panoramix/v1/key-id";
const JOINT_LABEL: &[u8] = b"panoramix/v1/joint-peer";

/// Errors about keys and signatures. Deliberately coarse: a caller learns that a
/// signature did not verify, not why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    /// `key_data` is not 64 hex characters of a valid Ed25519 public key.
    #[error("key_data is not a valid Ed25519 public key")]
    BadKey,
    /// The signature is malformed or does not verify.
    #[error("bad signature")]
    BadSignature,
}

/// A peer's signing key. The secret is zeroized on drop and never printed.
pub struct Keypair {
    sk: SigningKey,
}

impl std::fmt::Debug for Keypair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keypair")
            .field("key_id", &self.key_id())
            .finish_non_exhaustive()
    }
}

impl Keypair {
    /// A fresh key pair.
    pub fn generate<R: RngCore + CryptoRng>(rng: &mut R) -> Keypair {
        let mut seed = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(seed.as_mut());
        Keypair::from_secret(&seed)
    }

    /// The key pair for a 32-byte secret seed.
    pub fn from_secret(seed: &[u8; 32]) -> Keypair {
        Keypair {
            sk: SigningKey::from_bytes(seed),
        }
    }

    /// Parse a secret seed from 64 hex characters.
    pub fn from_secret_hex(s: &str) -> Result<Keypair, IdentityError> {
        let bytes = Zeroizing::new(hex::decode(s.trim()).map_err(|_| IdentityError::BadKey)?);
        let seed: &[u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| IdentityError::BadKey)?;
        Ok(Keypair::from_secret(seed))
    }

    /// The secret seed as hex, for storing it (encrypt it at rest).
    pub fn secret_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(hex::encode(self.sk.to_bytes()))
    }

    /// The public key.
    pub fn public(&self) -> PublicKey {
        PublicKey(self.sk.verifying_key())
    }

    /// `key_data`: hex of the public key.
    pub fn key_data(&self) -> String {
        self.public().key_data()
    }

    /// The key id.
    pub fn key_id(&self) -> String {
        self.public().key_id()
    }

    /// Sign `msg` for `domain`; returns 128 hex characters.
    pub fn sign(&self, domain: Domain, msg: &[u8]) -> String {
        hex::encode(self.sk.sign(&domain_message(domain, msg)).to_bytes())
    }
}

fn domain_message(domain: Domain, msg: &[u8]) -> Vec<u8> {
    let label = domain.label();
    let mut m = Vec::with_capacity(label.len() + 1 + msg.len());
    m.extend_from_slice(label);
    m.push(0);
    m.extend_from_slice(msg);
    m
}

/// An Ed25519 public key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

impl PublicKey {
    /// Parse `key_data` (64 lowercase hex characters).
    pub fn from_key_data(key_data: &str) -> Result<PublicKey, IdentityError> {
        if !is_lower_hex(key_data, 64) {
            return Err(IdentityError::BadKey);
        }
        let mut b = [0u8; 32];
        hex::decode_to_slice(key_data, &mut b).map_err(|_| IdentityError::BadKey)?;
        let vk = VerifyingKey::from_bytes(&b).map_err(|_| IdentityError::BadKey)?;
        if vk.is_weak() {
            return Err(IdentityError::BadKey);
        }
        Ok(PublicKey(vk))
    }

    /// The raw 32 bytes.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// `key_data`: hex of the public key.
    pub fn key_data(&self) -> String {
        hex::encode(self.0.to_bytes())
    }

    /// The key id derived from this key.
    pub fn key_id(&self) -> String {
        key_id_of_bytes(&self.0.to_bytes())
    }

    /// Verify a hex signature made by [`Keypair::sign`] for `domain`.
    /// Only the canonical spelling, 128 lower-case hex characters, is accepted.
    pub fn verify(&self, domain: Domain, msg: &[u8], sig_hex: &str) -> Result<(), IdentityError> {
        if !is_lower_hex(sig_hex, 128) {
            return Err(IdentityError::BadSignature);
        }
        let mut b = [0u8; 64];
        hex::decode_to_slice(sig_hex, &mut b).map_err(|_| IdentityError::BadSignature)?;
        let sig = ed25519_dalek::Signature::from_bytes(&b);
        self.0
            .verify_strict(&domain_message(domain, msg), &sig)
            .map_err(|_| IdentityError::BadSignature)
    }
}

/// Whether `s` is exactly `len` lower-case hex characters (`[0-9a-f]`): the one
/// canonical spelling of keys, key ids and signatures.
pub fn is_lower_hex(s: &str, len: usize) -> bool {
    s.len() == len
        && s.bytes()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
}

fn key_id_of_bytes(pk: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(KEY_ID_LABEL);
    h.update([0u8]);
    h.update(pk);
    hex::encode(h.finalize())
}

/// The key id of `key_data` (validating it).
pub fn key_id(key_data: &str) -> Result<String, IdentityError> {
    Ok(PublicKey::from_key_data(key_data)?.key_id())
}

/// The `key_data` of a joint peer: nobody holds a secret for it; it names the
/// ordered list of owners and the joint peer's name, and the controller recomputes
/// it when the joint peer is created:
/// `hex(SHA-256("panoramix/v1/joint-peer" || 0x00 || canonical({"name", "owners"})))`.
/// The joint peer's id is the key id computed over these 32 bytes as for any key.
pub fn joint_key_data(name: &str, owners: &[String]) -> String {
    use crate::canonical::Value;
    let v = Value::dict([
        ("name", Value::str(name)),
        (
            "owners",
            Value::List(owners.iter().map(|o| Value::str(o.as_str())).collect()),
        ),
    ]);
    let mut h = Sha256::new();
    h.update(JOINT_LABEL);
    h.update([0u8]);
    h.update(v.encode());
    hex::encode(h.finalize())
}

/// The peer id of a joint peer whose `key_data` is [`joint_key_data`].
pub fn joint_peer_id(joint_key_data: &str) -> Option<String> {
    let mut b = [0u8; 32];
    hex::decode_to_slice(joint_key_data, &mut b).ok()?;
    Some(key_id_of_bytes(&b))
}

/// SHA-256, lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_verify_and_domain_separation() {
        let kp = Keypair::from_secret(&[7u8; 32]);
        let pk = PublicKey::from_key_data(&kp.key_data()).unwrap();
        let sig = kp.sign(Domain::Envelope, b"hello");
        assert!(pk.verify(Domain::Envelope, b"hello", &sig).is_ok());
        assert!(pk.verify(Domain::Contribution, b"hello", &sig).is_err());
        assert!(pk.verify(Domain::Envelope, b"hellO", &sig).is_err());
        assert_eq!(kp.key_id().len(), 64);
        assert_eq!(key_id(&kp.key_data()).unwrap(), kp.key_id());
        assert!(PublicKey::from_key_data(&kp.key_data().to_uppercase()).is_err());
        assert!(PublicKey::from_key_data("00").is_err());
        // only the lower-case spelling of a signature verifies
        assert!(
            pk.verify(Domain::Envelope, b"hello", &sig.to_uppercase())
                .is_err()
        );
        assert!(
            pk.verify(Domain::ContributionIn, b"hello", &sig).is_err(),
            "the bound contribution label is its own domain"
        );
    }

    #[test]
    fn key_id_known_answer() {
        // RFC 8032 test 1 secret key
        let sk = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
        let kp = Keypair::from_secret_hex(sk).unwrap();
        assert_eq!(
            kp.key_data(),
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
        );
        let mut m = b"panoramix/v1/key-id\0".to_vec();
        m.extend_from_slice(&kp.public().to_bytes());
        assert_eq!(kp.key_id(), sha256_hex(&m));
    }
}

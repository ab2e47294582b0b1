//! Mix keys: the Ristretto255 key pair a mix node processes packets with, its 32-byte
//! public encoding, and the 16-byte node id that routing information names it by.
//!
//! A mix key is separate from the Ed25519 key the controller identifies a peer by: a peer
//! publishes its [`MixPublicKey`] (hex) in its crypto params or endpoint params, and can
//! rotate it per cycle (a new key also starts a new replay cache).

use core::fmt;

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, Zeroizing};

use crate::error::{Error, Malformed};
use crate::params::{ADDRESS_LEN, GROUP_ELEMENT_LEN, labels};

/// Decode a canonical, non-identity Ristretto255 point.
pub(crate) fn decode_point(bytes: &[u8; GROUP_ELEMENT_LEN]) -> Result<RistrettoPoint, Error> {
    if bytes.iter().all(|b| *b == 0) {
        return Err(Malformed::InvalidGroupElement.into());
    }
    CompressedRistretto(*bytes)
        .decompress()
        .ok_or(Error::Malformed(Malformed::InvalidGroupElement))
}

/// A random non-zero scalar: 64 random bytes reduced modulo the group order (the bias is
/// below 2^-250). This is what curve25519-dalek's `Scalar::random` does; it is spelled out
/// here so that the crate does not depend on the `rand_core` version of either
/// curve25519-dalek it builds with, and the known-answer vectors stay the same.
pub(crate) fn random_nonzero_scalar(rng: &mut (impl RngCore + CryptoRng)) -> Scalar {
    let mut wide = Zeroizing::new([0u8; 64]);
    loop {
        rng.fill_bytes(wide.as_mut());
        let s = Scalar::from_bytes_mod_order_wide(&wide);
        if s != Scalar::ZERO {
            return s;
        }
    }
}

/// The 16-byte id a mix is named by inside routing information:
/// the first κ bytes of SHA-256(`"panoramix/sphinx/v1/node-id"` ‖ public key).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MixNodeId(pub [u8; ADDRESS_LEN]);

impl MixNodeId {
    /// Lower-case hex (32 characters).
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parse 32 hex characters.
    pub fn from_hex(s: &str) -> Result<Self, Error> {
        let mut out = [0u8; ADDRESS_LEN];
        hex::decode_to_slice(s, &mut out).map_err(|_| Malformed::InvalidEncoding)?;
        Ok(MixNodeId(out))
    }
}

impl fmt::Debug for MixNodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MixNodeId({})", self.to_hex())
    }
}

impl fmt::Display for MixNodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl Serialize for MixNodeId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for MixNodeId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        MixNodeId::from_hex(&s).map_err(serde::de::Error::custom)
    }
}

/// A mix node's public key: a Ristretto255 point, 32 bytes on the wire.
#[derive(Clone, Copy)]
pub struct MixPublicKey {
    point: RistrettoPoint,
    bytes: [u8; GROUP_ELEMENT_LEN],
}

impl MixPublicKey {
    /// Parse a canonical, non-identity encoding.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let arr: [u8; GROUP_ELEMENT_LEN] =
            bytes.try_into().map_err(|_| Malformed::WrongLength {
                expected: GROUP_ELEMENT_LEN,
                got: bytes.len(),
            })?;
        let point = decode_point(&arr)?;
        Ok(MixPublicKey { point, bytes: arr })
    }

    /// The 32-byte encoding.
    pub fn to_bytes(&self) -> [u8; GROUP_ELEMENT_LEN] {
        self.bytes
    }

    /// Lower-case hex of the encoding (64 characters).
    pub fn to_hex(&self) -> String {
        hex::encode(self.bytes)
    }

    /// Parse 64 hex characters.
    pub fn from_hex(s: &str) -> Result<Self, Error> {
        let mut out = [0u8; GROUP_ELEMENT_LEN];
        hex::decode_to_slice(s, &mut out).map_err(|_| Malformed::InvalidEncoding)?;
        MixPublicKey::from_bytes(&out)
    }

    /// The node id routing information names this mix by.
    pub fn node_id(&self) -> MixNodeId {
        let h = Sha256::new()
            .chain_update(labels::NODE_ID)
            .chain_update(self.bytes)
            .finalize();
        let mut id = [0u8; ADDRESS_LEN];
        id.copy_from_slice(&h[..ADDRESS_LEN]);
        MixNodeId(id)
    }

    pub(crate) fn point(&self) -> &RistrettoPoint {
        &self.point
    }
}

impl PartialEq for MixPublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}
impl Eq for MixPublicKey {}

impl core::hash::Hash for MixPublicKey {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.bytes.hash(state);
    }
}

impl PartialOrd for MixPublicKey {
    fn partial_cmp(&self, other: &Self) -> Option<core::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for MixPublicKey {
    fn cmp(&self, other: &Self) -> core::cmp::Ordering {
        self.bytes.cmp(&other.bytes)
    }
}

impl fmt::Debug for MixPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MixPublicKey({})", self.to_hex())
    }
}

impl fmt::Display for MixPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl Serialize for MixPublicKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for MixPublicKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        MixPublicKey::from_hex(&s).map_err(serde::de::Error::custom)
    }
}

/// A mix node's key pair. The secret scalar is zeroized on drop and hidden from `Debug`.
pub struct MixKeyPair {
    secret: Scalar,
    public: MixPublicKey,
}

impl MixKeyPair {
    /// A fresh key pair.
    pub fn generate(rng: &mut (impl RngCore + CryptoRng)) -> Self {
        let secret = random_nonzero_scalar(rng);
        Self::from_scalar(secret)
    }

    fn from_scalar(secret: Scalar) -> Self {
        let point = &secret * RISTRETTO_BASEPOINT_TABLE;
        let bytes = point.compress().to_bytes();
        MixKeyPair {
            secret,
            public: MixPublicKey { point, bytes },
        }
    }

    /// Restore a key pair from its 32-byte secret (a canonical, non-zero scalar).
    pub fn from_secret_bytes(bytes: &[u8; 32]) -> Result<Self, Error> {
        let s: Option<Scalar> = Scalar::from_canonical_bytes(*bytes).into();
        match s {
            Some(s) if s != Scalar::ZERO => Ok(Self::from_scalar(s)),
            _ => Err(Malformed::InvalidSecretKey.into()),
        }
    }

    /// The 32-byte secret, for storage. Handle with care.
    pub fn secret_bytes(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.secret.to_bytes())
    }

    /// The secret as hex, for storage in a config file. Handle with care.
    pub fn secret_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(hex::encode(self.secret.to_bytes()))
    }

    /// Restore a key pair from [`MixKeyPair::secret_hex`].
    pub fn from_secret_hex(s: &str) -> Result<Self, Error> {
        let mut out = Zeroizing::new([0u8; 32]);
        hex::decode_to_slice(s, out.as_mut()).map_err(|_| Malformed::InvalidEncoding)?;
        MixKeyPair::from_secret_bytes(&out)
    }

    /// The public key.
    pub fn public(&self) -> &MixPublicKey {
        &self.public
    }

    /// The node id of the public key.
    pub fn node_id(&self) -> MixNodeId {
        self.public.node_id()
    }

    pub(crate) fn secret(&self) -> &Scalar {
        &self.secret
    }
}

impl Clone for MixKeyPair {
    fn clone(&self) -> Self {
        MixKeyPair {
            secret: self.secret,
            public: self.public,
        }
    }
}

impl Drop for MixKeyPair {
    fn drop(&mut self) {
        self.secret.zeroize();
    }
}

impl fmt::Debug for MixKeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MixKeyPair")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    #[test]
    fn key_encodings_round_trip() {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let k = MixKeyPair::generate(&mut rng);
        let pk = *k.public();
        assert_eq!(MixPublicKey::from_hex(&pk.to_hex()).unwrap(), pk);
        assert_eq!(MixPublicKey::from_bytes(&pk.to_bytes()).unwrap(), pk);
        let k2 = MixKeyPair::from_secret_hex(&k.secret_hex()).unwrap();
        assert_eq!(k2.public(), k.public());
        assert_eq!(
            MixNodeId::from_hex(&pk.node_id().to_hex()).unwrap(),
            pk.node_id()
        );
        let dbg = format!("{k:?}");
        assert!(!dbg.contains(k.secret_hex().as_str()));
        let j = serde_json::to_string(&pk).unwrap();
        assert_eq!(serde_json::from_str::<MixPublicKey>(&j).unwrap(), pk);
    }

    #[test]
    fn rejects_bad_keys() {
        assert!(MixPublicKey::from_bytes(&[0u8; 32]).is_err());
        assert!(MixPublicKey::from_bytes(&[0xffu8; 32]).is_err());
        assert!(MixPublicKey::from_bytes(&[1u8; 31]).is_err());
        assert!(MixPublicKey::from_hex("zz").is_err());
        assert!(MixKeyPair::from_secret_bytes(&[0u8; 32]).is_err());
        assert!(MixKeyPair::from_secret_bytes(&[0xffu8; 32]).is_err());
    }
}

//! The symmetric primitives and the per-hop key schedule.
//!
//! * KDF: one HKDF-SHA256 per hop, from the shared secret `s` to all per-hop keys
//!   (ρ stream key, μ MAC key, π payload keys, blinding factor b, replay tag τ).
//! * Header stream cipher: ChaCha20 (nonce 0; each key is used for one packet and hop).
//! * Header MAC: HMAC-SHA256 truncated to κ = 16 bytes, over version ‖ β.
//! * Payload: LIONESS (Anderson and Biham) built from ChaCha20 and HMAC-SHA256, with four
//!   independent 32-byte keys; the left half is 32 bytes (one ChaCha20 key).

use chacha20::ChaCha20;
use chacha20::cipher::{KeyIvInit, StreamCipher};
use curve25519_dalek::scalar::Scalar;
use hkdf::Hkdf;
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::params::{MAC_LEN, REPLAY_TAG_LEN, labels};
use crate::replay::ReplayTag;

type HmacSha256 = Hmac<Sha256>;

/// Length of a LIONESS key: four 32-byte round keys.
pub(crate) const LIONESS_KEY_LEN: usize = 4 * 32;
/// Length of the HKDF output for one hop: ρ 32, μ 32, π 128, b 64, τ 16.
const HOP_OKM_LEN: usize = 32 + 32 + LIONESS_KEY_LEN + 64 + REPLAY_TAG_LEN;
const _: () = assert!(HOP_OKM_LEN <= 255 * 32, "HKDF-SHA256 output limit");
const _: () = assert!(LIONESS_KEY_LEN <= 255 * 32, "HKDF-SHA256 output limit");

/// HMAC-SHA256 keyed with a 32-byte key. HMAC pads short keys with zeros to the block size,
/// so passing the padded block is the same function, and infallible.
fn hmac_sha256(key: &[u8; 32]) -> HmacSha256 {
    let mut block = [0u8; 64];
    block[..32].copy_from_slice(key);
    let mac = <HmacSha256 as KeyInit>::new(&block.into());
    block.zeroize();
    mac
}

/// XOR the ChaCha20 keystream for `key` (nonce 0) into `data`.
pub(crate) fn stream_xor(key: &[u8; 32], data: &mut [u8]) {
    let mut c = ChaCha20::new(key.into(), &[0u8; 12].into());
    c.apply_keystream(data);
}

/// All keys one hop derives from its shared secret.
#[derive(Zeroize, ZeroizeOnDrop)]
pub(crate) struct HopKeys {
    /// ρ: header stream key.
    pub rho: [u8; 32],
    /// μ: header MAC key.
    pub mu: [u8; 32],
    /// π: LIONESS key for the payload.
    pub pi: LionessKey,
    /// b: blinding factor.
    pub blinding: Scalar,
    /// τ: replay tag.
    pub tag: [u8; REPLAY_TAG_LEN],
}

impl HopKeys {
    /// Derive the hop keys from the encoded shared secret `s` with one HKDF-SHA256.
    pub fn derive(shared_secret: &[u8; 32]) -> HopKeys {
        let hk = Hkdf::<Sha256>::new(Some(labels::HOP_KDF_SALT), shared_secret);
        let mut okm = [0u8; HOP_OKM_LEN];
        hk.expand(labels::HOP_KDF_INFO, &mut okm)
            .expect("HOP_OKM_LEN is within the HKDF limit (checked at compile time)");
        let mut keys = HopKeys {
            rho: [0; 32],
            mu: [0; 32],
            pi: LionessKey([[0; 32]; 4]),
            blinding: Scalar::ZERO,
            tag: [0; REPLAY_TAG_LEN],
        };
        let (rho, rest) = okm.split_at(32);
        let (mu, rest) = rest.split_at(32);
        let (pi, rest) = rest.split_at(LIONESS_KEY_LEN);
        let (b, tag) = rest.split_at(64);
        keys.rho.copy_from_slice(rho);
        keys.mu.copy_from_slice(mu);
        for (dst, src) in keys.pi.0.iter_mut().zip(pi.chunks_exact(32)) {
            dst.copy_from_slice(src);
        }
        let mut wide = [0u8; 64];
        wide.copy_from_slice(b);
        keys.blinding = Scalar::from_bytes_mod_order_wide(&wide);
        wide.zeroize();
        keys.tag.copy_from_slice(tag);
        okm.zeroize();
        keys
    }

    /// The replay tag τ.
    pub fn replay_tag(&self) -> ReplayTag {
        ReplayTag(self.tag)
    }

    /// γ = HMAC-SHA256(μ, version ‖ β) truncated to κ bytes.
    pub fn mac(&self, version: u8, beta: &[u8]) -> [u8; MAC_LEN] {
        let mut m = hmac_sha256(&self.mu);
        m.update(&[version]);
        m.update(beta);
        let full = m.finalize().into_bytes();
        let mut out = [0u8; MAC_LEN];
        out.copy_from_slice(&full[..MAC_LEN]);
        out
    }

    /// Constant-time check of γ.
    pub fn verify_mac(&self, version: u8, beta: &[u8], gamma: &[u8]) -> bool {
        let expected = self.mac(version, beta);
        bool::from(expected.ct_eq(gamma))
    }
}

/// A LIONESS key: four independent 32-byte round keys K1..K4.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub(crate) struct LionessKey(pub [[u8; 32]; 4]);

impl LionessKey {
    /// Expand a 32-byte seed into a LIONESS key (used for the SURB reply key).
    pub fn from_seed(seed: &[u8; 32]) -> LionessKey {
        let hk = Hkdf::<Sha256>::new(Some(labels::SURB_REPLY_SALT), seed);
        let mut okm = [0u8; LIONESS_KEY_LEN];
        hk.expand(labels::SURB_REPLY_KEY, &mut okm)
            .expect("LIONESS_KEY_LEN is within the HKDF limit (checked at compile time)");
        let k = LionessKey::from_bytes(&okm);
        okm.zeroize();
        k
    }

    /// Split 128 bytes into the four round keys.
    pub fn from_bytes(bytes: &[u8; LIONESS_KEY_LEN]) -> LionessKey {
        let mut k = LionessKey([[0u8; 32]; 4]);
        for (dst, src) in k.0.iter_mut().zip(bytes.chunks_exact(32)) {
            dst.copy_from_slice(src);
        }
        k
    }

    /// The 128 key bytes (K1 ‖ K2 ‖ K3 ‖ K4).
    pub fn to_bytes(&self) -> [u8; LIONESS_KEY_LEN] {
        let mut out = [0u8; LIONESS_KEY_LEN];
        for (dst, src) in out.chunks_exact_mut(32).zip(self.0.iter()) {
            dst.copy_from_slice(src);
        }
        out
    }

    fn round_key(&self, i: usize) -> &[u8; 32] {
        &self.0[i & 3]
    }

    fn stream_round(&self, i: usize, left: &[u8], right: &mut [u8]) {
        let mut k = [0u8; 32];
        for ((o, a), b) in k.iter_mut().zip(left).zip(self.round_key(i)) {
            *o = a ^ b;
        }
        stream_xor(&k, right);
        k.zeroize();
    }

    fn hash_round(&self, i: usize, left: &mut [u8], right: &[u8]) {
        let mut m = hmac_sha256(self.round_key(i));
        m.update(right);
        let h = m.finalize().into_bytes();
        for (l, x) in left.iter_mut().zip(h.iter()) {
            *l ^= x;
        }
    }

    /// Encrypt `block` in place. `block` must be longer than 32 bytes (the parameters
    /// guarantee it).
    pub fn encrypt(&self, block: &mut [u8]) {
        if block.len() <= 32 {
            return;
        }
        let (l, r) = block.split_at_mut(32);
        self.stream_round(0, l, r);
        self.hash_round(1, l, r);
        self.stream_round(2, l, r);
        self.hash_round(3, l, r);
    }

    /// Decrypt `block` in place (inverse of [`LionessKey::encrypt`]).
    pub fn decrypt(&self, block: &mut [u8]) {
        if block.len() <= 32 {
            return;
        }
        let (l, r) = block.split_at_mut(32);
        self.hash_round(3, l, r);
        self.stream_round(2, l, r);
        self.hash_round(1, l, r);
        self.stream_round(0, l, r);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lioness_round_trips_and_diffuses() {
        let key = LionessKey::from_seed(&[7u8; 32]);
        let plain: Vec<u8> = (0..1043u32).map(|i| i as u8).collect();
        let mut block = plain.clone();
        key.encrypt(&mut block);
        assert_ne!(block, plain);
        let mut flipped = block.clone();
        key.decrypt(&mut block);
        assert_eq!(block, plain);
        // flipping one ciphertext bit changes (about) every plaintext byte
        flipped[500] ^= 1;
        key.decrypt(&mut flipped);
        let same = flipped.iter().zip(&plain).filter(|(a, b)| a == b).count();
        assert!(same < 40, "{same} bytes unchanged");
    }

    #[test]
    fn hop_keys_are_deterministic_and_distinct() {
        let a = HopKeys::derive(&[1u8; 32]);
        let b = HopKeys::derive(&[1u8; 32]);
        let c = HopKeys::derive(&[2u8; 32]);
        assert_eq!(a.rho, b.rho);
        assert_ne!(a.rho, c.rho);
        assert_ne!(a.rho, a.mu);
        assert_ne!(a.blinding, Scalar::ZERO);
        assert!(a.verify_mac(1, b"beta", &a.mac(1, b"beta")));
        assert!(!a.verify_mac(2, b"beta", &a.mac(1, b"beta")));
    }
}

//! Labelled Fiat–Shamir transcript over SHA-512.
//!
//! Every item is absorbed as a *frame*:
//! `LE64(len(label)) || label || LE64(len(data)) || data`.
//! A transcript starts with the frame (`"panoramix/zeus/v1/transcript"`, protocol).
//! A challenge with label `L` is `SHA-512(state || frame("challenge", L))`
//! (the state itself is not finalised); the 64 output bytes are then absorbed
//! as the frame (`L`, output), so later challenges depend on earlier ones.

use sha2::{Digest, Sha512};

use crate::encoding::{Ciphertext, Point};
use curve25519_dalek::scalar::Scalar;

/// Prefix of every domain-separation string of this crate.
pub const DOMAIN_PREFIX: &str = "panoramix/zeus/v1";

/// Name of the group bound into every transcript.
pub const GROUP_NAME: &str = "ristretto255";

#[cfg(test)]
thread_local! {
    /// Test hook: a label that provers on this thread leave out of their
    /// transcripts, to check that verifiers reject such proofs.
    pub(crate) static OMIT: std::cell::Cell<&'static str> = const { std::cell::Cell::new("") };
}

#[inline]
fn omitted(label: &[u8]) -> bool {
    #[cfg(test)]
    {
        OMIT.with(|o| o.get().as_bytes() == label)
    }
    #[cfg(not(test))]
    {
        let _ = label;
        false
    }
}

fn frame_header(h: &mut Sha512, label: &[u8], data_len: usize) {
    h.update((label.len() as u64).to_le_bytes());
    h.update(label);
    h.update((data_len as u64).to_le_bytes());
}

/// A labelled, length-prefixed Fiat–Shamir transcript.
#[derive(Clone)]
pub(crate) struct Transcript {
    h: Sha512,
}

impl Transcript {
    /// Start a transcript for `protocol` (a full versioned domain string).
    pub(crate) fn new(protocol: &str) -> Self {
        let mut t = Transcript { h: Sha512::new() };
        t.append("panoramix/zeus/v1/transcript", protocol.as_bytes());
        t
    }

    /// Absorb one labelled item.
    pub(crate) fn append(&mut self, label: &str, data: &[u8]) {
        if omitted(label.as_bytes()) {
            return;
        }
        frame_header(&mut self.h, label.as_bytes(), data.len());
        self.h.update(data);
    }

    pub(crate) fn append_u64(&mut self, label: &str, v: u64) {
        self.append(label, &v.to_le_bytes());
    }

    pub(crate) fn append_point(&mut self, label: &str, p: &Point) {
        self.append(label, &p.0);
    }

    pub(crate) fn append_ciphertext(&mut self, label: &str, c: &Ciphertext) {
        if omitted(label.as_bytes()) {
            return;
        }
        frame_header(&mut self.h, label.as_bytes(), 64);
        self.h.update(c.c1.0);
        self.h.update(c.c2.0);
    }

    /// Absorb a list of points as one frame whose data is their concatenation.
    pub(crate) fn append_points(&mut self, label: &str, ps: &[Point]) {
        if omitted(label.as_bytes()) {
            return;
        }
        frame_header(&mut self.h, label.as_bytes(), ps.len() * 32);
        for p in ps {
            self.h.update(p.0);
        }
    }

    /// Absorb a list of ciphertexts as one frame (each `c1 || c2`).
    pub(crate) fn append_ciphertexts(&mut self, label: &str, cs: &[Ciphertext]) {
        if omitted(label.as_bytes()) {
            return;
        }
        frame_header(&mut self.h, label.as_bytes(), cs.len() * 64);
        for c in cs {
            self.h.update(c.c1.0);
            self.h.update(c.c2.0);
        }
    }

    /// Derive 64 challenge bytes and absorb them.
    pub(crate) fn challenge_bytes(&mut self, label: &str) -> [u8; 64] {
        let mut h = self.h.clone();
        frame_header(&mut h, b"challenge", label.len());
        h.update(label.as_bytes());
        let out: [u8; 64] = h.finalize().into();
        self.append(label, &out);
        out
    }

    /// Derive a challenge scalar (64 bytes reduced mod ℓ).
    pub(crate) fn challenge_scalar(&mut self, label: &str) -> Scalar {
        Scalar::from_bytes_mod_order_wide(&self.challenge_bytes(label))
    }
}

/// `SHA-512(frame(domain, seed) || LE64(index))`, reduced to a scalar.
/// Used to expand one transcript challenge into many.
pub(crate) fn expand_scalar(domain: &str, seed: &[u8], index: u64) -> Scalar {
    Scalar::from_bytes_mod_order_wide(&expand_bytes(domain, seed, index))
}

/// `SHA-512(frame(domain, seed) || LE64(index))`.
pub(crate) fn expand_bytes(domain: &str, seed: &[u8], index: u64) -> [u8; 64] {
    let mut h = Sha512::new();
    frame_header(&mut h, domain.as_bytes(), seed.len());
    h.update(seed);
    h.update(index.to_le_bytes());
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_lengths_are_bound() {
        let mut a = Transcript::new("p");
        a.append("ab", b"c");
        let mut b = Transcript::new("p");
        b.append("a", b"bc");
        assert_ne!(a.challenge_bytes("x"), b.challenge_bytes("x"));
        let mut c = Transcript::new("p");
        let mut d = Transcript::new("q");
        assert_ne!(c.challenge_bytes("x"), d.challenge_bytes("x"));
    }

    #[test]
    fn challenges_chain() {
        let mut a = Transcript::new("p");
        let x1 = a.challenge_bytes("x");
        let x2 = a.challenge_bytes("x");
        assert_ne!(x1, x2);
    }
}

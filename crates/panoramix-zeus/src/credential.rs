//! Voter credentials (as in Belenios): a signing key per voter whose public
//! part is on the election's published voter list. A ballot names its
//! credential, binds it into its validity proof and is signed by it, so a
//! ballot belongs to its voter: it can be neither moved to another credential
//! nor cast under someone else's.

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::scalar::Scalar;
use rand_core::{CryptoRng, RngCore};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::encoding::Point;
use crate::error::DecodeError;

/// A voter's secret credential `v` (public credential `V = v·G`). Zeroized
/// on drop; `Debug` hides it.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct VoterSecret {
    v: Scalar,
}

impl std::fmt::Debug for VoterSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VoterSecret")
            .field("credential", &self.public())
            .finish_non_exhaustive()
    }
}

impl VoterSecret {
    /// Draw a fresh non-zero credential.
    pub fn generate<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        VoterSecret {
            v: crate::encoding::random_nonzero_scalar(rng),
        }
    }

    /// The public credential `v·G`, as it appears on the voter list.
    pub fn public(&self) -> Point {
        Point::from_point(&(&self.v * RISTRETTO_BASEPOINT_TABLE))
    }

    /// Export as 64 lowercase hex characters (for the voter's own keeping).
    pub fn to_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(hex::encode(self.v.as_bytes()))
    }

    /// Import a credential exported by [`VoterSecret::to_hex`].
    pub fn from_hex(s: &str) -> Result<Self, DecodeError> {
        Ok(VoterSecret {
            v: crate::encoding::secret_scalar_from_hex(s)?,
        })
    }

    pub(crate) fn scalar(&self) -> &Scalar {
        &self.v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    #[test]
    fn hex_roundtrip_and_debug_hides_secret() {
        let v = VoterSecret::generate(&mut ChaCha20Rng::from_seed([1; 32]));
        let back = VoterSecret::from_hex(&v.to_hex()).unwrap();
        assert_eq!(back.public(), v.public());
        assert!(!format!("{v:?}").contains(v.to_hex().as_str()));
        assert!(VoterSecret::from_hex(&"00".repeat(32)).is_err());
    }
}

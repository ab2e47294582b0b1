//! Batched peeling for the mix side.
//!
//! Processing one packet encodes two points (the shared secret s and the next α'), and each
//! encoding costs an inverse square root. Over a batch, this module computes ½x·α and ½b·α
//! instead and encodes the doubles with `RistrettoPoint::double_and_compress_batch`, which
//! needs a single field inversion for the whole chunk. The outputs are bit-identical to
//! [`crate::peel_layer`]'s. Chunks run on every core with the `parallel` feature.

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;

use crate::crypto::HopKeys;
use crate::error::Error;
use crate::keys::{MixKeyPair, MixNodeId, decode_point};
use crate::packet::{ALPHA_AT, GAMMA_AT, check_layout};
use crate::params::{FLAG_FORWARD, GROUP_ELEMENT_LEN, SphinxParams};
use crate::process::{ProcessedPacket, Routing, assemble_forward, exit_result, verify_and_open};
use crate::replay::ReplayTag;

/// Packets per chunk: large enough to amortise the inversion, small enough to spread a
/// batch over the cores.
const CHUNK: usize = 32;

/// ½ mod ℓ, that is (ℓ + 1) / 2, little-endian.
const HALF_BYTES: [u8; 32] = [
    0xf7, 0xe9, 0x7a, 0x2e, 0x8d, 0x31, 0x09, 0x2c, 0x6b, 0xce, 0x7b, 0x51, 0xef, 0x7c, 0x6f, 0x0a,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08,
];

fn half() -> Scalar {
    Scalar::from_bytes_mod_order(HALF_BYTES)
}

type Peeled = Result<(ReplayTag, ProcessedPacket), Error>;
type Decode<'a, S> = dyn Fn(&S) -> Result<Vec<u8>, Error> + Sync + 'a;
type Seen<'a> = dyn Fn(&ReplayTag) -> bool + Sync + 'a;

/// Decode and peel every input, in input order, and apply `finish` to each result (in the
/// same parallel pass).
pub(crate) fn peel_texts<S: Sync, T: Send>(
    key: &MixKeyPair,
    params: &SphinxParams,
    inputs: &[S],
    decode: &Decode<'_, S>,
    seen: &Seen<'_>,
    finish: &(dyn Fn(Peeled) -> T + Sync),
) -> Vec<T> {
    #[cfg(all(feature = "parallel", not(target_arch = "wasm32")))]
    {
        use rayon::prelude::*;
        inputs
            .par_chunks(CHUNK)
            .flat_map_iter(|c| {
                peel_chunk(key, params, c, decode, seen)
                    .into_iter()
                    .map(finish)
            })
            .collect()
    }
    #[cfg(not(all(feature = "parallel", not(target_arch = "wasm32"))))]
    {
        inputs
            .chunks(CHUNK)
            .flat_map(|c| {
                peel_chunk(key, params, c, decode, seen)
                    .into_iter()
                    .map(finish)
            })
            .collect()
    }
}

/// Peel already-decoded packets (bytes), in input order. Same results as calling
/// [`crate::peel_layer`] on each, faster.
pub fn peel_batch(
    key: &MixKeyPair,
    params: &SphinxParams,
    packets: &[&[u8]],
) -> Vec<Result<(ReplayTag, ProcessedPacket), Error>> {
    let decode = |b: &&[u8]| Ok(b.to_vec());
    peel_texts(key, params, packets, &decode, &|_| false, &|r| r)
}

enum Stage {
    Failed(Error),
    /// Decoded packet bytes and α; index into the chunk's point list.
    Decoded(Vec<u8>, RistrettoPoint),
    /// Keys derived and header opened; waiting for α' (forward) or done (exit).
    Opened {
        tag: ReplayTag,
        routing: Routing,
        payload: Vec<u8>,
    },
}

fn peel_chunk<S>(
    key: &MixKeyPair,
    params: &SphinxParams,
    chunk: &[S],
    decode: &Decode<'_, S>,
    seen: &Seen<'_>,
) -> Vec<Peeled> {
    // 1. Decode text, check layout, decode α.
    let mut stages: Vec<Stage> = chunk
        .iter()
        .map(|s| {
            let decoded = decode(s).and_then(|bytes| {
                check_layout(params, &bytes)?;
                let mut a = [0u8; GROUP_ELEMENT_LEN];
                a.copy_from_slice(&bytes[ALPHA_AT..GAMMA_AT]);
                let alpha = decode_point(&a)?;
                Ok((bytes, alpha))
            });
            match decoded {
                Ok((b, a)) => Stage::Decoded(b, a),
                Err(e) => Stage::Failed(e),
            }
        })
        .collect();

    // 2. s = 2·(½x·α), encoded in one batch.
    let half = half();
    let mut x_half = key.secret() * half;
    let halves: Vec<RistrettoPoint> = stages
        .iter()
        .filter_map(|s| match s {
            Stage::Decoded(_, a) => Some(a * x_half),
            _ => None,
        })
        .collect();
    zeroize::Zeroize::zeroize(&mut x_half);
    let shared = if halves.is_empty() {
        Vec::new()
    } else {
        RistrettoPoint::double_and_compress_batch(&halves)
    };

    // 3. Keys, MAC, replay pre-check, decryption; queue ½b·α for forward hops.
    let mut shared_iter = shared.iter();
    let mut next_halves: Vec<RistrettoPoint> = Vec::new();
    for stage in stages.iter_mut() {
        let Stage::Decoded(bytes, alpha) = stage else {
            continue;
        };
        let Some(s) = shared_iter.next() else {
            *stage = Stage::Failed(Error::InvalidParams("internal: batch size mismatch"));
            continue;
        };
        let keys = HopKeys::derive(&s.to_bytes());
        match verify_and_open(params, bytes, &keys, seen) {
            Ok((routing, payload)) => {
                if routing.flag == FLAG_FORWARD {
                    next_halves.push(*alpha * (keys.blinding * half));
                }
                *stage = Stage::Opened {
                    tag: keys.replay_tag(),
                    routing,
                    payload,
                };
            }
            Err(e) => *stage = Stage::Failed(e),
        }
    }

    // 4. α' = 2·(½b·α), encoded in one batch.
    let next_alphas = if next_halves.is_empty() {
        Vec::new()
    } else {
        RistrettoPoint::double_and_compress_batch(&next_halves)
    };
    let mut next_iter = next_alphas.iter();

    // 5. Assemble.
    stages
        .into_iter()
        .map(|stage| match stage {
            Stage::Failed(e) => Err(e),
            Stage::Decoded(..) => Err(Error::InvalidParams("internal: unprocessed packet")),
            Stage::Opened {
                tag,
                routing,
                payload,
            } => {
                if routing.flag == FLAG_FORWARD {
                    let a = next_iter
                        .next()
                        .ok_or(Error::InvalidParams("internal: batch size mismatch"))?
                        .to_bytes();
                    Ok((
                        tag,
                        ProcessedPacket::Forward {
                            next_hop: MixNodeId(routing.address),
                            packet: assemble_forward(params, &a, routing, payload),
                        },
                    ))
                } else {
                    exit_result(params, routing, payload).map(|p| (tag, p))
                }
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_is_one_half() {
        assert_eq!(half() * Scalar::from(2u8), Scalar::ONE);
    }
}

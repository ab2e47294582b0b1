//! Where one hop's time goes: the primitives, timed in thread CPU time.
//! `cargo run --release -p panoramix-sphinx --example parts`
// Native only: the peer crate and the CPU-time clock need an operating system.
#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    native::main()
}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use cpu_time::ThreadTime;
    use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
    use curve25519_dalek::ristretto::RistrettoPoint;
    use curve25519_dalek::scalar::Scalar;
    use rand_chacha::ChaCha20Rng;
    use rand_core::{RngCore, SeedableRng};
    use std::hint::black_box;

    fn time(name: &str, n: u32, mut f: impl FnMut()) {
        for _ in 0..n / 10 {
            f();
        }
        let mut v = Vec::new();
        for _ in 0..7 {
            let t = ThreadTime::now();
            for _ in 0..n {
                f();
            }
            v.push(t.elapsed().as_secs_f64() * 1e6 / n as f64);
        }
        v.sort_by(|a, b| a.total_cmp(b));
        println!("{name:<44} {:>8.2} µs", v[3]);
    }

    pub fn main() {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        {
            use panoramix_sphinx::*;
            let params = SphinxParams::default();
            let mixes: Vec<MixKeyPair> = (0..3).map(|_| MixKeyPair::generate(&mut rng)).collect();
            let keys: Vec<MixPublicKey> = mixes.iter().map(|m| *m.public()).collect();
            let route = Route::new(&params, &keys).unwrap();
            let packets: Vec<Vec<u8>> = (0..32)
                .map(|_| {
                    create_packet(&params, &route, "d", &[1u8; 1000], &mut rng)
                        .unwrap()
                        .into_bytes()
                })
                .collect();
            let refs: Vec<&[u8]> = packets.iter().map(|p| p.as_slice()).collect();
            time("peel_layer (one packet)", 500, || {
                black_box(peel_layer(&mixes[0], &params, black_box(refs[0])).unwrap());
            });
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(1)
                .build()
                .unwrap();
            pool.install(|| {
                time("peel_batch(32) per packet x32", 20, || {
                    black_box(peel_batch(&mixes[0], &params, black_box(&refs)));
                });
            });
        }
        let mut wide = [0u8; 64];
        let mut random_scalar = || {
            rng.fill_bytes(&mut wide);
            Scalar::from_bytes_mod_order_wide(&wide)
        };
        let s = random_scalar();
        let p = &random_scalar() * RISTRETTO_BASEPOINT_TABLE;
        let c = p.compress();
        time("ristretto var-base mul", 2000, || {
            black_box(black_box(p) * black_box(s));
        });
        time("ristretto fixed-base mul", 2000, || {
            black_box(&black_box(s) * RISTRETTO_BASEPOINT_TABLE);
        });
        time("ristretto compress", 5000, || {
            black_box(black_box(p).compress());
        });
        time("ristretto decompress", 5000, || {
            black_box(black_box(c).decompress());
        });
        let pts: Vec<RistrettoPoint> = (0..64).map(|_| p).collect();
        time("double_and_compress_batch(64) per point", 200, || {
            black_box(RistrettoPoint::double_and_compress_batch(black_box(&pts)));
        });
        let sk = x25519_dalek::StaticSecret::from([7u8; 32]);
        let pk = x25519_dalek::PublicKey::from([9u8; 32]);
        time("x25519 DH ladder (x25519-dalek 3 / dalek 5)", 2000, || {
            black_box(sk.diffie_hellman(black_box(&pk)));
        });
        let mut buf = vec![0u8; 1043];
        let k = [1u8; 32];
        time("hkdf-sha256 272 B", 20000, || {
            let hk = hkdf::Hkdf::<sha2::Sha256>::new(Some(b"panoramix/sphinx/v1/hop-kdf-salt"), &k);
            let mut okm = [0u8; 272];
            hk.expand(b"panoramix/sphinx/v1/hop-keys", &mut okm)
                .unwrap();
            black_box(okm);
        });
        use chacha20::cipher::{KeyIvInit, StreamCipher};
        time("chacha20 1043 B", 20000, || {
            let mut c = chacha20::ChaCha20::new((&k).into(), &[0u8; 12].into());
            c.apply_keystream(black_box(&mut buf));
        });
        use hmac::Mac;
        time("hmac-sha256 1011 B", 20000, || {
            let mut m = <hmac::Hmac<sha2::Sha256> as Mac>::new_from_slice(&k).unwrap();
            m.update(black_box(&buf[32..]));
            black_box(m.finalize());
        });
    }
}

//! ZEUS benchmarks. Per-core figures use *process CPU time* inside a
//! one-thread rayon pool (immune to other load on the shared machine);
//! the `zeus_mt/` group reports wall-clock throughput with two threads.
//! A summary with µs per ciphertext and the Sako–Kilian / TW ratio, all
//! measured in this same run, is printed at the end.
//!
//! The `zeus_ballot/` group measures one voter's ballot: creation
//! (`prepare_ballot`: encryption, validity proof — disjunctive
//! Chaum–Pedersen over K = 2, 5, 10 answers, or a knowledge proof for free
//! text — and the credential's signature) and the box's check of it
//! (`check_ballot` with the election's rules computed once, as the booth
//! does); its summary gives µs per ballot.
//!
//! The `zeus_dkg/` group measures the threshold trustees' key generation
//! for n = 3, 5, 10 trustees with threshold t = n/2 + 1: one trustee's
//! dealing (`dkg::deal`), one trustee's reading of every dealing with the
//! check of its shares (`dkg::receive`), and the public check
//! (`Dkg::verify`). The `zeus_threshold/` group measures decryption of
//! N = 1,000 ciphertexts: one trustee's partial decryption, and `combine`
//! with t of n partial decryptions (threshold, Lagrange coefficients) and
//! with all n (n-of-n, the same n trustees' keys summed). `combine` checks
//! the trustees' keys (the key generation, or n proofs of knowledge) once
//! per call, then every partial decryption it is given; the summary gives
//! µs per ciphertext and that per-call check apart.
//!
//! `cargo bench -p panoramix-zeus --bench zeus` (filter: `-- tw_`).
//! `ZEUS_BENCH_BALLOTS_ONLY=1` runs only the ballot group and its summary
//! (skipping the mixes' N = 1,000 and 10,000 setups);
//! `ZEUS_BENCH_DKG_ONLY=1` runs only the key generation and threshold
//! decryption groups and their summary;
//! `ZEUS_BENCH_NO_SUMMARY=1` skips the summaries. With `--test` (the CI
//! smoke run) every benchmark runs once, the decryption groups on 10
//! ciphertexts.

use std::time::Duration;

use cpu_time::ProcessTime;
use criterion::measurement::{Measurement, ValueFormatter};
use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput};
use curve25519_dalek::Scalar;
use panoramix_zeus::dkg::{self, Dkg, DkgOutcome};
use panoramix_zeus::*;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

/// CPU time of the whole process (all threads).
struct ProcessCpu;

struct CpuFormatter;

impl ValueFormatter for CpuFormatter {
    fn scale_values(&self, ns: f64, values: &mut [f64]) -> &'static str {
        let (f, u) = if ns < 1e3 {
            (1.0, "ns cpu")
        } else if ns < 1e6 {
            (1e-3, "µs cpu")
        } else if ns < 1e9 {
            (1e-6, "ms cpu")
        } else {
            (1e-9, "s cpu")
        };
        values.iter_mut().for_each(|v| *v *= f);
        u
    }
    fn scale_throughputs(&self, ns: f64, t: &Throughput, values: &mut [f64]) -> &'static str {
        let n = match *t {
            Throughput::Elements(n) | Throughput::Bytes(n) | Throughput::BytesDecimal(n) => {
                n as f64
            }
        };
        let per_s = n * 1e9 / ns;
        let (f, u) = if per_s < 1e3 {
            (1.0, "elem/cpu-s")
        } else {
            (1e-3, "Kelem/cpu-s")
        };
        values.iter_mut().for_each(|v| *v = n * 1e9 / *v * f);
        u
    }
    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns"
    }
}

impl Measurement for ProcessCpu {
    type Intermediate = ProcessTime;
    type Value = Duration;
    fn start(&self) -> ProcessTime {
        ProcessTime::now()
    }
    fn end(&self, i: ProcessTime) -> Duration {
        i.elapsed()
    }
    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }
    fn zero(&self) -> Duration {
        Duration::ZERO
    }
    fn to_f64(&self, v: &Duration) -> f64 {
        v.as_nanos() as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        &CpuFormatter
    }
}

struct Setup {
    ctx: MixContext,
    sid: String,
    secret: TrusteeSecret,
    input: Vec<Ciphertext>,
}

fn setup(n: usize) -> Setup {
    let mut rng = ChaCha20Rng::from_seed([n as u8; 32]);
    let sid = format!("bench-{n}");
    let secret = TrusteeSecret::generate(&mut rng);
    let pk = secret.public_key();
    let ctx = MixContext::new(&sid, &pk).unwrap();
    let m = encode_plaintext(b"vote").unwrap();
    let input = (0..n)
        .map(|_| {
            ctx.encrypt_point(&m, &panoramix_zeus::encoding::random_scalar(&mut rng))
                .compress()
        })
        .collect();
    ctx.generators(n); // cached, as for a session
    Setup {
        ctx,
        sid,
        secret,
        input,
    }
}

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
}

fn cpu_benches(c: &mut Criterion<ProcessCpu>) {
    {
        for &n in &[1000usize, 10_000] {
            let s = setup(n);
            let mut rng = ChaCha20Rng::from_seed([1; 32]);
            let dec: Vec<_> = s.input.iter().map(|c| c.decode().unwrap()).collect();
            let (out, proof) = tw::shuffle_and_prove(&s.ctx, &s.input, &mut rng).unwrap();
            let pd = partial_decrypt(&s.sid, &s.secret, 0, &s.input, &mut rng).unwrap();
            let pk = s.secret.public_key();

            let mut g = c.benchmark_group("zeus");
            g.sample_size(10).warm_up_time(Duration::from_millis(500));
            g.measurement_time(Duration::from_secs(if n > 1000 { 10 } else { 4 }));
            g.throughput(Throughput::Elements(n as u64));
            g.bench_function(BenchmarkId::new("reencrypt", n), |b| {
                b.iter(|| {
                    dec.iter()
                        .map(|d| s.ctx.reencrypt(d, &Scalar::from(3u8)).compress())
                        .collect::<Vec<_>>()
                })
            });
            g.bench_function(BenchmarkId::new("tw_shuffle_prove", n), |b| {
                b.iter(|| tw::shuffle_and_prove(&s.ctx, &s.input, &mut rng).unwrap())
            });
            g.bench_function(BenchmarkId::new("tw_verify", n), |b| {
                b.iter(|| tw::verify(&s.ctx, &s.input, &out, &proof, &mut rng).unwrap())
            });
            g.bench_function(BenchmarkId::new("cp_prove", n), |b| {
                b.iter(|| partial_decrypt(&s.sid, &s.secret, 0, &s.input, &mut rng).unwrap())
            });
            g.bench_function(BenchmarkId::new("cp_verify", n), |b| {
                b.iter(|| {
                    decrypt::verify_partial_decryption(&s.sid, &pk, &s.input, &pd, &mut rng)
                        .unwrap()
                })
            });
            if n == 1000 {
                g.bench_function(BenchmarkId::new("generators", n), |b| {
                    b.iter(|| {
                        let ctx = MixContext::new(&s.sid, s.ctx.public_key()).unwrap();
                        ctx.generators(n)
                    })
                });
                // Sako–Kilian at N = 10,000 would take about 7 minutes per
                // sample set on this machine; its cost per ciphertext does
                // not depend on N, so it is measured at N = 1,000 only.
                let (sk_out, sk_proof) =
                    sk::shuffle_and_prove(&s.ctx, &s.input, 128, &mut rng).unwrap();
                g.sample_size(10).measurement_time(Duration::from_secs(20));
                g.bench_function(BenchmarkId::new("sk128_shuffle_prove", n), |b| {
                    b.iter(|| sk::shuffle_and_prove(&s.ctx, &s.input, 128, &mut rng).unwrap())
                });
                g.bench_function(BenchmarkId::new("sk128_verify", n), |b| {
                    b.iter(|| {
                        sk::verify(&s.ctx, &s.input, &sk_out, &sk_proof, 128, &mut rng).unwrap()
                    })
                });
            }
            g.finish();
        }
    }
}

fn wall_benches(c: &mut Criterion) {
    let p2 = pool(2);
    {
        let n = 10_000;
        let s = setup(n);
        let mut rng = ChaCha20Rng::from_seed([2; 32]);
        let (out, proof) = tw::shuffle_and_prove(&s.ctx, &s.input, &mut rng).unwrap();
        let mut g = c.benchmark_group("zeus_mt");
        g.sample_size(10).warm_up_time(Duration::from_millis(500));
        g.measurement_time(Duration::from_secs(10));
        g.throughput(Throughput::Elements(n as u64));
        g.bench_function(BenchmarkId::new("tw_shuffle_prove_2threads", n), |b| {
            b.iter(|| p2.install(|| tw::shuffle_and_prove(&s.ctx, &s.input, &mut rng).unwrap()))
        });
        g.bench_function(BenchmarkId::new("tw_verify_2threads", n), |b| {
            b.iter(|| p2.install(|| tw::verify(&s.ctx, &s.input, &out, &proof, &mut rng).unwrap()))
        });
        g.finish();
    }
}

/// The ballot benchmarks' cases: answers K (0 = free text) and a label.
const BALLOT_CASES: [(usize, &str); 4] = [(2, "k2"), (5, "k5"), (10, "k10"), (0, "free_text")];

struct BallotSetup {
    params: ZeusParams,
    rules: Rules,
    voter: VoterSecret,
    answer: Vec<u8>,
    ballot: Ballot,
}

/// A one-trustee election with `k` answers (0: free text) and `voters`
/// credentials on its list (the benchmarked voter's among them).
fn ballot_setup(k: usize, voters: usize) -> BallotSetup {
    let mut rng = ChaCha20Rng::from_seed([100 + k as u8; 32]);
    let sid = format!("bench-ballot-{k}");
    let key = TrusteeSecret::generate(&mut rng).publish(&sid, &mut rng);
    let mut params = ZeusParams::new(&sid, key.public_key);
    params.trustees = vec![key];
    params.answers = (0..k).map(|i| format!("candidate {i}")).collect();
    let voter = VoterSecret::generate(&mut rng);
    if voters > 0 {
        params.voters = (1..voters)
            .map(|_| VoterSecret::generate(&mut rng).public())
            .collect();
        params.voters.push(voter.public());
    }
    let answer = if k == 0 {
        b"a free-text vote".to_vec()
    } else {
        format!("candidate {}", k / 2).into_bytes()
    };
    let ballot = encrypt_ballot(&params, &voter, &answer, &mut rng).unwrap();
    let rules = params.rules().unwrap();
    check_ballot(&params, &rules, &ballot, 0).unwrap();
    BallotSetup {
        params,
        rules,
        voter,
        answer,
        ballot,
    }
}

fn ballot_benches(c: &mut Criterion<ProcessCpu>) {
    let mut g = c.benchmark_group("zeus_ballot");
    g.sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2));
    g.throughput(Throughput::Elements(1));
    let mut rng = ChaCha20Rng::from_seed([6; 32]);
    for (k, label) in BALLOT_CASES {
        let s = ballot_setup(k, 0);
        g.bench_function(BenchmarkId::new("create", label), |b| {
            b.iter(|| prepare_ballot(&s.params, &s.voter, &s.answer, &mut rng).unwrap())
        });
        g.bench_function(BenchmarkId::new("verify", label), |b| {
            b.iter(|| check_ballot(&s.params, &s.rules, &s.ballot, 0).unwrap())
        });
    }
    g.finish();
}

/// µs of process CPU time per ballot created and verified (one thread,
/// median of 5 batches of 100), per number of answers; then creation with a
/// 1,000-credential voter list (`prepare_ballot` checks the parameters,
/// voter list included, each time).
fn ballot_summary() {
    let mut rng = ChaCha20Rng::from_seed([7; 32]);
    let batch = 100;
    let med = |mut xs: Vec<f64>| {
        xs.sort_by(|a, b| a.total_cmp(b));
        xs[xs.len() / 2] * 1e6 / batch as f64
    };
    println!(
        "
zeus ballots, 1 thread, process CPU time, median of 5 batches of {batch}:"
    );
    println!("  answers      create µs/ballot   verify µs/ballot   text bytes");
    let mut run = |s: &BallotSetup, name: &str| {
        let mut create = Vec::new();
        let mut verify = Vec::new();
        for _ in 0..5 {
            create.push(cpu(|| {
                for _ in 0..batch {
                    std::hint::black_box(
                        prepare_ballot(&s.params, &s.voter, &s.answer, &mut rng).unwrap(),
                    );
                }
            }));
            verify.push(cpu(|| {
                for _ in 0..batch {
                    std::hint::black_box(check_ballot(&s.params, &s.rules, &s.ballot, 0).unwrap());
                }
            }));
        }
        println!(
            "  {name:<12} {:16.1}   {:16.1}   {:10}",
            med(create),
            med(verify),
            s.ballot.to_text().len()
        );
    };
    for (k, label) in BALLOT_CASES {
        run(&ballot_setup(k, 0), label);
    }
    run(&ballot_setup(2, 1000), "k2+1000vtr");
}

/// Key generation sizes: n trustees, threshold n/2 + 1.
const DKG_SIZES: [usize; 3] = [3, 5, 10];

struct DkgSetup {
    n: usize,
    t: u32,
    secrets: Vec<TrusteeSecret>,
    keys: Vec<TrusteeKey>,
    dkg: Dkg,
    outcome: DkgOutcome,
    /// Every trustee's secret share from the key generation.
    shares: Vec<TrusteeSecret>,
}

/// An honest key generation among `n` trustees (threshold n/2 + 1).
fn dkg_setup(n: usize) -> DkgSetup {
    let mut rng = ChaCha20Rng::from_seed([200 + n as u8; 32]);
    let t = (n / 2 + 1) as u32;
    let secrets: Vec<TrusteeSecret> = (0..n).map(|_| TrusteeSecret::generate(&mut rng)).collect();
    let keys: Vec<TrusteeKey> = secrets
        .iter()
        .map(|s| s.publish("bench-keys", &mut rng))
        .collect();
    let dkg = Dkg {
        session_id: format!("bench-dkg-{n}"),
        threshold: t,
        dealings: (1..=n as u32)
            .map(|i| {
                let secret = &secrets[i as usize - 1];
                dkg::deal(&format!("bench-dkg-{n}"), t, &keys, i, secret, &mut rng).unwrap()
            })
            .collect(),
        complaints: Vec::new(),
    };
    let outcome = dkg.verify(&keys).unwrap();
    assert_eq!(outcome.qualified.len(), n);
    let shares = secrets
        .iter()
        .enumerate()
        .map(|(k, s)| {
            let r = dkg::receive(&dkg, &keys, k as u32 + 1, s, &mut rng).unwrap();
            assert!(r.complaints.is_empty());
            r.secret_share(&outcome).unwrap()
        })
        .collect();
    DkgSetup {
        n,
        t,
        secrets,
        keys,
        dkg,
        outcome,
        shares,
    }
}

/// One election's decryption: its parameters, `cts` ciphertexts under its
/// key, and every trustee's partial decryption of them.
struct DecryptSetup {
    params: ZeusParams,
    cts: Vec<Ciphertext>,
    partials: Vec<PartialDecryption>,
}

/// The same `n` trustees' election, threshold (`threshold`: the key
/// generation's key, the secret shares) or n-of-n (the sum of their keys).
fn decrypt_setup(s: &DkgSetup, threshold: bool, cts: usize) -> DecryptSetup {
    let mut rng = ChaCha20Rng::from_seed([220 + s.n as u8; 32]);
    let sid = format!("bench-threshold-{}", s.n);
    let pk = if threshold {
        s.outcome.public_key
    } else {
        combine_trustee_keys("bench-keys", &s.keys).unwrap()
    };
    let mut params = ZeusParams::new(&sid, pk);
    params.trustees = s.keys.clone();
    params.trustee_key_session = "bench-keys".into();
    params.dkg = threshold.then(|| s.dkg.clone());
    let ctx = MixContext::new(&sid, &pk).unwrap();
    let m = encode_plaintext(b"vote").unwrap();
    let cts: Vec<Ciphertext> = (0..cts)
        .map(|_| {
            ctx.encrypt_point(&m, &panoramix_zeus::encoding::random_scalar(&mut rng))
                .compress()
        })
        .collect();
    let secrets = if threshold { &s.shares } else { &s.secrets };
    let partials = secrets
        .iter()
        .enumerate()
        .map(|(k, x)| partial_decrypt(&sid, x, k, &cts, &mut rng).unwrap())
        .collect();
    let d = DecryptSetup {
        params,
        cts,
        partials,
    };
    let k = if threshold { s.t as usize } else { s.n };
    let out = d.combine(k, &mut rng);
    assert!(
        out.iter()
            .all(|o| *o == Outcome::Plaintext(b"vote".to_vec()))
    );
    d
}

impl DecryptSetup {
    /// Combine with the first `k` partial decryptions.
    fn combine(&self, k: usize, rng: &mut ChaCha20Rng) -> Vec<Outcome> {
        combine(&self.params, &self.cts, &self.partials[..k], rng).unwrap()
    }
}

fn dkg_benches(c: &mut Criterion<ProcessCpu>, cts: usize) {
    let mut rng = ChaCha20Rng::from_seed([8; 32]);
    let setups: Vec<DkgSetup> = DKG_SIZES.iter().map(|&n| dkg_setup(n)).collect();
    {
        let mut g = c.benchmark_group("zeus_dkg");
        g.sample_size(20)
            .warm_up_time(Duration::from_millis(300))
            .measurement_time(Duration::from_secs(2));
        for s in &setups {
            let id = |what: &str| BenchmarkId::new(what, format!("n{}_t{}", s.n, s.t));
            g.bench_function(id("deal"), |b| {
                b.iter(|| {
                    dkg::deal(&s.dkg.session_id, s.t, &s.keys, 1, &s.secrets[0], &mut rng).unwrap()
                })
            });
            g.bench_function(id("receive"), |b| {
                b.iter(|| dkg::receive(&s.dkg, &s.keys, 1, &s.secrets[0], &mut rng).unwrap())
            });
            g.bench_function(id("verify"), |b| b.iter(|| s.dkg.verify(&s.keys).unwrap()));
        }
        g.finish();
    }
    let mut g = c.benchmark_group("zeus_threshold");
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(3));
    g.throughput(Throughput::Elements(cts as u64));
    for s in &setups {
        let th = decrypt_setup(s, true, cts);
        let nn = decrypt_setup(s, false, cts);
        let t = s.t as usize;
        if s.n == DKG_SIZES[0] {
            // one trustee's work, whatever n: the same for both kinds
            g.bench_function(BenchmarkId::new("partial_decrypt", cts), |b| {
                b.iter(|| {
                    partial_decrypt(&th.params.session_id, &s.shares[0], 0, &th.cts, &mut rng)
                })
            });
        }
        let id = |what: &str| BenchmarkId::new(what, format!("n{}_t{}", s.n, s.t));
        g.bench_function(id("combine_t_of_n"), |b| b.iter(|| th.combine(t, &mut rng)));
        g.bench_function(id("combine_n_of_n"), |b| {
            b.iter(|| nn.combine(s.n, &mut rng))
        });
    }
    g.finish();
}

/// Medians of 5 runs, one thread, process CPU time: the key generation's
/// steps, then decryption of N ciphertexts per ciphertext.
fn dkg_summary() {
    let mut rng = ChaCha20Rng::from_seed([9; 32]);
    let med = |mut xs: Vec<f64>| {
        xs.sort_by(|a, b| a.total_cmp(b));
        xs[xs.len() / 2]
    };
    let runs = |f: &mut dyn FnMut()| med((0..5).map(|_| cpu(&mut *f)).collect());
    let setups: Vec<DkgSetup> = DKG_SIZES.iter().map(|&n| dkg_setup(n)).collect();
    println!("\nzeus threshold key generation, 1 thread, process CPU time, median of 5:");
    println!(
        "   n   t   deal ms   receive ms   verify ms   (one trustee deals / reads all; public check)"
    );
    for s in &setups {
        let deal = runs(&mut || {
            dkg::deal(&s.dkg.session_id, s.t, &s.keys, 1, &s.secrets[0], &mut rng).unwrap();
        });
        let recv = runs(&mut || {
            dkg::receive(&s.dkg, &s.keys, 1, &s.secrets[0], &mut rng).unwrap();
        });
        let verify = runs(&mut || {
            s.dkg.verify(&s.keys).unwrap();
        });
        println!(
            "  {:2}  {:2}  {:8.3}  {:11.3}  {:10.3}",
            s.n,
            s.t,
            deal * 1e3,
            recv * 1e3,
            verify * 1e3
        );
    }
    let n_ct = 1000;
    println!(
        "zeus decryption of N = {n_ct} ciphertexts, 1 thread, process CPU time, median of 5, µs/ct:"
    );
    println!(
        "   n   t   partial   combine t-of-n   combine n-of-n   total t-of-n   total n-of-n   key check/call ms (t-of-n, n-of-n)"
    );
    for s in &setups {
        let th = decrypt_setup(s, true, n_ct);
        let nn = decrypt_setup(s, false, n_ct);
        let t = s.t as usize;
        let per = |x: f64| x * 1e6 / n_ct as f64;
        let pd = per(runs(&mut || {
            partial_decrypt(&th.params.session_id, &s.shares[0], 0, &th.cts, &mut rng).unwrap();
        }));
        let ct = per(runs(&mut || {
            th.combine(t, &mut rng);
        }));
        let cn = per(runs(&mut || {
            nn.combine(s.n, &mut rng);
        }));
        let kt = runs(&mut || {
            th.params.verify_trustees().unwrap();
        });
        let kn = runs(&mut || {
            nn.params.verify_trustees().unwrap();
        });
        println!(
            "  {:2}  {:2}  {:8.1}  {:15.1}  {:15.1}  {:13.1}  {:13.1}   {:.3}, {:.3}",
            s.n,
            s.t,
            pd,
            ct,
            cn,
            t as f64 * pd + ct,
            s.n as f64 * pd + cn,
            kt * 1e3,
            kn * 1e3
        );
    }
    println!("  (total: every participating trustee's partial decryption + the combination)");
}

fn cpu<T>(f: impl FnOnce() -> T) -> f64 {
    let t = ProcessTime::now();
    std::hint::black_box(f());
    t.elapsed().as_secs_f64()
}

/// One run of each proof at N = 1,000 on one thread: µs per ciphertext and
/// the Sako–Kilian / Terelius–Wikström ratio.
fn summary() {
    let n = 1000;
    {
        let s = setup(n);
        let mut rng = ChaCha20Rng::from_seed([3; 32]);
        let med = |xs: &mut Vec<f64>| {
            xs.sort_by(|a, b| a.total_cmp(b));
            xs[xs.len() / 2] * 1e6 / n as f64
        };
        let (mut tp, mut tv, mut sp, mut sv) = (vec![], vec![], vec![], vec![]);
        for _ in 0..3 {
            let mut o = None;
            tp.push(cpu(|| {
                o = Some(tw::shuffle_and_prove(&s.ctx, &s.input, &mut rng).unwrap())
            }));
            let (out, proof) = o.unwrap();
            tv.push(cpu(|| {
                tw::verify(&s.ctx, &s.input, &out, &proof, &mut rng).unwrap()
            }));
        }
        for _ in 0..3 {
            let mut o = None;
            sp.push(cpu(|| {
                o = Some(sk::shuffle_and_prove(&s.ctx, &s.input, 128, &mut rng).unwrap())
            }));
            let (out, proof) = o.unwrap();
            sv.push(cpu(|| {
                sk::verify(&s.ctx, &s.input, &out, &proof, 128, &mut rng).unwrap()
            }));
        }
        let (tp, tv, sp, sv) = (med(&mut tp), med(&mut tv), med(&mut sp), med(&mut sv));
        println!("\nzeus summary, N = {n}, 1 thread, process CPU time, median of 3:");
        println!(
            "  TW  shuffle+prove {tp:9.1} µs/ct  ({:7.0} ct/s/core)",
            1e6 / tp
        );
        println!(
            "  TW  verify        {tv:9.1} µs/ct  ({:7.0} ct/s/core)",
            1e6 / tv
        );
        println!(
            "  SK128 shuffle+prove {sp:7.1} µs/ct  ({:7.0} ct/s/core)",
            1e6 / sp
        );
        println!(
            "  SK128 verify        {sv:7.1} µs/ct  ({:7.0} ct/s/core)",
            1e6 / sv
        );
        println!(
            "  ratio SK128/TW: prove {:.1}x, verify {:.1}x",
            sp / tp,
            sv / tv
        );
    }
    // Two threads: wall-clock throughput and total CPU (parallel overhead).
    let n = 10_000;
    let s = setup(n);
    let p2 = pool(2);
    let mut rng = ChaCha20Rng::from_seed([4; 32]);
    let run = |f: &mut (dyn FnMut() + Send)| {
        let (t, c) = (std::time::Instant::now(), ProcessTime::now());
        p2.install(f);
        (
            t.elapsed().as_secs_f64() * 1e6 / n as f64,
            c.elapsed().as_secs_f64() * 1e6 / n as f64,
        )
    };
    let mut o = None;
    let (pw, pc) =
        run(&mut || o = Some(tw::shuffle_and_prove(&s.ctx, &s.input, &mut rng).unwrap()));
    let (out, proof) = o.unwrap();
    let mut rng2 = ChaCha20Rng::from_seed([5; 32]);
    let (vw, vc) = run(&mut || tw::verify(&s.ctx, &s.input, &out, &proof, &mut rng2).unwrap());
    println!("zeus 2 threads, N = {n} (wall clock depends on machine load):");
    println!(
        "  TW shuffle+prove: wall {pw:.1} µs/ct ({:.0} ct/s), cpu {pc:.1} µs/ct",
        1e6 / pw
    );
    println!(
        "  TW verify:        wall {vw:.1} µs/ct ({:.0} ct/s), cpu {vc:.1} µs/ct",
        1e6 / vw
    );
}

fn main() {
    // per-core figures: every parallel helper runs on one worker thread
    rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build_global()
        .unwrap();
    let quick = std::env::args().any(|a| a == "--test" || a == "--list");
    let ballots_only = std::env::var_os("ZEUS_BENCH_BALLOTS_ONLY").is_some();
    let dkg_only = std::env::var_os("ZEUS_BENCH_DKG_ONLY").is_some() && !ballots_only;
    let mut c = Criterion::default()
        .with_measurement(ProcessCpu)
        .configure_from_args();
    if !dkg_only {
        ballot_benches(&mut c);
    }
    if !ballots_only {
        dkg_benches(&mut c, if quick { 10 } else { 1000 });
    }
    if !ballots_only && !dkg_only {
        cpu_benches(&mut c);
        let mut w = Criterion::default().configure_from_args();
        wall_benches(&mut w);
    }
    if !quick && std::env::var_os("ZEUS_BENCH_NO_SUMMARY").is_none() {
        if !dkg_only {
            ballot_summary();
        }
        if !ballots_only {
            dkg_summary();
        }
        if !ballots_only && !dkg_only {
            summary();
        }
    }
    c.final_summary();
}

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
//! `cargo bench -p panoramix-zeus --bench zeus` (filter: `-- tw_`).
//! `ZEUS_BENCH_BALLOTS_ONLY=1` runs only the ballot group and its summary
//! (skipping the mixes' N = 1,000 and 10,000 setups);
//! `ZEUS_BENCH_NO_SUMMARY=1` skips the summaries.

use std::time::Duration;

use cpu_time::ProcessTime;
use criterion::measurement::{Measurement, ValueFormatter};
use criterion::{BenchmarkId, Criterion, Throughput};
use curve25519_dalek::Scalar;
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
    let mut c = Criterion::default()
        .with_measurement(ProcessCpu)
        .configure_from_args();
    ballot_benches(&mut c);
    if !ballots_only {
        cpu_benches(&mut c);
        let mut w = Criterion::default().configure_from_args();
        wall_benches(&mut w);
    }
    if !quick && std::env::var_os("ZEUS_BENCH_NO_SUMMARY").is_none() {
        ballot_summary();
        if !ballots_only {
            summary();
        }
    }
    c.final_summary();
}

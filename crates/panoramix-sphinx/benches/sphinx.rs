//! panoramix-sphinx against sphinx-packet (crates.io), side by side in one run.
//!
//! Two parts:
//! 1. criterion benchmarks `sphinx/{create,process}/{panoramix,sphinx-packet}/…` and
//!    `sphinx/batch/…`, measured in **thread CPU time** (the machine is shared; wall time
//!    is inflated by other tenants), except the 2-thread batch, which is wall time;
//! 2. an interleaved comparison that prints one `ratio … = x` line per operation: every
//!    operation is calibrated to about 20 ms per sample, then 11 rounds run all of them in
//!    turn, and each ratio is the median of the per-round ratios (same method as
//!    `reference-sphinx.md`).
//!
//! Quick run: `cargo bench -p panoramix-sphinx --bench sphinx -- --warm-up-time 1
//! --measurement-time 3`. Only the comparison: `… -- compare`. Skip it: `… -- sphinx/`.
// Native only: the peer crate and the CPU-time clock need an operating system.
#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    native::main()
}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::hint::black_box;
    use std::time::{Duration, Instant};

    use cpu_time::ThreadTime;
    use criterion::measurement::{Measurement, ValueFormatter};
    use criterion::{BenchmarkId, Criterion, Throughput};
    use panoramix_sphinx::{
        MixKeyPair, MixPublicKey, ReplayCache, Route, SphinxParams, create_packet, peel_batch,
        peel_layer, process_batch, process_packet,
    };
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;
    use sphinx_packet::SphinxPacket as PeerPacket;
    use sphinx_packet::constants::{
        DESTINATION_ADDRESS_LENGTH, IDENTIFIER_LENGTH, NODE_ADDRESS_LENGTH,
    };
    use sphinx_packet::header::delays;
    use sphinx_packet::route::{Destination, DestinationAddressBytes, Node, NodeAddressBytes};
    use x25519_dalek::{PublicKey, StaticSecret};

    const MESSAGE_LEN: usize = 1000; // fits both: 1 KiB payloads in both crates

    /// Thread CPU time as a criterion measurement.
    struct ThreadCpu;

    impl Measurement for ThreadCpu {
        type Intermediate = ThreadTime;
        type Value = Duration;
        fn start(&self) -> ThreadTime {
            ThreadTime::now()
        }
        fn end(&self, i: ThreadTime) -> Duration {
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

    struct CpuFormatter;

    impl ValueFormatter for CpuFormatter {
        fn scale_values(&self, typical: f64, values: &mut [f64]) -> &'static str {
            let (f, unit) = if typical < 1e3 {
                (1.0, "ns cpu")
            } else if typical < 1e6 {
                (1e-3, "µs cpu")
            } else {
                (1e-6, "ms cpu")
            };
            values.iter_mut().for_each(|v| *v *= f);
            unit
        }
        fn scale_throughputs(
            &self,
            _t: f64,
            throughput: &Throughput,
            values: &mut [f64],
        ) -> &'static str {
            // values are ns per iteration
            let n = match throughput {
                Throughput::Elements(n) | Throughput::Bytes(n) | Throughput::BytesDecimal(n) => {
                    *n as f64
                }
            };
            values.iter_mut().for_each(|v| *v = n * 1e9 / *v);
            "elem/s cpu"
        }
        fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
            "ns"
        }
    }

    /// Our side: mixes, routes and a packet per route length.
    struct Ours {
        params: SphinxParams,
        mixes: Vec<MixKeyPair>,
        route3: Route,
        route5: Route,
        prepared5: Route,
        packet3: Vec<u8>,
        packet5: Vec<u8>,
    }

    impl Ours {
        fn new() -> Self {
            let params = SphinxParams::default();
            let mut rng = ChaCha20Rng::seed_from_u64(1);
            let mixes: Vec<MixKeyPair> = (0..5).map(|_| MixKeyPair::generate(&mut rng)).collect();
            let keys: Vec<MixPublicKey> = mixes.iter().map(|m| *m.public()).collect();
            let route3 = Route::new(&params, &keys[..3]).unwrap();
            let route5 = Route::new(&params, &keys).unwrap();
            let prepared5 = Route::prepared(&params, &keys).unwrap();
            let msg = vec![13u8; MESSAGE_LEN];
            let packet3 = create_packet(&params, &route3, "dest", &msg, &mut rng)
                .unwrap()
                .into_bytes();
            let packet5 = create_packet(&params, &route5, "dest", &msg, &mut rng)
                .unwrap()
                .into_bytes();
            Ours {
                params,
                mixes,
                route3,
                route5,
                prepared5,
                packet3,
                packet5,
            }
        }

        fn create(&self, route: &Route, rng: &mut ChaCha20Rng) -> Vec<u8> {
            create_packet(&self.params, route, "dest", &[13u8; MESSAGE_LEN], rng)
                .unwrap()
                .into_bytes()
        }

        /// One hop with replay protection (a fresh cache each time, so the packet is never a
        /// replay; that adds an allocation sphinx-packet does not pay).
        fn process(&self, packet: &[u8]) {
            let mut cache = ReplayCache::new(self.mixes[0].node_id(), 16);
            black_box(process_packet(&self.mixes[0], &self.params, &mut cache, packet).unwrap());
        }
    }

    /// The peer: same route lengths, 1 KiB payload (its default).
    struct Peer {
        secret0: StaticSecret,
        route3: Vec<Node>,
        route5: Vec<Node>,
        destination: Destination,
        delays3: Vec<delays::Delay>,
        delays5: Vec<delays::Delay>,
        packet3: Vec<u8>,
        packet5: Vec<u8>,
    }

    impl Peer {
        fn new() -> Self {
            let secrets: Vec<StaticSecret> =
                (0..5u8).map(|i| StaticSecret::from([i + 1; 32])).collect();
            let nodes: Vec<Node> = secrets
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    Node::new(
                        NodeAddressBytes::from_bytes([i as u8; NODE_ADDRESS_LENGTH]),
                        PublicKey::from(s),
                    )
                })
                .collect();
            let destination = Destination::new(
                DestinationAddressBytes::from_bytes([3u8; DESTINATION_ADDRESS_LENGTH]),
                [4u8; IDENTIFIER_LENGTH],
            );
            let delays3 = delays::generate_from_average_duration(3, Duration::from_millis(10));
            let delays5 = delays::generate_from_average_duration(5, Duration::from_millis(10));
            let route3 = nodes[..3].to_vec();
            let route5 = nodes.clone();
            let msg = vec![13u8; MESSAGE_LEN];
            let packet3 = PeerPacket::new(msg.clone(), &route3, &destination, &delays3)
                .unwrap()
                .to_bytes();
            let packet5 = PeerPacket::new(msg, &route5, &destination, &delays5)
                .unwrap()
                .to_bytes();
            Peer {
                secret0: secrets[0].clone(),
                route3,
                route5,
                destination,
                delays3,
                delays5,
                packet3,
                packet5,
            }
        }

        fn create(&self, hops: usize) -> PeerPacket {
            let (route, delays) = if hops == 3 {
                (&self.route3, &self.delays3)
            } else {
                (&self.route5, &self.delays5)
            };
            PeerPacket::new(vec![13u8; MESSAGE_LEN], route, &self.destination, delays).unwrap()
        }

        /// from_bytes + process, like our `process` (which parses the bytes too).
        fn process(&self, packet: &[u8]) {
            black_box(
                PeerPacket::from_bytes(packet)
                    .unwrap()
                    .process(&self.secret0)
                    .unwrap(),
            );
        }
    }

    fn batch_texts(ours: &Ours, n: usize) -> Vec<String> {
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        (0..n)
            .map(|_| {
                create_packet(
                    &ours.params,
                    &ours.route3,
                    "dest",
                    &[13u8; MESSAGE_LEN],
                    &mut rng,
                )
                .unwrap()
                .to_text()
            })
            .collect()
    }

    fn run_batch(ours: &Ours, texts: &[String], rng: &mut ChaCha20Rng) {
        let mut cache = ReplayCache::new(ours.mixes[0].node_id(), texts.len());
        let out = process_batch(&ours.mixes[0], &ours.params, &mut cache, texts, rng).unwrap();
        assert_eq!(out.outputs.len(), texts.len());
        black_box(out);
    }

    fn criterion_cpu(c: &mut Criterion<ThreadCpu>, ours: &Ours, peer: &Peer) {
        let mut rng = ChaCha20Rng::seed_from_u64(2);
        let mut g = c.benchmark_group("sphinx/create");
        g.throughput(Throughput::Elements(1));
        g.bench_function(BenchmarkId::new("panoramix", "3hops"), |b| {
            b.iter(|| ours.create(&ours.route3, &mut rng))
        });
        g.bench_function(BenchmarkId::new("panoramix", "5hops"), |b| {
            b.iter(|| ours.create(&ours.route5, &mut rng))
        });
        g.bench_function(BenchmarkId::new("panoramix-prepared", "5hops"), |b| {
            b.iter(|| ours.create(&ours.prepared5, &mut rng))
        });
        g.bench_function(BenchmarkId::new("sphinx-packet", "3hops"), |b| {
            b.iter(|| peer.create(3))
        });
        g.bench_function(BenchmarkId::new("sphinx-packet", "5hops"), |b| {
            b.iter(|| peer.create(5))
        });
        g.finish();

        let mut g = c.benchmark_group("sphinx/process");
        g.throughput(Throughput::Elements(1));
        g.bench_function(BenchmarkId::new("panoramix", "3hops"), |b| {
            b.iter(|| ours.process(&ours.packet3))
        });
        g.bench_function(BenchmarkId::new("panoramix", "5hops"), |b| {
            b.iter(|| ours.process(&ours.packet5))
        });
        g.bench_function(BenchmarkId::new("sphinx-packet", "3hops"), |b| {
            b.iter(|| peer.process(&peer.packet3))
        });
        g.bench_function(BenchmarkId::new("sphinx-packet", "5hops"), |b| {
            b.iter(|| peer.process(&peer.packet5))
        });
        g.finish();

        // batch of 256 on one thread: per-packet cost of peel_batch and of the full batch API
        let texts = batch_texts(ours, 256);
        let bytes: Vec<Vec<u8>> = texts
            .iter()
            .map(|t| {
                panoramix_sphinx::SphinxPacket::from_text(&ours.params, t)
                    .unwrap()
                    .into_bytes()
            })
            .collect();
        let refs: Vec<&[u8]> = bytes.iter().map(|b| b.as_slice()).collect();
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let mut g = c.benchmark_group("sphinx/batch-1thread");
        g.throughput(Throughput::Elements(256));
        g.sample_size(10);
        // timed inside the pool's thread, where rayon runs the chunks
        g.bench_function("peel_batch/256", |b| {
            b.iter_custom(|iters| {
                one.install(|| {
                    let t = ThreadTime::now();
                    for _ in 0..iters {
                        black_box(peel_batch(&ours.mixes[0], &ours.params, &refs));
                    }
                    t.elapsed()
                })
            })
        });
        g.bench_function("process_batch/256", |b| {
            b.iter_custom(|iters| {
                one.install(|| {
                    let mut rng = ChaCha20Rng::seed_from_u64(9);
                    let t = ThreadTime::now();
                    for _ in 0..iters {
                        run_batch(ours, &texts, &mut rng);
                    }
                    t.elapsed()
                })
            })
        });
        g.finish();
    }

    fn criterion_wall(c: &mut Criterion, ours: &Ours) {
        let texts = batch_texts(ours, 256);
        let mut rng = ChaCha20Rng::seed_from_u64(4);
        let mut g = c.benchmark_group("sphinx/batch-wall");
        g.throughput(Throughput::Elements(256));
        g.sample_size(10);
        for threads in [1usize, 2] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            g.bench_function(
                BenchmarkId::new("process_batch/256", format!("{threads}threads")),
                |b| b.iter(|| pool.install(|| run_batch(ours, &texts, &mut rng))),
            );
        }
        g.finish();
    }

    // ---------------------------------------------------------------------------------------
    // Interleaved comparison with ratios.

    struct Op<'a> {
        name: &'static str,
        f: Box<dyn FnMut() + 'a>,
        iters: u64,
        samples: Vec<f64>, // µs per op, thread CPU
    }

    fn cpu_per_op(f: &mut dyn FnMut(), iters: u64) -> f64 {
        let t = ThreadTime::now();
        for _ in 0..iters {
            f();
        }
        t.elapsed().as_secs_f64() * 1e6 / iters as f64
    }

    fn median(v: &mut [f64]) -> f64 {
        v.sort_by(|a, b| a.total_cmp(b));
        v[v.len() / 2]
    }

    fn compare(ours: &Ours, peer: &Peer) {
        // everything runs on the one thread of this pool, so thread CPU time sees all the work
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        one.install(|| compare_ops(ours, peer));
        compare_batches(ours);
    }

    fn compare_ops(ours: &Ours, peer: &Peer) {
        let batch: Vec<&[u8]> = std::iter::repeat_n(ours.packet3.as_slice(), 64).collect();
        let mut rng_a = ChaCha20Rng::seed_from_u64(5);
        let mut rng_b = ChaCha20Rng::seed_from_u64(6);
        let mut rng_c = ChaCha20Rng::seed_from_u64(7);
        let mut ops: Vec<Op> = vec![
            Op {
                name: "process/panoramix",
                f: Box::new(|| ours.process(&ours.packet5)),
                iters: 0,
                samples: vec![],
            },
            Op {
                name: "process/sphinx-packet",
                f: Box::new(|| peer.process(&peer.packet5)),
                iters: 0,
                samples: vec![],
            },
            Op {
                name: "create3/panoramix",
                f: Box::new(|| drop(black_box(ours.create(&ours.route3, &mut rng_a)))),
                iters: 0,
                samples: vec![],
            },
            Op {
                name: "create3/sphinx-packet",
                f: Box::new(|| drop(black_box(peer.create(3)))),
                iters: 0,
                samples: vec![],
            },
            Op {
                name: "create5/panoramix",
                f: Box::new(|| drop(black_box(ours.create(&ours.route5, &mut rng_b)))),
                iters: 0,
                samples: vec![],
            },
            Op {
                name: "create5/panoramix-prepared",
                f: Box::new(|| drop(black_box(ours.create(&ours.prepared5, &mut rng_c)))),
                iters: 0,
                samples: vec![],
            },
            Op {
                name: "create5/sphinx-packet",
                f: Box::new(|| drop(black_box(peer.create(5)))),
                iters: 0,
                samples: vec![],
            },
            Op {
                name: "peel/panoramix-single",
                f: Box::new(|| {
                    drop(black_box(
                        peel_layer(&ours.mixes[0], &ours.params, &ours.packet3).unwrap(),
                    ))
                }),
                iters: 0,
                samples: vec![],
            },
        ];
        ops.push(Op {
            name: "peel/panoramix-batch64",
            f: Box::new(|| drop(black_box(peel_batch(&ours.mixes[0], &ours.params, &batch)))),
            iters: 0,
            samples: vec![],
        });
        let batch_per = [("peel/panoramix-batch64", 64.0)];

        // calibrate to ~20 ms per sample
        for op in &mut ops {
            let mut n = 1u64;
            loop {
                let t = Instant::now();
                let _ = cpu_per_op(&mut op.f, n);
                if t.elapsed() > Duration::from_millis(20) || n > 1 << 20 {
                    break;
                }
                n *= 2;
            }
            op.iters = n.max(1);
        }
        const ROUNDS: usize = 11;
        for _ in 0..ROUNDS {
            for op in &mut ops {
                let mut v = cpu_per_op(&mut op.f, op.iters);
                if let Some((_, k)) = batch_per.iter().find(|(n, _)| *n == op.name) {
                    v /= k;
                }
                op.samples.push(v);
            }
        }
        println!(
            "\n== panoramix-sphinx vs sphinx-packet 0.8.0: thread CPU time, median of {ROUNDS} interleaved rounds =="
        );
        println!(
            "{:<30} {:>12} {:>12} {:>12}",
            "operation (per packet)", "median µs", "min µs", "rate/s"
        );
        let mut med = std::collections::HashMap::new();
        for op in &ops {
            let mut s = op.samples.clone();
            let m = median(&mut s);
            println!(
                "{:<30} {:>12.1} {:>12.1} {:>12.0}",
                op.name,
                m,
                s[0],
                1e6 / m
            );
            med.insert(op.name, m);
        }
        let ratio = |ours_name: &str, peer_name: &str| -> f64 {
            let a = ops.iter().find(|o| o.name == ours_name).map(|o| &o.samples);
            let b = ops.iter().find(|o| o.name == peer_name).map(|o| &o.samples);
            let (Some(a), Some(b)) = (a, b) else {
                return f64::NAN;
            };
            let mut r: Vec<f64> = a.iter().zip(b).map(|(x, y)| y / x).collect();
            median(&mut r)
        };
        println!(
            "ratio process (1 hop, 1 KiB, speed-up vs sphinx-packet) = {:.2}  (target >= 1.6)",
            ratio("process/panoramix", "process/sphinx-packet")
        );
        println!(
            "ratio process batch64 1 thread (vs sphinx-packet) = {:.2}",
            ratio("peel/panoramix-batch64", "process/sphinx-packet")
        );
        println!(
            "ratio create 3 hops = {:.2}",
            ratio("create3/panoramix", "create3/sphinx-packet")
        );
        println!(
            "ratio create 5 hops = {:.2}  (target >= 5)",
            ratio("create5/panoramix", "create5/sphinx-packet")
        );
        println!(
            "ratio create 5 hops, prepared route = {:.2}",
            ratio("create5/panoramix-prepared", "create5/sphinx-packet")
        );
    }

    fn compare_batches(ours: &Ours) {
        // batch throughput with 1 and 2 threads: wall clock (inflated when other tenants hold
        // the cores) and process CPU time per packet (all threads), whose ratio to the 1-thread
        // figure shows what parallelism costs; with both cores free, throughput is
        // threads / (CPU per packet)
        let texts = batch_texts(ours, 512);
        let mut rng = ChaCha20Rng::seed_from_u64(8);
        for threads in [1usize, 2] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let mut rates = Vec::new();
            let mut cpu = Vec::new();
            for _ in 0..7 {
                let t = Instant::now();
                let c = cpu_time::ProcessTime::now();
                pool.install(|| run_batch(ours, &texts, &mut rng));
                cpu.push(c.elapsed().as_secs_f64() * 1e6 / texts.len() as f64);
                rates.push(texts.len() as f64 / t.elapsed().as_secs_f64());
            }
            let best = rates.iter().cloned().fold(0.0, f64::max);
            let m = median(&mut rates);
            let c = median(&mut cpu);
            println!(
                "batch process_batch(512) {threads} thread(s): wall median {m:.0} pkt/s (best {best:.0}); \
                 process CPU {c:.1} µs/pkt -> {:.0} pkt/s on {threads} free core(s)",
                threads as f64 * 1e6 / c
            );
        }
    }

    pub fn main() {
        let ours = Ours::new();
        let peer = Peer::new();
        let filter: Vec<String> = std::env::args()
            .skip(1)
            .filter(|a| !a.starts_with('-'))
            .collect();
        let only_compare = filter.iter().any(|f| f == "compare");
        let skip_compare = filter.iter().any(|f| f.starts_with("sphinx/"));
        if !only_compare {
            let mut c = Criterion::default()
                .with_measurement(ThreadCpu)
                .configure_from_args();
            criterion_cpu(&mut c, &ours, &peer);
            let mut c = Criterion::default().configure_from_args();
            criterion_wall(&mut c, &ours);
            c.final_summary();
        }
        if !skip_compare {
            compare(&ours, &peer);
        }
    }
}

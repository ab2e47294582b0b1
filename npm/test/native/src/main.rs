//! `pmx-native`: the Rust side of the npm package's tests and benchmark.
//!
//! Every command reads one JSON object on stdin and prints one JSON object on stdout.
//!
//! * `setup`: register contributors (those not yet registered) and create a mix-net
//!   through the wizards' flow (`panoramix_mixnet::setup`); prints `{joint}`.
//! * `agents`: run the native contributor agents of a mix-net until each finished its
//!   cycles. A contributor marked `"js": true` has no native agent: JavaScript runs
//!   it (the package's `Contributor`, the same contributor state machine compiled to
//!   WebAssembly), negotiations, verification and processing included.
//! * `fixtures`: Rust-made keys, envelopes, packets, ballots, proofs and a whole
//!   election transcript, for JavaScript to verify and process.
//! * `check`: verify JavaScript-made artifacts with the native crates.
//! * `bench`: time the operations the package's benchmark times, natively.
mod ballot_bench;
mod spoiled;

use panoramix_client::Client;
use panoramix_core::Keypair;
use panoramix_mixnet::agent::{Agent, AgentState};
use panoramix_mixnet::backend::Secrets;
use panoramix_mixnet::mixnet::MixnetSpec;
use panoramix_mixnet::setup;
use panoramix_sphinx as sphinx;
use panoramix_zeus as zeus;
use rand_core::OsRng;
use serde::Deserialize;
use serde_json::{Value as Json, json};
use std::io::Read;
use std::process::ExitCode;
use std::time::{Duration, Instant};

pub(crate) type Res<T> = Result<T, String>;

pub(crate) fn e<E: std::fmt::Display>(x: E) -> String {
    x.to_string()
}

#[derive(Deserialize, Clone)]
struct Contributor {
    secret: String,
    #[serde(default)]
    mix: Option<String>,
    #[serde(default)]
    trustee: Option<String>,
    #[serde(default)]
    js: bool,
}

impl Contributor {
    fn client(&self, url: &str) -> Res<Client> {
        Client::connect(url, Keypair::from_secret_hex(&self.secret).map_err(e)?).map_err(e)
    }
    fn secrets(&self) -> Res<Secrets> {
        Ok(Secrets::new(
            self.mix
                .as_deref()
                .map(sphinx::MixKeyPair::from_secret_hex)
                .transpose()
                .map_err(e)?,
            self.trustee
                .as_deref()
                .map(zeus::TrusteeSecret::from_hex)
                .transpose()
                .map_err(e)?,
        ))
    }
}

fn main() -> ExitCode {
    let cmd = std::env::args().nth(1).unwrap_or_default();
    let mut input = String::new();
    let _ = std::io::stdin().read_to_string(&mut input);
    let arg: Json = if input.trim().is_empty() {
        json!({})
    } else {
        match serde_json::from_str(&input) {
            Ok(v) => v,
            Err(err) => {
                eprintln!("pmx-native: stdin is not JSON: {err}");
                return ExitCode::from(2);
            }
        }
    };
    let r = match cmd.as_str() {
        "setup" => setup_cmd(&arg),
        "agents" => agents_cmd(&arg),
        "fixtures" => fixtures_cmd(),
        "check" => check_cmd(&arg),
        "bench" => bench_cmd(&arg),
        _ => Err("usage: pmx-native setup|agents|fixtures|check|bench < input.json".into()),
    };
    match r {
        Ok(v) => {
            let failed = v.get("ok") == Some(&Json::Bool(false));
            println!("{v}");
            if failed {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(err) => {
            eprintln!("pmx-native {cmd}: {err}");
            ExitCode::from(2)
        }
    }
}

fn field<T: for<'de> Deserialize<'de>>(arg: &Json, k: &str) -> Res<T> {
    serde_json::from_value(arg.get(k).cloned().unwrap_or(Json::Null))
        .map_err(|err| format!("{k}: {err}"))
}

// ------------------------------------------------------------------ setup

fn setup_cmd(arg: &Json) -> Res<Json> {
    let url: String = field(arg, "url")?;
    let spec: MixnetSpec = field(arg, "spec")?;
    let cs: Vec<Contributor> = field(arg, "contributors")?;
    let clients = cs.iter().map(|c| c.client(&url)).collect::<Res<Vec<_>>>()?;
    for (i, (c, k)) in clients.iter().zip(&cs).enumerate() {
        setup::register(c, &format!("native{i}"), &spec.backend, &k.secrets()?).map_err(e)?;
    }
    let (neg, invitations) = setup::create(&clients[0], &spec, cs.len() - 1).map_err(e)?;
    let mut reviewed = Vec::new();
    for (c, inv) in clients[1..].iter().zip(&invitations) {
        let (proposed, _) = setup::proposal(c, inv).map_err(e)?;
        if proposed != spec {
            return Err("the proposal differs from the description".into());
        }
        setup::join(c, inv, &proposed).map_err(e)?;
        reviewed.push(proposed);
    }
    setup::propose_joint(&clients[0], &neg, &spec, &invitations)
        .map_err(e)?
        .ok_or("not every invitation was used")?;
    for (c, r) in clients[1..].iter().zip(&reviewed) {
        setup::confirm_joint(c, r)
            .map_err(e)?
            .ok_or("the joint peer proposal was not confirmed")?;
    }
    let joint = setup::finish(&clients[0], &spec.name)
        .map_err(e)?
        .ok_or("the joint peer was not created")?;
    Ok(json!({ "joint": joint }))
}

// ------------------------------------------------------------------ agents

fn agents_cmd(arg: &Json) -> Res<Json> {
    let url: String = field(arg, "url")?;
    let joint: String = field(arg, "joint")?;
    let cycles: u64 = field(arg, "cycles")?;
    let timeout =
        Duration::from_millis(field::<Option<u64>>(arg, "timeout_ms")?.unwrap_or(120_000));
    let cs: Vec<Contributor> = field(arg, "contributors")?;
    let mut handles = Vec::new();
    // a contributor marked `js` runs its own agent in JavaScript (the package's
    // Contributor: the same state machine, in WebAssembly)
    for c in cs.into_iter().filter(|c| !c.js) {
        let client = c.client(&url)?;
        let secrets = c.secrets()?;
        let st = AgentState {
            mixnet: joint.clone(),
            cycle: 1,
            max_cycles: cycles,
            ..Default::default()
        };
        let mut agent = Agent::new(client, secrets, st, None).map_err(e)?;
        handles.push(std::thread::spawn(move || {
            let deadline = Instant::now() + timeout;
            let mut log = Vec::new();
            let mut finished = false;
            while Instant::now() < deadline {
                match agent.step() {
                    Ok(s) => {
                        log.extend(s.events);
                        if s.finished {
                            finished = true;
                            break;
                        }
                        if !s.acted {
                            std::thread::sleep(Duration::from_millis(30));
                        }
                    }
                    Err(err) => {
                        log.push(format!("error: {err}"));
                        std::thread::sleep(Duration::from_millis(100));
                    }
                }
            }
            (finished, log)
        }));
    }
    let results: Vec<(bool, Vec<String>)> = handles
        .into_iter()
        .map(|h| h.join().unwrap_or((false, vec!["panicked".into()])))
        .collect();
    let refused = results
        .iter()
        .any(|(_, l)| l.iter().any(|x| x.starts_with("REFUSED")));
    let all = results.iter().all(|(f, _)| *f);
    Ok(json!({
        "ok": all && !refused,
        "finished": results.iter().map(|(f, _)| *f).collect::<Vec<_>>(),
        "refused": refused,
        "logs": results.iter().map(|(_, l)| l.clone()).collect::<Vec<_>>(),
    }))
}

// ------------------------------------------------------------------ fixtures

fn sphinx_params_json(p: &sphinx::SphinxParams) -> Json {
    json!({"BODY_LEN": p.body_len(), "MAX_HOPS": p.max_hops()})
}

fn fixtures_cmd() -> Res<Json> {
    let mut rng = OsRng;
    // core
    let kp = Keypair::generate(&mut rng);
    let env = panoramix_core::envelope::sign(
        &kp,
        json!({"endpoint_id": "x-1-gw", "text": "héllo", "n": 7, "flag": true}),
        json!({"resource": "message", "operation": "create", "nonce": "00ff", "ts": 1_700_000_000}),
        None,
    )
    .map_err(e)?;
    let canon = panoramix_core::canonical::encode_json(&json!({"b": [1, -2, "x"], "a": null}))
        .map_err(e)?;
    // sphinx: 3 mixes, 4 packets, one SURB
    let params = sphinx::SphinxParams::new(5, 1024).map_err(e)?;
    let mixes: Vec<sphinx::MixKeyPair> = (0..3)
        .map(|_| sphinx::MixKeyPair::generate(&mut rng))
        .collect();
    let keys: Vec<sphinx::MixPublicKey> = mixes.iter().map(|m| *m.public()).collect();
    let route = sphinx::select_route(&params, &keys).map_err(e)?;
    let messages: Vec<String> = (0..4).map(|i| format!("rust message {i}")).collect();
    let packets = messages
        .iter()
        .map(|m| {
            sphinx::wrap_message(&params, &route, "bob", m.as_bytes(), &mut rng).map(|c| c.text)
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(e)?;
    let (surb, opener) = sphinx::create_surb(&params, &route, &mut rng).map_err(e)?;
    // zeus: 2 trustees, 5 ballots, booth, TW mix, SK mix, partial decryptions, combination
    let sid = "fixture/1";
    let ts: Vec<zeus::TrusteeSecret> = (0..2)
        .map(|_| zeus::TrusteeSecret::generate(&mut rng))
        .collect();
    let tks: Vec<zeus::TrusteeKey> = ts.iter().map(|t| t.publish(sid, &mut rng)).collect();
    let pk = zeus::combine_trustee_keys(sid, &tks).map_err(e)?;
    let votes: Vec<String> = (0..5).map(|i| format!("vote-{i}")).collect();
    // a candidate list (the votes, one answer each) and a voter list
    let voters: Vec<zeus::VoterSecret> = (0..5)
        .map(|_| zeus::VoterSecret::generate(&mut rng))
        .collect();
    let mut zp = zeus::ZeusParams::new(sid, pk);
    zp.trustees = tks.clone();
    zp.answers = votes.clone();
    zp.voters = voters.iter().map(zeus::VoterSecret::public).collect();
    let ballots = votes
        .iter()
        .zip(&voters)
        .map(|(v, c)| zeus::encrypt_ballot(&zp, c, v.as_bytes(), &mut rng).map(|b| b.to_text()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(e)?;
    let proc = |ty: zeus::EndpointType, s: Option<&zeus::TrusteeSecret>, inp: &[String]| {
        zeus::backend::process(ty, &zp, s, inp, &mut OsRng).map_err(e)
    };
    let booth = proc(zeus::EndpointType::ZeusBooth, None, &ballots)?;
    let tw = proc(zeus::EndpointType::ZeusTwMix, None, &booth.outputs)?;
    let sk = proc(zeus::EndpointType::ZeusSkMix, None, &tw.outputs)?;
    let mut shares = Vec::new();
    for t in &ts {
        shares.extend(
            proc(
                zeus::EndpointType::ZeusSkPartialDecrypt,
                Some(t),
                &sk.outputs,
            )?
            .outputs,
        );
    }
    let combined = proc(zeus::EndpointType::ZeusSkCombine, None, &shares)?;
    let spec = zeus::ElectionSpec {
        session_id: "fixture-election".into(),
        trustees: 2,
        mixes: vec![zeus::MixKind::Tw, zeus::MixKind::Sk { rounds: 128 }],
        answers: votes.clone(),
        plaintexts: votes.iter().map(|v| v.as_bytes().to_vec()).collect(),
    };
    let (transcript, _) = zeus::simulate_election(&spec, &mut rng).map_err(e)?;
    Ok(json!({
        "core": {
            "keyData": kp.key_data(), "keyId": kp.key_id(), "envelope": env,
            "canonical": String::from_utf8(canon).map_err(e)?,
            "contributionSignature": panoramix_core::negotiation::sign_contribution(&kp, "neg", "text"),
            "jointKeyData": panoramix_core::identity::joint_key_data("net", &["a".into(), "b".into()]),
            "messageHash": panoramix_core::model::message_hash(Some(3), "s", "r", "t"),
            "consensusId": panoramix_core::negotiation::consensus_id(
                "neg", "txt", &[("k1".to_string(), "s1".to_string())].into_iter().collect(),
                "2018-01-31T12:00:00.000001"),
        },
        "sphinx": {
            "params": sphinx_params_json(&params),
            "mixes": mixes.iter().map(|m| json!({"secret": m.secret_hex().to_string(), "publicKey": m.public().to_hex()})).collect::<Vec<_>>(),
            "messages": messages, "destination": "bob", "packets": packets,
            "surb": surb.to_text(), "surbId": opener.id().to_hex(),
        },
        "zeus": {
            "params": serde_json::to_value(&zp).map_err(e)?,
            "trusteeSecrets": ts.iter().map(|t| t.to_hex().to_string()).collect::<Vec<_>>(),
            "voterSecrets": voters.iter().map(|v| v.to_hex().to_string()).collect::<Vec<_>>(),
            "votes": votes, "ballots": ballots, "booth": booth, "tw": tw, "sk": sk,
            "shares": shares, "combined": combined,
            "transcript": serde_json::to_string(&transcript).map_err(e)?,
        },
        "spoiled": spoiled::fixture()?,
    }))
}

// ------------------------------------------------------------------ check

/// Verify JavaScript-made artifacts; every check is reported by name.
fn check_cmd(arg: &Json) -> Res<Json> {
    let mut checks: Vec<Json> = Vec::new();
    let mut ok = true;
    let mut record = |name: &str, r: Res<()>| {
        if let Err(err) = &r {
            ok = false;
            checks.push(json!({"check": name, "ok": false, "error": err}));
        } else {
            checks.push(json!({"check": name, "ok": true}));
        }
    };
    if let Some(c) = arg.get("core") {
        record(
            "core.envelope",
            (|| {
                let v = panoramix_core::envelope::verify(&c["envelope"]).map_err(e)?;
                if Some(v.signer_id()) != c["keyId"].as_str() {
                    return Err("signer differs".into());
                }
                Ok(())
            })(),
        );
        record(
            "core.canonical",
            (|| {
                let want = panoramix_core::canonical::encode_json(&c["value"]).map_err(e)?;
                if Some(String::from_utf8(want).map_err(e)?.as_str()) != c["canonical"].as_str() {
                    return Err("canonical encodings differ".into());
                }
                Ok(())
            })(),
        );
        record(
            "core.contribution_signature",
            (|| {
                let pk = panoramix_core::PublicKey::from_key_data(
                    c["keyData"].as_str().unwrap_or_default(),
                )
                .map_err(e)?;
                panoramix_core::negotiation::verify_contribution(
                    &pk,
                    panoramix_core::negotiation::ContributionLabel::Bound,
                    c["negotiationId"].as_str().unwrap_or_default(),
                    c["text"].as_str().unwrap_or_default(),
                    c["contributionSignature"].as_str().unwrap_or_default(),
                )
                .map_err(e)
            })(),
        );
    }
    if let Some(s) = arg.get("sphinx") {
        record(
            "sphinx.packets",
            (|| {
                let params = panoramix_mixnet::backend::sphinx_params(&s["params"]).map_err(e)?;
                let mixes: Vec<String> = field(s, "mixSecrets")?;
                let mut batch: Vec<String> = field(s, "packets")?;
                let want: Vec<String> = field(s, "messages")?;
                for m in &mixes {
                    let k = sphinx::MixKeyPair::from_secret_hex(m).map_err(e)?;
                    let mut cache = sphinx::ReplayCache::for_node(k.node_id());
                    let out = sphinx::process_batch(&k, &params, &mut cache, &batch, &mut OsRng)
                        .map_err(e)?;
                    if !out.rejected.is_empty() {
                        return Err(format!("rejected: {:?}", out.rejected));
                    }
                    batch = out.outputs.into_iter().map(|o| o.text).collect();
                }
                let (mut a, mut b) = (batch, want);
                a.sort();
                b.sort();
                if a != b {
                    return Err(format!("plaintexts differ: {a:?} vs {b:?}"));
                }
                Ok(())
            })(),
        );
    }
    if let Some(z) = arg.get("zeus") {
        let zp: Res<zeus::ZeusParams> = field(z, "params");
        let run = |name: &str,
                   ty: zeus::EndpointType,
                   inp: &str,
                   out: &str,
                   proof: &str|
         -> (String, Res<()>) {
            let r = (|| {
                let zp = zp.clone()?;
                let i: Vec<String> = field(z, inp)?;
                let o: Vec<String> = field(z, out)?;
                let p: String = z
                    .get(proof)
                    .and_then(Json::as_str)
                    .unwrap_or_default()
                    .to_owned();
                zeus::backend::verify(ty, &zp, &i, &o, &p, &mut OsRng).map_err(e)
            })();
            (name.to_owned(), r)
        };
        for (n, r) in [
            run(
                "zeus.booth",
                zeus::EndpointType::ZeusBooth,
                "ballots",
                "boothOutputs",
                "-",
            ),
            run(
                "zeus.tw_mix",
                zeus::EndpointType::ZeusTwMix,
                "boothOutputs",
                "mixOutputs",
                "mixProof",
            ),
            run(
                "zeus.partial_decrypt",
                zeus::EndpointType::ZeusSkPartialDecrypt,
                "mixOutputs",
                "shares0",
                "-",
            ),
            run(
                "zeus.combine",
                zeus::EndpointType::ZeusSkCombine,
                "allShares",
                "plaintexts",
                "-",
            ),
        ] {
            record(&n, r);
        }
        if let Some(a) = z.get("audit") {
            // the Benaloh check natively: a ballot JavaScript prepared and audited
            // opens with the randomness it revealed to the answer it reported
            record(
                "zeus.audit",
                (|| {
                    let zp = zp.clone()?;
                    let text: String = field(a, "ballot")?;
                    let b = zeus::Ballot::from_text(&text).map_err(e)?;
                    let r =
                        zeus::HexScalar::from_hex(&field::<String>(a, "randomness")?).map_err(e)?;
                    let got = zeus::open_ballot(&zp, &b, &r).map_err(e)?;
                    if got != field::<String>(a, "answer")?.into_bytes() {
                        return Err("the ballot opens to another answer".into());
                    }
                    Ok(())
                })(),
            );
        }
        if let Some(t) = z.get("transcript").and_then(Json::as_str) {
            record(
                "zeus.transcript",
                zeus::verify_election(t).map(|_| ()).map_err(e),
            );
        }
    }
    Ok(json!({"ok": ok, "checks": checks}))
}

// ------------------------------------------------------------------ bench

/// Median of 5 timings of `f` (each: as many calls as fit in a fifth of `budget`,
/// at least one), in microseconds of process CPU time per call (the machine
/// is shared; wall time would count other tenants). `f`'s result goes through
/// `black_box`, so the optimiser cannot drop the work that makes it, and an error
/// ends the bench rather than timing a failing path.
pub(crate) fn time_us<T>(budget: Duration, mut f: impl FnMut() -> Res<T>) -> Res<f64> {
    std::hint::black_box(f()?); // warm up
    let mut samples = Vec::new();
    for _ in 0..5 {
        let start = cpu_time::ProcessTime::now();
        let mut n = 0u32;
        while n == 0 || start.elapsed() < budget / 5 {
            std::hint::black_box(f()?);
            n += 1;
        }
        samples.push(start.elapsed().as_secs_f64() * 1e6 / f64::from(n));
    }
    samples.sort_by(|a, b| a.total_cmp(b));
    Ok(samples[samples.len() / 2])
}

/// Times the operations of npm/bench/bench.mjs with the same work per call as the
/// package does: what the package parses per call (mix secrets, endpoint parameters,
/// the election key) is parsed here per call too, from the same texts; what it holds
/// parsed (a prepared `SphinxRoute`, a `VerifyingKey`) is parsed once here too.
fn bench_cmd(arg: &Json) -> Res<Json> {
    let n: usize = arg.get("n").and_then(Json::as_u64).unwrap_or(64) as usize;
    let budget = Duration::from_millis(arg.get("ms").and_then(Json::as_u64).unwrap_or(600));
    let mut rng = OsRng;
    let mut r = serde_json::Map::new();
    // Sphinx: 3 hops, 1 KiB body; the route parsed and prepared once (`SphinxRoute`)
    let params = sphinx::SphinxParams::new(5, 1024).map_err(e)?;
    let mixes: Vec<sphinx::MixKeyPair> = (0..3)
        .map(|_| sphinx::MixKeyPair::generate(&mut rng))
        .collect();
    let keys: Vec<sphinx::MixPublicKey> = mixes.iter().map(|m| *m.public()).collect();
    let mut route = sphinx::select_route(&params, &keys).map_err(e)?;
    route.prepare();
    let msg = vec![b'x'; 200];
    r.insert(
        "sphinx_create".into(),
        json!(time_us(budget, || {
            sphinx::wrap_message(&params, &route, "bob", &msg, &mut OsRng).map_err(e)
        })?),
    );
    let batch: Vec<String> = (0..n)
        .map(|_| sphinx::wrap_message(&params, &route, "bob", &msg, &mut OsRng).map(|c| c.text))
        .collect::<Result<_, _>>()
        .map_err(e)?;
    // per batch, as `sphinxProcessBatch(params, secret, texts)` and `new SphinxMix(params,
    // secret)`: the parameters and the mix key from their texts, a fresh replay cache
    let secret = mixes[0].secret_hex().to_string();
    let mix_of = |secret: &str| -> Res<(sphinx::SphinxParams, sphinx::MixKeyPair)> {
        Ok((
            sphinx::SphinxParams::new(5, 1024).map_err(e)?,
            sphinx::MixKeyPair::from_secret_hex(secret).map_err(e)?,
        ))
    };
    let per = time_us(budget, || {
        let (params, mix) = mix_of(&secret)?;
        let mut cache = sphinx::ReplayCache::for_node(mix.node_id());
        let out = sphinx::process_batch(&mix, &params, &mut cache, &batch, &mut OsRng);
        match out.map_err(e)? {
            out if out.rejected.is_empty() => Ok(out),
            out => Err(format!("{} packets rejected", out.rejected.len())),
        }
    })?;
    r.insert("sphinx_hop".into(), json!(per / n as f64));
    // the same hop on raw packets concatenated in one buffer, as the package's
    // SphinxMix.processPackets does it: peel, replay check, shuffle, concatenate
    let packed: Vec<u8> = batch
        .iter()
        .map(|t| sphinx::SphinxPacket::from_text(&params, t).map(|p| p.into_bytes()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(e)?
        .concat();
    let per = time_us(budget, || {
        let (params, mix) = mix_of(&secret)?;
        let mut cache = sphinx::ReplayCache::for_node(mix.node_id());
        let inputs: Vec<&[u8]> = packed.chunks_exact(params.packet_len()).collect();
        let mut status = vec![3u8; inputs.len()];
        let mut forward = Vec::new();
        let mut exits = Vec::new();
        for (i, r) in sphinx::peel_batch(&mix, &params, &inputs)
            .into_iter()
            .enumerate()
        {
            match r.and_then(|(tag, p)| cache.check_and_insert(&tag).map(|()| p)) {
                Ok(sphinx::ProcessedPacket::Forward { next_hop, packet }) => {
                    forward.push((next_hop, packet));
                    status[i] = 0;
                }
                Ok(p) => {
                    exits.extend(sphinx::to_output(p).ok());
                    status[i] = 1;
                }
                Err(_) => {}
            }
        }
        sphinx::shuffle(&mut forward, &mut OsRng);
        sphinx::shuffle(&mut exits, &mut OsRng);
        let mut out = Vec::with_capacity(forward.len() * params.packet_len());
        let mut hops = Vec::with_capacity(forward.len() * 16);
        for (h, p) in &forward {
            hops.extend_from_slice(&h.0);
            out.extend_from_slice(p.as_bytes());
        }
        if status.contains(&3) {
            return Err("a packet was rejected".into());
        }
        Ok((out, hops, status, exits))
    })?;
    r.insert("sphinx_hop_bytes".into(), json!(per / n as f64));
    // Zeus: the endpoint parameters and the voter secret parsed from their texts per
    // call, as `zeusEncryptBallot(params, voterSecret, ...)`, `zeusProcess` and
    // `zeusVerify` do
    let sid = "bench";
    let t = zeus::TrusteeSecret::generate(&mut rng);
    let tk = t.publish(sid, &mut rng);
    let pk_hex = t.public_key().to_hex();
    let zp_json = json!({"session_id": sid, "election_public_key": pk_hex, "trustees": [tk]});
    let zp_of = || serde_json::from_value::<zeus::ZeusParams>(zp_json.clone()).map_err(e);
    let zp = zp_of()?;
    let voter = zeus::VoterSecret::generate(&mut rng);
    let voter_hex = voter.to_hex();
    r.insert(
        "ballot_encrypt".into(),
        json!(time_us(budget, || {
            let zp = zp_of()?;
            let v = zeus::VoterSecret::from_hex(&voter_hex).map_err(e)?;
            zeus::encrypt_ballot(&zp, &v, b"ballot", &mut OsRng)
                .map(|b| b.to_text())
                .map_err(e)
        })?),
    );
    ballot_bench::ballots(&mut r, budget, &zp_json, &voter_hex)?;
    let cts: Vec<String> = (0..n)
        .map(|_| {
            zeus::encrypt_ballot(&zp, &voter, b"ballot", &mut OsRng).map(|b| b.ciphertext.to_text())
        })
        .collect::<Result<_, _>>()
        .map_err(e)?;
    let mixed = zeus::backend::process(zeus::EndpointType::ZeusTwMix, &zp, None, &cts, &mut rng)
        .map_err(e)?;
    let per = time_us(budget, || {
        let zp = zp_of()?;
        zeus::backend::process(zeus::EndpointType::ZeusTwMix, &zp, None, &cts, &mut OsRng)
            .map_err(e)
    })?;
    r.insert("tw_shuffle_prove_per_ct".into(), json!(per / n as f64));
    let per = time_us(budget, || {
        let zp = zp_of()?;
        zeus::backend::verify_deterministic(
            zeus::EndpointType::ZeusTwMix,
            &zp,
            &cts,
            &mixed.outputs,
            &mixed.proof,
        )
        .map_err(e)
    })?;
    r.insert("tw_verify_per_ct".into(), json!(per / n as f64));
    // Ed25519 (domain-separated, as every envelope): parsing `key_data` (hex decoding,
    // point decompression, weak-key check) as `new VerifyingKey(keyData)`, and
    // verification with the parsed key as `VerifyingKey.verify`
    let kp = Keypair::generate(&mut rng);
    let key_data = kp.key_data();
    let m = vec![b'm'; 256];
    let sig = kp.sign(panoramix_core::Domain::Envelope, &m);
    r.insert(
        "ed25519_parse".into(),
        json!(time_us(budget, || {
            panoramix_core::identity::PublicKey::from_key_data(&key_data).map_err(e)
        })?),
    );
    let pubk = panoramix_core::identity::PublicKey::from_key_data(&key_data).map_err(e)?;
    r.insert(
        "ed25519_verify".into(),
        json!(time_us(budget, || {
            pubk.verify(panoramix_core::Domain::Envelope, &m, &sig)
                .map_err(e)
        })?),
    );
    Ok(
        json!({"n": n, "unit": "us", "threads": std::env::var("RAYON_NUM_THREADS").unwrap_or_default(), "results": r}),
    )
}

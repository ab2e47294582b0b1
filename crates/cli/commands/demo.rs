//! `panoramix demo`: the whole system on the embedded default, in one process. A
//! controller on a loopback port (SQLite in the output directory), contributors
//! that set a mix-net up through negotiations and run their agents, and a crowd
//! of clients: one Sphinx cycle and one Zeus election, verified, with a summary.
//! The election has a candidate list and a voter list (one credential per ballot,
//! each simulated voter casting with its own); its whole transcript is written to
//! `DIR/election.json` for `panoramix verify-election`.

use anyhow::{Context, bail};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use panoramix_client::Client;
use panoramix_core::Keypair;
use panoramix_core::audit;
use panoramix_core::wire::Message;
use panoramix_mixnet::agent::{Agent, AgentState};
use panoramix_mixnet::backend::Secrets;
use panoramix_mixnet::election;
use panoramix_mixnet::mixnet::{Election, MixnetSpec};
use panoramix_mixnet::sender::{SendError, Sender};
use panoramix_mixnet::setup;
use panoramix_zeus::{Outcome, VoterSecret};
use serde_json::{Value as Json, json};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

mod controller;
mod summary;
use controller::LocalController;
use summary::{peak_rss, print_summary};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Messages through the Sphinx mix-net (0 to skip).
    #[arg(long, default_value_t = 2000)]
    messages: usize,
    /// Ballots in the Zeus election (0 to skip). Each voter casts with a credential of
    /// its own; up to 900 ballots the credentials are the election's voter list (part
    /// of the mix-net's description, which the controller bounds at 64 KiB), beyond
    /// that the election runs without one (any credential may cast, once).
    #[arg(long, default_value_t = 800)]
    ballots: usize,
    /// Contributors (mixes, trustees).
    #[arg(long, default_value_t = 3)]
    contributors: usize,
    /// Trustees of the Zeus election (default: --contributors; at most 10). Without
    /// --threshold they are the contributors; with it they are peers apart from
    /// the --contributors mixers.
    #[arg(long)]
    trustees: Option<usize>,
    /// Threshold trustees: any this many of them can tally the election (a key
    /// generation among the trustees makes the election key; default: all of them).
    #[arg(long)]
    threshold: Option<u32>,
    /// With --threshold: this many trustees (the last ones) leave once they have
    /// done their part of the key generation, and never post anything at tally time.
    #[arg(long, default_value_t = 0)]
    absent: usize,
    /// Concurrent clients.
    #[arg(long, default_value_t = 8)]
    clients: usize,
    /// Output directory (default: ./panoramix-demo-<time>).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print the summary as one JSON document on stdout.
    #[arg(long)]
    json: bool,
    /// Run the controller as a process of its own (`panoramix serve` on a loopback
    /// port, same limits), so that its peak memory is measured apart from the
    /// contributors' and clients' (`controller_peak_rss_bytes` in the summary).
    #[arg(long)]
    controller_process: bool,
}

/// The most voter credentials whose voter list fits in the mix-net's description.
const MAX_VOTER_LIST: usize = 900;

struct Bars {
    multi: MultiProgress,
    on: bool,
}

impl Bars {
    fn new() -> Bars {
        let on = std::io::stderr().is_terminal();
        let multi = MultiProgress::with_draw_target(if on {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        });
        Bars { multi, on }
    }

    fn bar(&self, len: u64, msg: &str) -> ProgressBar {
        let pb = self.multi.add(ProgressBar::new(len));
        pb.set_style(
            ProgressStyle::with_template("{msg:>28} [{bar:30}] {pos}/{len} {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        pb.set_message(msg.to_owned());
        pb
    }

    fn say(&self, s: &str) {
        if self.on {
            let _ = self.multi.println(s);
        } else {
            errln!("{s}");
        }
    }
}

struct AgentRun {
    crypto: Duration,
    busy: Duration,
    refused: Vec<String>,
}

fn contributor_secrets(backend: &str) -> (Keypair, Secrets) {
    let mut rng = rand_core::OsRng;
    let kp = Keypair::generate(&mut rng);
    let s = if backend == "SPHINXMIX" {
        Secrets::new(Some(panoramix_sphinx::MixKeyPair::generate(&mut rng)), None)
    } else {
        Secrets::new(
            None,
            Some(panoramix_zeus::TrusteeSecret::generate(&mut rng)),
        )
    };
    (kp, s)
}

/// Fresh contributors (or trustees) registered with their backend keys.
fn register_people(
    url: &str,
    spec: &MixnetSpec,
    role: &str,
    n: usize,
) -> anyhow::Result<Vec<(Client, Secrets)>> {
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let (k, s) = contributor_secrets(&spec.backend);
        let c = Client::connect(url, k)?;
        setup::register(&c, &format!("{}-{role}{i}", spec.name), &spec.backend, &s)?;
        out.push((c, s));
    }
    Ok(out)
}

/// Set a mix-net up among `n` fresh contributors and start their agents. With
/// `trustees` (threshold elections), that many trustees apart from them are
/// registered first and named in the description (`params.TRUSTEES`); the last
/// `absent` of them leave once the key generation is done.
fn start_mixnet(
    url: &str,
    spec: &mut MixnetSpec,
    n: usize,
    trustees: usize,
    absent: usize,
    bars: &Bars,
    stop: Arc<AtomicBool>,
) -> anyhow::Result<(String, Vec<std::thread::JoinHandle<AgentRun>>)> {
    let apart = register_people(url, spec, "trustee", trustees)?;
    if trustees > 0 {
        let ids: Vec<String> = apart.iter().map(|(c, _)| c.id()).collect();
        spec.params["TRUSTEES"] = json!(ids);
    }
    let spec = &*spec;
    let people = register_people(url, spec, "contributor", n)?;
    let clients: Vec<&Client> = people.iter().map(|(c, _)| c).collect();
    let (neg, invitations) = setup::create(clients[0], spec, n - 1)?;
    bars.say(&format!(
        "  {}: {} invitations issued, e.g. {}",
        spec.name,
        invitations.len(),
        invitations.first().map_or("(none)", String::as_str)
    ));
    for (c, inv) in clients[1..].iter().zip(&invitations) {
        let (proposed, _) = setup::proposal(c, inv)?;
        if &proposed != spec {
            bail!("the proposal changed in transit");
        }
        setup::join(c, inv, &proposed)?;
    }
    setup::propose_joint(clients[0], &neg, spec, &invitations)?.context("not everyone joined")?;
    for c in &clients[1..] {
        setup::confirm_joint(c, spec)?;
    }
    let joint = setup::finish(clients[0], &spec.name)?.context("joint peer not created")?;
    bars.say(&format!(
        "  {}: joint peer {} with {n} owners{}",
        spec.name,
        &joint[..16],
        if trustees > 0 {
            format!(" and {trustees} trustees apart from them")
        } else {
            String::new()
        }
    ));
    let mut handles = Vec::new();
    for (c, s) in people {
        handles.push(spawn_agent(c, s, &joint, None, stop.clone())?);
    }
    for (i, (c, s)) in apart.into_iter().enumerate() {
        // an absent trustee leaves once its part of the key generation is done
        // (its verdict given and processed): nothing at tally time
        let leave = (i >= trustees - absent).then(|| spec.dkg_ep(&format!("verdict{i}")));
        handles.push(spawn_agent(c, s, &joint, leave, stop.clone())?);
    }
    Ok((joint, handles))
}

/// Start a contributor's agent on the mix-net `joint` for one cycle; it
/// leaves early once `leave_after` is PROCESSED.
fn spawn_agent(
    c: Client,
    s: Secrets,
    joint: &str,
    leave_after: Option<String>,
    stop: Arc<AtomicBool>,
) -> anyhow::Result<std::thread::JoinHandle<AgentRun>> {
    let st = AgentState {
        mixnet: joint.to_owned(),
        cycle: 1,
        max_cycles: 1,
        ..Default::default()
    };
    let mut agent = Agent::new(c, s, st, None)?;
    Ok(std::thread::spawn(move || {
        let mut busy = Duration::ZERO;
        let mut refused = Vec::new();
        while !stop.load(Ordering::Relaxed) {
            let t0 = Instant::now();
            let r = agent.step();
            busy += t0.elapsed();
            match r {
                Ok(s) => {
                    refused.extend(s.events.into_iter().filter(|e| e.starts_with("REFUSED")));
                    let gone = leave_after.as_ref().is_some_and(|id| {
                        agent.client().endpoint(id).is_ok_and(|ep| {
                            ep.status == panoramix_core::model::EndpointStatus::Processed
                        })
                    });
                    if s.finished || gone {
                        break;
                    }
                    if !s.acted {
                        // wake on the controller's next change (at least 20 ms on)
                        let ms = Duration::from_millis;
                        agent.wait_for_change(ms(20), ms(1000), ms(20));
                    }
                }
                Err(e) => {
                    tracing::warn!("agent: {e}; retrying");
                    std::thread::sleep(Duration::from_millis(200));
                }
            }
        }
        AgentRun {
            crypto: agent.crypto_time(),
            busy,
            refused,
        }
    }))
}

/// Send `count` messages from `clients` concurrent clients, message `i` by
/// `send(sender, i)`; returns the time taken.
fn crowd(
    url: &str,
    joint: &str,
    count: usize,
    clients: usize,
    pb: &ProgressBar,
    send: impl Fn(&Sender, usize) -> Result<Message, SendError> + Sync,
) -> anyhow::Result<Duration> {
    let probe = Sender::new(
        Client::connect(url, Keypair::generate(&mut rand_core::OsRng))?,
        joint,
    )?;
    let deadline = Instant::now() + Duration::from_secs(60);
    while !probe.is_open(1) {
        if Instant::now() > deadline {
            bail!("the contributors did not open the first cycle");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let t0 = Instant::now();
    let next = AtomicU64::new(0);
    let (next, send) = (&next, &send);
    std::thread::scope(|s| -> anyhow::Result<()> {
        let mut hs = Vec::new();
        for _ in 0..clients.max(1) {
            let pb = pb.clone();
            hs.push(s.spawn(move || -> anyhow::Result<()> {
                let sender = Sender::new(
                    Client::connect(url, Keypair::generate(&mut rand_core::OsRng))?,
                    joint,
                )?;
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                    if i >= count {
                        return Ok(());
                    }
                    send(&sender, i)?;
                    pb.inc(1);
                }
            }));
        }
        for h in hs {
            h.join()
                .map_err(|_| anyhow::anyhow!("a client thread panicked"))??;
        }
        Ok(())
    })?;
    Ok(t0.elapsed())
}

fn wait_result(
    sender: &Sender,
    pb: &ProgressBar,
    timeout: Duration,
) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let deadline = Instant::now() + timeout;
    let spec = sender.spec().clone();
    loop {
        if let Some(r) = sender.results(1)? {
            return Ok(r);
        }
        if Instant::now() > deadline {
            bail!(
                "the {} cycle did not complete within {timeout:?}",
                spec.name
            );
        }
        if let Ok(ep) = sender.client().endpoint(&spec.result(1)) {
            pb.set_message(format!("{} {}", spec.result(1), ep.status.as_str()));
        }
        pb.tick();
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn finish_agents(
    handles: Vec<std::thread::JoinHandle<AgentRun>>,
) -> anyhow::Result<(Duration, Duration)> {
    let (mut crypto, mut busy) = (Duration::ZERO, Duration::ZERO);
    for h in handles {
        let r = h.join().map_err(|_| anyhow::anyhow!("an agent panicked"))?;
        if let Some(e) = r.refused.first() {
            bail!("a contributor refused to co-sign: {e}");
        }
        crypto += r.crypto;
        busy += r.busy;
    }
    Ok((crypto, busy))
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    if a.contributors < 1 || a.contributors > 5 {
        bail!("--contributors must be between 1 and 5");
    }
    let n = a.trustees.unwrap_or(a.contributors);
    if !(1..=10).contains(&n) {
        bail!("--trustees must be between 1 and 10");
    }
    match a.threshold {
        Some(t) if t < 1 || t as usize > n => {
            bail!("--threshold must be between 1 and --trustees ({n})")
        }
        Some(t) if a.absent > n - t as usize => {
            bail!(
                "--absent {} leaves fewer than --threshold {t} trustees",
                a.absent
            )
        }
        None if a.absent > 0 => bail!("--absent needs --threshold"),
        _ => {}
    }
    let out = a.out.clone().unwrap_or_else(|| {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        PathBuf::from(format!("panoramix-demo-{t}"))
    });
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let bars = Bars::new();
    bars.say(&format!("panoramix demo: output in {}", out.display()));

    let controller = if a.controller_process {
        LocalController::spawn(&out)?
    } else {
        LocalController::start(&out)?
    };
    let url = controller.url.clone();
    bars.say(&format!("controller listening on {url}"));
    let stop = Arc::new(AtomicBool::new(false));
    let mut summary = json!({"controller": url, "output": out.display().to_string(), "contributors": a.contributors});
    if a.messages > 0 {
        summary["sphinx"] = run_sphinx(&a, &url, &bars, &stop)?;
        summary["sphinx"]["controller_peak_rss_bytes"] = json!(controller.peak_rss());
    }
    if a.ballots > 0 {
        summary["zeus"] = run_election(&a, &url, &out, &bars, &stop)?;
        summary["zeus"]["controller_peak_rss_bytes"] = json!(controller.peak_rss());
    }
    stop.store(true, Ordering::Relaxed);
    summary["audit"] = check_audit_log(&url, &out, &bars)?;
    summary["agreements"] = export_agreements(&url, &out, &bars)?;
    std::fs::write(
        out.join("summary.json"),
        serde_json::to_string_pretty(&summary)?,
    )?;
    controller.stop()?;
    summary["bytes_on_disk"] = json!(dir_size(&out));
    summary["remove_with"] = json!(format!("rm -r {}", out.display()));

    if a.json {
        outln!("{}", serde_json::to_string(&summary)?);
    } else {
        print_summary(&summary);
    }
    Ok(ExitCode::SUCCESS)
}

/// The Sphinx cycle: a mix-net among the contributors, `a.messages` messages
/// from a crowd of clients, every one delivered once in mixed order. Returns
/// its part of the summary.
fn run_sphinx(a: &Args, url: &str, bars: &Bars, stop: &Arc<AtomicBool>) -> anyhow::Result<Json> {
    bars.say(&format!(
        "SPHINXMIX: {} contributors set up a mix-net",
        a.contributors
    ));
    let mut spec = MixnetSpec {
        name: "chat".into(),
        backend: "SPHINXMIX".into(),
        params: json!({"BODY_LEN": 1024, "MAX_HOPS": 5}),
        size_min: a.messages as i64,
        size_max: a.messages as i64,
        close_after: None,
        election_public_key: None,
        terms: "demo".into(),
        graph: None,
        previous: None,
        reconfiguration: None,
        election: None,
    };
    let (joint, agents) = start_mixnet(url, &mut spec, a.contributors, 0, 0, bars, stop.clone())?;
    let payloads: Vec<Vec<u8>> = (0..a.messages)
        .map(|i| format!("anonymous message #{i:05}").into_bytes())
        .collect();
    let t0 = Instant::now();
    let pb = bars.bar(a.messages as u64, "sending Sphinx packets");
    let send_time = crowd(url, &joint, payloads.len(), a.clients, &pb, |s, i| {
        s.send(1, "everyone", &payloads[i])
    })?;
    pb.finish();
    let pb = bars.bar(1, "mixing");
    let sender = Sender::new(
        Client::connect(url, Keypair::generate(&mut rand_core::OsRng))?,
        &joint,
    )?;
    let result = wait_result(&sender, &pb, Duration::from_secs(600))?;
    pb.finish();
    let total = t0.elapsed();
    let (crypto, busy) = finish_agents(agents)?;
    let got: Vec<Vec<u8>> = result.iter().map(|(_, m)| m.clone()).collect();
    let (mut s1, mut s2) = (got.clone(), payloads.clone());
    s1.sort();
    s2.sort();
    if s1 != s2 {
        bail!(
            "SPHINXMIX: the output is not the input ({} out, {} in)",
            got.len(),
            payloads.len()
        );
    }
    if got == payloads && got.len() > 2 {
        bail!("SPHINXMIX: the output is in input order");
    }
    bars.say(&format!(
        "  {} messages out, every one delivered once, in mixed order",
        got.len()
    ));
    Ok(json!({
        "messages": a.messages, "hops": a.contributors,
        "send_secs": send_time.as_secs_f64(), "total_secs": total.as_secs_f64(),
        "messages_per_sec": a.messages as f64 / total.as_secs_f64(),
        "agent_busy_secs": busy.as_secs_f64(), "agent_crypto_secs": crypto.as_secs_f64(),
        "crypto_share": crypto.as_secs_f64() / busy.as_secs_f64().max(1e-9), "peak_rss_bytes": peak_rss(),
        "first_outputs": got.iter().take(3).map(|m| String::from_utf8_lossy(m).into_owned()).collect::<Vec<_>>(),
    }))
}

/// The Zeus election: a mix-net among the contributors (mixers and trustees),
/// `a.ballots` ballots each cast with its voter's own credential, the tally
/// checked against the cast votes and the whole transcript collected,
/// verified and written to `out/election.json`. Returns its part of the
/// summary.
fn run_election(
    a: &Args,
    url: &str,
    out: &std::path::Path,
    bars: &Bars,
    stop: &Arc<AtomicBool>,
) -> anyhow::Result<Json> {
    let n = a.trustees.unwrap_or(a.contributors);
    bars.say(&match a.threshold {
        None => format!("ZEUS: {n} trustees set up an election"),
        Some(t) => format!(
            "ZEUS: {} mixers and {n} trustees apart from them set up an election any {t} trustees can tally (key generation first); {} trustees leave after the key generation",
            a.contributors, a.absent
        ),
    });
    // one credential per voter: the public parts are the election's voter list
    let options = ["yes", "no", "abstain"];
    let voter_list = a.ballots <= MAX_VOTER_LIST;
    if !voter_list {
        bars.say(&format!(
            "  {} credentials do not fit in the description ({} bytes at most): no voter list, any credential may cast",
            a.ballots,
            panoramix_mixnet::setup::MAX_DESCRIPTION_BYTES
        ));
    }
    let voters: Vec<VoterSecret> = (0..a.ballots)
        .map(|_| VoterSecret::generate(&mut rand_core::OsRng))
        .collect();
    let spec = MixnetSpec {
        name: "election".into(),
        backend: "ZEUS".into(),
        params: match a.threshold {
            None => json!({"MIX_PROOF": "TW", "SK_ROUNDS": 128}),
            Some(t) => json!({"MIX_PROOF": "TW", "SK_ROUNDS": 128, "THRESHOLD": t}),
        },
        size_min: a.ballots as i64,
        size_max: a.ballots as i64,
        close_after: None,
        election_public_key: None,
        terms: "demo".into(),
        graph: None,
        previous: None,
        reconfiguration: None,
        election: Some(Election {
            question: "Should the demo run again?".into(),
            options: options.iter().map(|o| o.to_string()).collect(),
            voters: if voter_list {
                voters.iter().map(|v| v.public().to_hex()).collect()
            } else {
                Vec::new()
            },
        }),
    };
    // n-of-n: the owners are the trustees; threshold: the contributors mix and
    // the trustees are apart from them (an absent one holds nothing up)
    let (mixers, apart) = match a.threshold {
        None => (n, 0),
        Some(_) => (a.contributors, n),
    };
    let mut spec = spec;
    let (joint, agents) =
        start_mixnet(url, &mut spec, mixers, apart, a.absent, bars, stop.clone())?;
    let payloads: Vec<Vec<u8>> = (0..a.ballots)
        .map(|i| options[(i * 7 + i / 3) % 3].as_bytes().to_vec())
        .collect();
    // the booth opens once the first cycle's graph is agreed (with threshold
    // trustees, after the key generation)
    let open_secs = {
        let probe = Sender::new(
            Client::connect(url, Keypair::generate(&mut rand_core::OsRng))?,
            &joint,
        )?;
        let (t, deadline) = (Instant::now(), Instant::now() + Duration::from_secs(120));
        while !probe.is_open(1) {
            if Instant::now() > deadline {
                bail!("the booth did not open within 120 s");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        t.elapsed().as_secs_f64()
    };
    if a.threshold.is_some() {
        bars.say(&format!(
            "  key generation among {n} trustees done: the booth opened {open_secs:.2} s after the agents started"
        ));
    }
    let t0 = Instant::now();
    let pb = bars.bar(a.ballots as u64, "casting encrypted ballots");
    // every simulated voter casts with its own credential
    let cast_time = crowd(url, &joint, payloads.len(), a.clients, &pb, |s, i| {
        s.send_ballot(1, &voters[i], &payloads[i])
    })?;
    pb.finish();
    let pb = bars.bar(1, "mixing, decrypting");
    let sender = Sender::new(
        Client::connect(url, Keypair::generate(&mut rand_core::OsRng))?,
        &joint,
    )?;
    let result = wait_result(&sender, &pb, Duration::from_secs(1800))?;
    pb.finish();
    let total = t0.elapsed();
    let (crypto, busy) = finish_agents(agents)?;
    // the whole election, as auditors receive it (collect verifies it first)
    let t1 = Instant::now();
    let transcript = election::collect(sender.client(), sender.spec(), &joint, 1)
        .context("collecting the election transcript")?;
    let file = out.join("election.json");
    election::write_atomic(&file, &election::transcript_json(&transcript))
        .with_context(|| format!("writing {}", file.display()))?;
    let transcript_time = t1.elapsed();
    let spoiled = transcript
        .plaintexts
        .iter()
        .filter(|o| matches!(o, Outcome::Spoiled(_)))
        .count();
    let tally = check_tally(&transcript.plaintexts, &result, &payloads)?;
    bars.say(&format!(
        "  tally {tally:?}: equals the cast votes; every proof verified by the next stage"
    ));
    bars.say(&format!(
        "  election transcript verified and written to {}; check it: panoramix verify-election {}",
        file.display(),
        file.display()
    ));
    Ok(json!({
        "ballots": a.ballots, "mixers": mixers, "trustees": n, "threshold": a.threshold, "absent": a.absent, "booth_open_secs": open_secs,
        "cast_secs": cast_time.as_secs_f64(), "total_secs": total.as_secs_f64(),
        "agent_busy_secs": busy.as_secs_f64(), "agent_crypto_secs": crypto.as_secs_f64(),
        "crypto_share": crypto.as_secs_f64() / busy.as_secs_f64().max(1e-9), "peak_rss_bytes": peak_rss(),
        "tally": tally, "spoiled": spoiled, "voter_list": if voter_list { voters.len() } else { 0 },
        "transcript": file.display().to_string(), "transcript_secs": transcript_time.as_secs_f64(),
    }))
}

/// The election's published result must be the transcript's plaintexts, and
/// its tally the cast votes; returns the tally.
fn check_tally(
    plaintexts: &[Outcome],
    result: &[(String, Vec<u8>)],
    payloads: &[Vec<u8>],
) -> anyhow::Result<std::collections::BTreeMap<String, usize>> {
    let published: Vec<&[u8]> = plaintexts
        .iter()
        .filter_map(|o| match o {
            Outcome::Plaintext(p) => Some(p.as_slice()),
            Outcome::Spoiled(_) => None,
        })
        .collect();
    let mut from_result: Vec<&[u8]> = result.iter().map(|(_, m)| m.as_slice()).collect();
    let mut from_transcript = published.clone();
    from_result.sort();
    from_transcript.sort();
    if from_result != from_transcript {
        bail!("ZEUS: the transcript's plaintexts are not the published result");
    }
    let mut tally = std::collections::BTreeMap::new();
    for (_, m) in result {
        *tally
            .entry(String::from_utf8_lossy(m).into_owned())
            .or_insert(0usize) += 1;
    }
    let mut expected = std::collections::BTreeMap::new();
    for p in payloads {
        *expected
            .entry(String::from_utf8_lossy(p).into_owned())
            .or_insert(0usize) += 1;
    }
    if tally != expected {
        bail!("ZEUS: the tally {tally:?} is not the cast votes {expected:?}");
    }
    Ok(tally)
}

/// Anyone can check the controller's whole audit log: fetch it, verify it and
/// the signed head, and write it to `out/audit-log.json`. Returns its part of
/// the summary.
fn check_audit_log(url: &str, out: &std::path::Path, bars: &Bars) -> anyhow::Result<Json> {
    let (records, head) = panoramix_client::audit_log(&panoramix_client::agent(), url)?;
    let checked = audit::verify_log(&records).map_err(|b| anyhow::anyhow!("audit log: {b}"))?;
    if !head.verify() {
        bail!("the controller's signature on the audit head does not verify");
    }
    std::fs::write(out.join("audit-log.json"), serde_json::to_string(&records)?)?;
    bars.say(&format!(
        "audit log verified: {} entries, {} signatures, {} consensus ids recomputed",
        checked.entries, checked.signatures, checked.consensuses
    ));
    Ok(
        json!({"entries": checked.entries, "signatures": checked.signatures, "consensuses": checked.consensuses, "applications": checked.applications, "head": checked.head}),
    )
}

/// Every agreement the demo's contributors reached (each closed negotiation), one
/// file per consensus in `out/agreements/`. Returns its part of the summary.
fn export_agreements(url: &str, out: &std::path::Path, bars: &Bars) -> anyhow::Result<Json> {
    let client = Client::connect(url, Keypair::generate(&mut rand_core::OsRng))?;
    let all: Vec<panoramix_core::wire::Negotiation> =
        client.get_all("/panoramix/negotiations/?limit=1000")?;
    let dir = out.join("agreements");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut files = 0;
    for n in &all {
        if super::agreement::write(&dir, "", n)?.is_some() {
            files += 1;
        }
    }
    bars.say(&format!(
        "{files} signed agreements written to {}",
        dir.display()
    ));
    Ok(json!({"dir": dir.display().to_string(), "files": files}))
}

/// The bytes of the files under `dir` (what `rm -r dir` frees).
fn dir_size(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir).map_or(0, |entries| {
        entries
            .flatten()
            .map(|e| match e.metadata() {
                Ok(m) if m.is_dir() => dir_size(&e.path()),
                Ok(m) => m.len(),
                Err(_) => 0,
            })
            .sum()
    })
}

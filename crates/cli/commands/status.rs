//! `panoramix status` and `panoramix doctor` for contributors.

use super::contributor::{CONFIG_HELP, ContributorConfig, existing_path};
use panoramix_core::model::EndpointStatus;
use panoramix_core::wire::Endpoint;
use panoramix_mixnet::mixnet::MixnetSpec;
use panoramix_mixnet::setup;
use serde_json::{Value as Json, json};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[arg(long, env = "PANORAMIX_CONFIG", help = CONFIG_HELP)]
    config: Option<PathBuf>,
    /// The controller's URL (default: the configured one).
    #[arg(long, env = "PANORAMIX_URL")]
    url: Option<String>,
    /// One JSON document on stdout.
    #[arg(long)]
    json: bool,
}

/// What `panoramix status` reports (`--json`: this, as one JSON document).
struct Status {
    /// The membership file read.
    config: String,
    peer: String,
    registered: bool,
    joined: Option<String>,
    /// A set-up in progress: the answers its coordinator ignores (signer, why).
    ignored: Vec<(String, String)>,
    mixnet: Option<MixnetStatus>,
    /// The configured mix-net when a reconfiguration replaced it (`mixnet` is its
    /// newest successor).
    configured: Option<String>,
    cycle: Option<u64>,
    endpoints: Option<Vec<EndpointStatusRow>>,
    /// The mix-net's membership (rule, proposals, join requests), as JSON and lines.
    membership: Option<(Json, Vec<String>)>,
}

impl Status {
    /// `{config, peer, registered, joined?, mixnet?: {id, name, backend, owners}, configured?,
    /// cycle?, endpoints?: [{endpoint, type, status, inbox}]}`.
    fn to_json(&self) -> Json {
        let mut out =
            json!({"config": self.config, "peer": self.peer, "registered": self.registered});
        if let Some(j) = &self.joined {
            out["joined"] = json!(j);
        }
        if !self.ignored.is_empty() {
            let ignored = self.ignored.iter();
            out["ignored"] = ignored
                .map(|(s, why)| json!({"signer": s, "reason": why}))
                .collect();
        }
        if let Some(m) = &self.mixnet {
            out["mixnet"] =
                json!({"id": m.id, "name": m.name, "backend": m.backend, "owners": m.owners});
        }
        if let Some(c) = &self.configured {
            out["configured"] = json!(c);
        }
        if let Some(c) = self.cycle {
            out["cycle"] = json!(c);
        }
        if let Some(eps) = &self.endpoints {
            out["endpoints"] = eps
                .iter()
                .map(|e| json!({"endpoint": e.endpoint, "type": e.type_, "status": e.status.as_str(), "inbox": e.inbox}))
                .collect();
        }
        if let Some((m, _)) = &self.membership {
            out["membership"] = m.clone();
        }
        out
    }
}

struct MixnetStatus {
    id: String,
    name: String,
    backend: String,
    owners: usize,
}

struct EndpointStatusRow {
    endpoint: String,
    type_: String,
    status: EndpointStatus,
    inbox: i64,
}

/// Who has joined, and the state of each endpoint of the newest cycle.
pub fn status(a: Args) -> anyhow::Result<ExitCode> {
    let mut cfg = ContributorConfig::open(&existing_path(a.config)?)?;
    let key = cfg.identity()?;
    let client = match cfg.connect(a.url, key) {
        Ok(c) => c,
        Err(e) => {
            let f = crate::out::Failure::of(&e);
            errln!("panoramix: {}", f.message);
            return Ok(ExitCode::from(f.code));
        }
    };
    let mut out = Status {
        config: cfg.path().display().to_string(),
        peer: client.id(),
        registered: client.peer(&client.id()).is_ok(),
        joined: None,
        ignored: Vec::new(),
        mixnet: None,
        configured: None,
        cycle: None,
        endpoints: None,
        membership: None,
    };
    if let (Some(neg), Some(Json::Array(invs))) =
        (cfg.get_str("NEGOTIATION"), cfg.get("INVITATIONS").cloned())
    {
        // only answers with a valid, unused invitation count
        let invs: Vec<String> = invs
            .iter()
            .filter_map(|i| i.as_str().map(str::to_owned))
            .collect();
        let progress = setup::join_progress(&client, &neg, &invs)?;
        out.joined = Some(format!("{}/{}", progress.joined.len() + 1, invs.len() + 1));
        out.ignored = (progress.ignored.into_iter())
            .map(|i| (i.signer, i.reason))
            .collect();
    }
    if let Some(configured) = cfg.get_str("MIXNET") {
        // the newest successor: a reconfiguration replaces the configured mix-net
        let m = setup::current(&client, &configured)?;
        if m != configured {
            out.configured = Some(configured);
        }
        let peer = client.peer(&m)?;
        let spec: MixnetSpec = serde_json::from_value(peer.crypto_params.clone())?;
        let mut cycle = 1;
        while client.endpoint(&spec.entry(cycle + 1)).is_ok() {
            cycle += 1;
        }
        let prefix = format!("{}-{cycle}-", spec.name);
        let eps = client.get_page::<Endpoint>(&format!(
            "/panoramix/endpoints/?limit=1000&after={}",
            panoramix_client::pct(&prefix)
        ))?;
        out.endpoints = Some(
            eps.data
                .into_iter()
                .filter(|e| e.endpoint_id.starts_with(&prefix))
                .map(|e| EndpointStatusRow {
                    endpoint: e.endpoint_id,
                    type_: e.endpoint_type,
                    status: e.status,
                    inbox: e.inbox_count,
                })
                .collect(),
        );
        out.cycle = Some(cycle);
        out.membership = Some(super::wizard::status_section(&client, &m)?);
        out.mixnet = Some(MixnetStatus {
            id: m,
            name: spec.name,
            backend: spec.backend,
            owners: peer.owners.len(),
        });
    }
    // a newcomer's join request, until it is a member
    if out.membership.is_none()
        && let Some(asked) = cfg.get_str("JOIN_MIXNET")
    {
        let m = setup::current(&client, &asked)?;
        out.membership = Some(super::wizard::status_section(&client, &m)?);
    }
    if a.json {
        outln!("{}", out.to_json());
        return Ok(ExitCode::SUCCESS);
    }
    outln!("membership: {}", out.config);
    outln!(
        "peer {} ({})",
        out.peer,
        if out.registered {
            "registered"
        } else {
            "not registered"
        }
    );
    if let Some(j) = &out.joined {
        outln!("joined: {j}");
    }
    for (signer, why) in &out.ignored {
        outln!("ignored the answer of {signer}: {why}");
    }
    if let (Some(c), Some(m)) = (&out.configured, &out.mixnet) {
        outln!(
            "mix-net {c} (configured in {}) was reconfigured: showing its successor {}",
            cfg.path().display(),
            m.id
        );
    }
    if let (Some(m), Some(cycle)) = (&out.mixnet, out.cycle) {
        outln!(
            "mix-net {} ({}, {} owners), cycle {cycle}",
            m.name,
            m.backend,
            m.owners
        );
        for e in out.endpoints.iter().flatten() {
            outln!(
                "  {:<28} {:<24} {:<10} inbox {}",
                e.endpoint,
                e.type_,
                e.status.as_str(),
                e.inbox
            );
        }
    }
    for line in out.membership.iter().flat_map(|(_, l)| l) {
        outln!("{line}");
    }
    Ok(ExitCode::SUCCESS)
}

/// Reachability, clock skew, and whether the local key is the registered peer's.
pub fn doctor(a: Args) -> anyhow::Result<ExitCode> {
    let mut cfg = ContributorConfig::open(&existing_path(a.config)?)?;
    let mut problems = 0;
    outln!("ok: the membership file {} reads", cfg.path().display());
    let key = cfg.identity()?;
    let client = match cfg.connect(a.url, key) {
        Ok(c) => {
            outln!("ok: the controller answers at {}", c.base());
            c
        }
        Err(e) => {
            let f = crate::out::Failure::of(&e);
            outln!("problem: {}", f.message);
            return Ok(ExitCode::from(f.code));
        }
    };
    let info = client.controller_info()?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let skew = (info.ts - now).abs();
    let max = info.limits.max_skew_secs;
    if skew * 2 > max {
        outln!("problem: this clock is {skew} s off the controller's (it accepts {max} s)");
        problems += 1;
    } else {
        outln!("ok: clock skew {skew} s (the controller accepts {max} s)");
    }
    match client.peer(&client.id()) {
        Ok(p) if p.key_data == client.key().key_data() => {
            outln!("ok: the local key is registered as peer {}", client.id());
        }
        Ok(_) => {
            outln!(
                "problem: the registered peer {} has another key",
                client.id()
            );
            problems += 1;
        }
        Err(_) => {
            outln!(
                "problem: the local key {} is not registered (run `panoramix wizard`)",
                client.id()
            );
            problems += 1;
        }
    }
    if let Some(configured) = cfg.get_str("MIXNET") {
        let m = match setup::current(&client, &configured) {
            Ok(m) => m,
            Err(e) => {
                outln!("problem: the successors of mix-net {configured}: {e}");
                return Ok(ExitCode::from(1));
            }
        };
        if m != configured {
            outln!(
                "ok: mix-net {configured} (configured in {}) was reconfigured: checking its successor {m}",
                cfg.path().display()
            );
        }
        match client.peer(&m) {
            Ok(p) if p.owner_ids().contains(&client.id()) => {
                outln!("ok: an owner of mix-net {m}");
            }
            Ok(_) => {
                outln!("problem: not an owner of mix-net {m}");
                problems += 1;
            }
            Err(e) => {
                outln!("problem: mix-net {m}: {e}");
                problems += 1;
            }
        }
    }
    Ok(if problems == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

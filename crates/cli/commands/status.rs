//! `panoramix status` and `panoramix doctor` for contributors.

use super::contributor::{ContributorConfig, default_path};
use panoramix_core::wire::Endpoint;
use panoramix_mixnet::mixnet::MixnetSpec;
use serde_json::{Value as Json, json};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Contributor configuration file.
    #[arg(long, env = "PANORAMIX_CONFIG")]
    config: Option<PathBuf>,
    /// The controller's URL (default: the configured one).
    #[arg(long, env = "PANORAMIX_URL")]
    url: Option<String>,
    /// One JSON document on stdout.
    #[arg(long)]
    json: bool,
}

/// Who has joined, and the state of each endpoint of the newest cycle.
pub fn status(a: Args) -> anyhow::Result<ExitCode> {
    let mut cfg = ContributorConfig::load(&a.config.unwrap_or_else(default_path))?;
    let client = match cfg.client(a.url) {
        Ok(c) => c,
        Err(e) => {
            errln!("panoramix: {e:#}");
            return Ok(ExitCode::from(4));
        }
    };
    let mut out = json!({"peer": client.id(), "registered": client.peer(&client.id()).is_ok()});
    if let (Some(neg), Some(Json::Array(invs))) =
        (cfg.get_str("NEGOTIATION"), cfg.get("INVITATIONS").cloned())
    {
        let joined = client.contributions(&neg)?.len().saturating_sub(1);
        out["joined"] = json!(format!("{}/{}", joined + 1, invs.len() + 1));
    }
    if let Some(m) = cfg.get_str("MIXNET") {
        let peer = client.peer(&m)?;
        let spec: MixnetSpec = serde_json::from_value(peer.crypto_params.clone())?;
        let owners = peer.owners.len();
        out["mixnet"] =
            json!({"id": m, "name": spec.name, "backend": spec.backend, "owners": owners});
        let mut cycle = 1;
        while client.endpoint(&spec.entry(cycle + 1)).is_ok() {
            cycle += 1;
        }
        let prefix = format!("{}-{cycle}-", spec.name);
        let eps = client.get_page::<Endpoint>(&format!(
            "/panoramix/endpoints/?limit=1000&after={}",
            panoramix_client::pct(&prefix)
        ))?;
        let list: Vec<Json> = eps
            .data
            .into_iter()
            .filter(|e| e.endpoint_id.starts_with(&prefix))
            .map(|e| json!({"endpoint": e.endpoint_id, "type": e.endpoint_type, "status": e.status, "inbox": e.inbox_count}))
            .collect();
        out["cycle"] = json!(cycle);
        out["endpoints"] = json!(list);
    }
    if a.json {
        outln!("{out}");
    } else {
        outln!(
            "peer {} ({})",
            out["peer"].as_str().unwrap_or(""),
            if out["registered"] == true {
                "registered"
            } else {
                "not registered"
            }
        );
        if let Some(j) = out.get("joined") {
            outln!("joined: {}", j.as_str().unwrap_or(""));
        }
        if let Some(m) = out.get("mixnet") {
            outln!(
                "mix-net {} ({}, {} owners), cycle {}",
                m["name"].as_str().unwrap_or(""),
                m["backend"].as_str().unwrap_or(""),
                m["owners"],
                out["cycle"]
            );
            for e in out["endpoints"].as_array().cloned().unwrap_or_default() {
                outln!(
                    "  {:<28} {:<24} {:<10} inbox {}",
                    e["endpoint"].as_str().unwrap_or(""),
                    e["type"].as_str().unwrap_or(""),
                    e["status"].as_str().unwrap_or(""),
                    e["inbox"]
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Reachability, clock skew, and whether the local key is the registered peer's.
pub fn doctor(a: Args) -> anyhow::Result<ExitCode> {
    let mut cfg = ContributorConfig::load(&a.config.unwrap_or_else(default_path))?;
    let mut problems = 0;
    let client = match cfg.client(a.url) {
        Ok(c) => {
            outln!("ok: the controller answers at {}", c.base());
            c
        }
        Err(e) => {
            outln!("problem: {e:#}");
            return Ok(ExitCode::from(4));
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
    if let Some(m) = cfg.get_str("MIXNET") {
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

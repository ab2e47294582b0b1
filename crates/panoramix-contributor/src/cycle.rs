//! One step at the level of cycles: read the mix-net, move past completed
//! cycles (following a reconfiguration to the successor), then make sure the
//! current cycle's endpoints exist and handle each of them.

use panoramix_core::canonical::{self, Value};
use panoramix_core::model::EndpointStatus;
use panoramix_core::negotiation::Text;
use panoramix_core::wire::{Negotiation, NegotiationStatus};
use serde_json::Value as Json;

use crate::api::Action;
use crate::formation::{Old, epoch_secs};
use crate::io::{Halt, StepError};
use crate::machine::Exec;
use crate::spec::MixnetSpec;

/// What a step knows of the mix-net.
pub(crate) struct Ctx {
    pub(crate) joint: String,
    pub(crate) owners: Vec<String>,
    pub(crate) spec: MixnetSpec,
    /// Zeus: the trustees (the owners, or a threshold election's
    /// `params.TRUSTEES`), in trustee order.
    pub(crate) trustee_ids: Vec<String>,
    /// Zeus: their published trustee key records, in the same order.
    pub(crate) trustees: Vec<Json>,
    /// What the endpoints the trustees make themselves must be (their key
    /// generation and partial decryptions, [`crate::dkg`]): a source that
    /// differs is not taken.
    pub(crate) made: Vec<Json>,
}

impl Ctx {
    pub(crate) fn coordinator(&self) -> &str {
        &self.owners[0]
    }
}

fn ctx(ex: &mut Exec) -> Result<Ctx, Halt> {
    let joint = ex.state.mixnet.clone();
    let peer = ex.api.peer(&joint)?;
    let owners = peer.owner_ids();
    if owners.is_empty() {
        return Err(StepError::State(format!("{joint} is not a joint peer")).into());
    }
    let spec: MixnetSpec = serde_json::from_value(peer.crypto_params.clone()).map_err(|e| {
        StepError::State(format!(
            "the joint peer's crypto_params are not a mix-net description: {e}"
        ))
    })?;
    let mut trustees = Vec::new();
    let trustee_ids = spec.trustee_ids(&owners);
    if spec.backend == "ZEUS" {
        let who = if spec.params.get("TRUSTEES").is_some() {
            "trustee"
        } else {
            "owner"
        };
        for o in &trustee_ids {
            let p = ex.api.peer_opt(o)?;
            match p.as_ref().and_then(|p| p.crypto_params.get("trustee_key")) {
                Some(k) if !k.is_null() => trustees.push(k.clone()),
                _ => {
                    return Err(
                        StepError::State(format!("{who} {o} published no trustee key")).into(),
                    );
                }
            }
        }
    }
    Ok(Ctx {
        joint,
        owners,
        spec,
        trustee_ids,
        trustees,
        made: Vec::new(),
    })
}

/// An agreed successor.
struct Successor {
    /// The action creating it, and the consensus that agreed on it.
    action: Action,
    cid: String,
    /// Its id and owners.
    id: String,
    owners: Vec<String>,
    /// When it was agreed (controller clock, seconds since the epoch).
    agreed_at: Option<i64>,
}

/// The successor to follow: the first agreement in `successor:<joint>` whose
/// signatures satisfy the mix-net's reconfiguration rule ([`Old`]); others
/// are ignored.
fn agreed_successor(cx: &Ctx, all: &[Negotiation]) -> Result<Option<Successor>, Halt> {
    let old = Old {
        joint: &cx.joint,
        owners: &cx.owners,
        spec: &cx.spec,
    };
    let Some((n, id, owners)) = old.agreed_peer(all) else {
        return Ok(None);
    };
    let (Some(text), Some(cid)) = (&n.text, &n.consensus) else {
        return Ok(None);
    };
    let text =
        Text::parse(text).map_err(|e| StepError::State(format!("the successor agreement: {e}")))?;
    Ok(Some(Successor {
        action: Action::from_part(&text.body, "POST", "/panoramix/peers/"),
        cid: cid.clone(),
        id,
        owners,
        agreed_at: n.timestamp.as_deref().and_then(epoch_secs),
    }))
}

/// Continue with the agreed successor `s` after cycle `c`, `done` or
/// abandoned; `Ok(true)`: the step ends here.
fn follow(ex: &mut Exec, c: u64, done: bool, s: Successor) -> Result<bool, Halt> {
    let me = ex.api.me();
    let next = s.id;
    let end = if done {
        format!("cycle {c} complete")
    } else {
        format!(
            "cycle {c} abandoned: the successor removes an owner and the cycle did not complete in time"
        )
    };
    if !s.owners.contains(&me) {
        ex.state.completed += u64::from(done);
        ex.save()?;
        ex.event(end);
        ex.event(format!(
            "left the mix-net: its successor {next} does not include this contributor"
        ));
        ex.st.finished = true;
        return Ok(true);
    }
    if ex.api.peer_opt(&next)?.is_none() {
        // an owner of the successor creates it from the consensus
        match ex.api.apply(&s.action, &s.cid, None)? {
            Ok(_) => ex.st.acted = true,
            Err(r) if r.status == 409 => {}
            Err(r) => {
                return Err(StepError::State(format!(
                    "creating the successor {next}: {} {}",
                    r.status,
                    r.code().unwrap_or("unknown")
                ))
                .into());
            }
        }
        if ex.api.peer_opt(&next)?.is_none() {
            return Ok(true);
        }
    }
    ex.state.completed += u64::from(done);
    ex.state.processed.clear();
    // nothing of the predecessor is needed again
    ex.learned.forget.push(String::new());
    ex.event(end);
    ex.event(format!("continuing with the successor mix-net {next}"));
    ex.state.mixnet = next;
    ex.state.cycle = 1;
    ex.save()?;
    ex.st.acted = true;
    Ok(true)
}

/// Move past completed cycles; `Ok(true)` when the step ends here.
fn complete_cycles(ex: &mut Exec, cx: &Ctx) -> Result<bool, Halt> {
    let title = format!("successor:{}", cx.joint);
    loop {
        let c = ex.state.cycle;
        if !result_processed(ex, cx, c)? {
            // a successor that removes an owner takes effect once the cycle
            // in progress had the rule's grace to complete: a removed owner
            // that is dead would keep it from ever completing
            let all = ex.api.negotiations(&title)?;
            warn_removal(ex, cx, &all)?;
            let grace = cx.spec.reconfiguration.unwrap_or_default().grace();
            let now = ex.api.now();
            if let Some(s) = agreed_successor(cx, &all)?
                && cx.owners.iter().any(|o| !s.owners.contains(o))
                && s.agreed_at.is_some_and(|t| now - t >= grace)
            {
                return follow(ex, c, false, s);
            }
            return Ok(false);
        }
        if ex.state.max_cycles != 0 && ex.state.completed + 1 >= ex.state.max_cycles {
            ex.st.finished = true;
            return Ok(true);
        }
        // a reconfiguration takes effect from the next cycle
        let all = ex.api.negotiations(&title)?;
        let agreed = agreed_successor(cx, &all)?;
        let me = ex.api.me();
        let asked = |n: &Negotiation| {
            n.status == NegotiationStatus::Open
                && n.participants.as_ref().is_some_and(|p| p.contains(&me))
        };
        if agreed.is_none() && all.iter().any(asked) {
            return Ok(true);
        }
        match agreed {
            Some(s) => return follow(ex, c, true, s),
            None => {
                ex.state.completed += 1;
                let prefix = format!("{}-{c}-", cx.spec.name);
                ex.state.processed.retain(|k, _| !k.starts_with(&prefix));
                ex.learned.forget.push(prefix);
                ex.event(format!("cycle {c} complete"));
                ex.state.cycle += 1;
                ex.save()?;
            }
        }
    }
}

/// Tell, once each, about the open successor proposals by an owner that
/// leave this owner out (it is being removed and not asked to sign).
fn warn_removal(ex: &mut Exec, cx: &Ctx, all: &[Negotiation]) -> Result<(), Halt> {
    let me = ex.api.me();
    for n in all {
        let left_out = n.status == NegotiationStatus::Open
            && n.participants.as_ref().is_some_and(|p| !p.contains(&me));
        if !left_out || ex.known.warned.contains(&n.id) || ex.learned.warned.contains(&n.id) {
            continue;
        }
        let first = ex.api.contributions(&n.id)?.first().cloned();
        if let Some(by) = first
            .map(|c| c.signer_key_id)
            .filter(|b| cx.owners.contains(b))
        {
            ex.event(format!(
                "this contributor is being removed by {by}: the successor proposed in {} leaves it out (it is not asked to sign)",
                n.id
            ));
        }
        ex.learned.warned.insert(n.id.clone());
    }
    Ok(())
}

pub(crate) fn result_processed(ex: &mut Exec, cx: &Ctx, c: u64) -> Result<bool, Halt> {
    Ok(matches!(ex.api.endpoint(&cx.spec.result(c))?,
        Some(ep) if ep.status == EndpointStatus::Processed))
}

/// One step.
pub(crate) fn step(ex: &mut Exec) -> Result<(), Halt> {
    let mut cx = ctx(ex)?;
    let me = ex.api.me();
    if !cx.owners.contains(&me) {
        if cx.spec.threshold().is_some() && cx.trustee_ids.contains(&me) {
            return crate::dkg::trustee_step(ex, &mut cx);
        }
        return Err(StepError::State(
            "this key is neither an owner nor a trustee of the mix-net".into(),
        )
        .into());
    }
    if complete_cycles(ex, &cx)? {
        return Ok(());
    }
    let c = ex.state.cycle;
    // threshold trustees: no cycle before the key generation gave the key
    let key = match cx.spec.threshold() {
        Some(_) => match crate::dkg::key(ex, &mut cx)? {
            Some(k) => Some(k),
            None => return Ok(()),
        },
        None => None,
    };
    let mut graph = cx.spec.graph(&cx.joint, &cx.owners, &cx.trustees, c);
    if let Some(k) = &key {
        cx.spec.apply_key(&mut graph, k, &cx.owners);
        cx.made = cx.spec.partial_decryptions(&graph, &cx.owners, c);
    }
    let mut endpoints = Vec::with_capacity(graph.len());
    for g in &graph {
        let id = g["endpoint_id"].as_str().unwrap_or_default();
        match ex.api.endpoint(id)? {
            Some(ep) => endpoints.push(ep),
            None => return crate::endpoint::ensure_graph(ex, &cx, c, &graph),
        }
    }
    for ep in &endpoints {
        crate::endpoint::handle(ex, &cx, ep)?;
    }
    if key.is_some() && cx.trustee_ids.contains(&me) {
        crate::dkg::tally(ex, &cx, c)?;
    }
    Ok(())
}

/// The `data` of one part of an agreed text, as JSON.
pub(crate) fn data_of(part: &Value) -> Json {
    canonical::to_json(part.get("data").unwrap_or(&Value::Null))
}

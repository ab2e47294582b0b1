//! One step at the level of cycles: read the mix-net, move past completed
//! cycles (following a reconfiguration to the successor), then make sure the
//! current cycle's endpoints exist and handle each of them.

use panoramix_core::canonical::{self, Value};
use panoramix_core::model::EndpointStatus;
use panoramix_core::negotiation::Text;
use panoramix_core::wire::{Negotiation, NegotiationStatus};
use serde_json::Value as Json;

use crate::api::Action;
use crate::io::{Halt, StepError};
use crate::machine::Exec;
use crate::spec::MixnetSpec;

/// What a step knows of the mix-net.
pub(crate) struct Ctx {
    pub(crate) joint: String,
    pub(crate) owners: Vec<String>,
    pub(crate) spec: MixnetSpec,
    /// Zeus: the owners' published trustee key records, in owner order.
    pub(crate) trustees: Vec<Json>,
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
    if spec.backend == "ZEUS" {
        for o in &owners {
            let p = ex.api.peer(o)?;
            match p.crypto_params.get("trustee_key") {
                Some(k) if !k.is_null() => trustees.push(k.clone()),
                _ => {
                    return Err(
                        StepError::State(format!("owner {o} published no trustee key")).into(),
                    );
                }
            }
        }
    }
    Ok(Ctx {
        joint,
        owners,
        spec,
        trustees,
    })
}

/// The successor the owners agreed on (its id and owners), whether or not it
/// exists yet, from the DONE negotiations titled `successor:<joint>`.
fn agreed_successor(done: &[Negotiation]) -> Result<Option<(Action, String)>, Halt> {
    for n in done {
        let (Some(text), Some(cid)) = (&n.text, &n.consensus) else {
            continue;
        };
        let text = Text::parse(text)
            .map_err(|e| StepError::State(format!("the successor agreement: {e}")))?;
        let a = Action::from_part(&text.body, "POST", "/panoramix/peers/");
        return Ok(Some((a, cid.clone())));
    }
    Ok(None)
}

/// Move past completed cycles; `Ok(true)` when the step ends here.
fn complete_cycles(ex: &mut Exec, cx: &Ctx) -> Result<bool, Halt> {
    let me = ex.api.me();
    loop {
        let c = ex.state.cycle;
        match ex.api.endpoint(&cx.spec.result(c))? {
            Some(ep) if ep.status == EndpointStatus::Processed => {}
            _ => return Ok(false),
        }
        if ex.state.max_cycles != 0 && ex.state.completed + 1 >= ex.state.max_cycles {
            ex.st.finished = true;
            return Ok(true);
        }
        // a reconfiguration takes effect from the next cycle
        let pending = ex.api.negotiations(&format!("successor:{}", cx.joint))?;
        if pending.iter().any(|n| n.status == NegotiationStatus::Open) {
            return Ok(true);
        }
        let done: Vec<Negotiation> = pending
            .into_iter()
            .filter(|n| n.status == NegotiationStatus::Done)
            .collect();
        match agreed_successor(&done)? {
            Some((action, cid)) => {
                let next = action.data["peer_id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                let owners: Vec<String> = serde_json::from_value(action.data["owners"].clone())
                    .map_err(|e| StepError::State(format!("the successor's owners: {e}")))?;
                if !owners.contains(&me) {
                    ex.state.completed += 1;
                    ex.save()?;
                    ex.event(format!("cycle {c} complete"));
                    ex.event(format!(
                        "left the mix-net: its successor {next} does not include this contributor"
                    ));
                    ex.st.finished = true;
                    return Ok(true);
                }
                if ex.api.peer_opt(&next)?.is_none() {
                    // an owner of the successor creates it from the consensus
                    match ex.api.apply(&action, &cid, None)? {
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
                ex.state.completed += 1;
                ex.state.processed.clear();
                ex.event(format!("cycle {c} complete"));
                ex.event(format!("continuing with the successor mix-net {next}"));
                ex.state.mixnet = next;
                ex.state.cycle = 1;
                ex.save()?;
                ex.st.acted = true;
                return Ok(true);
            }
            None => {
                ex.state.completed += 1;
                let prefix = format!("{}-{c}-", cx.spec.name);
                ex.state.processed.retain(|k, _| !k.starts_with(&prefix));
                ex.event(format!("cycle {c} complete"));
                ex.state.cycle += 1;
                ex.save()?;
            }
        }
    }
}

/// One step.
pub(crate) fn step(ex: &mut Exec) -> Result<(), Halt> {
    let cx = ctx(ex)?;
    let me = ex.api.me();
    if !cx.owners.contains(&me) {
        return Err(StepError::State("this key is not an owner of the mix-net".into()).into());
    }
    if complete_cycles(ex, &cx)? {
        return Ok(());
    }
    let c = ex.state.cycle;
    let graph = cx.spec.graph(&cx.joint, &cx.owners, &cx.trustees, c);
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
    Ok(())
}

/// The `data` of one part of an agreed text, as JSON.
pub(crate) fn data_of(part: &Value) -> Json {
    canonical::to_json(part.get("data").unwrap_or(&Value::Null))
}

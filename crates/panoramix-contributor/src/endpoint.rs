//! One endpoint of the current cycle: creating the agreed graph, closing an
//! OPEN endpoint with its input, and producing or checking a CLOSED one's
//! output, by the kind of processing its type needs.

use std::collections::HashSet;
use std::sync::Arc;

use panoramix_core::backend::{EndpointView, Msg, Processed, Processing};
use panoramix_core::canonical::{self, Value};
use panoramix_core::model::{EndpointStatus, MsgBox, message_hash};
use panoramix_core::negotiation::Text;
use panoramix_core::wire::{Endpoint, Link, Message};
use serde_json::{Value as Json, json};

use crate::api::Action;
use crate::cycle::{Ctx, data_of};
use crate::deadline::Rule;
use crate::io::{Halt, StepError};
use crate::machine::Exec;
use crate::negotiate::{apply_agreed, complain, negotiate, output_hashes, transition, upload};

fn msgs(items: &[Message]) -> Vec<Msg> {
    items.iter().map(Msg::from).collect()
}

/// Agree on the cycle's graph (all its endpoints in one negotiation), then
/// create the endpoints this contributor owns (the coordinator: the joint ones).
pub(crate) fn ensure_graph(ex: &mut Exec, cx: &Ctx, c: u64, graph: &[Json]) -> Result<(), Halt> {
    ensure_graph_titled(ex, cx, &format!("graph:{}:{c}", cx.joint), graph)
}

/// [`ensure_graph`] for the graph agreed in the negotiation `title`.
pub(crate) fn ensure_graph_titled(
    ex: &mut Exec,
    cx: &Ctx,
    title: &str,
    graph: &[Json],
) -> Result<(), Halt> {
    let propose = |ex: &mut Exec| graph.iter().map(|g| ex.api.endpoint_action(g)).collect();
    // a graph of one endpoint is agreed as that one action, not a list
    let parts_of = |body: &Value| -> Option<Vec<Value>> {
        match body {
            Value::List(parts) => Some(parts.clone()),
            one if graph.len() == 1 => Some(vec![one.clone()]),
            _ => None,
        }
    };
    let check = |t: &Text| -> Result<(), String> {
        let Some(parts) = parts_of(&t.body) else {
            return Err("graph proposal is not a list".into());
        };
        if parts.len() != graph.len() {
            return Err("graph proposal has the wrong number of endpoints".into());
        }
        for (p, g) in parts.iter().zip(graph) {
            let mut want = g.clone();
            want["status"] = json!("OPEN");
            let want = canonical::from_json(&want).map_err(|e| e.to_string())?;
            if p.get("data") != Some(&want) {
                return Err(format!(
                    "endpoint {} differs from the agreed graph",
                    g["endpoint_id"]
                ));
            }
            if p.get("info")
                .and_then(|i| i.get("resource"))
                .and_then(Value::as_str)
                != Some("endpoint")
            {
                return Err("graph proposal contains something other than endpoints".into());
            }
        }
        Ok(())
    };
    let Some((text, cid)) = negotiate(ex, cx, title, &propose, &check)? else {
        return Ok(());
    };
    let me = ex.api.me();
    let Some(parts) = parts_of(&text.body) else {
        return Ok(());
    };
    let single = !matches!(text.body, Value::List(_));
    for (i, p) in parts.iter().enumerate() {
        let data = data_of(p);
        let peer = data["peer_id"].as_str().unwrap_or_default();
        let id = data["endpoint_id"].as_str().unwrap_or_default().to_owned();
        let mine = peer == me || (peer == cx.joint && cx.coordinator() == me);
        if !mine || ex.api.endpoint(&id)?.is_some() {
            continue;
        }
        let a = Action::from_part(p, "POST", "/panoramix/endpoints/");
        apply_agreed(ex, &a, &cid, (!single).then_some(i as u32))?;
        ex.event(format!("created {id}"));
    }
    Ok(())
}

/// Check a PROCESSED source's output (once); a failure files a complaint.
fn verify_source(ex: &mut Exec, src: &Endpoint) -> Result<bool, Halt> {
    let id = src.endpoint_id.clone();
    if ex.known.verified.contains(&id) || ex.learned.verified.contains(&id) {
        return Ok(true);
    }
    let inputs = ex.box_of(src, MsgBox::Accepted)?;
    let outputs = ex.box_of(src, MsgBox::Outbox)?;
    let verdict = match ex.computed.verify.get(&id) {
        Some(v) => v.clone(),
        None => {
            let view = EndpointView::from(src);
            let proof = src.proof_text();
            let (inputs, outputs) = (msgs(&inputs), msgs(&outputs));
            let v = ex
                .timed(|b, rng| b.verify(&view, &inputs, &outputs, &proof, rng))
                .map_err(|e| e.to_string());
            ex.computed.verify.insert(id.clone(), v.clone());
            v
        }
    };
    match verdict {
        Ok(()) => {
            ex.learned.verified.insert(id);
            Ok(true)
        }
        Err(reason) => {
            complain(ex, &id, &reason)?;
            Ok(false)
        }
    }
}

/// An entry endpoint (no INBOX link) closes with its first `size_max`
/// admissible messages once at least `size_min` wait (with the mix-net's
/// `close_after`: once `size_max` wait, or at the deadline; [`Rule`]).
fn close_entry(ex: &mut Exec, cx: &Ctx, ep: &Endpoint) -> Result<(), Halt> {
    let rule = Rule::of(&cx.spec, ep);
    let (size_min, size_max, now) = (ep.size_min, ep.size_max, ex.api.now());
    // too few messages, or (waiting for a deadline) not full and not yet due:
    // nothing to read
    if ep.inbox_count < size_min || !rule.closes(ep.inbox_count as usize, 0, size_max, now) {
        return Ok(());
    }
    let id = &ep.endpoint_id;
    let selection = match ex.kept_selection(ep) {
        Some(s) => s,
        None => {
            let inbox = ex.box_of(ep, MsgBox::Inbox)?;
            let key = (
                id.clone(),
                inbox.len(),
                inbox
                    .last()
                    .map(|m| m.message_hash.clone())
                    .unwrap_or_default(),
            );
            let ok = match ex.computed.admissible.get(&key) {
                Some(ok) => ok.clone(),
                None => {
                    let texts: Vec<&str> = inbox.iter().map(|m| m.text.as_str()).collect();
                    let view = EndpointView::from(ep);
                    let ok = ex.timed(|b, _| b.admissible(&view, &texts));
                    ex.computed.admissible.insert(key, ok.clone());
                    ok
                }
            };
            let take = usize::try_from(ep.size_max).unwrap_or(0);
            let selection: Vec<String> = inbox
                .iter()
                .zip(&ok)
                .filter(|(_, a)| **a)
                .map(|(m, _)| m.message_hash.clone())
                .take(take)
                .collect();
            ex.keep_selection(ep, inbox.len(), selection)
        }
    };
    if !rule.closes(selection.len(), size_min, size_max, now) {
        return Ok(());
    }
    let check = |d: &Json| -> Result<(), String> {
        let p: Vec<String> =
            serde_json::from_value(d["message_hashes"].clone()).map_err(|e| e.to_string())?;
        rule.accepts(p.len(), size_min, size_max, now)?;
        if selection.len() >= p.len() && selection[..p.len()] == p[..] {
            Ok(())
        } else {
            Err("the selection is not the first admissible messages of the inbox".into())
        }
    };
    transition(ex, cx, ep, "CLOSED", &selection, None, &check)
}

/// A linked endpoint takes over every source's published box (after
/// verifying it) into its INBOX and closes with exactly that; one that closes
/// with a quorum ([`crate::dkg::quorum`], an own endpoint) takes the sources
/// that are ready and verified once there are enough of them. The controller
/// copies the boxes itself (a take-over); one without the route gets them
/// uploaded.
fn close_linked(ex: &mut Exec, cx: &Ctx, ep: &Endpoint, inbox_links: &[&Link]) -> Result<(), Halt> {
    let id = &ep.endpoint_id;
    let quorum = crate::dkg::quorum(cx, ep);
    let mut sources = Vec::new();
    for l in inbox_links {
        let Some(src) = ex.api.endpoint(&l.from_endpoint_id)? else {
            if quorum.is_some() {
                continue;
            }
            return Ok(());
        };
        let ready = match l.from_box {
            MsgBox::Accepted => src.status != EndpointStatus::Open,
            _ => src.status == EndpointStatus::Processed,
        };
        // an endpoint a trustee made itself counts only as agreed
        let ready = ready && crate::dkg::as_agreed(ex, cx, &src)?;
        if !ready || (l.from_box == MsgBox::Outbox && !verify_source(ex, &src)?) {
            if quorum.is_some() {
                continue;
            }
            return Ok(());
        }
        let msgs = ex.box_of(&src, l.from_box)?;
        sources.push((l.from_endpoint_id.as_str(), msgs));
    }
    if let Some(t) = quorum {
        // a source counts once it adds something (a trustee that republished
        // another's partial decryption adds nothing)
        let mut seen: HashSet<&str> = HashSet::new();
        let distinct = sources
            .iter()
            .filter(|(_, s)| {
                s.iter()
                    .fold(false, |new, m| seen.insert(m.text.as_str()) | new)
            })
            .count();
        if distinct < t {
            ex.event(format!(
                "{id} waits for a quorum: {distinct} of the {t} trustees' partial decryptions needed are published and verified"
            ));
            return Ok(());
        }
    }
    let present = if ep.inbox_count == 0 {
        Arc::new(Vec::new())
    } else {
        ex.box_of(ep, MsgBox::Inbox)?
    };
    // the INBOX a take-over makes: what is there, then every source message
    // whose text is not there yet, source by source
    let mut have: HashSet<&str> = present.iter().map(|m| m.text.as_str()).collect();
    let mut after: Vec<String> = present.iter().map(|m| m.message_hash.clone()).collect();
    let mut missing: Vec<(&str, &str, &str, Option<i64>)> = Vec::new();
    for m in sources.iter().flat_map(|(_, s)| s.iter()) {
        if have.insert(m.text.as_str()) {
            after.push(message_hash(None, &m.sender, &m.recipient, &m.text));
            missing.push((&m.sender, &m.recipient, &m.text, None));
        }
    }
    let hashes: Vec<String> = if missing.is_empty() {
        after
    } else {
        let names: Vec<&str> = sources.iter().map(|(n, _)| *n).collect();
        let stated = panoramix_core::boxes::box_hash(&after);
        ex.st.acted = true;
        match ex.api.take_over(id, &names, after.len(), &stated)? {
            Some(true) => after,
            // the INBOX changed under us: read it again next step
            Some(false) => return Ok(()),
            None => {
                ex.api.upload_box(id, MsgBox::Inbox, &missing)?;
                let inbox = ex.api.messages(id, MsgBox::Inbox)?;
                inbox.iter().map(|m| m.message_hash.clone()).collect()
            }
        }
    };
    if hashes.len() == have.len() && !hashes.is_empty() {
        let check = |d: &Json| -> Result<(), String> {
            if d["message_hashes"] == json!(hashes) {
                Ok(())
            } else {
                Err("not the linked input".into())
            }
        };
        transition(ex, cx, ep, "CLOSED", &hashes, None, &check)?;
    }
    Ok(())
}

fn proof_json(p: &Processed) -> Option<Json> {
    (!p.proof.is_empty()).then(|| json!(p.proof))
}

/// An own endpoint: process once (kept in the state before the upload, so a
/// restart uploads the same outputs), upload, and move to PROCESSED.
fn process_own(ex: &mut Exec, cx: &Ctx, ep: &Endpoint) -> Result<(), Halt> {
    let id = ep.endpoint_id.clone();
    let me = ex.api.me();
    let processed = match ex.state.processed.get(&id) {
        Some(p) => p.clone(),
        None => {
            let inputs = ex.box_of(ep, MsgBox::Accepted)?;
            let p = match ex.computed.own.get(&id) {
                Some(p) => p.clone(),
                None => {
                    let view = EndpointView::from(ep);
                    let ins = msgs(&inputs);
                    let p = Arc::new(ex.timed(|b, rng| b.process(&view, &ins, rng))?);
                    ex.computed.own.insert(id.clone(), p.clone());
                    p
                }
            };
            ex.state.processed.insert(id.clone(), p.clone());
            ex.state.backend_state = ex.backend.save_state().map(hex::encode);
            ex.save()?;
            ex.event(format!(
                "processed {id}: {} in, {} out, {} dropped",
                inputs.len(),
                p.outputs.len(),
                p.dropped.len()
            ));
            p
        }
    };
    let hashes = upload(ex, &id, &me, &processed)?;
    transition(
        ex,
        cx,
        ep,
        "PROCESSED",
        &hashes,
        proof_json(&processed),
        &|_| Ok(()),
    )
}

/// A joint endpoint whose output is a function of its agreed input: the
/// coordinator computes and uploads, every owner recomputes and co-signs only
/// the identical output and proof.
fn recompute(ex: &mut Exec, cx: &Ctx, ep: &Endpoint) -> Result<(), Halt> {
    let id = ep.endpoint_id.clone();
    let known = ex
        .known
        .recomputed
        .get(&id)
        .or_else(|| ex.learned.recomputed.get(&id))
        .cloned();
    let p = match known {
        Some(p) => p,
        None => {
            let inputs = ex.box_of(ep, MsgBox::Accepted)?;
            let p = match ex.computed.recompute.get(&id) {
                Some(p) => p.clone(),
                None => {
                    let view = EndpointView::from(ep);
                    let ins = msgs(&inputs);
                    let p = Arc::new(ex.timed(|b, rng| b.process(&view, &ins, rng))?);
                    ex.computed.recompute.insert(id.clone(), p.clone());
                    p
                }
            };
            ex.learned.recomputed.insert(id.clone(), p.clone());
            p
        }
    };
    let joint = cx.joint.clone();
    let hashes = output_hashes(ex, &id, &joint, &p);
    if cx.coordinator() == ex.api.me() {
        upload(ex, &id, &cx.joint, &p)?;
    } else if ex.api.messages(&id, MsgBox::Processbox)?.len() < hashes.len() {
        return Ok(());
    }
    let check = |d: &Json| -> Result<(), String> {
        let got_proof = match &d["process_proof"] {
            Json::String(s) => s.clone(),
            Json::Null => String::new(),
            o => o.to_string(),
        };
        if d["message_hashes"] != json!(hashes) {
            return Err("the proposed output is not what the agreed input gives".into());
        }
        if got_proof != p.proof {
            return Err("the proposed proof is not what the agreed input gives".into());
        }
        Ok(())
    };
    transition(ex, cx, ep, "PROCESSED", &hashes, proof_json(&p), &check)
}

/// A joint endpoint whose PROCESSBOX a link fills: every owner checks that
/// the output is exactly the linked source's published box.
fn collect(ex: &mut Exec, cx: &Ctx, ep: &Endpoint) -> Result<(), Halt> {
    let id = ep.endpoint_id.clone();
    let Some(l) = ep.links.iter().find(|l| l.to_box == MsgBox::Processbox) else {
        return Ok(());
    };
    let Some(src) = ex.api.endpoint(&l.from_endpoint_id)? else {
        return Ok(());
    };
    if src.status != EndpointStatus::Processed || !verify_source(ex, &src)? {
        return Ok(());
    }
    let list = ex.box_of(&src, l.from_box)?;
    let mut out: Vec<&Message> = list.iter().collect();
    out.sort_by_key(|m| m.serial);
    let hashes: Vec<String> = out
        .iter()
        .enumerate()
        .map(|(i, m)| message_hash(Some(i as i64), &m.sender, &m.recipient, &m.text))
        .collect();
    if cx.coordinator() == ex.api.me() {
        let present = ex.api.messages(&id, MsgBox::Processbox)?;
        let have: HashSet<i64> = present.iter().filter_map(|m| m.serial).collect();
        let missing: Vec<(&str, &str, &str, Option<i64>)> = out
            .iter()
            .enumerate()
            .filter(|(i, _)| !have.contains(&(*i as i64)))
            .map(|(i, m)| {
                (
                    m.sender.as_str(),
                    m.recipient.as_str(),
                    m.text.as_str(),
                    Some(i as i64),
                )
            })
            .collect();
        if !missing.is_empty() {
            ex.api.upload_box(&id, MsgBox::Processbox, &missing)?;
            ex.st.acted = true;
        }
    } else if ex.api.messages(&id, MsgBox::Processbox)?.len() < out.len() {
        return Ok(());
    }
    let check = |d: &Json| -> Result<(), String> {
        if d["message_hashes"] == json!(hashes) {
            Ok(())
        } else {
            Err("not the linked source's output".into())
        }
    };
    transition(ex, cx, ep, "PROCESSED", &hashes, None, &check)
}

/// Do what this contributor can do for one endpoint now.
pub(crate) fn handle(ex: &mut Exec, cx: &Ctx, ep: &Endpoint) -> Result<(), Halt> {
    let me = ex.api.me();
    let joint = ep.peer_id == cx.joint;
    if !(joint || ep.peer_id == me) {
        return Ok(());
    }
    let processing = ex
        .backend
        .processing(&ep.endpoint_type)
        .map_err(StepError::from)?;
    match ep.status {
        EndpointStatus::Open => {
            let inbox_links: Vec<&Link> = ep
                .links
                .iter()
                .filter(|l| l.to_box == MsgBox::Inbox)
                .collect();
            if inbox_links.is_empty() {
                return close_entry(ex, cx, ep);
            }
            if joint && cx.coordinator() != me && processing != Processing::Recompute {
                return Ok(());
            }
            close_linked(ex, cx, ep, &inbox_links)
        }
        EndpointStatus::Closed => match processing {
            // an own endpoint is processed by its owner, whatever its type
            _ if !joint => process_own(ex, cx, ep),
            Processing::Own => Ok(()),
            Processing::Recompute => recompute(ex, cx, ep),
            Processing::Collect => collect(ex, cx, ep),
        },
        EndpointStatus::Processed => Ok(()),
    }
}

//! Agreeing among the owners: finding the negotiation a step needs, proposing
//! (the coordinator) or co-signing after checking, complaining, moving an
//! endpoint, and uploading outputs.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use panoramix_core::backend::Processed;
use panoramix_core::canonical::Value;
use panoramix_core::model::{MsgBox, message_hash};
use panoramix_core::negotiation::Text;
use panoramix_core::wire::{Endpoint, Negotiation, NegotiationStatus};
use serde_json::Value as Json;

use crate::api::{Action, text_for};
use crate::cycle::{Ctx, data_of};
use crate::io::{Halt, StepError};
use crate::machine::Exec;

/// A check of a co-owner's proposal: `Err(reason)` refuses it.
pub(crate) type Check<'c> = &'c dyn Fn(&Text) -> Result<(), String>;

/// The negotiation titled `title` among exactly the owners.
pub(crate) fn find(ex: &mut Exec, cx: &Ctx, title: &str) -> Result<Option<Negotiation>, Halt> {
    let mut want = cx.owners.clone();
    want.sort();
    Ok(ex.api.negotiations(title)?.into_iter().find(|n| {
        let mut ps = n.participants.clone().unwrap_or_default();
        ps.sort();
        ps == want
    }))
}

/// The coordinator (first owner) proposes `propose`; every owner checks the
/// proposal with `check` and signs the same text. Returns the agreed text and
/// its consensus id once the negotiation is done.
pub(crate) fn negotiate(
    ex: &mut Exec,
    cx: &Ctx,
    title: &str,
    propose: &dyn Fn(&mut Exec) -> Vec<Action>,
    check: Check,
) -> Result<Option<(Text, String)>, Halt> {
    let me = ex.api.me();
    let coordinator = cx.coordinator() == me;
    let neg = match find(ex, cx, title)? {
        Some(n) => n,
        None => {
            if coordinator {
                ex.api.create_negotiation(title, &cx.owners)?;
                ex.st.acted = true;
            }
            return Ok(None);
        }
    };
    if neg.status == NegotiationStatus::Done {
        let text = neg.text.as_deref().and_then(|t| Text::parse(t).ok());
        return Ok(text.zip(neg.consensus));
    }
    let contribs = ex.api.contributions(&neg.id)?;
    if contribs.iter().any(|c| c.signer_key_id == me) {
        return Ok(None);
    }
    if coordinator {
        let actions = propose(ex);
        let text = text_for(&actions, true, BTreeMap::new());
        let cid = ex.api.contribute(&neg.id, &text)?;
        ex.st.acted = true;
        ex.event(format!("proposed {title}"));
        return Ok(cid.and_then(|c| Text::parse(&text).ok().map(|t| (t, c))));
    }
    let Some(proposal) = contribs
        .iter()
        .find(|c| c.signer_key_id == cx.coordinator())
    else {
        return Ok(None);
    };
    let text = Text::parse(&proposal.text)
        .map_err(|e| StepError::State(format!("the proposal for {title}: {e}")))?;
    match check(&text) {
        Ok(()) => {
            let cid = ex.api.contribute(&neg.id, &proposal.text)?;
            ex.st.acted = true;
            ex.event(format!("co-signed {title}"));
            Ok(cid.map(|c| (text, c)))
        }
        Err(reason) => {
            complain(ex, title, &reason)?;
            Ok(None)
        }
    }
}

/// Record a refusal in the audit log: a signed, non-accepting contribution that
/// names what was refused and why (once per subject).
pub(crate) fn complain(ex: &mut Exec, about: &str, reason: &str) -> Result<(), Halt> {
    if ex.state.complaints.contains(about) {
        return Ok(());
    }
    let me = ex.api.me();
    let neg = ex
        .api
        .create_negotiation(&format!("complaint:{about}"), &[me])?;
    let mut meta = BTreeMap::new();
    meta.insert("accept".into(), Value::Int(0));
    let body = Value::dict([
        ("complaint", Value::str(about)),
        ("reason", Value::str(reason)),
    ]);
    ex.api.contribute(&neg, &Text::encode(body, meta))?;
    ex.event(format!("REFUSED {about}: {reason}"));
    ex.state.complaints.insert(about.to_owned());
    ex.save()?;
    ex.st.acted = true;
    Ok(())
}

/// A 409 (done by someone else) or 422 (the endpoint moved on) ends the
/// attempt quietly: the next step reads anew.
fn apply_quietly(ex: &mut Exec, a: &Action, cid: &str, part: Option<u32>) -> Result<(), Halt> {
    match ex.api.apply(a, cid, part)? {
        Ok(_) => Ok(()),
        Err(r) if matches!(r.status, 409 | 422) => Ok(()),
        Err(r) => Err(StepError::api(&a.method, &a.path, &r).into()),
    }
}

/// Apply part `part` of an agreed list (or the whole text).
pub(crate) fn apply_agreed(
    ex: &mut Exec,
    a: &Action,
    cid: &str,
    part: Option<u32>,
) -> Result<(), Halt> {
    apply_quietly(ex, a, cid, part)?;
    ex.st.acted = true;
    Ok(())
}

/// Move an endpoint to `status`: alone for an own endpoint, by negotiation
/// (checked with `check` on the proposal's data) for a joint one.
pub(crate) fn transition(
    ex: &mut Exec,
    cx: &Ctx,
    ep: &Endpoint,
    status: &str,
    hashes: &[String],
    proof: Option<Json>,
    check: &dyn Fn(&Json) -> Result<(), String>,
) -> Result<(), Halt> {
    let id = ep.endpoint_id.clone();
    let last = ep.last_consensus_id.clone();
    if ep.peer_id != cx.joint {
        let a = ex.api.transition_action(&id, &last, status, hashes, proof);
        let cid = ex
            .api
            .self_consensus(&format!("{status}:{id}"), std::slice::from_ref(&a))?;
        apply_quietly(ex, &a, &cid, None)?;
        ex.st.acted = true;
        ex.event(format!("{id} {status}"));
        return Ok(());
    }
    let title = format!("{status}:{id}:{last}");
    let propose = |ex: &mut Exec| {
        vec![
            ex.api
                .transition_action(&id, &last, status, hashes, proof.clone()),
        ]
    };
    let full_check = |t: &Text| -> Result<(), String> {
        let data = data_of(&t.body);
        if data["endpoint_id"].as_str() != Some(id.as_str())
            || data["status"].as_str() != Some(status)
        {
            return Err("proposal is for another endpoint or status".into());
        }
        check(&data)
    };
    if let Some((text, cid)) = negotiate(ex, cx, &title, &propose, &full_check)? {
        let a = Action::from_part(&text.body, "PATCH", &format!("/panoramix/endpoints/{id}/"));
        apply_agreed(ex, &a, &cid, None)?;
        ex.event(format!("{title} applied"));
    }
    Ok(())
}

/// Upload outputs to the PROCESSBOX as `sender` (skipping serials already
/// there); returns the hashes in serial order.
pub(crate) fn upload(
    ex: &mut Exec,
    id: &str,
    sender: &str,
    p: &Processed,
) -> Result<Arc<Vec<String>>, Halt> {
    let present = ex.api.messages(id, MsgBox::Processbox)?;
    let have: HashSet<i64> = present.iter().filter_map(|m| m.serial).collect();
    let missing: Vec<(&str, &str, &str, Option<i64>)> = p
        .outputs
        .iter()
        .enumerate()
        .filter(|(i, _)| !have.contains(&(*i as i64)))
        .map(|(i, o)| {
            (
                sender,
                o.recipient.as_str(),
                o.text.as_str(),
                Some(i as i64),
            )
        })
        .collect();
    if !missing.is_empty() {
        ex.api.upload_box(id, MsgBox::Processbox, &missing)?;
        ex.st.acted = true;
    }
    Ok(output_hashes(ex, id, sender, p))
}

/// The message hashes of `p`'s outputs uploaded by `sender` with serials
/// 0..n-1 (computed once per endpoint).
pub(crate) fn output_hashes(
    ex: &mut Exec,
    id: &str,
    sender: &str,
    p: &Processed,
) -> Arc<Vec<String>> {
    let key = (id.to_owned(), sender.to_owned(), p.outputs.len());
    if let Some(h) = ex.computed.hashes.get(&key) {
        return h.clone();
    }
    let h: Arc<Vec<String>> = Arc::new(
        p.outputs
            .iter()
            .enumerate()
            .map(|(i, o)| message_hash(Some(i as i64), sender, &o.recipient, &o.text))
            .collect(),
    );
    ex.computed.hashes.insert(key, h.clone());
    h
}

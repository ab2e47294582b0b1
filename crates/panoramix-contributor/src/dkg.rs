//! Threshold trustees (docs/zeus.md §3.5): a ZEUS mix-net whose description
//! sets `params.THRESHOLD = t` runs a key generation among its owners (the
//! trustees, in owner order) before its first cycle, on three endpoints of
//! the joint peer that the owners agree on like a cycle's graph:
//!
//! * `<name>-dkg-dealings` (`ZEUS_DKG_DEALINGS`, entry; only the owners post,
//!   anyone reads): each trustee posts its signed dealing; closes with one
//!   per trustee;
//! * `<name>-dkg-verdicts` (`ZEUS_DKG_VERDICTS`, entry, likewise): once the
//!   dealings are closed, each trustee posts its signed verdict (its
//!   complaints, possibly none); closes with one per trustee;
//! * `<name>-dkg-key` (`ZEUS_DKG_KEY`, linked from both ACCEPTED boxes):
//!   every owner recomputes the qualified set, the election key and the
//!   verification keys from that public record.
//!
//! Every cycle's ZEUS endpoints then carry the key generation's election key
//! and record (`election_public_key`, `dkg`), so the booth opens only with
//! that key, and the combination is an endpoint of the first owner that
//! closes once `t` trustees' partial decryptions are published and verified
//! (a trustee absent at tally time holds nothing up).

use std::sync::Arc;

use panoramix_core::backend::{EndpointView, Msg};
use panoramix_core::model::{EndpointStatus, MsgBox};
use panoramix_core::wire::Endpoint;
use serde::Serialize;
use serde_json::{Value as Json, json};

use crate::cycle::Ctx;
use crate::io::{Halt, StepError};
use crate::machine::Exec;
use crate::spec::{MixnetSpec, TRUSTEE_KEY_SESSION};

/// The stages of the key generation, in order, with their endpoint types.
const STAGES: [(&str, &str); 3] = [
    ("dealings", "ZEUS_DKG_DEALINGS"),
    ("verdicts", "ZEUS_DKG_VERDICTS"),
    ("key", "ZEUS_DKG_KEY"),
];

impl MixnetSpec {
    /// The threshold `t` of a ZEUS mix-net with threshold trustees
    /// (`params.THRESHOLD`); `None`: every trustee decrypts (n-of-n).
    pub fn threshold(&self) -> Option<u32> {
        if self.backend != "ZEUS" {
            return None;
        }
        self.params["THRESHOLD"]
            .as_u64()
            .and_then(|t| u32::try_from(t).ok())
    }

    /// The endpoint id of a stage of the key generation.
    pub fn dkg_ep(&self, stage: &str) -> String {
        format!("{}-dkg-{stage}", self.name)
    }

    /// The key generation's endpoints (`trustees`: the owners' published
    /// trustee key records, in owner order).
    pub fn dkg_graph<T: Serialize>(&self, joint: &str, trustees: &[T]) -> Vec<Json> {
        let n = trustees.len() as i64;
        let params = json!({
            "session_id": format!("{joint}/dkg"),
            "threshold": self.threshold().unwrap_or(0),
            "trustees": trustees,
            "trustee_key_session": TRUSTEE_KEY_SESSION,
        });
        let link = |stage: &str| json!({"from_endpoint_id": self.dkg_ep(stage), "from_box": "ACCEPTED", "to_box": "INBOX"});
        STAGES
            .iter()
            .map(|(stage, ty)| {
                let key = *stage == "key";
                // only the owners post (readable by anyone): a public INBOX could be
                // filled to size_max by anyone, and the key generation stopped
                json!({"endpoint_id": self.dkg_ep(stage), "peer_id": joint, "endpoint_type": ty,
                    "size_min": if key { 1 } else { n }, "size_max": 2 * n,
                    "public": false,
                    "links": if key { json!([link("dealings"), link("verdicts")]) } else { json!([]) },
                    "description": format!("threshold key generation: {stage}"),
                    "endpoint_params": params})
            })
            .collect()
    }

    /// A cycle's graph with the key generation's result `key` (the output of
    /// `<name>-dkg-key`): every ZEUS endpoint gets its election key and
    /// record; the combination becomes an endpoint of the first owner (it
    /// closes with a quorum of `t` partial decryptions, which no joint
    /// negotiation among all owners could do with trustees absent).
    pub fn apply_key(&self, graph: &mut [Json], key: &Json, owners: &[String]) {
        for g in graph.iter_mut() {
            let is_zeus = g["endpoint_type"]
                .as_str()
                .is_some_and(|t| t.starts_with("ZEUS_"));
            if !is_zeus {
                continue;
            }
            g["endpoint_params"]["election_public_key"] = key["election_public_key"].clone();
            g["endpoint_params"]["dkg"] = key["dkg"].clone();
            if g["endpoint_type"] == "ZEUS_SK_COMBINE"
                && let Some(o) = owners.first()
            {
                g["peer_id"] = json!(o);
            }
        }
    }
}

/// A description's `THRESHOLD`, if any, must be an integer `1 ≤ t ≤ n` of a
/// ZEUS mix-net with the default graph (checked when the mix-net is formed).
pub(crate) fn check_threshold(spec: &MixnetSpec, n: usize) -> Result<(), String> {
    let Some(v) = spec.params.get("THRESHOLD") else {
        return Ok(());
    };
    let t = spec.threshold().map_or(0, |t| t as usize);
    if spec.backend != "ZEUS" || spec.graph.is_some() {
        return Err("THRESHOLD needs a ZEUS mix-net with the default graph".into());
    }
    if t == 0 || t > n {
        return Err(format!(
            "THRESHOLD {v} is not an integer between 1 and the {n} owners"
        ));
    }
    Ok(())
}

/// The number of linked sources `ep` needs before it closes, when it closes
/// with a quorum instead of every source: a threshold election's combination.
pub(crate) fn quorum(cx: &Ctx, ep: &Endpoint) -> Option<usize> {
    match cx.spec.threshold() {
        Some(t) if ep.endpoint_type == "ZEUS_SK_COMBINE" => Some(t as usize),
        _ => None,
    }
}

/// Post this trustee's own message (made by the backend as `action` from
/// `inputs`, once, kept in the state before it is posted) to `ep`'s INBOX.
fn contribute(
    ex: &mut Exec,
    cx: &Ctx,
    ep: &Endpoint,
    action: &str,
    inputs: &[Msg],
) -> Result<(), Halt> {
    let key = format!("{}#mine", ep.endpoint_id);
    let p = match ex.state.processed.get(&key) {
        Some(p) => p.clone(),
        None => {
            // made once per step (a re-run of the step must post the same text)
            let p = match ex.computed.own.get(&key) {
                Some(p) => p.clone(),
                None => {
                    let view = EndpointView {
                        id: ep.endpoint_id.clone(),
                        endpoint_type: action.to_owned(),
                        params: ep.endpoint_params.clone(),
                    };
                    let p = Arc::new(ex.timed(|b, rng| b.process(&view, inputs, rng))?);
                    ex.computed.own.insert(key.clone(), p.clone());
                    p
                }
            };
            ex.state.processed.insert(key, p.clone());
            ex.save()?;
            p
        }
    };
    let Some(out) = p.outputs.first() else {
        return Err(StepError::State(format!("{action} made nothing")).into());
    };
    let inbox = ex.api.messages(&ep.endpoint_id, MsgBox::Inbox)?;
    if inbox.iter().any(|m| m.text == out.text) || posted_before(ex, cx, ep, &inbox) {
        return Ok(());
    }
    let me = ex.api.me();
    let item = [(me.as_str(), cx.joint.as_str(), out.text.as_str(), None)];
    ex.api
        .post_messages(&ep.endpoint_id, MsgBox::Inbox, &item)?;
    ex.st.acted = true;
    ex.event(format!("posted to {}", ep.endpoint_id));
    Ok(())
}

/// Whether the INBOX already holds an admissible message of this trustee
/// (one made before its state was lost): only the first counts, so posting
/// another would change nothing.
fn posted_before(
    ex: &mut Exec,
    cx: &Ctx,
    ep: &Endpoint,
    inbox: &[panoramix_core::wire::Message],
) -> bool {
    let me = ex.api.me();
    let Some(j) = cx.owners.iter().position(|o| *o == me) else {
        return false;
    };
    let field = if ep.endpoint_type == "ZEUS_DKG_DEALINGS" {
        "dealer"
    } else {
        "complainant"
    };
    let texts: Vec<&str> = inbox.iter().map(|m| m.text.as_str()).collect();
    let view = EndpointView::from(ep);
    let ok = ex.timed(|b, _| b.admissible(&view, &texts));
    texts.iter().zip(ok).any(|(t, ok)| {
        ok && serde_json::from_str::<Json>(t).is_ok_and(|v| v[field] == json!(j + 1))
    })
}

/// The key generation's result (the JSON output of `<name>-dkg-key`) once
/// it is PROCESSED; until then, do this contributor's part: agree on the
/// endpoints, deal, give a verdict, close and recompute with the others.
pub(crate) fn key(ex: &mut Exec, cx: &Ctx) -> Result<Option<Json>, Halt> {
    let graph = cx.spec.dkg_graph(&cx.joint, &cx.trustees);
    let mut eps = Vec::with_capacity(graph.len());
    for g in &graph {
        match ex
            .api
            .endpoint(g["endpoint_id"].as_str().unwrap_or_default())?
        {
            Some(ep) => eps.push(ep),
            None => {
                let title = format!("graph:{}:dkg", cx.joint);
                crate::endpoint::ensure_graph_titled(ex, cx, &title, &graph)?;
                return Ok(None);
            }
        }
    }
    let (dealings, verdicts, key) = (&eps[0], &eps[1], &eps[2]);
    if key.status == EndpointStatus::Processed {
        let out = ex.api.messages(&key.endpoint_id, MsgBox::Outbox)?;
        let text = out.first().map(|m| m.text.as_str()).unwrap_or_default();
        let v: Json = serde_json::from_str(text).map_err(|e| {
            StepError::State(format!("{}: the key is not JSON: {e}", key.endpoint_id))
        })?;
        return Ok(Some(v));
    }
    if dealings.status == EndpointStatus::Open {
        contribute(ex, cx, dealings, "ZEUS_DKG_DEAL", &[])?;
    } else if verdicts.status == EndpointStatus::Open {
        let accepted = ex.api.messages(&dealings.endpoint_id, MsgBox::Accepted)?;
        let inputs: Vec<Msg> = accepted.iter().map(Msg::from).collect();
        contribute(ex, cx, verdicts, "ZEUS_DKG_VERDICT", &inputs)?;
    }
    for ep in &eps {
        crate::endpoint::handle(ex, cx, ep)?;
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(params: Json) -> MixnetSpec {
        serde_json::from_value(json!({"name": "e", "backend": "ZEUS", "params": params,
            "size_min": 2, "size_max": 4, "election_public_key": "11".repeat(32)}))
        .unwrap()
    }

    #[test]
    fn the_threshold_is_checked_at_formation() {
        assert!(check_threshold(&spec(json!({"MIX_PROOF": "TW"})), 3).is_ok());
        for t in [1, 2, 3] {
            let s = spec(json!({"THRESHOLD": t}));
            assert_eq!(s.threshold(), Some(t));
            assert!(check_threshold(&s, 3).is_ok());
        }
        for bad in [json!(0), json!(4), json!("2"), json!(-1), json!(2.5)] {
            let e = check_threshold(&spec(json!({"THRESHOLD": bad})), 3).unwrap_err();
            assert!(e.contains("between 1 and the 3 owners"), "{e}");
        }
        let mut sphinx = spec(json!({"THRESHOLD": 2}));
        sphinx.backend = "SPHINXMIX".into();
        assert!(check_threshold(&sphinx, 3).is_err());
        assert_eq!(sphinx.threshold(), None);
    }

    #[test]
    fn the_key_generation_graph_and_the_cycles_that_use_its_key() {
        let s = spec(json!({"MIX_PROOF": "TW", "THRESHOLD": 2}));
        let keys = vec![json!({"k": 1}), json!({"k": 2}), json!({"k": 3})];
        let g = s.dkg_graph("J", &keys);
        let ids: Vec<&str> = g
            .iter()
            .map(|e| e["endpoint_id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["e-dkg-dealings", "e-dkg-verdicts", "e-dkg-key"]);
        for e in &g {
            assert_eq!(e["peer_id"], "J");
            assert_eq!(e["endpoint_params"]["session_id"], "J/dkg");
            assert_eq!(e["endpoint_params"]["threshold"], 2);
            assert_eq!(e["endpoint_params"]["trustees"], json!(keys));
        }
        assert_eq!(
            (g[0]["size_min"].clone(), g[0]["public"].clone()),
            (json!(3), json!(false))
        );
        assert_eq!(g[2]["links"][1]["from_endpoint_id"], "e-dkg-verdicts");
        assert_eq!(g[2]["links"][1]["from_box"], "ACCEPTED");

        let owners: Vec<String> = vec!["a".into(), "b".into(), "c".into()];
        let mut cycle = s.graph("J", &owners, &keys, 1);
        let key = json!({"election_public_key": "22".repeat(32), "dkg": {"threshold": 2}});
        s.apply_key(&mut cycle, &key, &owners);
        for e in &cycle {
            assert_eq!(
                e["endpoint_params"]["election_public_key"],
                key["election_public_key"]
            );
            assert_eq!(e["endpoint_params"]["dkg"], key["dkg"]);
            let combine = e["endpoint_type"] == "ZEUS_SK_COMBINE";
            if combine {
                assert_eq!(e["peer_id"], "a");
            } else if e["endpoint_type"] == "ZEUS_BOOTH" {
                assert_eq!(e["peer_id"], "J");
            }
        }
    }
}

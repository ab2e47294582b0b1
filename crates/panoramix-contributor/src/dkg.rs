//! Threshold trustees (docs/zeus.md §3.5): a ZEUS mix-net whose description
//! sets `params.THRESHOLD = t` runs a key generation among its trustees
//! (`params.TRUSTEES`, peers apart from the owners who then only mix; without
//! it, the owners) before its first cycle. Each trustee `j` makes its own
//! endpoints on its own peer (no one else's signature needed, so an absent
//! trustee holds up no one but itself):
//!
//! * `<name>-dkg-deal<j>` (`ZEUS_DKG_DEALINGS`, entry, 1 message): its
//!   signed dealing;
//! * `<name>-dkg-verdict<j>` (`ZEUS_DKG_VERDICTS`, likewise): once every
//!   trustee's dealing is closed, its signed verdict (its complaints,
//!   possibly none);
//!
//! and the owners agree on `<name>-dkg-key` (`ZEUS_DKG_KEY`, joint), whose
//! INBOX takes every trustee's two ACCEPTED boxes: every owner recomputes the
//! qualified set, the election key and the verification keys from that
//! public record.
//!
//! Every cycle's ZEUS endpoints then carry the key generation's election key
//! and record (`election_public_key`, `dkg`), so the booth opens only with
//! that key. At tally time each trustee that is there makes its partial
//! decryption `<name>-<cycle>-decr<j>` on its own peer, from the last mix's
//! output; the combination, an endpoint of the first owner, closes once `t`
//! trustees' partial decryptions are published and verified. A trustee
//! absent after the key generation posts nothing and holds nothing up.

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

    /// The endpoint id of a stage of the key generation: `key`, or a
    /// trustee's `deal<j>` / `verdict<j>`.
    pub fn dkg_ep(&self, stage: &str) -> String {
        format!("{}-dkg-{stage}", self.name)
    }

    fn dkg_params<T: Serialize>(&self, joint: &str, trustees: &[T]) -> Json {
        json!({
            "session_id": format!("{joint}/dkg"),
            "threshold": self.threshold().unwrap_or(0),
            "trustees": trustees,
            "trustee_key_session": TRUSTEE_KEY_SESSION,
        })
    }

    /// Trustee `j`'s two endpoints of the key generation (its dealing, its
    /// verdict), on its peer `peer`; `trustees`: the trustees' published key
    /// records in trustee order.
    pub fn dkg_trustee_graph<T: Serialize>(
        &self,
        joint: &str,
        j: usize,
        peer: &str,
        trustees: &[T],
    ) -> Vec<Json> {
        let params = self.dkg_params(joint, trustees);
        [
            ("deal", "ZEUS_DKG_DEALINGS", "dealing"),
            ("verdict", "ZEUS_DKG_VERDICTS", "verdict"),
        ]
        .iter()
        .map(|(stage, ty, what)| {
            json!({"endpoint_id": self.dkg_ep(&format!("{stage}{j}")), "peer_id": peer,
                    "endpoint_type": ty, "size_min": 1, "size_max": 1, "public": false, "links": [],
                    "description": format!("threshold key generation: trustee {}'s {what}", j + 1),
                    "endpoint_params": params})
        })
        .collect()
    }

    /// The owners' endpoint of the key generation: its INBOX takes every
    /// trustee's ACCEPTED dealing and verdict.
    pub fn dkg_key_endpoint<T: Serialize>(&self, joint: &str, trustees: &[T]) -> Json {
        let n = trustees.len();
        let link =
            |id: String| json!({"from_endpoint_id": id, "from_box": "ACCEPTED", "to_box": "INBOX"});
        let links: Vec<Json> = (0..n)
            .map(|j| link(self.dkg_ep(&format!("deal{j}"))))
            .chain((0..n).map(|j| link(self.dkg_ep(&format!("verdict{j}")))))
            .collect();
        json!({"endpoint_id": self.dkg_ep("key"), "peer_id": joint, "endpoint_type": "ZEUS_DKG_KEY",
            "size_min": 1, "size_max": 2 * n as i64, "public": false, "links": links,
            "description": "threshold key generation: key",
            "endpoint_params": self.dkg_params(joint, trustees)})
    }

    /// The whole key generation: every trustee's endpoints in trustee order
    /// (`trustee_ids`: their peers), then the key.
    pub fn dkg_graph<T: Serialize>(
        &self,
        joint: &str,
        trustee_ids: &[String],
        trustees: &[T],
    ) -> Vec<Json> {
        let mut g: Vec<Json> = trustee_ids
            .iter()
            .enumerate()
            .flat_map(|(j, id)| self.dkg_trustee_graph(joint, j, id, trustees))
            .collect();
        g.push(self.dkg_key_endpoint(joint, trustees));
        g
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
/// ZEUS mix-net with the default graph, and its `TRUSTEES`, if any, distinct
/// peer ids (checked when the mix-net is formed; `owners`: its owners).
pub(crate) fn check_threshold(spec: &MixnetSpec, owners: &[String]) -> Result<(), String> {
    let trustees = spec.params.get("TRUSTEES");
    let Some(v) = spec.params.get("THRESHOLD") else {
        return match trustees {
            Some(_) => Err("TRUSTEES needs a THRESHOLD".into()),
            None => Ok(()),
        };
    };
    let t = spec.threshold().map_or(0, |t| t as usize);
    if spec.backend != "ZEUS" || spec.graph.is_some() {
        return Err("THRESHOLD needs a ZEUS mix-net with the default graph".into());
    }
    if let Some(ids) = trustees {
        let list = ids.as_array().filter(|a| {
            !a.is_empty()
                && a.len() <= 64
                && a.iter()
                    .all(|x| x.as_str().is_some_and(panoramix_core::model::valid_ident))
        });
        let Some(list) = list else {
            return Err("TRUSTEES is not a list of 1 to 64 peer ids".into());
        };
        let distinct: std::collections::BTreeSet<&str> =
            list.iter().filter_map(Json::as_str).collect();
        if distinct.len() != list.len() {
            return Err("TRUSTEES names a peer twice".into());
        }
    }
    let n = spec.trustee_ids(owners).len();
    let who = if trustees.is_some() {
        "trustees"
    } else {
        "owners"
    };
    if t == 0 || t > n {
        return Err(format!(
            "THRESHOLD {v} is not an integer between 1 and the {n} {who}"
        ));
    }
    Ok(())
}

/// The number of distinct linked sources `ep` needs before it closes, when it
/// closes with a quorum instead of every source: a threshold election's
/// combination.
pub(crate) fn quorum(cx: &Ctx, ep: &Endpoint) -> Option<usize> {
    match cx.spec.threshold() {
        Some(t) if ep.endpoint_type == "ZEUS_SK_COMBINE" => Some(t as usize),
        _ => None,
    }
}

/// Where `src`, an endpoint some trustee made itself, differs from what it
/// must be ([`Ctx::made`]): the first field that differs; `None` when it is
/// as agreed (or not made by a trustee).
pub(crate) fn differs(cx: &Ctx, src: &Endpoint) -> Option<&'static str> {
    let want = cx
        .made
        .iter()
        .find(|g| g["endpoint_id"] == src.endpoint_id.as_str())?;
    let links = serde_json::to_value(&src.links).unwrap_or_default();
    [
        ("peer_id", want["peer_id"] == src.peer_id.as_str()),
        (
            "endpoint_type",
            want["endpoint_type"] == src.endpoint_type.as_str(),
        ),
        ("size_min", want["size_min"] == src.size_min),
        ("size_max", want["size_max"] == src.size_max),
        ("public", want["public"] == src.public),
        (
            "endpoint_params",
            want["endpoint_params"] == src.endpoint_params,
        ),
        ("links", want["links"] == links),
    ]
    .into_iter()
    .find_map(|(field, same)| (!same).then_some(field))
}

/// Whether `src` is as agreed ([`differs`]); one that is not is refused on
/// the record (a signed complaint, once) and not taken.
pub(crate) fn as_agreed(ex: &mut Exec, cx: &Ctx, src: &Endpoint) -> Result<bool, Halt> {
    match differs(cx, src) {
        None => Ok(true),
        Some(field) => {
            let why = format!(
                "its {field} is not that of the endpoint its trustee must make (docs/zeus.md §3.5): not taken"
            );
            crate::negotiate::complain(ex, &src.endpoint_id, &why)?;
            Ok(false)
        }
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
    if ep.inbox_count > 0 {
        // made before the state was lost: only the first admissible one counts
        let inbox = ex.api.messages(&ep.endpoint_id, MsgBox::Inbox)?;
        let texts: Vec<&str> = inbox.iter().map(|m| m.text.as_str()).collect();
        let view = EndpointView::from(ep);
        if ex.timed(|b, _| b.admissible(&view, &texts)).contains(&true) {
            return Ok(());
        }
    }
    let me = ex.api.me();
    let item = [(me.as_str(), cx.joint.as_str(), out.text.as_str(), None)];
    ex.api
        .post_messages(&ep.endpoint_id, MsgBox::Inbox, &item)?;
    ex.st.acted = true;
    ex.event(format!("posted to {}", ep.endpoint_id));
    Ok(())
}

/// Create this contributor's own endpoints `graph` (on its own peer, agreed
/// with itself) that do not exist yet.
fn make_own(ex: &mut Exec, title: &str, graph: &[Json]) -> Result<(), Halt> {
    let actions: Vec<_> = graph.iter().map(|g| ex.api.endpoint_action(g)).collect();
    let cid = ex.api.self_consensus(title, &actions)?;
    for (i, (a, g)) in actions.iter().zip(graph).enumerate() {
        let part = (actions.len() > 1).then_some(i as u32);
        crate::negotiate::apply_agreed(ex, a, &cid, part)?;
        ex.event(format!(
            "created {}",
            g["endpoint_id"].as_str().unwrap_or_default()
        ));
    }
    Ok(())
}

/// The endpoints `graph` as they are on the controller, if every one exists
/// and is as agreed.
fn existing(ex: &mut Exec, cx: &Ctx, graph: &[Json]) -> Result<Option<Vec<Endpoint>>, Halt> {
    let mut eps = Vec::with_capacity(graph.len());
    for g in graph {
        match ex
            .api
            .endpoint(g["endpoint_id"].as_str().unwrap_or_default())?
        {
            Some(ep) if as_agreed(ex, cx, &ep)? => eps.push(ep),
            _ => return Ok(None),
        }
    }
    Ok(Some(eps))
}

/// Trustee `j`'s part of the key generation: make its endpoints, deal, and
/// once every trustee's dealing is closed, give its verdict.
fn trustee_part(ex: &mut Exec, cx: &Ctx, j: usize) -> Result<(), Halt> {
    // `cx.made`: every trustee's dealing and verdict endpoints, in trustee order
    let mine = &cx.made[2 * j..2 * j + 2];
    let mut eps = Vec::with_capacity(2);
    for g in mine {
        match ex
            .api
            .endpoint(g["endpoint_id"].as_str().unwrap_or_default())?
        {
            Some(ep) => eps.push(ep),
            None => {
                let missing: Vec<Json> = mine[eps.len()..].to_vec();
                return make_own(ex, &format!("graph:{}:dkg:{j}", cx.joint), &missing);
            }
        }
    }
    let (deal, verdict) = (&eps[0], &eps[1]);
    // the verdict comes before the trustee's own endpoints are processed: the
    // key needs only their ACCEPTED boxes, every other trustee its dealing's
    if deal.status == EndpointStatus::Open {
        contribute(ex, cx, deal, "ZEUS_DKG_DEAL", &[])?;
        return crate::endpoint::handle(ex, cx, deal);
    } else if verdict.status == EndpointStatus::Open {
        // every trustee's dealing, in trustee order, once all are closed
        let deals: Vec<Json> = cx.made.iter().step_by(2).cloned().collect();
        let Some(all) = existing(ex, cx, &deals)? else {
            return Ok(());
        };
        if all.iter().any(|d| d.status == EndpointStatus::Open) {
            return Ok(());
        }
        let mut inputs = Vec::new();
        for d in &all {
            let accepted = ex.api.messages(&d.endpoint_id, MsgBox::Accepted)?;
            inputs.extend(accepted.iter().map(Msg::from));
        }
        contribute(ex, cx, verdict, "ZEUS_DKG_VERDICT", &inputs)?;
        return crate::endpoint::handle(ex, cx, verdict);
    }
    for ep in &eps {
        crate::endpoint::handle(ex, cx, ep)?;
    }
    Ok(())
}

/// The key generation's result (the JSON output of `<name>-dkg-key`) once
/// it is PROCESSED; until then, do this contributor's part: as a trustee,
/// deal and give a verdict; as an owner, agree on the key endpoint, close it
/// with every trustee's dealing and verdict and recompute with the others.
pub(crate) fn key(ex: &mut Exec, cx: &mut Ctx) -> Result<Option<Json>, Halt> {
    cx.made = cx.spec.dkg_graph(&cx.joint, &cx.trustee_ids, &cx.trustees);
    // the last is the owners' key endpoint; the others the trustees make
    let want = cx.made.pop().unwrap_or_default();
    let key = ex.api.endpoint(&cx.spec.dkg_ep("key"))?;
    if let Some(key) = &key
        && key.status == EndpointStatus::Processed
    {
        let out = ex.api.messages(&key.endpoint_id, MsgBox::Outbox)?;
        let text = out.first().map(|m| m.text.as_str()).unwrap_or_default();
        let v: Json = serde_json::from_str(text).map_err(|e| {
            StepError::State(format!("{}: the key is not JSON: {e}", key.endpoint_id))
        })?;
        return Ok(Some(v));
    }
    let me = ex.api.me();
    if let Some(j) = cx.trustee_ids.iter().position(|t| *t == me) {
        trustee_part(ex, cx, j)?;
    }
    if cx.owners.contains(&me) {
        match &key {
            None => {
                let title = format!("graph:{}:dkg", cx.joint);
                crate::endpoint::ensure_graph_titled(ex, cx, &title, std::slice::from_ref(&want))?;
            }
            Some(ep) => crate::endpoint::handle(ex, cx, ep)?,
        }
    }
    Ok(None)
}

/// A trustee's part of `cycle` at tally time: once the last mix's output is
/// published, make its partial decryption and process it.
pub(crate) fn tally(ex: &mut Exec, cx: &Ctx, cycle: u64) -> Result<(), Halt> {
    let me = ex.api.me();
    let Some(want) = cx.made.iter().find(|g| g["peer_id"] == me.as_str()) else {
        return Ok(());
    };
    let last_mix = want["links"][0]["from_endpoint_id"]
        .as_str()
        .unwrap_or_default();
    match ex.api.endpoint(last_mix)? {
        Some(m) if m.status == EndpointStatus::Processed => {}
        _ => return Ok(()),
    }
    let id = want["endpoint_id"].as_str().unwrap_or_default();
    match ex.api.endpoint(id)? {
        None => make_own(
            ex,
            &format!("graph:{}:{cycle}:{id}", cx.joint),
            std::slice::from_ref(want),
        ),
        Some(ep) => crate::endpoint::handle(ex, cx, &ep),
    }
}

/// One step of a trustee that is not an owner: past completed cycles, its
/// part of the key generation, then of each cycle's tally.
pub(crate) fn trustee_step(ex: &mut Exec, cx: &mut Ctx) -> Result<(), Halt> {
    loop {
        let c = ex.state.cycle;
        if !crate::cycle::result_processed(ex, cx, c)? {
            break;
        }
        ex.state.completed += 1;
        let prefix = format!("{}-{c}-", cx.spec.name);
        ex.state.processed.retain(|k, _| !k.starts_with(&prefix));
        ex.learned.forget.push(prefix);
        ex.event(format!("cycle {c} complete"));
        if ex.state.max_cycles != 0 && ex.state.completed >= ex.state.max_cycles {
            ex.save()?;
            ex.st.finished = true;
            return Ok(());
        }
        ex.state.cycle += 1;
        ex.save()?;
    }
    let Some(key) = key(ex, cx)? else {
        return Ok(());
    };
    let c = ex.state.cycle;
    let mut graph = cx.spec.graph(&cx.joint, &cx.owners, &cx.trustees, c);
    cx.spec.apply_key(&mut graph, &key, &cx.owners);
    cx.made = cx.spec.partial_decryptions(&graph, &cx.owners, c);
    tally(ex, cx, c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(params: Json) -> MixnetSpec {
        serde_json::from_value(json!({"name": "e", "backend": "ZEUS", "params": params,
            "size_min": 2, "size_max": 4, "election_public_key": "11".repeat(32)}))
        .unwrap()
    }

    fn ids(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_threshold_and_the_trustees_are_checked_at_formation() {
        let owners = ids(&["a", "b", "c"]);
        assert!(check_threshold(&spec(json!({"MIX_PROOF": "TW"})), &owners).is_ok());
        for t in [1, 2, 3] {
            let s = spec(json!({"THRESHOLD": t}));
            assert_eq!(s.threshold(), Some(t));
            assert!(check_threshold(&s, &owners).is_ok());
            assert_eq!(s.trustee_ids(&owners), owners);
        }
        for bad in [json!(0), json!(4), json!("2"), json!(-1), json!(2.5)] {
            let e = check_threshold(&spec(json!({"THRESHOLD": bad})), &owners).unwrap_err();
            assert!(e.contains("between 1 and the 3 owners"), "{e}");
        }
        let mut sphinx = spec(json!({"THRESHOLD": 2}));
        sphinx.backend = "SPHINXMIX".into();
        assert!(check_threshold(&sphinx, &owners).is_err());
        assert_eq!(sphinx.threshold(), None);

        // trustees apart from the owners
        let five = json!(["t1", "t2", "t3", "t4", "t5"]);
        let s = spec(json!({"THRESHOLD": 3, "TRUSTEES": five}));
        assert!(check_threshold(&s, &owners).is_ok());
        assert_eq!(s.trustee_ids(&owners), ids(&["t1", "t2", "t3", "t4", "t5"]));
        let e =
            check_threshold(&spec(json!({"THRESHOLD": 6, "TRUSTEES": five})), &owners).unwrap_err();
        assert!(e.contains("between 1 and the 5 trustees"), "{e}");
        let e = check_threshold(&spec(json!({"TRUSTEES": five})), &owners).unwrap_err();
        assert_eq!(e, "TRUSTEES needs a THRESHOLD");
        for bad in [json!([]), json!("t1"), json!(["t1", 2]), json!(["bad id"])] {
            let e = check_threshold(&spec(json!({"THRESHOLD": 1, "TRUSTEES": bad})), &owners)
                .unwrap_err();
            assert!(e.contains("not a list of 1 to 64 peer ids"), "{e}");
        }
        let e = check_threshold(
            &spec(json!({"THRESHOLD": 1, "TRUSTEES": ["t1", "t1"]})),
            &owners,
        )
        .unwrap_err();
        assert_eq!(e, "TRUSTEES names a peer twice");
    }

    #[test]
    fn a_trustee_made_endpoint_counts_only_as_agreed() {
        let s = spec(json!({"MIX_PROOF": "TW", "THRESHOLD": 2, "TRUSTEES": ["t1", "t2"]}));
        let owners = ids(&["a", "b"]);
        let keys = vec![json!({"k": 1}), json!({"k": 2})];
        let tids = s.trustee_ids(&owners);
        let mut made = s.dkg_graph("J", &tids, &keys);
        made.pop();
        let cx = Ctx {
            joint: "J".into(),
            owners,
            spec: s,
            trustee_ids: tids,
            trustees: keys,
            made,
        };
        // an endpoint as the controller shows it, from its agreed definition
        let shown = |g: &Json| -> Endpoint {
            let mut e = g.clone();
            for (k, v) in [
                ("status", json!("CLOSED")),
                ("inbox_hash", Json::Null),
                ("outbox_hash", Json::Null),
                ("process_proof", Json::Null),
                ("last_consensus_id", json!("c")),
                ("inbox_count", json!(1)),
            ] {
                e[k] = v;
            }
            serde_json::from_value(e).unwrap()
        };
        let deal1 = cx.made[2].clone();
        assert_eq!(deal1["endpoint_id"], "e-dkg-deal1");
        assert_eq!(differs(&cx, &shown(&deal1)), None);
        for (field, v) in [
            ("peer_id", json!("t1")),
            ("endpoint_type", json!("ZEUS_DKG_VERDICTS")),
            ("size_max", json!(2)),
            ("public", json!(true)),
            ("endpoint_params", json!({"threshold": 2})),
            (
                "links",
                json!([{"from_endpoint_id": "x", "from_box": "OUTBOX", "to_box": "INBOX"}]),
            ),
        ] {
            let mut g = deal1.clone();
            g[field] = v;
            assert_eq!(differs(&cx, &shown(&g)), Some(field));
        }
        // an endpoint no trustee makes is not compared
        let mut other = deal1.clone();
        other["endpoint_id"] = json!("e-1-mix0");
        other["size_max"] = json!(9);
        assert_eq!(differs(&cx, &shown(&other)), None);
    }

    #[test]
    fn the_key_generation_graph_and_the_cycles_that_use_its_key() {
        let s = spec(json!({"MIX_PROOF": "TW", "THRESHOLD": 2, "TRUSTEES": ["t1", "t2", "t3"]}));
        let owners = ids(&["a", "b"]);
        let tids = s.trustee_ids(&owners);
        let keys = vec![json!({"k": 1}), json!({"k": 2}), json!({"k": 3})];
        let g = s.dkg_graph("J", &tids, &keys);
        let got: Vec<(&str, &str)> = g
            .iter()
            .map(|e| {
                (
                    e["endpoint_id"].as_str().unwrap(),
                    e["peer_id"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("e-dkg-deal0", "t1"),
                ("e-dkg-verdict0", "t1"),
                ("e-dkg-deal1", "t2"),
                ("e-dkg-verdict1", "t2"),
                ("e-dkg-deal2", "t3"),
                ("e-dkg-verdict2", "t3"),
                ("e-dkg-key", "J"),
            ]
        );
        for e in &g {
            assert_eq!(e["endpoint_params"]["session_id"], "J/dkg");
            assert_eq!(e["endpoint_params"]["threshold"], 2);
            assert_eq!(e["endpoint_params"]["trustees"], json!(keys));
            assert_eq!(e["public"], false);
        }
        assert_eq!(
            (g[0]["size_min"].clone(), g[0]["size_max"].clone()),
            (json!(1), json!(1))
        );
        let key = &g[6];
        assert_eq!(key["size_max"], 6);
        let from: Vec<&str> = key["links"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                assert_eq!(
                    (l["from_box"].as_str(), l["to_box"].as_str()),
                    (Some("ACCEPTED"), Some("INBOX"))
                );
                l["from_endpoint_id"].as_str().unwrap()
            })
            .collect();
        assert_eq!(
            from,
            [
                "e-dkg-deal0",
                "e-dkg-deal1",
                "e-dkg-deal2",
                "e-dkg-verdict0",
                "e-dkg-verdict1",
                "e-dkg-verdict2"
            ]
        );

        // the cycle: the owners mix, the trustees decrypt on their own peers
        let mut cycle = s.graph("J", &owners, &keys, 1);
        let k = json!({"election_public_key": "22".repeat(32), "dkg": {"threshold": 2}});
        s.apply_key(&mut cycle, &k, &owners);
        assert!(
            cycle
                .iter()
                .all(|e| e["endpoint_type"] != "ZEUS_SK_PARTIAL_DECRYPT")
        );
        let combine = cycle
            .iter()
            .find(|e| e["endpoint_type"] == "ZEUS_SK_COMBINE")
            .unwrap();
        assert_eq!(combine["peer_id"], "a");
        assert_eq!(combine["size_max"], 4 * 3);
        assert_eq!(combine["links"].as_array().unwrap().len(), 3);
        assert_eq!(combine["links"][2]["from_endpoint_id"], "e-1-decr2");
        for e in &cycle {
            assert_eq!(
                e["endpoint_params"]["election_public_key"],
                k["election_public_key"]
            );
            assert_eq!(e["endpoint_params"]["dkg"], k["dkg"]);
        }
        let d = s.partial_decryption(1, owners.len(), 2, "t3", &combine["endpoint_params"]);
        assert_eq!(d["endpoint_id"], "e-1-decr2");
        assert_eq!(d["peer_id"], "t3");
        assert_eq!(d["links"][0]["from_endpoint_id"], "e-1-mix1");
        assert_eq!(d["endpoint_params"], combine["endpoint_params"]);

        // n-of-n keeps the owners' partial decryptions in the cycle's graph
        let plain = spec(json!({"MIX_PROOF": "TW"}));
        let g = plain.graph("J", &owners, &keys, 1);
        let decr: Vec<&str> = g
            .iter()
            .filter(|e| e["endpoint_type"] == "ZEUS_SK_PARTIAL_DECRYPT")
            .map(|e| e["peer_id"].as_str().unwrap())
            .collect();
        assert_eq!(decr, ["a", "b"]);
    }
}

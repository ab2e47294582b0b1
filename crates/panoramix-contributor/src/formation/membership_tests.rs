//! Reconfiguration by the agreed rule and join requests, against a small fake
//! controller that keeps negotiations and closes them as the real one does.

use std::collections::BTreeMap;

use panoramix_core::Keypair;
use panoramix_core::backend::{FormationError, JointKeys};
use panoramix_core::identity::{joint_key_data, joint_peer_id};
use panoramix_core::negotiation::{Text, sign_contribution};
use panoramix_core::wire::Peer;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use serde_json::{Value as Json, json};

use super::*;
use crate::HttpRequest;
use crate::api::pct;
use crate::spec::{Reconfiguration, ReconfigurationSigners};

struct Keys;

impl OwnerKeys for Keys {
    fn name(&self) -> &'static str {
        "SPHINXMIX"
    }

    fn joint_keys(&self, owners: &[Peer], _: &str) -> Result<JointKeys, FormationError> {
        if owners.iter().any(|p| p.crypto_params["mix_key"].is_null()) {
            return Err(FormationError::msg("an owner published no mix key"));
        }
        Ok(JointKeys::default())
    }
}

fn key(n: u8) -> Keypair {
    Keypair::from_secret(&[n; 32])
}

fn id(n: u8) -> String {
    key(n).key_id()
}

fn spec(rule: Option<Reconfiguration>) -> MixnetSpec {
    MixnetSpec {
        name: "m".into(),
        backend: "SPHINXMIX".into(),
        params: json!({"BODY_LEN": 1024, "MAX_HOPS": 5}),
        size_min: 1,
        size_max: 4,
        close_after: None,
        election_public_key: None,
        terms: "be nice".into(),
        graph: None,
        previous: None,
        election: None,
        reconfiguration: rule,
    }
}

fn not_found() -> HttpResponse {
    HttpResponse {
        status: 404,
        body: json!({"error": {"code": "not_found", "message": "no"}}),
    }
}

fn ok(data: Json) -> HttpResponse {
    HttpResponse {
        status: 200,
        body: json!({"data": data}),
    }
}

/// A controller: peers, negotiations (closed when every participant's latest
/// contribution is the same accepting text) and their contributions.
#[derive(Default)]
struct World {
    peers: BTreeMap<String, Json>,
    negs: Vec<Json>,
    contribs: Vec<Json>,
    clock: u32,
    /// Another owner creates a peer just before this one does: `409`.
    race: bool,
    creations: usize,
}

impl World {
    fn register(&mut self, n: u8) {
        let k = key(n);
        self.peers.insert(
            k.key_id(),
            json!({"peer_id": k.key_id(), "name": format!("p{n}"), "key_data": k.key_data(),
                "key_type": "ed25519", "crypto_backend": "SPHINXMIX",
                "crypto_params": {"mix_key": format!("mk{n}")}, "owners": [], "status": "READY",
                "roles": [], "consensus_id": ""}),
        );
    }

    fn joint(&mut self, spec: &MixnetSpec, owners: &[String]) -> String {
        let kd = joint_key_data(&spec.name, owners);
        let id = joint_peer_id(&kd).unwrap();
        let owners: Vec<Json> = owners.iter().map(|o| json!({"owner_key_id": o})).collect();
        self.peers.insert(
            id.clone(),
            json!({"peer_id": id, "name": spec.name, "key_data": kd, "key_type": "ed25519",
                "crypto_backend": spec.backend, "crypto_params": spec, "owners": owners,
                "status": "READY", "roles": [], "consensus_id": "C0"}),
        );
        id
    }

    fn close(&mut self, neg: &str) {
        let n = self.negs.iter_mut().find(|n| n["id"] == neg).unwrap();
        let parts: Vec<String> = serde_json::from_value(n["participants"].clone()).unwrap();
        let latest: Vec<&Json> = self
            .contribs
            .iter()
            .filter(|c| c["negotiation_id"] == neg && c["latest"] == true)
            .collect();
        let text_of = |p: &String| {
            latest
                .iter()
                .find(|c| c["signer_key_id"] == json!(p))
                .map(|c| c["text"].clone())
        };
        let Some(Some(text)) = parts.first().map(text_of) else {
            return;
        };
        if parts.iter().any(|p| text_of(p).as_ref() != Some(&text))
            || !Text::parse(text.as_str().unwrap()).unwrap().accepted()
        {
            return;
        }
        self.clock += 1;
        let signings: Vec<Json> = latest
            .iter()
            .filter(|c| parts.contains(&c["signer_key_id"].as_str().unwrap().to_owned()))
            .map(|c| json!({"signer_key_id": c["signer_key_id"], "signature": c["signature"], "key_data": c["key_data"]}))
            .collect();
        n["status"] = json!("DONE");
        n["text"] = text;
        n["consensus"] = json!(format!("C-{neg}"));
        n["timestamp"] = json!(format!("2026-12-07T00:00:{:02}.000000", self.clock));
        n["signings"] = json!(signings);
    }

    fn answer(&mut self, me: &Keypair, req: &HttpRequest) -> HttpResponse {
        let body: Json = serde_json::from_str(req.body.as_deref().unwrap_or("null")).unwrap();
        let data = &body["data"];
        let path = req.path.as_str();
        match req.method.as_str() {
            "GET" if path.starts_with("/panoramix/peers/") => {
                let pid = path
                    .trim_start_matches("/panoramix/peers/")
                    .trim_end_matches('/');
                self.peers.get(pid).cloned().map_or_else(not_found, ok)
            }
            "GET" if path.starts_with("/panoramix/negotiations/?title=") => {
                let t = path.trim_start_matches("/panoramix/negotiations/?title=");
                let items: Vec<Json> = self
                    .negs
                    .iter()
                    .filter(|n| pct(n["title"].as_str().unwrap()) == t)
                    .cloned()
                    .collect();
                ok(json!(items)).with_next()
            }
            "GET" if path.starts_with("/panoramix/contributions/?negotiation=") => {
                let t = path.trim_start_matches("/panoramix/contributions/?negotiation=");
                let items: Vec<Json> = self
                    .contribs
                    .iter()
                    .filter(|c| pct(c["negotiation_id"].as_str().unwrap()) == t)
                    .cloned()
                    .collect();
                ok(json!(items)).with_next()
            }
            "POST" if path == "/panoramix/negotiations/" => {
                let n = json!({"id": format!("N{}", self.negs.len() + 1), "title": data["title"],
                    "participants": data["participants"], "status": "OPEN", "text": null,
                    "timestamp": null, "consensus": null, "signings": []});
                self.negs.push(n.clone());
                ok(n)
            }
            "POST" if path == "/panoramix/contributions/" => {
                let neg = data["negotiation_id"].as_str().unwrap().to_owned();
                for c in self.contribs.iter_mut() {
                    if c["negotiation_id"] == json!(neg) && c["signer_key_id"] == json!(me.key_id())
                    {
                        c["latest"] = json!(false);
                    }
                }
                self.contribs
                    .push(json!({"id": self.contribs.len() + 1, "negotiation_id": neg,
                    "signer_key_id": me.key_id(), "key_data": me.key_data(), "text": data["text"],
                    "signature": data["signature"], "latest": true}));
                self.close(&neg);
                ok(json!({"consensus": null}))
            }
            "POST" if path == "/panoramix/peers/" => {
                let pid = data["peer_id"].as_str().unwrap().to_owned();
                if self.peers.contains_key(&pid) || self.race {
                    return HttpResponse {
                        status: 409,
                        body: json!({"error": {"code": "conflict", "message": ""}}),
                    };
                }
                let mut p = data.clone();
                p["owners"] = json!(
                    data["owners"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|o| json!({"owner_key_id": o}))
                        .collect::<Vec<_>>()
                );
                p["roles"] = json!([]);
                p["consensus_id"] = body["by_consensus"]["consensus_id"].clone();
                self.peers.insert(pid, p.clone());
                self.creations += 1;
                ok(p)
            }
            _ => panic!("unexpected {} {}", req.method, req.path),
        }
    }

    /// Run one procedure of `n`'s formation to its end.
    fn run<T>(
        &mut self,
        n: u8,
        make: impl FnOnce(&mut Formation) -> Procedure<T>,
    ) -> Result<T, StepError> {
        let mut f = Formation::new(
            key(n),
            "ctl",
            Backends::new(vec![Box::new(Keys)]),
            Box::new(ChaCha20Rng::from_seed([n; 32])),
        );
        let mut p = make(&mut f);
        p.begin(1_700_000_000);
        let k = key(n);
        loop {
            match p.poll() {
                Progress::Effect(Effect::Http(req)) => {
                    let r = self.answer(&k, &req);
                    p.handle(r).unwrap();
                }
                Progress::Effect(Effect::Save(_)) => p.saved().unwrap(),
                Progress::Done(t) => return Ok(t),
                Progress::Failed(e) => return Err(e),
            }
        }
    }

    /// Every participant `signers` co-signs what it is asked to.
    fn co_sign_all(&mut self, old: &str, signers: &[u8]) {
        for &s in signers {
            let p = self.run(s, |f| f.review_successor(old)).unwrap();
            let p = p.unwrap_or_else(|| panic!("{s} has nothing to sign"));
            self.run(s, |f| f.co_sign(&p.negotiation, &p.text)).unwrap();
        }
    }

    /// A negotiation titled `successor:<old>` that `by` opens alone and closes
    /// at once, agreeing on a successor owned by `owners`.
    fn forge(&mut self, by: u8, old: &str, name: &str, owners: &[String]) -> String {
        let mut s: MixnetSpec =
            serde_json::from_value(self.peers[old]["crypto_params"].clone()).unwrap();
        s.name = name.into();
        s.previous = Some(old.into());
        let kd = joint_key_data(name, owners);
        let a = crate::api::Action {
            method: "POST".into(),
            path: "/panoramix/peers/".into(),
            data: json!({"peer_id": joint_peer_id(&kd), "name": name, "key_data": kd,
                "key_type": "ed25519", "crypto_backend": "SPHINXMIX", "crypto_params": s,
                "owners": owners, "status": "READY"}),
            info: json!({"resource": "peer", "operation": "create", "nonce": "00", "ts": 1}),
        };
        let text = crate::api::text_for(&[a], true, BTreeMap::new());
        let k = key(by);
        let n = format!("N{}", self.negs.len() + 1);
        self.negs
            .push(json!({"id": n, "title": format!("successor:{old}"),
            "participants": [k.key_id()], "status": "OPEN", "text": null, "timestamp": null,
            "consensus": null, "signings": []}));
        self.contribs
            .push(json!({"id": self.contribs.len() + 1, "negotiation_id": n,
            "signer_key_id": k.key_id(), "key_data": k.key_data(), "text": text,
            "signature": sign_contribution(&k, &n, &text), "latest": true}));
        self.close(&n);
        n
    }
}

trait WithNext {
    fn with_next(self) -> HttpResponse;
}

impl WithNext for HttpResponse {
    fn with_next(mut self) -> HttpResponse {
        self.body["next"] = Json::Null;
        self
    }
}

/// Three registered owners (1, 2, 3) of a mix-net under `rule`, and
/// registered peers 4 and 5.
fn three_owners(rule: Option<Reconfiguration>) -> (World, String) {
    let mut w = World::default();
    for n in 1..=5 {
        w.register(n);
    }
    let j = w.joint(&spec(rule), &[id(1), id(2), id(3)]);
    (w, j)
}

#[test]
fn the_rule_needs_every_new_owner_and_a_strict_majority_remaining() {
    let (a, b, c, d) = (
        "a".to_owned(),
        "b".to_owned(),
        "c".to_owned(),
        "d".to_owned(),
    );
    let old = [a.clone(), b.clone(), c.clone()];
    let def = Reconfiguration::default();
    // a dead owner removed by the two others
    assert!(check_rule(&def, &old, &[a.clone(), b.clone()], &[a.clone(), b.clone()]).is_ok());
    // a newcomer added: it signs too
    let four = [a.clone(), b.clone(), c.clone(), d.clone()];
    assert!(check_rule(&def, &old, &four, &four).is_ok());
    let err = check_rule(&def, &old, &four, &old).unwrap_err();
    assert!(
        err.contains("owner d of the successor did not sign"),
        "{err}"
    );
    // a minority cannot expel a majority, even with new accomplices
    for new in [vec![a.clone()], vec![a.clone(), d.clone()]] {
        let err = check_rule(&def, &old, &new, &new).unwrap_err();
        assert!(err.contains("only 1 of the 3 owners would remain"), "{err}");
    }
    // two owners: neither can remove the other
    assert!(check_change(&def, &old[..2], std::slice::from_ref(&a)).is_err());
    assert!(check_change(&def, &old, &[]).is_err());
    // `all`: the removed owner's signature too
    let all = Reconfiguration {
        signers: ReconfigurationSigners::All,
        quorum: None,
        grace: None,
    };
    let ab = [a.clone(), b.clone()];
    assert!(
        check_rule(&all, &old, &ab, &ab)
            .unwrap_err()
            .contains("owner c did not sign")
    );
    assert!(check_rule(&all, &old, &ab, &old).is_ok());
    // a quorum above the majority; one below it is raised to the majority
    let q3 = Reconfiguration {
        quorum: Some(3),
        ..def
    };
    assert!(check_change(&q3, &old, &ab).is_err());
    assert!(check_change(&q3, &old, &four).is_ok());
    let q1 = Reconfiguration {
        quorum: Some(1),
        ..def
    };
    assert_eq!(q1.min_remaining(3), 2);
    assert_eq!(q3.min_remaining(2), 2);
    assert_eq!(def.min_remaining(4), 3);
    // the rule is part of the description, absent by default
    let j = serde_json::to_value(spec(None)).unwrap();
    assert!(j.get("reconfiguration").is_none());
    let j = serde_json::to_value(spec(Some(all))).unwrap();
    assert_eq!(j["reconfiguration"], json!({"signers": "all"}));
}

#[test]
fn controller_timestamps_are_read_as_seconds_since_the_epoch() {
    assert_eq!(epoch_secs("1970-01-01T00:00:00.000000"), Some(0));
    assert_eq!(
        epoch_secs("2026-12-07T05:24:25.123456"),
        Some(1_796_621_065)
    );
    assert_eq!(epoch_secs("2000-02-29T23:59:59"), Some(951_868_799));
    assert_eq!(epoch_secs("1969-12-31T00:00:00"), Some(-86_400));
    for bad in ["", "2026-12-07", "2026-13-01T00:00:00", "x-1-1T0:0:0"] {
        assert_eq!(epoch_secs(bad), None, "{bad}");
    }
    assert_eq!(Reconfiguration::default().grace(), 300);
}

#[test]
fn any_owner_removes_a_dead_owner_with_the_others_who_are_not_asked_the_removed_one() {
    let (mut w, j) = three_owners(None);
    // owner 2 (not the first) proposes to remove owner 3
    let neg = w
        .run(2, |f| f.propose_successor(&j, &[id(1), id(2)], "m2"))
        .unwrap();
    assert_eq!(w.negs[0]["participants"], json!([id(1), id(2)]));
    // the removed owner is not asked to sign, and is warned
    assert_eq!(w.run(3, |f| f.review_successor(&j)).unwrap(), None);
    let m = w.run(3, |f| f.membership(&j)).unwrap();
    let p = &m.proposals[0];
    assert!(p.removes(&id(3)) && p.proposer == id(2) && p.refused.is_none());
    assert_eq!(
        (p.signed.clone(), p.waiting.clone()),
        (vec![id(2)], vec![id(1)])
    );
    assert_eq!(w.run(1, |f| f.agreed_successor(&j)).unwrap(), None);
    w.co_sign_all(&j, &[1]);
    assert_eq!(w.negs[0]["status"], "DONE");
    let kd = joint_key_data("m2", &[id(1), id(2)]);
    let next = joint_peer_id(&kd).unwrap();
    let want = Some((next.clone(), vec![id(1), id(2)]));
    assert_eq!(w.run(3, |f| f.agreed_successor(&j)).unwrap(), want);
    // only an owner of the successor creates it, by the agreement, once
    assert_eq!(w.run(3, |f| f.successor(&j)).unwrap(), Some(next.clone()));
    assert!(!w.peers.contains_key(&next));
    assert_eq!(w.run(1, |f| f.current(&j)).unwrap(), next);
    assert_eq!(w.peers[&next]["consensus_id"], format!("C-{neg}"));
    assert_eq!(w.run(2, |f| f.successor(&j)).unwrap(), Some(next.clone()));
    assert_eq!(w.run(3, |f| f.current(&j)).unwrap(), next);
    assert_eq!(w.creations, 1);
}

#[test]
fn a_conflict_creating_the_agreed_successor_means_another_owner_created_it() {
    let (mut w, j) = three_owners(None);
    w.run(1, |f| f.propose_successor(&j, &[id(1), id(2)], "m2"))
        .unwrap();
    w.co_sign_all(&j, &[2]);
    let next = joint_peer_id(&joint_key_data("m2", &[id(1), id(2)])).unwrap();
    w.race = true;
    assert_eq!(w.run(1, |f| f.successor(&j)).unwrap(), Some(next));
    assert_eq!(w.creations, 0);
}

#[test]
fn a_proposal_that_leaves_a_minority_is_refused_and_so_is_a_non_owner() {
    let (mut w, j) = three_owners(None);
    let err = w
        .run(1, |f| f.propose_successor(&j, &[id(1), id(4)], "m2"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("only 1 of the 3 owners would remain"), "{err}");
    let err = w
        .run(4, |f| {
            f.propose_successor(&j, &[id(1), id(2), id(3), id(4)], "m2")
        })
        .unwrap_err()
        .to_string();
    assert!(err.contains("only an owner"), "{err}");
    assert!(w.negs.is_empty());
}

#[test]
fn a_forged_successor_by_one_owner_is_ignored_by_everyone() {
    let (mut w, j) = three_owners(None);
    // owner 1 alone agrees with itself on a successor it alone owns, and creates it
    let forged = w.forge(1, &j, "mine", &[id(1)]);
    assert_eq!(w.negs[0]["status"], "DONE");
    let kd = joint_key_data("mine", &[id(1)]);
    let fake = joint_peer_id(&kd).unwrap();
    for n in 1..=3 {
        assert_eq!(w.run(n, |f| f.agreed_successor(&j)).unwrap(), None);
        assert_eq!(w.run(n, |f| f.successor(&j)).unwrap(), None);
        assert_eq!(w.run(n, |f| f.current(&j)).unwrap(), j);
    }
    assert!(!w.peers.contains_key(&fake));
    let m = w.run(2, |f| f.membership(&j)).unwrap();
    assert_eq!(m.successor, None);
    assert_eq!(m.ignored[0].negotiation, forged);
    assert!(
        m.ignored[0].reason.contains("would remain"),
        "{:?}",
        m.ignored
    );
    // a forged agreement that claims signatures it does not have
    let n = w.forge(1, &j, "m3", &[id(1), id(2)]);
    let last = w.negs.iter_mut().find(|x| x["id"] == n).unwrap();
    let mut s = last["signings"][0].clone();
    s["signer_key_id"] = json!(id(2));
    s["key_data"] = json!(key(2).key_data());
    last["signings"].as_array_mut().unwrap().push(s);
    assert_eq!(w.run(3, |f| f.agreed_successor(&j)).unwrap(), None);
    let m = w.run(3, |f| f.membership(&j)).unwrap();
    assert!(
        m.ignored[1].reason.contains("did not sign"),
        "{:?}",
        m.ignored
    );
    // a valid successor agreed later is the one followed
    w.run(1, |f| f.propose_successor(&j, &[id(1), id(2)], "m4"))
        .unwrap();
    w.co_sign_all(&j, &[2]);
    let good = joint_peer_id(&joint_key_data("m4", &[id(1), id(2)])).unwrap();
    assert_eq!(w.run(3, |f| f.current(&j)).unwrap(), j, "3 does not own it");
    assert_eq!(w.run(2, |f| f.current(&j)).unwrap(), good);
}

#[test]
fn under_the_all_rule_the_removed_owner_signs_too() {
    let all = Reconfiguration {
        signers: ReconfigurationSigners::All,
        quorum: None,
        grace: None,
    };
    let (mut w, j) = three_owners(Some(all));
    w.run(1, |f| f.propose_successor(&j, &[id(1)], "m2"))
        .unwrap();
    assert_eq!(w.negs[0]["participants"], json!([id(1), id(2), id(3)]));
    w.co_sign_all(&j, &[2]);
    assert_eq!(w.run(1, |f| f.agreed_successor(&j)).unwrap(), None);
    w.co_sign_all(&j, &[3]);
    let next = joint_peer_id(&joint_key_data("m2", &[id(1)])).unwrap();
    assert_eq!(w.run(1, |f| f.current(&j)).unwrap(), next);
}

#[test]
fn a_join_request_is_listed_approved_by_a_successor_and_followed() {
    let (mut w, j) = three_owners(None);
    let s = spec(None);
    // the newcomer must be registered and have reviewed the description
    let err = w
        .run(6, |f| f.request_join(&j, &s))
        .unwrap_err()
        .to_string();
    assert!(err.contains("register"), "{err}");
    let other = MixnetSpec {
        terms: "other".into(),
        ..s.clone()
    };
    let err = w.run(4, |f| f.request_join(&j, &other)).unwrap_err();
    assert!(err.to_string().contains("not the one reviewed"), "{err}");
    let neg = w.run(4, |f| f.request_join(&j, &s)).unwrap();
    // filed once: a second run finds it
    assert_eq!(w.run(4, |f| f.request_join(&j, &s)).unwrap(), neg);
    assert_eq!(w.negs.len(), 1);
    assert_eq!(w.negs[0]["title"], format!("join:{j}"));
    assert_eq!(
        w.negs[0]["participants"],
        json!([id(4), id(1), id(2), id(3)])
    );
    let m = w.run(2, |f| f.membership(&j)).unwrap();
    let r = &m.requests[0];
    assert_eq!((r.peer.as_str(), r.name.as_str()), (id(4).as_str(), "p4"));
    assert!(r.valid);
    assert_eq!(r.state, JoinState::Pending);
    // owner 3 approves: the successor adding 4, which 4 and the owners sign
    w.run(3, |f| f.approve_join(&j, &id(4), "m2")).unwrap();
    let m = w.run(4, |f| f.membership(&j)).unwrap();
    assert!(matches!(m.requests[0].state, JoinState::Proposed { .. }));
    assert!(w.run(2, |f| f.approve_join(&j, &id(4), "m3")).is_err());
    w.co_sign_all(&j, &[4, 1, 2]);
    let next = joint_peer_id(&joint_key_data("m2", &[id(1), id(2), id(3), id(4)])).unwrap();
    let m = w.run(4, |f| f.membership(&j)).unwrap();
    assert_eq!(
        m.requests[0].state,
        JoinState::Approved {
            successor: next.clone()
        }
    );
    assert_eq!(w.run(4, |f| f.current(&j)).unwrap(), next);
    assert_eq!(w.peers[&next]["owners"].as_array().unwrap().len(), 4);
}

#[test]
fn a_refused_join_request_says_by_whom_and_why_and_a_forged_one_does_not_count() {
    let (mut w, j) = three_owners(None);
    let s = spec(None);
    w.run(5, |f| f.request_join(&j, &s)).unwrap();
    // only an owner answers
    assert!(w.run(4, |f| f.refuse_join(&j, &id(5), "no")).is_err());
    w.run(1, |f| f.refuse_join(&j, &id(5), "not now")).unwrap();
    let m = w.run(5, |f| f.membership(&j)).unwrap();
    let want = JoinState::Refused {
        by: id(1),
        reason: "not now".into(),
    };
    assert_eq!(m.requests[0].state, want);
    let err = w.run(2, |f| f.approve_join(&j, &id(5), "m2")).unwrap_err();
    assert!(err.to_string().contains("refused already"), "{err}");
    // asking again files a new request
    w.run(5, |f| f.request_join(&j, &s)).unwrap();
    assert_eq!(w.negs.len(), 2);
    // a request whose backend key is not the registered one is not valid
    let p5 = w.peers.get_mut(&id(5)).unwrap();
    p5["crypto_params"]["mix_key"] = json!("changed");
    let m = w.run(1, |f| f.membership(&j)).unwrap();
    assert!(m.requests.iter().all(|r| !r.valid));
    let err = w.run(1, |f| f.approve_join(&j, &id(5), "m2")).unwrap_err();
    assert!(err.to_string().contains("another backend key"), "{err}");
    let json = serde_json::to_value(&m.requests[0]).unwrap();
    assert_eq!(json["state"], "refused");
    assert_eq!(json["by"], json!(id(1)));
}

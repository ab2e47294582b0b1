//! A mix-net's agreed description and its per-cycle endpoint graph.
//!
//! The description lives in the joint peer's `crypto_params`, so every owner signed
//! it when the joint peer was created. Each cycle's endpoints are created from the
//! graph this module derives from it (the seed's §4.1 graphs), all in one
//! negotiation among the owners; a graph may also be given as a JSON template.

use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};

/// The election a ZEUS mix-net runs (what the web demo calls the election, kept in
/// the joint peer's `crypto_params`): the question, the allowed answers and the
/// eligible voters' public credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Election {
    /// The question put to the voters.
    #[serde(default)]
    pub question: String,
    /// The allowed answers, in order; empty for a free-text election.
    #[serde(default)]
    pub options: Vec<String>,
    /// Eligible voters' public credentials (64 hex each); empty: any credential.
    #[serde(default)]
    pub voters: Vec<String>,
}

/// What the owners agreed on for the mix-net.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MixnetSpec {
    /// A short name, used in endpoint ids.
    pub name: String,
    /// `SPHINXMIX` or `ZEUS`.
    pub backend: String,
    /// Backend parameters (Sphinx: BODY_LEN, MAX_HOPS; Zeus: MIX_PROOF, SK_ROUNDS).
    pub params: Json,
    /// An entry endpoint closes once it holds this many messages.
    pub size_min: i64,
    /// And takes at most this many.
    pub size_max: i64,
    /// Seconds after which a cycle's public entry endpoint closes with at least
    /// `size_min` messages; with it set, it closes before that only when it
    /// holds `size_max` ([`crate::deadline`]). Absent: it closes at `size_min`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub close_after: Option<u64>,
    /// Zeus: the joint election key (the sum of the owners' trustee keys).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub election_public_key: Option<String>,
    /// Terms of service and policies a joining administrator accepts explicitly.
    #[serde(default)]
    pub terms: String,
    /// An endpoint graph template (JSON list) replacing the default graph; strings
    /// may use `{cycle}`, `{name}`, `{joint}`, `{owner0}`, `{owner1}`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub graph: Option<Json>,
    /// The mix-net this one succeeds after a reconfiguration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<String>,
    /// Zeus: the question, its allowed answers and the voter list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub election: Option<Election>,
    /// Who must sign a successor (a reconfiguration); absent: the default
    /// [`Reconfiguration`] (every remaining owner, a strict majority remaining).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reconfiguration: Option<Reconfiguration>,
}

/// Whose signatures a successor needs besides its new owners' (every new owner
/// signs anyway: the controller creates a joint peer only by a consensus all its
/// owners signed).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReconfigurationSigners {
    /// Every owner that remains; removed owners do not sign.
    #[default]
    Remaining,
    /// Every old owner, removed ones included (a node leaves only by consent).
    All,
}

/// The reconfiguration rule the owners agreed on with the mix-net's description
/// (docs/mixnet.md, "Reconfiguration"): a successor is followed only if its
/// agreement's verified signatures satisfy it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reconfiguration {
    /// Whose signatures are needed.
    #[serde(default)]
    pub signers: ReconfigurationSigners,
    /// With `remaining`: at least this many old owners must remain and sign.
    /// Never less than a strict majority of the old owners, whatever is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quorum: Option<usize>,
    /// Seconds the cycle in progress may still take to complete once a
    /// successor that removes an owner is agreed; then it is abandoned (a dead
    /// owner would keep it from ever completing). Default 300.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grace: Option<u64>,
}

impl Reconfiguration {
    /// How many of `old` owners must remain (and sign) in a successor:
    /// a strict majority, or `quorum` if larger (capped at `old`).
    pub fn min_remaining(&self, old: usize) -> usize {
        let majority = old / 2 + 1;
        self.quorum.unwrap_or(0).clamp(majority, old.max(majority))
    }

    /// [`Reconfiguration::grace`], or its default.
    pub fn grace(&self) -> i64 {
        self.grace.map_or(300, |g| g.min(i64::MAX as u64) as i64)
    }
}

/// The session id a trustee's proof of knowledge of its key share is bound to.
pub const TRUSTEE_KEY_SESSION: &str = "panoramix/zeus/trustee-key/v1";

impl MixnetSpec {
    /// How a cycle's entry endpoint closes, in words (as the wizards show it).
    pub fn cycle_words(&self) -> String {
        let (min, max) = (self.size_min, self.size_max);
        match self.close_after {
            None => format!("entry endpoints take {min}..{max} messages per cycle"),
            Some(d) => format!(
                "entry endpoints take {min}..{max} messages per cycle and close at {max}, or after {d} s with at least {min}"
            ),
        }
    }

    /// Endpoint id of an owner-independent stage of `cycle`.
    pub fn ep(&self, cycle: u64, stage: &str) -> String {
        format!("{}-{cycle}-{stage}", self.name)
    }

    /// The entry endpoint of a cycle (gateway or booth).
    pub fn entry(&self, cycle: u64) -> String {
        if self.backend == "ZEUS" {
            self.ep(cycle, "booth")
        } else {
            self.ep(cycle, "gw")
        }
    }

    /// The endpoint whose OUTBOX is the cycle's result.
    pub fn result(&self, cycle: u64) -> String {
        if self.backend == "ZEUS" {
            self.ep(cycle, "combine")
        } else {
            self.ep(cycle, "gw")
        }
    }

    /// Zeus endpoint parameters for `cycle` (a `ZeusParams` as JSON): `trustees` are
    /// the trustees' published key records in trustee order (any type that
    /// serializes as one: `panoramix_zeus::TrusteeKey`, or its JSON). Only the booth (`booth`)
    /// carries the voter list, so that a long list is not copied into every endpoint.
    pub fn zeus_params<T: Serialize>(
        &self,
        joint: &str,
        cycle: u64,
        trustees: &[T],
        booth: bool,
    ) -> Json {
        let answers: &[String] = self.election.as_ref().map_or(&[], |e| &e.options);
        let mut p = json!({
            "session_id": format!("{joint}/{cycle}"),
            "election_public_key": self.election_public_key,
            "trustees": trustees,
            "trustee_key_session": TRUSTEE_KEY_SESSION,
            "answers": answers,
            "sk_rounds": self.params["SK_ROUNDS"].as_u64().unwrap_or(128),
        });
        if booth {
            let voters: &[String] = self.election.as_ref().map_or(&[], |e| &e.voters);
            p["voters"] = json!(voters);
        }
        p
    }

    /// The endpoint specs of `cycle`: `owners` are the joint peer's owners in route
    /// order; `trustees` (Zeus) the trustees' published keys in trustee order (the
    /// owners', or a threshold election's `params.TRUSTEES`).
    pub fn graph<T: Serialize>(
        &self,
        joint: &str,
        owners: &[String],
        trustees: &[T],
        cycle: u64,
    ) -> Vec<Json> {
        if let Some(t) = &self.graph {
            return instantiate(t, self, joint, owners, cycle);
        }
        let link = |from: &str, fb: &str, tb: &str| json!({"from_endpoint_id": from, "from_box": fb, "to_box": tb});
        let n = owners.len();
        let mut g = Vec::new();
        if self.backend == "ZEUS" {
            let p = self.zeus_params(joint, cycle, trustees, false);
            let booth = self.zeus_params(joint, cycle, trustees, true);
            let mix_type = if self.params["MIX_PROOF"].as_str() == Some("SK") {
                "ZEUS_SK_MIX"
            } else {
                "ZEUS_TW_MIX"
            };
            g.push(json!({"endpoint_id": self.entry(cycle), "peer_id": joint, "endpoint_type": "ZEUS_BOOTH",
                "size_min": self.size_min, "size_max": self.size_max, "public": true, "links": [],
                "description": "ballot box", "endpoint_params": booth}));
            let mut prev = (self.entry(cycle), "OUTBOX");
            for (i, o) in owners.iter().enumerate() {
                let id = self.ep(cycle, &format!("mix{i}"));
                g.push(json!({"endpoint_id": id, "peer_id": o, "endpoint_type": mix_type, "size_min": 1,
                    "size_max": self.size_max, "public": false, "links": [link(&prev.0, prev.1, "INBOX")],
                    "description": format!("mix {}", i + 1), "endpoint_params": p}));
                prev = (id, "OUTBOX");
            }
            let mut decr_links = Vec::new();
            let decryptors = if self.threshold().is_some() {
                // threshold trustees make their own partial decryptions at tally
                // time (`partial_decryption`): the combination names them all
                self.trustee_ids(owners)
            } else {
                owners.to_vec()
            };
            for (i, o) in decryptors.iter().enumerate() {
                let d = self.partial_decryption(cycle, n, i, o, &p);
                decr_links.push(link(
                    &self.ep(cycle, &format!("decr{i}")),
                    "OUTBOX",
                    "INBOX",
                ));
                if self.threshold().is_none() {
                    g.push(d);
                }
            }
            g.push(json!({"endpoint_id": self.result(cycle), "peer_id": joint, "endpoint_type": "ZEUS_SK_COMBINE",
                "size_min": 1, "size_max": self.size_max * decryptors.len() as i64, "public": false, "links": decr_links,
                "description": "combination of the partial decryptions", "endpoint_params": p}));
        } else {
            let p =
                json!({"BODY_LEN": self.params["BODY_LEN"], "MAX_HOPS": self.params["MAX_HOPS"]});
            let last = self.ep(cycle, &format!("mix{}", n.saturating_sub(1)));
            g.push(json!({"endpoint_id": self.entry(cycle), "peer_id": joint, "endpoint_type": "SPHINXMIX_GATEWAY",
                "size_min": self.size_min, "size_max": self.size_max, "public": true,
                "links": [link(&last, "OUTBOX", "PROCESSBOX")], "description": "the mix-net gateway", "endpoint_params": p}));
            let mut prev = (self.entry(cycle), "ACCEPTED");
            for (i, o) in owners.iter().enumerate() {
                let id = self.ep(cycle, &format!("mix{i}"));
                g.push(json!({"endpoint_id": id, "peer_id": o, "endpoint_type": "SPHINXMIX", "size_min": 1,
                    "size_max": self.size_max, "public": false, "links": [link(&prev.0, prev.1, "INBOX")],
                    "description": format!("mix {}", i + 1), "endpoint_params": p}));
                prev = (id, "OUTBOX");
            }
        }
        g
    }
}

impl MixnetSpec {
    /// The partial decryption of trustee `i` (0-based) in `cycle` of a ZEUS
    /// mix-net with `mixers` owners: an endpoint of `peer` (the trustee) whose
    /// INBOX takes the last mix's OUTBOX, with the cycle's parameters `p`.
    pub fn partial_decryption(
        &self,
        cycle: u64,
        mixers: usize,
        i: usize,
        peer: &str,
        p: &Json,
    ) -> Json {
        let last_mix = self.ep(cycle, &format!("mix{}", mixers.saturating_sub(1)));
        json!({"endpoint_id": self.ep(cycle, &format!("decr{i}")), "peer_id": peer,
            "endpoint_type": "ZEUS_SK_PARTIAL_DECRYPT", "size_min": 1, "size_max": self.size_max,
            "public": false,
            "links": [{"from_endpoint_id": last_mix, "from_box": "OUTBOX", "to_box": "INBOX"}],
            "description": format!("partial decryption {}", i + 1), "endpoint_params": p})
    }

    /// The partial decryptions every trustee makes itself at tally time in
    /// `cycle` of a threshold election whose owners are `owners`, in trustee
    /// order: trustee `j`'s on its own peer, with the parameters of `graph`'s
    /// combination (the cycle's graph with the key applied).
    pub fn partial_decryptions(&self, graph: &[Json], owners: &[String], cycle: u64) -> Vec<Json> {
        let Some(combine) = graph
            .iter()
            .find(|g| g["endpoint_type"] == "ZEUS_SK_COMBINE")
        else {
            return Vec::new();
        };
        let p = &combine["endpoint_params"];
        self.trustee_ids(owners)
            .iter()
            .enumerate()
            .map(|(j, id)| self.partial_decryption(cycle, owners.len(), j, id, p))
            .collect()
    }

    /// The trustees (peer ids, in trustee order): with threshold trustees,
    /// `params.TRUSTEES` when given (peers apart from the owners, who then
    /// only mix); otherwise the owners.
    pub fn trustee_ids(&self, owners: &[String]) -> Vec<String> {
        match self.params.get("TRUSTEES").and_then(Json::as_array) {
            Some(ids) if self.threshold().is_some() => ids
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            _ => owners.to_vec(),
        }
    }
}

fn instantiate(
    t: &Json,
    spec: &MixnetSpec,
    joint: &str,
    owners: &[String],
    cycle: u64,
) -> Vec<Json> {
    fn walk(v: &Json, f: &dyn Fn(&str) -> String) -> Json {
        match v {
            Json::String(s) => Json::String(f(s)),
            Json::Array(a) => Json::Array(a.iter().map(|x| walk(x, f)).collect()),
            Json::Object(o) => {
                Json::Object(o.iter().map(|(k, x)| (k.clone(), walk(x, f))).collect())
            }
            other => other.clone(),
        }
    }
    let subst = |s: &str| {
        let mut out = s
            .replace("{cycle}", &cycle.to_string())
            .replace("{name}", &spec.name)
            .replace("{joint}", joint);
        for (i, o) in owners.iter().enumerate() {
            out = out.replace(&format!("{{owner{i}}}"), o);
        }
        out
    };
    match walk(t, &subst) {
        Json::Array(items) => items,
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use panoramix_zeus::{TrusteeKey, TrusteeSecret, ZeusParams, combine_trustee_keys};

    fn zeus_spec(election: Option<Election>) -> (MixnetSpec, Vec<TrusteeKey>) {
        let mut rng = rand_core::OsRng;
        let keys: Vec<TrusteeKey> = (0..3)
            .map(|_| TrusteeSecret::generate(&mut rng).publish(TRUSTEE_KEY_SESSION, &mut rng))
            .collect();
        let pk = combine_trustee_keys(TRUSTEE_KEY_SESSION, &keys).unwrap();
        let spec = MixnetSpec {
            name: "e".into(),
            backend: "ZEUS".into(),
            params: json!({"MIX_PROOF": "TW", "SK_ROUNDS": 130}),
            size_min: 2,
            size_max: 4,
            close_after: None,
            election_public_key: Some(pk.to_hex()),
            terms: String::new(),
            graph: None,
            previous: None,
            election,
            reconfiguration: None,
        };
        (spec, keys)
    }

    fn owners() -> Vec<String> {
        vec!["a".into(), "b".into(), "c".into()]
    }

    #[test]
    fn every_zeus_endpoint_gets_the_trustee_records_and_answers_only_the_booth_the_voters() {
        let voters = vec!["11".repeat(32), "22".repeat(32)];
        let (spec, keys) = zeus_spec(Some(Election {
            question: "q".into(),
            options: vec!["yes".into(), "no".into()],
            voters: voters.clone(),
        }));
        let g = spec.graph("J", &owners(), &keys, 7);
        assert_eq!(g.len(), 1 + 3 + 3 + 1);
        for ep in &g {
            let p = &ep["endpoint_params"];
            let booth = ep["endpoint_type"] == "ZEUS_BOOTH";
            let mut want = json!({
                "session_id": "J/7",
                "election_public_key": spec.election_public_key,
                "trustees": keys,
                "trustee_key_session": TRUSTEE_KEY_SESSION,
                "answers": ["yes", "no"],
                "sk_rounds": 130,
            });
            if booth {
                want["voters"] = json!(voters);
            }
            assert_eq!(p, &want, "{}", ep["endpoint_id"]);
            assert!(p["trustees"][0]["proof"]["commitment"].is_string());
            // what the backends parse (unknown fields refused), and it checks out
            let zp: ZeusParams = serde_json::from_value(p.clone()).unwrap();
            assert_eq!(zp.verify_trustees().unwrap().keys.len(), 3);
            assert_eq!(zp.voters.len(), if booth { 2 } else { 0 });
        }
    }

    #[test]
    fn without_an_election_the_answers_and_voters_are_empty_lists() {
        let (spec, keys) = zeus_spec(None);
        for ep in spec.graph("J", &owners(), &keys, 1) {
            let p = &ep["endpoint_params"];
            assert_eq!(p["answers"], json!([]));
            if ep["endpoint_type"] == "ZEUS_BOOTH" {
                assert_eq!(p["voters"], json!([]));
            } else {
                assert!(p.get("voters").is_none());
            }
            let zp: ZeusParams = serde_json::from_value(p.clone()).unwrap();
            assert!(zp.answers.is_empty() && zp.voters.is_empty());
        }
    }

    #[test]
    fn the_election_object_round_trips_and_is_optional() {
        let (spec, _) = zeus_spec(None);
        let j = serde_json::to_value(&spec).unwrap();
        assert!(j.get("election").is_none());
        // as the web demo stores it: no voters key
        let mut web = j.clone();
        web["election"] = json!({"question": "q", "options": ["a", "b"]});
        let back: MixnetSpec = serde_json::from_value(web).unwrap();
        let e = back.election.clone().unwrap();
        assert_eq!(e.options, ["a", "b"]);
        assert!(e.voters.is_empty());
        let again: MixnetSpec =
            serde_json::from_value(serde_json::to_value(&back).unwrap()).unwrap();
        assert_eq!(again, back);
    }
}

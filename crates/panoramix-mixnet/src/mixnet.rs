//! A mix-net's agreed description and its per-cycle endpoint graph.
//!
//! The description lives in the joint peer's `crypto_params`, so every owner signed
//! it when the joint peer was created. Each cycle's endpoints are created from the
//! graph this module derives from it (the seed's §4.1 graphs), all in one
//! negotiation among the owners; a graph may also be given as a JSON template.

use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};

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
}

/// The session id a trustee's proof of knowledge of its key share is bound to.
pub const TRUSTEE_KEY_SESSION: &str = "panoramix/zeus/trustee-key/v1";

impl MixnetSpec {
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

    /// Zeus endpoint parameters for `cycle`.
    fn zeus_params(&self, joint: &str, cycle: u64, trustees: &[String]) -> Json {
        json!({
            "session_id": format!("{joint}/{cycle}"),
            "election_public_key": self.election_public_key,
            "trustees": trustees,
            "sk_rounds": self.params["SK_ROUNDS"].as_u64().unwrap_or(128),
        })
    }

    /// The endpoint specs of `cycle`: `owners` are the joint peer's owners in route
    /// order; `trustees` (Zeus) their trustee public keys in the same order.
    pub fn graph(
        &self,
        joint: &str,
        owners: &[String],
        trustees: &[String],
        cycle: u64,
    ) -> Vec<Json> {
        if let Some(t) = &self.graph {
            return instantiate(t, self, joint, owners, cycle);
        }
        let link = |from: &str, fb: &str, tb: &str| json!({"from_endpoint_id": from, "from_box": fb, "to_box": tb});
        let n = owners.len();
        let mut g = Vec::new();
        if self.backend == "ZEUS" {
            let p = self.zeus_params(joint, cycle, trustees);
            let mix_type = if self.params["MIX_PROOF"].as_str() == Some("SK") {
                "ZEUS_SK_MIX"
            } else {
                "ZEUS_TW_MIX"
            };
            g.push(json!({"endpoint_id": self.entry(cycle), "peer_id": joint, "endpoint_type": "ZEUS_BOOTH",
                "size_min": self.size_min, "size_max": self.size_max, "public": true, "links": [],
                "description": "ballot box", "endpoint_params": p}));
            let mut prev = (self.entry(cycle), "OUTBOX");
            for (i, o) in owners.iter().enumerate() {
                let id = self.ep(cycle, &format!("mix{i}"));
                g.push(json!({"endpoint_id": id, "peer_id": o, "endpoint_type": mix_type, "size_min": 1,
                    "size_max": self.size_max, "public": false, "links": [link(&prev.0, prev.1, "INBOX")],
                    "description": format!("mix {}", i + 1), "endpoint_params": p}));
                prev = (id, "OUTBOX");
            }
            let last_mix = prev.0;
            let mut decr_links = Vec::new();
            for (i, o) in owners.iter().enumerate() {
                let id = self.ep(cycle, &format!("decr{i}"));
                g.push(json!({"endpoint_id": id, "peer_id": o, "endpoint_type": "ZEUS_SK_PARTIAL_DECRYPT", "size_min": 1,
                    "size_max": self.size_max, "public": false, "links": [link(&last_mix, "OUTBOX", "INBOX")],
                    "description": format!("partial decryption {}", i + 1), "endpoint_params": p}));
                decr_links.push(link(&id, "OUTBOX", "INBOX"));
            }
            g.push(json!({"endpoint_id": self.result(cycle), "peer_id": joint, "endpoint_type": "ZEUS_SK_COMBINE",
                "size_min": 1, "size_max": self.size_max * n as i64, "public": false, "links": decr_links,
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

//! The append-only, hash-chained audit log.
//!
//! Every accepted state change appends one entry (a contribution that closes a
//! negotiation appends a second, `consensus`, entry). An entry is the canonical
//! dictionary
//!
//! ```text
//! {seq, prev, time, kind, signer, key_data, request, signature, consensus, effect}
//! ```
//!
//! where `request` is the exact canonical byte string the signer signed
//! (`{data, info, by_consensus?}`), `consensus` the consensus id the request applied
//! (or null) and `effect` what changed. Its hash is
//! `sha256hex("panoramix/v1/audit" || 0x00 || canonical(entry))`, and `prev` is the
//! previous entry's hash (64 zeros for the first). [`verify_log`] re-checks a whole
//! log: the chain, every signature, every consensus id and every signing (under the
//! label named by the entry's `signing_labels`, or the legacy label when it has none,
//! see [`SIGNING_LABELS`]), and that
//! each consensus was applied once, to exactly the action it agreed.

use crate::canonical::{self, Value};
use crate::identity::{Domain, PublicKey};
use crate::negotiation::{self, ContributionLabel, Text};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, HashSet};

/// The key of a `consensus` entry's effect naming, for each signer, the label its
/// contribution signature was made with (`panoramix/v1/contribution-in` over
/// canonical `{negotiation_id, text}`, or the legacy `panoramix/v1/contribution`
/// over the text). Entries written before contributions were bound to their
/// negotiation lack it: all their signings are legacy.
pub const SIGNING_LABELS: &str = "signing_labels";

/// The `prev` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Hash of an entry's canonical bytes.
pub fn entry_hash(entry: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(b"panoramix/v1/audit\0");
    h.update(entry);
    hex::encode(h.finalize())
}

/// One stored entry, as `GET /panoramix/audit/` returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// Position, from 1.
    pub seq: i64,
    /// Hash of the previous entry.
    pub prev_hash: String,
    /// Hash of this entry.
    pub entry_hash: String,
    /// The canonical entry.
    pub entry: String,
}

/// The controller-signed head of the log, as `GET /panoramix/audit/` returns it
/// with every page: the controller's signature over canonical
/// `{controller, seq, hash}` (domain [`Domain::AuditHead`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Head {
    /// The controller's id (the key id of `key_data`).
    pub controller: String,
    /// The controller's public key.
    pub key_data: String,
    /// The last entry's position (0 for an empty log).
    pub seq: i64,
    /// The last entry's hash ([`GENESIS`] for an empty log).
    pub hash: String,
    /// The controller's signature.
    pub signature: String,
}

impl Head {
    /// Whether the signature is the named controller's over this head.
    pub fn verify(&self) -> bool {
        let Ok(pk) = PublicKey::from_key_data(&self.key_data) else {
            return false;
        };
        if pk.key_id() != self.controller {
            return false;
        }
        let v = Value::dict([
            ("controller", Value::str(self.controller.as_str())),
            ("seq", Value::Int(i128::from(self.seq))),
            ("hash", Value::str(self.hash.as_str())),
        ]);
        pk.verify(Domain::AuditHead, &v.encode(), &self.signature)
            .is_ok()
    }
}

/// Where and why a log fails verification.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("audit log breaks at entry {seq}: {reason}")]
pub struct Break {
    /// The first entry that fails.
    pub seq: i64,
    /// What is wrong with it.
    pub reason: String,
}

/// What a successful verification checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Entries checked.
    pub entries: usize,
    /// Request signatures verified.
    pub signatures: usize,
    /// Consensus ids recomputed (and their signings verified).
    pub consensuses: usize,
    /// Consensus applications checked against the agreed text.
    pub applications: usize,
    /// The hash of the last entry.
    pub head: String,
}

fn brk(seq: i64, reason: impl Into<String>) -> Break {
    Break {
        seq,
        reason: reason.into(),
    }
}

/// Verify a whole log, from its first entry.
pub fn verify_log(records: &[Record]) -> Result<Summary, Break> {
    let mut prev = GENESIS.to_owned();
    let mut texts: HashMap<String, Text> = HashMap::new();
    let mut signers_of: HashMap<String, Vec<String>> = HashMap::new();
    let mut used: HashSet<(String, Option<u32>)> = HashSet::new();
    let mut s = Summary::default();
    for (i, r) in records.iter().enumerate() {
        let want_seq = i as i64 + 1;
        if r.seq != want_seq {
            return Err(brk(
                r.seq,
                format!("expected entry {want_seq}: entries are missing or reordered"),
            ));
        }
        if r.prev_hash != prev {
            return Err(brk(
                r.seq,
                "prev_hash is not the hash of the previous entry",
            ));
        }
        if entry_hash(r.entry.as_bytes()) != r.entry_hash {
            return Err(brk(r.seq, "entry_hash does not match the entry's contents"));
        }
        let e = canonical::decode(r.entry.as_bytes())
            .map_err(|e| brk(r.seq, format!("entry is not canonical: {e}")))?;
        let field = |k: &str| e.get(k);
        if field("seq").and_then(Value::as_int) != Some(i128::from(r.seq)) {
            return Err(brk(r.seq, "entry's seq field disagrees with its position"));
        }
        if field("prev").and_then(Value::as_str) != Some(prev.as_str()) {
            return Err(brk(r.seq, "entry's prev field disagrees with the chain"));
        }
        let kind = field("kind").and_then(Value::as_str).unwrap_or_default();
        // the request signature
        let mut request: Option<Value> = None;
        if let Some(sig) = field("signature").and_then(Value::as_str) {
            let key_data = field("key_data")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let signer = field("signer").and_then(Value::as_str).unwrap_or_default();
            let req_text = field("request").and_then(Value::as_str).unwrap_or_default();
            let pk = PublicKey::from_key_data(key_data)
                .map_err(|_| brk(r.seq, "key_data is not a valid key"))?;
            if pk.key_id() != signer {
                return Err(brk(r.seq, "signer is not the key id of key_data"));
            }
            pk.verify(Domain::Envelope, req_text.as_bytes(), sig)
                .map_err(|_| brk(r.seq, "request signature does not verify"))?;
            request = Some(
                canonical::decode(req_text.as_bytes())
                    .map_err(|_| brk(r.seq, "signed request is not canonical"))?,
            );
            s.signatures += 1;
        }
        let effect = field("effect").cloned().unwrap_or(Value::Null);
        if kind == "consensus" {
            let g = |k: &str| {
                effect
                    .get(k)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            };
            let (nid, text, ts) = (g("negotiation_id"), g("text"), g("timestamp"));
            let signings: BTreeMap<String, String> = effect
                .get("signings")
                .and_then(Value::as_dict)
                .map(|d| {
                    d.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                        .collect()
                })
                .unwrap_or_default();
            let keys = effect
                .get("key_data")
                .and_then(Value::as_dict)
                .cloned()
                .unwrap_or_default();
            let labels = effect.get(SIGNING_LABELS);
            for (signer, sig) in &signings {
                let label = match labels {
                    None => ContributionLabel::Legacy,
                    Some(l) => l
                        .get(signer)
                        .and_then(Value::as_str)
                        .and_then(ContributionLabel::parse)
                        .ok_or_else(|| {
                            brk(r.seq, format!("no valid signing label for signer {signer}"))
                        })?,
                };
                let kd = keys.get(signer).and_then(Value::as_str).unwrap_or_default();
                let pk = PublicKey::from_key_data(kd)
                    .map_err(|_| brk(r.seq, format!("no valid key for signer {signer}")))?;
                if &pk.key_id() != signer {
                    return Err(brk(
                        r.seq,
                        format!("key for signer {signer} has another key id"),
                    ));
                }
                negotiation::verify_contribution(&pk, label, &nid, &text, sig).map_err(|_| {
                    brk(
                        r.seq,
                        format!(
                            "signing of {signer} does not verify (label {})",
                            label.as_str()
                        ),
                    )
                })?;
            }
            let cid = negotiation::consensus_id(&nid, &text, &signings, &ts);
            if field("consensus").and_then(Value::as_str) != Some(cid.as_str()) {
                return Err(brk(r.seq, "consensus id does not recompute"));
            }
            let parsed = Text::parse(&text).map_err(|e| brk(r.seq, e.to_string()))?;
            texts.insert(cid.clone(), parsed);
            signers_of.insert(cid, signings.keys().cloned().collect());
            s.consensuses += 1;
        } else if let Some(cid) = field("consensus").and_then(Value::as_str) {
            let text = texts.get(cid).ok_or_else(|| {
                brk(
                    r.seq,
                    "applies a consensus that no earlier entry established",
                )
            })?;
            let req = request
                .as_ref()
                .ok_or_else(|| brk(r.seq, "consensus applied without a signed request"))?;
            let part = req
                .get("by_consensus")
                .and_then(|b| b.get("consensus_part"))
                .and_then(Value::as_int)
                .and_then(|p| u32::try_from(p).ok());
            let data_info = Value::dict([
                ("data", req.get("data").cloned().unwrap_or(Value::Null)),
                ("info", req.get("info").cloned().unwrap_or(Value::Null)),
            ]);
            let signers = signers_of.get(cid).cloned().unwrap_or_default();
            text.check_applies(part, &data_info.encode(), &signers)
                .map_err(|e| brk(r.seq, format!("consensus application: {e}")))?;
            if !used.insert((cid.to_owned(), part)) {
                return Err(brk(r.seq, "consensus applied twice"));
            }
            s.applications += 1;
        }
        prev = r.entry_hash.clone();
        s.entries += 1;
    }
    s.head = prev;
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Keypair;

    /// A log of `consensus` entries, each `(negotiation id, signature, labels)`.
    fn log(kp: &Keypair, entries: &[(&str, String, Option<&str>)]) -> Vec<Record> {
        let text = Text::encode(
            Value::str("x"),
            [("accept".to_string(), Value::Int(1))]
                .into_iter()
                .collect(),
        );
        let ts = "2026-01-01T00:00:00.000000";
        let mut prev = GENESIS.to_owned();
        let mut out = Vec::new();
        for (i, (nid, sig, label)) in entries.iter().enumerate() {
            let kid = kp.key_id();
            let signings: BTreeMap<String, String> = [(kid.clone(), sig.clone())].into();
            let mut effect = vec![
                ("negotiation_id", Value::str(*nid)),
                ("text", Value::str(text.as_str())),
                ("timestamp", Value::str(ts)),
                (
                    "signings",
                    Value::dict([(kid.as_str(), Value::str(sig.as_str()))]),
                ),
                (
                    "key_data",
                    Value::dict([(kid.as_str(), Value::str(kp.key_data()))]),
                ),
            ];
            if let Some(l) = label {
                effect.push((
                    SIGNING_LABELS,
                    Value::dict([(kid.as_str(), Value::str(*l))]),
                ));
            }
            let seq = i as i64 + 1;
            let entry = Value::dict([
                ("seq", Value::Int(i128::from(seq))),
                ("prev", Value::str(prev.as_str())),
                ("time", Value::str(ts)),
                ("kind", Value::str("consensus")),
                ("signer", Value::Null),
                ("key_data", Value::Null),
                ("request", Value::Null),
                ("signature", Value::Null),
                (
                    "consensus",
                    Value::str(negotiation::consensus_id(nid, &text, &signings, ts)),
                ),
                ("effect", Value::dict(effect)),
            ]);
            let bytes = String::from_utf8(entry.encode()).unwrap();
            let hash = entry_hash(bytes.as_bytes());
            out.push(Record {
                seq,
                prev_hash: prev.clone(),
                entry_hash: hash.clone(),
                entry: bytes,
            });
            prev = hash;
        }
        out
    }

    #[test]
    fn signings_verify_under_their_recorded_label_legacy_without_one() {
        let kp = Keypair::from_secret(&[5u8; 32]);
        let text = Text::encode(
            Value::str("x"),
            [("accept".to_string(), Value::Int(1))]
                .into_iter()
                .collect(),
        );
        let legacy = kp.sign(Domain::Contribution, text.as_bytes());
        let bound = negotiation::sign_contribution(&kp, "n2", &text);
        let bound_label = ContributionLabel::Bound.as_str();
        let legacy_label = ContributionLabel::Legacy.as_str();
        // an old entry (no signing_labels), a new bound one, a new legacy one
        let ok = log(
            &kp,
            &[
                ("n1", legacy.clone(), None),
                ("n2", bound.clone(), Some(bound_label)),
                ("n3", legacy.clone(), Some(legacy_label)),
            ],
        );
        assert_eq!(verify_log(&ok).unwrap().consensuses, 3);
        // a bound signature moved to another negotiation, or under the wrong label
        for bad in [
            vec![("n3", bound.clone(), Some(bound_label))],
            vec![("n2", bound.clone(), None)],
            vec![("n2", bound.clone(), Some(legacy_label))],
            vec![("n1", legacy.clone(), Some(bound_label))],
            vec![("n2", bound.clone(), Some("panoramix/v1/whatever"))],
        ] {
            let e = verify_log(&log(&kp, &bad)).unwrap_err();
            assert_eq!(e.seq, 1, "{e}");
            assert!(e.reason.contains("signing"), "{e}");
        }
    }

    #[test]
    fn a_head_verifies_only_as_signed_by_the_controller_it_names() {
        let kp = Keypair::from_secret(&[7u8; 32]);
        let v = Value::dict([
            ("controller", Value::str(kp.key_id())),
            ("seq", Value::Int(3)),
            ("hash", Value::str(GENESIS)),
        ]);
        let head = Head {
            controller: kp.key_id(),
            key_data: kp.key_data(),
            seq: 3,
            hash: GENESIS.to_owned(),
            signature: kp.sign(Domain::AuditHead, &v.encode()),
        };
        assert!(head.verify());
        assert!(
            !Head {
                seq: 4,
                ..head.clone()
            }
            .verify()
        );
        let other = Keypair::from_secret(&[8u8; 32]);
        assert!(
            !Head {
                controller: other.key_id(),
                ..head.clone()
            }
            .verify()
        );
        assert!(
            !Head {
                key_data: other.key_data(),
                ..head
            }
            .verify()
        );
    }
}

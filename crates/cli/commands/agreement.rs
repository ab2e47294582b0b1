//! Agreements for auditors (seed §4.5): one file per consensus, written by the
//! wizards and the demo, checked by `panoramix agreement verify FILE`. The format
//! is in docs/agreements.md.

use anyhow::Context;
use panoramix_core::canonical;
use panoramix_core::identity::key_id;
use panoramix_core::negotiation::{ContributionLabel, consensus_id, verify_contribution};
use panoramix_core::wire::{Negotiation, NegotiationStatus};
use serde_json::{Value as Json, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The `format` field of an agreement file.
pub const FORMAT: &str = "panoramix/v1/agreement";

#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Check an agreement file: every signature against its signer's key, the
    /// signers against the participants, the readable text against the canonical
    /// bytes, and the consensus id (exit 3 if anything fails).
    Verify {
        /// The `*.agreement.json` file.
        file: PathBuf,
    },
}

pub fn run(c: Command) -> anyhow::Result<ExitCode> {
    match c {
        Command::Verify { file } => {
            let raw = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let failures = match serde_json::from_str::<Json>(&raw) {
                Ok(v) => check(&v).err().unwrap_or_default(),
                Err(e) => vec![format!("the file is not JSON: {e}")],
            };
            if failures.is_empty() {
                let v: Json = serde_json::from_str(&raw)?;
                outln!(
                    "agreement verified: consensus {} ({}), {} signatures",
                    str_field(&v, &["consensus_id", "consensus"]).unwrap_or_default(),
                    v["title"].as_str().unwrap_or(""),
                    v["signings"].as_array().map_or(0, Vec::len)
                );
                return Ok(ExitCode::SUCCESS);
            }
            errln!("{}: the agreement does not verify:", file.display());
            for f in failures {
                errln!("  {f}");
            }
            Ok(ExitCode::from(3))
        }
    }
}

/// The agreement file of a closed negotiation (`None` while it is open).
pub fn document(n: &Negotiation) -> Option<Json> {
    if n.status != NegotiationStatus::Done {
        return None;
    }
    let text = n.text.as_deref()?;
    let readable = canonical::decode(text.as_bytes())
        .map(|v| canonical::to_json(&v))
        .unwrap_or(Json::Null);
    Some(json!({
        "format": FORMAT,
        "negotiation_id": n.id,
        "title": n.title,
        "participants": n.participants,
        "timestamp": n.timestamp,
        "consensus_id": n.consensus,
        "signature_label": ContributionLabel::Bound.as_str(),
        "text_canonical_hex": hex::encode(text.as_bytes()),
        "text": readable,
        "signings": n.signings.iter().map(|s| json!({
            "signer_key_id": s.signer_key_id,
            "key_data": s.key_data,
            "signature": s.signature,
        })).collect::<Vec<_>>(),
    }))
}

/// The file name of an agreement: `<prefix><title>.<consensus id>.agreement.json`,
/// the title with every character other than a letter, digit, `-` or `_` as `-`.
pub fn file_name(prefix: &str, n: &Negotiation) -> String {
    let slug: String = n
        .title
        .chars()
        .take(64)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let cid = n.consensus.as_deref().unwrap_or("open");
    format!("{prefix}{slug}.{cid}.agreement.json")
}

/// Write the agreement of `n` into `dir` (created if needed); `None` while `n` is
/// open. A consensus has one file: writing it again rewrites the same bytes.
pub fn write(dir: &Path, prefix: &str, n: &Negotiation) -> anyhow::Result<Option<PathBuf>> {
    let Some(doc) = document(n) else {
        return Ok(None);
    };
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let file = dir.join(file_name(prefix, n));
    std::fs::write(&file, serde_json::to_string_pretty(&doc)? + "\n")
        .with_context(|| format!("writing {}", file.display()))?;
    Ok(Some(file))
}

fn str_field(v: &Json, names: &[&str]) -> Option<String> {
    names
        .iter()
        .find_map(|k| v.get(*k).and_then(Json::as_str))
        .map(str::to_owned)
}

/// The agreed text's canonical bytes: `text_canonical_hex`, or (a negotiation as
/// the API returns it) `text` as a string.
pub fn canonical_text(v: &Json) -> Result<String, String> {
    if let Some(h) = v.get("text_canonical_hex") {
        let h = h.as_str().ok_or("`text_canonical_hex` is not a string")?;
        let bytes = hex::decode(h).map_err(|e| format!("`text_canonical_hex` is not hex: {e}"))?;
        return String::from_utf8(bytes).map_err(|_| "the canonical text is not UTF-8".to_owned());
    }
    v.get("text")
        .and_then(Json::as_str)
        .map(str::to_owned)
        .ok_or_else(|| "no `text_canonical_hex` (nor a string `text`)".to_owned())
}

/// One signing `{signer_key_id, key_data, signature}`.
fn signing(i: &Json) -> Result<(String, String, String), String> {
    let f = |k: &str| {
        i.get(k)
            .and_then(Json::as_str)
            .map(str::to_owned)
            .ok_or_else(|| format!("a signing has no string `{k}`"))
    };
    Ok((f("signer_key_id")?, f("key_data")?, f("signature")?))
}

/// Check the signatures of `signings` (the API's list form, with keys) over `text`
/// in negotiation `nid`; returns the signer → signature map and every failure.
pub fn check_signings(
    nid: &str,
    text: &str,
    signings: &[Json],
) -> (BTreeMap<String, String>, Vec<String>) {
    let mut map = BTreeMap::new();
    let mut failures = Vec::new();
    for (n, i) in signings.iter().enumerate() {
        let (signer, key_data, signature) = match signing(i) {
            Ok(s) => s,
            Err(e) => {
                failures.push(format!("signing #{n}: {e}"));
                continue;
            }
        };
        match key_id(&key_data) {
            Ok(id) if id == signer => {
                let ok =
                    panoramix_core::identity::PublicKey::from_key_data(&key_data).and_then(|pk| {
                        verify_contribution(&pk, ContributionLabel::Bound, nid, text, &signature)
                    });
                if ok.is_err() {
                    failures.push(format!(
                        "the signature of {signer} does not verify over the agreed text"
                    ));
                }
            }
            Ok(id) => failures.push(format!(
                "signing #{n}: key_data is the key of {id}, not of the signer {signer}"
            )),
            Err(e) => failures.push(format!("signing #{n} ({signer}): {e}")),
        }
        if map.insert(signer.clone(), signature).is_some() {
            failures.push(format!("{signer} signs twice"));
        }
    }
    (map, failures)
}

/// Every check of an agreement file; the failures, each naming what failed.
pub fn check(v: &Json) -> Result<(), Vec<String>> {
    let mut failures = Vec::new();
    let nid = str_field(v, &["negotiation_id", "id"]);
    let timestamp = str_field(v, &["timestamp"]);
    let cid = str_field(v, &["consensus_id", "consensus"]);
    let text = canonical_text(v);
    let signings = v.get("signings").and_then(Json::as_array);
    let (Some(nid), Some(timestamp), Some(cid), Ok(text), Some(signings)) =
        (nid, timestamp, cid, text.clone(), signings)
    else {
        let mut missing = vec![];
        for (k, ok) in [
            (
                "negotiation_id",
                str_field(v, &["negotiation_id", "id"]).is_some(),
            ),
            ("timestamp", str_field(v, &["timestamp"]).is_some()),
            (
                "consensus_id",
                str_field(v, &["consensus_id", "consensus"]).is_some(),
            ),
            (
                "signings (a list)",
                v.get("signings").is_some_and(Json::is_array),
            ),
        ] {
            if !ok {
                missing.push(format!("no `{k}`"));
            }
        }
        if let Err(e) = text {
            missing.push(e);
        }
        return Err(missing);
    };
    if signings.is_empty() {
        failures.push("no signings".to_owned());
    }
    // the readable text is the canonical bytes decoded
    match canonical::decode(text.as_bytes()) {
        Ok(decoded) => {
            if v.get("text_canonical_hex").is_some()
                && v.get("text") != Some(&canonical::to_json(&decoded))
            {
                failures.push("`text` is not the decoded canonical text".to_owned());
            }
        }
        Err(e) => failures.push(format!("the agreed text is not canonical: {e}")),
    }
    let (map, bad) = check_signings(&nid, &text, signings);
    failures.extend(bad);
    if let Some(parts) = v.get("participants").and_then(Json::as_array) {
        let mut want: Vec<&str> = parts.iter().filter_map(Json::as_str).collect();
        want.sort_unstable();
        let got: Vec<&str> = map.keys().map(String::as_str).collect();
        if want != got {
            failures.push(format!(
                "the signers ({}) are not the participants ({})",
                got.join(", "),
                want.join(", ")
            ));
        }
    }
    let again = consensus_id(&nid, &text, &map, &timestamp);
    if again != cid {
        failures.push(format!(
            "the consensus id is {again} when recomputed, not {cid}"
        ));
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures)
    }
}

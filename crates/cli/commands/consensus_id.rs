//! `panoramix consensus-id`: recompute a consensus id with the original's rules.
//! Signings in the API's list form carry their keys: each signature is checked
//! (exit 3 naming the signer when one fails). The map form carries no keys, so
//! its signatures cannot be checked here: `panoramix agreement verify` checks a
//! whole agreement file.

use super::agreement::{canonical_text, check_signings};
use anyhow::{Context, bail};
use panoramix_core::negotiation::consensus_id;
use std::collections::BTreeMap;
use std::io::Read;
use std::process::ExitCode;

pub fn run() -> anyhow::Result<ExitCode> {
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .context("reading stdin")?;
    let v: serde_json::Value = serde_json::from_str(&input).context("stdin is not JSON")?;
    let field = |k: &str| -> anyhow::Result<&str> {
        v.get(k)
            .and_then(|x| x.as_str())
            .with_context(|| format!("`{k}` must be a string"))
    };
    // an agreement file (`panoramix agreement verify`) carries the text as hex
    let text = canonical_text(&v).map_err(anyhow::Error::msg)?;
    let signings: BTreeMap<String, String> = match v.get("signings") {
        Some(serde_json::Value::Object(m)) => m
            .iter()
            .map(|(k, s)| {
                Ok((
                    k.clone(),
                    s.as_str().context("signatures must be strings")?.to_owned(),
                ))
            })
            .collect::<anyhow::Result<_>>()?,
        // the API's list form: [{signer_key_id, key_data, signature}]
        Some(serde_json::Value::Array(items)) => {
            let nid = field("negotiation_id").or_else(|_| field("id"))?;
            let (map, failures) = check_signings(nid, &text, items);
            if !failures.is_empty() {
                for f in failures {
                    errln!("panoramix: {f}");
                }
                return Ok(ExitCode::from(3));
            }
            map
        }
        _ => bail!("`signings` must be an object from signer key id to signature"),
    };
    // a negotiation as the API returns it names its id `id`
    let nid = field("negotiation_id").or_else(|_| field("id"))?;
    outln!(
        "{}",
        consensus_id(nid, &text, &signings, field("timestamp")?)
    );
    Ok(ExitCode::SUCCESS)
}

//! `panoramix consensus-id`: recompute a consensus id with the original's rules.

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
        // the API's list form: [{signer_key_id, signature}]
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .map(|i| {
                Ok((
                    i["signer_key_id"]
                        .as_str()
                        .context("signer_key_id")?
                        .to_owned(),
                    i["signature"].as_str().context("signature")?.to_owned(),
                ))
            })
            .collect::<anyhow::Result<_>>()?,
        _ => bail!("`signings` must be an object from signer key id to signature"),
    };
    // a negotiation as the API returns it names its id `id`
    let nid = field("negotiation_id").or_else(|_| field("id"))?;
    outln!(
        "{}",
        consensus_id(nid, field("text")?, &signings, field("timestamp")?)
    );
    Ok(ExitCode::SUCCESS)
}

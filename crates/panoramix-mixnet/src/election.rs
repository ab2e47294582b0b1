//! The transcript of an election a ZEUS mix-net ran: everything one cycle
//! published, gathered from the controller into a [`ElectionTranscript`] that
//! anyone can check with `panoramix verify-election` (or
//! [`panoramix_zeus::verify_election`]).
//!
//! What is read, all of it public on the controller once the cycle is done:
//! the booth's agreed input (its ACCEPTED box: the ballots the owners selected
//! when closing it, in the order the booth processed them), every mix's OUTBOX in
//! serial order with the proof attached to its PROCESSED transition, every
//! partial decryption's OUTBOX (the trustees' shares with their proofs; with
//! threshold trustees, the combination's ACCEPTED box: the shares of the
//! trustees it took) and the combination's OUTBOX (the outcomes). The election parameters are the booth's
//! agreed `endpoint_params` (with the voter list). [`collect`] verifies what it
//! assembled before it returns it.

use crate::mixnet::MixnetSpec;
use panoramix_client::{Client, ClientError};
use panoramix_core::model::{EndpointStatus, MsgBox};
use panoramix_core::wire::Endpoint;
use panoramix_zeus::{ElectionTranscript, VerifyError, ZeusParams};
use std::path::{Path, PathBuf};

/// Why an election transcript could not be collected.
#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    /// The controller refused or could not be reached.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The mix-net is not a ZEUS mix-net.
    #[error("{0} is not a ZEUS mix-net")]
    NotZeus(String),
    /// A stage of the cycle has not published its output yet.
    #[error("{endpoint} is {}, not PROCESSED yet", status.as_str())]
    NotReady {
        /// The endpoint.
        endpoint: String,
        /// Its status.
        status: EndpointStatus,
    },
    /// The graph of the description names no endpoint id.
    #[error("the description's graph has an endpoint without an id")]
    NoEndpointId,
    /// The cycle's endpoints do not form a ZEUS election graph.
    #[error("the cycle's graph: {0}")]
    Graph(String),
    /// What the cycle published does not make a valid election transcript.
    #[error("the election transcript does not verify: {0}")]
    Verify(#[from] VerifyError),
}

/// Where the messages of a box are, in serial order when they carry serials
/// (OUTBOX) and in the controller's order otherwise (ACCEPTED).
fn texts(client: &Client, endpoint: &str, box_name: &str) -> Result<Vec<String>, ClientError> {
    let mut ms = client.messages(endpoint, box_name)?;
    ms.sort_by_key(|m| m.serial.unwrap_or(i64::MAX));
    Ok(ms.into_iter().map(|m| m.text).collect())
}

/// The transcript of the election `spec` (the mix-net `joint`) ran in `cycle`,
/// verified. Every stage of the cycle must be PROCESSED.
pub fn collect(
    client: &Client,
    spec: &MixnetSpec,
    joint: &str,
    cycle: u64,
) -> Result<ElectionTranscript, CollectError> {
    if spec.backend != "ZEUS" {
        return Err(CollectError::NotZeus(joint.to_owned()));
    }
    let owners = client.peer(joint)?.owner_ids();
    // ids, types and links only: the parameters are read from the endpoints
    let graph = spec.graph::<serde_json::Value>(joint, &owners, &[], cycle);
    let threshold = spec.threshold().is_some();
    let mut endpoints = Vec::with_capacity(graph.len());
    for g in &graph {
        let id = g["endpoint_id"]
            .as_str()
            .ok_or(CollectError::NoEndpointId)?;
        let ep = client.endpoint(id)?;
        // threshold trustees: an absent trustee's partial decryption never comes
        let optional = threshold && ep.endpoint_type == "ZEUS_SK_PARTIAL_DECRYPT";
        if ep.status != EndpointStatus::Processed && !optional {
            return Err(CollectError::NotReady {
                endpoint: id.to_owned(),
                status: ep.status,
            });
        }
        endpoints.push(ep);
    }
    let of_type =
        |t: &str| -> Vec<&Endpoint> { endpoints.iter().filter(|e| e.endpoint_type == t).collect() };
    let id_of = |e: &Endpoint| e.endpoint_id.clone();
    let (booth, combine) = match (
        of_type("ZEUS_BOOTH").as_slice(),
        of_type("ZEUS_SK_COMBINE").as_slice(),
    ) {
        ([b], [c]) => (*b, *c),
        _ => {
            return Err(CollectError::Graph(
                "a ZEUS cycle has one booth and one combination".into(),
            ));
        }
    };
    let params: ZeusParams = serde_json::from_value(booth.endpoint_params.clone())
        .map_err(|e| CollectError::Graph(format!("{}: endpoint_params: {e}", id_of(booth))))?;
    let booth_inputs = texts(client, &id_of(booth), "ACCEPTED")?;

    // the mixes, in the order the booth's output goes through them
    let mix_eps: Vec<&Endpoint> = endpoints
        .iter()
        .filter(|e| matches!(e.endpoint_type.as_str(), "ZEUS_TW_MIX" | "ZEUS_SK_MIX"))
        .collect();
    let feeds = |e: &Endpoint, from: &str| {
        e.links.iter().any(|l| {
            l.from_endpoint_id == from && l.from_box == MsgBox::Outbox && l.to_box == MsgBox::Inbox
        })
    };
    let mut mixes = Vec::with_capacity(mix_eps.len());
    let mut prev = id_of(booth);
    for _ in 0..mix_eps.len() {
        let next = match mix_eps
            .iter()
            .filter(|e| feeds(e, &prev))
            .collect::<Vec<_>>()
            .as_slice()
        {
            [one] => **one,
            _ => {
                return Err(CollectError::Graph(format!(
                    "not exactly one mix takes the output of {prev}"
                )));
            }
        };
        let id = id_of(next);
        mixes.push((
            next.peer_id.clone(),
            texts(client, &id, "OUTBOX")?,
            next.proof_text(),
        ));
        prev = id;
    }
    let mut shares = Vec::new();
    for d in of_type("ZEUS_SK_PARTIAL_DECRYPT") {
        if !feeds(d, &prev) {
            return Err(CollectError::Graph(format!(
                "{} does not decrypt the last mix's output",
                id_of(d)
            )));
        }
        if !threshold {
            shares.extend(texts(client, &id_of(d), "OUTBOX")?);
        }
    }
    if threshold {
        // the shares the combination took: those of the first trustees that
        // published verified partial decryptions
        shares = texts(client, &id_of(combine), "ACCEPTED")?;
    }
    let outcomes = texts(client, &id_of(combine), "OUTBOX")?;
    let transcript =
        panoramix_zeus::assemble_transcript(&params, &booth_inputs, mixes, &shares, &outcomes)?;
    panoramix_zeus::verify_election(&transcript_json(&transcript))?;
    Ok(transcript)
}

/// The transcript as the JSON file auditors receive (`election.json`).
pub fn transcript_json(t: &ElectionTranscript) -> String {
    // an ElectionTranscript is plain data: serialising it cannot fail
    serde_json::to_string_pretty(t).unwrap_or_default()
}

/// Write `text` to `path` atomically (a temporary file in the same directory,
/// then a rename), creating the directory if needed.
pub fn write_atomic(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    // unique: agents in threads of one process may write the same transcript
    name.push(format!(
        ".{}-{:016x}.tmp",
        std::process::id(),
        rand_core::RngCore::next_u64(&mut rand_core::OsRng)
    ));
    let tmp = path.with_file_name(name);
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

/// Where a contributor agent whose state is kept at `state_path` keeps the
/// transcript of the election `joint` ran in `cycle`:
/// `<state dir>/elections/<joint>-<cycle>.json`.
pub fn transcript_path(state_path: &Path, joint: &str, cycle: u64) -> PathBuf {
    state_path
        .parent()
        .unwrap_or(Path::new(""))
        .join("elections")
        .join(format!("{joint}-{cycle}.json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transcripts_go_beside_the_state_file_and_are_replaced_whole() {
        let base = std::env::temp_dir().join(format!(
            "panoramix-election-{}-{:x}",
            std::process::id(),
            rand_core::RngCore::next_u64(&mut rand_core::OsRng)
        ));
        let state = base.join("me.state.json");
        let p = transcript_path(&state, "J", 3);
        assert_eq!(p, base.join("elections").join("J-3.json"));
        assert_eq!(
            transcript_path(Path::new("me.state.json"), "J", 1),
            Path::new("elections").join("J-1.json")
        );
        write_atomic(&p, "first").unwrap();
        write_atomic(&p, "second").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "second");
        // no temporary file left behind
        let names: Vec<_> = std::fs::read_dir(p.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["J-3.json"]);
        std::fs::remove_dir_all(&base).unwrap();
    }
}

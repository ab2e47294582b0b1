//! An election transcript from what a mix-net publishes: the booth's input,
//! every mix's output and proof, every trustee's decryption shares and the
//! combination's outcomes. The contributor agent, `panoramix demo --out` and
//! the browser's results page all build `election.json` with this, then check
//! it with [`crate::verify_election`].

use std::collections::{BTreeSet, HashMap};

use crate::backend::booth_filter;
use crate::decrypt::{CpProof, DecryptionShare, PartialDecryption};
use crate::election::{ElectionTranscript, MixProof, MixRecord, TRANSCRIPT_VERSION};
use crate::encoding::{Ciphertext, Point};
use crate::error::VerifyError;
use crate::params::{Outcome, ZeusParams};
use crate::transcript::GROUP_NAME;

fn parse_all<T, S: AsRef<str>>(
    what: &str,
    texts: &[S],
    f: impl Fn(&str) -> Result<T, crate::error::DecodeError>,
) -> Result<Vec<T>, VerifyError> {
    texts
        .iter()
        .enumerate()
        .map(|(i, s)| {
            f(s.as_ref()).map_err(|reason| VerifyError::Encoding {
                at: format!("{what}[{i}]"),
                reason,
            })
        })
        .collect()
}

/// Build the transcript of one election:
/// * `booth_inputs`: the ballot texts the booth processed, in order (the box
///   rule is applied again: the transcript lists the accepted ballots);
/// * `mixes`: per mix, in chain order, `(mixer, output texts in serial order,
///   proof text)`;
/// * `shares`: every trustee's decryption-share texts (any order; with
///   threshold trustees, those of the trustees that took part);
/// * `outcomes`: the combination's outcome texts, sorted by ciphertext as the
///   `ZEUS_SK_COMBINE` endpoint publishes them.
///
/// Fails if a piece is missing or does not parse; the proofs themselves are
/// checked by [`crate::verify_election`] on the result.
pub fn assemble_transcript<S: AsRef<str> + Sync>(
    params: &ZeusParams,
    booth_inputs: &[S],
    mixes: Vec<(String, Vec<S>, String)>,
    shares: &[S],
    outcomes: &[S],
) -> Result<ElectionTranscript, VerifyError> {
    let ballots = booth_filter(params, booth_inputs)
        .accepted
        .into_iter()
        .map(|(_, b)| b)
        .collect();
    let mut records = Vec::with_capacity(mixes.len());
    for (k, (mixer, output, proof)) in mixes.into_iter().enumerate() {
        records.push(MixRecord {
            mixer,
            output: parse_all(
                &format!("mixes[{k}].output"),
                &output,
                Ciphertext::from_text,
            )?,
            proof: MixProof::from_json(&proof)?,
        });
    }
    let last: Vec<Ciphertext> =
        records
            .last()
            .map(|m| m.output.clone())
            .ok_or_else(|| VerifyError::Empty {
                what: "mixes".into(),
            })?;
    let mut by_trustee: HashMap<Point, HashMap<Ciphertext, (Point, CpProof)>> = HashMap::new();
    for sh in parse_all("shares", shares, DecryptionShare::from_text)? {
        by_trustee
            .entry(sh.trustee_public_key)
            .or_default()
            .insert(sh.ciphertext, (sh.factor, sh.proof));
    }
    // n-of-n: every trustee's key share; threshold: the verification keys,
    // and a trustee that published nothing is absent
    let keys: Vec<Point> = match params.dkg {
        None => params.trustees.iter().map(|k| k.public_key).collect(),
        Some(_) => params.verify_trustees()?.keys,
    };
    let mut partial_decryptions = Vec::with_capacity(keys.len());
    for (i, key) in keys.iter().enumerate() {
        let mine = by_trustee.get(key);
        if mine.is_none() && params.dkg.is_some() {
            continue;
        }
        let mut pd = PartialDecryption {
            trustee: i,
            factors: Vec::with_capacity(last.len()),
            proofs: Vec::with_capacity(last.len()),
        };
        for (j, c) in last.iter().enumerate() {
            let (f, p) =
                mine.and_then(|m| m.get(c))
                    .ok_or_else(|| VerifyError::PartialDecryptionSet {
                        position: i,
                        reason: format!("trustee {i} published no share for ciphertext {j}"),
                    })?;
            pd.factors.push(*f);
            pd.proofs.push(*p);
        }
        partial_decryptions.push(pd);
    }
    let sorted: Vec<Ciphertext> = last
        .iter()
        .copied()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let outs = parse_all("outcomes", outcomes, Outcome::from_text)?;
    if outs.len() != sorted.len() {
        return Err(VerifyError::LengthMismatch {
            at: "outcomes".into(),
            expected: sorted.len(),
            found: outs.len(),
        });
    }
    let by_ct: HashMap<Ciphertext, Outcome> = sorted.into_iter().zip(outs).collect();
    let plaintexts = last
        .iter()
        .map(|c| by_ct.get(c).cloned())
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| VerifyError::Malformed {
            at: "mixes".into(),
            reason: "the last output repeats a ciphertext".into(),
        })?;
    Ok(ElectionTranscript {
        version: TRANSCRIPT_VERSION.into(),
        group: GROUP_NAME.into(),
        election: params.clone(),
        ballots,
        mixes: records,
        partial_decryptions,
        plaintexts,
    })
}

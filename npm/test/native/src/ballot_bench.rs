//! Ballots with a candidate list (issue 13): creation with the validity proof (a
//! disjunctive Chaum–Pedersen proof with one branch per answer, plus the voter's
//! signature) and its verification, for 2, 5 and 10 answers, with the same work per
//! call as `zeusEncryptBallot(params, voterSecret, answer)` and
//! `zeusVerifyBallot(params, text)`: the parameters, the voter secret and the ballot
//! are parsed from their texts per call.
use crate::{Res, e, time_us};
use panoramix_zeus as zeus;
use rand_core::OsRng;
use serde_json::{Map, Value as Json, json};
use std::time::Duration;

/// The candidate counts of the ballot rows.
pub const ANSWER_COUNTS: [usize; 3] = [2, 5, 10];

/// The answers of a `k`-candidate question: `candidate-0`, ...
pub fn answers(k: usize) -> Vec<String> {
    (0..k).map(|i| format!("candidate-{i}")).collect()
}

/// Insert `ballot_create_k{k}` and `ballot_verify_k{k}` for every count.
pub fn ballots(r: &mut Map<String, Json>, budget: Duration, base: &Json, voter: &str) -> Res<()> {
    for k in ANSWER_COUNTS {
        let mut pj = base.clone();
        pj["answers"] = json!(answers(k));
        let params = || serde_json::from_value::<zeus::ZeusParams>(pj.clone()).map_err(e);
        let answer = format!("candidate-{}", k / 2);
        r.insert(
            format!("ballot_create_k{k}"),
            json!(time_us(budget, || {
                let p = params()?;
                let v = zeus::VoterSecret::from_hex(voter).map_err(e)?;
                zeus::encrypt_ballot(&p, &v, answer.as_bytes(), &mut OsRng)
                    .map(|b| b.to_text())
                    .map_err(e)
            })?),
        );
        let v = zeus::VoterSecret::from_hex(voter).map_err(e)?;
        let text = zeus::encrypt_ballot(&params()?, &v, answer.as_bytes(), &mut OsRng)
            .map_err(e)?
            .to_text();
        r.insert(
            format!("ballot_verify_k{k}"),
            json!(time_us(budget, || {
                let p = params()?;
                let b = zeus::Ballot::from_text(&text).map_err(e)?;
                zeus::verify_ballot(&p, &b, 0)
                    .map(|_| b.ciphertext.to_text())
                    .map_err(e)
            })?),
        );
    }
    Ok(())
}

//! `POST /panoramix/contributions/`: a signed contribution, and the closing of the
//! negotiation when it is the last one needed.
//!
//! The contribution's signature is bound to its negotiation
//! (`panoramix/v1/contribution-in` over canonical `{negotiation_id, text}`, see
//! [`negotiation::contribution_message`]); the legacy, text-only signature is
//! refused for new contributions. A contribution must be signed by the key that
//! sends it: when it is not, the answer says so (403
//! `contribution_signer_mismatch`) instead of blaming the request's signature.

use crate::audit;
use crate::error::ApiError;
use crate::handlers::data;
use crate::rows::{Cols, RowError, select_one};
use crate::store::{SqlValue, Tx};
use crate::util::*;
use crate::{Controller, Host};
use panoramix_core::canonical::Value;
use panoramix_core::envelope::Verified;
use panoramix_core::identity::{self, PublicKey};
use panoramix_core::negotiation::{self, ContributionLabel, Latest, Text};
use panoramix_core::time::Micros;
use panoramix_core::wire;
use serde_json::Value as Json;

type Res = Result<(u16, Json), ApiError>;

/// Other keys tried, at most, to name the real signer of a contribution whose
/// signature does not verify under the sender's key.
pub const MAX_SIGNER_CANDIDATES: usize = 64;

fn short(id: &str) -> &str {
    id.get(..16).unwrap_or(id)
}

/// Why the contribution signature does not verify under the sender's key, as
/// precisely as can be told: another key of the negotiation made it (mismatch), it
/// uses the legacy label, or it was made for another negotiation or text.
fn explain_bad_signature(
    tx: &mut dyn Tx,
    v: &Verified,
    neg_id: &str,
    participants: Option<&[String]>,
    text: &str,
    signature: &str,
) -> Result<ApiError, ApiError> {
    let mut keys: Vec<String> = Vec::new();
    for p in participants.unwrap_or_default() {
        if keys.len() >= MAX_SIGNER_CANDIDATES {
            break;
        }
        if let Some(mut r) = select_one(
            tx,
            "key_data",
            "FROM peers WHERE peer_id = ?1",
            &[p.as_str().into()],
        )? {
            keys.push(r.text("key_data")?);
        }
    }
    for r in tx.query(
        "SELECT DISTINCT key_data FROM contributions WHERE negotiation_id = ?1 LIMIT ?2",
        &[neg_id.into(), SqlValue::Int(MAX_SIGNER_CANDIDATES as i64)],
    )? {
        keys.push(Cols::new("key_data", r).text("key_data")?);
    }
    keys.sort();
    keys.dedup();
    for kd in keys.iter().take(MAX_SIGNER_CANDIDATES) {
        let Ok(pk) = PublicKey::from_key_data(kd) else {
            continue;
        };
        if &pk == v.signer() {
            continue;
        }
        if negotiation::verify_contribution(&pk, ContributionLabel::Bound, neg_id, text, signature)
            .is_ok()
        {
            return Ok(ApiError::ContributionSignerMismatch(format!(
                "the contribution is signed by key {} but the request by key {}: a contribution must be sent by its own signer",
                pk.key_id(),
                v.signer_id()
            )));
        }
    }
    if negotiation::verify_contribution(
        v.signer(),
        ContributionLabel::Legacy,
        neg_id,
        text,
        signature,
    )
    .is_ok()
    {
        return Ok(ApiError::BadContributionSignature(format!(
            "the contribution signature uses the legacy label {} over the text alone; a new contribution must be signed with label {} over canonical {{negotiation_id, text}} (negotiation {neg_id})",
            ContributionLabel::Legacy.as_str(),
            ContributionLabel::Bound.as_str(),
        )));
    }
    Ok(ApiError::BadContributionSignature(format!(
        "the contribution signature does not verify under the sender's key {}… for negotiation {neg_id} and this text (label {} over canonical {{negotiation_id, text}}); a signature made for another negotiation or text is refused",
        short(v.signer_id()),
        ContributionLabel::Bound.as_str(),
    )))
}

/// The label each latest contribution was signed with: bound for every
/// contribution accepted since the binding, legacy for those recorded before it.
fn label_of(l: &Latest, key_data: &str, neg_id: &str) -> ContributionLabel {
    match PublicKey::from_key_data(key_data) {
        Ok(pk)
            if negotiation::verify_contribution(
                &pk,
                ContributionLabel::Bound,
                neg_id,
                &l.text,
                &l.signature,
            )
            .is_ok() =>
        {
            ContributionLabel::Bound
        }
        _ => ContributionLabel::Legacy,
    }
}

/// Close the negotiation when its latest contributions agree: record the
/// consensus and its audit entry. The consensus id, if it closed.
fn close_if_agreed(
    tx: &mut dyn Tx,
    neg_id: &str,
    participants: Option<&[String]>,
    now: Micros,
) -> Result<Option<String>, ApiError> {
    let mut latest: Vec<Latest> = Vec::new();
    // each latest signer's key
    let mut keys: Vec<(String, String)> = Vec::new();
    for mut r in crate::rows::select(
        tx,
        "signer, text, signature, key_data",
        "FROM contributions WHERE negotiation_id = ?1 AND latest = 1 ORDER BY signer",
        &[neg_id.into()],
    )? {
        let signer = r.text("signer")?;
        keys.push((signer.clone(), r.text("key_data")?));
        latest.push(Latest {
            signer,
            text: r.text("text")?,
            signature: r.text("signature")?,
        });
    }
    let Some((agreed, signings)) = negotiation::closing(participants, &latest) else {
        return Ok(None);
    };
    let ts = now.iso();
    // unchanged from the original: the labels are not part of the consensus id
    let cid = negotiation::consensus_id(neg_id, &agreed, &signings, &ts);
    // every signing is a latest contribution's
    let key_of = |s: &str| {
        keys.iter()
            .find(|(k, _)| k == s)
            .map(|(_, kd)| kd.clone())
            .unwrap_or_default()
    };
    let signings_typed: Vec<wire::Signing> = signings
        .iter()
        .map(|(k, s)| wire::Signing {
            signer_key_id: k.clone(),
            signature: s.clone(),
            key_data: key_of(k),
        })
        .collect();
    tx.execute(
        "UPDATE negotiations SET status = 'DONE', text = ?1, timestamp = ?2, consensus = ?3, signings = ?4 WHERE id = ?5",
        &[
            agreed.as_str().into(),
            ts.as_str().into(),
            cid.as_str().into(),
            serde_json::to_string(&signings_typed)
                .map_err(crate::handlers::encode_err)?
                .into(),
            neg_id.into(),
        ],
    )?;
    let labels: Vec<(String, Value)> = latest
        .iter()
        .map(|l| {
            let label = label_of(l, &key_of(&l.signer), neg_id);
            (l.signer.clone(), Value::str(label.as_str()))
        })
        .collect();
    let effect = Value::dict([
        ("negotiation_id", Value::str(neg_id)),
        ("text", Value::str(agreed.as_str())),
        ("timestamp", Value::str(ts.as_str())),
        (
            "signings",
            Value::Dict(
                signings
                    .iter()
                    .map(|(k, s)| (k.clone(), Value::str(s.as_str())))
                    .collect(),
            ),
        ),
        (
            "key_data",
            Value::Dict(
                signings
                    .keys()
                    .map(|k| (k.clone(), Value::str(key_of(k))))
                    .collect(),
            ),
        ),
        (audit::SIGNING_LABELS, Value::dict(labels)),
    ]);
    audit::append(tx, now, "consensus", None, Some(&cid), effect)?;
    Ok(Some(cid))
}

pub(crate) fn contribute<H: Host>(c: &Controller<H>, tx: &mut dyn Tx, v: &Verified) -> Res {
    let neg_ref = match opt_str(v.data(), "negotiation_id")? {
        Some(n) => n,
        None => req_str(v.data(), "negotiation")?,
    };
    // the original sent a URL; its last path segment is the id
    let neg_id = neg_ref
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(neg_ref)
        .to_owned();
    let text = bounded(req_str(v.data(), "text")?, "text", c.config.max_body)?;
    let signature = req_str(v.data(), "signature")?;
    if !identity::is_lower_hex(signature, 128) {
        return Err(ApiError::Invalid(
            "`signature` must be 128 lower-case hex characters ([0-9a-f]): the one canonical spelling".into(),
        ));
    }
    if let Some(claimed) = opt_str(v.data(), "signer_key_id")?
        && claimed != v.signer_id()
    {
        return Err(ApiError::ContributionSignerMismatch(format!(
            "the contribution names signer {claimed} but the request is signed by key {}: a contribution must be sent by its own signer",
            v.signer_id()
        )));
    }
    Text::parse(text)?;

    let mut row = select_one(
        tx,
        "status, participants",
        "FROM negotiations WHERE id = ?1",
        &[neg_id.as_str().into()],
    )?
    .ok_or_else(|| ApiError::NotFound(format!("no negotiation {neg_id}")))?;
    let participants: Option<Vec<String>> = row.opt_json("participants")?;
    let open = row.text("status")? == "OPEN";
    if negotiation::verify_contribution(
        v.signer(),
        ContributionLabel::Bound,
        &neg_id,
        text,
        signature,
    )
    .is_err()
    {
        return Err(explain_bad_signature(
            tx,
            v,
            &neg_id,
            participants.as_deref(),
            text,
            signature,
        )?);
    }
    if !open {
        return Err(ApiError::NegotiationClosed);
    }
    if let Some(ps) = &participants
        && !ps.iter().any(|o| o == v.signer_id())
    {
        return Err(ApiError::Forbidden(
            "this negotiation is restricted to its named participants".into(),
        ));
    }
    let now = c.host.now();
    tx.execute(
        "UPDATE contributions SET latest = 0 WHERE negotiation_id = ?1 AND signer = ?2 AND latest = 1",
        &[neg_id.as_str().into(), v.signer_id().into()],
    )?;
    let ins = tx.query(
        "INSERT INTO contributions (negotiation_id, signer, key_data, text, signature, latest, created_at) VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6) RETURNING id",
        &[
            neg_id.as_str().into(),
            v.signer_id().into(),
            v.signer().key_data().into(),
            text.into(),
            signature.into(),
            SqlValue::Int(now.0),
        ],
    )?;
    let contribution_id = ins
        .into_iter()
        .next()
        .ok_or(RowError::Missing { column: "id" })
        .and_then(|r| Cols::new("id", r).int("id"))?;
    audit::append(
        tx,
        now,
        "contribution.create",
        Some(v),
        None,
        Value::dict([
            ("negotiation_id", Value::str(neg_id.as_str())),
            ("contribution_id", Value::Int(i128::from(contribution_id))),
        ]),
    )?;

    let consensus = close_if_agreed(tx, &neg_id, participants.as_deref(), now)?;
    data(
        201,
        wire::Contributed {
            id: contribution_id,
            negotiation_id: neg_id,
            signer_key_id: v.signer_id().to_owned(),
            text: text.to_owned(),
            signature: signature.to_owned(),
            latest: true,
            consensus,
        },
    )
}

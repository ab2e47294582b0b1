//! `panoramix wizard join-request|approve-request|refuse-request` (seed §4.5),
//! and what `status` shows of a mix-net's membership: join requests, open
//! successor proposals (a removed owner is told who removes it), successor
//! agreements that are not followed because they break the mix-net's
//! reconfiguration rule.

use super::{
    Common, Terms, accept_and_register, approver_config, await_successor, confirm,
    export_agreement, wait,
};
use crate::commands::contributor::{ContributorConfig, existing_path, free_membership_path};
use anyhow::{Context, bail};
use panoramix_client::Client;
use panoramix_mixnet::mixnet::{MixnetSpec, Reconfiguration, ReconfigurationSigners};
use panoramix_mixnet::setup::{self as formation, JoinState, Membership};
use serde_json::{Value as Json, json};
use std::io::IsTerminal;
use std::process::ExitCode;

/// The default name of a successor of `name`: `<name>-g2`, then `-g3`, …
fn next_name(name: &str) -> String {
    if let Some((base, n)) = name.rsplit_once("-g")
        && let Ok(n) = n.parse::<u32>()
    {
        return format!("{base}-g{}", n + 1);
    }
    format!("{name}-g2")
}

/// The owned configuration, its client and the mix-net it currently runs.
fn owner(common: &Common) -> anyhow::Result<(ContributorConfig, Client, String)> {
    let path = existing_path(common.config.clone())?;
    let mut cfg = ContributorConfig::open(&path)?;
    let client = cfg.client(common.url.clone())?;
    let mixnet = cfg.get_str("MIXNET").context("no MIXNET configured")?;
    let current = formation::current(&client, &mixnet)?;
    Ok((cfg, client, current))
}

/// The rule in words, for `old` owners.
fn rule_text(m: &Membership) -> String {
    rule_words(&m.rule, Some(m.owners.len()))
}

/// A reconfiguration rule in words; with the number of owners when known.
pub(super) fn rule_words(rule: &Reconfiguration, owners: Option<usize>) -> String {
    match (rule.signers, owners) {
        (ReconfigurationSigners::Remaining, Some(n)) => format!(
            "a successor needs the signatures of every owner that remains, and at least {} of the {n} owners must remain",
            rule.min_remaining(n)
        ),
        (ReconfigurationSigners::Remaining, None) => format!(
            "a successor needs the signatures of every owner that remains, and {} must remain",
            match rule.quorum {
                Some(q) => format!("at least {q} owners (and a strict majority)"),
                None => "a strict majority of the owners".to_owned(),
            }
        ),
        (ReconfigurationSigners::All, Some(n)) => {
            format!("a successor needs the signatures of all {n} owners, removed ones included")
        }
        (ReconfigurationSigners::All, None) => {
            "a successor needs the signatures of all owners, removed ones included".to_owned()
        }
    }
}

/// What `panoramix status` shows of the membership of `joint` for `me`:
/// its JSON (the [`Membership`] with the rule in words) and its lines.
pub(crate) fn status_section(client: &Client, joint: &str) -> anyhow::Result<(Json, Vec<String>)> {
    let me = client.id();
    let m = formation::membership(client, joint)?;
    let mut lines = vec![format!("reconfiguration rule: {}", rule_text(&m))];
    for p in &m.proposals {
        if p.removes(&me) {
            lines.push(format!(
                "you are being removed by {}: successor {} ({} owners) without this contributor; signed by {}, waiting for {}",
                p.proposer,
                p.name,
                p.owners.len(),
                p.signed.join(", "),
                p.waiting.join(", ")
            ));
            continue;
        }
        let mut l = format!("successor proposal {} by {}", p.name, p.proposer);
        if !p.added.is_empty() {
            l += &format!(", adds {}", p.added.join(", "));
        }
        if !p.removed.is_empty() {
            l += &format!(", removes {}", p.removed.join(", "));
        }
        l += &format!(": waiting for {}", p.waiting.join(", "));
        if p.waiting.contains(&me) {
            l += " (co-sign: panoramix wizard approve)";
        }
        if let Some(why) = &p.refused {
            l += &format!("; it cannot take effect: {why}");
        }
        lines.push(l);
    }
    for i in &m.ignored {
        lines.push(format!(
            "ignored successor agreement {}: {}",
            i.negotiation, i.reason
        ));
    }
    for r in &m.requests {
        let state = match &r.state {
            JoinState::Pending if !r.valid => {
                "pending, NOT VALID (another backend key or description)".to_owned()
            }
            JoinState::Pending => format!(
                "pending (panoramix wizard approve-request --peer {0} | refuse-request --peer {0} --reason TEXT)",
                r.peer
            ),
            JoinState::Proposed { negotiation } => format!("proposed in {negotiation}"),
            JoinState::Approved { successor } => format!("approved: successor {successor}"),
            JoinState::Refused { by, reason } => format!("refused by {by}: {reason}"),
        };
        lines.push(format!(
            "join request from {} ({}, {}): {state}",
            r.peer, r.name, r.backend
        ));
    }
    let mut j = serde_json::to_value(&m)?;
    j["rule_text"] = json!(rule_text(&m));
    j["removed_by"] = json!(
        m.proposals
            .iter()
            .filter(|p| p.removes(&me))
            .map(|p| p.proposer.clone())
            .collect::<Vec<_>>()
    );
    Ok((j, lines))
}

/// `wizard join-request`: review a running mix-net from what it publishes,
/// register, file a signed join request, co-sign the successor the owners
/// propose in answer, and write the membership file once it exists.
pub(super) fn join_request(
    common: Common,
    mixnet: String,
    accept_terms: bool,
) -> anyhow::Result<ExitCode> {
    let interactive = !common.yes && std::io::stdin().is_terminal();
    let (mut cfg, new) = approver_config(&common.config, Some(&mixnet))?;
    let client = cfg.client(common.url.clone())?;
    let current = formation::current(&client, &mixnet)?;
    let peer = client.peer(&current)?;
    let spec: MixnetSpec = serde_json::from_value(peer.crypto_params.clone())
        .with_context(|| format!("{current} is not a mix-net"))?;
    if peer.owner_ids().contains(&client.id()) {
        bail!("{} is an owner of mix-net {current} already", client.id());
    }
    if new {
        cfg.relocate(&free_membership_path(&spec.name))?;
    }
    let path = cfg.path().to_owned();
    errln!("membership file: {}", path.display());
    errln!(
        "mix-net {} ({}, {}), {}; owners:",
        spec.name,
        spec.backend,
        spec.params,
        spec.cycle_words()
    );
    for id in peer.owner_ids() {
        let name = client
            .peer(&id)
            .map_or_else(|e| format!("(unknown: {e})"), |p| p.name);
        errln!("  {id} {name}");
    }
    cfg.set("CATALOG_URL", json!(client.base()), "controller URL")?;
    let terms = Terms {
        show: true,
        accepted: accept_terms,
        interactive,
    };
    if !accept_and_register(&mut cfg, &client, &common, &spec, terms)? {
        return Ok(ExitCode::from(2));
    }
    let neg = formation::request_join(&client, &current, &spec)?;
    cfg.set("JOIN_MIXNET", json!(current), "the mix-net asked to join")?;
    cfg.set("JOIN_REQUEST", json!(neg), "the join request's negotiation")?;
    outln!(
        "filed join request {neg} as {}: the owners of {} see it in `panoramix status`",
        client.id(),
        spec.name
    );
    let _ = std::io::Write::flush(&mut std::io::stdout());
    match await_answer(&client, &current, &neg, &common, interactive)? {
        Ok(s) => errln!("the owners agreed on the successor {s} that adds this contributor"),
        Err((by, reason)) => {
            errln!("panoramix: the join request was refused by {by}: {reason}");
            return Ok(ExitCode::from(2));
        }
    }
    let id = wait(
        "waiting for the successor to be created",
        common.timeout,
        || Ok(formation::successor(&client, &current)?.filter(|n| client.peer(n).is_ok())),
    )?;
    let name = client.peer(&id)?.name;
    cfg.set("MIXNET", json!(id), "the mix-net's joint peer")?;
    cfg.set("MIXNET_NAME", json!(name), "mix-net name")?;
    export_agreement(
        &client,
        &path,
        &format!("successor:{current}"),
        common.timeout,
    )?;
    outln!("Joined mix-net {name}: {id}");
    outln!(
        "Membership file: {} (run: panoramix contribute --config {})",
        path.display(),
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Wait for the owners' answer to the join request `neg`: co-sign the
/// successor that adds this peer when proposed; `Ok(successor)` once agreed,
/// `Err((owner, reason))` if refused.
fn await_answer(
    client: &Client,
    current: &str,
    neg: &str,
    common: &Common,
    interactive: bool,
) -> anyhow::Result<Result<String, (String, String)>> {
    let me = client.id();
    let yes = common.yes;
    wait("waiting for the owners' answer", common.timeout, || {
        let m = formation::membership(client, current)?;
        let Some(r) = m
            .requests
            .iter()
            .find(|r| r.negotiation == neg && r.peer == me)
        else {
            return Ok(None);
        };
        match &r.state {
            JoinState::Refused { by, reason } => Ok(Some(Err((by.clone(), reason.clone())))),
            JoinState::Approved { successor } => Ok(Some(Ok(successor.clone()))),
            JoinState::Pending => Ok(None),
            JoinState::Proposed { .. } => {
                let accept = |owners: &[String]| {
                    errln!("proposed owners: {}", owners.join(", "));
                    owners.contains(&me)
                        && (yes
                            || confirm("co-sign this reconfiguration?", interactive)
                                .unwrap_or(false))
                };
                if let Some(s) = formation::confirm_successor(client, current, &accept)? {
                    errln!("co-signed the successor {s} that adds this contributor");
                }
                Ok(None)
            }
        }
    })
}

/// `wizard approve-request`: an owner approves a join request by proposing
/// the successor that adds the newcomer, then waits for the co-signers.
pub(super) fn approve_request(
    common: Common,
    peer: Option<String>,
    new_name: Option<String>,
) -> anyhow::Result<ExitCode> {
    let (cfg, client, current) = owner(&common)?;
    let m = formation::membership(&client, &current)?;
    let pending: Vec<&str> = m
        .requests
        .iter()
        .filter(|r| r.state == JoinState::Pending && r.valid)
        .map(|r| r.peer.as_str())
        .collect();
    let peer = match (peer, pending.as_slice()) {
        (Some(p), _) => p,
        (None, [one]) => (*one).to_owned(),
        (None, []) => bail!("no pending join request to {current}"),
        (None, many) => bail!(
            "several pending join requests: pass --peer (one of {})",
            many.join(", ")
        ),
    };
    let name = client.peer(&current)?.name;
    let new_name = new_name.unwrap_or_else(|| next_name(&name));
    let neg = formation::approve_join(&client, &current, &peer, &new_name)?;
    outln!(
        "approved the join request of {peer}: proposed successor {new_name} in {neg}; waiting for the newcomer and the owners to co-sign"
    );
    await_successor(&client, cfg.path(), &current, common.timeout)?;
    Ok(ExitCode::SUCCESS)
}

/// `wizard refuse-request`: an owner refuses a join request, signed; the
/// newcomer's wizard reports the reason.
pub(super) fn refuse_request(
    common: Common,
    peer: String,
    reason: String,
) -> anyhow::Result<ExitCode> {
    let (_, client, current) = owner(&common)?;
    formation::refuse_join(&client, &current, &peer, &reason)?;
    outln!("refused the join request of {peer} to {current}");
    Ok(ExitCode::SUCCESS)
}

/// For `wizard approve`: an open proposal that removes this contributor from
/// `current`, as a warning to print instead of waiting to co-sign (it is not
/// asked to).
pub(super) fn removal_notice(client: &Client, current: &str) -> anyhow::Result<Option<String>> {
    let me = client.id();
    let m = formation::membership(client, current)?;
    if let Some(p) = m.proposals.iter().find(|p| p.removes(&me)) {
        return Ok(Some(format!(
            "this contributor is being removed from mix-net {current} by {}: successor {} without it; nothing to co-sign",
            p.proposer, p.name
        )));
    }
    // the remaining owners may have agreed before this wizard first looked
    let was_owner = m.owners.contains(&me);
    Ok(formation::agreed_successor(client, current)?
        .filter(|(_, owners)| was_owner && !owners.contains(&me))
        .map(|(next, _)| {
            format!(
                "this contributor was removed from mix-net {current}: the owners agreed on successor {next} without it; nothing to co-sign"
            )
        }))
}

#[cfg(test)]
mod tests {
    use super::next_name;

    #[test]
    fn a_successor_is_named_after_its_predecessor() {
        assert_eq!(next_name("m"), "m-g2");
        assert_eq!(next_name("m-g2"), "m-g3");
        assert_eq!(next_name("net-gx"), "net-gx-g2");
    }
}

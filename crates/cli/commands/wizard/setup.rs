//! `wizard create` and `wizard join` (seed appendix A): one membership file each,
//! resumable, and forgiving: a joiner's invitation is checked before anything, an
//! answer with a bad invitation does not stop the coordinator, and a set-up that
//! cannot go on is started over with `wizard create --restart`.

use super::{Common, Terms, accept_and_register, confirm, export_agreement, wait};
use crate::commands::contributor::{
    ConfigError, ContributorConfig, free_membership_path, membership_path, memberships,
};
use crate::commands::server_wizard::default_params;
use anyhow::{Context, bail};
use panoramix_mixnet::mixnet::{MixnetSpec, Reconfiguration, ReconfigurationSigners};
use panoramix_mixnet::setup;
use serde_json::{Value as Json, json};
use std::collections::HashSet;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// What `wizard create` proposes besides the name, from its flags.
pub(super) struct Proposal {
    pub(super) backend: String,
    pub(super) params: Vec<String>,
    pub(super) size_min: i64,
    pub(super) size_max: i64,
    pub(super) close_after: Option<u64>,
    pub(super) terms: String,
    pub(super) graph: Option<PathBuf>,
    /// The reconfiguration rule, `None` for the default.
    pub(super) rule: Option<Reconfiguration>,
}

/// The reconfiguration rule of `wizard create`'s flags; `None` when they give the
/// default (so a default description does not change).
pub(super) fn rule(
    signers: &str,
    quorum: Option<usize>,
    grace: Option<u64>,
) -> Option<Reconfiguration> {
    let signers = match signers {
        "all" => ReconfigurationSigners::All,
        _ => ReconfigurationSigners::Remaining,
    };
    let rule = Reconfiguration {
        signers,
        quorum,
        grace,
    };
    (rule != Reconfiguration::default()).then_some(rule)
}

impl Proposal {
    /// The mix-net's description: the backend's default parameters with the
    /// `--param NAME=VALUE` overrides, and the graph template if one is given.
    fn spec(self, name: String) -> anyhow::Result<MixnetSpec> {
        let backend = self.backend;
        let Some(defaults) = default_params(&backend) else {
            bail!("unknown backend `{backend}`")
        };
        let mut p = serde_json::Map::new();
        for (k, v, _) in &defaults {
            p.insert((*k).into(), v.clone());
        }
        for kv in &self.params {
            let (k, v) = kv
                .split_once('=')
                .with_context(|| format!("--param {kv}: expected NAME=VALUE"))?;
            let Some((_, d, _)) = defaults.iter().find(|(n, _, _)| *n == k) else {
                bail!("{backend} has no parameter {k}")
            };
            p.insert(
                k.into(),
                if d.is_number() {
                    json!(v.parse::<i64>()?)
                } else {
                    json!(v)
                },
            );
        }
        let graph = match self.graph {
            Some(g) => Some(
                serde_json::from_str::<Json>(&std::fs::read_to_string(&g)?)
                    .context("graph template")?,
            ),
            None => None,
        };
        let spec = json!({
            "name": name, "backend": backend, "params": Json::Object(p),
            "size_min": self.size_min, "size_max": self.size_max,
            "close_after": self.close_after, "terms": self.terms,
            "graph": graph, "reconfiguration": self.rule,
        });
        Ok(serde_json::from_value(spec)?)
    }
}

/// The name from `--name`, the prompt, or `None` (missing: said, exit 2).
fn ask_name(name: Option<String>, interactive: bool) -> anyhow::Result<Option<String>> {
    Ok(match name {
        Some(n) => Some(n),
        None if interactive => Some(
            dialoguer::Input::<String>::new()
                .with_prompt("mix-net name")
                .interact_text()?,
        ),
        None => {
            errln!("panoramix: missing --name (or PANORAMIX_MIXNET_NAME)");
            None
        }
    })
}

/// How to go on with a set-up that stopped, in the coordinator's file `path`.
fn restart_hint(path: &Path) -> String {
    format!(
        "the set-up is saved in {p}: run `panoramix wizard create --config {p}` again to keep waiting, or add --restart to abandon this negotiation and start over with fresh invitations",
        p = path.display()
    )
}

/// Whether the coordinator's file may be used for `name`: never over a live
/// membership of another mix-net, nor over another set-up unless `--restart`.
fn check_coordinator_file(
    cfg: &ContributorConfig,
    name: &str,
    restart: bool,
) -> anyhow::Result<()> {
    let stored = cfg.get_str("MIXNET_NAME");
    if let Some(id) = cfg.get_str("MIXNET") {
        let other = stored.as_deref() != Some(name) || cfg.get_str("NEGOTIATION").is_none();
        if other || restart {
            let what = format!("mix-net {} ({id})", stored.unwrap_or_default());
            return Err(ConfigError::Live(cfg.path().to_owned(), what).into());
        }
    }
    if cfg.get_str("INVITATION").is_some() {
        let what = format!("a joiner of mix-net {}", stored.unwrap_or_default());
        return Err(ConfigError::Live(cfg.path().to_owned(), what).into());
    }
    if let Some(s) = stored.filter(|s| s != name && !restart)
        && cfg.get_str("NEGOTIATION").is_some()
    {
        bail!(
            "{} holds the set-up of mix-net {s} in progress: resume it with --name {s}, abandon it with --restart, or pass --config NEWFILE for {name}",
            cfg.path().display()
        );
    }
    Ok(())
}

/// `wizard create`: propose a mix-net, print the invitations and wait until
/// every invited contributor joined and co-signed the joint peer.
pub(super) fn create(
    common: Common,
    name: Option<String>,
    invitations: usize,
    restart: bool,
    proposal: Proposal,
) -> anyhow::Result<ExitCode> {
    let interactive = !common.yes && std::io::stdin().is_terminal();
    let (mut cfg, name) = match &common.config {
        Some(p) => {
            let cfg = ContributorConfig::create(p)?;
            let Some(name) = ask_name(name.or_else(|| cfg.get_str("MIXNET_NAME")), interactive)?
            else {
                return Ok(ExitCode::from(2));
            };
            (cfg, name)
        }
        None => {
            let Some(name) = ask_name(name, interactive)? else {
                return Ok(ExitCode::from(2));
            };
            (ContributorConfig::create(&membership_path(&name))?, name)
        }
    };
    check_coordinator_file(&cfg, &name, restart)?;
    let path = cfg.path().to_owned();
    errln!("membership file: {}", path.display());
    let mut spec = proposal.spec(name.clone())?;
    let client = cfg.client(common.url.clone())?;
    if restart {
        abandon(&mut cfg)?;
    }
    if cfg.get_str("NEGOTIATION").is_some()
        && let Some(stored) = cfg.get("PROPOSAL").cloned().filter(|p| !p.is_null())
    {
        let stored: MixnetSpec = serde_json::from_value(stored)?;
        if stored != spec {
            errln!(
                "resuming the proposal in progress as first made (add --restart to propose these settings instead)"
            );
        }
        spec = stored;
    }
    let backend = spec.backend.clone();
    cfg.set("CATALOG_URL", json!(client.base()), "controller URL")?;
    let secrets = cfg.secrets(&backend)?;
    cfg.set("BACKEND", json!(backend), "crypto backend")?;
    cfg.set("MIXNET_NAME", json!(name), "mix-net name")?;
    let peer_name = common
        .peer_name
        .clone()
        .unwrap_or_else(|| format!("{name}-coordinator"));
    setup::register(&client, &peer_name, &backend, &secrets)?;
    errln!("registered peer {}", client.id());
    while cfg.get_str("MIXNET").is_none() {
        let (neg, invs) = proposed(&mut cfg, &client, &spec, invitations)?;
        match form_joint(&client, &spec, &neg, &invs, common.timeout) {
            Ok(joint) => cfg.set("MIXNET", json!(joint), "the mix-net's joint peer")?,
            // on a terminal, offer to start over
            Err(e) if interactive && start_over(&e)? => abandon(&mut cfg)?,
            Err(e) => return Err(e.context(restart_hint(&path))),
        }
    }
    let joint = cfg.get_str("MIXNET").unwrap_or_default();
    export_agreement(&client, &path, &format!("joint:{name}"), common.timeout)?;
    outln!(
        "Created mix-net {name}: {}/panoramix/peers/{joint}/",
        client.base()
    );
    outln!("Membership file: {}", path.display());
    Ok(ExitCode::SUCCESS)
}

/// Forget the set-up in progress: its negotiation stays open, but its
/// invitations are void (nobody proposes its joint peer).
fn abandon(cfg: &mut ContributorConfig) -> anyhow::Result<()> {
    if let Some(old) = cfg.get_str("NEGOTIATION") {
        errln!("abandoning negotiation {old}: its invitations are void");
        for k in ["NEGOTIATION", "INVITATIONS", "PROPOSAL"] {
            cfg.set(k, Json::Null, "abandoned")?;
        }
    }
    Ok(())
}

/// The set-up's negotiation and invitations: the saved ones, or a new proposal
/// of `spec` with `n` invitations (saved); printed either way.
fn proposed(
    cfg: &mut ContributorConfig,
    client: &panoramix_client::Client,
    spec: &MixnetSpec,
    n: usize,
) -> anyhow::Result<(String, Vec<String>)> {
    let (neg, invs) = match (cfg.get_str("NEGOTIATION"), cfg.get("INVITATIONS").cloned()) {
        (Some(neg), Some(Json::Array(i))) => (
            neg,
            i.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect(),
        ),
        _ => {
            let (neg, i) = setup::create(client, spec, n)?;
            cfg.set("PROPOSAL", json!(spec), "the mix-net proposed")?;
            cfg.set("NEGOTIATION", json!(neg), "mix-net proposal negotiation")?;
            cfg.set("INVITATIONS", json!(i), "invitations")?;
            (neg, i)
        }
    };
    outln!("Send invitations to peers:");
    for i in &invs {
        outln!("{i}");
    }
    let _ = std::io::Write::flush(&mut std::io::stdout());
    Ok((neg, invs))
}

/// Whether the operator, told why the set-up stopped, starts it over.
fn start_over(why: &anyhow::Error) -> anyhow::Result<bool> {
    errln!("panoramix: the set-up stopped: {why:#}");
    Ok(dialoguer::Confirm::new()
        .with_prompt("start over with fresh invitations (the ones above stop working)?")
        .default(false)
        .interact()?)
}

/// Wait until every invited contributor joined (answers with a bad invitation
/// are reported once and ignored), propose the joint peer, and wait until every
/// owner co-signed it; returns the joint peer's id.
fn form_joint(
    client: &panoramix_client::Client,
    spec: &MixnetSpec,
    neg: &str,
    invs: &[String],
    timeout: u64,
) -> anyhow::Result<String> {
    let mut reported = HashSet::new();
    let mut joined = 0;
    wait(
        "waiting for every invited contributor to join",
        timeout,
        || {
            let progress = setup::join_progress(client, neg, invs)?;
            for i in &progress.ignored {
                if reported.insert(i.signer.clone()) {
                    errln!(
                        "ignored the answer of {}: {}; the set-up goes on without it",
                        i.signer,
                        i.reason
                    );
                }
            }
            if progress.joined.len() > joined {
                joined = progress.joined.len();
                errln!("{joined} of {} invited contributors joined", invs.len());
            }
            if progress.pending > 0 {
                return Ok(None);
            }
            Ok(
                setup::propose_joint(client, neg, spec, invs).or_else(|e| match e {
                    // proposing twice after a restart: the joint negotiation exists
                    setup::SetupError::Client(ce) if ce.status() == Some(409) => {
                        Ok(Some(String::new()))
                    }
                    other => Err(other),
                })?,
            )
        },
    )?;
    errln!("all invited contributors joined; proposed the joint peer");
    wait("waiting for every owner to co-sign", timeout, || {
        Ok(setup::finish(client, &spec.name)?)
    })
}

/// The joiner's configuration for `invitation`: `--config`, the membership that
/// holds this invitation already (a re-run), or a new one (`None`: named once
/// the proposal is known).
fn joiner_config(
    config: &Option<PathBuf>,
    invitation: &str,
) -> anyhow::Result<(ContributorConfig, bool)> {
    if let Some(p) = config {
        return Ok((ContributorConfig::create(p)?, false));
    }
    let mine = memberships()
        .into_iter()
        .find(|m| m.get_str("INVITATION") == Some(invitation));
    Ok(match mine {
        Some(m) => (ContributorConfig::create(&m.path)?, false),
        None => (ContributorConfig::unsaved(), true),
    })
}

/// Whether the joiner's file may take `invitation`: never over a coordinator's
/// file, nor over a live membership joined with another invitation (a joint
/// peer agreed on but never created, the coordinator having started over, is
/// not live).
fn check_joiner_file(
    cfg: &mut ContributorConfig,
    client: &panoramix_client::Client,
    invitation: &str,
) -> anyhow::Result<()> {
    let stored = cfg.get_str("MIXNET_NAME").unwrap_or_default();
    if cfg.get_str("NEGOTIATION").is_some() {
        let what = format!("the coordinator of mix-net {stored}");
        return Err(ConfigError::Live(cfg.path().to_owned(), what).into());
    }
    match cfg.get_str("INVITATION") {
        Some(old) if old != invitation => {
            if let Some(id) = cfg.get_str("MIXNET") {
                let exists = match client.peer(&id) {
                    Ok(_) => true,
                    Err(e) if e.status() == Some(404) => false,
                    Err(e) => return Err(e.into()),
                };
                if exists {
                    let what = format!("mix-net {stored} ({id})");
                    return Err(ConfigError::Live(cfg.path().to_owned(), what).into());
                }
                cfg.set("MIXNET", Json::Null, "abandoned")?;
            }
            errln!("replacing the invitation {old} of a set-up that did not complete");
        }
        _ => {}
    }
    Ok(())
}

/// Review the parameters against the defaults: accepted when they match,
/// asked (or `--yes`) when not. `false`: one was refused.
fn review_params(spec: &MixnetSpec, interactive: bool, yes: bool) -> anyhow::Result<bool> {
    let Some(defaults) = default_params(&spec.backend) else {
        bail!("unsupported backend {}", spec.backend)
    };
    errln!("backend: {}", spec.backend);
    for (k, d, help) in &defaults {
        let v = &spec.params[*k];
        if v == d {
            errln!("  {k} = {v} ({help}): matches the default, accepted");
        } else if !confirm(
            &format!("{k} = {v} ({help}), default {d}: accept?"),
            interactive,
        )? && !yes
        {
            errln!("panoramix: {k} = {v} differs from the default; rerun with --yes to accept it");
            return Ok(false);
        }
    }
    errln!("{}", spec.cycle_words());
    let rule = spec.reconfiguration.unwrap_or_default();
    let words = super::membership::rule_words(&rule, None);
    if spec.reconfiguration.is_none() {
        errln!("reconfiguration: {words} (the default), accepted");
    } else {
        let grace = rule.grace();
        let shown =
            format!("reconfiguration: {words}; a cycle in progress has {grace} s after a removal");
        if !confirm(&format!("{shown}: accept?"), interactive)? && !yes {
            errln!("panoramix: {shown}: not the default; rerun with --yes to accept it");
            return Ok(false);
        }
    }
    Ok(true)
}

/// The invitation, typed at the prompt.
fn ask_invitation() -> anyhow::Result<String> {
    let typed = dialoguer::Input::<String>::new()
        .with_prompt("invitation (<negotiation_id>|<invitation_id>)")
        .interact_text()?;
    Ok(typed.trim().to_owned())
}

/// `wizard join`: check the invitation against the proposal, review it
/// (parameters against the defaults, terms), register, join and wait for the
/// coordinator's joint peer.
pub(super) fn join(
    common: Common,
    invitation: Option<String>,
    accept_terms: bool,
) -> anyhow::Result<ExitCode> {
    let interactive = !common.yes && std::io::stdin().is_terminal();
    let stored = match &common.config {
        Some(p) if p.exists() => ContributorConfig::create(p)?.get_str("INVITATION"),
        _ => None,
    };
    let asked = invitation.is_none() && stored.is_none() && interactive;
    let mut invitation = match invitation.or(stored) {
        Some(i) => i.trim().to_owned(),
        None if interactive => ask_invitation()?,
        None => {
            errln!("panoramix: missing --invitation (or PANORAMIX_INVITATION)");
            return Ok(ExitCode::from(2));
        }
    };
    // the invitation is checked before anything (a new key included) is stored;
    // one typed at the prompt is asked again when it is refused
    let (mut cfg, new, client, (spec, by)) = loop {
        let (mut cfg, new) = joiner_config(&common.config, &invitation)?;
        let client = cfg.client(common.url.clone())?;
        match setup::proposal(&client, &invitation) {
            Ok(p) => break (cfg, new, client, p),
            Err(setup::SetupError::Refused(why)) if asked => {
                errln!("panoramix: {why}");
                invitation = ask_invitation()?;
            }
            Err(e) => return Err(e.into()),
        }
    };
    if new {
        cfg.relocate(&free_membership_path(&spec.name))?;
    }
    check_joiner_file(&mut cfg, &client, &invitation)?;
    let (neg, _) = setup::parse_invitation(&invitation)?;
    errln!("membership file: {}", cfg.path().display());
    errln!("mix-net {:?} proposed by {by}", spec.name);
    if !review_params(&spec, interactive, common.yes)? {
        return Ok(ExitCode::from(2));
    }
    let terms = Terms {
        show: true,
        accepted: accept_terms,
        interactive,
    };
    if !accept_and_register(&mut cfg, &client, &common, &spec, terms)? {
        return Ok(ExitCode::from(2));
    }
    cfg.set("INVITATION", json!(invitation), "invitation")?;
    cfg.set("CATALOG_URL", json!(client.base()), "controller URL")?;
    cfg.set("MIXNET_NAME", json!(spec.name), "mix-net name")?;
    if cfg.get_str("JOINED").as_deref() != Some(invitation.as_str()) {
        setup::join(&client, &invitation, &spec)?;
        cfg.set("JOINED", json!(invitation), "the invitation answered")?;
    }
    errln!("joined; waiting for the coordinator's joint-peer proposal");
    if cfg.get_str("MIXNET").is_none() {
        let joint = wait(
            "waiting for the joint peer proposal",
            common.timeout,
            || Ok(setup::confirm_joint_from(&client, &spec, &by, &neg)?),
        )
        .with_context(|| {
            format!(
                "the coordinator has not proposed the mix-net yet; run `panoramix wizard join --config {}` again to keep waiting (a coordinator who started over sends a new invitation: pass it with --invitation)",
                cfg.path().display()
            )
        })?;
        cfg.set("MIXNET", json!(joint), "the mix-net's joint peer")?;
    }
    let path = cfg.path().to_owned();
    export_agreement(
        &client,
        &path,
        &format!("joint:{}", spec.name),
        common.timeout,
    )?;
    outln!(
        "Joined mix-net {}: {}",
        spec.name,
        cfg.get_str("MIXNET").unwrap_or_default()
    );
    outln!("Membership file: {}", path.display());
    Ok(ExitCode::SUCCESS)
}

//! `panoramix wizard create|join`: set a mix-net up with other contributors (seed
//! appendix A). Every prompt has a flag; without a terminal (or with `--yes`) the
//! wizard never prompts. Resumable: every step is saved to the membership file, one
//! per mix-net membership (see `super::contributor`), never overwritten.

mod membership;
mod setup;

pub(crate) use membership::status_section;

use super::contributor::{CONFIG_HELP, ContributorConfig, existing_path, memberships};
use anyhow::{Context, bail};
use panoramix_core::wire::NegotiationStatus;
use panoramix_mixnet::mixnet::MixnetSpec;
use panoramix_mixnet::setup as formation;
use serde_json::json;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

#[derive(clap::Args, Debug)]
pub struct Common {
    #[arg(long, env = "PANORAMIX_CONFIG", help = CONFIG_HELP)]
    config: Option<PathBuf>,
    /// The controller's URL.
    #[arg(long, env = "PANORAMIX_URL")]
    url: Option<String>,
    /// Name to register this contributor's peer under.
    #[arg(long, env = "PANORAMIX_PEER_NAME")]
    peer_name: Option<String>,
    /// Never ask: accept defaults and the flags given.
    #[arg(long, short, alias = "non-interactive")]
    yes: bool,
    /// Give up waiting for the other contributors after this many seconds.
    #[arg(long, default_value_t = 600)]
    timeout: u64,
}

#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Propose a new mix-net and invite contributors.
    Create {
        #[command(flatten)]
        common: Common,
        /// The mix-net's name.
        #[arg(long, env = "PANORAMIX_MIXNET_NAME")]
        name: Option<String>,
        /// SPHINXMIX or ZEUS.
        #[arg(long, env = "PANORAMIX_BACKEND", default_value = "SPHINXMIX")]
        backend: String,
        /// Number of invitations (other contributors).
        #[arg(long, default_value_t = 2)]
        invitations: usize,
        /// A backend parameter, NAME=VALUE (repeatable).
        #[arg(long = "param")]
        params: Vec<String>,
        /// An entry endpoint closes once it holds this many messages.
        #[arg(long, default_value_t = 3)]
        size_min: i64,
        /// And takes at most this many.
        #[arg(long, default_value_t = 100)]
        size_max: i64,
        /// Close a cycle by time as well: its entry endpoint then closes once it
        /// holds --size-max messages, or after this many seconds with at least
        /// --size-min (a quiet chat room does not wait forever).
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..=2_592_000))]
        close_after: Option<u64>,
        /// Terms of service and policies joining administrators must accept.
        #[arg(long, default_value = "")]
        terms: String,
        /// An endpoint graph template (JSON) instead of the default graph.
        #[arg(long)]
        graph: Option<PathBuf>,
        /// Who signs a reconfiguration (a successor): `remaining` (every owner that
        /// stays; removed owners do not sign) or `all` (every owner, removed ones too).
        #[arg(long, value_parser = ["remaining", "all"], default_value = "remaining")]
        reconfiguration_signers: String,
        /// With `remaining`: at least this many owners must remain in a successor
        /// (never fewer than a strict majority of the owners).
        #[arg(long)]
        reconfiguration_quorum: Option<usize>,
        /// Seconds the cycle in progress may still take once a removal is agreed
        /// (default 300): then it is abandoned, so a dead owner cannot stall it.
        #[arg(long)]
        reconfiguration_grace: Option<u64>,
        /// Abandon the set-up in progress in the membership file (its invitations
        /// become void) and propose afresh: for a set-up that cannot complete.
        #[arg(long)]
        restart: bool,
    },
    /// Propose a reconfiguration of the configured mix-net (any owner): a successor
    /// with contributors added or removed, effective from the next cycle (one that
    /// removes an owner: once the cycle in progress had the rule's grace to complete);
    /// removed owners do not sign, the remaining ones must (the mix-net's rule: see
    /// `panoramix status`).
    Reconfigure {
        #[command(flatten)]
        common: Common,
        /// The successor's name.
        #[arg(long)]
        new_name: String,
        /// Key id of a registered peer to add (repeatable).
        #[arg(long)]
        add: Vec<String>,
        /// Key id of an owner to remove (repeatable).
        #[arg(long)]
        remove: Vec<String>,
    },
    /// Review and co-sign a proposed reconfiguration; a newcomer passes `--mixnet`
    /// (the running mix-net it is invited into) and is shown the mix-net and its peers.
    Approve {
        #[command(flatten)]
        common: Common,
        /// The running mix-net (default: the configured one).
        #[arg(long, env = "PANORAMIX_MIXNET")]
        mixnet: Option<String>,
        /// Accept the proposal's terms of service.
        #[arg(long)]
        accept_terms: bool,
    },
    /// Ask to join a running mix-net (seed §4.5): review it from what it publishes,
    /// register, file a signed join request, co-sign the successor the owners
    /// propose in answer and write the membership file.
    JoinRequest {
        #[command(flatten)]
        common: Common,
        /// The running mix-net (its joint peer id, as its public page shows it).
        #[arg(long, env = "PANORAMIX_MIXNET")]
        mixnet: String,
        /// Accept the mix-net's terms of service.
        #[arg(long)]
        accept_terms: bool,
    },
    /// For an owner: approve a join request (listed by `panoramix status`) by
    /// proposing the successor that adds the newcomer; waits for the co-signers.
    ApproveRequest {
        #[command(flatten)]
        common: Common,
        /// The newcomer's peer id (default: the only pending request).
        #[arg(long)]
        peer: Option<String>,
        /// The successor's name (default: `<name>-g2`, `-g3`, ...).
        #[arg(long)]
        new_name: Option<String>,
    },
    /// For an owner: refuse a join request, signed; the newcomer is told why.
    RefuseRequest {
        #[command(flatten)]
        common: Common,
        /// The newcomer's peer id.
        #[arg(long)]
        peer: String,
        /// Why (the newcomer sees it).
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Join a mix-net with an invitation `<negotiation_id>|<invitation_id>`.
    Join {
        #[command(flatten)]
        common: Common,
        /// The invitation (a negotiation id may begin with `-`).
        #[arg(long, env = "PANORAMIX_INVITATION", allow_hyphen_values = true)]
        invitation: Option<String>,
        /// Accept the proposal's terms of service.
        #[arg(long)]
        accept_terms: bool,
    },
}

fn confirm(prompt: &str, interactive: bool) -> anyhow::Result<bool> {
    if !interactive {
        return Ok(false);
    }
    Ok(dialoguer::Confirm::new()
        .with_prompt(prompt)
        .default(true)
        .interact()?)
}

fn wait<T>(
    what: &str,
    timeout: u64,
    mut f: impl FnMut() -> anyhow::Result<Option<T>>,
) -> anyhow::Result<T> {
    let pb = indicatif::ProgressBar::new_spinner();
    if !std::io::stderr().is_terminal() {
        pb.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    pb.set_message(what.to_owned());
    pb.enable_steady_tick(Duration::from_millis(120));
    let deadline = Instant::now() + Duration::from_secs(timeout);
    loop {
        // the spinner is off the screen while `f` runs: a prompt or a line that
        // `f` prints (`co-sign this reconfiguration?`) is not drawn over
        if let Some(v) = pb.suspend(&mut f)? {
            pb.finish_and_clear();
            return Ok(v);
        }
        if Instant::now() > deadline {
            pb.finish_and_clear();
            bail!("timed out {what}");
        }
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// Save the agreements behind a consensus for auditors: every closed negotiation
/// titled `title`, one file each (see `super::agreement`), next to the configuration
/// file as `<config stem>.<title>.<consensus id>.agreement.json`. Waits (up to
/// `timeout` seconds) for the other signers when none is closed yet.
fn export_agreement(
    client: &panoramix_client::Client,
    path: &std::path::Path,
    title: &str,
    timeout: u64,
) -> anyhow::Result<()> {
    let closed = wait(
        "waiting for the other signers of the agreement",
        timeout,
        || {
            let all = client.negotiations_titled(title)?;
            let done: Vec<_> = all
                .into_iter()
                .filter(|n| n.status == NegotiationStatus::Done)
                .collect();
            Ok((!done.is_empty()).then_some(done))
        },
    )?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    for n in &closed {
        if let Some(file) = super::agreement::write(&dir, &format!("{stem}."), n)? {
            errln!(
                "the signed agreement is in {} (check it: panoramix agreement verify {})",
                file.display(),
                file.display()
            );
        }
    }
    Ok(())
}

pub fn run(c: Command) -> anyhow::Result<ExitCode> {
    match c {
        Command::JoinRequest {
            common,
            mixnet,
            accept_terms,
        } => membership::join_request(common, mixnet, accept_terms),
        Command::ApproveRequest {
            common,
            peer,
            new_name,
        } => membership::approve_request(common, peer, new_name),
        Command::RefuseRequest {
            common,
            peer,
            reason,
        } => membership::refuse_request(common, peer, reason),
        Command::Reconfigure {
            common,
            new_name,
            add,
            remove,
        } => reconfigure(common, new_name, add, remove),
        Command::Approve {
            common,
            mixnet,
            accept_terms,
        } => approve(common, mixnet, accept_terms),
        Command::Create {
            common,
            name,
            backend,
            invitations,
            params,
            size_min,
            size_max,
            close_after,
            terms,
            graph,
            reconfiguration_signers,
            reconfiguration_quorum,
            reconfiguration_grace,
            restart,
        } => setup::create(
            common,
            name,
            invitations,
            restart,
            setup::Proposal {
                backend,
                params,
                size_min,
                size_max,
                close_after,
                terms,
                graph,
                rule: setup::rule(
                    &reconfiguration_signers,
                    reconfiguration_quorum,
                    reconfiguration_grace,
                ),
            },
        ),
        Command::Join {
            common,
            invitation,
            accept_terms,
        } => setup::join(common, invitation, accept_terms),
    }
}

/// `wizard reconfigure`: propose a successor of the configured mix-net with
/// owners added or removed, and wait until every participant co-signed it.
fn reconfigure(
    common: Common,
    new_name: String,
    add: Vec<String>,
    remove: Vec<String>,
) -> anyhow::Result<ExitCode> {
    let path = existing_path(common.config.clone())?;
    let mut cfg = ContributorConfig::open(&path)?;
    let client = cfg.client(common.url.clone())?;
    let mixnet = cfg.get_str("MIXNET").context("no MIXNET configured")?;
    let current = formation::current(&client, &mixnet)?;
    let peer = client.peer(&current)?;
    let mut owners: Vec<String> = peer.owner_ids();
    owners.retain(|o| !remove.contains(o));
    for a in add {
        client
            .peer(&a)
            .with_context(|| format!("{a} is not a registered peer"))?;
        if !owners.contains(&a) {
            owners.push(a);
        }
    }
    if owners.is_empty() {
        bail!("a mix-net needs at least one owner");
    }
    formation::propose_successor(&client, &current, &owners, &new_name)?;
    outln!(
        "proposed successor {new_name} of {current} with {} owners; waiting for every participant",
        owners.len()
    );
    await_successor(&client, &path, &current, common.timeout)?;
    Ok(ExitCode::SUCCESS)
}

/// Wait (up to `timeout` seconds) until the participants co-signed the
/// successor of `current`, say so, and keep its agreement next to `config`.
fn await_successor(
    client: &panoramix_client::Client,
    config: &std::path::Path,
    current: &str,
    timeout: u64,
) -> anyhow::Result<String> {
    let next = wait("waiting for the participants to co-sign", timeout, || {
        Ok(formation::successor(client, current)?)
    })?;
    outln!("successor mix-net {next} agreed; it takes over from the next cycle");
    export_agreement(client, config, &format!("successor:{current}"), timeout)?;
    Ok(next)
}

/// How the terms of a mix-net are put to the operator.
struct Terms {
    /// Show them (an owner already agreed to them).
    show: bool,
    /// `--accept-terms`.
    accepted: bool,
    /// Ask on the terminal.
    interactive: bool,
}

/// Put the mix-net's terms to the operator, then register this contributor with
/// its backend key. `false`: the terms were not accepted (nothing registered).
fn accept_and_register(
    cfg: &mut ContributorConfig,
    client: &panoramix_client::Client,
    common: &Common,
    spec: &MixnetSpec,
    terms: Terms,
) -> anyhow::Result<bool> {
    if terms.show && !spec.terms.is_empty() {
        errln!("terms of service:\n{}", spec.terms);
        if !terms.accepted && !confirm("accept these terms?", terms.interactive)? {
            errln!("panoramix: the terms must be accepted explicitly (--accept-terms)");
            return Ok(false);
        }
    }
    let secrets = cfg.secrets(&spec.backend)?;
    cfg.set("BACKEND", json!(spec.backend), "crypto backend")?;
    let peer_name = common
        .peer_name
        .clone()
        .unwrap_or_else(|| format!("{}-{}", spec.name, &client.id()[..8]));
    formation::register(client, &peer_name, &spec.backend, &secrets)?;
    Ok(true)
}

/// The configuration `wizard approve` uses: `--config`; the membership of
/// `mixnet` (or the only one, without `--mixnet`); or, for a newcomer to
/// `mixnet`, a new one (`true`: named once the mix-net is known).
fn approver_config(
    config: &Option<PathBuf>,
    mixnet: Option<&str>,
) -> anyhow::Result<(ContributorConfig, bool)> {
    if let Some(p) = config {
        return Ok((ContributorConfig::create(p)?, false));
    }
    let Some(m) = mixnet else {
        return Ok((ContributorConfig::create(&existing_path(None)?)?, false));
    };
    match memberships()
        .into_iter()
        .find(|x| x.get_str("MIXNET") == Some(m))
    {
        Some(x) => Ok((ContributorConfig::create(&x.path)?, false)),
        None => Ok((ContributorConfig::unsaved(), true)),
    }
}

/// `wizard approve`: review a proposed reconfiguration of a running mix-net
/// (its owners, its terms for a newcomer), register and co-sign it.
fn approve(common: Common, mixnet: Option<String>, accept_terms: bool) -> anyhow::Result<ExitCode> {
    let interactive = !common.yes && std::io::stdin().is_terminal();
    let (mut cfg, new) = approver_config(&common.config, mixnet.as_deref())?;
    let client = cfg.client(common.url.clone())?;
    let mixnet = mixnet
        .or_else(|| cfg.get_str("MIXNET"))
        .context("no mix-net: pass --mixnet")?;
    let current = formation::current(&client, &mixnet)?;
    let peer = client.peer(&current)?;
    let spec: MixnetSpec = serde_json::from_value(peer.crypto_params.clone())?;
    if new {
        cfg.relocate(&super::contributor::free_membership_path(&spec.name))?;
    }
    // never over the membership of another mix-net
    if let Some(mine) = cfg.get_str("MIXNET")
        && formation::current(&client, &mine)? != current
    {
        let name = cfg.get_str("MIXNET_NAME").unwrap_or_default();
        let what = format!("mix-net {name} ({mine})");
        return Err(super::contributor::ConfigError::Live(cfg.path().to_owned(), what).into());
    }
    let path = cfg.path().to_owned();
    errln!("membership file: {}", path.display());
    cfg.set("CATALOG_URL", json!(client.base()), "controller URL")?;
    errln!("mix-net {} ({}), owners:", spec.name, spec.backend);
    let owners = peer.owner_ids();
    for id in &owners {
        let name = match client.peer(id) {
            Ok(p) => p.name,
            Err(e) => format!("(unknown: {e})"),
        };
        errln!("  {id} {name}");
    }
    let already_owner = owners.contains(&client.id());
    if let Some(mine) = cfg.get_str("MIXNET")
        && mine != current
        && !already_owner
        && client.peer(&mine)?.owner_ids().contains(&client.id())
    {
        outln!(
            "this contributor was removed from mix-net {mine}: its successor {current} does not include it; nothing to co-sign"
        );
        return Ok(ExitCode::SUCCESS);
    }
    let terms = Terms {
        show: !already_owner,
        accepted: accept_terms,
        interactive,
    };
    if !accept_and_register(&mut cfg, &client, &common, &spec, terms)? {
        return Ok(ExitCode::from(2));
    }
    errln!(
        "registered as {}; waiting for a reconfiguration proposal that includes it",
        client.id()
    );
    let yes = common.yes;
    let next = wait(
        "waiting for the reconfiguration proposal",
        common.timeout,
        || {
            if let Some(notice) = membership::removal_notice(&client, &current)? {
                return Ok(Some(Err(notice)));
            }
            Ok(
                formation::confirm_successor(&client, &current, &|owners: &[String]| {
                    errln!("proposed owners: {}", owners.join(", "));
                    yes || confirm("co-sign this reconfiguration?", interactive).unwrap_or(false)
                })?
                .map(Ok),
            )
        },
    )?;
    let next = match next {
        Ok(next) => next,
        Err(notice) => {
            outln!("{notice}");
            return Ok(ExitCode::SUCCESS);
        }
    };
    if !client.peer(&current)?.owner_ids().contains(&client.id()) {
        // a newcomer contributes from the successor on
        let id = wait(
            "waiting for the successor to be created",
            common.timeout,
            || Ok(formation::successor(&client, &current)?.filter(|n| client.peer(n).is_ok())),
        )?;
        cfg.set("MIXNET", json!(id), "the mix-net's joint peer")?;
    }
    outln!("co-signed the reconfiguration of {current}: successor {next}");
    export_agreement(
        &client,
        &path,
        &format!("successor:{current}"),
        common.timeout,
    )?;
    outln!("Membership file: {}", path.display());
    Ok(ExitCode::SUCCESS)
}

//! `panoramix wizard create|join`: set a mix-net up with other contributors (seed
//! appendix A). Every prompt has a flag; without a terminal (or with `--yes`) the
//! wizard never prompts. Resumable: every step is saved to the configuration file.

use super::contributor::{ContributorConfig, default_path};
use super::server_wizard::default_params;
use anyhow::{Context, bail};
use panoramix_core::wire::NegotiationStatus;
use panoramix_mixnet::mixnet::MixnetSpec;
use panoramix_mixnet::setup;
use serde_json::{Value as Json, json};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

#[derive(clap::Args, Debug)]
pub struct Common {
    /// Contributor configuration file.
    #[arg(long, env = "PANORAMIX_CONFIG")]
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
        /// Terms of service and policies joining administrators must accept.
        #[arg(long, default_value = "")]
        terms: String,
        /// An endpoint graph template (JSON) instead of the default graph.
        #[arg(long)]
        graph: Option<PathBuf>,
    },
    /// Propose a reconfiguration of the configured mix-net (first owner): a successor
    /// with contributors added or removed, effective from the next cycle.
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
            terms,
            graph,
        } => create(
            common,
            name,
            invitations,
            Proposal {
                backend,
                params,
                size_min,
                size_max,
                terms,
                graph,
            },
        ),
        Command::Join {
            common,
            invitation,
            accept_terms,
        } => join(common, invitation, accept_terms),
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
    let mut cfg = ContributorConfig::open(&common.config.clone().unwrap_or_else(default_path))?;
    let client = cfg.client(common.url.clone())?;
    let mixnet = cfg.get_str("MIXNET").context("no MIXNET configured")?;
    let current = setup::current(&client, &mixnet)?;
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
    setup::propose_successor(&client, &current, &owners, &new_name)?;
    outln!(
        "proposed successor {new_name} of {current} with {} owners; waiting for every participant",
        owners.len()
    );
    let next = wait(
        "waiting for the participants to co-sign",
        common.timeout,
        || Ok(setup::successor(&client, &current)?),
    )?;
    outln!("successor mix-net {next} agreed; it takes over from the next cycle");
    export_agreement(
        &client,
        &common.config.clone().unwrap_or_else(default_path),
        &format!("successor:{current}"),
        common.timeout,
    )?;
    Ok(ExitCode::SUCCESS)
}

/// `wizard approve`: review a proposed reconfiguration of a running mix-net
/// (its owners, its terms for a newcomer), register and co-sign it.
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
    setup::register(client, &peer_name, &spec.backend, &secrets)?;
    Ok(true)
}

fn approve(common: Common, mixnet: Option<String>, accept_terms: bool) -> anyhow::Result<ExitCode> {
    let interactive = !common.yes && std::io::stdin().is_terminal();
    let path = common.config.clone().unwrap_or_else(default_path);
    let mut cfg = ContributorConfig::create(&path)?;
    let client = cfg.client(common.url.clone())?;
    cfg.set("CATALOG_URL", json!(client.base()), "controller URL")?;
    let mixnet = mixnet
        .or_else(|| cfg.get_str("MIXNET"))
        .context("no mix-net: pass --mixnet")?;
    let current = setup::current(&client, &mixnet)?;
    let peer = client.peer(&current)?;
    let spec: MixnetSpec = serde_json::from_value(peer.crypto_params.clone())?;
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
            Ok(setup::confirm_successor(
                &client,
                &current,
                &|owners: &[String]| {
                    errln!("proposed owners: {}", owners.join(", "));
                    yes || confirm("co-sign this reconfiguration?", interactive).unwrap_or(false)
                },
            )?)
        },
    )?;
    if !client.peer(&current)?.owner_ids().contains(&client.id()) {
        // a newcomer contributes from the successor on
        let id = wait(
            "waiting for the successor to be created",
            common.timeout,
            || Ok(setup::successor(&client, &current)?.filter(|n| client.peer(n).is_ok())),
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
    Ok(ExitCode::SUCCESS)
}

/// What `wizard create` proposes besides the name, from its flags.
struct Proposal {
    backend: String,
    params: Vec<String>,
    size_min: i64,
    size_max: i64,
    terms: String,
    graph: Option<PathBuf>,
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
        Ok(MixnetSpec {
            name,
            backend,
            params: Json::Object(p),
            size_min: self.size_min,
            size_max: self.size_max,
            election_public_key: None,
            terms: self.terms,
            graph,
            previous: None,
            election: None,
        })
    }
}

/// `wizard create`: propose a mix-net, print the invitations and wait until
/// every invited contributor joined and co-signed the joint peer.
fn create(
    common: Common,
    name: Option<String>,
    invitations: usize,
    proposal: Proposal,
) -> anyhow::Result<ExitCode> {
    let interactive = !common.yes && std::io::stdin().is_terminal();
    let mut cfg = ContributorConfig::create(&common.config.clone().unwrap_or_else(default_path))?;
    let name = match name.or_else(|| cfg.get_str("MIXNET_NAME")) {
        Some(n) => n,
        None if interactive => dialoguer::Input::<String>::new()
            .with_prompt("mix-net name")
            .interact_text()?,
        None => {
            errln!("panoramix: missing --name (or PANORAMIX_MIXNET_NAME)");
            return Ok(ExitCode::from(2));
        }
    };
    let spec = proposal.spec(name.clone())?;
    let backend = spec.backend.clone();
    let client = cfg.client(common.url.clone())?;
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
    let (neg, invs) = match (cfg.get_str("NEGOTIATION"), cfg.get("INVITATIONS").cloned()) {
        (Some(n), Some(Json::Array(i))) => (
            n,
            i.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect(),
        ),
        _ => {
            let (n, i) = setup::create(&client, &spec, invitations)?;
            cfg.set("NEGOTIATION", json!(n), "mix-net proposal negotiation")?;
            cfg.set("INVITATIONS", json!(i), "invitations")?;
            (n, i)
        }
    };
    outln!("Send invitations to peers:");
    for i in &invs {
        outln!("{i}");
    }
    let _ = std::io::Write::flush(&mut std::io::stdout());
    if cfg.get_str("MIXNET").is_none() {
        let joint = form_joint(&client, &spec, &neg, &invs, common.timeout)?;
        cfg.set("MIXNET", json!(joint), "the mix-net's joint peer")?;
    }
    let joint = cfg.get_str("MIXNET").unwrap_or_default();
    export_agreement(
        &client,
        &common.config.clone().unwrap_or_else(default_path),
        &format!("joint:{name}"),
        common.timeout,
    )?;
    outln!(
        "Created mix-net {name}: {}/panoramix/peers/{joint}/",
        client.base()
    );
    Ok(ExitCode::SUCCESS)
}

/// Wait until every invited contributor joined, propose the joint peer, and
/// wait until every owner co-signed it; returns the joint peer's id.
fn form_joint(
    client: &panoramix_client::Client,
    spec: &MixnetSpec,
    neg: &str,
    invs: &[String],
    timeout: u64,
) -> anyhow::Result<String> {
    wait(
        "waiting for every invited contributor to join",
        timeout,
        || {
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

/// `wizard join`: review a proposal (parameters against the defaults, terms),
/// register, join and wait for the coordinator's joint peer.
fn join(
    common: Common,
    invitation: Option<String>,
    accept_terms: bool,
) -> anyhow::Result<ExitCode> {
    let interactive = !common.yes && std::io::stdin().is_terminal();
    let mut cfg = ContributorConfig::create(&common.config.clone().unwrap_or_else(default_path))?;
    let invitation = match invitation.or_else(|| cfg.get_str("INVITATION")) {
        Some(i) => i,
        None if interactive => dialoguer::Input::<String>::new()
            .with_prompt("invitation")
            .interact_text()?,
        None => {
            errln!("panoramix: missing --invitation (or PANORAMIX_INVITATION)");
            return Ok(ExitCode::from(2));
        }
    };
    let client = cfg.client(common.url.clone())?;
    // the invitation is checked before anything (a new key included) is stored
    let (spec, by) = setup::proposal(&client, &invitation)?;
    cfg.set("INVITATION", json!(invitation), "invitation")?;
    cfg.set("CATALOG_URL", json!(client.base()), "controller URL")?;
    errln!("mix-net {:?} proposed by {by}", spec.name);
    // agree by policy to what matches the defaults; ask about the rest
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
        )? && !common.yes
        {
            errln!("panoramix: {k} = {v} differs from the default; rerun with --yes to accept it");
            return Ok(ExitCode::from(2));
        }
    }
    errln!(
        "entry endpoints take {}..{} messages per cycle",
        spec.size_min,
        spec.size_max
    );
    let terms = Terms {
        show: true,
        accepted: accept_terms,
        interactive,
    };
    if !accept_and_register(&mut cfg, &client, &common, &spec, terms)? {
        return Ok(ExitCode::from(2));
    }
    cfg.set("MIXNET_NAME", json!(spec.name), "mix-net name")?;
    if cfg.get_str("JOINED").is_none() {
        setup::join(&client, &invitation, &spec)?;
        cfg.set("JOINED", json!("yes"), "join contribution sent")?;
    }
    errln!("joined; waiting for the coordinator's joint-peer proposal");
    if cfg.get_str("MIXNET").is_none() {
        let joint = wait(
            "waiting for the joint peer proposal",
            common.timeout,
            || Ok(setup::confirm_joint(&client, &spec)?),
        )?;
        cfg.set("MIXNET", json!(joint), "the mix-net's joint peer")?;
    }
    export_agreement(
        &client,
        &common.config.clone().unwrap_or_else(default_path),
        &format!("joint:{}", spec.name),
        common.timeout,
    )?;
    outln!(
        "Joined mix-net {}: {}",
        spec.name,
        cfg.get_str("MIXNET").unwrap_or_default()
    );
    Ok(ExitCode::SUCCESS)
}

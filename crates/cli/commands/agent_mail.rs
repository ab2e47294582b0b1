//! Mail in the local agent (docs/mail.md): `panoramix agent --mail-dir DIR` also
//! serves SMTP submission and POP3 on 127.0.0.1 for the users of DIR, and runs the
//! mail gateway to the mix-net; `panoramix mail-user add --mail-dir DIR ADDRESS` adds
//! a user.
//!
//! DIR holds `users.json` (credentials, Argon2id), `keys/` (per user: the signing key
//! of its directory record, its mail key and delivery tag; the secrets sealed under
//! `PANORAMIX_PASSPHRASE` like every key of the command), `maildrop/`,
//! `contacts.json` (pinned addresses) and `gateway-state.json` (the next cycle to
//! read, reply-block openers and filed reply blocks, mode 0600).

use anyhow::Context;
use panoramix_client::Client;
use panoramix_core::Keypair;
use panoramix_mail::directory::{Directory, MailRecord, new_tag, publish};
use panoramix_mail::envelope::MailSecretKey;
use panoramix_mail::gateway::{Gateway, GatewayConfig, LocalUser};
use panoramix_mail::maildrop::Maildrop;
use panoramix_mail::pop3::Pop3Limits;
use panoramix_mail::server::{serve_pop3, serve_smtp};
use panoramix_mail::smtp::SmtpLimits;
use panoramix_mail::users::{HashParams, Users, normalize_address};
use panoramix_mixnet::sender::Sender;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;
use zeroize::Zeroizing;

use super::keygen;

/// The agent's mail flags.
#[derive(clap::Args, Debug)]
pub struct MailArgs {
    /// Serve mail for the users of this directory (see `panoramix mail-user add`).
    #[arg(long = "mail-dir", env = "PANORAMIX_MAIL_DIR")]
    mail_dir: Option<PathBuf>,
    /// SMTP submission listener (plain text: keep it on loopback).
    #[arg(long, default_value = "127.0.0.1:2525")]
    smtp: SocketAddr,
    /// POP3 listener (plain text: keep it on loopback).
    #[arg(long, default_value = "127.0.0.1:2110")]
    pop3: SocketAddr,
    /// Seconds after which a sent mail whose packets are not all in agreed cycle
    /// outputs bounces (and an incomplete incoming mail is discarded).
    #[arg(long = "mail-bounce-after", default_value_t = 600)]
    bounce_after: u64,
    /// Reply blocks (SURBs) in each mail: how many packets an anonymous reply may
    /// take (0: none).
    #[arg(long = "mail-reply-blocks", default_value_t = 4)]
    reply_blocks: usize,
    /// Milliseconds between two looks at the mix-net.
    #[arg(long = "mail-poll-ms", default_value_t = 500)]
    poll_ms: u64,
}

/// `panoramix mail-user ...`
#[derive(clap::Subcommand, Debug)]
pub enum UserCommand {
    /// Add a mail user (or change its password): the password is read from
    /// `PANORAMIX_MAIL_PASSWORD`, or the first line of standard input. Its keys are
    /// made at once; the agent publishes its directory record at start.
    Add {
        /// The agent's mail directory.
        #[arg(long = "mail-dir", env = "PANORAMIX_MAIL_DIR")]
        mail_dir: PathBuf,
        /// The user's mail address (also its login).
        address: String,
    },
}

pub fn run_user(c: UserCommand) -> anyhow::Result<ExitCode> {
    match c {
        UserCommand::Add { mail_dir, address } => {
            let address = normalize_address(&address)?;
            let password = match std::env::var("PANORAMIX_MAIL_PASSWORD") {
                Ok(p) if !p.is_empty() => Zeroizing::new(p),
                _ => {
                    let mut line = Zeroizing::new(String::new());
                    std::io::stdin()
                        .read_line(&mut line)
                        .context("reading the password from standard input")?;
                    Zeroizing::new(line.trim_end_matches(['\r', '\n']).to_owned())
                }
            };
            anyhow::ensure!(!password.is_empty(), "the password is empty");
            std::fs::create_dir_all(&mail_dir)
                .with_context(|| format!("creating {}", mail_dir.display()))?;
            panoramix_mail::users::add_user(
                &mail_dir.join("users.json"),
                &address,
                password.as_bytes(),
            )?;
            let keys = load_or_create_keys(&mail_dir, &address)?;
            outln!(
                "mail user {address} added (mail key {}, tag {})",
                keys.key.public().to_hex(),
                keys.tag
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

struct UserKeys {
    identity: Keypair,
    key: MailSecretKey,
    tag: String,
}

fn keys_path(dir: &Path, address: &str) -> PathBuf {
    let h = Sha256::digest(address.as_bytes());
    dir.join("keys")
        .join(format!("{}.json", hex::encode(&h[..16])))
}

/// A user's keys from DIR/keys, made (and stored sealed) when missing.
fn load_or_create_keys(dir: &Path, address: &str) -> anyhow::Result<UserKeys> {
    let path = keys_path(dir, address);
    let what = format!("the mail keys of {address} ({})", path.display());
    if path.exists() {
        keygen::check_private(&path)?;
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&path)?)
            .with_context(|| format!("reading {what}"))?;
        let field = |k: &str| {
            v[k].as_str()
                .map(str::to_owned)
                .ok_or_else(|| anyhow::anyhow!("{what}: no {k}"))
        };
        anyhow::ensure!(
            field("address")? == address,
            "{what}: made for another address"
        );
        let identity = Keypair::from_secret_hex(&keygen::unseal(&field("identity")?, &what)?)?;
        let key = MailSecretKey::from_hex(&keygen::unseal(&field("mail_key")?, &what)?)?;
        return Ok(UserKeys {
            identity,
            key,
            tag: field("tag")?,
        });
    }
    let mut rng = rand_core::OsRng;
    let keys = UserKeys {
        identity: Keypair::generate(&mut rng),
        key: MailSecretKey::generate(&mut rng),
        tag: new_tag(&mut rng),
    };
    let stored = json!({
        "address": address,
        "identity": keygen::seal(keys.identity.secret_hex().as_str())?,
        "mail_key": keygen::seal(keys.key.to_hex().as_str())?,
        "tag": keys.tag,
    });
    std::fs::create_dir_all(path.parent().unwrap_or(dir))?;
    keygen::replace_private(&path, &serde_json::to_string_pretty(&stored)?)?;
    Ok(keys)
}

/// Start mail for the agent when `--mail-dir` is given: publish every user's record,
/// start the gateway thread and the SMTP and POP3 listeners on `rt`.
pub fn start(
    a: &MailArgs,
    url: &str,
    mixnet: &str,
    rt: &tokio::runtime::Runtime,
) -> anyhow::Result<()> {
    let Some(dir) = &a.mail_dir else {
        return Ok(());
    };
    // the gateway's progress (mail queued, packets posted, delivered, bounced) on stderr
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PANORAMIX_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,panoramix_mail=info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(crate::out::log_colours())
        .try_init();
    for addr in [a.smtp, a.pop3] {
        if !addr.ip().is_loopback() {
            errln!(
                "warning: mail listener {addr} is not on loopback: SMTP and POP3 here are plain text"
            );
        }
    }
    let users = Arc::new(
        Users::load(&dir.join("users.json"), HashParams::default())
            .with_context(|| format!("the mail users of {}", dir.display()))?,
    );
    let mut locals = Vec::new();
    for address in users.addresses() {
        let keys = load_or_create_keys(dir, &address)?;
        let record = MailRecord {
            address: address.clone(),
            mail_key: keys.key.public(),
            tag: keys.tag.clone(),
        };
        let client = Client::connect(url, keys.identity)
            .with_context(|| format!("cannot reach the controller at {url}"))?;
        publish(&client, &record)
            .with_context(|| format!("publishing the mail record of {address}"))?;
        locals.push(LocalUser {
            address,
            key: keys.key,
            tag: keys.tag,
        });
    }
    if locals.is_empty() {
        errln!(
            "warning: {} has no mail users: add one with `panoramix mail-user add`",
            dir.display()
        );
    }
    let anon = || Client::connect(url, Keypair::generate(&mut rand_core::OsRng));
    let sender = Sender::new(anon()?, mixnet).with_context(|| format!("mix-net {mixnet}"))?;
    let directory = Directory::open(Some(anon()?), Some(&dir.join("contacts.json")))?;
    let maildrop = Arc::new(Maildrop::open(&dir.join("maildrop"))?);
    let cfg = GatewayConfig {
        bounce_after: Duration::from_secs(a.bounce_after),
        incomplete_after: Duration::from_secs(a.bounce_after),
        reply_blocks: a.reply_blocks,
        poll: Duration::from_millis(a.poll_ms.max(10)),
        state_file: Some(dir.join("gateway-state.json")),
        ..GatewayConfig::default()
    };
    let smtp_limits = SmtpLimits {
        max_message_size: cfg.max_mail_bytes,
        ..SmtpLimits::default()
    };
    let gateway = Arc::new(Gateway::new(
        sender,
        mixnet,
        directory,
        locals,
        maildrop.clone(),
        cfg,
    )?);
    panoramix_mail::gateway::spawn(gateway.clone(), Arc::new(AtomicBool::new(false)));
    let (smtp, pop3) = rt.block_on(async {
        let s = tokio::net::TcpListener::bind(a.smtp).await;
        let p = tokio::net::TcpListener::bind(a.pop3).await;
        (s, p)
    });
    let smtp = smtp.with_context(|| format!("listening on {} (SMTP)", a.smtp))?;
    let pop3 = pop3.with_context(|| format!("listening on {} (POP3)", a.pop3))?;
    outln!(
        "panoramix agent: mail: SMTP on {}, POP3 on {}",
        smtp.local_addr()?,
        pop3.local_addr()?
    );
    let stop = || async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let u = users.clone();
    rt.spawn(async move {
        if let Err(e) = serve_smtp(smtp, u, gateway, smtp_limits, stop()).await {
            tracing::error!("SMTP listener: {e}");
        }
    });
    rt.spawn(async move {
        if let Err(e) = serve_pop3(pop3, users, maildrop, Pop3Limits::default(), stop()).await {
            tracing::error!("POP3 listener: {e}");
        }
    });
    Ok(())
}

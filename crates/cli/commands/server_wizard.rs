//! `panoramix server-wizard`: writes the controller's configuration, as in the
//! seed's appendix A.1. Asks on a terminal; takes flags (and defaults) otherwise.
//! It asks for the URL and the backend only: the controller serves mix-nets of that
//! one backend (said when asked and after writing). The crypto parameters are not
//! asked: `serve` does not read them, each mix-net's are chosen by
//! `panoramix wizard create`; `--param` values are still checked and recorded.

use anyhow::{Context, bail};
use serde_json::{Value as Json, json};
use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Where to write the configuration.
    #[arg(
        long,
        env = "PANORAMIX_CONFIG",
        default_value = "panoramix-server.json"
    )]
    config: PathBuf,
    /// The controller's URL.
    #[arg(long)]
    catalog_url: Option<String>,
    /// SPHINXMIX or ZEUS.
    #[arg(long)]
    backend: Option<String>,
    /// A crypto parameter, NAME=VALUE (repeatable).
    #[arg(long = "param")]
    params: Vec<String>,
    /// Database file.
    #[arg(long)]
    db: Option<PathBuf>,
    /// Take defaults for everything not given; never ask.
    #[arg(long, short)]
    yes: bool,
}

/// The backends and their parameters with defaults.
pub fn default_params(backend: &str) -> Option<Vec<(&'static str, Json, &'static str)>> {
    match backend {
        "SPHINXMIX" => Some(vec![
            (
                "BODY_LEN",
                json!(1024),
                "largest message (payload) in bytes",
            ),
            (
                "MAX_HOPS",
                json!(5),
                "most mixes a packet can route through",
            ),
            (
                "GROUP",
                json!("ristretto255"),
                "the group of the Sphinx key exchange",
            ),
        ]),
        "ZEUS" => Some(vec![
            ("GROUP", json!("ristretto255"), "the ElGamal group"),
            (
                "MIX_PROOF",
                json!("TW"),
                "proof of shuffle: TW (Terelius-Wikstrom) or SK (Sako-Kilian)",
            ),
            ("SK_ROUNDS", json!(128), "Sako-Kilian rounds (at least 128)"),
        ]),
        _ => None,
    }
}

/// The configuration file: each key is `{value, title, description}`, as the original's.
pub struct ServerConfig(Json);

impl ServerConfig {
    pub fn load(p: &Path) -> anyhow::Result<ServerConfig> {
        let s = std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
        Ok(ServerConfig(
            serde_json::from_str(&s).with_context(|| format!("{} is not JSON", p.display()))?,
        ))
    }

    fn value(&self, k: &str) -> Option<&Json> {
        self.0.get(k).map(|v| v.get("value").unwrap_or(v))
    }

    pub fn backend(&self) -> String {
        self.value("BACKEND")
            .and_then(Json::as_str)
            .unwrap_or("SPHINXMIX")
            .to_owned()
    }

    pub fn db(&self) -> PathBuf {
        PathBuf::from(
            self.value("DATABASE")
                .and_then(Json::as_str)
                .unwrap_or("panoramix.sqlite3"),
        )
    }

    pub fn listen(&self) -> Option<SocketAddr> {
        let url = self.value("CATALOG_URL")?.as_str()?;
        let host = url.strip_prefix("http://")?.trim_end_matches('/');
        host.parse().ok()
    }
}

fn ask(prompt: &str, default: &str, interactive: bool) -> anyhow::Result<String> {
    if !interactive {
        return Ok(default.to_owned());
    }
    Ok(dialoguer::Input::<String>::new()
        .with_prompt(prompt)
        .default(default.to_owned())
        .interact_text()?)
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let interactive = !a.yes && std::io::stdin().is_terminal();
    outln!("welcome to panoramix server wizard!");
    outln!("configuration file is: {}", a.config.display());
    let url = match a.catalog_url {
        Some(u) => u,
        None => ask("catalog_url", "http://127.0.0.1:8000/", interactive)?,
    };
    let backend = match a.backend {
        Some(b) => b,
        None => ask(
            "backend, one of SPHINXMIX, ZEUS (the controller will serve mix-nets of this backend only)",
            "SPHINXMIX",
            interactive,
        )?,
    };
    let Some(defaults) = default_params(&backend) else {
        bail!("unknown backend `{backend}`: choose SPHINXMIX or ZEUS");
    };
    let mut given = std::collections::BTreeMap::new();
    for p in &a.params {
        let (k, v) = p
            .split_once('=')
            .with_context(|| format!("--param {p}: expected NAME=VALUE"))?;
        if !defaults.iter().any(|(n, _, _)| *n == k) {
            bail!("--param {k}: {backend} has no such parameter");
        }
        given.insert(k.to_owned(), v.to_owned());
    }
    let mut params = serde_json::Map::new();
    for (name, default, _help) in &defaults {
        let def = match default {
            Json::String(s) => s.clone(),
            other => other.to_string(),
        };
        // not asked: `serve` does not use them; each mix-net's parameters are chosen
        // by `panoramix wizard create` (its --param); given ones are checked and kept
        let v = given.get(*name).cloned().unwrap_or(def);
        let parsed = if default.is_number() {
            json!(
                v.parse::<i64>()
                    .with_context(|| format!("{name} must be an integer"))?
            )
        } else {
            json!(v)
        };
        params.insert((*name).to_owned(), parsed);
    }
    if backend == "ZEUS" && params.get("SK_ROUNDS").and_then(Json::as_i64).unwrap_or(0) < 128 {
        bail!("SK_ROUNDS must be at least 128");
    }
    if backend == "SPHINXMIX" {
        let hops = params.get("MAX_HOPS").and_then(Json::as_i64).unwrap_or(0);
        if !(1..=16).contains(&hops) {
            bail!("MAX_HOPS must be between 1 and 16");
        }
    }
    let db = a.db.unwrap_or_else(|| PathBuf::from("panoramix.sqlite3"));
    let cfg = json!({
        "CATALOG_URL": {"value": url, "title": "controller URL", "description": "where the controller listens"},
        "BACKEND": {"value": backend, "title": "crypto backend", "description": "the mix-net's cryptography"},
        "CRYPTO_PARAMS": {"value": params, "title": "crypto parameters", "description": "the backend's parameters"},
        "DATABASE": {"value": db.display().to_string(), "title": "database", "description": "SQLite file"},
    });
    std::fs::write(&a.config, serde_json::to_string_pretty(&cfg)? + "\n")
        .with_context(|| format!("writing {}", a.config.display()))?;
    outln!("wrote {}", a.config.display());
    outln!(
        "this controller will serve {backend} mix-nets only (BACKEND in {}; edit it to change)",
        a.config.display()
    );
    outln!(
        "crypto parameters are chosen per mix-net by `panoramix wizard create --param NAME=VALUE`"
    );
    outln!("Start the server with (its key is kept encrypted under the passphrase;");
    outln!("give the same one at every start, or the key itself in PANORAMIX_KEY)");
    outln!(
        "  PANORAMIX_PASSPHRASE='...' panoramix serve --config {}",
        a.config.display()
    );
    Ok(ExitCode::SUCCESS)
}

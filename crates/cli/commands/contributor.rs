//! The contributor's configuration file, resumable as the original's: a JSON object
//! whose keys are `{value, title, description}`, saved after every step, mode 0600
//! (it holds secret keys: keep it safe; losing it loses the contributor's place in
//! its mix-nets). Precedence: flag > `PANORAMIX_*` environment > file > default.
//!
//! The secret keys in it (`KEY`, `MIX_KEY`, `TRUSTEE_KEY`) are sealed under
//! `PANORAMIX_PASSPHRASE` (Argon2id + ChaCha20-Poly1305, see `keygen::seal`); the
//! identity key may instead come from `PANORAMIX_KEY`. Plaintext only with
//! `--insecure-plaintext-keys`. A file that its group or others can read is refused.
//!
//! One file per mix-net membership: the wizards write `<mix-net name>.json` in
//! [`config_dir`] (`<name>-2.json`, … for a second contributor of the same mix-net on
//! the machine) unless given `--config`, print it, and never overwrite a live
//! membership; the other commands take `--config` or the only membership there.

use super::keygen::{check_private, replace_private, seal, unseal};
use anyhow::{Context, bail};
use panoramix_client::Client;
use panoramix_core::Keypair;
use panoramix_mixnet::backend::Secrets;
use serde_json::{Map, Value as Json, json};
use std::path::{Path, PathBuf};

/// The `--config` help of every command that uses a membership file.
pub const CONFIG_HELP: &str = "This membership's configuration file (one per mix-net membership: the wizards write `<mix-net name>.json` in $XDG_CONFIG_HOME/panoramix/ or ~/.config/panoramix/ and print it; default: the only one there)";

/// Where membership files live by default: `$XDG_CONFIG_HOME/panoramix/` or
/// `~/.config/panoramix/`.
pub fn config_dir() -> PathBuf {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("panoramix")
}

/// A file name for the mix-net `name`: its letters, digits, `-`, `_` and `.`.
fn file_stem(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    match s.trim_start_matches('.') {
        "" => "mixnet".to_owned(),
        t => t.to_owned(),
    }
}

/// The default file of a membership of the mix-net `name`: `<dir>/<name>.json`.
pub fn membership_path(name: &str) -> PathBuf {
    config_dir().join(format!("{}.json", file_stem(name)))
}

/// A file for a new membership of the mix-net `name` that no membership uses:
/// `<name>.json`, else `<name>-2.json`, `<name>-3.json`, … (a second contributor
/// of the same mix-net on this machine).
pub fn free_membership_path(name: &str) -> PathBuf {
    let stem = file_stem(name);
    (1..)
        .map(|i| match i {
            1 => config_dir().join(format!("{stem}.json")),
            i => config_dir().join(format!("{stem}-{i}.json")),
        })
        .find(|p| !p.exists())
        .unwrap_or_else(|| membership_path(name))
}

/// A membership file found in [`config_dir`], with what it is about.
pub struct Membership {
    /// The file.
    pub path: PathBuf,
    /// Its settings (`MIXNET_NAME`, `MIXNET`, `INVITATION`, …), values only.
    pub values: Map<String, Json>,
}

impl Membership {
    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.values.get(key).and_then(Json::as_str)
    }

    /// `name (joint peer id)`, or `name (being set up)`.
    pub fn describe(&self) -> String {
        let name = self.get_str("MIXNET_NAME").unwrap_or("?");
        match self.get_str("MIXNET") {
            Some(id) => format!("mix-net {name} ({id})"),
            None => format!("mix-net {name} (being set up)"),
        }
    }
}

/// Every membership file in [`config_dir`] (the agents' states and the
/// agreements beside them are not), by name.
pub fn memberships() -> Vec<Membership> {
    let Ok(rd) = std::fs::read_dir(config_dir()) else {
        return Vec::new();
    };
    let mut out: Vec<Membership> = rd
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            let n = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            n.ends_with(".json") && !n.ends_with(".state.json") && !n.ends_with(".agreement.json")
        })
        .filter_map(|path| {
            let Ok(Json::Object(m)) = serde_json::from_str(&std::fs::read_to_string(&path).ok()?)
            else {
                return None;
            };
            if !m.contains_key("CATALOG_URL") && !m.contains_key("KEY") {
                return None;
            }
            let values = m
                .into_iter()
                .map(|(k, v)| (k, v.get("value").cloned().unwrap_or(v)))
                .collect();
            Some(Membership { path, values })
        })
        .collect();
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// The membership file a command uses: `--config`, or the only membership in
/// [`config_dir`]; none, or several, is an error that says what to pass.
pub fn existing_path(flag: Option<PathBuf>) -> Result<PathBuf, ConfigError> {
    if let Some(p) = flag {
        return Ok(p);
    }
    let mut all = memberships();
    match all.len() {
        0 => Err(ConfigError::NoMembership(config_dir())),
        1 => Ok(all.remove(0).path),
        _ => Err(ConfigError::Several(
            config_dir(),
            all.iter()
                .map(|m| format!("{} ({})", m.path.display(), m.describe()))
                .collect(),
        )),
    }
}

/// Why a configuration cannot be used; each names the file.
#[derive(Debug)]
pub enum ConfigError {
    /// No file at the path (read-only commands never create one).
    Missing(PathBuf),
    /// The file exists but cannot be read.
    Unreadable(PathBuf, std::io::Error),
    /// The file is not a JSON object.
    Damaged(PathBuf, String),
    /// The file holds no identity key (and `PANORAMIX_KEY` is not set).
    NoKey(PathBuf),
    /// The file holds no secret for the backend.
    NoSecret(PathBuf, &'static str),
    /// No `--config`, and no membership file in the directory.
    NoMembership(PathBuf),
    /// No `--config`, and several membership files in the directory.
    Several(PathBuf, Vec<String>),
    /// A wizard would overwrite this file's live membership.
    Live(PathBuf, String),
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConfigError::Missing(p) => write!(
                f,
                "no configuration at {}: run `panoramix wizard create` or `wizard join` (or pass --config)",
                p.display()
            ),
            ConfigError::Unreadable(p, _) => {
                write!(f, "cannot read the configuration {}", p.display())
            }
            ConfigError::Damaged(p, why) => {
                write!(f, "the configuration {} is damaged: {why}", p.display())
            }
            ConfigError::NoKey(p) => write!(
                f,
                "the configuration {} holds no identity key (KEY): restore it from a backup or set PANORAMIX_KEY (a new identity would lose this contributor's place in its mix-nets)",
                p.display()
            ),
            ConfigError::NoMembership(d) => write!(
                f,
                "no mix-net membership in {}: run `panoramix wizard create` or `wizard join` first, or pass --config FILE",
                d.display()
            ),
            ConfigError::Several(d, all) => write!(
                f,
                "several mix-net memberships in {}: pass --config with one of: {}",
                d.display(),
                all.join(", ")
            ),
            ConfigError::Live(p, what) => write!(
                f,
                "{} holds the membership of {what}: a wizard never overwrites a membership; pass --config NEWFILE for another one",
                p.display()
            ),
            ConfigError::NoSecret(p, key) => write!(
                f,
                "the configuration {} holds no {key} for its backend",
                p.display()
            ),
        }
    }
}

impl std::error::Error for ConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ConfigError::Unreadable(_, e) => Some(e),
            _ => None,
        }
    }
}

pub struct ContributorConfig {
    path: PathBuf,
    map: Map<String, Json>,
    /// Whether missing keys may be created (only the wizards that create a membership).
    creating: bool,
    /// An identity created by this run, stored (and announced) at the next save.
    pending_key: Option<Keypair>,
}

impl ContributorConfig {
    /// An existing configuration, read only: a missing or damaged file, or one without
    /// its keys, is an error naming the file; nothing is created.
    pub fn open(path: &Path) -> anyhow::Result<ContributorConfig> {
        if !path.exists() {
            return Err(ConfigError::Missing(path.to_owned()).into());
        }
        Self::read(path, false)
    }

    /// The configuration of a wizard that creates a membership: an empty one if the file
    /// does not exist yet. Missing keys are created in memory and stored at the first
    /// save, so that nothing is written before the wizard's local checks.
    pub fn create(path: &Path) -> anyhow::Result<ContributorConfig> {
        Self::read(path, true)
    }

    /// An empty configuration of a wizard that creates a membership whose file is
    /// not known yet (it names the file after the mix-net): nothing is saved
    /// before [`ContributorConfig::relocate`].
    pub fn unsaved() -> ContributorConfig {
        ContributorConfig {
            path: PathBuf::new(),
            map: Map::new(),
            creating: true,
            pending_key: None,
        }
    }

    /// Save to `path` from now on: only a configuration never saved, to a file
    /// that does not exist (a wizard never overwrites a membership).
    pub fn relocate(&mut self, path: &Path) -> anyhow::Result<()> {
        if self.path.exists() || path.exists() {
            let what = "another membership (or the wizard's own, saved already)";
            return Err(ConfigError::Live(path.to_owned(), what.into()).into());
        }
        self.path = path.to_owned();
        Ok(())
    }

    fn read(path: &Path, creating: bool) -> anyhow::Result<ContributorConfig> {
        let map = if path.exists() {
            check_private(path)?;
            let s = std::fs::read_to_string(path)
                .map_err(|e| ConfigError::Unreadable(path.to_owned(), e))?;
            match serde_json::from_str(&s) {
                Ok(Json::Object(m)) => m,
                Ok(_) => {
                    let why = "not a JSON object".to_owned();
                    return Err(ConfigError::Damaged(path.to_owned(), why).into());
                }
                Err(e) => return Err(ConfigError::Damaged(path.to_owned(), e.to_string()).into()),
            }
        } else {
            Map::new()
        };
        Ok(ContributorConfig {
            path: path.to_owned(),
            map,
            creating,
            pending_key: None,
        })
    }

    /// The file this configuration is read from and saved to.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn get(&self, key: &str) -> Option<&Json> {
        self.map.get(key).map(|v| v.get("value").unwrap_or(v))
    }

    pub fn get_str(&self, key: &str) -> Option<String> {
        self.get(key).and_then(Json::as_str).map(str::to_owned)
    }

    pub fn set(&mut self, key: &str, value: Json, title: &str) -> anyhow::Result<()> {
        self.map.insert(
            key.into(),
            json!({"value": value, "title": title, "description": title}),
        );
        self.save()
    }

    fn save(&mut self) -> anyhow::Result<()> {
        if self.path.as_os_str().is_empty() {
            bail!("internal: a membership saved before its file was chosen");
        }
        if let Some(kp) = self.pending_key.take() {
            let sealed = seal(kp.secret_hex().as_str())?;
            let title = "the contributor's Ed25519 secret key";
            self.map.insert(
                "KEY".into(),
                json!({"value": sealed, "title": title, "description": title}),
            );
            errln!(
                "created key {} (fingerprint {})",
                kp.key_id(),
                &kp.key_id()[..16]
            );
            errln!(
                "it is stored in {} (mode 0600); losing it loses this contributor's place in its mix-nets",
                self.path.display()
            );
        }
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let text = serde_json::to_string_pretty(&Json::Object(self.map.clone()))?;
        replace_private(&self.path, &text)
    }

    /// A stored secret, decrypted.
    fn secret(&self, key: &str) -> anyhow::Result<Option<zeroize::Zeroizing<String>>> {
        match self.get_str(key) {
            Some(v) => Ok(Some(unseal(
                &v,
                &format!("{key} in {}", self.path.display()),
            )?)),
            None => Ok(None),
        }
    }

    /// Store a secret, sealed.
    fn set_secret(&mut self, key: &str, secret: &str, title: &str) -> anyhow::Result<()> {
        let stored = seal(secret)?;
        self.set(key, json!(stored), title)
    }

    /// The identity key (from `PANORAMIX_KEY` if set). Missing: an error, or, for a
    /// wizard creating a membership, a new key stored (and announced) at the next save.
    pub fn identity(&mut self) -> anyhow::Result<Keypair> {
        if let Ok(h) = std::env::var("PANORAMIX_KEY") {
            let h = zeroize::Zeroizing::new(h);
            return Keypair::from_secret_hex(h.trim())
                .map_err(|_| anyhow::anyhow!("PANORAMIX_KEY is not a secret key (64 hex)"));
        }
        if let Some(h) = self.secret("KEY")? {
            return Keypair::from_secret_hex(&h).map_err(|_| {
                anyhow::anyhow!("KEY in {} is not a secret key", self.path.display())
            });
        }
        if !self.creating {
            return Err(ConfigError::NoKey(self.path.clone()).into());
        }
        let kp = match &self.pending_key {
            Some(k) => k,
            None => self
                .pending_key
                .insert(Keypair::generate(&mut rand_core::OsRng)),
        };
        Keypair::from_secret_hex(kp.secret_hex().as_str())
            .map_err(|_| anyhow::anyhow!("a generated key does not read back"))
    }

    /// The backend secrets; missing: an error, or created by a wizard creating a membership.
    pub fn secrets(&mut self, backend: &str) -> anyhow::Result<Secrets> {
        let mut rng = rand_core::OsRng;
        match backend {
            "SPHINXMIX" => {
                let mix = match self.secret("MIX_KEY")? {
                    Some(h) => panoramix_sphinx::MixKeyPair::from_secret_hex(&h)
                        .map_err(|e| anyhow::anyhow!("MIX_KEY: {e}"))?,
                    None if !self.creating => {
                        return Err(ConfigError::NoSecret(self.path.clone(), "MIX_KEY").into());
                    }
                    None => {
                        let m = panoramix_sphinx::MixKeyPair::generate(&mut rng);
                        self.set_secret(
                            "MIX_KEY",
                            m.secret_hex().as_str(),
                            "the Sphinx mix secret key",
                        )?;
                        m
                    }
                };
                Ok(Secrets::new(Some(mix), None))
            }
            "ZEUS" => {
                let t = match self.secret("TRUSTEE_KEY")? {
                    Some(h) => panoramix_zeus::TrusteeSecret::from_hex(&h)
                        .map_err(|e| anyhow::anyhow!("TRUSTEE_KEY: {e}"))?,
                    None if !self.creating => {
                        let no = ConfigError::NoSecret(self.path.clone(), "TRUSTEE_KEY");
                        return Err(no.into());
                    }
                    None => {
                        let t = panoramix_zeus::TrusteeSecret::generate(&mut rng);
                        self.set_secret(
                            "TRUSTEE_KEY",
                            t.to_hex().as_str(),
                            "the Zeus trustee key share",
                        )?;
                        t
                    }
                };
                Ok(Secrets::new(None, Some(t)))
            }
            other => bail!("unknown backend `{other}`: choose SPHINXMIX or ZEUS"),
        }
    }

    /// A signing client to the controller at `url`, or the configured one.
    pub fn client(&mut self, url: Option<String>) -> anyhow::Result<Client> {
        let key = self.identity()?;
        self.connect(url, key)
    }

    /// A client signing with `key` to the controller at `url`, or the configured one
    /// (an error here is the controller's, not the configuration's).
    pub fn connect(&self, url: Option<String>, key: Keypair) -> anyhow::Result<Client> {
        let url = url
            .or_else(|| self.get_str("CATALOG_URL"))
            .unwrap_or_else(|| "http://127.0.0.1:8000/".into());
        Client::connect(&url, key).with_context(|| format!("cannot reach the controller at {url}"))
    }
}

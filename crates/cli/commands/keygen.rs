//! `panoramix keygen`: a new Ed25519 key.

use anyhow::Context;
use panoramix_core::Keypair;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use zeroize::Zeroizing;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Write the secret key to this file (mode 0600), encrypted under
    /// `PANORAMIX_PASSPHRASE` (plaintext hex only with `--insecure-plaintext-keys`).
    #[arg(long)]
    out: std::path::PathBuf,
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let kp = Keypair::generate(&mut rand_core::OsRng);
    write_secret(&a.out, &kp)?;
    outln!("key id: {}", kp.key_id());
    outln!("key data: {}", kp.key_data());
    Ok(ExitCode::SUCCESS)
}

/// Write a secret key file with mode 0600, sealed (see [`seal`]).
pub fn write_secret(path: &std::path::Path, kp: &Keypair) -> anyhow::Result<()> {
    let stored = seal(kp.secret_hex().as_str())?;
    write_private(path, &stored)
}

fn write_private(path: &std::path::Path, stored: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    f.write_all(stored.as_bytes())?;
    f.sync_all()
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// The controller key: from `PANORAMIX_KEY` (hex) if set, else read from a secret
/// key file (mode 0600, sealed under `PANORAMIX_PASSPHRASE`), or created if missing.
///
/// Never plaintext by default: without `PANORAMIX_PASSPHRASE` or `PANORAMIX_KEY`,
/// creating the file is refused (plaintext only with `--insecure-plaintext-keys`),
/// and an existing plaintext file is refused too, or sealed in place when a
/// passphrase is set.
pub fn load_or_create(path: &std::path::Path) -> anyhow::Result<Keypair> {
    if let Ok(h) = std::env::var("PANORAMIX_KEY") {
        let h = Zeroizing::new(h);
        return Keypair::from_secret_hex(h.trim())
            .map_err(|_| anyhow::anyhow!("PANORAMIX_KEY is not a secret key (64 hex)"));
    }
    let insecure = INSECURE_PLAINTEXT.load(Ordering::Relaxed);
    if path.exists() {
        check_private(path)?;
        let s = Zeroizing::new(
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?,
        );
        if !is_sealed(&s) && !insecure {
            if passphrase().is_none() {
                anyhow::bail!(
                    "the controller key in {} is stored in plaintext: set PANORAMIX_PASSPHRASE to have it \
                     encrypted under that passphrase now, or pass --insecure-plaintext-keys to keep it as it is",
                    path.display()
                );
            }
            let kp = Keypair::from_secret_hex(s.trim())
                .map_err(|_| anyhow::anyhow!("{} is not a secret key", path.display()))?;
            let stored = seal(kp.secret_hex().as_str())?;
            replace_private(path, &stored)?;
            errln!(
                "the controller key in {} was stored in plaintext; it is now encrypted under PANORAMIX_PASSPHRASE",
                path.display()
            );
            return Ok(kp);
        }
        let s = unseal(&s, &path.display().to_string())?;
        Keypair::from_secret_hex(s.trim())
            .map_err(|_| anyhow::anyhow!("{} is not a secret key", path.display()))
    } else {
        if passphrase().is_none() && !insecure {
            anyhow::bail!(
                "refusing to store the controller's secret key in plaintext ({}). Set one of:\n  \
                 PANORAMIX_PASSPHRASE=...   the key file is encrypted under it (Argon2id + ChaCha20-Poly1305); \
                 give the same passphrase at every start\n  \
                 PANORAMIX_KEY=<64 hex>     the key itself (e.g. from a secret manager); nothing is written\n  \
                 --insecure-plaintext-keys  plaintext key file, mode 0600 (tests and throw-away setups only)",
                path.display()
            );
        }
        let kp = Keypair::generate(&mut rand_core::OsRng);
        let stored = seal(kp.secret_hex().as_str())?;
        if !is_sealed(&stored) {
            errln!(
                "warning: --insecure-plaintext-keys: the controller key in {} is stored in plaintext (mode 0600)",
                path.display()
            );
        }
        write_private(path, &stored)?;
        Ok(kp)
    }
}

/// Write or replace a private file (secrets, a membership) atomically: a new file
/// of mode 0600, synced, renamed over it.
pub fn replace_private(path: &std::path::Path, stored: &str) -> anyhow::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".new");
    let tmp = std::path::PathBuf::from(tmp);
    let _ = std::fs::remove_file(&tmp);
    write_private(&tmp, stored)?;
    std::fs::rename(&tmp, path).with_context(|| format!("replacing {}", path.display()))
}

// ------------------------------------------------------------ keys at rest

/// Set by `--insecure-plaintext-keys`: store new secret keys in plaintext.
static INSECURE_PLAINTEXT: AtomicBool = AtomicBool::new(false);

/// Keep secret keys in plaintext files (tests and demos only).
pub fn set_insecure_plaintext(on: bool) {
    INSECURE_PLAINTEXT.store(on, Ordering::Relaxed);
}

const SEALED_PREFIX: &str = "pmx-sealed-v1:";
const ARGON_M_KIB: u32 = 19 * 1024;
const ARGON_T: u32 = 2;
const ARGON_P: u32 = 1;

/// The passphrase from `PANORAMIX_PASSPHRASE`, if set and not empty.
fn passphrase() -> Option<Zeroizing<String>> {
    std::env::var("PANORAMIX_PASSPHRASE")
        .ok()
        .filter(|p| !p.is_empty())
        .map(Zeroizing::new)
}

fn derive(pass: &str, salt: &[u8]) -> anyhow::Result<Zeroizing<[u8; 32]>> {
    let params = argon2::Params::new(ARGON_M_KIB, ARGON_T, ARGON_P, Some(32))
        .map_err(|e| anyhow::anyhow!("argon2 parameters: {e}"))?;
    let a = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut key = Zeroizing::new([0u8; 32]);
    a.hash_password_into(pass.as_bytes(), salt, key.as_mut())
        .map_err(|e| anyhow::anyhow!("argon2: {e}"))?;
    Ok(key)
}

/// Encrypt `secret` under `pass`: Argon2id (19 MiB, 2 passes) derives a
/// ChaCha20-Poly1305 key from the passphrase and a random salt.
/// `pmx-sealed-v1:<salt hex>:<nonce hex>:<ciphertext hex>`.
pub fn seal_with(secret: &str, pass: &str) -> anyhow::Result<String> {
    use chacha20poly1305::aead::{Aead, KeyInit};
    let mut salt = [0u8; 16];
    let mut nonce = [0u8; 12];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut salt);
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut nonce);
    let key = derive(pass, &salt)?;
    let cipher = chacha20poly1305::ChaCha20Poly1305::new(key.as_ref().into());
    let ct = cipher
        .encrypt((&nonce).into(), secret.as_bytes())
        .map_err(|_| anyhow::anyhow!("encryption failed"))?;
    Ok(format!(
        "{SEALED_PREFIX}{}:{}:{}",
        hex::encode(salt),
        hex::encode(nonce),
        hex::encode(ct)
    ))
}

/// Decrypt a value written by [`seal_with`].
pub fn open_with(sealed: &str, pass: &str) -> anyhow::Result<Zeroizing<String>> {
    use chacha20poly1305::aead::{Aead, KeyInit};
    let rest = sealed
        .strip_prefix(SEALED_PREFIX)
        .ok_or_else(|| anyhow::anyhow!("not a sealed key"))?;
    let parts: Vec<&str> = rest.trim().split(':').collect();
    let [salt, nonce, ct] = parts[..] else {
        anyhow::bail!("a sealed key has three fields");
    };
    let (salt, nonce, ct) = (hex::decode(salt)?, hex::decode(nonce)?, hex::decode(ct)?);
    anyhow::ensure!(nonce.len() == 12 && salt.len() >= 8, "bad sealed key");
    let key = derive(pass, &salt)?;
    let cipher = chacha20poly1305::ChaCha20Poly1305::new(key.as_ref().into());
    let pt = cipher
        .decrypt(nonce.as_slice().into(), ct.as_slice())
        .map_err(|_| anyhow::anyhow!("wrong passphrase (or the sealed key was altered)"))?;
    Ok(Zeroizing::new(
        String::from_utf8(pt).map_err(|_| anyhow::anyhow!("bad sealed key"))?,
    ))
}

/// Is this stored value a sealed secret?
pub fn is_sealed(v: &str) -> bool {
    v.starts_with(SEALED_PREFIX)
}

/// How a new secret is stored: sealed under `PANORAMIX_PASSPHRASE`, or in
/// plaintext with `--insecure-plaintext-keys`; otherwise refused.
pub fn seal(secret: &str) -> anyhow::Result<String> {
    if let Some(p) = passphrase() {
        return seal_with(secret, &p);
    }
    if INSECURE_PLAINTEXT.load(Ordering::Relaxed) {
        return Ok(secret.to_owned());
    }
    anyhow::bail!(
        "refusing to store a secret key in plaintext: set PANORAMIX_PASSPHRASE (the key is then encrypted under it), \
         or pass --insecure-plaintext-keys (tests and demos only)"
    )
}

/// The secret in a stored value: sealed values need `PANORAMIX_PASSPHRASE`;
/// plaintext ones (older files, `--insecure-plaintext-keys`) are read with a warning.
pub fn unseal(stored: &str, what: &str) -> anyhow::Result<Zeroizing<String>> {
    if is_sealed(stored) {
        let p = passphrase().ok_or_else(|| {
            anyhow::anyhow!("{what} is encrypted: set PANORAMIX_PASSPHRASE to its passphrase")
        })?;
        return open_with(stored, &p).map_err(|e| anyhow::anyhow!("{what}: {e}"));
    }
    if !INSECURE_PLAINTEXT.load(Ordering::Relaxed) {
        errln!(
            "warning: {what} is stored in plaintext; set PANORAMIX_PASSPHRASE and re-create it to encrypt it"
        );
    }
    Ok(Zeroizing::new(stored.trim().to_owned()))
}

/// Refuse a secret file that its group or others may read or write.
pub fn check_private(path: &std::path::Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .with_context(|| format!("reading {}", path.display()))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            anyhow::bail!(
                "{} holds secret keys but has mode {:o}: run `chmod 600 {}`",
                path.display(),
                mode & 0o777,
                path.display()
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_and_open() {
        let s = seal_with("00ff", "correct horse").unwrap();
        assert!(is_sealed(&s) && !s.contains("00ff"));
        assert_eq!(open_with(&s, "correct horse").unwrap().as_str(), "00ff");
        assert!(open_with(&s, "wrong").is_err());
        let mut t = s.clone();
        t.pop();
        t.push(if s.ends_with('0') { '1' } else { '0' });
        assert!(open_with(&t, "correct horse").is_err());
    }
}

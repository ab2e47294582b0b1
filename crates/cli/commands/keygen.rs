//! `panoramix keygen`: a new Ed25519 key.

use anyhow::Context;
use panoramix_core::Keypair;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Write the secret key (hex) to this file, readable only by you.
    #[arg(long)]
    out: std::path::PathBuf,
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let kp = Keypair::generate(&mut rand_core::OsRng);
    write_secret(&a.out, &kp)?;
    println!("key id: {}", kp.key_id());
    println!("key data: {}", kp.key_data());
    Ok(ExitCode::SUCCESS)
}

/// Write a secret key file with mode 0600.
pub fn write_secret(path: &std::path::Path, kp: &Keypair) -> anyhow::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    f.write_all(kp.secret_hex().as_bytes())?;
    Ok(())
}

/// Read a secret key file, or create it if missing.
pub fn load_or_create(path: &std::path::Path) -> anyhow::Result<Keypair> {
    if path.exists() {
        let s =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Keypair::from_secret_hex(&s)
            .map_err(|_| anyhow::anyhow!("{} is not a secret key", path.display()))
    } else {
        let kp = Keypair::generate(&mut rand_core::OsRng);
        write_secret(path, &kp)?;
        Ok(kp)
    }
}

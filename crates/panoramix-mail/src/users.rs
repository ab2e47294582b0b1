//! Per-user credentials of the mail gateway: a file of addresses and Argon2id
//! password hashes.
//!
//! The file is JSON (`{"version": 1, "users": [...]}`), each entry holding the
//! address, the Argon2id parameters, a random 16-byte salt and the 32-byte
//! hash, both hex. It is rewritten atomically (temporary file, then rename) with
//! mode 0600. Verification recomputes the hash with the entry's own parameters
//! and compares in constant time; an unknown address costs the same work as a
//! known one, so timing does not tell which addresses exist. Passwords and
//! derived hashes are zeroized after use.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::RwLock;

use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

/// Longest address accepted (RFC 5321 §4.5.3.1.3: a path is at most 256
/// octets including the angle brackets).
pub const MAX_ADDRESS_LEN: usize = 254;
const SALT_LEN: usize = 16;
const HASH_LEN: usize = 32;
const FILE_VERSION: u32 = 1;

/// Errors of the credentials store.
#[derive(Debug, thiserror::Error)]
pub enum UsersError {
    /// The address is not of the form `local@domain` (printable ASCII, no
    /// spaces, at most [`MAX_ADDRESS_LEN`] octets).
    #[error("invalid mail address {0:?}")]
    InvalidAddress(String),
    /// The password is empty.
    #[error("the password is empty")]
    EmptyPassword,
    /// Argon2 refused the parameters or failed.
    #[error("argon2: {0}")]
    Argon2(String),
    /// The users file could not be read or written.
    #[error("users file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The users file is not valid.
    #[error("users file {path}: {source}")]
    Format {
        /// The file.
        path: PathBuf,
        /// The parse error.
        #[source]
        source: serde_json::Error,
    },
    /// The users file has an entry that cannot be used.
    #[error("users file {path}: {detail}")]
    BadEntry {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
}

/// Argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HashParams {
    /// Memory in KiB.
    pub m_kib: u32,
    /// Iterations.
    pub t: u32,
    /// Lanes.
    pub p: u32,
}

impl Default for HashParams {
    /// 19 MiB, 2 passes, 1 lane (the OWASP password-storage baseline).
    fn default() -> Self {
        Self {
            m_kib: 19 * 1024,
            t: 2,
            p: 1,
        }
    }
}

impl HashParams {
    /// The cheapest parameters Argon2 accepts: for tests and fuzzing only.
    pub fn insecure_fast() -> Self {
        Self {
            m_kib: 8,
            t: 1,
            p: 1,
        }
    }

    fn hash(&self, password: &[u8], salt: &[u8]) -> Result<Zeroizing<[u8; HASH_LEN]>, UsersError> {
        let params = argon2::Params::new(self.m_kib, self.t, self.p, Some(HASH_LEN))
            .map_err(|e| UsersError::Argon2(e.to_string()))?;
        let a = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
        let mut out = Zeroizing::new([0u8; HASH_LEN]);
        a.hash_password_into(password, salt, out.as_mut())
            .map_err(|e| UsersError::Argon2(e.to_string()))?;
        Ok(out)
    }
}

#[derive(Clone, Serialize, Deserialize, zeroize::ZeroizeOnDrop)]
struct Entry {
    #[zeroize(skip)]
    address: String,
    #[zeroize(skip)]
    argon2id: HashParams,
    salt: String,
    hash: String,
}

#[derive(Serialize, Deserialize)]
struct File {
    version: u32,
    users: Vec<Entry>,
}

struct Credential {
    params: HashParams,
    salt: [u8; SALT_LEN],
    hash: [u8; HASH_LEN],
}

impl Drop for Credential {
    fn drop(&mut self) {
        self.hash.zeroize();
        self.salt.zeroize();
    }
}

/// The gateway's users: address → password hash, optionally backed by a file.
pub struct Users {
    path: Option<PathBuf>,
    params: HashParams,
    by_address: RwLock<BTreeMap<String, Credential>>,
    /// Hashed for unknown addresses so that they cost as much as known ones.
    dummy_salt: [u8; SALT_LEN],
}

impl std::fmt::Debug for Users {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Users")
            .field("path", &self.path)
            .field("params", &self.params)
            .finish()
    }
}

/// Checks and normalises a mail address: `local@domain`, printable ASCII
/// without spaces, at most [`MAX_ADDRESS_LEN`] octets, lower-cased.
pub fn normalize_address(address: &str) -> Result<String, UsersError> {
    let bad = || UsersError::InvalidAddress(address.chars().take(80).collect());
    if address.is_empty() || address.len() > MAX_ADDRESS_LEN {
        return Err(bad());
    }
    if !address.bytes().all(|b| b.is_ascii_graphic()) || address.contains(['<', '>']) {
        return Err(bad());
    }
    let (local, domain) = address.rsplit_once('@').ok_or_else(bad)?;
    if local.is_empty() || domain.is_empty() {
        return Err(bad());
    }
    if domain.starts_with('.') || domain.ends_with('.') || domain.contains("..") {
        return Err(bad());
    }
    Ok(address.to_ascii_lowercase())
}

impl Users {
    /// An empty store kept in memory only.
    pub fn in_memory(params: HashParams) -> Self {
        let mut dummy_salt = [0u8; SALT_LEN];
        OsRng.fill_bytes(&mut dummy_salt);
        Self {
            path: None,
            params,
            by_address: RwLock::new(BTreeMap::new()),
            dummy_salt,
        }
    }

    /// Loads the users file at `path` (a missing file is an empty store); [`add`]
    /// then rewrites it. New passwords are hashed with `params`.
    ///
    /// [`add`]: Users::add
    pub fn load(path: &Path, params: HashParams) -> Result<Self, UsersError> {
        let mut users = Self::in_memory(params);
        users.path = Some(path.to_path_buf());
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(users),
            Err(source) => {
                return Err(UsersError::Io {
                    path: path.into(),
                    source,
                });
            }
        };
        let file: File = serde_json::from_str(&text).map_err(|source| UsersError::Format {
            path: path.into(),
            source,
        })?;
        let bad = |detail: String| UsersError::BadEntry {
            path: path.into(),
            detail,
        };
        if file.version != FILE_VERSION {
            return Err(bad(format!("unsupported version {}", file.version)));
        }
        let mut map = BTreeMap::new();
        for e in &file.users {
            let address = normalize_address(&e.address)?;
            let mut salt = [0u8; SALT_LEN];
            let mut hash = [0u8; HASH_LEN];
            hex::decode_to_slice(&e.salt, &mut salt)
                .map_err(|_| bad(format!("{address}: the salt is not {SALT_LEN} hex bytes")))?;
            hex::decode_to_slice(&e.hash, &mut hash)
                .map_err(|_| bad(format!("{address}: the hash is not {HASH_LEN} hex bytes")))?;
            map.insert(
                address,
                Credential {
                    params: e.argon2id,
                    salt,
                    hash,
                },
            );
        }
        users.by_address = RwLock::new(map);
        Ok(users)
    }

    /// Adds `address` with `password`, or sets a new password for it, and
    /// rewrites the file if the store has one.
    pub fn add(&self, address: &str, password: &[u8]) -> Result<(), UsersError> {
        let address = normalize_address(address)?;
        if password.is_empty() {
            return Err(UsersError::EmptyPassword);
        }
        let mut salt = [0u8; SALT_LEN];
        OsRng.fill_bytes(&mut salt);
        let hash = self.params.hash(password, &salt)?;
        let cred = Credential {
            params: self.params,
            salt,
            hash: *hash,
        };
        let mut map = self.by_address.write().unwrap_or_else(|p| p.into_inner());
        let old = map.insert(address.clone(), cred);
        if let Some(path) = &self.path
            && let Err(e) = write_file(path, &map)
        {
            // keep memory and file in agreement
            match old {
                Some(old) => map.insert(address, old),
                None => map.remove(&address),
            };
            return Err(e);
        }
        Ok(())
    }

    /// Whether `address` is a user.
    pub fn contains(&self, address: &str) -> bool {
        let Ok(address) = normalize_address(address) else {
            return false;
        };
        self.by_address
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .contains_key(&address)
    }

    /// The users' addresses (normalised), sorted.
    pub fn addresses(&self) -> Vec<String> {
        self.by_address
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .keys()
            .cloned()
            .collect()
    }

    /// Whether `password` is `address`'s password. Returns the normalised
    /// address on success. Runs Argon2: call it off any async executor.
    pub fn verify(&self, address: &str, password: &[u8]) -> Option<String> {
        let normalized = normalize_address(address).ok();
        let (params, salt, expected) = {
            let map = self.by_address.read().unwrap_or_else(|p| p.into_inner());
            match normalized.as_ref().and_then(|a| map.get(a)) {
                Some(c) => (c.params, c.salt, Some(Zeroizing::new(c.hash))),
                None => (self.params, self.dummy_salt, None),
            }
        };
        let computed = params.hash(password, &salt).ok()?;
        let expected = expected?;
        let equal: bool = computed.as_ref().ct_eq(expected.as_ref()).into();
        if equal && !password.is_empty() {
            normalized
        } else {
            None
        }
    }
}

/// Adds (or re-keys) a user in the users file at `path`, creating the file if
/// needed: for the command line.
pub fn add_user(path: &Path, address: &str, password: &[u8]) -> Result<(), UsersError> {
    Users::load(path, HashParams::default())?.add(address, password)
}

fn write_file(path: &Path, map: &BTreeMap<String, Credential>) -> Result<(), UsersError> {
    let users = map
        .iter()
        .map(|(address, c)| Entry {
            address: address.clone(),
            argon2id: c.params,
            salt: hex::encode(c.salt),
            hash: hex::encode(c.hash),
        })
        .collect();
    let file = File {
        version: FILE_VERSION,
        users,
    };
    let text = Zeroizing::new(serde_json::to_string_pretty(&file).map_err(|source| {
        UsersError::Format {
            path: path.into(),
            source,
        }
    })?);
    let io = |source| UsersError::Io {
        path: path.into(),
        source,
    };
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let result = (|| {
        let mut f = opts.open(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_verify_and_reload() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users.json");
        let users = Users::load(&path, HashParams::insecure_fast()).unwrap();
        users.add("Alice@Example.org", b"correct horse").unwrap();
        assert_eq!(
            users
                .verify("alice@example.org", b"correct horse")
                .as_deref(),
            Some("alice@example.org")
        );
        assert_eq!(
            users
                .verify("ALICE@example.org", b"correct horse")
                .as_deref(),
            Some("alice@example.org")
        );
        assert!(
            users
                .verify("alice@example.org", b"correct horsf")
                .is_none()
        );
        assert!(users.verify("bob@example.org", b"correct horse").is_none());
        assert!(users.verify("alice@example.org", b"").is_none());
        let again = Users::load(&path, HashParams::insecure_fast()).unwrap();
        assert!(
            again
                .verify("alice@example.org", b"correct horse")
                .is_some()
        );
        assert_eq!(again.addresses(), vec!["alice@example.org".to_string()]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // a new password replaces the old one
        again.add("alice@example.org", b"new").unwrap();
        let third = Users::load(&path, HashParams::insecure_fast()).unwrap();
        assert!(third.verify("alice@example.org", b"new").is_some());
        assert!(
            third
                .verify("alice@example.org", b"correct horse")
                .is_none()
        );
    }

    #[test]
    fn add_user_writes_the_file_with_default_params() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("u.json");
        add_user(&path, "carol@example.org", b"pw").unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("\"m_kib\": 19456"), "{text}");
        assert!(!text.contains("pw\""));
        let users = Users::load(&path, HashParams::default()).unwrap();
        assert!(users.verify("carol@example.org", b"pw").is_some());
    }

    #[test]
    fn rejects_bad_addresses_passwords_and_files() {
        let users = Users::in_memory(HashParams::insecure_fast());
        for a in [
            "",
            "alice",
            "@example.org",
            "alice@",
            "a b@example.org",
            "a@b..c",
            "<a@b.c>",
            "a@.b",
        ] {
            assert!(
                matches!(users.add(a, b"pw"), Err(UsersError::InvalidAddress(_))),
                "{a}"
            );
        }
        assert!(matches!(
            users.add("a@b.c", b""),
            Err(UsersError::EmptyPassword)
        ));
        let long = format!("{}@example.org", "a".repeat(250));
        assert!(users.add(&long, b"pw").is_err());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("u.json");
        std::fs::write(&path, "{not json").unwrap();
        assert!(matches!(
            Users::load(&path, HashParams::insecure_fast()),
            Err(UsersError::Format { .. })
        ));
        std::fs::write(&path, r#"{"version":1,"users":[{"address":"a@b.c","argon2id":{"m_kib":8,"t":1,"p":1},"salt":"00","hash":"00"}]}"#).unwrap();
        assert!(matches!(
            Users::load(&path, HashParams::insecure_fast()),
            Err(UsersError::BadEntry { .. })
        ));
        std::fs::write(&path, r#"{"version":2,"users":[]}"#).unwrap();
        assert!(matches!(
            Users::load(&path, HashParams::insecure_fast()),
            Err(UsersError::BadEntry { .. })
        ));
    }
}

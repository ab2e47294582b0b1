//! The users' maildrops on disk: one directory per user, one file per message.
//!
//! A user's directory is named by the SHA-256 of the normalised address (so an
//! address never becomes a path). A message is written to a temporary file,
//! synced, then renamed to `<id>.eml`, so a reader never sees half a message.
//! Ids are hex, stable and unique (time, a per-process counter and random
//! bytes); they sort in delivery order and serve as POP3 UIDL values.
//!
//! Messages are stored with CRLF line ends and end with CRLF (a bare LF becomes
//! CRLF at delivery), so the sizes listed are the sizes POP3 transmits before
//! dot-stuffing.
//!
//! [`Maildrop::lock`] gives one session at a time a maildrop (RFC 1939's
//! exclusive-access lock); the lock is held within this process.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};

use crate::users::normalize_address;

/// Errors of the maildrop store.
#[derive(Debug, thiserror::Error)]
pub enum MaildropError {
    /// The user's address is not valid.
    #[error(transparent)]
    InvalidUser(#[from] crate::users::UsersError),
    /// No message with this id.
    #[error("no message {0:?}")]
    NoSuchMessage(String),
    /// Another session holds the maildrop.
    #[error("the maildrop of {0} is in use by another session")]
    InUse(String),
    /// A file or directory could not be read or written.
    #[error("maildrop {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// One stored message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageInfo {
    /// Its unique id (hex; the POP3 UIDL).
    pub id: String,
    /// Its size in octets.
    pub size: u64,
}

/// Every user's maildrop under one root directory.
#[derive(Debug)]
pub struct Maildrop {
    root: PathBuf,
    counter: AtomicU64,
    locked: Arc<Mutex<HashSet<String>>>,
}

/// Exclusive access to one user's maildrop, released on drop.
#[derive(Debug)]
pub struct MaildropLock {
    user: String,
    locked: Arc<Mutex<HashSet<String>>>,
}

impl MaildropLock {
    /// The (normalised) user whose maildrop this is.
    pub fn user(&self) -> &str {
        &self.user
    }
}

impl Drop for MaildropLock {
    fn drop(&mut self) {
        self.locked
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.user);
    }
}

const SUFFIX: &str = ".eml";
const TMP_PREFIX: &str = ".tmp-";

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> MaildropError + '_ {
    move |source| MaildropError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// `data` with every line ended by CRLF, the last one included.
pub fn normalize_line_ends(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + data.len() / 64 + 2);
    let mut prev = 0u8;
    for &b in data {
        if b == b'\n' && prev != b'\r' {
            out.push(b'\r');
        }
        out.push(b);
        prev = b;
    }
    if !out.is_empty() && !out.ends_with(b"\r\n") {
        if out.ends_with(b"\r") {
            out.push(b'\n');
        } else {
            out.extend_from_slice(b"\r\n");
        }
    }
    out
}

fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

impl Maildrop {
    /// The maildrops under `root` (created if missing).
    pub fn open(root: &Path) -> Result<Self, MaildropError> {
        std::fs::create_dir_all(root).map_err(io_err(root))?;
        Ok(Self {
            root: root.to_path_buf(),
            counter: AtomicU64::new(0),
            locked: Arc::new(Mutex::new(HashSet::new())),
        })
    }

    fn user_dir(&self, user: &str) -> Result<(String, PathBuf), MaildropError> {
        let user = normalize_address(user)?;
        let digest = Sha256::digest(user.as_bytes());
        let dir = self.root.join(hex::encode(&digest[..16]));
        Ok((user, dir))
    }

    fn new_id(&self) -> String {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let r = OsRng.next_u32();
        format!(
            "{:012x}{:08x}{:06x}{r:08x}",
            now.as_secs(),
            now.subsec_nanos(),
            n & 0xff_ffff
        )
    }

    /// Stores `data` (line ends normalised to CRLF) in `user`'s maildrop and
    /// returns its id.
    pub fn deliver(&self, user: &str, data: &[u8]) -> Result<String, MaildropError> {
        let (_, dir) = self.user_dir(user)?;
        std::fs::create_dir_all(&dir).map_err(io_err(&dir))?;
        let id = self.new_id();
        let tmp = dir.join(format!("{TMP_PREFIX}{id}"));
        let path = dir.join(format!("{id}{SUFFIX}"));
        let data = normalize_line_ends(data);
        let result = (|| {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&data)?;
            f.sync_all()?;
            std::fs::rename(&tmp, &path)
        })();
        if let Err(e) = result {
            let _ = std::fs::remove_file(&tmp);
            return Err(io_err(&path)(e));
        }
        Ok(id)
    }

    /// `user`'s messages, in delivery order.
    pub fn list(&self, user: &str) -> Result<Vec<MessageInfo>, MaildropError> {
        let (_, dir) = self.user_dir(user)?;
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_err(&dir)(e)),
        };
        let mut out = Vec::new();
        for entry in entries {
            let entry = entry.map_err(io_err(&dir))?;
            let name = entry.file_name();
            let Some(id) = name.to_str().and_then(|n| n.strip_suffix(SUFFIX)) else {
                continue;
            };
            if !valid_id(id) {
                continue;
            }
            let meta = match entry.metadata() {
                Ok(m) => m,
                // deleted between read_dir and here
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(io_err(&entry.path())(e)),
            };
            out.push(MessageInfo {
                id: id.to_string(),
                size: meta.len(),
            });
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    fn message_path(&self, user: &str, id: &str) -> Result<PathBuf, MaildropError> {
        if !valid_id(id) {
            return Err(MaildropError::NoSuchMessage(id.chars().take(80).collect()));
        }
        Ok(self.user_dir(user)?.1.join(format!("{id}{SUFFIX}")))
    }

    /// The message `id` of `user`.
    pub fn read(&self, user: &str, id: &str) -> Result<Vec<u8>, MaildropError> {
        let path = self.message_path(user, id)?;
        std::fs::read(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => MaildropError::NoSuchMessage(id.to_string()),
            _ => io_err(&path)(e),
        })
    }

    /// Removes the message `id` of `user`.
    pub fn delete(&self, user: &str, id: &str) -> Result<(), MaildropError> {
        let path = self.message_path(user, id)?;
        std::fs::remove_file(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => MaildropError::NoSuchMessage(id.to_string()),
            _ => io_err(&path)(e),
        })
    }

    /// Exclusive access to `user`'s maildrop, or [`MaildropError::InUse`].
    pub fn lock(&self, user: &str) -> Result<MaildropLock, MaildropError> {
        let (user, _) = self.user_dir(user)?;
        let mut locked = self.locked.lock().unwrap_or_else(|p| p.into_inner());
        if !locked.insert(user.clone()) {
            return Err(MaildropError::InUse(user));
        }
        Ok(MaildropLock {
            user,
            locked: Arc::clone(&self.locked),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deliver_list_read_delete() {
        let dir = tempfile::tempdir().unwrap();
        let md = Maildrop::open(&dir.path().join("drops")).unwrap();
        assert!(md.list("a@b.c").unwrap().is_empty());
        let id1 = md
            .deliver("A@b.c", b"Subject: one\r\n\r\nbody\r\n")
            .unwrap();
        let id2 = md.deliver("a@b.c", b"Subject: two\n\nbare\nlf").unwrap();
        md.deliver("other@b.c", b"x\r\n").unwrap();
        let list = md.list("a@b.c").unwrap();
        assert_eq!(
            list.iter().map(|m| m.id.clone()).collect::<Vec<_>>(),
            vec![id1.clone(), id2.clone()]
        );
        assert_eq!(list[0].size, 22);
        assert_eq!(
            md.read("a@b.c", &id2).unwrap(),
            b"Subject: two\r\n\r\nbare\r\nlf\r\n"
        );
        assert_eq!(list[1].size, 26);
        md.delete("a@b.c", &id1).unwrap();
        assert!(matches!(
            md.delete("a@b.c", &id1),
            Err(MaildropError::NoSuchMessage(_))
        ));
        assert!(matches!(
            md.read("a@b.c", "../x"),
            Err(MaildropError::NoSuchMessage(_))
        ));
        assert!(matches!(
            md.read("a@b.c", &id1),
            Err(MaildropError::NoSuchMessage(_))
        ));
        assert_eq!(md.list("a@b.c").unwrap().len(), 1);
        assert_eq!(md.list("other@b.c").unwrap().len(), 1);
        // a temporary file is never listed
        let (_, udir) = md.user_dir("a@b.c").unwrap();
        std::fs::write(udir.join(".tmp-00ff"), b"half").unwrap();
        assert_eq!(md.list("a@b.c").unwrap().len(), 1);
        assert!(md.deliver("not an address", b"x").is_err());
    }

    #[test]
    fn ids_are_unique_and_ordered() {
        let dir = tempfile::tempdir().unwrap();
        let md = Maildrop::open(dir.path()).unwrap();
        let ids: Vec<String> = (0..50)
            .map(|_| md.deliver("a@b.c", b"x").unwrap())
            .collect();
        let mut sorted = ids.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted, ids);
    }

    #[test]
    fn one_lock_per_maildrop() {
        let dir = tempfile::tempdir().unwrap();
        let md = Maildrop::open(dir.path()).unwrap();
        let l = md.lock("a@b.c").unwrap();
        assert_eq!(l.user(), "a@b.c");
        assert!(matches!(md.lock("A@B.C"), Err(MaildropError::InUse(_))));
        let other = md.lock("x@b.c").unwrap();
        drop(l);
        md.lock("a@b.c").unwrap();
        drop(other);
    }

    #[test]
    fn line_ends() {
        assert_eq!(normalize_line_ends(b""), b"");
        assert_eq!(normalize_line_ends(b"a"), b"a\r\n");
        assert_eq!(normalize_line_ends(b"a\r"), b"a\r\n");
        assert_eq!(normalize_line_ends(b"a\nb\r\n"), b"a\r\nb\r\n");
    }
}

//! Which key and delivery tag a mail address has (docs/mail.md, "Addresses").
//!
//! **Published records.** Each user's agent registers, for each of its users, an
//! individual peer on the controller named `mail:<address>`, under a signing key of
//! its own for that user (so the registration is an envelope signed by that key and
//! recorded in the controller's audit log). Its `crypto_params` are
//! `{"panoramix_mail": 1, "address", "mail_key", "tag"}`: the user's mail public key
//! (Ristretto255, hex) and delivery tag (the Sphinx destination its mail goes to:
//! `m:` and 32 hex characters, random, so the address itself never appears in a
//! cycle's output).
//!
//! **Contacts.** A local JSON file `{address: {"mail_key", "tag"}}` pins keys. A pinned
//! address is never looked up. An unpinned one is looked up among the peers; if one
//! record claims it, it is used and, trust on first use, pinned; if several records
//! claim it with different keys, the address is refused as ambiguous until the user
//! pins one. A pinned record is never replaced by what the controller says later.
//!
//! **What a controller that lies can do**: for an address nobody pinned, show its own
//! record (its key, its tag) and read what is sent to it, or hide every record (mail
//! cannot be sent), or show two (refused as ambiguous). It cannot read mail to a
//! pinned address, change a pinned key, or read a record's mail without the key. See
//! docs/mail.md.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use panoramix_client::{Client, ClientError};
use panoramix_core::wire::Peer;
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};

use crate::envelope::MailPublicKey;
use crate::users::normalize_address;

/// The peer name prefix of a mail record.
pub const PEER_PREFIX: &str = "mail:";

/// The delivery tag prefix (a Sphinx destination).
pub const TAG_PREFIX: &str = "m:";

/// Length of a delivery tag (`m:` and 32 hex characters).
pub const TAG_LEN: usize = 2 + 32;

/// Directory errors.
#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    /// Nobody published a record for the address and it is not pinned.
    #[error("no mail record for {0} (not in the contacts file, none on the controller)")]
    NotFound(String),
    /// Several records with different keys claim the address.
    #[error(
        "{count} different mail records claim {address}: pin the right one in the contacts file"
    )]
    Ambiguous {
        /// The address.
        address: String,
        /// How many distinct records.
        count: usize,
    },
    /// The address is not an address.
    #[error("not a mail address: {0}")]
    BadAddress(String),
    /// A record or pin is malformed.
    #[error("bad mail record for {address}: {why}")]
    BadRecord {
        /// The address.
        address: String,
        /// What is wrong.
        why: String,
    },
    /// The controller could not be asked.
    #[error("the controller: {0}")]
    Controller(#[from] ClientError),
    /// The contacts file could not be read or written.
    #[error("contacts file {path}: {source}")]
    Contacts {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The contacts file is not valid JSON of the expected shape.
    #[error("contacts file {path}: {source}")]
    ContactsJson {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
}

/// Where mail to an address goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailRecord {
    /// The (normalised) address.
    pub address: String,
    /// The recipient's mail key.
    pub mail_key: MailPublicKey,
    /// The Sphinx destination of its parts.
    pub tag: String,
}

/// A fresh random delivery tag.
pub fn new_tag(rng: &mut (impl RngCore + CryptoRng)) -> String {
    let mut b = [0u8; 16];
    rng.fill_bytes(&mut b);
    format!("{TAG_PREFIX}{}", hex::encode(b))
}

fn check_tag(tag: &str) -> bool {
    tag.len() == TAG_LEN
        && tag.starts_with(TAG_PREFIX)
        && panoramix_core::identity::is_lower_hex(&tag[2..], 32)
}

impl MailRecord {
    /// The `crypto_params` of the published peer.
    pub fn to_params(&self) -> Json {
        json!({"panoramix_mail": 1, "address": self.address,
               "mail_key": self.mail_key.to_hex(), "tag": self.tag})
    }

    /// The peer name the record is published under.
    pub fn peer_name(&self) -> String {
        format!("{PEER_PREFIX}{}", self.address)
    }

    fn parse(address: &str, key: &str, tag: &str) -> Result<MailRecord, DirectoryError> {
        let bad = |why: String| DirectoryError::BadRecord {
            address: address.to_owned(),
            why,
        };
        let mail_key = MailPublicKey::from_hex(key).map_err(|e| bad(e.to_string()))?;
        if !check_tag(tag) {
            return Err(bad(format!("tag {tag:?} is not m: and 32 hex characters")));
        }
        Ok(MailRecord {
            address: address.to_owned(),
            mail_key,
            tag: tag.to_owned(),
        })
    }

    /// The record a peer publishes, if it is a well-formed mail record for `address`.
    pub fn from_peer(peer: &Peer, address: &str) -> Option<MailRecord> {
        let p = &peer.crypto_params;
        if peer.status != "READY"
            || peer.name != format!("{PEER_PREFIX}{address}")
            || p["panoramix_mail"] != json!(1)
            || p["address"].as_str() != Some(address)
        {
            return None;
        }
        Self::parse(address, p["mail_key"].as_str()?, p["tag"].as_str()?).ok()
    }
}

/// Publish `record` as the peer of `client`'s key (which must be that user's own key).
/// Registering again with the same record is a no-op; the controller keeps the first
/// registration of a key.
pub fn publish(client: &Client, record: &MailRecord) -> Result<(), DirectoryError> {
    match client.peer(&client.id()) {
        Ok(p) if MailRecord::from_peer(&p, &record.address).as_ref() == Some(record) => Ok(()),
        Ok(_) => Err(DirectoryError::BadRecord {
            address: record.address.clone(),
            why: "this user's key is already registered with another record".into(),
        }),
        Err(e) if e.status() == Some(404) => {
            client.register(&record.peer_name(), None, "SPHINXMIX", record.to_params())?;
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Serialize, Deserialize, Clone)]
struct Pin {
    mail_key: String,
    tag: String,
}

/// Address lookups: the contacts file first, then the controller's peers (see the
/// module docs).
pub struct Directory {
    client: Option<Client>,
    path: Option<PathBuf>,
    pins: Mutex<BTreeMap<String, Pin>>,
}

impl Directory {
    /// Look addresses up on `client`'s controller, pinning into `contacts` (a JSON
    /// file, created when the first key is pinned). `client: None`: the contacts file
    /// alone.
    pub fn open(client: Option<Client>, contacts: Option<&Path>) -> Result<Self, DirectoryError> {
        let mut pins = BTreeMap::new();
        if let Some(path) = contacts {
            match std::fs::read(path) {
                Ok(b) => {
                    pins = serde_json::from_slice(&b).map_err(|source| {
                        DirectoryError::ContactsJson {
                            path: path.to_owned(),
                            source,
                        }
                    })?;
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => {
                    return Err(DirectoryError::Contacts {
                        path: path.to_owned(),
                        source,
                    });
                }
            }
        }
        Ok(Directory {
            client,
            path: contacts.map(Path::to_owned),
            pins: Mutex::new(pins),
        })
    }

    /// Pin `record` (replacing a pin of its address) and save the contacts file.
    pub fn pin(&self, record: &MailRecord) -> Result<(), DirectoryError> {
        let mut pins = self.pins.lock().unwrap_or_else(|p| p.into_inner());
        pins.insert(
            record.address.clone(),
            Pin {
                mail_key: record.mail_key.to_hex(),
                tag: record.tag.clone(),
            },
        );
        self.save(&pins)
    }

    fn save(&self, pins: &BTreeMap<String, Pin>) -> Result<(), DirectoryError> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let io = |source| DirectoryError::Contacts {
            path: path.clone(),
            source,
        };
        let text =
            serde_json::to_vec_pretty(pins).map_err(|source| DirectoryError::ContactsJson {
                path: path.clone(),
                source,
            })?;
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, text).map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    }

    /// The pinned record of `address`, if any.
    pub fn pinned(&self, address: &str) -> Result<Option<MailRecord>, DirectoryError> {
        let address = normalize_address(address)
            .map_err(|_| DirectoryError::BadAddress(address.to_owned()))?;
        let pins = self.pins.lock().unwrap_or_else(|p| p.into_inner());
        pins.get(&address)
            .map(|p| MailRecord::parse(&address, &p.mail_key, &p.tag))
            .transpose()
    }

    /// Where mail to `address` goes.
    pub fn lookup(&self, address: &str) -> Result<MailRecord, DirectoryError> {
        if let Some(r) = self.pinned(address)? {
            return Ok(r);
        }
        let address = normalize_address(address)
            .map_err(|_| DirectoryError::BadAddress(address.to_owned()))?;
        let Some(client) = &self.client else {
            return Err(DirectoryError::NotFound(address));
        };
        let peers: Vec<Peer> = client.get_all("/panoramix/peers/?limit=1000")?;
        let mut found: Vec<MailRecord> = peers
            .iter()
            .filter_map(|p| MailRecord::from_peer(p, &address))
            .collect();
        found.sort_by_key(|r| (r.mail_key.to_hex(), r.tag.clone()));
        found.dedup();
        match found.len() {
            0 => Err(DirectoryError::NotFound(address)),
            1 => {
                let r = found.remove(0);
                self.pin(&r)?;
                Ok(r)
            }
            count => Err(DirectoryError::Ambiguous { address, count }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::MailSecretKey;
    use rand_core::OsRng;

    fn peer(name: &str, params: Json) -> Peer {
        Peer {
            peer_id: "p".into(),
            name: name.into(),
            key_data: String::new(),
            key_type: "ed25519".into(),
            crypto_backend: "SPHINXMIX".into(),
            crypto_params: params,
            owners: vec![],
            status: "READY".into(),
            roles: vec![],
            consensus_id: String::new(),
        }
    }

    fn record(address: &str) -> MailRecord {
        MailRecord {
            address: address.into(),
            mail_key: MailSecretKey::generate(&mut OsRng).public(),
            tag: new_tag(&mut OsRng),
        }
    }

    #[test]
    fn records_round_trip_through_a_peer() {
        let r = record("bob@example.org");
        let p = peer(&r.peer_name(), r.to_params());
        assert_eq!(
            MailRecord::from_peer(&p, "bob@example.org"),
            Some(r.clone())
        );
        // another address, another name, a bad tag: not a record for the address
        assert_eq!(MailRecord::from_peer(&p, "eve@example.org"), None);
        let p2 = peer("mail:eve@example.org", r.to_params());
        assert_eq!(MailRecord::from_peer(&p2, "bob@example.org"), None);
        let mut bad = r.to_params();
        bad["tag"] = json!("bob");
        assert_eq!(
            MailRecord::from_peer(&peer(&r.peer_name(), bad), "bob@example.org"),
            None
        );
    }

    #[test]
    fn pins_are_saved_and_win() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("contacts.json");
        let d = Directory::open(None, Some(&path)).unwrap();
        assert!(matches!(
            d.lookup("bob@example.org"),
            Err(DirectoryError::NotFound(_))
        ));
        let r = record("bob@example.org");
        d.pin(&r).unwrap();
        let again = Directory::open(None, Some(&path)).unwrap();
        assert_eq!(again.lookup("Bob@Example.org").unwrap(), r);
        std::fs::write(&path, b"[1]").unwrap();
        assert!(Directory::open(None, Some(&path)).is_err());
    }
}

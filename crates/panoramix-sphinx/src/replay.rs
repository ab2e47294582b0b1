//! Replay protection: a mix remembers the replay tag τ of every packet it processed under
//! its current key, and drops a packet whose tag it has seen.
//!
//! τ comes out of the same HKDF as the other hop keys, from the shared secret s = x·α.
//! Ristretto255 has prime order and canonical encodings, so α ↦ s is injective for a given
//! key: the same packet (or any re-encoding of it) gives the same tag, and a different α
//! gives an unrelated tag. Only the sender of a packet (who knows its s) can predict its
//! tag, so the set is keyed with std's random SipHash keys.
//!
//! **Epochs.** A cache belongs to one mix key ([`ReplayCache::node_id`]); a key's lifetime is
//! its epoch. Clearing the cache while keeping the key would let old packets be replayed, so
//! the only way to start afresh is a new key (and a new cache for it).
//!
//! **Memory.** The cache holds at most `capacity` tags of 16 bytes. A hash set of 16-byte
//! entries costs about 17 bytes per slot and keeps its load between 7/16 and 7/8, so
//! between about 20 and 40 bytes per stored tag: the default capacity of 2^20 tags takes at
//! most about 40 MiB. When the cache is full, processing fails with
//! [`Error::ReplayCacheFull`] (fail closed): rotate the key. A contributor processing one
//! batch per cycle with a key per cycle never gets close.
//!
//! **Persistence.** The cache is `serde`-serializable (`{"node_id", "capacity", "tags"}`,
//! tags as base64 of their concatenation) and has a compact byte form
//! ([`ReplayCache::to_bytes`]), so a contributor agent can keep it across restarts.

use std::collections::HashSet;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Malformed};
use crate::keys::MixNodeId;
use crate::params::{ADDRESS_LEN, REPLAY_TAG_LEN};

/// Default capacity of a replay cache: 2^20 tags (at most about 40 MiB).
pub const DEFAULT_REPLAY_CAPACITY: usize = 1 << 20;

/// A replay tag τ (16 bytes, pseudorandom).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ReplayTag(pub [u8; REPLAY_TAG_LEN]);

/// std's keyed SipHash: a sender knows the tags of its own packets (it knows their shared
/// secrets), so a key the sender cannot predict keeps it from grinding packets whose tags
/// collide in the table.
type TagSet = HashSet<[u8; REPLAY_TAG_LEN]>;

/// The tags a mix has seen under one key. See the module docs for memory and epochs.
#[derive(Clone, Debug)]
pub struct ReplayCache {
    node_id: MixNodeId,
    capacity: usize,
    tags: TagSet,
}

impl ReplayCache {
    /// An empty cache for the key with node id `node_id`, holding at most `capacity` tags.
    pub fn new(node_id: MixNodeId, capacity: usize) -> Self {
        ReplayCache {
            node_id,
            capacity,
            tags: TagSet::default(),
        }
    }

    /// An empty cache for `node_id` with [`DEFAULT_REPLAY_CAPACITY`].
    pub fn for_node(node_id: MixNodeId) -> Self {
        Self::new(node_id, DEFAULT_REPLAY_CAPACITY)
    }

    /// The node id of the key this cache belongs to.
    pub fn node_id(&self) -> MixNodeId {
        self.node_id
    }

    /// Maximum number of tags.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Number of tags stored.
    pub fn len(&self) -> usize {
        self.tags.len()
    }

    /// Whether no tag is stored.
    pub fn is_empty(&self) -> bool {
        self.tags.is_empty()
    }

    /// Whether `tag` was seen.
    pub fn contains(&self, tag: &ReplayTag) -> bool {
        self.tags.contains(&tag.0)
    }

    /// Record `tag`: [`Error::Replay`] if it was seen, [`Error::ReplayCacheFull`] if there is
    /// no room (the tag is then not recorded and the packet must be dropped).
    pub fn check_and_insert(&mut self, tag: &ReplayTag) -> Result<(), Error> {
        if self.tags.contains(&tag.0) {
            return Err(Error::Replay);
        }
        if self.tags.len() >= self.capacity {
            return Err(Error::ReplayCacheFull {
                capacity: self.capacity,
            });
        }
        self.tags.insert(tag.0);
        Ok(())
    }

    /// Compact encoding: node id (16) ‖ capacity (u64 BE) ‖ count (u64 BE) ‖ tags (16 each).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(ADDRESS_LEN + 16 + self.tags.len() * REPLAY_TAG_LEN);
        out.extend_from_slice(&self.node_id.0);
        out.extend_from_slice(&(self.capacity as u64).to_be_bytes());
        out.extend_from_slice(&(self.tags.len() as u64).to_be_bytes());
        let mut tags: Vec<&[u8; REPLAY_TAG_LEN]> = self.tags.iter().collect();
        tags.sort_unstable();
        for t in tags {
            out.extend_from_slice(t);
        }
        out
    }

    /// Parse [`ReplayCache::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let head = ADDRESS_LEN + 16;
        if bytes.len() < head {
            return Err(Malformed::WrongLength {
                expected: head,
                got: bytes.len(),
            }
            .into());
        }
        let mut node_id = [0u8; ADDRESS_LEN];
        node_id.copy_from_slice(&bytes[..ADDRESS_LEN]);
        let mut n = [0u8; 8];
        n.copy_from_slice(&bytes[ADDRESS_LEN..ADDRESS_LEN + 8]);
        let capacity = usize::try_from(u64::from_be_bytes(n)).unwrap_or(usize::MAX);
        n.copy_from_slice(&bytes[ADDRESS_LEN + 8..head]);
        let count = u64::from_be_bytes(n);
        let body = &bytes[head..];
        if !body.len().is_multiple_of(REPLAY_TAG_LEN)
            || (body.len() / REPLAY_TAG_LEN) as u64 != count
        {
            return Err(Malformed::WrongLength {
                expected: head.saturating_add((count as usize).saturating_mul(REPLAY_TAG_LEN)),
                got: bytes.len(),
            }
            .into());
        }
        Self::from_parts(MixNodeId(node_id), capacity, body)
    }

    fn from_parts(node_id: MixNodeId, capacity: usize, tags: &[u8]) -> Result<Self, Error> {
        let mut cache = ReplayCache::new(node_id, capacity);
        cache.tags.reserve(tags.len() / REPLAY_TAG_LEN);
        for t in tags.chunks_exact(REPLAY_TAG_LEN) {
            let mut tag = [0u8; REPLAY_TAG_LEN];
            tag.copy_from_slice(t);
            cache.tags.insert(tag);
        }
        Ok(cache)
    }
}

#[derive(Serialize, Deserialize)]
struct WireCache {
    node_id: MixNodeId,
    capacity: u64,
    tags: String,
}

impl Serialize for ReplayCache {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut tags: Vec<&[u8; REPLAY_TAG_LEN]> = self.tags.iter().collect();
        tags.sort_unstable();
        let flat: Vec<u8> = tags.into_iter().flatten().copied().collect();
        WireCache {
            node_id: self.node_id,
            capacity: self.capacity as u64,
            tags: B64.encode(flat),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for ReplayCache {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let w = WireCache::deserialize(d)?;
        let flat = B64
            .decode(w.tags.as_bytes())
            .map_err(|_| serde::de::Error::custom("replay tags: invalid base64"))?;
        if !flat.len().is_multiple_of(REPLAY_TAG_LEN) {
            return Err(serde::de::Error::custom(
                "replay tags: length not a multiple of 16",
            ));
        }
        let capacity = usize::try_from(w.capacity).unwrap_or(usize::MAX);
        ReplayCache::from_parts(w.node_id, capacity, &flat).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_replays_and_bounds_memory() {
        let mut c = ReplayCache::new(MixNodeId([9; 16]), 2);
        c.check_and_insert(&ReplayTag([1; 16])).unwrap();
        assert_eq!(c.check_and_insert(&ReplayTag([1; 16])), Err(Error::Replay));
        c.check_and_insert(&ReplayTag([2; 16])).unwrap();
        assert_eq!(
            c.check_and_insert(&ReplayTag([3; 16])),
            Err(Error::ReplayCacheFull { capacity: 2 })
        );
        assert_eq!(c.check_and_insert(&ReplayTag([2; 16])), Err(Error::Replay));
        assert_eq!(c.len(), 2);
    }

    #[test]
    fn persists() {
        let mut c = ReplayCache::new(MixNodeId([9; 16]), 10);
        for i in 0..5u8 {
            c.check_and_insert(&ReplayTag([i; 16])).unwrap();
        }
        let b = ReplayCache::from_bytes(&c.to_bytes()).unwrap();
        assert_eq!(b.len(), 5);
        assert_eq!(b.capacity(), 10);
        assert!(b.contains(&ReplayTag([3; 16])));
        let j = serde_json::to_string(&c).unwrap();
        let d: ReplayCache = serde_json::from_str(&j).unwrap();
        assert_eq!(d.len(), 5);
        assert_eq!(d.node_id(), c.node_id());
        assert!(ReplayCache::from_bytes(&c.to_bytes()[..40]).is_err());
        assert!(ReplayCache::from_bytes(&[1, 2, 3]).is_err());
    }
}

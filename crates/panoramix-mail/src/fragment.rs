//! Splitting a sealed mail into fixed-size parts and putting it back together
//! (docs/mail.md, "Parts").
//!
//! A part, before it is sealed for the recipient ([`crate::envelope::Purpose::Part`]):
//!
//! ```text
//! version (1) = 1 ‖ message id (16) ‖ index (u16 BE) ‖ count (u16 BE) ‖ data length (u16 BE)
//! ‖ data ‖ zero padding to the part length
//! ```
//!
//! Every part of every mail has the same length for one mix-net ([`forward_part_len`]),
//! so the packets, and the texts in a cycle's output, say nothing about where a mail
//! ends. The message id is random and, being sealed with the data, is seen only by the
//! recipient: an observer of the outputs cannot tell which parts belong together.
//!
//! [`Reassembler`] takes parts in any order and any number of times: a duplicate is
//! dropped, a mail is handed over only once every part is there (never truncated),
//! a part that contradicts what came before (another count, an index out of range) is
//! refused, and [`Reassembler::expire`] reports the mails still incomplete after the
//! stated time, and forgets them.

use std::collections::{BTreeMap, HashMap};

use crate::envelope::SEAL_OVERHEAD;

/// Part format version.
pub const PART_VERSION: u8 = 1;

/// Bytes of a part's header.
pub const PART_HEADER_LEN: usize = 1 + 16 + 2 + 2 + 2;

/// A mail's random id, shared by its parts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageId(pub [u8; 16]);

impl MessageId {
    /// 32 hex characters.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

/// Errors splitting or taking parts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FragmentError {
    /// The part length leaves no room for data.
    #[error("a part of {0} bytes leaves no room for data")]
    PartTooShort(usize),
    /// The mail needs more parts than the format (65535) or the limit allows.
    #[error("the mail needs {needed} parts, at most {max}")]
    TooManyParts {
        /// Parts the mail needs (or claims).
        needed: usize,
        /// The limit.
        max: usize,
    },
    /// Not a part: wrong length, version or lengths.
    #[error("not a part: {0}")]
    Malformed(&'static str),
    /// The part contradicts the parts of its mail seen before.
    #[error("part {index} of mail {id} says {count} parts, earlier parts said {expected}")]
    CountMismatch {
        /// The mail.
        id: String,
        /// The part's index.
        index: u16,
        /// What this part says.
        count: u16,
        /// What the earlier parts said.
        expected: u16,
    },
    /// Too many mails are incomplete at once.
    #[error("{0} mails are already incomplete: part refused")]
    TooManyPending(usize),
}

/// One decoded part.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    /// The mail's id.
    pub id: MessageId,
    /// Position, `0..count`.
    pub index: u16,
    /// How many parts the mail has.
    pub count: u16,
    /// This part's share of the mail.
    pub data: Vec<u8>,
}

impl Part {
    /// The padded encoding, exactly `part_len` bytes.
    pub fn encode(&self, part_len: usize) -> Result<Vec<u8>, FragmentError> {
        if part_len <= PART_HEADER_LEN {
            return Err(FragmentError::PartTooShort(part_len));
        }
        if self.data.len() > part_len - PART_HEADER_LEN || self.index >= self.count {
            return Err(FragmentError::Malformed(
                "data too long or index out of range",
            ));
        }
        let mut out = Vec::with_capacity(part_len);
        out.push(PART_VERSION);
        out.extend_from_slice(&self.id.0);
        out.extend_from_slice(&self.index.to_be_bytes());
        out.extend_from_slice(&self.count.to_be_bytes());
        out.extend_from_slice(&(self.data.len() as u16).to_be_bytes());
        out.extend_from_slice(&self.data);
        out.resize(part_len, 0);
        Ok(out)
    }

    /// Parse [`Part::encode`] (any length above the header: the layout is the sender's;
    /// a bare header is refused, as [`Part::encode`] never makes one).
    pub fn decode(b: &[u8]) -> Result<Part, FragmentError> {
        if b.len() <= PART_HEADER_LEN {
            return Err(FragmentError::Malformed("no longer than a part header"));
        }
        if b[0] != PART_VERSION {
            return Err(FragmentError::Malformed("unknown version"));
        }
        let mut id = [0u8; 16];
        id.copy_from_slice(&b[1..17]);
        let index = u16::from_be_bytes([b[17], b[18]]);
        let count = u16::from_be_bytes([b[19], b[20]]);
        let len = u16::from_be_bytes([b[21], b[22]]) as usize;
        if index >= count {
            return Err(FragmentError::Malformed("index not below count"));
        }
        if PART_HEADER_LEN + len > b.len() {
            return Err(FragmentError::Malformed("data length past the end"));
        }
        if b[PART_HEADER_LEN + len..].iter().any(|&x| x != 0) {
            return Err(FragmentError::Malformed("padding is not zero"));
        }
        Ok(Part {
            id: MessageId(id),
            index,
            count,
            data: b[PART_HEADER_LEN..PART_HEADER_LEN + len].to_vec(),
        })
    }
}

/// The part length for a forward mail through a Sphinx mix-net whose payload takes
/// `body_len` bytes of destination plus message, for a destination of `dest_len`
/// bytes: the exit publishes the message as text, so a sealed part travels as base64
/// (4 characters per 3 bytes) and the seal adds [`SEAL_OVERHEAD`].
pub fn forward_part_len(body_len: usize, dest_len: usize) -> Result<usize, FragmentError> {
    let text = body_len.saturating_sub(dest_len);
    let sealed = text / 4 * 3;
    let part = sealed.saturating_sub(SEAL_OVERHEAD);
    if part <= PART_HEADER_LEN {
        return Err(FragmentError::PartTooShort(part));
    }
    Ok(part)
}

/// The part length for a reply through a SURB: the whole `body_len` (the reply
/// payload is binary and already readable only by the SURB's creator).
pub fn reply_part_len(body_len: usize) -> Result<usize, FragmentError> {
    if body_len <= PART_HEADER_LEN {
        return Err(FragmentError::PartTooShort(body_len));
    }
    Ok(body_len)
}

/// How many parts of `part_len` bytes `len` bytes need (at least one).
pub fn parts_needed(len: usize, part_len: usize) -> usize {
    let data = part_len.saturating_sub(PART_HEADER_LEN).max(1);
    len.div_ceil(data).max(1)
}

/// Split `bytes` into encoded parts of exactly `part_len` bytes, in order.
pub fn split(id: MessageId, bytes: &[u8], part_len: usize) -> Result<Vec<Vec<u8>>, FragmentError> {
    if part_len <= PART_HEADER_LEN {
        return Err(FragmentError::PartTooShort(part_len));
    }
    let data = part_len - PART_HEADER_LEN;
    let needed = parts_needed(bytes.len(), part_len);
    let count = u16::try_from(needed).map_err(|_| FragmentError::TooManyParts {
        needed,
        max: u16::MAX as usize,
    })?;
    let chunks: Vec<&[u8]> = if bytes.is_empty() {
        vec![&[]]
    } else {
        bytes.chunks(data).collect()
    };
    chunks
        .into_iter()
        .enumerate()
        .map(|(i, d)| {
            Part {
                id,
                index: i as u16,
                count,
                data: d.to_vec(),
            }
            .encode(part_len)
        })
        .collect()
}

/// What [`Reassembler::add`] did with a part.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Added {
    /// The last missing part: the whole mail, in order.
    Complete(Vec<u8>),
    /// Kept; `received` of `count` parts are there.
    Stored {
        /// Parts held.
        received: usize,
        /// Parts of the mail.
        count: u16,
    },
    /// That part was already there: dropped.
    Duplicate,
    /// The mail was already delivered (or reported incomplete): dropped.
    Finished,
}

/// A mail [`Reassembler::expire`] gave up on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Incomplete {
    /// The mail.
    pub id: MessageId,
    /// Parts it has.
    pub count: u16,
    /// The indexes never seen.
    pub missing: Vec<u16>,
    /// When its first part came (the caller's clock, milliseconds).
    pub first_seen_ms: u64,
}

struct Pending {
    count: u16,
    parts: BTreeMap<u16, Vec<u8>>,
    first_seen_ms: u64,
}

/// Puts mails back together (see the module docs). Sans-I/O: the caller passes the
/// time in milliseconds of its own clock.
pub struct Reassembler {
    timeout_ms: u64,
    max_parts: u16,
    max_pending: usize,
    pending: HashMap<MessageId, Pending>,
    /// Mails delivered or given up on, with when: late copies of their parts are
    /// dropped for `10 × timeout`.
    finished: HashMap<MessageId, u64>,
}

impl Reassembler {
    /// A reassembler that gives up on a mail `timeout_ms` after its first part, takes
    /// mails of at most `max_parts` parts and at most `max_pending` incomplete mails.
    pub fn new(timeout_ms: u64, max_parts: u16, max_pending: usize) -> Self {
        Reassembler {
            timeout_ms,
            max_parts,
            max_pending,
            pending: HashMap::new(),
            finished: HashMap::new(),
        }
    }

    /// Number of incomplete mails held.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Take one decoded part received at `now_ms`.
    pub fn add(&mut self, part: Part, now_ms: u64) -> Result<Added, FragmentError> {
        if part.count > self.max_parts {
            return Err(FragmentError::TooManyParts {
                needed: part.count as usize,
                max: self.max_parts as usize,
            });
        }
        if part.index >= part.count {
            return Err(FragmentError::Malformed("index not below count"));
        }
        if self.finished.contains_key(&part.id) {
            return Ok(Added::Finished);
        }
        if !self.pending.contains_key(&part.id) && self.pending.len() >= self.max_pending {
            return Err(FragmentError::TooManyPending(self.pending.len()));
        }
        let p = self.pending.entry(part.id).or_insert_with(|| Pending {
            count: part.count,
            parts: BTreeMap::new(),
            first_seen_ms: now_ms,
        });
        if p.count != part.count {
            return Err(FragmentError::CountMismatch {
                id: part.id.to_hex(),
                index: part.index,
                count: part.count,
                expected: p.count,
            });
        }
        if p.parts.contains_key(&part.index) {
            return Ok(Added::Duplicate);
        }
        p.parts.insert(part.index, part.data);
        if p.parts.len() < p.count as usize {
            return Ok(Added::Stored {
                received: p.parts.len(),
                count: p.count,
            });
        }
        let done = self
            .pending
            .remove(&part.id)
            .map(|p| p.parts)
            .unwrap_or_default();
        self.finished.insert(part.id, now_ms);
        Ok(Added::Complete(done.into_values().flatten().collect()))
    }

    /// Decode and take an encoded part.
    pub fn add_bytes(&mut self, bytes: &[u8], now_ms: u64) -> Result<Added, FragmentError> {
        self.add(Part::decode(bytes)?, now_ms)
    }

    /// The mails whose first part came `timeout` or more ago and that are still
    /// incomplete: reported once, then forgotten (a late part of them is dropped).
    pub fn expire(&mut self, now_ms: u64) -> Vec<Incomplete> {
        let timeout = self.timeout_ms;
        let old: Vec<MessageId> = self
            .pending
            .iter()
            .filter(|(_, p)| now_ms.saturating_sub(p.first_seen_ms) >= timeout)
            .map(|(id, _)| *id)
            .collect();
        let mut out = Vec::with_capacity(old.len());
        for id in old {
            if let Some(p) = self.pending.remove(&id) {
                out.push(Incomplete {
                    id,
                    count: p.count,
                    missing: (0..p.count).filter(|i| !p.parts.contains_key(i)).collect(),
                    first_seen_ms: p.first_seen_ms,
                });
                self.finished.insert(id, now_ms);
            }
        }
        let keep = timeout.saturating_mul(10);
        self.finished
            .retain(|_, at| now_ms.saturating_sub(*at) < keep);
        out.sort_by_key(|i| i.id);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn reassemble(parts: &[Vec<u8>]) -> Vec<Vec<u8>> {
        let mut r = Reassembler::new(1000, u16::MAX, 16);
        let mut out = Vec::new();
        for p in parts {
            if let Added::Complete(m) = r.add_bytes(p, 0).unwrap() {
                out.push(m);
            }
        }
        out
    }

    #[test]
    fn sizes_for_the_default_sphinx_payload() {
        // BODY_LEN 1024, a 34-byte destination ("m:" + 32 hex)
        let part = forward_part_len(1024, 34).unwrap();
        assert_eq!(part, 990 / 4 * 3 - SEAL_OVERHEAD);
        assert_eq!(reply_part_len(1024).unwrap(), 1024);
        assert!(forward_part_len(100, 40).is_err());
        assert_eq!(parts_needed(0, part), 1);
        assert_eq!(parts_needed(part - PART_HEADER_LEN, part), 1);
        assert_eq!(parts_needed(part - PART_HEADER_LEN + 1, part), 2);
    }

    #[test]
    fn empty_mail_is_one_part() {
        let parts = split(MessageId([1; 16]), b"", 64).unwrap();
        assert_eq!(parts.len(), 1);
        assert_eq!(reassemble(&parts), vec![Vec::<u8>::new()]);
    }

    #[test]
    fn contradictions_and_limits_are_refused() {
        let id = MessageId([7; 16]);
        let parts = split(id, &[5u8; 100], 40).unwrap();
        let mut r = Reassembler::new(1000, 3, 1);
        assert!(matches!(
            r.add_bytes(&parts[0], 0),
            Err(FragmentError::TooManyParts { .. })
        ));
        let mut r = Reassembler::new(1000, 100, 1);
        r.add_bytes(&parts[0], 0).unwrap();
        let liar = Part {
            id,
            index: 1,
            count: 3,
            data: vec![],
        };
        assert!(matches!(
            r.add(liar, 0),
            Err(FragmentError::CountMismatch { .. })
        ));
        let other = split(MessageId([8; 16]), b"x", 40).unwrap();
        assert_eq!(
            r.add_bytes(&other[0], 0),
            Err(FragmentError::TooManyPending(1))
        );
        // the last part (15 of 17 data bytes) has padding: it must be zero
        let mut bad = parts[5].clone();
        *bad.last_mut().unwrap() = 1;
        assert!(Part::decode(&bad).is_err());
        bad = parts[1].clone();
        bad[0] = 9;
        assert!(Part::decode(&bad).is_err());
        assert!(Part::decode(&parts[1][..10]).is_err());
        // a bare header (no room for data) is no part: encode never makes one (fuzz
        // target mail_part)
        let empty = split(id, b"", PART_HEADER_LEN + 1).unwrap().remove(0);
        assert!(Part::decode(&empty).is_ok());
        assert!(Part::decode(&empty[..PART_HEADER_LEN]).is_err());
        assert!(Part::decode(&parts[1][..PART_HEADER_LEN]).is_err());
    }

    #[test]
    fn expiry_reports_missing_parts_once_and_drops_late_parts() {
        let id = MessageId([3; 16]);
        let parts = split(id, &[9u8; 200], 40).unwrap();
        let mut r = Reassembler::new(1000, 100, 4);
        for p in parts.iter().skip(1) {
            r.add_bytes(p, 10).unwrap();
        }
        assert!(r.expire(500).is_empty());
        let gone = r.expire(1010);
        assert_eq!(gone.len(), 1);
        assert_eq!(gone[0].missing, vec![0]);
        assert_eq!(gone[0].count as usize, parts.len());
        assert!(r.expire(2000).is_empty());
        assert_eq!(r.add_bytes(&parts[0], 1100).unwrap(), Added::Finished);
        assert_eq!(r.pending(), 0);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Any split, any order, any duplication: the same bytes, exactly once.
        #[test]
        fn any_order_and_duplicates_reassemble(
            mail in proptest::collection::vec(any::<u8>(), 0..3000),
            part_len in (PART_HEADER_LEN + 1)..300usize,
            order in proptest::collection::vec(any::<u32>(), 0..64),
            dups in proptest::collection::vec(any::<u32>(), 0..16),
        ) {
            let parts = split(MessageId([0xab; 16]), &mail, part_len).unwrap();
            prop_assert!(parts.iter().all(|p| p.len() == part_len));
            let mut seq: Vec<Vec<u8>> = parts.clone();
            for d in &dups {
                seq.push(parts[*d as usize % parts.len()].clone());
            }
            for (i, o) in order.iter().enumerate() {
                let (a, b) = (i % seq.len(), *o as usize % seq.len());
                seq.swap(a, b);
            }
            let out = reassemble(&seq);
            prop_assert_eq!(out, vec![mail]);
        }

        /// A missing part never yields a mail; expiry names exactly the missing one.
        #[test]
        fn a_missing_part_never_yields_a_mail(
            mail in proptest::collection::vec(any::<u8>(), 1..3000),
            part_len in (PART_HEADER_LEN + 1)..300usize,
            drop in any::<u32>(),
            dups in proptest::collection::vec(any::<u32>(), 0..16),
        ) {
            let parts = split(MessageId([0xcd; 16]), &mail, part_len).unwrap();
            let gone = drop as usize % parts.len();
            let mut seq: Vec<Vec<u8>> = parts
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != gone)
                .map(|(_, p)| p.clone())
                .collect();
            for d in &dups {
                let i = *d as usize % parts.len();
                if i != gone {
                    seq.push(parts[i].clone());
                }
            }
            let mut r = Reassembler::new(1000, u16::MAX, 4);
            for p in &seq {
                let added = r.add_bytes(p, 0).unwrap();
                prop_assert!(!matches!(added, Added::Complete(_)));
            }
            if parts.len() > 1 {
                let exp = r.expire(1000);
                prop_assert_eq!(exp.len(), 1);
                prop_assert_eq!(&exp[0].missing, &vec![gone as u16]);
            }
        }
    }
}

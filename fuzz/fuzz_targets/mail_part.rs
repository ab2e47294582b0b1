#![no_main]
//! What a mail gateway takes from the mix-net for one of its users (panoramix-mail,
//! docs/mail.md "Wire formats"): an exit output's text (base64 of a sealed part),
//! opened with the user's mail key and decoded as a part, and the reassembly of
//! parts. The first byte picks the mode:
//!
//! * 0: the rest is an exit output's text: base64, open, decode (no panic; a text that
//!   opens is a part whose encoding at its own length is the opened bytes);
//! * 1: the rest is sealed by the target for the user (so the decoder sees authentic
//!   plaintexts): receiving its base64 gives exactly what `Part::decode` gives on the
//!   rest, and a decoded part re-encodes to the same bytes;
//! * otherwise: a sequence of operations on a `Reassembler` (parts of four mails, some
//!   raw bytes, clock steps, expiries) checked against a model: a mail is complete
//!   exactly when every index of its count came, with the bytes of the first copy of
//!   each part in index order; duplicates, contradicting counts, limits and expiry
//!   (reported once, missing indexes exact) are as the model says.
use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use libfuzzer_sys::arbitrary::{Result as AResult, Unstructured};
use libfuzzer_sys::fuzz_target;
use panoramix_mail::envelope::{MailSecretKey, Purpose, open, seal_with_ephemeral};
use panoramix_mail::fragment::{
    Added, FragmentError, MessageId, PART_HEADER_LEN, Part, Reassembler,
};

const TIMEOUT: u64 = 1000;
const MAX_PARTS: u16 = 40;
const MAX_PENDING: usize = 3;

fn keys() -> &'static (MailSecretKey, MailSecretKey) {
    static KEYS: OnceLock<(MailSecretKey, MailSecretKey)> = OnceLock::new();
    KEYS.get_or_init(|| {
        let k = |h: &str| MailSecretKey::from_hex(h).expect("a fixed scalar");
        (
            k("0d1c2b3a49586776859483a2b1c0dfee0d1c2b3a49586776859483a2b1c0df0e"),
            k("0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f00"),
        )
    })
}

/// The gateway's receiving path for a text sent to a user's tag.
fn receive(text: &[u8]) -> Option<Result<Part, FragmentError>> {
    let sealed = B64.decode(text).ok()?;
    let plain = open(&keys().0, Purpose::Part, &sealed).ok()?;
    Some(Part::decode(&plain))
}

fn check_decoded(bytes: &[u8], decoded: &Result<Part, FragmentError>) {
    if let Ok(p) = decoded {
        assert!(p.index < p.count);
        assert_eq!(p.encode(bytes.len()).as_deref(), Ok(bytes), "canonical");
    }
}

/// An incomplete mail: its count, its parts by index, when its first part came.
type Incomplete = (u16, BTreeMap<u16, Vec<u8>>, u64);

#[derive(Default)]
struct Model {
    pending: HashMap<MessageId, Incomplete>,
    finished: HashMap<MessageId, u64>,
}

fn part_bytes(u: &mut Unstructured) -> AResult<Vec<u8>> {
    if u.ratio(1, 8)? {
        let n = u.int_in_range(0..=80)?;
        return Ok(u.bytes(n)?.to_vec());
    }
    let id = [u.int_in_range(0..=3u8)?; 16];
    let count = u.int_in_range(0..=6u16)?.max(1) * if u.ratio(1, 16)? { 10 } else { 1 };
    let index = u.int_in_range(0..=count)?;
    let len = u.int_in_range(0..=8usize)?;
    let data = u.bytes(len)?.to_vec();
    let part_len = PART_HEADER_LEN + 8 + u.int_in_range(0..=2usize)?;
    let mut b = vec![1u8];
    b.extend_from_slice(&id);
    b.extend_from_slice(&index.to_be_bytes());
    b.extend_from_slice(&count.to_be_bytes());
    b.extend_from_slice(&(len as u16).to_be_bytes());
    b.extend_from_slice(&data);
    b.resize(part_len, 0);
    Ok(b)
}

fn add(r: &mut Reassembler, m: &mut Model, bytes: &[u8], now: u64) {
    let decoded = Part::decode(bytes);
    check_decoded(bytes, &decoded);
    let got = r.add_bytes(bytes, now);
    let Ok(p) = decoded else {
        assert!(got.is_err());
        return;
    };
    if p.count > MAX_PARTS {
        assert!(matches!(got, Err(FragmentError::TooManyParts { .. })));
        return;
    }
    if m.finished.contains_key(&p.id) {
        assert_eq!(got, Ok(Added::Finished));
        return;
    }
    if !m.pending.contains_key(&p.id) && m.pending.len() >= MAX_PENDING {
        assert_eq!(got, Err(FragmentError::TooManyPending(m.pending.len())));
        return;
    }
    let entry = m
        .pending
        .entry(p.id)
        .or_insert_with(|| (p.count, BTreeMap::new(), now));
    if entry.0 != p.count {
        assert!(matches!(got, Err(FragmentError::CountMismatch { .. })));
        return;
    }
    if entry.1.contains_key(&p.index) {
        assert_eq!(got, Ok(Added::Duplicate));
        return;
    }
    entry.1.insert(p.index, p.data);
    if entry.1.len() < entry.0 as usize {
        let expected = Added::Stored {
            received: entry.1.len(),
            count: entry.0,
        };
        assert_eq!(got, Ok(expected));
        return;
    }
    let whole: Vec<u8> = entry.1.values().flatten().copied().collect();
    m.pending.remove(&p.id);
    m.finished.insert(p.id, now);
    assert_eq!(got, Ok(Added::Complete(whole)));
}

fn expire(r: &mut Reassembler, m: &mut Model, now: u64) {
    let got = r.expire(now);
    let mut old: Vec<MessageId> = m
        .pending
        .iter()
        .filter(|(_, p)| now.saturating_sub(p.2) >= TIMEOUT)
        .map(|(id, _)| *id)
        .collect();
    old.sort();
    assert_eq!(got.len(), old.len());
    for (g, id) in got.iter().zip(&old) {
        let (count, parts, first) = m.pending.remove(id).expect("pending");
        assert_eq!((g.id, g.count, g.first_seen_ms), (*id, count, first));
        let missing: Vec<u16> = (0..count).filter(|i| !parts.contains_key(i)).collect();
        assert_eq!(g.missing, missing);
        m.finished.insert(*id, now);
    }
    m.finished
        .retain(|_, at| now.saturating_sub(*at) < TIMEOUT * 10);
    assert_eq!(r.pending(), m.pending.len());
}

fn sequence(data: &[u8]) -> AResult<()> {
    let mut u = Unstructured::new(data);
    let mut r = Reassembler::new(TIMEOUT, MAX_PARTS, MAX_PENDING);
    let mut m = Model::default();
    let mut now = 0u64;
    let mut held: Vec<Vec<u8>> = Vec::new();
    while !u.is_empty() {
        match u.int_in_range(0..=9u8)? {
            0 => now += u.int_in_range(0..=3000u64)?,
            1 => expire(&mut r, &mut m, now),
            2 if !held.is_empty() => {
                // a copy of an earlier part again
                let i = u.choose_index(held.len())?;
                let b = held[i].clone();
                add(&mut r, &mut m, &b, now);
            }
            _ => {
                let b = part_bytes(&mut u)?;
                add(&mut r, &mut m, &b, now);
                held.push(b);
            }
        }
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode {
        0 => {
            // only a text sealed for the key opens (the fuzzer cannot forge one)
            if let Some(Ok(p)) = receive(rest) {
                assert!(p.index < p.count);
            }
            // another key never opens what is not sealed for it
            if let Ok(sealed) = B64.decode(rest) {
                let _ = open(&keys().1, Purpose::Part, &sealed);
            }
        }
        1 => {
            let (user, ephemeral) = keys();
            let sealed = seal_with_ephemeral(&user.public(), Purpose::Part, rest, ephemeral);
            let text = B64.encode(&sealed);
            let got = receive(text.as_bytes()).expect("a sealed part opens");
            assert_eq!(got, Part::decode(rest));
            check_decoded(rest, &got);
        }
        _ => {
            let _ = sequence(rest);
        }
    }
});

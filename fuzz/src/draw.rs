//! Drawing choices from the fuzz input. Every draw returns the "happy" choice (0,
//! `false`, the first entry) once the input is exhausted, so that short inputs run
//! the intended protocol and the fuzzer's mutations steer the deviations.

use arbitrary::Unstructured;
use serde_json::{Map, Value as Json, json};

/// The field names the handlers read (data and info), for fuzzed objects.
pub const FIELDS: &[&str] = &[
    "title",
    "participants",
    "negotiation_id",
    "negotiation",
    "text",
    "signature",
    "signer_key_id",
    "peer_id",
    "name",
    "key_data",
    "key_type",
    "crypto_backend",
    "crypto_params",
    "status",
    "role",
    "owners",
    "owner_key_id",
    "action",
    "endpoint_id",
    "description",
    "public",
    "size_min",
    "size_max",
    "endpoint_type",
    "endpoint_params",
    "links",
    "from_endpoint_id",
    "from_box",
    "to_box",
    "message_hashes",
    "process_proof",
    "box",
    "messages",
    "sender",
    "recipient",
    "serial",
    "resource",
    "operation",
    "controller",
    "nonce",
    "ts",
    "id",
    "on_last_consensus_id",
    "consensus_id",
    "consensus_type",
    "consensus_part",
    "accept",
    "signers",
];

/// Words the handlers compare with.
pub const WORDS: &[&str] = &[
    "READY",
    "OPEN",
    "CLOSED",
    "PROCESSED",
    "INBOX",
    "ACCEPTED",
    "PROCESSBOX",
    "OUTBOX",
    "SPHINXMIX",
    "ZEUS",
    "ed25519",
    "assign",
    "revoke",
    "authority",
    "contributor",
    "structural",
    "negotiation",
    "contribution",
    "peer",
    "endpoint",
    "message",
    "role",
    "create",
    "update",
    "partial_update",
    "RELAY",
    "SPHINXMIX_GATEWAY",
    "ZEUS_BOOTH",
    "ep0",
    "ep1",
    "",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "../x",
    "a/b",
    "\u{0}",
    "\u{202e}é",
];

/// The draws of one input.
pub struct Gen<'a> {
    u: Unstructured<'a>,
}

impl<'a> Gen<'a> {
    /// Draw from `data`.
    pub fn new(data: &'a [u8]) -> Gen<'a> {
        Gen {
            u: Unstructured::new(data),
        }
    }

    /// No input left.
    pub fn is_empty(&self) -> bool {
        self.u.is_empty()
    }

    /// One byte (0 when exhausted).
    pub fn byte(&mut self) -> u8 {
        self.u.arbitrary::<u8>().unwrap_or(0)
    }

    /// An index below `n` (0 when exhausted or `n` is 0).
    pub fn pick(&mut self, n: usize) -> usize {
        if n <= 1 {
            return 0;
        }
        self.u.int_in_range(0..=n - 1).unwrap_or(0)
    }

    /// One of `items` (the first when exhausted).
    pub fn choose<'b, T>(&mut self, items: &'b [T]) -> &'b T {
        &items[self.pick(items.len())]
    }

    /// True about once in eight draws; false when exhausted.
    pub fn rare(&mut self) -> bool {
        self.byte() >= 224
    }

    /// True about once in two draws; false when exhausted.
    pub fn coin(&mut self) -> bool {
        self.byte() & 1 == 1
    }

    /// An integer in `lo..=hi` (`lo` when exhausted).
    pub fn int(&mut self, lo: i64, hi: i64) -> i64 {
        self.u.int_in_range(lo..=hi).unwrap_or(lo)
    }

    /// Up to `max` raw bytes, length-prefixed by the input.
    pub fn bytes(&mut self, max: usize) -> Vec<u8> {
        let n = self.pick(max + 1);
        let n = n.min(self.u.len());
        self.u.bytes(n).map(<[u8]>::to_vec).unwrap_or_default()
    }

    /// A short string: a dictionary word or fuzzed characters.
    pub fn string(&mut self, extra: &[String]) -> String {
        match self.pick(4) {
            0 if !extra.is_empty() => self.choose(extra).clone(),
            0 | 1 => (*self.choose(WORDS)).to_owned(),
            2 => String::from_utf8_lossy(&self.bytes(40)).into_owned(),
            _ => {
                let w = *self.choose(WORDS);
                let n = self.int(1, 300) as usize;
                w.repeat(n.min(4096 / w.len().max(1)))
            }
        }
    }

    /// A fuzzed JSON value; strings come from `extra` (known ids) or the dictionary.
    pub fn value(&mut self, extra: &[String], depth: u32) -> Json {
        match self.pick(if depth > 2 { 7 } else { 9 }) {
            0 => Json::String(self.string(extra)),
            1 => Json::Null,
            2 => json!(self.coin()),
            3 => json!(self.int(-3, 5)),
            4 => self
                .choose(&[
                    json!(i64::MAX),
                    json!(i64::MIN),
                    json!(u64::MAX),
                    json!(1.5),
                    json!(-0.0),
                    json!(100_001),
                ])
                .clone(),
            5 => Json::String(self.choose(extra_or_words(extra)).clone()),
            6 => Json::String(hex_like(self)),
            7 => {
                let n = self.pick(4);
                Json::Array((0..n).map(|_| self.value(extra, depth + 1)).collect())
            }
            _ => Json::Object(self.object(extra, depth + 1)),
        }
    }

    /// A fuzzed object of handler field names.
    pub fn object(&mut self, extra: &[String], depth: u32) -> Map<String, Json> {
        let n = self.pick(5);
        let mut m = Map::new();
        for _ in 0..n {
            let k = if self.rare() {
                self.string(&[])
            } else {
                (*self.choose(FIELDS)).to_owned()
            };
            let v = self.value(extra, depth);
            m.insert(k, v);
        }
        m
    }

    /// Apply up to a few field-level mutations to an object: set a handler field to
    /// a fuzzed value, remove a field, or add an unknown one.
    pub fn mutate_object(&mut self, m: &mut Map<String, Json>, extra: &[String]) {
        let n = self.pick(4);
        for _ in 0..n {
            match self.pick(4) {
                0 | 1 => {
                    let k = if !m.is_empty() && self.coin() {
                        let keys: Vec<String> = m.keys().cloned().collect();
                        self.choose(&keys).clone()
                    } else {
                        (*self.choose(FIELDS)).to_owned()
                    };
                    let v = self.value(extra, 1);
                    m.insert(k, v);
                }
                2 => {
                    if !m.is_empty() {
                        let keys: Vec<String> = m.keys().cloned().collect();
                        let k = self.choose(&keys).clone();
                        m.remove(&k);
                    }
                }
                _ => {
                    let k = self.string(&[]);
                    let v = self.value(extra, 1);
                    m.insert(k, v);
                }
            }
        }
    }

    /// Flip, insert or delete a few bytes.
    pub fn mutate_bytes(&mut self, b: &mut Vec<u8>) {
        let n = 1 + self.pick(4);
        for _ in 0..n {
            if b.is_empty() {
                b.push(self.byte());
                continue;
            }
            let i = self.pick(b.len());
            match self.pick(3) {
                0 => b[i] ^= 1 << self.pick(8),
                1 => {
                    let x = self.byte();
                    b.insert(i, x);
                }
                _ => {
                    b.remove(i);
                }
            }
        }
    }
}

fn extra_or_words(extra: &[String]) -> &[String] {
    static WORDS_OWNED: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    if extra.is_empty() {
        WORDS_OWNED.get_or_init(|| WORDS.iter().map(|w| (*w).to_owned()).collect())
    } else {
        extra
    }
}

/// A hex-looking string of a fuzzed length and case.
fn hex_like(g: &mut Gen<'_>) -> String {
    let len = *g.choose(&[64usize, 16, 15, 65, 128, 0]);
    let upper = g.rare();
    let c = if upper { 'A' } else { 'a' };
    let d = g.byte();
    (0..len)
        .map(|i| {
            if (i + d as usize).is_multiple_of(3) {
                c
            } else {
                char::from(b'0' + ((i + d as usize) % 10) as u8)
            }
        })
        .collect()
}

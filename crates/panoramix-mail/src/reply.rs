//! Replies through single-use reply blocks (docs/mail.md, "Replies").
//!
//! * The sender's gateway puts a few SURBs in each mail's envelope and keeps their
//!   openers ([`OpenerBook`]): a reply comes out of the mix-net as `surb:<id>` with a
//!   payload only the opener can read.
//! * The recipient's gateway files the SURBs under a random token ([`ReplyBook`]) and
//!   gives the recipient's copy a `Reply-To: reply-<token>@reply.panoramix.invalid`
//!   ([`add_reply_header`]). Mail the recipient submits to that alias goes back through
//!   the SURBs, one packet per SURB, each used once: the recipient's gateway never
//!   learns the sender's key, tag or route. A reply that needs more packets than the
//!   SURBs left is refused at submission (552), never cut.

use std::collections::{HashMap, VecDeque};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use panoramix_sphinx::{Route, SphinxParams, Surb, SurbId, SurbOpener, create_surb};
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};

/// The most openers a sender keeps (4 per mail by default: the last 2,048 mails can be
/// answered); the oldest go first.
pub const MAX_OPENERS: usize = 8192;

/// The most reply aliases a recipient keeps; the oldest go first.
pub const MAX_ALIASES: usize = 4096;

/// The domain of reply aliases (reserved: never a real domain).
pub const REPLY_DOMAIN: &str = "reply.panoramix.invalid";

/// Reply errors.
#[derive(Debug, thiserror::Error)]
pub enum ReplyError {
    /// No such alias for this user.
    #[error("no reply blocks for {0}")]
    UnknownAlias(String),
    /// The reply needs more packets than SURBs are left.
    #[error("the reply needs {needed} packets, the sender left {left} reply blocks")]
    TooLong {
        /// Packets needed.
        needed: usize,
        /// Reply blocks left.
        left: usize,
    },
    /// A SURB could not be made or used.
    #[error(transparent)]
    Sphinx(#[from] panoramix_sphinx::Error),
}

/// The alias for `token`.
pub fn reply_address(token: &str) -> String {
    format!("reply-{token}@{REPLY_DOMAIN}")
}

/// The token of a reply alias (any case), if `address` is one.
pub fn parse_reply_address(address: &str) -> Option<String> {
    let a = address.trim().to_ascii_lowercase();
    let (local, domain) = a.rsplit_once('@')?;
    let token = local.strip_prefix("reply-")?;
    (domain == REPLY_DOMAIN && panoramix_core::identity::is_lower_hex(token, 32))
        .then(|| token.to_owned())
}

/// Whether the header section of `mail` has a field named `name` (case-insensitive).
pub fn has_header(mail: &[u8], name: &str) -> bool {
    header(mail, name).is_some()
}

/// The first value of header field `name` (unfolded, trimmed), if any.
pub fn header(mail: &[u8], name: &str) -> Option<String> {
    let mut lines = mail.split(|&b| b == b'\n').peekable();
    while let Some(line) = lines.next() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            return None;
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        if !line[..colon].eq_ignore_ascii_case(name.as_bytes()) {
            continue;
        }
        let mut value = String::from_utf8_lossy(&line[colon + 1..]).into_owned();
        while let Some(next) = lines.peek() {
            if next.first().is_some_and(|&b| b == b' ' || b == b'\t') {
                let n = next.strip_suffix(b"\r").unwrap_or(next);
                value.push_str(&String::from_utf8_lossy(n));
                lines.next();
            } else {
                break;
            }
        }
        return Some(value.trim().to_owned());
    }
    None
}

/// `mail` with the reply alias added at the top: as `Reply-To`, or, when the mail
/// already has one (a mail has at most one), as `X-Panoramix-Reply-To`; and
/// `X-Panoramix-Reply-Blocks: n`. The mail's own bytes follow unchanged.
pub fn add_reply_header(mail: &[u8], alias: &str, blocks: usize) -> Vec<u8> {
    let field = if has_header(mail, "Reply-To") {
        "X-Panoramix-Reply-To"
    } else {
        "Reply-To"
    };
    let mut out = format!(
        "{field}: <{alias}>\r\nX-Panoramix-Reply-Blocks: {blocks} (one packet each, single use)\r\n"
    )
    .into_bytes();
    out.extend_from_slice(mail);
    out
}

/// A recipient's reply blocks, filed under tokens.
#[derive(Default)]
pub struct ReplyBook {
    tokens: HashMap<String, (String, Vec<Surb>)>,
    order: VecDeque<String>,
}

impl ReplyBook {
    /// File `surbs` for `user`; returns the token.
    pub fn add(&mut self, user: &str, surbs: Vec<Surb>, rng: &mut impl RngCore) -> String {
        let mut t = [0u8; 16];
        rng.fill_bytes(&mut t);
        let token = hex::encode(t);
        self.tokens.insert(token.clone(), (user.to_owned(), surbs));
        self.order.push_back(token.clone());
        while self.tokens.len() > MAX_ALIASES {
            match self.order.pop_front() {
                Some(old) => {
                    self.tokens.remove(&old);
                }
                None => break,
            }
        }
        token
    }

    /// SURBs left under `token` for `user` (`None`: not that user's token).
    pub fn left(&self, user: &str, token: &str) -> Option<usize> {
        self.tokens
            .get(token)
            .filter(|(u, _)| u == user)
            .map(|(_, s)| s.len())
    }

    /// The saved form: token → (user, SURB texts).
    pub fn to_saved(&self) -> HashMap<String, (String, Vec<String>)> {
        self.tokens
            .iter()
            .map(|(t, (u, s))| {
                (
                    t.clone(),
                    (u.clone(), s.iter().map(Surb::to_text).collect()),
                )
            })
            .collect()
    }

    /// Back from [`ReplyBook::to_saved`] (malformed SURBs are dropped).
    pub fn from_saved(
        params: &SphinxParams,
        saved: HashMap<String, (String, Vec<String>)>,
    ) -> Self {
        let tokens = saved
            .into_iter()
            .map(|(t, (u, s))| {
                let surbs = s
                    .iter()
                    .filter_map(|x| Surb::from_text(params, x).ok())
                    .collect();
                (t, (u, surbs))
            })
            .collect::<HashMap<_, _>>();
        let order = tokens.keys().cloned().collect();
        ReplyBook { tokens, order }
    }

    /// Take `n` SURBs (all or none).
    pub fn take(&mut self, user: &str, token: &str, n: usize) -> Result<Vec<Surb>, ReplyError> {
        let left = self
            .left(user, token)
            .ok_or_else(|| ReplyError::UnknownAlias(reply_address(token)))?;
        if n > left {
            return Err(ReplyError::TooLong { needed: n, left });
        }
        let Some((_, surbs)) = self.tokens.get_mut(token) else {
            return Err(ReplyError::UnknownAlias(reply_address(token)));
        };
        let taken: Vec<Surb> = surbs.drain(..n).collect();
        if surbs.is_empty() {
            self.tokens.remove(token);
        }
        Ok(taken)
    }
}

/// A sender's openers, by SURB id, with the user each belongs to. Serializable so a
/// gateway can keep them across restarts.
#[derive(Default, Serialize, Deserialize)]
pub struct OpenerBook {
    openers: HashMap<String, (String, SurbOpener)>,
    /// Ids, oldest first (may name openers already used).
    #[serde(default)]
    order: VecDeque<String>,
}

impl OpenerBook {
    /// Make `n` SURBs back to `user` through `route`: their wire forms (for the
    /// envelope); the openers are kept.
    pub fn make(
        &mut self,
        params: &SphinxParams,
        route: &Route,
        user: &str,
        n: usize,
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Result<Vec<Vec<u8>>, ReplyError> {
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            let (surb, opener) = create_surb(params, route, rng)?;
            let id = opener.id().to_hex();
            self.openers.insert(id.clone(), (user.to_owned(), opener));
            self.order.push_back(id);
            out.push(surb.to_bytes());
        }
        while self.openers.len() > MAX_OPENERS || self.order.len() > 2 * MAX_OPENERS {
            match self.order.pop_front() {
                Some(old) => {
                    self.openers.remove(&old);
                }
                None => break,
            }
        }
        Ok(out)
    }

    /// Number of openers held.
    pub fn len(&self) -> usize {
        self.openers.len()
    }

    /// Whether none is held.
    pub fn is_empty(&self) -> bool {
        self.openers.is_empty()
    }

    /// Open the reply an exit delivered under `surb:<id>` (`text`: base64 payload):
    /// the user and the reply's bytes. The opener is used up. `None`: not ours.
    pub fn open(
        &mut self,
        id: &SurbId,
        text: &str,
    ) -> Option<(String, Result<Vec<u8>, ReplyError>)> {
        let (user, opener) = self.openers.remove(&id.to_hex())?;
        let r = opener.open_text(text).map_err(ReplyError::from);
        Some((user, r))
    }
}

/// Decode the SURB wire forms an envelope carried (dropping malformed ones).
pub fn decode_surbs(params: &SphinxParams, wire: &[Vec<u8>]) -> Vec<Surb> {
    wire.iter()
        .filter_map(|b| Surb::from_bytes(params, b).ok())
        .collect()
}

/// The text an exit would publish for a reply payload (for tests).
pub fn payload_text(payload: &[u8]) -> String {
    B64.encode(payload)
}

#[cfg(test)]
mod tests {
    use super::*;
    use panoramix_sphinx::{MixKeyPair, ProcessedPacket, ReplayCache, process_packet};
    use rand_core::OsRng;

    #[test]
    fn aliases_parse() {
        let t = "0123456789abcdef0123456789abcdef";
        assert_eq!(parse_reply_address(&reply_address(t)), Some(t.into()));
        assert_eq!(
            parse_reply_address(&reply_address(t).to_uppercase()),
            Some(t.into())
        );
        assert_eq!(
            parse_reply_address("reply-12@reply.panoramix.invalid"),
            None
        );
        assert_eq!(parse_reply_address(&format!("reply-{t}@example.org")), None);
        assert_eq!(parse_reply_address("bob@example.org"), None);
    }

    #[test]
    fn headers_are_read_and_added() {
        let m = b"From: a@b\r\nSubject: hello\r\n  world\r\n\r\nReply-To: not a header\r\n";
        assert_eq!(header(m, "subject").as_deref(), Some("hello  world"));
        assert!(!has_header(m, "Reply-To"));
        let out = add_reply_header(m, "reply-x@reply.panoramix.invalid", 3);
        assert!(out.starts_with(b"Reply-To: <reply-x@reply.panoramix.invalid>\r\n"));
        assert!(out.ends_with(m));
        let with = b"Reply-To: c@d\r\n\r\nbody";
        let out = add_reply_header(with, "r", 1);
        assert!(out.starts_with(b"X-Panoramix-Reply-To: <r>\r\n"));
        assert_eq!(header(&out, "reply-to").as_deref(), Some("c@d"));
    }

    #[test]
    fn a_reply_travels_back_through_a_surb_once() {
        let params = SphinxParams::default();
        let mixes: Vec<MixKeyPair> = (0..3).map(|_| MixKeyPair::generate(&mut OsRng)).collect();
        let keys: Vec<_> = mixes.iter().map(|m| *m.public()).collect();
        let route = Route::new(&params, &keys).unwrap();
        let mut openers = OpenerBook::default();
        let wire = openers
            .make(&params, &route, "alice@a", 2, &mut OsRng)
            .unwrap();
        let surbs = decode_surbs(&params, &wire);
        assert_eq!(surbs.len(), 2);
        let mut book = ReplyBook::default();
        let token = book.add("bob@b", surbs, &mut OsRng);
        assert_eq!(book.left("bob@b", &token), Some(2));
        assert_eq!(book.left("eve@e", &token), None);
        assert!(matches!(
            book.take("bob@b", &token, 3),
            Err(ReplyError::TooLong { needed: 3, left: 2 })
        ));
        // the book and the openers survive a restart (the gateway's state file)
        let mut book = ReplyBook::from_saved(&params, book.to_saved());
        let mut openers: OpenerBook =
            serde_json::from_str(&serde_json::to_string(&openers).unwrap()).unwrap();
        assert_eq!(book.left("bob@b", &token), Some(2));
        let surb = book.take("bob@b", &token, 1).unwrap().remove(0);
        let mut packet = surb.reply(b"thanks").unwrap().as_bytes().to_vec();
        let mut out = None;
        for m in &mixes {
            let mut cache = ReplayCache::for_node(m.node_id());
            match process_packet(m, &params, &mut cache, &packet).unwrap() {
                ProcessedPacket::Forward { packet: p, .. } => packet = p.as_bytes().to_vec(),
                ProcessedPacket::Reply { surb_id, payload } => out = Some((surb_id, payload)),
                ProcessedPacket::Final { .. } => panic!("a reply is not final"),
            }
        }
        let (id, payload) = out.unwrap();
        let (user, bytes) = openers.open(&id, &payload_text(&payload)).unwrap();
        assert_eq!(user, "alice@a");
        assert_eq!(bytes.unwrap(), b"thanks");
        assert!(openers.open(&id, &payload_text(&payload)).is_none());
        assert_eq!(openers.len(), 1);
    }
}

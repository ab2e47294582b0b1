#![no_main]
//! Replies through reply blocks (panoramix-mail, docs/mail.md "Wire formats"): the
//! reply alias a client submits to, and what the sender's gateway takes from the
//! mix-net under `surb:<id>`. One SURB through three fixed mixes; its opener is kept in
//! an `OpenerBook` (rebuilt for every input from its saved form, as after a restart).
//! The first byte picks the mode:
//!
//! * 0: the rest as an address: `parse_reply_address` never panics, and a token it
//!   finds is 32 lower-case hex characters whose alias is the address (trimmed, any
//!   case); and as an exit output's recipient (`surb:` and a SURB id);
//! * 1: the rest as the exit's text for the SURB's id: opening never panics, the
//!   opener is used up (a second text for the id is not ours);
//! * otherwise: the rest (up to `BODY_LEN` bytes) as the reply's packet content: sent
//!   through the SURB and the three mixes, the exit's text opens to exactly those
//!   bytes, which are then decoded as a reply part (canonical when accepted).
use std::sync::OnceLock;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use libfuzzer_sys::fuzz_target;
use panoramix_mail::fragment::Part;
use panoramix_mail::reply::{OpenerBook, parse_reply_address, reply_address};
use panoramix_sphinx::rand_core::{CryptoRng, Error as RandError, RngCore};
use panoramix_sphinx::{
    MixKeyPair, MixPublicKey, ProcessedPacket, Route, SURB_RECIPIENT_PREFIX, SphinxParams, Surb,
    SurbId, peel_layer,
};

/// A counter "RNG": the fixture must be the same on every run.
struct Fixed(u64);

impl RngCore for Fixed {
    fn next_u32(&mut self) -> u32 {
        self.next_u64() as u32
    }
    fn next_u64(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for b in dest {
            *b = (self.next_u64() >> 33) as u8;
        }
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), RandError> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl CryptoRng for Fixed {}

struct Fixture {
    params: SphinxParams,
    mixes: Vec<MixKeyPair>,
    surb: Surb,
    id: SurbId,
    book: String,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let params = SphinxParams::default();
        let mut rng = Fixed(7);
        let mixes: Vec<MixKeyPair> = (0..3).map(|_| MixKeyPair::generate(&mut rng)).collect();
        let keys: Vec<MixPublicKey> = mixes.iter().map(|m| *m.public()).collect();
        let route = Route::new(&params, &keys).expect("a route");
        let mut book = OpenerBook::default();
        let wire = book
            .make(&params, &route, "alice@example.org", 1, &mut rng)
            .expect("a SURB");
        let surb = Surb::from_bytes(&params, &wire[0]).expect("its wire form");
        let saved = serde_json::to_value(&book).expect("saved form");
        let id = saved["openers"]
            .as_object()
            .and_then(|o| o.keys().next().cloned())
            .and_then(|h| SurbId::from_hex(&h).ok())
            .expect("one opener");
        Fixture {
            params,
            mixes,
            surb,
            id,
            book: saved.to_string(),
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let f = fixture();
    match mode {
        0 => {
            let text = String::from_utf8_lossy(rest);
            if let Some(token) = parse_reply_address(&text) {
                assert_eq!(token.len(), 32);
                assert!(
                    token
                        .bytes()
                        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
                );
                assert!(reply_address(&token).eq_ignore_ascii_case(text.trim()));
            }
            // the same bytes as an exit output's recipient
            if let Some(hex) = text.strip_prefix(SURB_RECIPIENT_PREFIX)
                && let Ok(id) = SurbId::from_hex(hex)
            {
                assert!(id.to_hex().eq_ignore_ascii_case(hex));
            }
        }
        1 => {
            let mut book: OpenerBook = serde_json::from_str(&f.book).expect("the book");
            let text = String::from_utf8_lossy(rest);
            let (user, _) = book.open(&f.id, &text).expect("our SURB id");
            assert_eq!(user, "alice@example.org");
            assert!(book.open(&f.id, &text).is_none(), "used up");
        }
        _ => {
            if rest.len() > f.params.body_len() {
                return;
            }
            let mut bytes = f.surb.reply(rest).expect("a reply packet").into_bytes();
            let mut exit = None;
            for m in &f.mixes {
                match peel_layer(m, &f.params, &bytes)
                    .expect("an honest packet")
                    .1
                {
                    ProcessedPacket::Forward { packet, .. } => bytes = packet.into_bytes(),
                    ProcessedPacket::Reply { surb_id, payload } => exit = Some((surb_id, payload)),
                    ProcessedPacket::Final { .. } => panic!("a reply is not final"),
                }
            }
            let (id, payload) = exit.expect("the last mix is the SURB's exit");
            assert_eq!(id, f.id);
            let mut book: OpenerBook = serde_json::from_str(&f.book).expect("the book");
            let (_, opened) = book.open(&id, &B64.encode(&payload)).expect("ours");
            let opened = opened.expect("an honest reply opens");
            assert_eq!(opened, rest);
            if let Ok(p) = Part::decode(&opened) {
                assert_eq!(p.encode(opened.len()).as_deref(), Ok(rest), "canonical");
            }
        }
    }
});

#![no_main]
//! The envelope a mail gateway opens once every part of a mail is there (panoramix-mail,
//! docs/mail.md "Wire formats"), on arbitrary bytes:
//!
//! * as the opened plaintext: `Envelope::decode` never panics, and what it accepts
//!   re-encodes to the same bytes (the layout is canonical); the reply blocks it carries
//!   are decoded as SURBs (malformed ones dropped); the recipient's copy with the reply
//!   alias on top ends with the mail unchanged and its first `Reply-To` (or
//!   `X-Panoramix-Reply-To` when the mail has its own) is the alias;
//! * sealed by the target for the user: opening gives exactly what decoding the bytes
//!   gives;
//! * as a sealed envelope: opening never panics (the fuzzer cannot forge a seal).
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use panoramix_mail::envelope::{Envelope, MailSecretKey, Purpose, seal_with_ephemeral};
use panoramix_mail::reply::{add_reply_header, decode_surbs, has_header, header};
use panoramix_sphinx::SphinxParams;

const ALIAS: &str = "reply-0123456789abcdef0123456789abcdef@reply.panoramix.invalid";

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

fuzz_target!(|data: &[u8]| {
    let (user, ephemeral) = keys();
    let decoded = Envelope::decode(data);
    if let Ok(env) = &decoded {
        assert_eq!(&env.encode().expect("re-encode")[..], data, "canonical");
        let surbs = decode_surbs(&SphinxParams::default(), &env.surbs);
        assert!(surbs.len() <= env.surbs.len());
        let field = if has_header(&env.mail, "Reply-To") {
            "X-Panoramix-Reply-To"
        } else {
            "Reply-To"
        };
        let copy = add_reply_header(&env.mail, ALIAS, surbs.len());
        assert!(copy.ends_with(&env.mail));
        assert_eq!(header(&copy, field), Some(format!("<{ALIAS}>")));
        let _ = header(&env.mail, "Subject");
    }
    let sealed = seal_with_ephemeral(&user.public(), Purpose::Envelope, data, ephemeral);
    assert_eq!(Envelope::open(user, &sealed), decoded);
    let _ = Envelope::open(user, data);
});

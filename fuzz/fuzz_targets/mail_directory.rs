#![no_main]
//! The address directory's record parser (panoramix-mail, docs/mail.md "Wire formats"):
//! what a mail gateway reads from the controller's peers. The first byte picks the
//! input: 0, a whole peer (JSON); otherwise the `crypto_params` (JSON) of a ready peer
//! named `mail:bob@example.org`, checked for that address and for the address the
//! params name. No panic; an accepted record is for the address asked, its tag is `m:`
//! and 32 lower-case hex characters, and its own params parse back to the same record.
//! Mail keys and delivery tags are also parsed from the raw text.
use libfuzzer_sys::fuzz_target;
use panoramix_core::wire::Peer;
use panoramix_mail::directory::MailRecord;
use panoramix_mail::envelope::{MailPublicKey, MailSecretKey};
use panoramix_mail::users::normalize_address;
use serde_json::Value;

fn check(peer: &Peer, address: &str) {
    let Some(r) = MailRecord::from_peer(peer, address) else {
        return;
    };
    assert_eq!(r.address, address);
    assert_eq!(r.peer_name(), peer.name);
    assert_eq!(r.tag.len(), 34);
    assert!(r.tag.starts_with("m:"));
    assert!(
        r.tag[2..]
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    );
    let again = Peer {
        crypto_params: r.to_params(),
        ..peer.clone()
    };
    assert_eq!(MailRecord::from_peer(&again, address).as_ref(), Some(&r));
    assert_eq!(
        MailPublicKey::from_bytes(&r.mail_key.to_bytes()),
        Ok(r.mail_key)
    );
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if let Ok(text) = std::str::from_utf8(rest) {
        if let Ok(k) = MailPublicKey::from_hex(text) {
            assert_eq!(MailPublicKey::from_hex(&k.to_hex()), Ok(k));
        }
        if let Ok(k) = MailSecretKey::from_hex(text) {
            let back = MailSecretKey::from_hex(&k.to_hex()).expect("round trip");
            assert_eq!(back.public(), k.public());
        }
    }
    let Ok(json) = serde_json::from_slice::<Value>(rest) else {
        return;
    };
    let peer = if mode == 0 {
        let Ok(p) = serde_json::from_value::<Peer>(json) else {
            return;
        };
        p
    } else {
        Peer {
            peer_id: "a".repeat(64),
            name: "mail:bob@example.org".into(),
            key_data: "b".repeat(64),
            key_type: "ed25519".into(),
            crypto_backend: "SPHINXMIX".into(),
            crypto_params: json,
            owners: vec![],
            status: "READY".into(),
            roles: vec![],
            consensus_id: String::new(),
        }
    };
    check(&peer, "bob@example.org");
    if let Some(a) = peer.crypto_params["address"].as_str()
        && let Ok(a) = normalize_address(a)
    {
        check(&peer, &a);
    }
    if let Some(a) = peer.name.strip_prefix("mail:") {
        check(&peer, a);
    }
});

#![no_main]
//! The POP3 session (panoramix-mail) on arbitrary bytes, over a maildrop holding two
//! messages (one with a line starting with a dot): it must never panic, every
//! response line must end with CRLF. Deletions are only committed at QUIT: a session
//! that is not closed must leave both messages. The user is
//! alice@example.org / "alice pw" (weak Argon2; the seeds in corpus/pop3_session/ log
//! in).
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use panoramix_mail::maildrop::Maildrop;
use panoramix_mail::pop3::{Pop3Limits, Pop3Session};
use panoramix_mail::users::{HashParams, Users};

const USER: &str = "alice@example.org";
const MESSAGES: [&[u8]; 2] = [
    b"Subject: one\r\n\r\n.\r\n..two\r\nend\r\n",
    b"Subject: two\r\n\r\nbody\r\n",
];

fn fixture() -> &'static (Arc<Users>, Arc<Maildrop>) {
    static FIXTURE: OnceLock<(Arc<Users>, Arc<Maildrop>)> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let users = Users::in_memory(HashParams::insecure_fast());
        users.add(USER, b"alice pw").expect("add a user");
        let dir: PathBuf =
            std::env::temp_dir().join(format!("panoramix-fuzz-pop3-{}", std::process::id()));
        let maildrop = Maildrop::open(&dir).expect("open the maildrop");
        (Arc::new(users), Arc::new(maildrop))
    })
}

fuzz_target!(|data: &[u8]| {
    let (users, maildrop) = fixture();
    // two messages again (the last input may have deleted some)
    let listed = maildrop.list(USER).expect("list");
    if listed.len() != 2 {
        for m in listed {
            maildrop.delete(USER, &m.id).expect("delete");
        }
        for m in MESSAGES {
            maildrop.deliver(USER, m).expect("deliver");
        }
    }
    let mut session = Pop3Session::new(users.clone(), maildrop.clone(), Pop3Limits::default());
    let out = session.feed(data);
    assert!(out.is_empty() || out.ends_with(b"\r\n"));
    let lines: Vec<&[u8]> = out.split(|&b| b == b'\n').collect();
    for line in &lines[..lines.len() - 1] {
        assert!(line.ends_with(b"\r"), "bare LF after {line:?}");
    }
    if !session.is_closed() {
        assert_eq!(
            maildrop.list(USER).expect("list").len(),
            2,
            "deleted before QUIT"
        );
    }
});

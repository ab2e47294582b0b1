#![no_main]
//! The SMTP submission session (panoramix-mail) on arbitrary bytes: it must never
//! panic, every reply must be a well-formed reply line, and the output must not
//! depend on how the input is split into reads. The first byte chooses the split
//! points; two users exist (alice@example.org / "alice pw", weak Argon2 so that the
//! fuzzer can log in: the seeds in corpus/smtp_session/ do), the sink accepts
//! recipients @example.org and refuses mails over 2000 octets.
use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use panoramix_mail::smtp::{SmtpLimits, SmtpSession};
use panoramix_mail::users::{HashParams, Users};
use panoramix_mail::{MailSink, Refusal};

struct Sink;

impl MailSink for Sink {
    fn check_recipient(&self, _user: &str, rcpt: &str) -> Result<(), Refusal> {
        match rcpt.ends_with("@example.org") {
            true => Ok(()),
            false => Err(Refusal::new(550, "5.1.1 Unknown recipient")),
        }
    }
    fn submit(
        &self,
        user: &str,
        from: &str,
        rcpts: &[String],
        data: Vec<u8>,
    ) -> Result<(), Refusal> {
        assert_eq!(user, from, "MAIL FROM must be the user's own address");
        assert!(!rcpts.is_empty() && rcpts.len() <= 5);
        assert!(data.len() <= 4096 && (data.is_empty() || data.ends_with(b"\r\n")));
        match data.len() > 2000 {
            true => Err(Refusal::new(552, "5.3.4 Too large")),
            false => Ok(()),
        }
    }
}

fn users() -> Arc<Users> {
    static USERS: OnceLock<Arc<Users>> = OnceLock::new();
    USERS
        .get_or_init(|| {
            let u = Users::in_memory(HashParams::insecure_fast());
            u.add("alice@example.org", b"alice pw").expect("add a user");
            Arc::new(u)
        })
        .clone()
}

fn session() -> SmtpSession {
    let limits = SmtpLimits {
        max_message_size: 4096,
        max_recipients: 5,
        max_errors: 30,
        ..SmtpLimits::default()
    };
    SmtpSession::new(users(), Arc::new(Sink), limits)
}

fn check_replies(out: &[u8]) {
    for line in out.split_inclusive(|&b| b == b'\n') {
        assert!(line.ends_with(b"\r\n"), "reply line without CRLF: {line:?}");
        let code = &line[..3.min(line.len())];
        assert!(
            code.len() == 3
                && code.iter().all(u8::is_ascii_digit)
                && matches!(code[0], b'2'..=b'5')
        );
        assert!(matches!(line.get(3), Some(b' ' | b'-' | b'\r')), "{line:?}");
        assert!(!line[..line.len() - 2].contains(&b'\r'));
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&split, input)) = data.split_first() else {
        return;
    };
    let mut whole = session();
    let a = whole.feed(input);
    check_replies(&a);
    let mut parts = session();
    let step = usize::from(split % 16) + 1;
    let b: Vec<u8> = input.chunks(step).flat_map(|c| parts.feed(c)).collect();
    assert_eq!(a, b, "output depends on how the input is split");
    if whole.is_closed() {
        assert!(whole.feed(b"NOOP\r\n").is_empty());
    }
});

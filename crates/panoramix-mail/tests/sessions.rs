//! The sans-I/O SMTP and POP3 sessions, driven by scripted dialogues and by
//! arbitrary input (property tests: no panic, output independent of how the
//! input is split into reads).

use std::sync::{Arc, Mutex};

use base64::Engine as _;
use panoramix_mail::maildrop::Maildrop;
use panoramix_mail::pop3::{Pop3Limits, Pop3Session};
use panoramix_mail::smtp::{SmtpLimits, SmtpSession};
use panoramix_mail::users::{HashParams, Users};
use panoramix_mail::{MailSink, Refusal};
use proptest::prelude::*;

type Submitted = (String, String, Vec<String>, Vec<u8>);

#[derive(Default)]
struct Sink {
    submitted: Mutex<Vec<Submitted>>,
}

impl MailSink for Sink {
    fn check_recipient(&self, _user: &str, rcpt: &str) -> Result<(), Refusal> {
        match rcpt {
            r if r.ends_with("@example.org") => Ok(()),
            "weird@code.test" => Err(Refusal::new(200, "not a refusal code\r\ninjected")),
            _ => Err(Refusal::new(550, "5.1.1 Unknown recipient")),
        }
    }
    fn submit(
        &self,
        user: &str,
        from: &str,
        rcpts: &[String],
        data: Vec<u8>,
    ) -> Result<(), Refusal> {
        if data.len() > 5000 {
            return Err(Refusal::new(552, "5.3.4 Too large for the mix-net"));
        }
        self.submitted
            .lock()
            .unwrap()
            .push((user.into(), from.into(), rcpts.to_vec(), data));
        Ok(())
    }
}

fn users() -> Arc<Users> {
    let users = Users::in_memory(HashParams::insecure_fast());
    users.add("alice@example.org", b"alice pw").unwrap();
    users.add("bob@example.org", b"bob pw").unwrap();
    Arc::new(users)
}

fn plain(authz: &str, user: &str, pw: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{authz}\0{user}\0{pw}"))
}

fn smtp(limits: SmtpLimits) -> (SmtpSession, Arc<Sink>) {
    let sink = Arc::new(Sink::default());
    (SmtpSession::new(users(), sink.clone(), limits), sink)
}

fn say(s: &mut SmtpSession, line: &str) -> String {
    String::from_utf8(s.feed(format!("{line}\r\n").as_bytes())).unwrap()
}

fn codes(out: &str) -> Vec<&str> {
    out.lines().map(|l| &l[..3]).collect()
}

#[test]
fn smtp_submission_dialogue() {
    let (mut s, sink) = smtp(SmtpLimits {
        max_errors: 20,
        ..SmtpLimits::default()
    });
    assert!(String::from_utf8(s.greeting()).unwrap().starts_with("220 "));
    assert_eq!(
        codes(&say(&mut s, "MAIL FROM:<alice@example.org>")),
        ["503"]
    );
    let ehlo = say(&mut s, "EHLO client.test");
    for ext in [
        "250-SIZE 26214400",
        "250-8BITMIME",
        "250-PIPELINING",
        "250 AUTH PLAIN LOGIN",
    ] {
        assert!(ehlo.contains(ext), "{ehlo}");
    }
    assert_eq!(
        codes(&say(&mut s, "MAIL FROM:<alice@example.org>")),
        ["530"]
    );
    assert_eq!(
        codes(&say(
            &mut s,
            &format!("AUTH PLAIN {}", plain("", "alice@example.org", "nope"))
        )),
        ["535"]
    );
    assert_eq!(codes(&say(&mut s, "AUTH CRAM-MD5")), ["504"]);
    assert_eq!(codes(&say(&mut s, "AUTH PLAIN")), ["334"]);
    assert_eq!(
        codes(&say(&mut s, &plain("", "Alice@Example.org", "alice pw"))),
        ["235"]
    );
    assert_eq!(s.user(), Some("alice@example.org"));
    assert_eq!(codes(&say(&mut s, "AUTH PLAIN")), ["503"]);
    assert_eq!(codes(&say(&mut s, "MAIL FROM:<bob@example.org>")), ["550"]);
    assert_eq!(
        codes(&say(
            &mut s,
            "MAIL FROM:<alice@example.org> SIZE=99999999999"
        )),
        ["552"]
    );
    assert_eq!(
        codes(&say(&mut s, "MAIL FROM:<alice@example.org> FOO=1")),
        ["555"]
    );
    assert_eq!(codes(&say(&mut s, "RCPT TO:<bob@example.org>")), ["503"]);
    assert_eq!(
        codes(&say(
            &mut s,
            "MAIL FROM:<alice@example.org> SIZE=100 BODY=8BITMIME"
        )),
        ["250"]
    );
    assert_eq!(codes(&say(&mut s, "DATA")), ["554"]);
    assert_eq!(
        say(&mut s, "RCPT TO:<carol@elsewhere.test>"),
        "550 5.1.1 Unknown recipient\r\n"
    );
    assert_eq!(
        say(&mut s, "RCPT TO:<weird@code.test>"),
        "451 not a refusal code  injected\r\n"
    );
    assert_eq!(codes(&say(&mut s, "RCPT TO:<bob@example.org>")), ["250"]);
    assert_eq!(codes(&say(&mut s, "RCPT TO:<BOB@example.org>")), ["250"]);
    assert_eq!(codes(&say(&mut s, "rcpt to: <carol@example.org>")), ["250"]);
    assert_eq!(codes(&say(&mut s, "RCPT TO:bob@example.org")), ["501"]);
    assert_eq!(codes(&say(&mut s, "DATA")), ["354"]);
    let out = s.feed(b"Subject: hi\r\n\r\n..leading dot\r\n. not the end\r\n\r\n.\r\n");
    assert_eq!(String::from_utf8(out).unwrap(), "250 2.0.0 OK: queued\r\n");
    let got = sink.submitted.lock().unwrap().pop().unwrap();
    assert_eq!(got.0, "alice@example.org");
    assert_eq!(got.1, "alice@example.org");
    assert_eq!(
        got.2,
        vec![
            "bob@example.org".to_string(),
            "carol@example.org".to_string()
        ]
    );
    assert_eq!(
        got.3,
        b"Subject: hi\r\n\r\n.leading dot\r\n not the end\r\n\r\n"
    );
    assert_eq!(codes(&say(&mut s, "NOOP")), ["250"]);
    assert_eq!(codes(&say(&mut s, "STARTTLS")), ["502"]);
    assert_eq!(codes(&say(&mut s, "QUIT")), ["221"]);
    assert!(s.is_closed());
    assert!(s.feed(b"NOOP\r\n").is_empty());
}

#[test]
fn smtp_auth_login_and_pipelining_in_any_split() {
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let script = format!(
        "EHLO c\r\nAUTH LOGIN\r\n{}\r\n{}\r\nMAIL FROM:<bob@example.org>\r\nRCPT TO:<alice@example.org>\r\n\
         DATA\r\nline\r\n.\r\nRSET\r\nAUTH LOGIN {}\r\nQUIT\r\n",
        b64("bob@example.org"),
        b64("bob pw"),
        b64("x")
    );
    let (mut whole, sink) = smtp(SmtpLimits::default());
    let out = String::from_utf8(whole.feed(script.as_bytes())).unwrap();
    assert_eq!(
        codes(&out),
        [
            "250", "250", "250", "250", "250", "250", "334", "334", "235", "250", "250", "354",
            "250", "250", "503", "221"
        ]
    );
    assert!(out.contains("334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n"));
    assert_eq!(sink.submitted.lock().unwrap()[0].3, b"line\r\n");
    let (mut bytewise, _) = smtp(SmtpLimits::default());
    let out2: Vec<u8> = script.bytes().flat_map(|b| bytewise.feed(&[b])).collect();
    assert_eq!(out2, out.as_bytes());
}

#[test]
fn smtp_limits() {
    let limits = SmtpLimits {
        max_message_size: 100,
        max_recipients: 2,
        max_errors: 4,
        ..SmtpLimits::default()
    };
    let (mut s, sink) = smtp(limits.clone());
    say(&mut s, "EHLO c");
    say(
        &mut s,
        &format!(
            "AUTH PLAIN {}",
            plain("alice@example.org", "alice@example.org", "alice pw")
        ),
    );
    assert_eq!(s.user(), Some("alice@example.org"));
    say(&mut s, "MAIL FROM:<alice@example.org>");
    say(&mut s, "RCPT TO:<a@example.org>");
    say(&mut s, "RCPT TO:<b@example.org>");
    assert_eq!(codes(&say(&mut s, "RCPT TO:<c@example.org>")), ["452"]);
    say(&mut s, "DATA");
    let big = format!("{}\r\n", "x".repeat(60));
    let out = String::from_utf8(s.feed(format!("{big}{big}.\r\n").as_bytes())).unwrap();
    assert_eq!(codes(&out), ["552"]);
    // a bare LF in the data: refused, and "\n.\n" does not end the data
    say(&mut s, "MAIL FROM:<alice@example.org>");
    say(&mut s, "RCPT TO:<a@example.org>");
    say(&mut s, "DATA");
    assert!(s.feed(b"a\n.\nRCPT TO:<x@example.org>\r\n").is_empty());
    assert_eq!(
        codes(&String::from_utf8(s.feed(b".\r\n")).unwrap()),
        ["554"]
    );
    // a data line over 1000 octets
    say(&mut s, "MAIL FROM:<alice@example.org>");
    say(&mut s, "RCPT TO:<a@example.org>");
    say(&mut s, "DATA");
    assert!(s.feed(&vec![b'y'; 5000]).is_empty());
    assert_eq!(
        codes(&String::from_utf8(s.feed(b"\r\n.\r\n")).unwrap()),
        ["554"]
    );
    assert!(sink.submitted.lock().unwrap().is_empty());
    // a too long command, then enough errors to be closed
    assert_eq!(
        codes(&say(&mut s, &format!("NOOP {}", "z".repeat(600)))),
        ["500"]
    );
    assert_eq!(codes(&say(&mut s, "BOGUS")), ["500"]);
    assert_eq!(codes(&say(&mut s, "DATA now")), ["501"]);
    assert_eq!(codes(&say(&mut s, "VRFY x")), ["252"]);
    assert_eq!(codes(&say(&mut s, "EXPN x")), ["502", "421"]);
    assert!(s.is_closed());
    // failed logins close the session
    let (mut s, _) = smtp(limits);
    say(&mut s, "EHLO c");
    for (i, pw) in ["a", "b", "c"].iter().enumerate() {
        let out = say(
            &mut s,
            &format!("AUTH PLAIN {}", plain("", "alice@example.org", pw)),
        );
        assert_eq!(
            codes(&out),
            if i < 2 {
                vec!["535"]
            } else {
                vec!["535", "421"]
            }
        );
    }
    assert!(s.is_closed());
}

#[test]
fn smtp_sink_refusal_at_submit() {
    let (mut s, sink) = smtp(SmtpLimits::default());
    let b64 = plain("", "bob@example.org", "bob pw");
    let out = String::from_utf8(s.feed(
        format!("HELO c\r\nEHLO c\r\nAUTH PLAIN {b64}\r\nMAIL FROM:<bob@example.org>\r\nRCPT TO:<a@example.org>\r\nDATA\r\n").as_bytes(),
    ))
    .unwrap();
    assert_eq!(
        codes(&out),
        [
            "250", "250", "250", "250", "250", "250", "250", "235", "250", "250", "354"
        ]
    );
    let out = s.feed(
        format!(
            "{}.\r\n",
            "0123456789abcdef0123456789abcdef\r\n".repeat(200)
        )
        .as_bytes(),
    );
    assert_eq!(out, b"552 5.3.4 Too large for the mix-net\r\n");
    assert!(sink.submitted.lock().unwrap().is_empty());
}

fn pop3(users: &Arc<Users>, md: &Arc<Maildrop>) -> Pop3Session {
    Pop3Session::new(users.clone(), md.clone(), Pop3Limits::default())
}

fn pop(s: &mut Pop3Session, line: &str) -> String {
    String::from_utf8(s.feed(format!("{line}\r\n").as_bytes())).unwrap()
}

#[test]
fn pop3_dialogue_deletes_only_at_quit() {
    let dir = tempfile::tempdir().unwrap();
    let md = Arc::new(Maildrop::open(dir.path()).unwrap());
    let users = users();
    let m1 = b"Subject: one\r\nX: y\r\n\r\n.dot line\r\nl2\r\nl3\r\n".to_vec();
    let id1 = md.deliver("alice@example.org", &m1).unwrap();
    let id2 = md
        .deliver("alice@example.org", b"Subject: two\r\n\r\nbody\r\n")
        .unwrap();
    let mut s = pop3(&users, &md);
    assert!(String::from_utf8(s.greeting()).unwrap().starts_with("+OK"));
    let capa = pop(&mut s, "CAPA");
    assert!(
        capa.contains("\r\nUIDL\r\n") && capa.contains("SASL PLAIN") && capa.ends_with("\r\n.\r\n")
    );
    assert!(pop(&mut s, "STAT").starts_with("-ERR"));
    assert!(pop(&mut s, "PASS alice pw").starts_with("-ERR"));
    pop(&mut s, "USER alice@example.org");
    assert!(pop(&mut s, "PASS wrong").starts_with("-ERR [AUTH]"));
    pop(&mut s, "USER alice@example.org");
    assert_eq!(
        pop(&mut s, "PASS alice pw"),
        "+OK maildrop has 2 messages (63 octets)\r\n"
    );
    assert_eq!(s.user(), Some("alice@example.org"));
    assert_eq!(pop(&mut s, "STAT"), "+OK 2 63\r\n");
    assert_eq!(
        pop(&mut s, "LIST"),
        "+OK scan listing follows\r\n1 41\r\n2 22\r\n.\r\n"
    );
    assert_eq!(pop(&mut s, "UIDL 2"), format!("+OK 2 {id2}\r\n"));
    assert_eq!(
        pop(&mut s, "UIDL"),
        format!("+OK unique-id listing follows\r\n1 {id1}\r\n2 {id2}\r\n.\r\n")
    );
    assert_eq!(
        pop(&mut s, "RETR 1"),
        "+OK 41 octets\r\nSubject: one\r\nX: y\r\n\r\n..dot line\r\nl2\r\nl3\r\n.\r\n"
    );
    assert_eq!(
        pop(&mut s, "TOP 1 1"),
        "+OK 41 octets\r\nSubject: one\r\nX: y\r\n\r\n..dot line\r\n.\r\n"
    );
    assert_eq!(
        pop(&mut s, "TOP 1 0"),
        "+OK 41 octets\r\nSubject: one\r\nX: y\r\n\r\n.\r\n"
    );
    assert!(pop(&mut s, "RETR 3").starts_with("-ERR"));
    assert!(pop(&mut s, "RETR x").starts_with("-ERR"));
    assert!(pop(&mut s, "DELE 1").starts_with("+OK"));
    assert!(pop(&mut s, "DELE 1").starts_with("-ERR"));
    assert!(pop(&mut s, "RETR 1").starts_with("-ERR"));
    assert_eq!(pop(&mut s, "STAT"), "+OK 1 22\r\n");
    pop(&mut s, "RSET");
    assert_eq!(pop(&mut s, "STAT"), "+OK 2 63\r\n");
    pop(&mut s, "DELE 2");
    // one session per maildrop
    let mut other = pop3(&users, &md);
    pop(&mut other, "USER alice@example.org");
    assert!(pop(&mut other, "PASS alice pw").starts_with("-ERR [IN-USE]"));
    // the connection ends without QUIT: nothing deleted, lock released
    drop(s);
    assert_eq!(md.list("alice@example.org").unwrap().len(), 2);
    let mut s = pop3(&users, &md);
    let b64 = plain("", "alice@example.org", "alice pw");
    assert_eq!(pop(&mut s, "AUTH PLAIN"), "+ \r\n");
    assert!(pop(&mut s, &b64).starts_with("+OK maildrop has 2"));
    pop(&mut s, "DELE 1");
    assert!(pop(&mut s, "NOOP").starts_with("+OK"));
    assert!(pop(&mut s, "QUIT").starts_with("+OK"));
    assert!(s.is_closed());
    let left = md.list("alice@example.org").unwrap();
    assert_eq!(
        left.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(),
        [id2.as_str()]
    );
    // AUTH with an initial response; bob's maildrop is empty
    let mut s = pop3(&users, &md);
    let out = pop(
        &mut s,
        &format!("AUTH PLAIN {}", plain("", "bob@example.org", "bob pw")),
    );
    assert_eq!(out, "+OK maildrop has 0 messages (0 octets)\r\n");
    assert_eq!(pop(&mut s, "LIST"), "+OK scan listing follows\r\n.\r\n");
}

#[test]
fn pop3_limits() {
    let dir = tempfile::tempdir().unwrap();
    let md = Arc::new(Maildrop::open(dir.path()).unwrap());
    let users = users();
    let mut s = pop3(&users, &md);
    assert!(pop(&mut s, &format!("USER {}", "u".repeat(300))).starts_with("-ERR line too long"));
    assert!(pop(&mut s, "AUTH PLAIN *").starts_with("-ERR"));
    assert!(pop(&mut s, "AUTH PLAIN !!!").starts_with("-ERR invalid base64"));
    for i in 0..3 {
        pop(&mut s, "USER bob@example.org");
        let out = pop(&mut s, "PASS x");
        assert_eq!(
            out.matches("-ERR").count(),
            if i < 2 { 1 } else { 2 },
            "{out}"
        );
    }
    assert!(s.is_closed());
    let mut s = pop3(&users, &md);
    let out: String = (0..25).map(|_| pop(&mut s, "FOO")).collect();
    assert!(s.is_closed());
    assert_eq!(out.matches("-ERR").count(), 21);
}

const SMTP_WORDS: &[&str] = &[
    "EHLO x",
    "HELO x",
    "AUTH PLAIN",
    "AUTH LOGIN",
    "AUTH PLAIN AGFsaWNlQGV4YW1wbGUub3JnAGFsaWNlIHB3",
    "YWxpY2VAZXhhbXBsZS5vcmc=",
    "YWxpY2UgcHc=",
    "*",
    "MAIL FROM:<alice@example.org>",
    "MAIL FROM:<alice@example.org> SIZE=10",
    "RCPT TO:<bob@example.org>",
    "RCPT TO:<x@y.z>",
    "DATA",
    ".",
    "..",
    "text",
    "RSET",
    "NOOP",
    "QUIT",
    "",
    "MAIL FROM:<>",
    "RCPT TO:<@a,@b:c@d.e>",
];

const POP3_WORDS: &[&str] = &[
    "USER alice@example.org",
    "PASS alice pw",
    "PASS x",
    "AUTH PLAIN",
    "AUTH",
    "AGFsaWNlQGV4YW1wbGUub3JnAGFsaWNlIHB3",
    "CAPA",
    "STAT",
    "LIST",
    "LIST 1",
    "UIDL",
    "UIDL 2",
    "RETR 1",
    "RETR 0",
    "TOP 1 2",
    "TOP 2 x",
    "DELE 1",
    "DELE 2",
    "RSET",
    "NOOP",
    "QUIT",
    "",
    "LIST 18446744073709551616",
];

fn script(words: &'static [&'static str]) -> impl Strategy<Value = Vec<u8>> {
    let item = prop_oneof![
        3 => proptest::sample::select(words).prop_map(|w| format!("{w}\r\n").into_bytes()),
        1 => proptest::collection::vec(any::<u8>(), 0..40),
    ];
    proptest::collection::vec(item, 0..40).prop_map(|v| v.concat())
}

/// `input` fed whole and split at `cuts`: the same output.
fn split_at(input: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (input.len() + 1)).collect();
    points.sort_unstable();
    let mut prev = 0;
    let mut parts = Vec::new();
    for p in points.into_iter().chain([input.len()]) {
        parts.push(input[prev..p].to_vec());
        prev = p;
    }
    parts
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn smtp_any_input_any_split(input in prop_oneof![script(SMTP_WORDS), proptest::collection::vec(any::<u8>(), 0..2000)],
                                cuts in proptest::collection::vec(any::<usize>(), 0..8)) {
        let limits = SmtpLimits { max_message_size: 300, max_errors: 50, ..SmtpLimits::default() };
        let (mut whole, _) = smtp(limits.clone());
        let a = whole.feed(&input);
        let (mut split, _) = smtp(limits);
        let b: Vec<u8> = split_at(&input, &cuts).iter().flat_map(|p| split.feed(p)).collect();
        prop_assert_eq!(a, b);
    }

    #[test]
    fn pop3_any_input_any_split(input in prop_oneof![script(POP3_WORDS), proptest::collection::vec(any::<u8>(), 0..2000)],
                                cuts in proptest::collection::vec(any::<usize>(), 0..8)) {
        let dir = tempfile::tempdir().unwrap();
        let md = Arc::new(Maildrop::open(dir.path()).unwrap());
        md.deliver("alice@example.org", b"Subject: a\r\n\r\n.x\r\n").unwrap();
        md.deliver("alice@example.org", b"b\r\n").unwrap();
        // the same messages, same ids, for the second run
        let dir2 = tempfile::tempdir().unwrap();
        copy_tree(dir.path(), dir2.path());
        let md2 = Arc::new(Maildrop::open(dir2.path()).unwrap());
        let users = users();
        let a = pop3(&users, &md).feed(&input);
        let mut split = pop3(&users, &md2);
        let b: Vec<u8> = split_at(&input, &cuts).iter().flat_map(|p| split.feed(p)).collect();
        prop_assert_eq!(&a, &b);
        prop_assert_eq!(md.list("alice@example.org").unwrap(), md2.list("alice@example.org").unwrap());
        prop_assert!(a.is_empty() || a.ends_with(b"\r\n"));
    }
}

fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn smtp_refused_recipients_count_as_errors() {
    let (mut s, _) = smtp(SmtpLimits {
        max_errors: 3,
        ..SmtpLimits::default()
    });
    say(&mut s, "EHLO c");
    say(
        &mut s,
        &format!("AUTH PLAIN {}", plain("", "alice@example.org", "alice pw")),
    );
    say(&mut s, "MAIL FROM:<alice@example.org>");
    assert_eq!(codes(&say(&mut s, "RCPT TO:<a@nowhere.test>")), ["550"]);
    assert_eq!(codes(&say(&mut s, "RCPT TO:<b@nowhere.test>")), ["550"]);
    assert_eq!(
        codes(&say(&mut s, "RCPT TO:<c@nowhere.test>")),
        ["550", "421"]
    );
    assert!(s.is_closed());
}
